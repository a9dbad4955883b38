"""`python -m bot doctor`: log in as `run` does, check what usually stops a bot from answering,
print a checklist, log out.

One line per check, ✔ or ✘; under each ✘ one line that says what to change. Exit 0 when
every check passes, 1 when one fails, 2 when the config file cannot be read.

The channel check asks discord.py what the bot may do there (`permissions_for` on the guild,
roles and overwrites the gateway sent), exactly as Discord computes it, and names what is
missing the way Discord's channel settings do. The token is never printed or logged.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord

from bot.config import Config
from bot.invite import CHANNEL_PERMISSIONS

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
CONNECT_TIMEOUT_SECONDS = 60.0
# discord.py waits this long after the last server arrives before it calls itself ready
GUILD_READY_SECONDS = 2.0
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


# ---------------------------------------------------------------- checks on a connected client


def check_intent(config: Config, flags: discord.ApplicationFlags) -> Check | None:
    """Answer channels need the privileged Message Content intent; None when none are configured."""
    if not config.discord.answer_channel_ids:
        return None
    name = "the Message Content intent is on (needed by answer_channel_ids)"
    if flags.gateway_message_content or flags.gateway_message_content_limited:
        return Check(name, True)
    return Check(
        name,
        False,
        fix="switch on Message Content Intent in the developer portal (Bot → Privileged Gateway Intents), or empty discord.answer_channel_ids",
    )


def check_guilds(client: discord.Client, config: Config) -> list[Check]:
    checks = []
    for guild_id in config.discord.guild_ids:
        guild = client.get_guild(guild_id)
        if guild is None:
            checks.append(
                Check(
                    f"the bot is a member of server {guild_id}",
                    False,
                    fix=f"invite it with the URL from {INVITE_HINT.format(config=_config_name(config))}, or correct discord.guild_ids",
                )
            )
        elif guild.unavailable:
            checks.append(Check(f"server {guild_id} is available", False, fix="Discord reports the server unavailable (an outage); try again later"))
        else:
            checks.append(Check(f"the bot is a member of server {guild.name} ({guild_id})", True))
    return checks


def _missing_permissions(permissions: discord.Permissions) -> list[str]:
    """The needed permissions the bot lacks. Without View Channel Discord denies every other
    one in the channel, and without Send Messages also Embed Links and Attach Files: only the
    cause is named (a second run shows anything still missing after it is fixed)."""
    missing = [attr for attr in CHANNEL_PERMISSIONS if not getattr(permissions, attr)]
    if "view_channel" in missing:
        return ["view_channel"]
    if "send_messages" in missing:
        missing = [attr for attr in missing if attr not in ("embed_links", "attach_files")]
    return missing


def _find_channel(client: discord.Client, channel_id: int) -> Any:
    channel = client.get_channel(channel_id)
    if channel is None:
        for guild in client.guilds:
            channel = guild.get_thread(channel_id)
            if channel is not None:
                break
    return channel


def _permission_fix(channel: Any, me: discord.Member, missing: list[str]) -> str:
    """Where each missing permission is taken away: a channel overwrite, or no role grants it.

    An @everyone overwrite that denies is usually on purpose (a read-only channel): the fix is an
    overwrite that allows it for the bot's role, which wins over @everyone's."""
    place = channel.parent if isinstance(channel, discord.Thread) and channel.parent is not None else channel
    overwrites = place.overwrites
    everyone = channel.guild.default_role
    bot_role = me.top_role.name if not me.top_role.is_default() else None
    applies = [everyone, *[r for r in me.roles if not r.is_default()], me]
    denied_by: dict[Any, list[str]] = {}
    by_roles: list[str] = []
    for attr in missing:
        deniers = [t for t in applies if t in overwrites and getattr(overwrites[t], attr) is False]
        for target in deniers:
            denied_by.setdefault(target, []).append(CHANNEL_PERMISSIONS[attr])
        if not deniers:
            by_roles.append(CHANNEL_PERMISSIONS[attr])
    settings = f"in #{place.name}'s settings (Edit Channel → Permissions"
    parts = []
    for target, names in denied_by.items():
        if target == everyone and bot_role is not None:
            parts.append(f"{settings}) add the bot's role {bot_role} and allow {', '.join(names)}: the @everyone overwrite denies it")
        else:
            entry = "@everyone" if target == everyone else f"role {target.name}" if isinstance(target, discord.Role) else "the bot's own entry"
            parts.append(f"{settings} → {entry}) allow {', '.join(names)}, which that overwrite denies")
    if by_roles:
        parts.append(
            f"grant {', '.join(by_roles)} to the bot's role {bot_role or '@everyone'} (Server Settings → Roles) or to the bot in #{place.name}'s permissions"
        )
    return "; ".join(parts)


def check_channels(client: discord.Client, config: Config) -> list[Check]:
    wanted = [(cid, "answer channel") for cid in config.discord.answer_channel_ids]
    if config.discord.mod_log_channel_id is not None:
        wanted.append((config.discord.mod_log_channel_id, "mod-log channel"))
    checks = []
    for channel_id, role in wanted:
        channel = _find_channel(client, channel_id)
        if channel is None or not hasattr(channel, "permissions_for"):
            checks.append(
                Check(
                    f"{role} {channel_id} exists",
                    False,
                    fix="no such channel in the servers the bot is in: copy its id again (Developer Mode → right-click the channel → Copy Channel ID), or invite the bot to its server",
                )
            )
            continue
        me = channel.guild.me
        label = f"{role} #{channel.name} ({channel_id}) in {channel.guild.name}"
        missing = _missing_permissions(channel.permissions_for(me))
        if not missing:
            checks.append(Check(f"{label}: the bot can read, send, embed, attach and react", True))
            continue
        names = ", ".join(CHANNEL_PERMISSIONS[attr] for attr in missing)
        checks.append(Check(f"{label}: the bot lacks {names}", False, fix=_permission_fix(channel, me, missing)))
    return checks


def check_roles(client: discord.Client, config: Config) -> list[Check]:
    checks = []
    for role_id in config.discord.moderator_role_ids:
        found = next(((guild, role) for guild in client.guilds if (role := guild.get_role(role_id)) is not None), None)
        if found is None:
            checks.append(
                Check(
                    f"moderator role {role_id} exists",
                    False,
                    fix="no such role in the servers the bot is in: copy its id again (Server Settings → Roles → ⋯ → Copy Role ID), or remove it from discord.moderator_role_ids",
                )
            )
        else:
            guild, role = found
            checks.append(Check(f"moderator role {role.name} ({role_id}) exists in {guild.name}", True))
    return checks


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
    return Check(f"{name} ({'; '.join(said)})", False, fix=SYNC_HINT.format(config=_config_name(config)))


async def check_commands(client: discord.Client, config: Config, defined: list[dict[str, Any]]) -> list[Check]:
    app_id = client.application_id
    assert app_id is not None  # set by login
    checks = []
    scopes: list[int | None] = list(config.discord.guild_ids) or [None]
    for guild_id in scopes:
        scope = f"in server {guild_id}" if guild_id is not None else "globally"
        try:
            if guild_id is None:
                registered = await client.http.get_global_commands(app_id)
            else:
                registered = await client.http.get_guild_commands(app_id, guild_id)
        except discord.Forbidden:
            checks.append(
                Check(
                    f"the application may read its slash commands {scope}",
                    False,
                    fix=f"invite the bot again with the URL from {INVITE_HINT.format(config=_config_name(config))} (scope applications.commands)",
                )
            )
            continue
        checks.append(compare_commands(scope, registered, defined, config))
    return checks


# ---------------------------------------------------------------- logging in


async def defined_commands(config: Config, service: Any) -> list[dict[str, Any]]:
    """The slash commands the bot defines now, as `sync` would send them (nothing connects)."""
    from bot.client import SurveyBot

    bot = SurveyBot(config, service)
    async with bot:
        for name in bot.extension_names:
            await bot.load_extension(name)
        return [command.to_dict(bot.tree) for command in bot.tree.get_commands()]


def _client(config: Config, intents: discord.Intents) -> discord.Client:
    shards = config.discord.shard_count
    if shards is None:
        return discord.Client(intents=intents, guild_ready_timeout=GUILD_READY_SECONDS)
    count = None if shards == "auto" else int(shards)
    return discord.AutoShardedClient(intents=intents, shard_count=count, guild_ready_timeout=GUILD_READY_SECONDS)


async def _until_ready(client: discord.Client, running: asyncio.Future[None]) -> str | None:
    """Wait until the connecting client is ready; the reason it failed, or None."""
    ready = asyncio.ensure_future(client.wait_until_ready())
    done, _ = await asyncio.wait({running, ready}, timeout=CONNECT_TIMEOUT_SECONDS, return_when=asyncio.FIRST_COMPLETED)
    if ready in done:
        return None
    ready.cancel()
    if running in done:
        exc = running.exception()
        if isinstance(exc, discord.PrivilegedIntentsRequired):
            return "Discord refused the Message Content intent: switch it on in the developer portal (Bot → Privileged Gateway Intents)"
        return f"the gateway closed the connection: {exc}" if exc else "the gateway closed the connection"
    return f"not ready after {CONNECT_TIMEOUT_SECONDS:.0f} s"


async def discord_checks(config: Config, token: str, defined: list[dict[str, Any]]) -> list[Check]:
    """Everything that needs Discord: the token, the intent flag, commands over HTTP; then a
    gateway connection with the bot's intents for servers, channels and roles."""
    from bot.client import build_intents

    checks: list[Check] = []
    http_client = discord.Client(intents=discord.Intents(guilds=True))  # HTTP only: no gateway, intents unused
    async with http_client:
        try:
            await http_client.login(token)
        except discord.LoginFailure:
            return [
                Check(
                    "Discord accepts the token in DISCORD_TOKEN",
                    False,
                    fix="copy the token again from the developer portal (Bot → Reset Token) into DISCORD_TOKEN",
                )
            ]
        user = http_client.user
        checks.append(Check(f"Discord accepts the token in DISCORD_TOKEN (bot {user}, application {http_client.application_id})", True))
        intent = check_intent(config, http_client.application_flags)
        if intent is not None:
            checks.append(intent)
        commands = await check_commands(http_client, config, defined)

    intents = build_intents(config)
    if intent is not None and not intent.ok:
        intents.message_content = False  # Discord would refuse the connection; check the rest without it
    client = _client(config, intents)
    async with client:
        await client.login(token)
        running = asyncio.ensure_future(client.connect(reconnect=False))
        try:
            problem = await _until_ready(client, running)
            if problem is not None:
                checks.append(Check("connected to Discord's gateway", False, fix=problem))
            else:
                shards = f", {client.shard_count} shards" if isinstance(client, discord.AutoShardedClient) else ""
                checks.append(Check(f"connected to Discord's gateway ({len(client.guilds)} server(s){shards})", True))
                checks += check_guilds(client, config)
                checks += check_channels(client, config)
                checks += check_roles(client, config)
        finally:
            await client.close()
            await asyncio.gather(running, return_exceptions=True)  # its outcome is reported above
    return checks + commands


