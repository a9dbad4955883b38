"""`python -m bot doctor` and `invite` against the stand-in: the real discord.py client logs in
over HTTP, connects to the gateway, and doctor reads what the servers, roles and channel
overwrites allow the bot, exactly as Discord would compute it."""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest

import bot.run
from bot.__main__ import main
from bot.knowledge import default_knowledge_path
from tests.support.standin_servers import GATEWAY_MESSAGE_CONTENT, Channel, Overwrite, Role, ServersStandIn, make_server

GUILD = 900_000_000_000_004_000
ANSWERS, MOD_LOG, NEWS = 900_000_000_000_004_010, 900_000_000_000_004_011, 900_000_000_000_004_012
MOD_ROLE = 900_000_000_000_004_020
ABSENT = 900_000_000_000_009_999  # no server, channel or role has this id

EVERYONE = discord.Permissions(view_channel=True, read_message_history=True, add_reactions=True).value
BOT_ROLE = discord.Permissions(
    view_channel=True, send_messages=True, send_messages_in_threads=True, embed_links=True, attach_files=True, read_message_history=True, add_reactions=True
).value
DENY_SEND = discord.Permissions(send_messages=True).value


def server(news_overwrites: tuple[Overwrite, ...] = (), *, bot_role: int = BOT_ROLE) -> object:
    channels = [Channel(ANSWERS, "ask-here"), Channel(MOD_LOG, "mod-log"), Channel(NEWS, "news", news_overwrites)]
    return make_server(GUILD, "Survey fans", channels, everyone=EVERYONE, bot_role=bot_role, extra_roles=(Role(MOD_ROLE, "Moderators", EVERYONE, position=2),))


def write_config(
    tmp_path: Path, *, guilds: tuple[int, ...] = (GUILD,), answers: tuple[int, ...] = (ANSWERS, NEWS), roles: tuple[int, ...] = (MOD_ROLE,)
) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        "discord:\n"
        f"  guild_ids: [{', '.join(map(str, guilds))}]\n"
        f"  answer_channel_ids: [{', '.join(map(str, answers))}]\n"
        f"  mod_log_channel_id: {MOD_LOG}\n"
        f"  moderator_role_ids: [{', '.join(map(str, roles))}]\n"
        f"knowledge:\n  path: {default_knowledge_path()}\n"
        f"storage:\n  path: {tmp_path / 'data' / 'bot.sqlite3'}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(autouse=True)
def quick_ready(monkeypatch) -> None:
    monkeypatch.setattr(bot.run, "GUILD_READY_SECONDS", 0.05)  # the stand-in sends every server at once


@pytest.fixture
async def stand_in(request) -> AsyncIterator[ServersStandIn]:
    options = getattr(request, "param", {})
    s = ServersStandIn(
        servers=[options.get("server") or server()], application_flags=options.get("flags", GATEWAY_MESSAGE_CONTENT), application_id=900_000_000_000_004_777
    )
    await s.start()
    try:
        with s.patch_discord():
            yield s
    finally:
        await s.stop()


async def cli(stand_in: ServersStandIn | None, args: list[str], capsys, monkeypatch, token: str | None = None) -> tuple[int, str, str]:
    """The command line in a worker thread (it runs its own event loop), the stand-in in this one."""
    monkeypatch.setenv("DISCORD_TOKEN", token or (stand_in.token if stand_in else "MTIz.unused"))
    code = await asyncio.to_thread(main, args)
    out, err = capsys.readouterr()
    if stand_in is not None:
        assert stand_in.token not in out + err
    assert "Traceback" not in out + err
    return code, out, err


def failed(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("✘")]


def fix_after(out: str, needle: str) -> str:
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("✘") and needle in line)
    return next(line for line in lines[at + 1 :] if line.strip().startswith("fix:"))


async def sync(stand_in: ServersStandIn, config: Path, capsys, monkeypatch) -> None:
    code, _, _ = await cli(stand_in, ["sync", "--config", str(config)], capsys, monkeypatch)
    assert code == 0


# ---------------------------------------------------------------- doctor


