"""Shared pieces of the hostile-input and fault suite: the fixed hypothesis profile, a meter
for time and peak memory, the worst cases seen (printed after the run), and the `live` fixture:
the real bot connected to the loopback Discord stand-in (tests/support/live_bot.py).
"""

from __future__ import annotations

import contextlib
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, settings

from bot.service import KnowledgeService
from tests.support.live_bot import Live, running_bot

T = TypeVar("T")

# Fixed, so every run tries the same inputs (a failure always reproduces) and the suite's time
# stays flat; no example database, so runs do not depend on each other.
settings.register_profile(
    "hostile",
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,  # time is bounded by our own, stated bounds (tests/hostile/bounds.py)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
HOSTILE = settings.get_profile("hostile")

# name -> (worst seconds, the bound it is held to), printed at the end of the run
WORST: dict[str, tuple[float, float]] = {}
PEAKS: dict[str, tuple[int, int]] = {}  # name -> (peak bytes, bound)


def timed(name: str, bound: float, fn: Callable[[], T]) -> T:
    """Run fn, remember the worst time under `name`, and fail if it took longer than `bound`."""
    start = time.perf_counter()
    result = fn()
    within(name, bound, time.perf_counter() - start)
    return result


def within(name: str, bound: float, seconds: float) -> None:
    """Remember a measured duration as the worst under `name` if it is, and hold it to `bound`."""
    worst, _ = WORST.get(name, (0.0, bound))
    WORST[name] = (max(worst, seconds), bound)
    assert seconds <= bound, f"{name}: {seconds:.3f} s, over the bound of {bound} s"


@contextlib.contextmanager
def peak_memory() -> Iterator[list[int]]:
    """Peak bytes allocated by Python inside the block (tracemalloc), put in the yielded list."""
    out: list[int] = []
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        yield out
    finally:
        out.append(max(0, tracemalloc.get_traced_memory()[1] - base))
        if not was_tracing:
            tracemalloc.stop()


def record_peak(name: str, peak: int, bound: int) -> None:
    PEAKS[name] = (max(peak, PEAKS.get(name, (0, bound))[0]), bound)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    if not WORST and not PEAKS:
        return
    terminalreporter.write_sep("-", "hostile input: worst cases seen (bound)")
    for name, (worst, bound) in sorted(WORST.items()):
        terminalreporter.write_line(f"{name:<58} {worst * 1000:9.1f} ms   (bound {bound * 1000:,.0f} ms)")
    for name, (peak, bound) in sorted(PEAKS.items()):
        terminalreporter.write_line(f"{name:<58} {peak / 1e6:9.2f} MB   (bound {bound / 1e6:,.0f} MB)")


# ---------------------------------------------------------------- the live bot


@pytest.fixture
async def live(loaded_service: KnowledgeService) -> AsyncIterator[Live]:
    async with running_bot(loaded_service) as running:
        yield running