def _config_name(config: Config) -> str:
    return str(config.source) if config.source is not None else "config.yaml"


# ---------------------------------------------------------------- the command


def cmd_doctor(args: argparse.Namespace) -> int:
    from bot.config import ConfigError, load_config, token_from_env
    from bot.logs import log_to_stderr
    from bot.service import KnowledgeService

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    checks = [Check(f"config {args.config} is valid", True)]
    service = KnowledgeService(config.knowledge.path, config.knowledge.limits, max_chars=config.chat.max_question_chars)
    loaded = service.reload()
    checks.append(check_knowledge(config.knowledge.path, loaded.problems, len(service.answerer.kb.facts) if loaded.ok else 0))
    checks.append(check_storage(config.storage.path))
    try:
        token = token_from_env().get_secret_value()
    except ConfigError as exc:
        checks.append(Check("a token is set in DISCORD_TOKEN", False, fix=str(exc)))
        token = ""
    if token:
        with log_to_stderr(logging.WARNING, secrets=(token,)):
            try:
                checks += asyncio.run(_all_discord_checks(config, service, token))
            except (TimeoutError, discord.HTTPException, discord.GatewayNotFound, OSError) as exc:
                checks.append(Check("Discord can be reached", False, fix=f"check the network connection to discord.com ({exc})"))
    for line in render_checklist(checks):
        _say(line)
    return exit_code(checks)


async def _all_discord_checks(config: Config, service: Any, token: str) -> list[Check]:
    return await discord_checks(config, token, await defined_commands(config, service))


def _say(text: str) -> None:
    try:
        sys.stdout.write(text + "\n")
    except UnicodeEncodeError:  # a console that cannot show ✔ and ✘
        sys.stdout.write(text.replace("✔", "OK").replace("✘", "X ").encode("ascii", "replace").decode() + "\n")
    sys.stdout.flush()
