"""`python -m bot run`, `sync`, `doctor` and `invite`: the Discord front end from the command line.

Thin: read the config and the token, load the knowledge base, then hand over to bot/run.py, the
only part of these commands that imports discord.py (lazily, so `python -m bot ask` never loads
it). Every expected problem (missing token, missing or malformed config, unknown key, bad
knowledge files, a token Discord rejects) ends in one line on stderr and an exit code, never a
traceback. The token is read from DISCORD_TOKEN only and never printed or logged.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.cli.output import EXIT_PROBLEMS, EXIT_USAGE, error, warn

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
    from bot.run import start

    config, token, service = prepared
    return start(config, token, service, verbose=args.verbose, log_format=args.log_format)


def sync(args: argparse.Namespace) -> int:
    prepared = _prepare(args)
    if isinstance(prepared, int):
        return prepared
    from bot.run import sync as sync_commands

    return sync_commands(*prepared)


def doctor(args: argparse.Namespace) -> int:
    """The checks that need no Discord, then, with a token, those that log in; one checklist."""
    from bot.config import ConfigError, load_config
    from bot.doctor import exit_code, local_checks, print_checklist

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    checks, service, token = local_checks(args.config, config)
    if token is not None:
        from bot.run import live_checks

        checks += live_checks(config, service, token)
    print_checklist(checks)
    return exit_code(checks)


def invite(args: argparse.Namespace) -> int:
    """The invite URL (and one per configured server, preselected). Exit 2 on a config or token problem."""
    from bot.config import ConfigError, load_config, token_from_env

    guild_ids: tuple[int, ...] = ()
    try:
        if args.config is not None:
            guild_ids = load_config(args.config).discord.guild_ids
        token = token_from_env()
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    from bot.run import print_invite

    return print_invite(token, guild_ids)
