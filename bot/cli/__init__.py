"""python -m bot: every command of the command line is registered here, and only here.

Each `Command` names the subcommand, its one-line help, its arguments and the function that runs
it. The functions live in one module per group (core, charts, discord_bot, moderation); each takes
the parsed arguments and returns an exit code from `bot.cli.output`, which also prints for them.
Adding a command: write its function in its group's module, then add one `Command` to COMMANDS
(and a row to the README's command table: tests/test_docs.py compares the two).

Group modules import what they need when their command runs, so `python -m bot ask` does not
load Discord, matplotlib or the settings models.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.cli import charts, core, discord_bot, moderation, output, privacy
from bot.knowledge.model import LANGS

DESCRIPTION = "Answers questions about Japan's My Number health insurance cards, with sourced figures."


@dataclass(frozen=True)
class Arg:
    """One argparse argument: the flags or name, and `add_argument`'s keyword options."""

    flags: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)


def arg(*flags: str, **options: Any) -> Arg:
    return Arg(flags, options)


@dataclass(frozen=True)
class Command:
    name: str
    run: Callable[[argparse.Namespace], int]
    help: str
    args: tuple[Arg, ...] = ()
    description: str | None = None  # longer text for `COMMAND --help`; the help line when None


KNOWLEDGE = arg("--knowledge", type=Path, default=None, metavar="DIR", help="knowledge folder (default: the project's knowledge/)")
LANG = arg("--lang", choices=LANGS, default="en")
BOT_CONFIG = arg(
    "--config", type=Path, required=True, metavar="FILE", help="settings file (start from config.example.yaml); the token comes from DISCORD_TOKEN"
)
STORAGE_CONFIG = arg("--config", type=Path, required=True, metavar="FILE", help="the bot's config file (its storage.path is read)")

COMMANDS: tuple[Command, ...] = (
    # ---- core: answering, and checking the knowledge files
    Command(
        "ask",
        core.ask,
        "answer a question (or one per line from standard input)",
        (
            arg("question", nargs="*", help="the question; omit to read questions from standard input"),
            arg("--json", action="store_true", help="one JSON object per reply"),
            KNOWLEDGE,
        ),
    ),
    Command("chat", core.chat, "an interactive console", (KNOWLEDGE,)),
    Command(
        "validate",
        core.validate,
        "check knowledge files; exit 1 if there is a problem",
        (arg("paths", nargs="*", help="files or folders (default: the project's knowledge/)"),),
    ),
    Command(
        "schema",
        core.schema,
        "print the JSON Schema of knowledge files (for editors), or write it",
        (arg("-o", "--output", type=Path, default=None, metavar="FILE", help="write it to FILE instead (knowledge/schema.json is the committed copy)"),),
    ),
    Command("topics", core.topics, "list what the bot knows, by topic", (LANG, KNOWLEDGE)),
    Command("sources", core.sources, "list every source", (LANG, KNOWLEDGE)),
    Command("fact", core.fact, "show one fact with all its figures", (arg("fact_id"), LANG, KNOWLEDGE)),
    Command(
        "check-questions",
        core.check_questions,
        "show which fact each question in FILE gets; exit 1 if one marked '=> fact-id' gets another",
        (
            arg(
                "file",
                metavar="FILE",
                help="one question per line ('question => fact-id' to expect a fact, '=> -' to expect no answer), or a YAML list",
            ),
            KNOWLEDGE,
            arg("--strict", action="store_true", help="use the stricter thresholds of unprompted chat answers"),
        ),
    ),
    # ---- charts
    Command(
        "chart",
        charts.chart,
        "write a chart of survey results or a dated series as a PNG image",
        (
            arg("name", nargs="?", metavar="TOPIC_OR_FACT", help="chart key, fact id or topic id"),
            arg("-o", "--output", type=Path, metavar="PATH", help="the PNG file to write (with --all: the folder)"),
            arg("--all", action="store_true", help="write every chart into the folder given by -o"),
            arg("--list", action="store_true", help="list the charts and exit"),
            arg("--lang", choices=charts.LANGS, default=None, help="label language (default: en; with --all, both)"),
            KNOWLEDGE,
        ),
        description="Write a chart as a PNG image. NAME is a chart key (see --list), a fact id or a topic id.",
    ),
    # ---- the Discord bot
    Command(
        "run",
        discord_bot.run,
        "start the Discord bot (needs DISCORD_TOKEN)",
        (
            BOT_CONFIG,
            arg("--verbose", action="store_true", help="debug logging (the token is never logged)"),
            arg("--log-format", choices=("text", "json"), default="text", help="json: one JSON object per line, a line per reply"),
        ),
    ),
    Command("sync", discord_bot.sync, "register the slash commands with Discord: in guild_ids instantly, else globally", (BOT_CONFIG,)),
    Command("doctor", discord_bot.doctor, "log in, check intents, permissions, roles and commands; print what to fix (exit 1 if anything)", (BOT_CONFIG,)),
    Command(
        "invite",
        discord_bot.invite,
        "print the URL that adds the bot to a server with the scopes and permissions it needs",
        (arg("--config", type=Path, default=None, metavar="FILE", help="settings file: adds a URL with each of its guild_ids preselected"),),
    ),
    # ---- moderators: what the running bot recorded
    Command(
        "misses",
        moderation.misses,
        "list questions the bot did not answer, near-duplicates grouped",
        (
            STORAGE_CONFIG,
            arg("--days", type=moderation.positive_days, default=7.0, metavar="N", help="look back N days (default 7)"),
            arg(
                "--format",
                choices=("table", "csv", "yaml"),
                default="table",
                help="yaml: additions ready to paste into knowledge/added_questions.yaml",
            ),
            arg("--limit", type=int, default=0, metavar="N", help="show only the N most asked"),
        ),
    ),
    Command(
        "stats",
        moderation.stats,
        "per fact: asked, answered, suggested, votes; overall answer rates",
        (STORAGE_CONFIG, arg("--days", type=moderation.positive_days, default=None, metavar="N", help="only the last N days (default: everything kept)")),
    ),
    Command(
        "audit",
        moderation.audit,
        "print the moderators' audit log, newest first",
        (
            STORAGE_CONFIG,
            arg("--days", type=moderation.positive_days, default=None, metavar="N", help="only the last N days"),
            arg("--limit", type=int, default=50, metavar="N", help="at most N entries (default 50)"),
        ),
    ),
    # ---- privacy: a person's data deleted on their request
    Command(
        "forget",
        privacy.forget,
        "delete the unanswered questions and votes kept about one user (audited without the id)",
        (
            arg("user_id", type=privacy.user_id, metavar="USER_ID", help="the person's Discord user id"),
            STORAGE_CONFIG,
            arg("--dry-run", action="store_true", help="show what would be deleted, delete nothing"),
        ),
    ),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description=DESCRIPTION, epilog="The benchmarks are scripts in bench/, not commands: python bench/scale.py."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        p = sub.add_parser(command.name, help=command.help, description=command.description or command.help)
        for a in command.args:
            p.add_argument(*a.flags, **a.options)
        p.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return output.EXIT_USAGE
    return output.run(args.run, args)
