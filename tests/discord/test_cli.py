"""`python -m bot run` and `sync`: one clear line and an exit code for every expected problem."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.knowledge import default_knowledge_path
from tests.support.discord_standin import DiscordStandIn, ThreadedStandIn

ROOT = Path(__file__).resolve().parents[2]
SECRET = "MTIz.secret-token-that-must-never-be-printed"


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(args: list[str], env_token: str | None) -> subprocess.CompletedProcess[str]:
    """The real entry point in a fresh process, as an operator runs it."""
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    if env_token is not None:
        env["DISCORD_TOKEN"] = env_token
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def assert_one_clear_line(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in proc.stderr + proc.stdout
    assert SECRET not in proc.stderr + proc.stdout
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize("command", ["run", "sync"])
def test_missing_config_file(tmp_path: Path, command: str) -> None:
    proc = run_cli([command, "--config", str(tmp_path / "absent.yaml")], SECRET)
    assert_one_clear_line(proc, "absent.yaml", "not found")


@pytest.mark.parametrize("command", ["run", "sync"])
def test_malformed_config_file(tmp_path: Path, command: str) -> None:
    path = write_config(tmp_path, "discord:\n  guild_ids: [1, 2\n")
    proc = run_cli([command, "--config", str(path)], SECRET)
    assert_one_clear_line(proc, "config.yaml")


def test_unknown_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, "chat:\n  user_cooldown_secs: 5\n")
    proc = run_cli(["run", "--config", str(path)], SECRET)
    assert_one_clear_line(proc, "user_cooldown_secs")


@pytest.mark.parametrize("token", [None, "", "   "])
def test_missing_token(tmp_path: Path, token: str | None) -> None:
    path = write_config(tmp_path, "chat:\n  user_cooldown_seconds: 5\n")
    proc = run_cli(["run", "--config", str(path)], token)
    assert_one_clear_line(proc, "DISCORD_TOKEN")


def test_broken_knowledge_files_stop_the_start(tmp_path: Path, capsys, monkeypatch) -> None:
    broken = tmp_path / "kb"
    broken.mkdir()
    (broken / "facts.yaml").write_text("facts: [\n", encoding="utf-8")
    path = write_config(tmp_path, f"knowledge:\n  path: {broken}\n")
    monkeypatch.setenv("DISCORD_TOKEN", SECRET)
    assert main(["run", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert "facts.yaml" in err and "not starting" in err and "Traceback" not in err


def test_config_reaches_the_bot(tmp_path: Path, monkeypatch) -> None:
    import argparse

    from bot.cli.discord_bot import _prepare

    path = write_config(tmp_path, f"chat:\n  max_question_chars: 60\nknowledge:\n  path: {default_knowledge_path()}\n")
    monkeypatch.setenv("DISCORD_TOKEN", SECRET)
    prepared = _prepare(argparse.Namespace(config=path))
    assert not isinstance(prepared, int)
    config, token, service = prepared
    assert token.get_secret_value() == SECRET and SECRET not in repr(token) + str(token)
    assert config.chat.max_question_chars == 60
    reply = service.answerer.ask("How many digits does the My Number have? I would really like to know.")
    assert reply.kind == "decline" and reply.reason == "too_long"


# ---------------------------------------------------------------- against the stand-in


@pytest.fixture
def threaded():
    """A stand-in in its own thread: the CLI runs its own event loop with asyncio.run."""
    threaded = ThreadedStandIn()
    stand_in = threaded.start()
    try:
        with stand_in.patch_discord():
            yield threaded
    finally:
        threaded.stop()


@pytest.fixture
def threaded_stand_in(threaded: ThreadedStandIn) -> DiscordStandIn:
    assert threaded.stand_in is not None
    return threaded.stand_in


def test_sync_registers_the_commands_in_the_configured_guild(tmp_path: Path, threaded_stand_in: DiscordStandIn, capsys, monkeypatch) -> None:
    guild = threaded_stand_in.guild_id
    path = write_config(tmp_path, f"discord:\n  guild_ids: [{guild}]\nknowledge:\n  path: {default_knowledge_path()}\n")
    monkeypatch.setenv("DISCORD_TOKEN", threaded_stand_in.token)
    assert main(["sync", "--config", str(path)]) == 0
    out = capsys.readouterr()
    assert f"guild {guild}: 8 command(s) synced" in out.out
    puts = [c for c in threaded_stand_in.calls if c.method == "PUT"]
    assert [c.path for c in puts] == [f"/applications/{threaded_stand_in.application_id}/guilds/{guild}/commands"]
    assert sorted(c["name"] for c in puts[0].json) == ["about", "ask", "chart", "fact", "kb", "privacy", "sources", "topics"]
    assert threaded_stand_in.identify is None  # sync never opens the gateway
    assert threaded_stand_in.token not in out.out + out.err


def test_sync_globally_without_guilds(tmp_path: Path, threaded_stand_in: DiscordStandIn, capsys, monkeypatch) -> None:
    path = write_config(tmp_path, f"knowledge:\n  path: {default_knowledge_path()}\n")
    monkeypatch.setenv("DISCORD_TOKEN", threaded_stand_in.token)
    assert main(["sync", "--config", str(path)]) == 0
    assert "global: 8 command(s) synced" in capsys.readouterr().out
    assert [c.path for c in threaded_stand_in.calls if c.method == "PUT"] == [f"/applications/{threaded_stand_in.application_id}/commands"]


@pytest.mark.parametrize("command", ["run", "sync"])
def test_a_rejected_token_is_one_line(tmp_path: Path, threaded_stand_in: DiscordStandIn, capsys, monkeypatch, command: str) -> None:
    path = write_config(tmp_path, f"knowledge:\n  path: {default_knowledge_path()}\n")
    monkeypatch.setenv("DISCORD_TOKEN", SECRET)  # not the stand-in's token: 401
    assert main([command, "--config", str(path)]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "rejected the token" in lines[0]
    assert "Traceback" not in err and SECRET not in err


def test_run_connects_answers_and_stops_on_a_closed_session(tmp_path: Path, threaded: ThreadedStandIn, monkeypatch, capsys) -> None:
    """`run` end to end: the CLI's own start-up path reaches READY and answers a mention."""
    stand_in = threaded.stand_in
    assert stand_in is not None
    path = write_config(tmp_path, f"chat:\n  user_cooldown_seconds: 0\nknowledge:\n  path: {default_knowledge_path()}\n")
    monkeypatch.setenv("DISCORD_TOKEN", stand_in.token)
    outcome: list[int] = []
    runner = threading.Thread(target=lambda: outcome.append(main(["run", "--config", str(path)])), daemon=True)
    runner.start()

    async def ask(s: DiscordStandIn) -> dict:
        await s.wait_ready(timeout=20)
        sent = await s.send_message(s.channel_ids[0], s.user(5, "eve"), f"<@{s.bot_id}> How many digits does the My Number have?", mention_bot=True)
        call = await s.wait_for_call(lambda c: c.replies_to == sent["id"], timeout=10)
        await s.drop_gateway(code=4004)  # "authentication failed": discord.py gives up instead of reconnecting
        return call.embeds[0]

    embed = threaded.run(ask, timeout=40)
    assert "12" in embed["title"]
    runner.join(20)
    assert outcome == [2]  # reported as a rejected token, in one line
    err = capsys.readouterr().err
    assert "has connected to Gateway" in err  # the log went to stderr...
    assert stand_in.token not in err  # ...without the token
    assert err.strip().splitlines()[-1].startswith("error: Discord rejected the token")


_LAUNCH_AGAINST_STAND_IN = """
import sys
from tests.support.discord_standin import point_discord_at
point_discord_at(sys.argv[1], sys.argv[2])
from bot.__main__ import main
sys.exit(main(["run", "--config", sys.argv[3]]))
"""


def test_sigterm_logs_out_cleanly(tmp_path: Path, threaded: ThreadedStandIn) -> None:
    """As `docker stop` does: the bot closes its session and exits 0 instead of dying."""
    import signal

    stand_in = threaded.stand_in
    assert stand_in is not None
    path = write_config(tmp_path, f"knowledge:\n  path: {default_knowledge_path()}\n")
    env = {**os.environ, "DISCORD_TOKEN": stand_in.token}
    proc = subprocess.Popen(
        [sys.executable, "-c", _LAUNCH_AGAINST_STAND_IN, stand_in.api_base, stand_in.gateway_url, str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        threaded.run(lambda s: s.wait_ready(30), timeout=40)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and stand_in.token not in err
