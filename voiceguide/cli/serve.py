"""The serve command: sessions to a phone without cables (a web page, a podcast feed, files)."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from voiceguide.cli import app, err, guarded
from voiceguide.cli.options import (
    AreasOpt,
    AudienceOpt,
    CalloutsOpt,
    CueLevelOpt,
    EquipmentOpt,
    GuidanceOpt,
    LengthOpt,
    MinutesOpt,
    MusicLevelOpt,
    MusicOpt,
    NoNotesOpt,
    PaceOpt,
    SeedOpt,
    VoiceOpt,
    render_options,
)


@app.command()
@guarded
def serve(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="NAME|PATH|DIR...", help="Library names, script files, folders of scripts, today or plan-monday."
        ),
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Serve every technique and routine in the library.")] = False,
    plan: Annotated[bool, typer.Option("--plan", help="Serve every day of your plan, today's session first.")] = False,
    host: Annotated[
        str | None,
        typer.Option("--host", help="The address to listen on (default 127.0.0.1, or the LAN address with --lan)."),
    ] = None,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="The port (0 picks a free one).")] = 8765,
    lan: Annotated[
        bool, typer.Option("--lan", help="Listen on the local network and print the address as a QR code for a phone.")
    ] = False,
    cache_dir: Annotated[
        Path | None,
        typer.Option("--cache-dir", help="Where rendered sessions are kept (default: the user cache)."),
    ] = None,
    voice: VoiceOpt = None,
    pace: PaceOpt = "normal",
    music: MusicOpt = None,
    length: LengthOpt = None,
    seed: SeedOpt = 1,
    guidance: GuidanceOpt = "full",
    music_level: MusicLevelOpt = 0.0,
    cue_level: CueLevelOpt = 0.0,
    callouts: CalloutsOpt = False,
    no_notes: NoNotesOpt = False,
    areas: AreasOpt = None,
    minutes: MinutesOpt = None,
    equipment: EquipmentOpt = None,
    audience: AudienceOpt = "self",
) -> None:
    """Serve sessions to a phone: a web page with players and chapters, a podcast feed, MP3 and M4B files.

    The first line printed is the address to open, with its secret token. Every session is prepared in the
    background from the start, one at a time, so the feed is full by the time a phone subscribes; the page shows
    how far it is. With --plan, the page puts today's session first.
    """
    from voiceguide.errors import MissingToolError, ServeError

    try:
        import uvicorn

        from voiceguide.serve.app import create_app
    except ImportError as exc:
        raise MissingToolError(
            f"serve needs the server packages ({exc.name}); install them with `pip install 'voiceguide[serve]'` "
            "(or run `make setup`)"
        ) from None
    from voiceguide.cli.compose import composed_file, wanted
    from voiceguide.serve.access import lan_address, token
    from voiceguide.serve.catalog import Catalog, targets_of

    names = targets_of(list(targets or []), every, plan) if targets or every or plan or areas is None else []
    if wanted(None, areas, minutes, length):  # a session composed on the spot, served as a routine file
        assert areas is not None and minutes is not None
        folder = (cache_dir or _default_cache()) / "composed"
        names.append(str(composed_file(folder, areas, minutes, equipment, audience, seed)))
    sessions, today = _sessions(names, plan, no_notes)
    options = render_options(voice, pace, music, length, seed, guidance, music_level, cue_level, callouts)
    catalog = Catalog(sessions, options, cache_dir or _default_cache(), today)
    catalog.log = lambda line: err(f"voiceguide: {line}")
    key = token()
    shown = lan_address() if lan else None
    bind = host or shown or "127.0.0.1"
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((bind, port))
        listener.listen(128)  # from here on a request waits for the server instead of being refused
    except OSError as exc:
        listener.close()
        reason = exc.strerror or exc
        raise ServeError(f"cannot listen on {bind}:{port}: {reason}; choose another --port or --host") from None
    actual = listener.getsockname()[1]
    where = shown or (bind if bind not in ("0.0.0.0", "::") else "127.0.0.1")
    url = f"http://{f'[{where}]' if ':' in where else where}:{actual}/{key}/"
    print(url, flush=True)
    if lan:
        import segno

        segno.make(url, error="m").terminal(out=sys.stdout, compact=True)
    print(f"podcast feed: {url}feed.xml", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    config = uvicorn.Config(
        create_app(catalog, key), log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=2
    )

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            catalog.stop()  # the render under way ends now, not after the connections close
            super().handle_exit(sig, frame)

    try:
        Server(config).run(sockets=[listener])
    finally:
        catalog.close()


def _sessions(names: list[str], plan: bool, no_notes: bool) -> tuple[list[Any], Callable[[], str | None]]:
    """The sessions to serve (the plan's days first), with the therapist's notes unless told not to, and a function
    that names today's session of the plan (None without a plan, or on a day it has none)."""
    from voiceguide.cli.notes import confirm_avoided, load_target
    from voiceguide.practice.sessions import current_plan, is_plan_target, plan_sessions, today_name

    sessions = (plan_sessions(not no_notes) if plan else []) + [load_target(name, no_notes) for name in names]
    for session in sessions:
        confirm_avoided(session, no_notes)
    if not plan and not any(is_plan_target(name) for name in names):
        return sessions, lambda: None
    kept = current_plan()
    return sessions, lambda: today_name(kept)


def _default_cache() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("voiceguide")) / "sessions"
