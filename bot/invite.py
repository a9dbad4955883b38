"""`python -m bot invite`: the OAuth2 URL that adds this bot to a server with what it needs.

The permission integer is computed from `discord.Permissions` with exactly the permissions
the bot uses in a channel (`CHANNEL_PERMISSIONS`), so the URL and `doctor`'s channel check
can never disagree. The client id is the id of the token's application, read by logging in
over HTTP (no gateway connection).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import discord

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


def cmd_invite(args: argparse.Namespace) -> int:
    """Print the invite URL (and one per configured server, preselected). Exit 2 on a config or token problem."""
    from bot.config import ConfigError, load_config, token_from_env
    from bot.logs import log_to_stderr

    guild_ids: tuple[int, ...] = ()
    try:
        if args.config is not None:
            guild_ids = load_config(args.config).discord.guild_ids
        token = token_from_env().get_secret_value()
    except ConfigError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    with log_to_stderr(logging.WARNING, secrets=(token,)):
        try:
            client_id = asyncio.run(application_id_of(token))
        except discord.LoginFailure:
            sys.stderr.write("error: Discord rejected the token in DISCORD_TOKEN; copy it again from the developer portal (Bot > Reset Token)\n")
            return 2
        except (TimeoutError, discord.HTTPException, OSError) as exc:
            sys.stderr.write(f"error: could not reach Discord to read the application's id: {exc}\n")
            return 1
    print(invite_url(client_id))
    for guild_id in guild_ids:
        print(f"server {guild_id} preselected: {invite_url(client_id, guild_id)}")
    return 0
