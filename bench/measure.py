"""One benchmark size, measured in a process of its own so its peak memory is its own; and the
answer latency on the shipped knowledge base (`measure_shipped`, run by the parent).

Run by `python bench/scale.py`; by hand:
    python bench/measure.py KNOWLEDGE_DIR QUESTIONS_JSON [--baseline N] [--profile]
Prints one JSON object on standard output; progress and profiles go to standard error.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import pstats
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: find `bench` and this checkout's `bot`
    sys.path.insert(0, str(ROOT))

from bench.synthetic import Question, read_questions  # noqa: E402

T = TypeVar("T")
WARM_UP = ("hello", "what can you tell me about", "マイナ保険証について", "is the card used much")  # not in any question set
KINDS = ("exact", "paraphrase", "typo", "japanese", "offtopic")
SHIPPED_QUESTIONS = ROOT / "tests" / "quality"  # every *.yaml there: lists of {q: question, ...}
SHIPPED_ROUNDS = 3  # each labelled question is timed this many times (after one untimed round)
RELOAD_ROUNDS = 3  # reloads run with the loop stand-in (see _loop_during_reload)
LOOP_TICK_S = 0.001


def _peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def _cpu_s() -> float | None:
    """CPU seconds used so far by this process and its finished worker processes: on a shared
    machine the wall times of a load vary with the other work, its CPU much less."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _current_rss_mb() -> float | None:
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `share` of the values at or below it."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


def baseline_subset(questions: list[Question], count: int) -> list[Question]:
    """`count` questions spread evenly over the set, each kind in its share of the set, so
    the baseline sees the same mix of questions when it cannot afford to see them all."""
    if count >= len(questions):
        return list(questions)
    out: list[Question] = []
    for kind in KINDS:
        of_kind = [q for q in questions if q.kind == kind]
        take = round(count * len(of_kind) / len(questions))
        if of_kind and take:
            step = len(of_kind) / take
            out.extend(of_kind[int(i * step)] for i in range(take))
    return out


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _timed(label: str, profile: bool, work: Callable[[], T]) -> tuple[T, float]:
    """Run `work`, returning its result and wall time; under --profile, print where the time went."""
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    result = work()
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - start
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(14)
        stats.sort_stats("cumulative").print_stats(14)
        _say(f"--- profile: {label} ({elapsed:.2f} s with the profiler on) ---\n{out.getvalue().strip()}\n")
    return result, elapsed


def _ms(values_ns: list[int]) -> list[float]:
    return sorted(v / 1e6 for v in values_ns)


