"""`python -m bot run` and `python -m bot sync`: the Discord front end from the command line.

Thin: read the config and the token, load the knowledge base, hand over to `bot.client`.
Every expected problem (missing token, missing or malformed config, unknown key, bad
knowledge files, a token Discord rejects) ends in one line on stderr and an exit code,
never a traceback. The token is read from DISCORD_TOKEN only and never printed or logged.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys
from pathlib import Path
from typing import Any

from bot.config import Config, ConfigError, load_config, token_from_env
from bot.logs import LOG_FORMATS, log_to_stderr

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _error(text: str) -> None:
    sys.stderr.write(f"error: {text}\n")
    sys.stderr.flush()


def _prepare(args: argparse.Namespace) -> tuple[Config, str, Any] | int:
    """Config, token and a loaded knowledge service, or an exit code after saying why."""
    try:
        config = load_config(args.config)
        token = token_from_env()
    except ConfigError as exc:
        _error(str(exc))
        return EXIT_USAGE
    from bot.service import KnowledgeService

    service = KnowledgeService(config.knowledge.path, config.knowledge.limits, max_chars=config.chat.max_question_chars)
    result = service.reload()
    if not result.ok:
        for problem in result.problems:
            sys.stderr.write(f"{problem}\n")
        _error(f"{len(result.problems)} problem(s) in the knowledge files in {config.knowledge.path}; not starting")
        return EXIT_PROBLEMS
    return config, token, service


def cmd_run(args: argparse.Namespace) -> int:
    prepared = _prepare(args)
    if isinstance(prepared, int):
        return prepared
    config, token, service = prepared
    from bot.client import StartError, make_bot, run_bot
    from bot.storage import Storage

    with log_to_stderr(logging.DEBUG if args.verbose else logging.INFO, args.log_format, secrets=(token,)):
        logging.getLogger(__name__).info("knowledge version %s: %d facts", service.answerer.kb.version, len(service.answerer.kb.facts))
        # the database and the knowledge watcher only for the running bot, not for `sync`
        bot = make_bot(config, service, storage=Storage.from_settings(config.storage), watch_knowledge=config.knowledge.watch)
        try:
            asyncio.run(run_bot(bot, token))
        except StartError as exc:
            _error(str(exc))
            return exc.exit_code
    return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    prepared = _prepare(args)
    if isinstance(prepared, int):
        return prepared
    config, token, service = prepared
    from bot.client import StartError, SurveyBot, sync_once

    with log_to_stderr(logging.WARNING, secrets=(token,)):
        try:
            lines = asyncio.run(sync_once(SurveyBot(config, service), token))
        except StartError as exc:
            _error(str(exc))
            return exc.exit_code
    for line in lines:
        print(line)
    return EXIT_OK


def add_commands(sub: Any) -> None:
    def config_opt(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--config", type=Path, required=True, metavar="FILE", help="settings file (start from config.example.yaml); the token comes from DISCORD_TOKEN"
        )

    p = sub.add_parser("run", help="start the Discord bot (needs DISCORD_TOKEN)")
    config_opt(p)
    p.add_argument("--verbose", action="store_true", help="debug logging (the token is never logged)")
    p.add_argument("--log-format", choices=LOG_FORMATS, default="text", help="json: one JSON object per line, a line per reply")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("sync", help="register the slash commands with Discord: in guild_ids instantly, else globally")
    config_opt(p)
    p.set_defaults(func=cmd_sync)

    # issue 15: doctor and invite live in their own modules, imported when run (they import discord)
    def later(module: str, name: str) -> Any:
        return lambda args: getattr(importlib.import_module(module), name)(args)

    p = sub.add_parser("doctor", help="log in, check intents, permissions, roles and commands; print what to fix (exit 1 if anything)")
    config_opt(p)
    p.set_defaults(func=later("bot.doctor", "cmd_doctor"))

    p = sub.add_parser("invite", help="print the URL that adds the bot to a server with the scopes and permissions it needs")
    p.add_argument("--config", type=Path, default=None, metavar="FILE", help="settings file: adds a URL with each of its guild_ids preselected")
    p.set_defaults(func=later("bot.invite", "cmd_invite"))
