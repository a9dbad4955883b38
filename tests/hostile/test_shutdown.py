"""The real `python -m bot run` in a process of its own, against a loopback stand-in:
SIGTERM while writes are waiting for the database flushes them and exits cleanly within a
few seconds; a full disk does not stop answers, and what was accepted meanwhile is written
once there is room again.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.knowledge import default_knowledge_path
from tests.support.discord_standin import DiscordStandIn, ThreadedStandIn

from .bounds import SHUTDOWN_SECONDS
from .conftest import within

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DIGITS_Q = "How many digits does the My Number have?"


@pytest.fixture
def threaded() -> Iterator[ThreadedStandIn]:
    runner = ThreadedStandIn()
    runner.start()
    yield runner
    runner.stop()


class BotProcess:
    """The bot in a child process, its stderr collected line by line as it comes."""

    def __init__(self, argv: list[str], token: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "DISCORD_TOKEN": token}
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err: list[str] = []
        self.out: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._collect, args=(self.proc.stderr, self.err.append), daemon=True).start()
        threading.Thread(target=self._collect, args=(self.proc.stdout, self.out.put), daemon=True).start()

    @staticmethod
    def _collect(stream, sink) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            sink(line.rstrip("\n"))

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def command(self, text: str, timeout: float = 20.0) -> str:
        self.send(text)
        return self.read(f"ok {text}", timeout)

    def read(self, prefix: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.out.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no {prefix!r} from the bot within {timeout} s; stderr:\n" + "\n".join(self.err[-30:]))

    def wait_log(self, needle: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(needle in line for line in self.err):
                return
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} never logged; stderr:\n" + "\n".join(self.err[-30:]))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def _config(tmp_path: Path, database: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"knowledge:\n  path: {default_knowledge_path()}\n  watch: false\n"
        "chat:\n  user_cooldown_seconds: 0\n  channel_cooldown_seconds: 0\n"
        f"storage:\n  path: {database}\n",
        encoding="utf-8",
    )
    return path


def _ask(threaded: ThreadedStandIn, count: int, first_user: int) -> None:
    """Mention the bot `count` times and wait until every one has its reply."""

    async def go(s: DiscordStandIn) -> None:
        sent = []
        for i in range(count):
            question = DIGITS_Q if i % 2 else "what is the weather on mars?"  # answers and declines
            sent.append(await s.send_message(s.channel_ids[0], s.user(first_user + i), f"<@{s.bot_id}> {question}", mention_bot=True))
        for message in sent:
            await s.wait_for_call(lambda c, mid=message["id"]: c.replies_to == mid and c.status == 200, timeout=15)

    threaded.run(go, timeout=30)


def _outcomes(database: Path) -> int:
    conn = sqlite3.connect(database, timeout=5)
    try:
        return int(conn.execute("SELECT COALESCE(SUM(count), 0) FROM outcome_counts").fetchone()[0])
    finally:
        conn.close()


def _terminate(bot: BotProcess) -> float:
    """SIGTERM, as `docker stop` sends it; seconds until the process has exited."""
    start = time.monotonic()
    bot.proc.send_signal(signal.SIGTERM)
    bot.proc.wait(30)
    return time.monotonic() - start


def test_sigterm_flushes_writes_that_wait_for_a_locked_database(tmp_path: Path, threaded: ThreadedStandIn) -> None:
    stand_in = threaded.stand_in
    assert stand_in is not None
    database = tmp_path / "data" / "bot.sqlite3"
    bot = BotProcess(
        [sys.executable, str(HERE / "bot_with_controls.py"), stand_in.api_base, stand_in.gateway_url, str(_config(tmp_path, database)), str(database)],
        stand_in.token,
    )
    try:
        threaded.run(lambda s: s.wait_ready(30), timeout=40)
        _ask(threaded, 3, first_user=1)
        deadline = time.monotonic() + 10
        while _outcomes(database) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        # another program holds the write lock (released from a timer thread below)
        blocker = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN IMMEDIATE")
        released = threading.Event()

        def release() -> None:
            if not released.is_set():
                released.set()
                blocker.execute("ROLLBACK")
                blocker.close()

        try:
            _ask(threaded, 10, first_user=100)  # all answered; their records wait in memory
            bot.wait_log("the database is locked")
            releaser = threading.Timer(0.5, release)
            releaser.start()
            took = _terminate(bot)
            releaser.join()
        finally:
            release()
        within("SIGTERM with 10 writes waiting on a locked database -> exit", SHUTDOWN_SECONDS, took)
        err = "\n".join(bot.err)
        assert bot.proc.returncode == 0, err
        assert "Traceback" not in err and stand_in.token not in err and "could not be saved" not in err
        counts = json.loads(bot.read("counts ")[len("counts ") :])
        assert counts["answer"] + counts["suggest"] + counts["decline"] == 13
        assert _outcomes(database) == 13
    finally:
        bot.stop()


def _can_mount_tmpfs(tmp_path: Path) -> bool:
    if shutil.which("unshare") is None or sys.platform != "linux":
        return False
    probe = tmp_path / "probe"
    probe.mkdir()
    check = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$0"', str(probe)], capture_output=True
    )
    return check.returncode == 0


def test_a_full_disk_does_not_stop_answers_and_nothing_accepted_is_lost(tmp_path: Path, threaded: ThreadedStandIn) -> None:
    if not _can_mount_tmpfs(tmp_path):
        pytest.skip("needs Linux with unshare and the right to mount a tmpfs in a private mount namespace (root)")
    stand_in = threaded.stand_in
    assert stand_in is not None
    data = tmp_path / "data"  # a 2 MB tmpfs inside the child's own mount namespace
    data.mkdir()
    database = data / "bot.sqlite3"
    launcher = [sys.executable, str(HERE / "bot_with_controls.py"), stand_in.api_base, stand_in.gateway_url, str(_config(tmp_path, database)), str(database)]
    mount_then_run = 'mount -t tmpfs -o size=2m tmpfs "$0" && exec "$@"'
    bot = BotProcess(["unshare", "--mount", "--propagation", "private", "sh", "-c", mount_then_run, str(data), *launcher], stand_in.token)
    try:
        threaded.run(lambda s: s.wait_ready(30), timeout=40)
        _ask(threaded, 4, first_user=1)
        bot.command("fill")
        _ask(threaded, 12, first_user=100)  # answered though nothing can be written
        bot.wait_log("the disk is full")
        bot.command("free")
        bot.wait_log("accepts writes again")  # retried on its own once there is room
        _ask(threaded, 4, first_user=200)
        bot.command("fill")  # full again at shutdown: the last writes wait...
        _ask(threaded, 2, first_user=300)
        threading.Timer(0.5, bot.send, args=("free",)).start()  # ...until there is room
        took = _terminate(bot)
        within("SIGTERM with writes waiting on a full disk -> exit", SHUTDOWN_SECONDS, took)
        err = "\n".join(bot.err)
        assert bot.proc.returncode == 0, err
        assert "Traceback" not in err and "could not be saved" not in err
        assert sum("cannot write to" in line for line in bot.err) == 2  # once per outage, not once per write
        counts = json.loads(bot.read("counts ")[len("counts ") :])
        assert counts["answer"] + counts["suggest"] + counts["decline"] == 22, counts
    finally:
        bot.stop()
