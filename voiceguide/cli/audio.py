"""The audio commands: render, export, play."""

from __future__ import annotations

import contextlib
import json
import queue
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from voiceguide.cli import app, err, guarded
from voiceguide.cli.listen import cancel_echo, start_listening
from voiceguide.cli.options import (
    AreasOpt,
    AudienceOpt,
    CalloutsOpt,
    CueLevelOpt,
    EquipmentOpt,
    ForceOpt,
    GuidanceOpt,
    LengthOpt,
    MinutesOpt,
    MusicLevelOpt,
    MusicOpt,
    NoNotesOpt,
    PaceOpt,
    ProgressBar,
    SeedOpt,
    VoiceOpt,
    render_options,
)


@app.command()
@guarded
def render(
    output: Annotated[Path, typer.Option("-o", "--output", help="The audio file to write: .wav or .mp3.")],
    target: Annotated[
        str | None, typer.Argument(metavar="[NAME|PATH]", help="A library name, a script file, or today.")
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
    cues: Annotated[Path | None, typer.Option("--cues", help="Also write the cue sheet (JSON) here.")] = None,
    stems: Annotated[
        Path | None, typer.Option("--stems", help="Also write voice.wav, music.wav and cues.wav into this folder.")
    ] = None,
    force: ForceOpt = False,
    no_notes: NoNotesOpt = False,
    areas: AreasOpt = None,
    minutes: MinutesOpt = None,
    equipment: EquipmentOpt = None,
    audience: AudienceOpt = "self",
) -> None:
    """Render one session to a WAV or MP3 file: a named one, or one composed with --areas and --minutes."""
    from voiceguide import atomic
    from voiceguide.cli.notes import confirm_avoided
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
    session = chosen(target, areas, minutes, length, equipment, audience, seed, no_notes)
    atomic.check_free(targets, force)
    atomic.sweep(output.parent)
    confirm_avoided(session, no_notes)
    options = render_options(voice, pace, music, length, seed, guidance, music_level, cue_level, callouts)
    with ProgressBar(session.name) as bar:
        prepared = prepare(session, options, progress=bar)
        render_file(prepared, output, stems, progress=bar)
    if cues:
        atomic.write_bytes(
            cues, (json.dumps(cue_sheet(prepared.timeline, music_level, cue_level), indent=1) + "\n").encode()
        )
    from voiceguide.units import format_clock

    print(f"{output}  {format_clock(prepared.timeline.duration)}  {len(prepared.timeline.sections)} sections")


@app.command()
@guarded
def export(
    targets: Annotated[
        list[str] | None, typer.Argument(metavar="NAME|PATH...", help="Library names, script files, or today.")
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
    guidance: GuidanceOpt = "full",
    music_level: MusicLevelOpt = 0.0,
    cue_level: CueLevelOpt = 0.0,
    callouts: CalloutsOpt = False,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", help="mp3 (tagged, with chapters), m4b (an audiobook with chapters), wav, or several: mp3,m4b."
        ),
    ] = "mp3",
    plan: Annotated[bool, typer.Option("--plan", help="Export every day of your plan.")] = False,
    no_notes: NoNotesOpt = False,
    areas: AreasOpt = None,
    minutes: MinutesOpt = None,
    equipment: EquipmentOpt = None,
    audience: AudienceOpt = "self",
) -> None:
    """Export sessions for a phone: tagged MP3s or M4B audiobooks with chapters, captions and a playlist."""
    from voiceguide import library
    from voiceguide.cli.compose import composed, wanted
    from voiceguide.cli.notes import confirm_avoided, load_target
    from voiceguide.errors import UsageError
    from voiceguide.export import SUMMARY_COLUMNS, ExportRequest, export, summary_rows
    from voiceguide.practice.sessions import plan_sessions

    names = list(targets or [])
    if every:
        names += [str(entry.path) for entry in library.entries()]
    extra = []
    if wanted(None, areas, minutes, length):
        assert areas is not None and minutes is not None
        extra.append(composed(areas, minutes, equipment, audience, seed, no_notes))
    if not names and not plan and not extra:
        raise UsageError("name at least one technique or routine to export, or use --all, --plan or --areas")
    sessions = [load_target(name, no_notes) for name in names] + (plan_sessions(not no_notes) if plan else []) + extra
    for session in sessions:
        confirm_avoided(session, no_notes)
    request = ExportRequest(
        targets=(),
        sessions=tuple(sessions),
        out_dir=output,
        options=render_options(voice, pace, music, length, seed, guidance, music_level, cue_level, callouts),
        split=split,
        force=force,
        jobs=jobs,
        fmt=fmt,
    )
    with ProgressBar("export") as bar:
        bars: dict[str, ProgressBar] = {}

        def track_bar(slug: str) -> Any:
            if slug not in bars:
                bars[slug] = ProgressBar(slug, bar.progress)
            return bars[slug]

        result = export(request, progress=bar, track_progress=track_bar)
    from rich.table import Table

    from voiceguide.cli import say

    columns = SUMMARY_COLUMNS
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, justify="left" if column == "file" else "right")
    for row in summary_rows(result):
        if say.plain():
            say.line(say.fields(list(zip(columns, row, strict=True))))
        else:
            table.add_row(*row)
    if not say.plain():
        say.console().print(table)
    say.line(f"playlist: {result.playlist}")


