"""The command line. The only module that touches argv, the terminal and exit codes.

Exit codes: 0 success, 1 failure of the environment or a run, 2 bad input, 130 Ctrl-C.
They are mapped in one place, ``guarded``.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from voiceguide import __version__
from voiceguide.errors import ScriptError, VoiceguideError

app = typer.Typer(
    name="voiceguide",
    help="Turn self-care technique scripts into calm, voice-guided audio sessions.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_state = {"debug": False}
F = TypeVar("F", bound=Callable[..., Any])


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def guarded(func: F) -> F:
    """Run a command, turning every error a user can cause into a message and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = func(*args, **kwargs)
            sys.stdout.flush()  # a reader that went away (``| head``) shows here, not at exit
            return result
        except typer.Exit:
            raise
        except ScriptError as exc:
            for problem in exc.problems:
                _err(str(problem))
            raise typer.Exit(exc.exit_code) from None
        except VoiceguideError as exc:
            _err(f"voiceguide: {exc}")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _err("voiceguide: interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:  # the reader has all it wanted: stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except OSError as exc:  # the machine's doing (a full disk, a lost device): one line, exit 1
            where = f": {exc.filename}" if exc.filename else ""
            _err(f"voiceguide: {exc.strerror or exc}{where}")
            raise typer.Exit(1) from None
        except Exception as exc:  # a bug: say so plainly, with the details behind --debug
            if _state["debug"]:
                traceback.print_exc()
            _err(f"voiceguide: internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        print(f"voiceguide {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for internal errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Turn self-care technique scripts into calm, voice-guided audio sessions.

    Start with `voiceguide list`, then `voiceguide play childs-pose`.
    """
    _state["debug"] = debug


# -- library -------------------------------------------------------------------------------


@app.command("list")
@guarded
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the techniques and routines in the built-in library."""
    from voiceguide import describe, library

    rows = [describe.summary(library.load(str(entry.path))) for entry in library.entries()]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("name", "kind", "minutes", "for", "title"):
        table.add_column(column)
    for row in rows:
        lo, hi = row["minutes"]
        span = f"{lo:g}" if lo == hi else f"{lo:g}-{hi:g}"
        table.add_row(row["name"], row["kind"], span, row["audience"], row["title"])
    Console(soft_wrap=True).print(table)


@app.command()
@guarded
def show(
    target: Annotated[str, typer.Argument(metavar="NAME|PATH", help="A library name or a script file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Show a session's plan: every step with its timing or range, and the total."""
    from voiceguide import describe, library

    session = library.load(target)
    if as_json:
        print(json.dumps(describe.detail(session), indent=2, ensure_ascii=False))
    else:
        print("\n".join(describe.lines(session)))


@app.command()
@guarded
def validate(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Script files or folders of them.")],
) -> None:
    """Check scripts and routines; print every problem as path:line:col: message."""
    from voiceguide import library
    from voiceguide.loader import load_session

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += library.scripts_in(path)
        elif path.exists():
            files.append(path)
        else:
            raise ScriptError.at(path, 1, 1, "no such file or folder")
    problems: set[Any] = set()
    for file in files:
        try:
            load_session(file, library.Resolver())
        except ScriptError as exc:
            problems.update(exc.problems)
    if problems:
        raise ScriptError(sorted(problems))
    print(f"{len(files)} file{'s' if len(files) != 1 else ''} valid")


@app.command()
@guarded
def schema() -> None:
    """Print the JSON Schema of the script format, for an editor's YAML language server."""
    from voiceguide.schema import schema as build

    print(json.dumps(build(), indent=2))


# -- rendering -----------------------------------------------------------------------------

VoiceOpt = Annotated[
    str | None,
    typer.Option("--voice", help="natural (Piper, the default), system, or system:ID; see `voiceguide voices`."),
]
PaceOpt = Annotated[str, typer.Option("--pace", help="Speaking pace: slow, normal (calm, the default) or fast.")]
MusicOpt = Annotated[
    str | None,
    typer.Option("--music", help="warm, waves, bowls, none, or a music file (mp3, ogg, flac, wav)."),
]
LengthOpt = Annotated[
    str | None, typer.Option("--length", help="Fit the session to this length (e.g. 10m) within its ranges.")
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed for the generated music; same seed, same sound.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace files that exist already.")]


def _options(voice: str | None, pace: str, music: str | None, length: str | None, seed: int) -> Any:
    from voiceguide.errors import UsageError
    from voiceguide.render import RenderOptions
    from voiceguide.units import parse_duration

    seconds = None
    if length is not None:
        try:
            seconds = parse_duration(length)
        except ValueError as exc:
            raise UsageError(f"--length: {exc}") from None
    return RenderOptions(voice=voice, pace=pace, music=music, length=seconds, seed=seed)


class _Bar:
    """A progress bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self, label: str, shared: Any = None) -> None:
        self.label = label
        self.progress: Any = shared
        self.owner = shared is None
        self.tasks: dict[str, Any] = {}
        if self.owner and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def __enter__(self) -> _Bar:
        if self.progress and self.owner:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress and self.owner:
            self.progress.stop()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.progress:
            return
        if stage not in self.tasks:
            words = {"speech": "speaking", "mix": "mixing"}
            self.tasks[stage] = self.progress.add_task(f"{self.label}: {words.get(stage, stage)}", total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)


@app.command()
@guarded
def render(
    target: Annotated[str, typer.Argument(metavar="NAME|PATH", help="A library name or a script file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The audio file to write: .wav or .mp3.")],
    voice: VoiceOpt = None,
    pace: PaceOpt = "normal",
    music: MusicOpt = None,
    length: LengthOpt = None,
    seed: SeedOpt = 1,
    cues: Annotated[Path | None, typer.Option("--cues", help="Also write the cue sheet (JSON) here.")] = None,
    stems: Annotated[
        Path | None, typer.Option("--stems", help="Also write voice.wav, music.wav and cues.wav into this folder.")
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Render one session to a WAV or MP3 file."""
    from voiceguide import atomic, library
    from voiceguide.cuesheet import cue_sheet
    from voiceguide.errors import UsageError
    from voiceguide.render import prepare, render_file

    if output.suffix.lower() not in (".wav", ".mp3"):
        raise UsageError(f"{output}: the output must end in .wav or .mp3")
    targets = (
        [output]
        + ([cues] if cues else [])
        + ([stems / f"{n}.wav" for n in ("voice", "music", "cues")] if stems else [])
    )
    atomic.check_free(targets, force)
    atomic.sweep(output.parent)
    session = library.load(target)
    options = _options(voice, pace, music, length, seed)
    with _Bar(session.name) as bar:
        prepared = prepare(session, options, progress=bar)
        render_file(prepared, output, stems, progress=bar)
    if cues:
        atomic.write_bytes(cues, (json.dumps(cue_sheet(prepared.timeline), indent=1) + "\n").encode())
    from voiceguide.units import format_clock

    print(f"{output}  {format_clock(prepared.timeline.duration)}  {len(prepared.timeline.sections)} sections")


@app.command()
@guarded
def export(
    targets: Annotated[
        list[str] | None, typer.Argument(metavar="NAME|PATH...", help="Library names or script files.")
    ] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="The folder to write into.")] = Path("out"),
    every: Annotated[bool, typer.Option("--all", help="Export every technique and routine in the library.")] = False,
    split: Annotated[bool, typer.Option("--split", help="Also write each chapter as its own file.")] = False,
    force: ForceOpt = False,
    jobs: Annotated[
        int | None, typer.Option("--jobs", min=1, help="Tracks to render at once (default: one per core).")
    ] = None,
    voice: VoiceOpt = None,
    pace: PaceOpt = "normal",
    music: MusicOpt = None,
    length: LengthOpt = None,
    seed: SeedOpt = 1,
    fmt: Annotated[str, typer.Option("--format", help="mp3 (tagged, with chapters) or wav.")] = "mp3",
) -> None:
    """Export sessions for a phone: tagged MP3s with chapters, captions and a playlist."""
    from voiceguide import library
    from voiceguide.errors import UsageError
    from voiceguide.export import ExportRequest, export, summary_rows

    names = list(targets or [])
    if every:
        names += [str(entry.path) for entry in library.entries()]
    if not names:
        raise UsageError("name at least one technique or routine to export, or use --all")
    request = ExportRequest(
        targets=tuple(names),
        out_dir=output,
        options=_options(voice, pace, music, length, seed),
        split=split,
        force=force,
        jobs=jobs,
        fmt=fmt,
    )
    with _Bar("export") as bar:
        bars: dict[str, _Bar] = {}

        def track_bar(slug: str) -> Any:
            if slug not in bars:
                bars[slug] = _Bar(slug, bar.progress)
            return bars[slug]

        result = export(request, progress=bar, track_progress=track_bar)
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("file", "length", "chapters", "loudness"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for row in summary_rows(result):
        table.add_row(*row)
    console = Console(soft_wrap=True)
    console.print(table)
    console.print(f"playlist: {result.playlist}")


AUDIO_SUFFIXES = (".mp3", ".ogg", ".oga", ".opus", ".flac", ".wav", ".m4a")


@app.command()
@guarded
def play(
    target: Annotated[
        str, typer.Argument(metavar="NAME|PATH|FILE.mp3", help="A library name, a script file, or an exported file.")
    ],
    voice: VoiceOpt = None,
    pace: PaceOpt = "normal",
    music: MusicOpt = None,
    length: LengthOpt = None,
    seed: SeedOpt = 1,
    volume: Annotated[int, typer.Option("--volume", min=0, max=100, help="Volume, 0 to 100.")] = 100,
) -> None:
    """Play a session through the sound device, starting at once.

    Keys: space pause/resume, → or n next section, ← or p back, + and - volume, q quit, ? help.
    """
    from voiceguide import library
    from voiceguide.player.core import Player
    from voiceguide.player.output import SimpleaudioOutput
    from voiceguide.player.sources import FileSource, SessionSource, Source
    from voiceguide.player.terminal import run

    output = SimpleaudioOutput()  # no device: the first start raises one clear PlaybackError
    source: Source
    if target.lower().endswith(AUDIO_SUFFIXES) and Path(target).is_file():
        source = FileSource(Path(target))
    else:
        session = library.load(target)
        # Fitting lengths needs all the speech first; the bar shows that wait on a terminal.
        with _Bar(session.name) as bar:
            source = SessionSource(session, _options(voice, pace, music, length, seed), progress=bar)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    run(Player(source, output, volume=volume), interactive)


@app.command()
@guarded
def voices(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    every: Annotated[bool, typer.Option("--all", help="List every system voice, not only English ones.")] = False,
) -> None:
    """List the voices you can pass to --voice."""
    from voiceguide.voices import natural_available
    from voiceguide.voices.system import list_voices

    rows: list[dict[str, Any]] = []
    if natural_available():
        rows.append({"voice": "natural", "engine": "piper", "name": "joe (en_US, medium)", "default": True})
    try:
        system = list_voices()
    except VoiceguideError as exc:
        system = []
        _err(f"voiceguide: system voices unavailable: {exc}")
    for entry in system:
        ident = str(entry.get("id", ""))
        listed = entry.get("languages")
        langs = [str(x) for x in listed] if isinstance(listed, list) else []
        if not every and not (ident.split("/")[-1].startswith("en") or any(x.startswith("en") for x in langs)):
            continue
        rows.append({"voice": f"system:{ident}", "engine": "pyttsx3", "name": entry.get("name", ""), "default": False})
    if rows and not rows[0]["default"]:
        rows[0]["default"] = True
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        mark = "*" if row["default"] else " "
        print(f"{mark} {row['voice']:<34} {row['name']}")


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds like Ctrl-C: temporary files are removed on the way out


def main() -> None:
    # A shell starts background jobs with SIGINT ignored, and Python then never raises
    # KeyboardInterrupt; voiceguide always wants Ctrl-C to stop it cleanly (exit 130).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminated)
    app(prog_name="voiceguide")
