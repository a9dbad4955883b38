"""Soak: thousands of questions through the real bot and the loopback Discord stand-in, with
random faults, bounded in count and in time.

The bot (discord.py, the shipped knowledge base, a real SQLite database in a temporary
folder) runs in this process. The stand-in for Discord and the driver run in a child process,
so the memory measured here is the bot's alone. The driver keeps up to --in-flight questions
outstanding: mentions in two channels and /ask interactions, drawn from the labelled question
set, variants of it, and hostile text (bidi overrides, invisible and combining characters,
mention floods, markdown, links, over-long questions, lone surrogates). While they run it
injects random faults: the gateway closing, REST 429s on a route or global, 500s, slow
responses, 429s on interaction callbacks, and the database locked by another process.

    .venv/bin/python bench/soak.py                        # 10,000 questions, 15 minutes at most
    .venv/bin/python bench/soak.py --count 500 --json     # a quick run, figures as JSON

It reports replies delivered, apologies, errors, the faults injected, the REST answers by
status, and the bot's resident memory growth after warm-up. It exits 1 if any question got
no reply, if any record the bot accepted is missing from the database without a logged
refusal, or if memory grew by more than --memory-limit-mb (20) after warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import gc
import json
import logging
import multiprocessing
import os
import platform
import random
import re
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.discord_standin import DiscordStandIn, RestCall  # noqa: E402

QUESTIONS = ROOT / "tests" / "quality" / "questions.yaml"
MAX_QUESTION_CHARS = 500
PER_QUESTION_WAIT = 60.0  # seconds a question may wait for its reply before it counts as lost
EXIT_OK, EXIT_FAILED = 0, 1

FAULT_KINDS = {  # kind -> weight
    "gateway_close": 2,
    "rate_limit": 4,
    "global_rate_limit": 1,
    "server_error": 2,
    "slow_rest": 3,
    "interaction_rate_limit": 2,
    "database_lock": 2,
}


# ================================================================= the child: Discord and the driver


def _load_questions() -> list[str]:
    from bot.knowledge.yamlsafe import read_yaml

    doc, _ = read_yaml(QUESTIONS, str(QUESTIONS))
    out = [str(getattr(item["q"], "value", item["q"])) for item in doc or [] if isinstance(item, dict) and "q" in item]
    if not out:
        raise SystemExit(f"no questions in {QUESTIONS}")
    return out


_NOISE = "\u202e\u202d\u2066\u2069\u200b\u200d\ufeff\u0301\u0336\u3099\x00\x1b\t"


def _question(rng: random.Random, base: list[str]) -> tuple[str, bool]:
    """A question, and whether it holds a lone surrogate (stored with it replaced; older versions refused it)."""
    roll = rng.random()
    text = rng.choice(base)
    if roll < 0.6:
        return text, False
    if roll < 0.8:  # a variant: a typo, shouting, chatter around it
        if len(text) > 8:
            i = rng.randrange(len(text) - 2)
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        return rng.choice(["", "hey bot, ", "quick q: "]) + (text.upper() if rng.random() < 0.2 else text) + rng.choice(["", "??", " 🙏", " thx"]), False
    if roll < 0.9:  # hostile decoration
        pieces = [text]
        for _ in range(rng.randint(1, 6)):
            pieces.insert(
                rng.randrange(len(pieces) + 1),
                rng.choice(
                    [
                        "".join(rng.choice(_NOISE) for _ in range(rng.randint(1, 20))),
                        "@everyone @here <@123456789012345678> <@&223456789012345678>",
                        "```py\nprint('x')\n``` **bold** ||spoiler|| # heading",
                        "[official](https://evil.example/phish) https://discord.gg/abc discord.gg/xyz",
                        "a" + "\u0301" * rng.randint(10, 300),
                        "".join(chr(rng.randint(0x20, 0x2FFFF)) for _ in range(rng.randint(1, 30))).encode("utf-8", "ignore").decode(),
                    ]
                ),
            )
        return " ".join(pieces), False
    if roll < 0.96:  # longer than a question may be: declined for its length
        return (text + " ") * (MAX_QUESTION_CHARS // max(1, len(text)) + rng.randint(1, 10)), False
    return text[: len(text) // 2] + "\ud800" + text[len(text) // 2 :], True


@dataclass
class Tracker:
    """Matches the bot's REST calls to the questions waiting for them."""

    application_id: int
    waiting: dict[str, asyncio.Future[str]] = field(default_factory=dict)
    deferred: dict[str, str] = field(default_factory=dict)  # interaction token -> interaction id
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    deferrals: int = 0
    duplicates: int = 0  # a second reply to one question
    duplicate_examples: list[str] = field(default_factory=list)

    def expect(self, key: str) -> asyncio.Future[str]:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.waiting[key] = future
        return future

    def _resolve(self, key: str | None, outcome: str) -> None:
        future = self.waiting.pop(key, None) if key is not None else None
        if future is None:
            if key is not None:
                self.duplicates += 1
                if len(self.duplicate_examples) < 5:
                    self.duplicate_examples.append(f"{outcome} to {key}")
            return
        if not future.done():
            future.set_result(outcome)

    def on_call(self, call: RestCall) -> None:
        self.statuses[call.status] += 1
        if call.status >= 300 or call.method != "POST":
            return
        body = call.json if isinstance(call.json, dict) else {}
        parts = call.path.strip("/").split("/")
        if parts[0] == "channels" and parts[-1] == "messages" and call.replies_to is not None:
            self._resolve(call.replies_to, "reply" if call.embeds else "apology")
        elif parts[0] == "interactions" and parts[-1] == "callback":
            if body.get("type") == 5:
                self.deferrals += 1
                self.deferred[parts[2]] = parts[1]
            elif body.get("type") == 4:
                self._resolve(parts[1], "reply" if call.embeds else "apology")
        elif parts[0] == "webhooks" and len(parts) >= 3 and parts[2] in self.deferred:
            self._resolve(self.deferred.pop(parts[2]), "reply" if call.embeds else "apology")


