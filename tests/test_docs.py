"""The README's command table and the command line agree: every command the parser knows is in
the table, and every command the table names exists."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from bot.cli import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"


def _table_commands(text: str) -> set[str]:
    """Command names in the first column of the table under '### The command line'.

    A cell names one or more commands: `python -m bot NAME ...`, then `/ NAME2` / `NAME3 ARG` after it.
    """
    section = text.split("### The command line", 1)[1].split("\n#", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cell = line.split("|")[1]
        spans = re.findall(r"`([^`]+)`", cell)
        first = spans[0].split()
        assert first[:3] == ["python", "-m", "bot"], line
        names.add(first[3])
        names.update(span.split()[0] for span in spans[1:])
    return names


def _parser_commands() -> set[str]:
    parser = build_parser()
    (subcommands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(subcommands.choices)


def test_every_command_is_in_the_readme_table() -> None:
    missing = _parser_commands() - _table_commands(README.read_text(encoding="utf-8"))
    assert not missing, f"commands missing from the README's command table: {sorted(missing)}"


def test_every_command_in_the_readme_table_exists() -> None:
    unknown = _table_commands(README.read_text(encoding="utf-8")) - _parser_commands()
    assert not unknown, f"the README's command table names commands the parser does not have: {sorted(unknown)}"


def test_the_table_reader_finds_each_kind_of_cell() -> None:
    # guards the reader itself: a table it misread would make both tests above pass vacuously
    text = '### The command line\n\n| Command | What |\n|---|---|\n| `python -m bot ask "Q"` | x |\n| `python -m bot topics` / `sources` / `fact ID` | y |\n\n## Next\n| `python -m bot nope` | z |\n'
    assert _table_commands(text) == {"ask", "topics", "sources", "fact"}
    assert {"ask", "chat", "validate", "run", "sync", "misses", "chart", "check-questions"} <= _table_commands(README.read_text(encoding="utf-8"))