def measure(knowledge: Path, questions: list[Question], baseline_count: int, profile: bool = False) -> dict[str, Any]:
    from rapidfuzz import process

    from bot.service import KnowledgeService

    rss_start = _current_rss_mb()
    # The bot's own path: the service loads, validates, indexes and swaps in the base.
    service = KnowledgeService(knowledge)
    cpu_start = _cpu_s()
    first, _ = _timed("first load (load, validate, index)", profile, service.reload)
    cpu_end = _cpu_s()
    if not first.ok:
        shown = "; ".join(str(p) for p in first.problems[:3])
        raise RuntimeError(f"the validator rejected the generated knowledge base ({len(first.problems)} problem(s)): {shown}")
    load_s, index_s = first.load_s, first.index_s
    answerer = service.answerer
    kb = answerer.kb
    _say(f"  loaded and validated {len(kb.facts):,} facts in {load_s:.2f} s, built the index in {index_s:.2f} s")
    rss_index = _current_rss_mb()
    collector = _collector_after_load()
    for text in WARM_UP:
        answerer.ask(text)

    project_ns: list[int] = []
    right: dict[str, int] = dict.fromkeys(KINDS, 0)
    first: dict[str, int] = dict.fromkeys(KINDS, 0)  # answered with it, or it is the first suggestion
    total: dict[str, int] = dict.fromkeys(KINDS, 0)
    slowest = ("", 0)

    def ask_all() -> None:
        nonlocal slowest
        clock = time.perf_counter_ns
        for q in questions:
            start = clock()
            reply = answerer.ask(q.text)
            spent = clock() - start
            project_ns.append(spent)
            if spent > slowest[1]:
                slowest = (q.text, spent)
            total[q.kind] += 1
            if q.expect is None:
                right[q.kind] += reply.kind != "answer"
            else:
                answered = reply.kind == "answer" and reply.fact_id == q.expect
                right[q.kind] += answered
                first[q.kind] += answered or (reply.kind == "suggest" and bool(reply.suggestions) and reply.suggestions[0].fact_id == q.expect)

    _say(f"  asking {len(questions):,} questions")
    _timed("answering the questions", profile, ask_all)

    peak = _peak_rss_mb()  # the bot's: loaded, indexed and answering, before the baseline's phrasing list exists
    phrasings: list[str] = []
    owners: list[str] = []
    for fact in kb.facts:
        for _lang, phrasing in fact.all_questions():
            phrasings.append(phrasing)
            owners.append(fact.id)
    subset = baseline_subset(questions, baseline_count)
    baseline_ns: list[int] = []
    base_right: dict[str, int] = dict.fromkeys(KINDS, 0)
    base_total: dict[str, int] = dict.fromkeys(KINDS, 0)
    _say(f"  naive baseline (rapidfuzz extractOne over {len(phrasings):,} phrasings) on {len(subset):,} questions")
    clock = time.perf_counter_ns
    for q in subset:
        start = clock()
        best = process.extractOne(q.text, phrasings)  # the naive way: default scorer (WRatio), every phrasing
        baseline_ns.append(clock() - start)
        if q.expect is not None:
            base_total[q.kind] += 1
            base_right[q.kind] += best is not None and owners[best[2]] == q.expect

    ms = _ms(project_ns)
    base_ms = _ms(baseline_ns)
    p50 = percentile(ms, 0.50)
    base_p50 = percentile(base_ms, 0.50) if base_ms else None
    process_peak = _peak_rss_mb()  # with the baseline's list of every phrasing, before any reload
    phrasing_count = len(phrasings)
    del phrasings, owners
    reload_s, edited = _timed_reload(service, knowledge, profile)
    _say(f"  reloaded after an edit of {edited} in {reload_s:.2f} s")
    reload_peak = _peak_rss_mb()
    with _full_collections() as pauses:
        during = _loop_during_reload(service, knowledge, questions)
    _say(f"  while reloading in a worker thread, the loop waited at most {during['reload_loop_wait_max_ms']:.1f} ms for the interpreter")
    return {
        "facts": len(kb.facts),
        "phrasings": phrasing_count,
        "sources": len(kb.sources),
        "topics": len(kb.topics),
        "load_s": round(load_s, 3),
        "index_s": round(index_s, 3),
        "first_load_s": round(load_s + index_s, 3),
        "first_load_cpu_s": round(cpu_end - cpu_start, 3) if cpu_start is not None and cpu_end is not None else None,
        "reload_s": round(reload_s, 3),
        "peak_rss_mb": round(peak, 1) if peak is not None else None,
        "baseline_peak_rss_mb": round(process_peak, 1) if process_peak is not None else None,
        "reload_peak_rss_mb": round(reload_peak, 1) if reload_peak is not None else None,
        "start_rss_mb": round(rss_start, 1) if rss_start is not None else None,
        "index_rss_mb": round(rss_index, 1) if rss_index is not None else None,
        "questions": len(ms),
        "p50_ms": round(p50, 3),
        "p90_ms": round(percentile(ms, 0.90), 3),
        "p99_ms": round(percentile(ms, 0.99), 3),
        "max_ms": round(ms[-1], 3),
        "mean_ms": round(sum(ms) / len(ms), 3),
        "over_5ms": sum(1 for v in ms if v > 5.0),
        "slowest_question": slowest[0],
        "baseline_questions": len(base_ms),
        "baseline_p50_ms": round(base_p50, 3) if base_p50 is not None else None,
        "baseline_p99_ms": round(percentile(base_ms, 0.99), 3) if base_ms else None,
        "speedup_p50": round(base_p50 / p50, 2) if base_p50 is not None and p50 > 0 else None,
        "exact_top1": round(right["exact"] / total["exact"], 4) if total["exact"] else None,
        "top1": {kind: round(right[kind] / total[kind], 4) for kind in KINDS if total[kind]},
        "first": {kind: round(first[kind] / total[kind], 4) for kind in KINDS if total[kind] and kind != "offtopic"},
        "baseline_top1": {kind: round(base_right[kind] / base_total[kind], 4) for kind in KINDS if base_total[kind]},
        **during,
        **collector,
        "reload_full_collections": len(pauses),
        "reload_full_collection_max_ms": round(max(pauses, default=0.0), 2),
        "profiled": profile,
    }


def labelled_questions(folder: Path = SHIPPED_QUESTIONS) -> list[str]:
    """The `q` of every item in the labelled question sets, in file order."""
    import yaml

    out: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        out.extend(item["q"] for item in items if isinstance(item, dict) and isinstance(item.get("q"), str))
    return out


def measure_shipped(knowledge: Path | None = None, rounds: int = SHIPPED_ROUNDS) -> dict[str, Any]:
    """Answer latency on the shipped knowledge base over the labelled questions, through the
    bot's KnowledgeService and Answerer as the bot answers them."""
    from bot.knowledge import default_knowledge_path
    from bot.service import KnowledgeService

    service = KnowledgeService(knowledge or default_knowledge_path())
    loaded = service.reload()
    if not loaded.ok:
        raise RuntimeError(f"the shipped knowledge base does not load ({len(loaded.problems)} problem(s)); run `python -m bot validate`")
    questions = labelled_questions()
    if not questions:
        raise RuntimeError(f"no labelled questions found in {SHIPPED_QUESTIONS}")
    answerer = service.answerer
    for text in questions:  # warm-up: first-use caches are not what is measured
        answerer.ask(text)
    clock = time.perf_counter_ns
    spent: list[int] = []
    for _ in range(rounds):
        for text in questions:
            start = clock()
            answerer.ask(text)
            spent.append(clock() - start)
    ms = _ms(spent)
    return {
        "facts": len(answerer.kb.facts),
        "questions": len(questions),
        "rounds": rounds,
        "p50_ms": round(percentile(ms, 0.50), 3),
        "p99_ms": round(percentile(ms, 0.99), 3),
        "max_ms": round(ms[-1], 3),
    }


