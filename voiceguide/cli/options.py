"""Options and helpers shared by the command families."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

VoiceOpt = Annotated[
    str | None,
    typer.Option(
        "--voice",
        help="natural (Piper, the default), system, system:ID, piper:PATH (a Piper voice: PATH.onnx with "
        "PATH.onnx.json), or the name of a voice in your voices folder; see `voiceguide voices`.",
    ),
]
PaceOpt = Annotated[str, typer.Option("--pace", help="Speaking pace: slow, normal (calm, the default) or fast.")]
MusicOpt = Annotated[
    str | None,
    typer.Option("--music", help="warm, waves, bowls, none, or a music file (mp3, ogg, flac, wav)."),
]
LengthOpt = Annotated[
    str | None, typer.Option("--length", help="Fit the session to this length (e.g. 10m) within its ranges.")
]
SeedOpt = Annotated[
    int,
    typer.Option("--seed", help="Seed for the generated music (and the choice, with --areas); same seed, same sound."),
]
AreasOpt = Annotated[
    str | None,
    typer.Option("--areas", help="Compose a session for these areas, such as neck,shoulders (with --minutes)."),
]
MinutesOpt = Annotated[
    float | None, typer.Option("--minutes", min=1, max=240, help="How long the composed session lasts, in minutes.")
]
EquipmentOpt = Annotated[
    str | None,
    typer.Option(
        "--equipment",
        help='Equipment at hand for a composed session, such as "tennis ball,yoga mat" (default: your plan\'s).',
    ),
]
AudienceOpt = Annotated[
    str, typer.Option("--for", help="Who a composed session is for: self (the default) or partner (a massage to give).")
]
GuidanceOpt = Annotated[
    str,
    typer.Option("--guidance", help="full (the default) or brief: only what someone who knows the technique needs."),
]
MusicLevelOpt = Annotated[
    float,
    typer.Option(
        "--music-level", min=-30, max=6, metavar="DB", help="The music's level in dB, -30 to +6 (0: the usual mix)."
    ),
]
CueLevelOpt = Annotated[
    float,
    typer.Option(
        "--cue-level", min=-30, max=6, metavar="DB", help="The chimes, ticks and breathing sounds, in dB, -30 to +6."
    ),
]
CalloutsOpt = Annotated[
    bool,
    typer.Option(
        "--callouts/--no-callouts",
        help='Say "Halfway." and "Thirty seconds left." in long holds, and the strokes left in stroke work.',
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace files that exist already.")]
NoNotesOpt = Annotated[
    bool, typer.Option("--no-notes", help="Leave out the therapist's notes (and do not ask about avoided techniques).")
]


def render_options(
    voice: str | None,
    pace: str,
    music: str | None,
    length: str | None,
    seed: int,
    guidance: str = "full",
    music_level: float = 0.0,
    cue_level: float = 0.0,
    callouts: bool = False,
) -> Any:
    from voiceguide.errors import UsageError
    from voiceguide.render import RenderOptions
    from voiceguide.steps import GUIDANCE
    from voiceguide.units import parse_duration

    if guidance not in GUIDANCE:
        raise UsageError(f"--guidance: choose one of {', '.join(GUIDANCE)}, not {guidance!r}")
    seconds = None
    if length is not None:
        try:
            seconds = parse_duration(length)
        except ValueError as exc:
            raise UsageError(f"--length: {exc}") from None
    return RenderOptions(
        voice=voice,
        pace=pace,
        music=music,
        length=seconds,
        seed=seed,
        guidance=guidance,
        music_level=music_level,
        cue_level=cue_level,
        callouts=callouts,
    )


class ProgressBar:
    """A progress bar on stderr when it is a terminal; silent otherwise. In plain output, a line
    at every tenth instead (``childs-pose: speaking 40%``), nothing redrawn."""

    def __init__(self, label: str, shared: Any = None) -> None:
        from voiceguide.cli import say

        self.label = label
        self.progress: Any = shared
        self.owner = shared is None
        self.tasks: dict[str, Any] = {}
        self.plain = say.plain()
        self.said: dict[str, int] = {}
        if self.owner and sys.stderr.isatty() and not self.plain:
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

    def __enter__(self) -> ProgressBar:
        if self.progress and self.owner:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress and self.owner:
            self.progress.stop()

    def __call__(self, stage: str, done: int, total: int) -> None:
        words = {"speech": "speaking", "mix": "mixing"}
        if self.plain:
            from voiceguide.cli import say

            tenth = 10 * done // total if total else 10
            if tenth > self.said.get(stage, -1):
                self.said[stage] = tenth
                say.line(f"{self.label}: {words.get(stage, stage)} {tenth * 10}%", err=True)
            return
        if not self.progress:
            return
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(f"{self.label}: {words.get(stage, stage)}", total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)
