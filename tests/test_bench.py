"""The benchmark's generator and command line (figures are printed by `python bench/scale.py`, never asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bench.measure import baseline_subset, percentile
from bench.scale import main
from bench.synthetic import METRICS, MIN_FACTS, PREFECTURES, Generated, generate, places
from bot.answer.reply import Answerer
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.knowledge.yamlsafe import Limits
from bot.text.normalise import signature


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_generator_is_deterministic_from_its_seed(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", 400, seed=7, n_questions=100)
    again = generate(tmp_path / "b", 400, seed=7, n_questions=100)
    other = generate(tmp_path / "c", 400, seed=8, n_questions=100)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert first.questions == again.questions
    assert _files(tmp_path / "a") != _files(tmp_path / "c")
    assert first.questions != other.questions


SMALL_LIMITS = Limits(max_file_bytes=30_000)  # small, so a subject's facts must be split over several files


@pytest.fixture(scope="module")
def small_base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Generated, KnowledgeBase]:
    folder = tmp_path_factory.mktemp("bench") / "kb"
    generated = generate(folder, MIN_FACTS, seed=3, n_questions=200, limits=SMALL_LIMITS)
    result = load_knowledge([folder], SMALL_LIMITS)
    assert [str(p) for p in result.problems] == []
    assert result.kb is not None
    return generated, result.kb


def test_generated_base_passes_the_real_validator_within_the_file_limits(small_base: tuple[Generated, KnowledgeBase]) -> None:
    generated, kb = small_base
    assert len(kb.facts) == MIN_FACTS
    sizes = [p.stat().st_size for p in generated.folder.iterdir()]
    assert len(sizes) == generated.files > len(METRICS) + 1  # one topic per subject, and more than one file for some
    assert max(sizes) <= SMALL_LIMITS.max_file_bytes
    for fact in kb.facts:
        assert len(fact.questions["en"]) >= 4 and len(fact.questions["ja"]) >= 3
        assert len(fact.figures) >= 2 and fact.series and fact.source in kb.sources
    kinds = Counter(q.kind for q in generated.questions)
    assert kinds == {"exact": 50, "paraphrase": 50, "typo": 40, "japanese": 30, "offtopic": 30}
    ids = {f.id for f in kb.facts}
    assert all(q.expect in ids for q in generated.questions if q.kind != "offtopic")
    in_files = {text for f in kb.facts for _lang, text in f.all_questions()}
    held_back = [q.text for q in generated.questions if q.kind in ("paraphrase", "japanese")]
    assert held_back and not any(text in in_files for text in held_back)
    assert all(q.text in in_files for q in generated.questions if q.kind == "exact")


def test_subjects_never_share_a_phrasing_signature() -> None:
    # The validator rejects two facts whose phrasings tokenise alike; at 100,000 facts every
    # pair of subjects meets in some place, so no template may read like another subject's,
    # whatever the normaliser's stop words become.
    for place in (places()[0], places()[len(PREFECTURES) + 5]):
        owner: dict[str, str] = {}
        for metric in METRICS:
            for template in metric.subject.questions_en + metric.subject.questions_ja:
                sig = signature(template.format(**metric.fill(place)))
                assert owner.setdefault(sig, metric.slug) == metric.slug, f"{template!r} of {metric.slug} reads like a phrasing of {owner[sig]}"


def test_an_exact_phrasing_is_answered_with_its_own_fact(small_base: tuple[Generated, KnowledgeBase]) -> None:
    _generated, kb = small_base
    answerer = Answerer(kb)
    wrong = []
    for fact in kb.facts[::6]:
        for _lang, phrasing in fact.all_questions():
            reply = answerer.ask(phrasing)
            if not (reply.kind == "answer" and reply.fact_id == fact.id):
                wrong.append((phrasing, fact.id, reply.kind, reply.fact_id))
    assert wrong == []


def test_percentile_and_baseline_sample() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0 and percentile(values, 0.99) == 99.0 and percentile(values, 1.0) == 100.0
    from bench.synthetic import Question

    questions = [Question(f"q{i}", "exact" if i % 4 else "offtopic", None) for i in range(400)]
    sample = baseline_subset(questions, 40)
    assert len(sample) == 40 and Counter(q.kind for q in sample) == {"exact": 30, "offtopic": 10}
    assert baseline_subset(questions, 1000) == questions


ROOT = Path(__file__).resolve().parents[1]


def test_bench_json_has_the_required_keys() -> None:
    # run as the README says, a script outside the package, from another folder
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale.py"), "--sizes", str(MIN_FACTS), "--questions", "60", "--json"],
        cwd=ROOT / "docs",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    (row,) = out["sizes"]
    required = {
        "facts",
        "load_s",
        "index_s",
        "first_load_s",
        "reload_s",
        "reload_peak_rss_mb",
        "peak_rss_mb",
        "p50_ms",
        "p99_ms",
        "baseline_p50_ms",
        "baseline_p99_ms",
        "speedup_p50",
        "max_ms",
        "exact_top1",
        "reload_loop_wait_max_ms",
    }
    assert required <= row.keys()
    assert row["facts"] == MIN_FACTS and row["questions"] == 60 and row["baseline_questions"] == 60
    assert 0 < row["p50_ms"] <= row["p99_ms"] <= row["max_ms"]
    assert row["speedup_p50"] == pytest.approx(row["baseline_p50_ms"] / row["p50_ms"], rel=0.01)
    assert row["peak_rss_mb"] > 10 and row["reload_peak_rss_mb"] >= row["peak_rss_mb"]
    assert row["first_load_s"] == pytest.approx(row["load_s"] + row["index_s"], abs=0.002) and row["reload_s"] > 0
    # targets at sizes that were not run are reported as not measured, not as met
    assert {t["ok"] for t in out["targets"] if "10,000" in t["target"]} == {None}
    shipped = out["shipped"]
    assert shipped["questions"] > 100 and shipped["facts"] > 10
    assert 0 < shipped["p50_ms"] <= shipped["p99_ms"] <= shipped["max_ms"]
    assert any(t["target"].endswith("on the shipped knowledge base") and t["ok"] is not None for t in out["targets"])


def test_bench_rejects_a_bad_size_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--sizes", "1000,lots"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "--sizes: 'lots' is not a number of facts (example: --sizes 1000,10000)"


def test_the_timed_reload_reads_the_edited_file_and_puts_it_back(mini_dir: Path) -> None:
    from bench.measure import _timed_reload
    from bot.service import KnowledgeService

    service = KnowledgeService(mini_dir)
    assert service.reload().ok
    before = {p.name: p.read_bytes() for p in mini_dir.glob("*.yaml")}
    misses = service.load_cache.misses
    seconds, edited = _timed_reload(service, mini_dir, profile=False)
    assert edited == "facts.yaml" and seconds > 0
    assert service.load_cache.misses == misses + 1  # the edited file, and only it, was parsed again
    assert {p.name: p.read_bytes() for p in mini_dir.glob("*.yaml")} == before


def test_the_loop_measurement_during_reloads_answers_and_puts_the_file_back(mini_dir: Path) -> None:
    from bench.measure import _loop_during_reload
    from bench.synthetic import Question
    from bot.service import KnowledgeService

    service = KnowledgeService(mini_dir)
    assert service.reload().ok
    before = {p.name: p.read_bytes() for p in mini_dir.glob("*.yaml")}
    misses = service.load_cache.misses
    row = _loop_during_reload(service, mini_dir, [Question("how many hospitals", "paraphrase", None)], rounds=2)
    assert set(row) == {"reload_loop_wait_max_ms", "reload_loop_wait_p99_ms", "reload_ask_max_ms", "reload_loop_samples", "reload_loop_rounds"}
    assert service.load_cache.misses == misses + 2  # two reloads, each after an edit
    assert row["reload_loop_samples"] >= 2 and row["reload_loop_wait_max_ms"] >= row["reload_loop_wait_p99_ms"] >= 0
    assert {p.name: p.read_bytes() for p in mini_dir.glob("*.yaml")} == before
