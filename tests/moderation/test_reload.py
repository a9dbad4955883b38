"""Reloading: broken edits keep the old answers, concurrent reloads never mix, the watcher debounces."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from bot.knowledge import load_knowledge
from bot.knowledge.store import QuestionStore
from bot.service import KnowledgeService, ReloadResult
from bot.watch import KnowledgeWatcher, describe_reload

OLD = "It started in 2016."
NEW = "The system started in 2016."
QUESTION = "when did the my number system start"


def _write(path: Path, text: str) -> None:
    """Replace a file in one step, the way careful editors save."""
    temp = path.with_name("." + path.name + ".tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def _sentence(service: KnowledgeService) -> str:
    return service.answerer.ask(QUESTION).sentence


async def _until(predicate, timeout: float = 10.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


def test_describe_reload_names_changes_or_every_problem_with_file_and_line(kb_dir: Path) -> None:
    service = KnowledgeService(kb_dir)
    assert service.reload().ok
    facts = kb_dir / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace(OLD, NEW), encoding="utf-8")
    text = describe_reload(service.reload(), kb_dir)
    assert text.startswith("Knowledge reloaded (version ") and "changed: launch-year" in text
    facts.write_text(facts.read_text(encoding="utf-8").replace("unit: year", "unit: yeer"), encoding="utf-8")
    failed = service.reload()
    text = describe_reload(failed, kb_dir)
    assert "NOT reloaded: 1 problem(s)" in text
    assert f"kb/facts.yaml:{failed.problems[0].line}:" in text and "unknown unit 'yeer'" in text
    assert str(kb_dir) not in text  # moderators see the path inside the folder, not the server's


def test_a_broken_edit_keeps_the_old_answers_and_reports_file_and_line(kb_dir: Path) -> None:
    service = KnowledgeService(kb_dir)
    assert service.reload().ok
    facts = kb_dir / "facts.yaml"
    good = facts.read_text(encoding="utf-8")
    cases = {
        "half-written": good[: good.index("    source: test-source\n  - id: launch-year") + 20],
        "syntax error": good.replace('    answer:\n      en: "It started', '    answer: [\n      en: "It started'),
        "duplicate id": good.replace("id: hospitals-using", "id: launch-year"),
    }
    for label, text in cases.items():
        facts.write_text(text.replace(OLD, NEW), encoding="utf-8")
        result = service.reload()
        assert not result.ok, label
        assert any(p.file.endswith("facts.yaml") and p.line > 0 for p in result.problems), (label, [str(p) for p in result.problems])
        assert _sentence(service) == OLD, label
    facts.write_text(good, encoding="utf-8")
    (kb_dir / "sources.yaml").unlink()  # deleted during the edit
    result = service.reload()
    assert not result.ok and "unknown source 'test-source'" in str(result.problems[0])
    assert _sentence(service) == OLD


def test_concurrent_reloads_never_mix_and_the_last_one_wins(kb_dir: Path) -> None:
    """Reloads race while the files flip between two versions; readers always see one whole version."""
    service = KnowledgeService(kb_dir)
    assert service.reload().ok
    facts = kb_dir / "facts.yaml"
    versions = {OLD: facts.read_text(encoding="utf-8"), NEW: facts.read_text(encoding="utf-8").replace(OLD, NEW)}
    stop = threading.Event()
    seen: set[str] = set()
    inconsistent: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            answerer = service.answerer  # one reference, as a front end takes it per question
            fact = answerer.kb.fact("launch-year")
            sentence = answerer.ask(QUESTION).sentence
            if answerer.index.kb is not answerer.kb or sentence != fact.answer.en:
                inconsistent.append(sentence)
            seen.add(sentence)

    async def race() -> list[ReloadResult]:
        results: list[ReloadResult] = []
        for i in range(12):
            _write(facts, versions[NEW if i % 2 == 0 else OLD])
            results += await asyncio.gather(service.reload_async(), service.reload_async(), service.reload_async())
        return results

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        results = asyncio.run(race())
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert all(r.ok for r in results)
    assert inconsistent == []
    assert seen <= {OLD, NEW} and NEW in seen
    assert service.answerer.kb.version == load_knowledge([kb_dir]).kb.version  # the last reload read the last files
    assert _sentence(service) == OLD


@pytest.mark.asyncio
async def test_watcher_debounces_a_burst_of_saves_into_one_reload(kb_dir: Path) -> None:
    service = KnowledgeService(kb_dir)
    assert service.reload().ok
    reports: list[tuple[ReloadResult, tuple[str, ...]]] = []
    watcher = KnowledgeWatcher(service, lambda r, files: reports.append((r, files)), settle_ms=600)
    watcher.start()
    try:
        assert await watcher.wait_ready()
        facts = kb_dir / "facts.yaml"
        good = facts.read_text(encoding="utf-8").replace(OLD, NEW)
        # an editor writing the file in pieces: every intermediate state is broken
        for cut in (40, 200, 500, len(good)):
            facts.write_text(good[:cut], encoding="utf-8")
            await asyncio.sleep(0.02)
        assert await _until(lambda: watcher.reloads >= 1)
        await asyncio.sleep(1.5)  # a second batch would have been reloaded by now
        assert watcher.reloads == 1
        assert len(reports) == 1 and reports[0][0].ok
        assert reports[0][0].diff.changed == ("launch-year",)
        assert reports[0][1] == (str(facts),)
        assert _sentence(service) == NEW
    finally:
        await watcher.stop()


@pytest.mark.asyncio
async def test_watcher_reports_a_broken_save_and_keeps_answering(kb_dir: Path) -> None:
    service = KnowledgeService(kb_dir)
    assert service.reload().ok
    reports: list[ReloadResult] = []

    async def report(result: ReloadResult, files: tuple[str, ...]) -> None:
        reports.append(result)

    watcher = KnowledgeWatcher(service, report, settle_ms=200)
    watcher.start()
    try:
        assert await watcher.wait_ready()
        facts = kb_dir / "facts.yaml"
        text = facts.read_text(encoding="utf-8")
        line = text[: text.index("unit: year")].count("\n") + 1
        _write(facts, text.replace("unit: year", "unit: yeer").replace(OLD, NEW))
        assert await _until(lambda: len(reports) == 1)
        (result,) = reports
        assert not result.ok
        assert result.problems[0].file.endswith("facts.yaml") and result.problems[0].line == line
        assert _sentence(service) == OLD
        _write(facts, text.replace(OLD, NEW))  # the fix
        assert await _until(lambda: len(reports) == 2)
        assert reports[1].ok and _sentence(service) == NEW
    finally:
        await watcher.stop()


@pytest.mark.asyncio
async def test_watcher_ignores_hidden_and_non_yaml_files(kb_dir: Path) -> None:
    service = KnowledgeService(kb_dir)
    assert service.reload().ok
    watcher = KnowledgeWatcher(service, lambda r, f: None, settle_ms=100, report_unchanged=True)
    watcher.start()
    try:
        assert await watcher.wait_ready()
        (kb_dir / ".added_questions.yaml.x.tmp").write_text("half", encoding="utf-8")
        (kb_dir / ".hidden.yaml").write_text("broken: [", encoding="utf-8")
        (kb_dir / "notes.txt").write_text("todo", encoding="utf-8")
        (kb_dir / "facts.yaml~").write_text("backup", encoding="utf-8")
        await asyncio.sleep(1.0)
        assert watcher.reloads == 0
    finally:
        await watcher.stop()


@pytest.mark.asyncio
async def test_an_added_phrasing_is_picked_up_by_the_watcher(kb_dir: Path) -> None:
    service = KnowledgeService(kb_dir)
    assert service.reload().ok
    question = "in which year did the scheme go live"
    assert service.answerer.ask(question).fact_id != "launch-year"
    reports: list[ReloadResult] = []
    watcher = KnowledgeWatcher(service, lambda r, f: reports.append(r), settle_ms=200)
    watcher.start()
    try:
        assert await watcher.wait_ready()
        assert (await QuestionStore(kb_dir).add_question_async("launch-year", question)).ok
        assert await _until(lambda: len(reports) == 1)
        assert reports[0].ok and reports[0].diff.changed == ("launch-year",)
        reply = service.answerer.ask(question)
        assert (reply.kind, reply.fact_id) == ("answer", "launch-year")
    finally:
        await watcher.stop()


@pytest.mark.asyncio
async def test_watcher_waits_for_a_missing_folder(tmp_path: Path, caplog) -> None:
    import logging

    caplog.set_level(logging.WARNING, logger="bot.watch")
    watcher = KnowledgeWatcher(KnowledgeService(tmp_path / "absent"), retry_seconds=0.1)
    watcher.start()
    await asyncio.sleep(0.5)
    assert not watcher._ready.is_set()
    await watcher.stop()
    assert sum("cannot watch" in r.getMessage() for r in caplog.records) == 1


def test_a_replaced_knowledge_base_is_freed_without_the_cycle_collector(kb_dir: Path) -> None:
    # an old base and its index hold no reference cycles: they go as soon as nothing uses them,
    # without waiting for (or costing) a pass of the cyclic collector
    import gc
    import weakref

    service = KnowledgeService(kb_dir)
    assert service.reload().ok
    service.answerer.ask(QUESTION)
    old_answerer = weakref.ref(service.answerer)
    old_index = weakref.ref(service.answerer.index)
    path = kb_dir / "facts.yaml"
    _write(path, path.read_text(encoding="utf-8").replace(OLD, NEW))
    enabled = gc.isenabled()
    gc.disable()
    try:
        assert service.reload().ok
        assert old_answerer() is None and old_index() is None
    finally:
        if enabled:
            gc.enable()
    assert _sentence(service) == NEW