def _collector_after_load() -> dict[str, Any]:
    """The objects the cycle collector tracks once the knowledge base is loaded and indexed, and
    how long one full collection of them takes (it holds the interpreter lock throughout)."""
    gc.collect()
    tracked = len(gc.get_objects())
    start = time.perf_counter()
    gc.collect()
    return {"gc_tracked_objects": tracked, "gc_full_collection_ms": round((time.perf_counter() - start) * 1e3, 2)}


@contextmanager
def _full_collections() -> Iterator[list[float]]:
    """The duration in ms of every full (generation 2) collection, in any thread, while inside."""
    pauses: list[float] = []
    started: list[float] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            pauses.append((time.perf_counter() - started[0]) * 1e3)

    gc.callbacks.append(note)
    try:
        yield pauses
    finally:
        gc.callbacks.remove(note)


@contextmanager
def _one_file_edited(knowledge: Path, mark: int = 0) -> Iterator[str]:
    """A moderator's edit: a comment added at the end of one file, put back afterwards.
    Edits with different marks differ, so none is found already checked in the load cache."""
    files = sorted(p for p in knowledge.glob("*.yaml") if p.name != "sources.yaml")
    target = files[len(files) // 2]
    original = target.read_bytes()
    try:
        target.write_bytes(original + f"\n# edited by the benchmark ({mark})\n".encode())
        yield target.name
    finally:
        target.write_bytes(original)


def _timed_reload(service: Any, knowledge: Path, profile: bool) -> tuple[float, str]:
    """A moderator's reload: one file edited, then the whole folder reloaded through the
    service in a worker thread, as `/kb reload` does (`reload_async`). In a thread, the loader
    checks a large edited file in a worker process; this first reload in a thread also starts
    the process that forks them (see `bot.knowledge.loader.ASIDE_MIN_BYTES`)."""

    def in_a_thread() -> Any:
        outcome: list[Any] = []
        worker = threading.Thread(target=lambda: outcome.append(service.reload()))
        worker.start()
        worker.join()
        if not outcome:
            raise RuntimeError("the reload after an edit raised; its traceback is above")
        return outcome[0]

    with _one_file_edited(knowledge) as edited:
        result, seconds = _timed("reload after editing one file", profile, in_a_thread)
    if not result.ok:
        raise RuntimeError(f"the reload after an edit failed: {result.problems[:1]}")
    return seconds, edited


def _loop_during_reload(service: Any, knowledge: Path, questions: list[Question], rounds: int = RELOAD_ROUNDS) -> dict[str, float]:
    """What a reload in its worker thread costs the event loop, as the bot runs it
    (`/kb reload` calls `reload_async`): while it runs, this thread stands in for the loop,
    waking every millisecond to answer a question. Returns the longest wait past the wake-up
    time (the loop waiting for the interpreter lock) and the longest question, start to end."""
    waits: list[float] = []
    asks: list[float] = []
    clock = time.perf_counter
    outcome: list[Any] = []
    for round_no in range(rounds):
        with _one_file_edited(knowledge, mark=1 + round_no):
            outcome.clear()
            worker = threading.Thread(target=lambda: outcome.append(service.reload()))
            worker.start()
            n = 0
            while n == 0 or worker.is_alive():  # at least one tick per reload, however quick
                start = clock()
                time.sleep(LOOP_TICK_S)
                woke = clock()
                waits.append(woke - start - LOOP_TICK_S)
                service.answerer.ask(questions[n % len(questions)].text)
                asks.append(clock() - woke)
                n += 1
            worker.join()
        if not outcome or not outcome[0].ok:
            raise RuntimeError("a reload during the loop measurement failed")
    return {
        "reload_loop_wait_max_ms": round(max(waits, default=0.0) * 1e3, 2),
        "reload_loop_wait_p99_ms": round(percentile(sorted(waits), 0.99) * 1e3, 2) if waits else 0.0,
        "reload_ask_max_ms": round(max(asks, default=0.0) * 1e3, 2),
        "reload_loop_samples": len(waits),
        "reload_loop_rounds": rounds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/measure.py", description="Measure one synthetic knowledge base (used by bench/scale.py).")
    parser.add_argument("knowledge", type=Path)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--baseline", type=int, default=1000, metavar="N", help="questions to time the naive baseline on")
    parser.add_argument("--profile", action="store_true", help="print cProfile summaries to standard error (times then include the profiler's cost)")
    args = parser.parse_args(argv)
    try:
        row = measure(args.knowledge, read_questions(args.questions), args.baseline, args.profile)
    except (OSError, ValueError, RuntimeError, MemoryError) as exc:
        message = f"{type(exc).__name__}: {exc}" if isinstance(exc, MemoryError) else str(exc)
        print(json.dumps({"error": message}, ensure_ascii=False))
        return 1
    print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
