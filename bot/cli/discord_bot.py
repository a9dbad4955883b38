"""`python -m bot run` and `python -m bot sync`: the Discord front end from the command line.

Thin: read the config and the token, load the knowledge base, hand over to `bot.client`.
Every expected problem (missing token, missing or malformed config, unknown key, bad
knowledge files, a token Discord rejects) ends in one line on stderr and an exit code,
never a traceback. The token is read from DISCORD_TOKEN only and never printed or logged.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import TYPE_CHECKING, Any

from bot.cli.output import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, error, say, warn
from bot.logs import log_to_stderr

if TYPE_CHECKING:
    from pydantic import SecretStr

    from bot.config import Config


def _prepare(args: argparse.Namespace) -> tuple[Config, SecretStr, Any] | int:
    """Config, token and a loaded knowledge service, or an exit code after saying why."""
    from bot.config import ConfigError, load_config, token_from_env

    try:
        config = load_config(args.config)
        token = token_from_env()
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    from bot.service import KnowledgeService

    service = KnowledgeService(config.knowledge.path, config.knowledge.limits, max_chars=config.chat.max_question_chars)
    result = service.reload()
    if not result.ok:
        for problem in result.problems:
            warn(str(problem))
        error(f"{len(result.problems)} problem(s) in the knowledge files in {config.knowledge.path}; not starting")
        return EXIT_PROBLEMS
    return config, token, service


def run(args: argparse.Namespace) -> int:
    prepared = _prepare(args)
    if isinstance(prepared, int):
        return prepared
    config, token, service = prepared
    from bot.client import StartError, make_bot, run_bot
    from bot.storage import Storage

    with log_to_stderr(logging.DEBUG if args.verbose else logging.INFO, args.log_format, secrets=(token.get_secret_value(),)):
        logging.getLogger(__name__).info("knowledge version %s: %d facts", service.answerer.kb.version, len(service.answerer.kb.facts))
        # the database and the knowledge watcher only for the running bot, not for `sync`
        bot = make_bot(config, service, storage=Storage.from_settings(config.storage), watch_knowledge=config.knowledge.watch)
        try:
            asyncio.run(run_bot(bot, token.get_secret_value()))
        except StartError as exc:
            error(str(exc))
            return exc.exit_code
    return EXIT_OK


def sync(args: argparse.Namespace) -> int:
    prepared = _prepare(args)
    if isinstance(prepared, int):
        return prepared
    config, token, service = prepared
    from bot.client import StartError, SurveyBot, sync_once

    with log_to_stderr(logging.WARNING, secrets=(token.get_secret_value(),)):
        try:
            lines = asyncio.run(sync_once(SurveyBot(config, service), token.get_secret_value()))
        except StartError as exc:
            error(str(exc))
            return exc.exit_code
    for line in lines:
        say(line)
    return EXIT_OK


def doctor(args: argparse.Namespace) -> int:
    from bot.doctor import cmd_doctor

    return cmd_doctor(args)


def invite(args: argparse.Namespace) -> int:
    from bot.invite import cmd_invite

    return cmd_invite(args)
