"""`python -m bot doctor`'s checklist, and the checks that need no Discord.

One line per check, ✔ or ✘; under each ✘ one line that says what to change. Exit 0 when
every check passes, 1 when one fails, 2 when the config file cannot be read.

Here: the `Check` record, the checklist's rendering and exit code, and the checks made without
connecting: the config, the knowledge files, the storage path, the token's presence, and the
comparison of the slash commands Discord holds with the ones the bot defines. The checks that
log in to Discord (the token, the intent, servers, channel permissions, roles, the registered
commands) are in bot/run.py; `bot.cli.discord_bot.doctor` runs both. Nothing here imports discord.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import SecretStr

    from bot.config import Config
    from bot.service import KnowledgeService

EXIT_OK, EXIT_PROBLEMS = 0, 1
SYNC_HINT = "run `python -m bot sync --config {config}`"
INVITE_HINT = "`python -m bot invite --config {config}`"


@dataclass(frozen=True)
class Check:
    """One line of the checklist. `fix` says what to change when `ok` is false; `details`
    are lines shown above it (the validator's messages, for instance)."""

    name: str
    ok: bool
    fix: str = ""
    details: tuple[str, ...] = ()


def render_checklist(checks: Iterable[Check]) -> list[str]:
    lines = []
    for check in checks:
        lines.append(f"{'✔' if check.ok else '✘'} {check.name}")
        if not check.ok:
            lines.extend(f"    {detail}" for detail in check.details)
            if check.fix:
                lines.append(f"    fix: {check.fix}")
    return lines


def exit_code(checks: Iterable[Check]) -> int:
    return EXIT_OK if all(check.ok for check in checks) else EXIT_PROBLEMS


# ---------------------------------------------------------------- checks without Discord


def check_knowledge(path: Path, problems: Sequence[object], facts: int) -> Check:
    if not problems:
        return Check(f"knowledge folder {path}: {facts} facts, all valid", True)
    return Check(
        f"knowledge folder {path}: {len(problems)} problem(s)",
        False,
        fix=f"correct the files named above (`python -m bot validate {path}` lists the same problems)",
        details=tuple(str(p) for p in problems),
    )


def check_storage(path: Path) -> Check:
    """The database file (and the folder, where SQLite keeps its -wal and -shm files beside it)
    can be written; a missing folder must be creatable, as the bot creates it on start."""
    name = f"storage {path} is writable"
    if path.is_dir():
        return Check(name, False, fix=f"storage.path is a folder; give a file path such as {path / 'bot.sqlite3'}")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        if path.exists():
            with open(path, "r+b"):
                pass
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return Check(name, False, fix=f"let the user running the bot write to {folder} ({exc.strerror or exc}), or set storage.path to a writable place")
    return Check(name, True)


# ---------------------------------------------------------------- slash commands, as data


def _options_shape(options: Iterable[dict[str, Any]] | None) -> tuple:
    return tuple(
        sorted(
            (str(o.get("name")), int(o.get("type", 3)), bool(o.get("required", False)), bool(o.get("autocomplete", False)), _options_shape(o.get("options")))
            for o in options or ()
        )
    )


def command_shapes(payloads: Iterable[dict[str, Any]]) -> dict[str, tuple]:
    """Each command by name: its type and options (names, types, required, nested), for comparison."""
    return {str(p["name"]): (int(p.get("type", 1)), _options_shape(p.get("options"))) for p in payloads}


def compare_commands(scope: str, registered: Iterable[dict[str, Any]], defined: Iterable[dict[str, Any]], config: Config) -> Check:
    have, want = command_shapes(registered), command_shapes(defined)
    absent = sorted(set(want) - set(have))
    changed = sorted(name for name in set(want) & set(have) if want[name] != have[name])
    extra = sorted(set(have) - set(want))
    name = f"slash commands registered {scope} match the bot's {len(want)}"
    if not (absent or changed or extra):
        return Check(name, True)
    said = []
    if absent:
        said.append("not registered: " + ", ".join("/" + n for n in absent))
    if changed:
        said.append("options differ: " + ", ".join("/" + n for n in changed))
    if extra:
        said.append("no longer defined: " + ", ".join("/" + n for n in extra))
    return Check(f"{name} ({'; '.join(said)})", False, fix=SYNC_HINT.format(config=config_name(config)))


# ---------------------------------------------------------------- the command's checks without Discord


def local_checks(config_path: Path, config: Config) -> tuple[list[Check], KnowledgeService, SecretStr | None]:
    """The checks made without Discord, the loaded knowledge service, and the token from
    DISCORD_TOKEN (None when it is missing, and a failed check says so)."""
    from bot.config import ConfigError, token_from_env
    from bot.service import KnowledgeService

    checks = [Check(f"config {config_path} is valid", True)]
    service = KnowledgeService(config.knowledge.path, config.knowledge.limits, max_chars=config.chat.max_question_chars)
    loaded = service.reload()
    checks.append(check_knowledge(config.knowledge.path, loaded.problems, len(service.answerer.kb.facts) if loaded.ok else 0))
    checks.append(check_storage(config.storage.path))
    try:
        token = token_from_env()
    except ConfigError as exc:
        checks.append(Check("a token is set in DISCORD_TOKEN", False, fix=str(exc)))
        return checks, service, None
    return checks, service, token


def config_name(config: Config) -> str:
    """The config file as the fixes name it in the commands they suggest."""
    return str(config.source) if config.source is not None else "config.yaml"


def print_checklist(checks: Iterable[Check]) -> None:
    for line in render_checklist(checks):
        _say(line)


def _say(text: str) -> None:
    try:
        sys.stdout.write(text + "\n")
    except UnicodeEncodeError:  # a console that cannot show ✔ and ✘
        sys.stdout.write(text.replace("✔", "OK").replace("✘", "X ").encode("ascii", "replace").decode() + "\n")
    sys.stdout.flush()
