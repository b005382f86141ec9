"""The ``gisplan`` command line.

Each sub-command lives in its own module under :mod:`gisplan.commands` with two functions:
``add_parser(subparsers)`` and ``run(args) -> int``. The CLI holds no analysis: it parses
arguments, calls the package and prints. Errors in user input, and paths that cannot be read or
written, are printed as one clear line (``错误 / error: ...``) with exit status 2, never as a
traceback, and never with a password or a terminal escape sequence in it.  SIGTERM stops a
command as Ctrl-C does (outputs are left as they were, no temporary files; exit status 143).
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Sequence

from gisplan import __version__
from gisplan.errors import GisplanError
from gisplan.safetext import redact_credentials, terminal_text

#: Sub-command modules, in the order ``gisplan --help`` lists them.
COMMANDS = [
    "analyze",
    "prepare",
    "import_poi",
    "fetch",
    "site",
    "closure",
    "scenario",
    "user",
    "app",
]


def build_parser() -> argparse.ArgumentParser:
    """The ``gisplan`` argument parser with one sub-command per module of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="gisplan",
        description="宁波十五分钟便民生活圈与商圈规划工具 — Ningbo 15-minute convenience circles and business districts",
    )
    parser.add_argument("--version", action="version", version=f"gisplan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"gisplan.commands.{name}")
        except ModuleNotFoundError as exc:  # a command whose module is not present
            if exc.name == f"gisplan.commands.{name}":
                continue
            raise
        p = module.add_parser(sub)
        p.set_defaults(_run=module.run)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every ``finally`` and temporary-file cleanup runs."""

    signum = signal.SIGTERM


def _raise_terminated(signum, _frame) -> None:
    raise Terminated()


def _terminate_like_ctrl_c():
    """Make SIGTERM interrupt a command the way Ctrl-C does (main thread only).

    Returns the previous handler (None when not on the main thread) for :func:`main` to
    restore, so calling ``main()`` from Python leaves the caller's handler as it was.
    """
    import threading

    if threading.current_thread() is threading.main_thread():
        return signal.signal(signal.SIGTERM, _raise_terminated)
    return None


def one_line(message: object) -> str:
    """An error message as the CLI prints it: one line, no password, no terminal escapes."""
    text = " ".join(str(message).split())
    return terminal_text(redact_credentials(text))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; the exit status (2 with a one-line message for bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 1
    previous = _terminate_like_ctrl_c()
    try:
        return int(args._run(args) or 0)
    except GisplanError as exc:
        print(f"错误 / error: {one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path that cannot be read or written (output folder, disk full)
        where = f"{exc.filename}: " if exc.filename else ""
        print(
            f"错误 / error: {one_line(f'{where}{exc.strerror or exc}')} — check the path, its "
            "permissions and free space",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        print(f"中断 / interrupted ({signal.Signals(signum).name})", file=sys.stderr)
        return 128 + int(signum)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
