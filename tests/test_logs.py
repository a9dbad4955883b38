"""`--log-format json`: one JSON object per line, a line per reply, never the token or a user."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

from bot.__main__ import main
from bot.knowledge import default_knowledge_path
from bot.logs import REDACTED, REPLIES_LOGGER, log_to_stderr
from tests.support.discord_standin import DiscordStandIn

DIGITS_Q = "How many digits does the My Number have?"
ASKER_ID, ASKER_NAME = 777_000_000_000_123_456, "eve-the-asker"


def test_json_lines_carry_time_level_event_and_redact_the_token(capsys) -> None:
    log = logging.getLogger("bot.test_logs")
    with log_to_stderr(logging.INFO, "json", secrets=("sekrit.token",)):
        log.info("connected with %s", "sekrit.token")
        log.debug("not shown at INFO")
        try:
            raise ValueError("multi\nline sekrit.token")
        except ValueError:
            log.exception("it failed")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    first, second = map(json.loads, lines)
    assert first["event"] == f"connected with {REDACTED}" and first["level"] == "INFO" and first["logger"] == "bot.test_logs"
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert second["level"] == "ERROR" and "ValueError" in second["error"] and "sekrit" not in second["error"]


def test_text_logs_show_replies_only_when_verbose(capsys) -> None:
    replies = logging.getLogger(REPLIES_LOGGER)
    with log_to_stderr(logging.INFO):
        replies.info("reply answer")
        logging.getLogger("bot.other").info("other")
    err = capsys.readouterr().err
    assert "other" in err and "reply answer" not in err
    with log_to_stderr(logging.DEBUG):
        replies.info("reply answer")
    assert "reply answer" in capsys.readouterr().err


async def test_run_with_json_logs(tmp_path: Path, capsys, monkeypatch) -> None:
    """The real `run` against the stand-in: every stderr line parses, replies are logged with
    their decision, fact, score and latency, and neither the token nor the asker appears."""
    stand_in = DiscordStandIn()
    await stand_in.start()
    config = tmp_path / "config.yaml"
    config.write_text(
        f"chat:\n  user_cooldown_seconds: 0\nknowledge:\n  path: {default_knowledge_path()}\n  watch: false\nstorage:\n  path: {tmp_path / 'bot.sqlite3'}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("DISCORD_TOKEN", stand_in.token)
    try:
        with stand_in.patch_discord():
            running = asyncio.create_task(asyncio.to_thread(main, ["run", "--config", str(config), "--log-format", "json"]))
            await stand_in.wait_ready(timeout=20)
            asker = stand_in.user(ASKER_ID, ASKER_NAME)
            sent = await stand_in.send_message(stand_in.channel_ids[0], asker, f"<@{stand_in.bot_id}> {DIGITS_Q}", mention_bot=True)
            await stand_in.wait_for_call(lambda c: c.replies_to == sent["id"], timeout=10)
            interaction = await stand_in.send_slash(stand_in.channel_ids[0], asker, "ask", {"question": "what is the weather tomorrow"})
            await stand_in.wait_for_call(lambda c: c.path.startswith(f"/interactions/{interaction['id']}/"), timeout=10)
            await asyncio.sleep(0.2)  # the reply is logged just after it is sent
            await stand_in.drop_gateway(code=4004)  # discord.py gives up instead of reconnecting
            assert await asyncio.wait_for(running, 20) == 2
    finally:
        await stand_in.stop()
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error: Discord rejected the token")  # the exit message stays a plain line
    entries = [json.loads(line) for line in lines[:-1]]  # every log line is one JSON object
    assert all({"time", "level", "event"} <= set(e) for e in entries)
    replies = [e for e in entries if e["event"] == "reply"]
    assert [(r["via"], r["decision"]) for r in replies] == [("mention", "answer"), ("application_command", "decline")]
    assert replies[0]["fact_id"] and replies[0]["score"] > 0.5 and replies[1]["fact_id"] is None
    assert all(0 < r["latency_ms"] < 10_000 for r in replies)
    assert stand_in.token not in err
    assert ASKER_NAME not in err and str(ASKER_ID) not in err and "weather" not in err and DIGITS_Q not in err