async def test_everything_in_order_after_sync(stand_in: ServersStandIn, tmp_path: Path, capsys, monkeypatch) -> None:
    config = write_config(tmp_path)
    await sync(stand_in, config, capsys, monkeypatch)
    code, out, _ = await cli(stand_in, ["doctor", "--config", str(config)], capsys, monkeypatch)
    assert code == 0, out
    assert failed(out) == []
    for expected in (
        "Discord accepts the token",
        "Message Content intent is on",
        f"member of server Survey fans ({GUILD})",
        f"answer channel #ask-here ({ANSWERS})",
        f"mod-log channel #mod-log ({MOD_LOG})",
        f"moderator role Moderators ({MOD_ROLE})",
        f"slash commands registered in server {GUILD} match the bot's 8",
        "is writable",
    ):
        assert any(line.startswith("✔") and expected in line for line in out.splitlines()), (expected, out)
    assert stand_in.identify is not None and stand_in.identify["intents"] & (1 << 15)  # the bot's own intents, message content included


async def test_commands_never_synced(stand_in: ServersStandIn, tmp_path: Path, capsys, monkeypatch) -> None:
    code, out, _ = await cli(stand_in, ["doctor", "--config", str(write_config(tmp_path))], capsys, monkeypatch)
    assert code == 1
    [line] = failed(out)
    assert f"in server {GUILD}" in line and "not registered: /about, /ask, /chart, /fact, /kb, /privacy, /sources, /topics" in line
    assert "run `python -m bot sync" in fix_after(out, "slash commands")


async def test_commands_synced_with_other_options(stand_in: ServersStandIn, tmp_path: Path, capsys, monkeypatch) -> None:
    config = write_config(tmp_path)
    await sync(stand_in, config, capsys, monkeypatch)
    ask = next(c for c in stand_in.commands[str(GUILD)] if c["name"] == "ask")
    ask["options"] = [o for o in ask["options"] if o["name"] != "private"]  # as an older version registered it
    code, out, _ = await cli(stand_in, ["doctor", "--config", str(config)], capsys, monkeypatch)
    assert code == 1
    [line] = failed(out)
    assert "options differ: /ask" in line
    assert "python -m bot sync" in fix_after(out, "options differ")


@pytest.mark.parametrize("stand_in", [{"server": server((Overwrite(GUILD, deny=DENY_SEND),))}], indirect=True)
async def test_an_overwrite_that_denies_send_messages(stand_in: ServersStandIn, tmp_path: Path, capsys, monkeypatch) -> None:
    config = write_config(tmp_path)
    await sync(stand_in, config, capsys, monkeypatch)
    code, out, _ = await cli(stand_in, ["doctor", "--config", str(config)], capsys, monkeypatch)
    assert code == 1
    [line] = failed(out)
    # named by name and id; only the cause: Discord also drops Embed Links and Attach Files without it
    assert line == f"✘ answer channel #news ({NEWS}) in Survey fans: the bot lacks Send Messages"
    fix = fix_after(out, "#news")
    assert "(Edit Channel → Permissions) add the bot's role SurveyBot and allow Send Messages: the @everyone overwrite denies it" in fix


NO_ATTACH = BOT_ROLE & ~discord.Permissions(attach_files=True).value


@pytest.mark.parametrize(
    ("overwrites", "bot_role", "lacking", "fix"),
    [
        # a role overwrite's allow beats the @everyone deny, as in Discord
        ((Overwrite(GUILD, deny=DENY_SEND), Overwrite(GUILD + 1, allow=DENY_SEND)), BOT_ROLE, None, None),
        # the bot's own (member) overwrite beats its roles
        (
            (Overwrite(900_000_000_000_000_001, kind=1, deny=discord.Permissions(add_reactions=True, embed_links=True).value),),
            BOT_ROLE,
            "Embed Links, Add Reactions",
            "(Edit Channel → Permissions → the bot's own entry) allow Embed Links, Add Reactions, which that overwrite denies",
        ),
        # Administrator implies everything, overwrites notwithstanding
        ((Overwrite(GUILD, deny=DENY_SEND),), discord.Permissions(administrator=True).value, None, None),
        # no View Channel: only that is named, the rest follows from it
        (
            (Overwrite(GUILD + 1, deny=discord.Permissions(view_channel=True).value),),
            BOT_ROLE,
            "View Channel",
            "(Edit Channel → Permissions → role SurveyBot) allow View Channel, which that overwrite denies",
        ),
        # no overwrite at all: no role grants it
        ((), NO_ATTACH, "Attach Files", "grant Attach Files to the bot's role SurveyBot (Server Settings → Roles)"),
    ],
)
async def test_permissions_as_discord_computes_them(tmp_path: Path, capsys, monkeypatch, overwrites, bot_role, lacking, fix) -> None:
    s = ServersStandIn(servers=[server(overwrites, bot_role=bot_role)])
    await s.start()
    try:
        with s.patch_discord():
            config = write_config(tmp_path)
            await sync(s, config, capsys, monkeypatch)
            code, out, _ = await cli(s, ["doctor", "--config", str(config)], capsys, monkeypatch)
    finally:
        await s.stop()
    news = next(line for line in out.splitlines() if f"#news ({NEWS})" in line)
    if lacking is None:
        assert code == 0 and news.startswith("✔"), out
    else:
        assert code == 1 and news.endswith(f"the bot lacks {lacking}"), out
        assert fix in fix_after(out, f"#news ({NEWS})")