class Faults:
    """Random faults, one at a time, drawn from FAULT_KINDS."""

    def __init__(self, stand_in: DiscordStandIn, rng: random.Random, database: str) -> None:
        self.s = stand_in
        self.rng = rng
        self.database = database
        self.injected: collections.Counter[str] = collections.Counter()
        self.background: set[asyncio.Task[Any]] = set()

    def inject(self) -> None:
        kinds, weights = zip(*FAULT_KINDS.items(), strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        channel = self.rng.choice(self.s.channel_ids)
        route = f"/channels/{channel}/messages"
        if kind == "gateway_close":
            self._later(self.s.drop_gateway(code=self.rng.choice([4000, 1001, 1011, 4008])))
        elif kind == "rate_limit":
            self.s.inject_rate_limit("POST", route, retry_after=round(self.rng.uniform(0.05, 0.5), 3), times=self.rng.randint(1, 3))
        elif kind == "global_rate_limit":
            self.s.inject_rate_limit("POST", "/channels/*/messages", retry_after=round(self.rng.uniform(0.05, 0.3), 3), is_global=True, times=1)
        elif kind == "server_error":  # discord.py retries these after 1 s (then 3 s)
            self.s.inject_fault("POST", route, status=self.rng.choice([500, 502, 504]), times=self.rng.randint(1, 2))
        elif kind == "slow_rest":
            self.s.inject_fault(
                "*",
                self.rng.choice([route, "/interactions/*/callback", "/webhooks/*"]),
                status=0,
                delay=self.rng.uniform(0.1, 0.8),
                times=self.rng.randint(1, 5),
            )
        elif kind == "interaction_rate_limit":
            self.s.inject_rate_limit("POST", "/interactions/*/callback", retry_after=round(self.rng.uniform(0.05, 0.3), 3), times=1)
        elif kind == "database_lock":
            if not Path(self.database).exists():
                return
            self._later(asyncio.to_thread(_hold_database_lock, self.database, self.rng.uniform(0.5, 3.0)))
        self.injected[kind] += 1

    def _later(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)


def _hold_database_lock(database: str, seconds: float) -> None:
    """Another program holding the bot's database's write lock for a while."""
    conn = sqlite3.connect(f"file:{database}?mode=rw", uri=True, isolation_level=None, timeout=10)
    try:
        conn.execute("BEGIN IMMEDIATE")
        time.sleep(seconds)
        conn.execute("ROLLBACK")
    finally:
        conn.close()


async def _drive(s: DiscordStandIn, tracker: Tracker, o: dict[str, Any], conn: Any) -> dict[str, Any]:
    # separate streams, so the questions and faults of a seed do not depend on task timing
    rng = random.Random(o["seed"])  # questions, and when to inject a fault
    pick = random.Random(o["seed"] + 1)  # who asks, and how
    base = _load_questions()
    faults = Faults(s, random.Random(o["seed"] + 2), o["database"])
    slots = asyncio.Semaphore(o["in_flight"])
    outcomes: collections.Counter[str] = collections.Counter()
    lost: list[str] = []
    apologised: list[str] = []
    surrogates = 0
    tasks: set[asyncio.Task[None]] = set()
    users = [s.user(800_000_000_000_000_000 + i, f"asker{i}") for i in range(200)]

    async def one(i: int, text: str) -> None:
        """Ask once and wait for the reply; the expectation is registered before the event
        goes out, so a reply that comes back at once is not missed."""
        try:
            channel = s.channel_ids[i % 2]
            if pick.random() < 0.2:
                command = {"id": s.snowflake(), "name": "ask", "type": 1, "options": [{"name": "question", "type": 3, "value": text[:6000]}]}
                name, payload = "INTERACTION_CREATE", s.interaction_payload(channel, pick.choice(users), command)
            else:
                mention = ({**s.bot_user(), "member": s.member()},)
                name, payload = "MESSAGE_CREATE", s.message_payload(channel, pick.choice(users), f"<@{s.bot_id}> {text}", mentions=mention)
            future = tracker.expect(payload["id"])
            await s.dispatch(name, payload)
            try:
                outcome = await asyncio.wait_for(future, PER_QUESTION_WAIT)
                outcomes[outcome] += 1
                if outcome == "apology" and len(apologised) < 10:
                    apologised.append(f"#{i} ({name}): {text[:80]!r}")
            except TimeoutError:
                tracker.waiting.pop(payload["id"], None)
                lost.append(f"#{i} ({name}): {text[:60]!r}")
        finally:
            slots.release()

    start = time.monotonic()
    asked = 0
    stopped_by_time = False
    for i in range(o["count"]):
        if time.monotonic() - start > o["time_limit"]:
            stopped_by_time = True
            break
        if i == o["warm_up"]:
            # a quiet moment for the baseline: everything so far answered, no fault pending
            await asyncio.gather(*tasks)
            s.clear_faults()
            conn.send({"warm": i})
            await asyncio.sleep(1.0)
        await slots.acquire()
        if rng.random() < o["fault_rate"]:
            faults.inject()
        text, has_surrogate = _question(rng, base)
        surrogates += has_surrogate
        task = asyncio.create_task(one(i, text))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        asked += 1
    await asyncio.gather(*tasks)
    await asyncio.gather(*faults.background, return_exceptions=True)
    seconds = time.monotonic() - start
    return {
        "asked": asked,
        "replies": outcomes["reply"],
        "apologies": outcomes["apology"],
        "lost": len(lost),
        "lost_examples": lost[:10],
        "apology_examples": apologised,
        "duplicate_replies": tracker.duplicates,
        "duplicate_examples": tracker.duplicate_examples,
        "deferred": tracker.deferrals,
        "expired_interactions": s.expired_interactions,
        "questions_with_lone_surrogates": surrogates,
        "faults": dict(faults.injected),
        "rest_answers_by_status": {str(k): v for k, v in sorted(tracker.statuses.items())},
        "gateway_connections": s.connections,
        "gateway_resumes": s.resumes,
        "seconds": round(seconds, 1),
        "questions_per_second": round(asked / seconds, 1) if seconds else None,
        "stopped_by_time_limit": stopped_by_time,
    }


async def _child_main(conn: Any, o: dict[str, Any]) -> None:
    s = DiscordStandIn()
    s.keep_calls = False  # a long run would keep every request; the tracker sees each as it passes
    tracker = Tracker(s.application_id)
    s.on_call = tracker.on_call
    await s.start()
    conn.send({"api_base": s.api_base, "gateway": s.gateway_url, "token": s.token})
    try:
        await s.wait_ready(60)
        conn.send({"result": await _drive(s, tracker, o, conn)})
        await asyncio.to_thread(conn.recv)  # the parent has closed the bot
    finally:
        await s.stop()


def _child(conn: Any, options: dict[str, Any]) -> None:
    asyncio.run(_child_main(conn, options))


# ================================================================= the parent: the bot


def _rss() -> int:
    """Resident memory of this process in bytes (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        match = re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text())
        if match:
            return int(match.group(1)) * 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class _LogCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.by_logger: collections.Counter[str] = collections.Counter()
        self.refused_records = 0
        self.examples: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.ERROR:
            self.by_logger[record.name] += 1
            if sum(line.startswith(record.name + ":") for line in self.examples) < 3:
                cause = f" ({type(record.exc_info[1]).__name__}: {str(record.exc_info[1])[:120]})" if record.exc_info and record.exc_info[1] else ""
                self.examples.append(f"{record.name}: {message[:160]}{cause}")
        if record.name == "bot.storage" and message.startswith("storage: dropped one recorded question"):
            self.refused_records += 1


def _records_in(database: Path) -> int:
    if not database.exists():
        return 0
    conn = sqlite3.connect(database)
    try:
        return int(conn.execute("SELECT COALESCE(SUM(count), 0) FROM outcome_counts").fetchone()[0])
    finally:
        conn.close()


async def _run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    import discord.gateway
    import discord.http
    import yarl

    from bot.client import SurveyBot
    from bot.config import ChatSettings, Config
    from bot.knowledge import default_knowledge_path
    from bot.service import KnowledgeService
    from bot.storage import Storage

    service = KnowledgeService(default_knowledge_path(), max_chars=MAX_QUESTION_CHARS)
    if not service.reload().ok:
        raise SystemExit("the knowledge base does not load; run `python -m bot validate`")
    database = folder / "bot.sqlite3"
    options = {
        "count": args.count,
        "time_limit": args.time_limit,
        "warm_up": min(args.warm_up, max(0, args.count - 1)),
        "in_flight": args.in_flight,
        "fault_rate": args.fault_rate,
        "seed": args.seed,
        "database": str(database),
    }
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=_child, args=(theirs, options), name="soak-discord", daemon=True)
    child.start()
    counter = _LogCounter()
    logging.getLogger().addHandler(counter)
    try:
        info = await asyncio.to_thread(ours.recv)
        discord.http.Route.BASE = info["api_base"]
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(info["gateway"])
        storage = Storage(database)
        config = Config(chat=ChatSettings(user_cooldown_seconds=0, channel_cooldown_seconds=0, max_question_chars=MAX_QUESTION_CHARS))
        bot = SurveyBot(config, service, storage=storage)
        bot._connection.guild_ready_timeout = 0.05
        runner = asyncio.create_task(bot.start(info["token"]))
        samples: list[int] = []
        baseline: int | None = None

        async def sample() -> None:
            while True:
                samples.append(_rss())
                await asyncio.sleep(0.5)

        sampler = asyncio.create_task(sample())
        result: dict[str, Any] = {}
        while not result:
            message = await asyncio.to_thread(ours.recv)
            if "warm" in message:
                gc.collect()
                baseline = _rss()
                samples.clear()
            result = message.get("result", {})
        gc.collect()
        final = _rss()
        sampler.cancel()
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(runner, 30)
        ours.send("stop")
        await asyncio.to_thread(child.join, 30)
    finally:
        logging.getLogger().removeHandler(counter)
        if child.is_alive():
            child.kill()
    written = _records_in(database)
    expected = result["asked"]
    result.update(
        {
            "records_expected": expected,
            "records_written": written,
            "records_refused_and_logged": counter.refused_records,
            "records_missing": expected - written - counter.refused_records,
            "unsaved_at_close": storage.status.pending,
            "error_log_records": dict(counter.by_logger),
            "error_log_examples": counter.examples,
            "memory_baseline_mb": round(baseline / 1e6, 1) if baseline else None,
            "memory_final_mb": round(final / 1e6, 1),
            "memory_growth_mb": round((final - baseline) / 1e6, 1) if baseline else None,
            "memory_peak_growth_mb": round((max(samples + [final]) - baseline) / 1e6, 1) if baseline else None,
            "memory_limit_mb": args.memory_limit_mb,
            "knowledge_version": service.answerer.kb.version,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        }
    )
    return result


def _verdict(r: dict[str, Any]) -> list[str]:
    problems = []
    if r["lost"]:
        problems.append(f"{r['lost']} question(s) got no reply")
    if r["records_missing"] > 0:
        problems.append(f"{r['records_missing']} accepted record(s) missing from the database")
    if r["memory_growth_mb"] is not None and r["memory_growth_mb"] > r["memory_limit_mb"]:
        problems.append(f"memory grew {r['memory_growth_mb']} MB after warm-up (limit {r['memory_limit_mb']} MB)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="questions to ask (default 10,000)")
    parser.add_argument("--time-limit", type=float, default=900.0, help="stop asking after this many seconds (default 900)")
    parser.add_argument("--warm-up", type=int, default=1_000, help="questions before the memory baseline is taken (default 1,000)")
    parser.add_argument("--in-flight", type=int, default=20, help="questions outstanding at once (default 20)")
    parser.add_argument("--fault-rate", type=float, default=0.02, help="chance of a new fault before each question (default 0.02)")
    parser.add_argument("--memory-limit-mb", type=float, default=20.0, help="allowed growth of resident memory after warm-up (default 20)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    if args.count < 1 or args.in_flight < 1 or args.time_limit <= 0:
        parser.error("--count, --in-flight and --time-limit must be positive")

    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="soak-") as folder:
        result = asyncio.run(_run(args, Path(folder)))
    problems = _verdict(result)
    result["passed"] = not problems
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        r = result
        print(f"Soak: {r['asked']:,} questions in {r['seconds']} s ({r['questions_per_second']}/s), knowledge {r['knowledge_version']}, {r['cpus']} CPUs")
        if r["stopped_by_time_limit"]:
            print(f"  stopped by the time limit ({args.time_limit:g} s) before {args.count:,} questions")
        print(f"  replies delivered: {r['replies']:,}; apologies: {r['apologies']}; lost: {r['lost']}; duplicate replies: {r['duplicate_replies']}")
        for line in r["lost_examples"]:
            print(f"    no reply: {line}")
        for line in r["apology_examples"][:3]:
            print(f"    apology: {line}")
        print(f"  /ask deferred: {r['deferred']}; interactions expired: {r['expired_interactions']}")
        print(f"  faults injected: {json.dumps(r['faults'])}")
        print(
            f"  REST answers by status: {json.dumps(r['rest_answers_by_status'])}; gateway connections {r['gateway_connections']}, resumes {r['gateway_resumes']}"
        )
        print(
            f"  records: {r['records_written']:,} written of {r['records_expected']:,}; refused by the database and logged: {r['records_refused_and_logged']} "
            f"(questions with lone surrogates: {r['questions_with_lone_surrogates']}); missing: {r['records_missing']}"
        )
        print(f"  error log records: {json.dumps(r['error_log_records'])}")
        print(
            f"  memory (RSS): {r['memory_baseline_mb']} MB after warm-up, {r['memory_final_mb']} MB at the end: "
            f"growth {r['memory_growth_mb']} MB (peak {r['memory_peak_growth_mb']} MB; limit {r['memory_limit_mb']:g} MB)"
        )
        print("  result: " + ("passed" if not problems else "FAILED: " + "; ".join(problems)))
    return EXIT_OK if not problems else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
