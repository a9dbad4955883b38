"""`python -m bot run` and `python -m bot sync`: the Discord front end from the command line.

Thin: read the config and the token, load the knowledge base, hand over to `bot.client`.
Every expected problem (missing token, missing or malformed config, unknown key, bad
knowledge files, a token Discord rejects) ends in one line on stderr and an exit code,
never a traceback. The token is read from DISCORD_TOKEN only and never printed or logged.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from bot.cli.output import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, error, say, warn

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


@contextlib.contextmanager
def _log_to_stderr(level: int) -> Iterator[None]:
    """Log records to stderr while the bot runs; removed afterwards, so `main` can be called
    again (tests do) without stacking handlers on a stream that has gone away."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("{asctime} {levelname:<8} {name}: {message}", "%Y-%m-%d %H:%M:%S", style="{"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def run(args: argparse.Namespace) -> int:
    prepared = _prepare(args)
    if isinstance(prepared, int):
        return prepared
    config, token, service = prepared
    from bot.client import StartError, SurveyBot, run_bot
    from bot.storage import Storage

    with _log_to_stderr(logging.DEBUG if args.verbose else logging.INFO):
        logging.getLogger(__name__).info("knowledge version %s: %d facts", service.answerer.kb.version, len(service.answerer.kb.facts))
        # the database and the knowledge watcher only for the running bot, not for `sync`
        bot = SurveyBot(config, service, storage=Storage.from_settings(config.storage), watch_knowledge=config.knowledge.watch)
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

    with _log_to_stderr(logging.WARNING):
        try:
            lines = asyncio.run(sync_once(SurveyBot(config, service), token.get_secret_value()))
        except StartError as exc:
            error(str(exc))
            return exc.exit_code
    for line in lines:
        say(line)
    return EXIT_OK