def chosen(
    target: str | None,
    areas: str | None,
    minutes: float | None,
    length: str | None,
    equipment: str | None,
    audience: str,
    seed: int,
    no_notes: bool,
) -> Any:
    """The session a command names, or the one composed for --areas and --minutes."""
    from voiceguide.cli.compose import composed, wanted
    from voiceguide.cli.notes import load_target
    from voiceguide.errors import UsageError

    if wanted(target, areas, minutes, length):
        assert areas is not None and minutes is not None
        return composed(areas, minutes, equipment, audience, seed, no_notes)
    if target is None:
        raise UsageError("name a session (see `voiceguide list`), or say what to work: --areas neck --minutes 10")
    return load_target(target, no_notes)


AUDIO_SUFFIXES = (".mp3", ".ogg", ".oga", ".opus", ".flac", ".wav", ".m4a")


@app.command()
@guarded
def play(
    target: Annotated[
        str | None,
        typer.Argument(
            metavar="[NAME|PATH|FILE.mp3]", help="A library name, a script file, today, or an exported file."
        ),
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
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help='After the equipment, wait until you press space (or say "voice guide, continue"); '
            "--no-wait keeps the fixed pause of an export.",
        ),
    ] = True,
    volume: Annotated[int, typer.Option("--volume", min=0, max=100, help="Volume, 0 to 100.")] = 100,
    device: Annotated[
        str,
        typer.Option("--output", help="The sound output: sounddevice (PortAudio, the default) or simpleaudio."),
    ] = "sounddevice",
    no_notes: NoNotesOpt = False,
    listen: Annotated[
        bool, typer.Option("--listen", help='Obey spoken commands: "voice guide pause", "voice guide next", ...')
    ] = False,
    echo_cancel: Annotated[
        bool,
        typer.Option(
            "--echo-cancel",
            help="Listen (as --listen) while the session speaks too, through PulseAudio's echo canceller.",
        ),
    ] = False,
    areas: AreasOpt = None,
    minutes: MinutesOpt = None,
    equipment: EquipmentOpt = None,
    audience: AudienceOpt = "self",
) -> None:
    """Play a session through the sound device, starting at once: a named one, or one composed
    for you with --areas and --minutes ("voiceguide play --areas neck,shoulders --minutes 10").

    Keys: space pause/resume, → or n next section, ← or p back, + and - volume, q quit, ? help.
    With --listen, spoken commands too: "voice guide" and pause, continue, next, back, repeat,
    louder, softer or quit. A session that needs equipment waits, once it has said what, until
    you press space (or say "voice guide, continue").
    """
    from voiceguide.player.backends import BACKENDS, open_output
    from voiceguide.player.output import Fill, Output, Tapped
    from voiceguide.player.system import favour_threads, load_in_background

    favour_threads()  # from here on: the first sound waits for this thread and those it starts
    if device in BACKENDS:
        load_in_background(device)
    from voiceguide.cli.notes import confirm_avoided
    from voiceguide.errors import UsageError
    from voiceguide.player.core import Player
    from voiceguide.player.mpris import Buttons
    from voiceguide.player.sources import FileSource, SessionSource, Source
    from voiceguide.player.terminal import run
    from voiceguide.practice.record import Recorder

    if device not in BACKENDS:
        raise UsageError(f"--output: choose {' or '.join(BACKENDS)}, not {device!r}")

    def output(fill: Fill) -> Output:  # opened with the first sound; no device is one clear line
        opened = open_output(device, fill, warn=lambda line: err(f"voiceguide: {line}"))
        if player.tap is not None and not isinstance(opened, Tapped):  # fell back: the canceller hears nothing
            err(f"voiceguide: {opened.name} cannot say when it plays what; listening only while the session is quiet")
        return opened

    source: Source
    session = None
    if target is not None and target.lower().endswith(AUDIO_SUFFIXES) and Path(target).is_file():
        source = FileSource(Path(target))
    else:
        session = chosen(target, areas, minutes, length, equipment, audience, seed, no_notes)
        confirm_avoided(session, no_notes)
        # The session waits only for someone who can tell it to go on: at a terminal, or heard.
        by_key, by_voice = sys.stdin.isatty() and sys.stdout.isatty(), listen or echo_cancel
        told = {(True, False): "keys", (False, True): "voice", (True, True): "both"}.get((by_key, by_voice))
        # Fitting lengths needs all the speech first; the bar shows that wait on a terminal.
        with ProgressBar(session.name) as bar:
            options = render_options(voice, pace, music, length, seed, guidance, music_level, cue_level, callouts)
            source = SessionSource(session, replace(options, wait=told if wait else None), progress=bar)
    # However play ends (q, an error, no device, Ctrl-C), the speech still being made stops
    # and its workers are gone before the command exits.
    with source.live.store if isinstance(source, SessionSource) else contextlib.nullcontext():
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
        named = Path(target).stem if target else ""
        recorder = Recorder.start(session, named, warn=err)  # the history; it never stops the sound
        echo = cancel_echo() if echo_cancel else None  # before the sound and the microphone open
        player = Player(source, output, volume=volume)
        commands: queue.Queue[str] = queue.Queue()
        listener = (
            start_listening(player, commands, echo is not None, tapped=device == "sounddevice")
            if listen or echo_cancel
            else None
        )
        buttons = Buttons.start(player, commands)  # media keys, headsets, playerctl: MPRIS on the session bus
        try:
            from voiceguide.cli import say

            run(
                player,
                interactive,
                voice=commands,
                listening=lambda: listener is not None and listener.running,
                plain=say.plain(),
            )
            said_dropouts(player.dropouts(), player.sr)
        finally:
            buttons.stop()
            if listener is not None:
                listener.stop()
            if echo is not None:
                echo.close()
            recorder.finish(heard(player))  # also after q and Ctrl-C


def said_dropouts(dropouts: list[int], sample_rate: int) -> None:
    """One line, once the session is over, if the device ran dry while it played: the
    listener heard a break in the sound, and here is where and why."""
    if not dropouts:
        return
    from voiceguide.units import format_clock

    times = sorted({format_clock(at / sample_rate) for at in dropouts})
    where = ", ".join(times[:-1]) + f" and {times[-1]}" if len(times) > 1 else times[0]
    count = "once" if len(dropouts) == 1 else f"{len(dropouts)} times"
    err(f"The sound broke up {count} (at {where}): the machine was too busy to keep the sound device fed.")


def heard(player: Any) -> Any:
    """What the player heard, as the history takes it."""
    from voiceguide.player.status import State
    from voiceguide.practice.record import heard_from

    status = player.status()
    ended = status.state is State.FINISHED
    return heard_from(
        player.played(), status.position, status.length, ended, player.quit_at is not None, player.skipped
    )
