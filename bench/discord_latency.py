"""Latency of the Discord front end over loopback: MESSAGE_CREATE -> the bot's reply request.

The real bot (discord.py, the real knowledge base and matcher) runs in the main thread's
event loop; the stand-in for Discord (tests/support/discord_standin.py) runs in its own
thread and event loop on 127.0.0.1. The stand-in sends mentions at a steady rate over the
gateway websocket and timestamps each one just before writing the frame; the latency of a
question is the time until the bot's `POST /channels/{id}/messages` replying to it arrives
at the stand-in. A question with no reply within the grace period counts as lost.

    .venv/bin/python bench/discord_latency.py                 # 1,000 questions at 100/s
    .venv/bin/python bench/discord_latency.py --count 5000 --rate 200 --json

Targets (issue 3): median <= 15 ms, p99 <= 50 ms, no reply lost.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.client import SurveyBot  # noqa: E402
from bot.config import ChatSettings, Config  # noqa: E402
from bot.knowledge import default_knowledge_path  # noqa: E402
from bot.knowledge.yamlsafe import read_yaml  # noqa: E402
from bot.service import KnowledgeService  # noqa: E402
from tests.support.discord_standin import DiscordStandIn, ThreadedStandIn  # noqa: E402

DEFAULT_QUESTIONS = ROOT / "tests" / "quality" / "questions.yaml"
WARM_UP = 20


def load_questions(path: Path) -> list[str]:
    """The labelled question set's questions (answerable, ambiguous and out-of-scope alike)."""
    doc, _ = read_yaml(path, str(path))
    questions = []
    for item in doc or []:
        text = item.get("q") if isinstance(item, dict) else None
        if text is not None:
            questions.append(str(getattr(text, "value", text)))
    if not questions:
        raise SystemExit(f"no questions found in {path}")
    return questions


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q% of values at or below it."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


async def drive(stand_in: DiscordStandIn, questions: list[str], count: int, rate: float, grace: float) -> dict:
    """In the stand-in's loop: send `count` mentions at `rate` per second, collect reply times."""
    channel = stand_in.channel_ids[0]
    users = [stand_in.user(100_000 + i, f"asker{i}") for i in range(50)]
    cycle = itertools.cycle(questions)

    async def send_batch(n: int, pace: float) -> dict[str, float]:
        sent_at: dict[str, float] = {}
        start = time.perf_counter()
        for i in range(n):
            delay = start + i / pace - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            text = f"<@{stand_in.bot_id}> {next(cycle)}"
            data = stand_in.message_payload(channel, users[i % len(users)], text, mentions=({**stand_in.bot_user(), "member": stand_in.member()},))
            event = await stand_in.dispatch("MESSAGE_CREATE", data)
            sent_at[data["id"]] = event.sent
        return sent_at

    async def replies_for(sent_at: dict[str, float], first_call: int) -> dict[str, float]:
        deadline = time.perf_counter() + grace
        while True:
            got = {c.replies_to: c.received for c in stand_in.calls[first_call:] if c.method == "POST" and c.replies_to in sent_at}
            if len(got) == len(sent_at) or time.perf_counter() > deadline:
                return got
            await asyncio.sleep(0.05)

    # warm-up: first-use costs (imports, caches, connection pool) are not what we measure
    first = len(stand_in.calls)
    await replies_for(await send_batch(WARM_UP, rate), first)

    first = len(stand_in.calls)
    t0 = time.perf_counter()
    sent_at = await send_batch(count, rate)
    send_seconds = time.perf_counter() - t0
    got = await replies_for(sent_at, first)
    latencies = sorted((got[mid] - sent_at[mid]) * 1000 for mid in got)
    errors = [c for c in stand_in.calls[first:] if c.status >= 400]
    return {"latencies_ms": latencies, "sent": len(sent_at), "replied": len(got), "send_seconds": send_seconds, "error_responses": len(errors)}


async def run(args: argparse.Namespace) -> dict:
    service = KnowledgeService(default_knowledge_path(), max_chars=500)
    loaded = service.reload()
    if not loaded.ok:
        raise SystemExit("the knowledge base does not load; run `python -m bot validate`")
    questions = load_questions(args.questions)
    threaded = ThreadedStandIn()
    stand_in = threaded.start()
    try:
        with stand_in.patch_discord():
            config = Config(chat=ChatSettings(user_cooldown_seconds=0, channel_cooldown_seconds=0, max_question_chars=500))
            bot = SurveyBot(config, service)
            bot._connection.guild_ready_timeout = 0.05
            task = asyncio.create_task(bot.start(stand_in.token))
            try:
                await threaded.arun(lambda s: s.wait_ready(20))
                await asyncio.wait_for(bot.wait_until_ready(), 20)
                result = await threaded.arun(lambda s: drive(s, questions, args.count, args.rate, args.grace))
            finally:
                await bot.close()
                await asyncio.wait_for(task, 10)
    finally:
        threaded.stop()
    result["knowledge_version"] = service.answerer.kb.version
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="questions measured (default 1000)")
    parser.add_argument("--rate", type=float, default=100.0, help="questions per second (default 100)")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds to wait for the last replies before counting them lost")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="YAML list of {q: ...} (default: the labelled question set)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()

    result = asyncio.run(run(args))
    lat = result["latencies_ms"]
    lost = result["sent"] - result["replied"]
    figures = {
        "questions": result["sent"],
        "rate_target_per_s": args.rate,
        "rate_achieved_per_s": round(result["sent"] / result["send_seconds"], 1) if result["send_seconds"] else None,
        "median_ms": round(statistics.median(lat), 2) if lat else None,
        "p90_ms": round(percentile(lat, 90), 2) if lat else None,
        "p99_ms": round(percentile(lat, 99), 2) if lat else None,
        "max_ms": round(lat[-1], 2) if lat else None,
        "lost": lost,
        "error_responses": result["error_responses"],
        "knowledge_version": result["knowledge_version"],
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"Discord loopback latency: {figures['questions']} mentions at {args.rate:g}/s (achieved {figures['rate_achieved_per_s']}/s), knowledge {figures['knowledge_version']}"
        )
        print(
            f"  MESSAGE_CREATE -> reply request: median {figures['median_ms']} ms, p90 {figures['p90_ms']} ms, p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms"
        )
        print(f"  lost replies: {lost}; error responses: {figures['error_responses']}")
        ok = lat and figures["median_ms"] <= 15 and figures["p99_ms"] <= 50 and lost == 0
        print(f"  targets (median <= 15 ms, p99 <= 50 ms, none lost): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