@pytest.mark.parametrize("stand_in", [{"flags": 0}], indirect=True)
async def test_message_content_intent_off_with_answer_channels(stand_in: ServersStandIn, tmp_path: Path, capsys, monkeypatch) -> None:
    config = write_config(tmp_path)
    await sync(stand_in, config, capsys, monkeypatch)
    code, out, _ = await cli(stand_in, ["doctor", "--config", str(config)], capsys, monkeypatch)
    assert code == 1
    [line] = failed(out)
    assert "Message Content intent" in line
    assert "Privileged Gateway Intents" in fix_after(out, "Message Content")
    # the other checks still ran: doctor connected without the refused intent
    assert stand_in.refused_intents == 0 and f"✔ answer channel #ask-here ({ANSWERS}) in Survey fans" in out


@pytest.mark.parametrize("stand_in", [{"flags": 0}], indirect=True)
async def test_no_answer_channels_no_intent_needed(stand_in: ServersStandIn, tmp_path: Path, capsys, monkeypatch) -> None:
    config = write_config(tmp_path, answers=())
    await sync(stand_in, config, capsys, monkeypatch)
    code, out, _ = await cli(stand_in, ["doctor", "--config", str(config)], capsys, monkeypatch)
    assert code == 0, out
    assert "Message Content" not in out


async def test_a_server_the_bot_is_not_in_and_a_missing_role(stand_in: ServersStandIn, tmp_path: Path, capsys, monkeypatch) -> None:
    config = write_config(tmp_path, guilds=(GUILD, ABSENT), roles=(MOD_ROLE, ABSENT))
    (tmp_path / "one").mkdir()
    await sync(stand_in, write_config(tmp_path / "one", guilds=(GUILD,)), capsys, monkeypatch)
    code, out, _ = await cli(stand_in, ["doctor", "--config", str(config)], capsys, monkeypatch)
    assert code == 1
    assert failed(out) == [
        f"✘ the bot is a member of server {ABSENT}",
        f"✘ moderator role {ABSENT} exists",
        f"✘ the application may read its slash commands in server {ABSENT}",
    ]
    assert "python -m bot invite" in fix_after(out, f"server {ABSENT}")
    assert "moderator_role_ids" in fix_after(out, f"role {ABSENT}")


async def test_a_channel_that_does_not_exist(stand_in: ServersStandIn, tmp_path: Path, capsys, monkeypatch) -> None:
    config = write_config(tmp_path, answers=(ANSWERS, ABSENT))
    await sync(stand_in, config, capsys, monkeypatch)
    code, out, _ = await cli(stand_in, ["doctor", "--config", str(config)], capsys, monkeypatch)
    assert code == 1
    assert failed(out) == [f"✘ answer channel {ABSENT} exists"]
    assert "Copy Channel ID" in fix_after(out, str(ABSENT))


async def test_a_rejected_token(stand_in: ServersStandIn, tmp_path: Path, capsys, monkeypatch) -> None:
    secret = "MTIz.a-wrong-token-never-to-be-printed"
    code, out, err = await cli(stand_in, ["doctor", "--config", str(write_config(tmp_path))], capsys, monkeypatch, token=secret)
    assert code == 1
    assert failed(out) == ["✘ Discord accepts the token in DISCORD_TOKEN"]
    assert "Reset Token" in fix_after(out, "token")
    assert secret not in out + err


