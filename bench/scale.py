"""The scale benchmark: load, index, memory and answer latency on synthetic knowledge bases
of 1,000 and 10,000 facts (100,000 on request), against the naive `rapidfuzz.process.extractOne`
baseline, and answer latency on the shipped knowledge base.

    python bench/scale.py                        # 1,000 and 10,000 facts, a table
    python bench/scale.py --sizes 1000 --json    # one JSON object; `sizes` holds a row per size
    python bench/scale.py --check                # exit 1 when a target is missed

For each size the parent writes a synthetic knowledge base (bench/synthetic.py) into a
temporary folder and starts a fresh Python process (bench/measure.py) that loads it with the
real loader and validator, builds the real index and asks the question set, so every size has
its own peak memory and no size warms the caches of the next.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# bench/ is not an installed package: run as a script, it finds `bench` and this checkout's
# `bot` from the project's root.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import measure_shipped  # noqa: E402
from bench.synthetic import MIN_FACTS, PHRASINGS_PER_FACT, QUESTION_MIX, generate, max_facts, write_questions  # noqa: E402

DEFAULT_SIZES = (1_000, 10_000)
DEFAULT_QUESTIONS = 1_000
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# The baseline costs about a second a question at 100,000 facts; it is timed on an even
# sample of the questions when the full set would take minutes (override: --baseline-questions).
BASELINE_MIN_SAMPLE = 50
BASELINE_PHRASING_BUDGET = 7_000_000  # questions x phrasings compared, about a minute
DESIGN_SIZE = 10_000  # the largest knowledge base the bot is designed for
SHIPPED = 0  # `Target.facts` of a target on the shipped knowledge base


@dataclass(frozen=True)
class Target:
    label: str
    facts: int  # the size it applies to; SHIPPED for the shipped knowledge base
    key: str
    limit: float
    at_least: bool = False  # True: the value must reach the limit; False: stay within it

    def check(self, rows: list[dict[str, Any]], shipped: dict[str, Any] | None) -> tuple[bool | None, str]:
        if self.facts == SHIPPED:
            row = shipped
        else:
            row = next((r for r in rows if r.get("facts") == self.facts and self.key in r), None)
        if row is None or row.get(self.key) is None:
            return None, "not measured" if self.facts == SHIPPED else f"not measured (add {self.facts} to --sizes)"
        value = float(row[self.key])
        ok = value >= self.limit if self.at_least else value <= self.limit
        return ok, _value_text(self.key, value)


TARGETS = (
    Target("p99 <= 5 ms per question at 10,000 facts", DESIGN_SIZE, "p99_ms", 5.0),
    Target("p50 >= 20x faster than the naive baseline at 10,000 facts", DESIGN_SIZE, "speedup_p50", 20.0, at_least=True),
    Target("peak memory <= 300 MB at 10,000 facts", DESIGN_SIZE, "peak_rss_mb", 300.0),
    Target("first load (read, validate, index) <= 10 s at 10,000 facts", DESIGN_SIZE, "first_load_s", 10.0),
    # the bot's reload (in a worker thread) after a moderator edited one file: every file read and hashed, the edited
    # one parsed and checked, every check across files, the index rebuilt
    Target("reload after editing one file <= 2 s at 10,000 facts", DESIGN_SIZE, "reload_s", 2.0),
    Target("the event loop waits <= 50 ms while a reload runs at 10,000 facts", DESIGN_SIZE, "reload_loop_wait_max_ms", 50.0),
    Target("p99 <= 2 ms per question on the shipped knowledge base", SHIPPED, "p99_ms", 2.0),
)


def _value_text(key: str, value: float) -> str:
    if key.endswith("_ms"):
        return f"{value:,.2f} ms"
    if key.endswith("_s"):
        return f"{value:,.2f} s"
    if key.endswith("_mb"):
        return f"{value:,.0f} MB"
    return f"{value:,.1f}x"


def check_targets(rows: list[dict[str, Any]], shipped: dict[str, Any] | None = None) -> list[tuple[str, bool | None, str]]:
    results = [(t.label, *t.check(rows, shipped)) for t in TARGETS]
    exact = [r for r in rows if r.get("exact_top1") is not None]
    if exact:
        worst = min(exact, key=lambda r: r["exact_top1"])
        ok = all(r["exact_top1"] == 1.0 for r in exact)
        results.append(
            (
                "an exact phrasing is answered with its own fact, at every size",
                ok,
                f"{worst['exact_top1']:.1%} at {worst['facts']:,} facts" if not ok else "100% at every size",
            )
        )
    return results


def parse_sizes(text: str) -> list[int]:
    """'1000,10000' or '1k,10k,100k'; raises ValueError with a message for people."""
    sizes = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        scale = 1000 if part.endswith("k") else 1
        digits = part[:-1] if scale > 1 else part
        if not digits.isdigit():
            raise ValueError(f"--sizes: {part!r} is not a number of facts (example: --sizes 1000,10000)")
        sizes.append(int(digits) * scale)
    limit = max_facts()
    for size in sizes:
        if size < MIN_FACTS:
            # below 5,000 phrasings the validator compares every pair, and it reads phrasings that
            # differ only in a short place name as the same question
            raise ValueError(f"--sizes: {size:,} is too small; synthetic knowledge bases start at {MIN_FACTS} facts")
        if size > limit:
            raise ValueError(f"--sizes: {size:,} is too large; the generator has names for at most {limit:,} facts")
    return sizes


def default_baseline_questions(questions: int, facts: int) -> int:
    phrasings = facts * PHRASINGS_PER_FACT
    return min(questions, max(BASELINE_MIN_SAMPLE, BASELINE_PHRASING_BUDGET // phrasings))


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def run_size(facts: int, seed: int, questions: int, baseline_questions: int, workdir: Path, profile: bool) -> dict[str, Any]:
    """Generate one knowledge base under `workdir` and measure it in a child process."""
    kb_dir = workdir / "knowledge"
    start = time.perf_counter()
    generated = generate(kb_dir, facts, seed, questions)
    question_file = workdir / "questions.json"
    write_questions(question_file, generated.questions)
    _say(
        f"{facts:,} facts: wrote {generated.files} files ({generated.bytes / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s; measuring in a separate process"
    )
    command = [sys.executable, str(Path(__file__).with_name("measure.py")), str(kb_dir), str(question_file), "--baseline", str(baseline_questions)]
    if profile:
        command.append("--profile")
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    try:
        row = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        row = {}
    if "error" in row:
        raise RuntimeError(f"{facts:,} facts: {row['error']}")
    if done.returncode != 0 or "facts" not in row:
        raise RuntimeError(f"{facts:,} facts: the measuring process failed (exit code {done.returncode}); its messages are above")
    row["files"] = generated.files
    row["yaml_mb"] = round(generated.bytes / 1e6, 2)
    return row


def _table(result: dict[str, Any]) -> str:
    rows = result["sizes"]
    mix = ", ".join(f"{round(share * result['questions'])} {kind}" for kind, share in QUESTION_MIX)
    lines = [
        f"Synthetic knowledge bases, seed {result['seed']}; {result['questions']:,} questions ({mix}); {result['cpus']} CPU(s), Python {result['python']}.",
        "",
        f"{'facts':>8} {'phrasings':>9} {'files':>5} {'YAML MB':>7} {'load s':>7} {'index s':>7} {'first s':>7} {'reload s':>8} {'peak MB':>7}"
        f" {'p50 ms':>7} {'p99 ms':>7} {'max ms':>8} {'base p50':>9} {'base p99':>9} {'speedup':>7} {'exact 1st':>9}",
    ]
    for r in rows:
        peak = f"{r['peak_rss_mb']:.0f}" if r.get("peak_rss_mb") is not None else "n/a"
        speed = f"{r['speedup_p50']:.1f}x" if r.get("speedup_p50") is not None else "n/a"
        exact = f"{r['exact_top1']:.1%}" if r.get("exact_top1") is not None else "n/a"
        lines.append(
            f"{r['facts']:>8,} {r['phrasings']:>9,} {r['files']:>5} {r['yaml_mb']:>7.1f} {r['load_s']:>7.2f} {r['index_s']:>7.2f} {r['first_load_s']:>7.2f} {r['reload_s']:>8.2f} {peak:>7}"
            f" {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} {r['max_ms']:>8.2f} {r['baseline_p50_ms']:>9.2f} {r['baseline_p99_ms']:>9.2f} {speed:>7} {exact:>9}"
        )
    lines += [
        "",
        "first s: the first load of a process (load + index, nothing to reuse); reload s: the bot's reload, in a worker thread, after one file was edited",
        "(every file read and hashed, the edited one parsed and checked, all checks across files, the index rebuilt);",
        "peak MB: the bot's process after loading, indexing and answering (the JSON also gives the peak with the baseline's list of every",
        "phrasing, baseline_peak_rss_mb, and after the reload, reload_peak_rss_mb, when old and new knowledge are both held for a moment).",
    ]
    lines += [
        "",
        "While a reload runs in its worker thread (one file edited, as /kb reload does), the event loop (a thread waking every 1 ms to answer a question):",
    ]
    for r in rows:
        if "reload_loop_wait_max_ms" in r:
            lines.append(
                f"{r['facts']:>8,}: waited for the interpreter at most {r['reload_loop_wait_max_ms']:.1f} ms (p99 {r['reload_loop_wait_p99_ms']:.1f});"
                f" slowest question, start to end, {r['reload_ask_max_ms']:.1f} ms ({r['reload_loop_samples']} questions over {r['reload_loop_rounds']} reloads)"
            )
        if "gc_tracked_objects" in r:
            lines.append(
                f"{'':>8}  the cycle collector tracks {r['gc_tracked_objects']:,} objects once loaded; a full collection of them took {r['gc_full_collection_ms']:.1f} ms;"
                f" {r['reload_full_collections']} ran during those reloads, the longest {r['reload_full_collection_max_ms']:.1f} ms"
            )
    lines += ["", "Quality: answered with the right fact (right fact first, as the answer or the first suggestion; baseline: right fact's phrasing best):"]
    for r in rows:
        parts = []
        for kind in ("exact", "paraphrase", "typo", "japanese"):
            if kind in r["top1"]:
                base = r["baseline_top1"].get(kind)
                extra = f"first {r['first'][kind]:.1%}" + (f", baseline {base:.1%}" if base is not None else "")
                parts.append(f"{kind} {r['top1'][kind]:.1%} ({extra})")
        if "offtopic" in r["top1"]:
            parts.append(f"off-topic not answered {r['top1']['offtopic']:.1%}")
        lines.append(f"{r['facts']:>8,}: " + "; ".join(parts))
    sampled = [r for r in rows if r["baseline_questions"] < r["questions"]]
    if sampled:
        lines.append("")
        lines.append(
            "The baseline was timed on an even sample of the questions at "
            + ", ".join(f"{r['facts']:,} facts ({r['baseline_questions']} questions)" for r in sampled)
            + "; use --baseline-questions to change it."
        )
    if any(r.get("profiled") for r in rows):
        lines.append("Timings were taken with the profiler on (--profile): they are inflated.")
    shipped = result.get("shipped")
    if shipped:
        lines += [
            "",
            f"Shipped knowledge base ({shipped['facts']} facts), {shipped['questions']} labelled questions from tests/quality asked {shipped['rounds']} times:"
            f" p50 {shipped['p50_ms']:.2f} ms, p99 {shipped['p99_ms']:.2f} ms, max {shipped['max_ms']:.2f} ms.",
        ]
    lines += ["", "Targets:"]
    for label, ok, detail in result["targets"]:
        mark = "OK  " if ok else ("--  " if ok is None else "MISS")
        lines.append(f"  [{mark}] {label}: {detail}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        sizes = parse_sizes(args.sizes)
    except ValueError as exc:
        _say(str(exc))
        return EXIT_USAGE
    if not 10 <= args.questions <= 100_000:
        _say("--questions: expected a number from 10 to 100,000")
        return EXIT_USAGE
    if args.baseline_questions is not None and args.baseline_questions < 1:
        _say("--baseline-questions: expected a positive number")
        return EXIT_USAGE
    if args.keep is not None and args.keep.exists() and any(args.keep.iterdir()):
        _say(f"--keep: {args.keep} is not empty; give a new or empty folder")
        return EXIT_USAGE
    rows: list[dict[str, Any]] = []
    for facts in sizes:
        baseline = args.baseline_questions or default_baseline_questions(args.questions, facts)
        try:
            if args.keep is not None:
                workdir = args.keep / f"facts-{facts}"
                workdir.mkdir(parents=True, exist_ok=True)
                rows.append(run_size(facts, args.seed, args.questions, baseline, workdir, args.profile))
            else:
                with tempfile.TemporaryDirectory(prefix="bot-bench-") as tmp:
                    rows.append(run_size(facts, args.seed, args.questions, baseline, Path(tmp), args.profile))
        except (RuntimeError, OSError, ValueError) as exc:
            _say(f"bench: {exc}")
            return EXIT_FAILED
    # after the sizes: each size runs in a child process, and a child's peak RSS (ru_maxrss) starts
    # from its parent's at the fork, so the parent stays small until they are done
    try:
        shipped = measure_shipped()
    except (RuntimeError, OSError, ValueError) as exc:
        _say(f"bench: {exc}")
        return EXIT_FAILED
    _say(f"shipped knowledge base: p99 {shipped['p99_ms']:.2f} ms over {shipped['questions']} labelled questions")
    result: dict[str, Any] = {
        "seed": args.seed,
        "questions": args.questions,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sizes": rows,
        "shipped": shipped,
    }
    targets = check_targets(rows, shipped)
    result["targets"] = targets
    if args.json:
        out = dict(result, targets=[{"target": label, "ok": ok, "value": detail} for label, ok, detail in targets])
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(_table(result))
    if args.check and any(ok is False for _label, ok, _detail in targets):
        return EXIT_FAILED
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python bench/scale.py",
        description="Generate synthetic knowledge bases (deterministic from --seed), measure each in its own process, time the shipped knowledge base, and print a table.",
    )
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in DEFAULT_SIZES),
        help="numbers of facts, comma-separated (default: 1000,10000; 10k works too; 100000 on request)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic knowledge bases and questions (default: 1)")
    parser.add_argument("--questions", type=int, default=DEFAULT_QUESTIONS, help="questions asked at each size (default: 1000)")
    parser.add_argument(
        "--baseline-questions",
        type=int,
        default=None,
        metavar="N",
        help="questions to time the naive baseline on (default: all of them up to 1,000 facts, an even sample above)",
    )
    parser.add_argument(
        "--keep", type=Path, default=None, metavar="DIR", help="write the knowledge bases and questions here and keep them (default: a temporary folder)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print cProfile summaries of load, index build and answering to standard error (inflates the timings)"
    )
    parser.add_argument("--check", action="store_true", help="exit with status 1 when a target is missed")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return run(build_parser().parse_args(argv))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
