"""The command-line commands that talk to Discord: run the bot, sync its slash commands, the
doctor's live checks, the invite URL.

bot/cli/discord_bot.py reads the arguments, the config, the token and the knowledge files (none
of which needs discord.py) and hands over to the functions here, which log in. Every expected
problem ends in one line on stderr and an exit code, or for the doctor in a failed check with its
fix; never a traceback. The token is never printed, and the log handler masks it.

The invite URL's permission integer is computed from `discord.Permissions` with exactly the
permissions the bot uses in a channel (`CHANNEL_PERMISSIONS`), so the URL and the doctor's channel
check can never disagree. The channel check asks discord.py what the bot may do there
(`permissions_for` on the guild, roles and overwrites the gateway sent), exactly as Discord
computes it, and names what is missing the way Discord's channel settings do.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import discord

from bot.cli.output import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, error, say
from bot.doctor import INVITE_HINT, Check, compare_commands, config_name
from bot.logs import log_to_stderr

if TYPE_CHECKING:
    from pydantic import SecretStr

    from bot.config import Config
    from bot.service import KnowledgeService

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 60.0
# discord.py waits this long after the last server arrives before it calls itself ready
GUILD_READY_SECONDS = 2.0


# ---------------------------------------------------------------- run and sync


def start(config: Config, token: SecretStr, service: KnowledgeService, *, verbose: bool, log_format: str) -> int:
    """`python -m bot run`: log in and answer until stopped, with the database and, if the config
    asks for it, the knowledge watcher."""
    from bot.client import StartError, make_bot, run_bot
    from bot.storage import Storage

    with log_to_stderr(logging.DEBUG if verbose else logging.INFO, log_format, secrets=(token.get_secret_value(),)):
        log.info("knowledge version %s: %d facts", service.answerer.kb.version, len(service.answerer.kb.facts))
        # the database and the knowledge watcher only for the running bot, not for `sync`
        bot = make_bot(config, service, storage=Storage.from_settings(config.storage), watch_knowledge=config.knowledge.watch)
        try:
            asyncio.run(run_bot(bot, token.get_secret_value()))
        except StartError as exc:
            error(str(exc))
            return exc.exit_code
    return EXIT_OK


def sync(config: Config, token: SecretStr, service: KnowledgeService) -> int:
    """`python -m bot sync`: register the slash commands over HTTP, and say what was synced."""
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


# ---------------------------------------------------------------- the invite URL


SCOPES = ("bot", "applications.commands")

# What the bot needs in every channel it answers or reports in, with the name Discord's channel
# settings show for it: reading the channel and its history (replies quote the question),
# sending (also in threads), embeds (every answer), files (charts), reactions (⏳ during a cooldown).
CHANNEL_PERMISSIONS: dict[str, str] = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "embed_links": "Embed Links",
    "attach_files": "Attach Files",
    "read_message_history": "Read Message History",
    "add_reactions": "Add Reactions",
}


def invite_permissions() -> discord.Permissions:
    return discord.Permissions(**dict.fromkeys(CHANNEL_PERMISSIONS, True))


def invite_url(client_id: int, guild_id: int | None = None) -> str:
    """The authorisation URL; with `guild_id` that server is preselected."""
    if guild_id is None:
        return discord.utils.oauth_url(client_id, permissions=invite_permissions(), scopes=SCOPES)
    return discord.utils.oauth_url(client_id, permissions=invite_permissions(), scopes=SCOPES, guild=discord.Object(guild_id))


async def application_id_of(token: str) -> int:
    """The id of the token's application (its client id), by logging in over HTTP only."""
    client = discord.Client(intents=discord.Intents(guilds=True))  # HTTP only: no gateway, intents unused
    async with client:
        await client.login(token)
        assert client.application_id is not None  # login reads the application
        return client.application_id


def print_invite(token: SecretStr, guild_ids: Iterable[int]) -> int:
    """`python -m bot invite`: the invite URL, and one per server in `guild_ids` with it
    preselected. Exit 2 when Discord rejects the token, 1 when it cannot be reached."""
    with log_to_stderr(logging.WARNING, secrets=(token.get_secret_value(),)):
        try:
            client_id = asyncio.run(application_id_of(token.get_secret_value()))
        except discord.LoginFailure:
            error("Discord rejected the token in DISCORD_TOKEN; copy it again from the developer portal (Bot > Reset Token)")
            return EXIT_USAGE
        except (TimeoutError, discord.HTTPException, OSError) as exc:
            error(f"could not reach Discord to read the application's id: {exc}")
            return EXIT_PROBLEMS
    say(invite_url(client_id))
    for guild_id in guild_ids:
        say(f"server {guild_id} preselected: {invite_url(client_id, guild_id)}")
    return EXIT_OK


# ---------------------------------------------------------------- the doctor's live checks


def live_checks(config: Config, service: KnowledgeService, token: SecretStr) -> list[Check]:
    """`python -m bot doctor`'s checks that log in to Discord; a failed check when Discord
    cannot be reached."""
    secret = token.get_secret_value()
    with log_to_stderr(logging.WARNING, secrets=(secret,)):
        try:
            return asyncio.run(_all_discord_checks(config, service, secret))
        except (TimeoutError, discord.HTTPException, discord.GatewayNotFound, OSError) as exc:
            return [Check("Discord can be reached", False, fix=f"check the network connection to discord.com ({exc})")]


async def _all_discord_checks(config: Config, service: KnowledgeService, token: str) -> list[Check]:
    return await discord_checks(config, token, await defined_commands(config, service))


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
                    fix=f"invite it with the URL from {INVITE_HINT.format(config=config_name(config))}, or correct discord.guild_ids",
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
                    fix=f"invite the bot again with the URL from {INVITE_HINT.format(config=config_name(config))} (scope applications.commands)",
                )
            )
            continue
        checks.append(compare_commands(scope, registered, defined, config))
    return checks


async def defined_commands(config: Config, service: KnowledgeService) -> list[dict[str, Any]]:
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