async def test_broken_knowledge_and_unwritable_storage(stand_in: ServersStandIn, tmp_path: Path, capsys, monkeypatch) -> None:
    broken = tmp_path / "kb"
    broken.mkdir()
    (broken / "facts.yaml").write_text("facts: [\n", encoding="utf-8")
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(f"knowledge:\n  path: {broken}\nstorage:\n  path: {tmp_path / 'a-file' / 'bot.sqlite3'}\n", encoding="utf-8")
    code, out, _ = await cli(stand_in, ["doctor", "--config", str(config)], capsys, monkeypatch)
    assert code == 1
    lines = failed(out)
    assert lines[0].startswith(f"✘ knowledge folder {broken}: 1 problem(s)") and "facts.yaml" in out
    assert lines[1] == f"✘ storage {tmp_path / 'a-file' / 'bot.sqlite3'} is writable"


async def test_missing_token_is_a_failed_check(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    code = await asyncio.to_thread(main, ["doctor", "--config", str(write_config(tmp_path))])
    out = capsys.readouterr().out
    assert code == 1 and failed(out) == ["✘ a token is set in DISCORD_TOKEN"]


@pytest.mark.parametrize("text", [None, "discord:\n  guild_ids: [1, 2\n", "chat:\n  user_cooldown_secs: 5\n", "discord:\n  shard_count: many\n"])
def test_an_unreadable_config_exits_2(tmp_path: Path, capsys, monkeypatch, text: str | None) -> None:
    path = tmp_path / "config.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("DISCORD_TOKEN", "MTIz.secret")
    assert main(["doctor", "--config", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith("error: ") and "config.yaml" in err
    assert "MTIz.secret" not in err


# ---------------------------------------------------------------- invite


async def test_invite_url(stand_in: ServersStandIn, tmp_path: Path, capsys, monkeypatch) -> None:
    code, out, _ = await cli(stand_in, ["invite", "--config", str(write_config(tmp_path))], capsys, monkeypatch)
    assert code == 0
    first, preselected = out.strip().splitlines()
    url = urllib.parse.urlsplit(first)
    query = urllib.parse.parse_qs(url.query)
    assert (url.scheme, url.netloc, url.path) == ("https", "discord.com", "/oauth2/authorize")
    assert query["client_id"] == [str(stand_in.application_id)] and stand_in.application_id != stand_in.bot_id
    assert query["scope"] == ["bot applications.commands"]
    wanted = discord.Permissions(
        view_channel=True, send_messages=True, send_messages_in_threads=True, embed_links=True, attach_files=True, read_message_history=True, add_reactions=True
    )
    assert query["permissions"] == [str(wanted.value)]
    assert preselected.startswith(f"server {GUILD} preselected: ") and f"guild_id={GUILD}" in preselected


async def test_invite_without_config_and_with_a_rejected_token(stand_in: ServersStandIn, capsys, monkeypatch) -> None:
    code, out, _ = await cli(stand_in, ["invite"], capsys, monkeypatch)
    assert code == 0 and len(out.strip().splitlines()) == 1 and f"client_id={stand_in.application_id}" in out
    code, out, err = await cli(stand_in, ["invite"], capsys, monkeypatch, token="MTIz.wrong")
    assert code == 2 and out == "" and "rejected the token" in err and "MTIz.wrong" not in err


async def test_doctor_connects_as_many_shards_as_configured(tmp_path: Path, capsys, monkeypatch) -> None:
    other = GUILD + (1 << 22)  # on the other shard of two
    servers = [server(), make_server(other, "Second", [Channel(other + 10, "general")], everyone=EVERYONE, bot_role=BOT_ROLE)]
    s = ServersStandIn(servers=servers)
    await s.start()
    try:
        with s.patch_discord():
            config = write_config(tmp_path, guilds=(GUILD, other))
            config.write_text(config.read_text(encoding="utf-8").replace("discord:\n", "discord:\n  shard_count: 2\n"), encoding="utf-8")
            await sync(s, config, capsys, monkeypatch)
            code, out, _ = await cli(s, ["doctor", "--config", str(config)], capsys, monkeypatch)
    finally:
        await s.stop()
    assert code == 0, out
    assert "✔ connected to Discord's gateway (2 server(s), 2 shards)" in out
    assert f"✔ the bot is a member of server Second ({other})" in out
    assert sorted(s.shard_identifies) == [0, 1]
