"""Reload the knowledge base when a file in its folder changes.

Editors save in several steps (truncate, write, rename, backup files), and a moderator often
saves a few files in a row, so changes are gathered until the folder has been quiet for
`settle_ms` (at most `max_wait_ms`) and then reloaded once. The reload itself is
`KnowledgeService.reload_async`: validated, built in a worker thread, swapped in one
assignment, and serialised by the service's lock, so a reload from here and one from a
moderator command never interleave; whichever runs last wins, whole. A failed reload leaves
the previous knowledge base answering. Each result goes to `on_result`, which the front end
uses to tell moderators (and the audit log) what changed or what is broken, with file and line.

No discord here.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from watchfiles import Change, awatch

from bot.service import KnowledgeService, ReloadResult

log = logging.getLogger("bot.watch")

ResultCallback = Callable[[ReloadResult, tuple[str, ...]], Awaitable[None] | None]

KNOWLEDGE_SUFFIXES = (".yaml", ".yml")


def describe_reload(result: ReloadResult, folder: Path | None = None, max_problems: int = 15) -> str:
    """A reload's outcome as plain text for moderators: what changed, or every problem with file and line."""
    if result.ok:
        return f"Knowledge reloaded (version {result.version}): {result.diff.summary()}."
    problems = [_relative(str(p), folder) for p in result.problems]
    lines = [f"Knowledge NOT reloaded: {len(problems)} problem(s). Still answering from the previous knowledge."]
    lines += problems[:max_problems]
    if len(problems) > max_problems:
        lines.append(f"... and {len(problems) - max_problems} more (run `python -m bot validate` to see all)")
    return "\n".join(lines)


def _relative(text: str, folder: Path | None) -> str:
    if folder is None:
        return text
    prefix = str(folder).rstrip(os.sep) + os.sep
    return text.replace(prefix, folder.name + os.sep)


class KnowledgeWatcher:
    """Watches `service.path` and reloads on change. `start()` from a running event loop."""

    def __init__(
        self,
        service: KnowledgeService,
        on_result: ResultCallback | None = None,
        *,
        settle_ms: int = 500,
        max_wait_ms: int = 5000,
        report_unchanged: bool = False,
        retry_seconds: float = 30.0,
        force_polling: bool | None = None,
    ) -> None:
        self.service = service
        self.on_result = on_result
        self.settle_ms = settle_ms
        self.max_wait_ms = max(max_wait_ms, settle_ms)
        self.report_unchanged = report_unchanged  # also report reloads that changed nothing
        self.retry_seconds = retry_seconds
        self.force_polling = force_polling
        self.reloads = 0  # reloads triggered by file changes, for status displays and tests
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._stop = asyncio.Event()
            self._ready = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self.run(), name="knowledge-watcher")
        return self._task

    async def wait_ready(self, timeout: float = 5.0) -> bool:
        """True once the folder is being watched (changes from then on are seen)."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
            return True
        except TimeoutError:
            return False

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=self.max_wait_ms / 1000 + 5)
            except TimeoutError:
                self._task.cancel()
            self._task = None

    def relevant(self, change: Change, path: str) -> bool:
        """Knowledge files only: not hidden files (our own temporary files), not editor backups."""
        name = os.path.basename(path)
        if not name.endswith(KNOWLEDGE_SUFFIXES):
            return False
        try:
            parts = Path(path).resolve().relative_to(Path(self.service.path).resolve()).parts
        except ValueError:
            parts = (name,)
        return not any(part.startswith(".") for part in parts)

    async def run(self) -> None:
        problem_logged = False
        while not self._stop.is_set():
            folder = Path(self.service.path)
            try:
                watcher = awatch(
                    folder,
                    watch_filter=self.relevant,
                    debounce=self.max_wait_ms,
                    step=self.settle_ms,
                    stop_event=self._stop,
                    force_polling=self.force_polling,
                    yield_on_timeout=True,  # lets us say we are watching as soon as the watch is set up
                    rust_timeout=250,
                )
                async for changes in watcher:
                    if not self._ready.is_set():
                        self._ready.set()
                        log.info("watching %s for changes", folder)
                    if changes:
                        await self._reload(tuple(sorted({path for _change, path in changes})))
                problem_logged = False
            except (OSError, RuntimeError) as exc:  # folder missing or unwatchable: try again later
                if not problem_logged:
                    log.warning("cannot watch %s (%s); retrying every %gs", folder, exc, self.retry_seconds)
                    problem_logged = True
                try:
                    await asyncio.wait_for(self._stop.wait(), self.retry_seconds)
                except TimeoutError:
                    pass

    async def _reload(self, files: tuple[str, ...]) -> None:
        before = self.service.answerer.kb.version if self.service.loaded else None
        result = await self.service.reload_async()
        self.reloads += 1
        if result.ok and result.version == before and not self.report_unchanged:
            return  # e.g. a file touched, or the reload after /kb add-question already reported
        if self.on_result is None:
            log.info("%s", describe_reload(result, self.service.path))
            return
        try:
            outcome = self.on_result(result, files)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:  # a failing report must not stop the watching
            log.exception("reporting a knowledge reload failed")
