"""Output, errors and exit codes shared by every command.

A command prints its results with `say`, problems a person must act on with `error` (one line on
standard error, starting "error: "), and returns one of the exit codes below. `run` calls a
command so that nothing it raises reaches the user as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TextIO

EXIT_OK = 0  # done
EXIT_PROBLEMS = 1  # ran, and found problems (knowledge files, failed checks, missing data)
EXIT_USAGE = 2  # could not start: bad arguments, config or token
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report it


def say(text: str = "", stream: TextIO | None = None) -> None:
    """Write one line; characters the stream cannot encode are replaced rather than raising."""
    stream = stream or sys.stdout
    try:
        stream.write(text + "\n")
    except UnicodeEncodeError:
        encoding = stream.encoding or "utf-8"
        stream.write(text.encode(encoding, "replace").decode(encoding) + "\n")
    stream.flush()


def warn(text: str) -> None:
    """A line on standard error as it is (validator messages, notes)."""
    say(text, sys.stderr)


def error(text: str) -> None:
    """One line on standard error naming a problem: `error: ...`."""
    say(f"error: {text}", sys.stderr)


def run(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command and return its exit code; Ctrl-C, a closed pipe and an unexpected
    exception each end in an exit code (and for the last, one line), never a traceback."""
    try:
        return int(command(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK  # the reader went away (`| head`): nothing left to say
    except Exception as exc:  # noqa: BLE001 - the last line of defence for a command-line user
        error(f"unexpected {type(exc).__name__}: {exc} (this is a bug; please report it with the command you ran)")
        return EXIT_PROBLEMS
