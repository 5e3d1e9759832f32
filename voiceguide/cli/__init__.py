"""The command line: the only package that touches argv, the terminal and exit codes.

One module per command family: ``library`` (list, show, validate, schema, voices), ``audio``
(render, export, play), ``compose`` (a session built on the spot), ``serve`` and ``practice``
(plan, today, with ``log`` and ``notes``), ``config`` (the settings file);
``say`` is the one writer they print through;
``options`` holds what they share.

Exit codes: 0 success, 1 failure of the environment or a run, 2 bad input, 130 Ctrl-C.
They are mapped in one place, ``guarded``.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from voiceguide import __version__
from voiceguide.errors import ScriptError, VoiceguideError
from voiceguide.settings import ConfigError

app = typer.Typer(
    name="voiceguide",
    help="Turn self-care technique scripts into calm, voice-guided audio sessions.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: a screen reader reads no boxes, and rich's markdown is not imported
)

_state = {"debug": False}
F = TypeVar("F", bound=Callable[..., Any])


def err(message: str) -> None:
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
        except ConfigError as exc:  # already path:line: message
            err(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except ScriptError as exc:
            for problem in exc.problems:
                err(str(problem))
            raise typer.Exit(exc.exit_code) from None
        except VoiceguideError as exc:
            err(f"voiceguide: {exc}")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err("voiceguide: interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:  # the reader has all it wanted: stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except OSError as exc:  # the machine's doing (a full disk, a lost device): one line, exit 1
            where = f": {exc.filename}" if exc.filename else ""
            err(f"voiceguide: {exc.strerror or exc}{where}")
            raise typer.Exit(1) from None
        except Exception as exc:  # a bug: say so plainly, with the details behind --debug
            if _state["debug"]:
                traceback.print_exc()
            err(f"voiceguide: internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        print(f"voiceguide {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for internal errors.")] = False,
    plain: Annotated[
        bool | None,
        typer.Option(
            "--plain/--no-plain",
            envvar="VOICEGUIDE_PLAIN",
            show_envvar=False,
            help="Output for a screen reader: one line per event, labels, nothing redrawn, no colour"
            " (also VOICEGUIDE_PLAIN=1, TERM=dumb, or plain = true in the settings).",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Turn self-care technique scripts into calm, voice-guided audio sessions.

    Start with `voiceguide list`, then `voiceguide play childs-pose`.
    """
    _state["debug"] = debug
    from voiceguide.cli.config import load

    try:
        load(ctx, plain)
    except ConfigError as exc:  # a damaged settings file: one line, and no command runs on a guess
        err(str(exc))
        if "--help" in sys.argv[1:]:
            return  # help runs nothing, and helps to mend the file
        raise typer.Exit(exc.exit_code) from None


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds like Ctrl-C: temporary files are removed on the way out


def main() -> None:
    # A shell starts background jobs with SIGINT ignored, and Python then never raises
    # KeyboardInterrupt; voiceguide always wants Ctrl-C to stop it cleanly (exit 130).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminated)
    app(prog_name="voiceguide")


# The command families register themselves on ``app`` when imported.
# isort: off
from voiceguide.cli import library  # noqa: E402,F401  (first: its commands lead the help)
from voiceguide.cli import audio  # noqa: E402,F401
from voiceguide.cli import compose  # noqa: E402,F401
from voiceguide.cli import serve  # noqa: E402,F401
from voiceguide.cli import practice  # noqa: E402,F401
from voiceguide.cli import listen  # noqa: E402,F401
from voiceguide.cli import config  # noqa: E402,F401
# isort: on
