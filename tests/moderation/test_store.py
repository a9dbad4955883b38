"""Adding question phrasings: only the bot-owned file is written, and only after validation."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from bot.answer.reply import Answerer
from bot.knowledge import load_knowledge
from bot.knowledge.loader import ADDITIONS_FILE
from bot.knowledge.store import Addition, QuestionStore, check_phrasing, render_additions, yaml_quote
from bot.knowledge.yamlsafe import read_yaml


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _answer(folder: Path, question: str) -> tuple[str, str | None]:
    result = load_knowledge([folder])
    assert result.kb is not None, [str(p) for p in result.problems]
    reply = Answerer(result.kb).ask(question)
    return reply.kind, reply.fact_id


def test_added_phrasing_round_trips_through_validation_and_gets_answered(kb_dir: Path) -> None:
    question = "in which year did the scheme go live"
    assert _answer(kb_dir, question) != ("answer", "launch-year")
    others = _digests(kb_dir)
    result = QuestionStore(kb_dir).add_question("launch-year", question)
    assert result.ok, result.reason
    assert result.path == kb_dir / ADDITIONS_FILE
    after = _digests(kb_dir)
    assert {name: digest for name, digest in after.items() if name != ADDITIONS_FILE} == others  # nothing else rewritten
    loaded = load_knowledge([kb_dir])
    assert loaded.problems == []
    assert question in loaded.kb.fact("launch-year").questions["en"]
    assert _answer(kb_dir, question) == ("answer", "launch-year")
    assert QuestionStore(kb_dir).additions() == [Addition("launch-year", question, "en")]
    assert sorted(p.name for p in kb_dir.iterdir()) == [ADDITIONS_FILE, "facts.yaml", "sources.yaml"]  # no temporary file left


def test_additions_accumulate_and_keep_earlier_ones(kb_dir: Path) -> None:
    store = QuestionStore(kb_dir)
    assert store.add_question("launch-year", "what year did it go live").ok
    assert store.add_question("hospitals-using", "病院はどのくらいシステムを利用していますか").ok
    assert store.additions() == [
        Addition("launch-year", "what year did it go live", "en"),
        Addition("hospitals-using", "病院はどのくらいシステムを利用していますか", "ja"),
    ]
    kb = load_knowledge([kb_dir]).kb
    assert "病院はどのくらいシステムを利用していますか" in kb.fact("hospitals-using").questions["ja"]


def test_a_phrasing_that_collides_with_another_fact_is_refused_with_the_validators_reason(kb_dir: Path) -> None:
    before = _digests(kb_dir)
    result = QuestionStore(kb_dir).add_question("launch-year", "How many hospitals use the system?")
    assert not result.ok
    assert "collides with 'how many hospitals use the system' of fact 'hospitals-using'" in result.reason
    assert result.problems and all(p.line > 0 for p in result.problems)
    assert _digests(kb_dir) == before


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("x" * 201, "201 characters; a phrasing may have at most 200"),
        ("hey @everyone when did it start", "mention (@everyone)"),
        ("@here when did it start", "mention (@here)"),
        ("ask <@123456789012345678> when it started", "mention (<@123456789012345678>)"),
        ("ask <@!123456789012345678> when it started", "mention (<@!123456789012345678>)"),
        ("ping <@&987654321098765432> about the launch", "mention (<@&987654321098765432>)"),
        ("see <#111111111111111111> for the launch year", "mention (<#111111111111111111>)"),
        ("hey @every\u200bone when did it start", "mention (@everyone)"),
        ("when did it\nstart", "line break"),
        ("   ", "empty"),
        ("?!?", "no words"),
    ],
)
def test_bad_phrasings_are_refused_with_the_reason_and_nothing_is_written(kb_dir: Path, question: str, reason: str) -> None:
    before = _digests(kb_dir)
    result = QuestionStore(kb_dir).add_question("launch-year", question)
    assert not result.ok
    assert reason in result.reason
    assert _digests(kb_dir) == before


def test_a_phrasing_of_exactly_200_characters_is_accepted(kb_dir: Path) -> None:
    question = ("when did the national id scheme start " * 6)[:200]
    assert len(question) == 200 and check_phrasing(question) is None
    assert QuestionStore(kb_dir).add_question("launch-year", question).ok


def test_unknown_fact_and_repeated_phrasing_are_refused(kb_dir: Path) -> None:
    store = QuestionStore(kb_dir)
    assert "no fact with id 'no-such-fact'" in store.add_question("no-such-fact", "what is it").reason
    assert "already has the phrasing 'launch year of the id system'" in store.add_question("launch-year", "Launch year of the ID system?").reason
    assert store.add_question("launch-year", "what year did it go live").ok
    assert "already has the phrasing" in store.add_question("launch-year", "what year did it go live").reason
    assert len(store.additions()) == 1


def test_nothing_is_added_while_another_file_is_broken(kb_dir: Path) -> None:
    (kb_dir / "facts.yaml").write_text((kb_dir / "facts.yaml").read_text(encoding="utf-8").replace("unit: year", "unit: yeer"), encoding="utf-8")
    before = _digests(kb_dir)
    result = QuestionStore(kb_dir).add_question("launch-year", "what year did it go live")
    assert not result.ok
    assert result.reason.startswith("the knowledge files already have problems; fix them first:")
    assert "facts.yaml:" in result.reason and "unknown unit 'yeer'" in result.reason
    assert _digests(kb_dir) == before


def test_a_hand_broken_additions_file_is_reported_not_overwritten(kb_dir: Path) -> None:
    path = kb_dir / ADDITIONS_FILE
    path.write_text("additions:\n  - fact: launch-year\n    question: [unclosed\n", encoding="utf-8")
    before = path.read_bytes()
    result = QuestionStore(kb_dir).add_question("launch-year", "what year did it go live")
    assert not result.ok and ADDITIONS_FILE in result.reason
    assert path.read_bytes() == before


def test_concurrent_additions_are_all_kept(kb_dir: Path) -> None:
    questions = [f"what year did the id scheme begin, take {word}" for word in ("one", "two", "three", "four", "five", "six")]
    store = QuestionStore(kb_dir)
    results: list[bool] = []
    threads = [threading.Thread(target=lambda q=q: results.append(store.add_question("launch-year", q).ok)) for q in questions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * len(questions)
    assert sorted(a.question for a in store.additions()) == sorted(questions)
    assert load_knowledge([kb_dir]).problems == []


@pytest.mark.parametrize(
    "text",
    [
        'say "hi"',
        "back\\slash",
        "tab\there",
        "#not a comment",
        "key: value",
        "- dash",
        "'single'",
        "日本語の質問",
        "nbsp\u00a0space",
        "bom\ufeffinside",
        "\u0085nel",
    ],
)
def test_quoted_text_reads_back_exactly(tmp_path: Path, text: str) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(f"q: {yaml_quote(text)}\n", encoding="utf-8")
    doc, _ = read_yaml(path, "a.yaml")
    assert doc["q"].value == text


def test_rendered_file_is_read_by_the_loader(kb_dir: Path) -> None:
    (kb_dir / ADDITIONS_FILE).write_text(render_additions([]), encoding="utf-8")
    assert load_knowledge([kb_dir]).problems == []
    (kb_dir / ADDITIONS_FILE).write_text(render_additions([Addition("launch-year", "year the system went live", "en")]), encoding="utf-8")
    assert "year the system went live" in load_knowledge([kb_dir]).kb.fact("launch-year").questions["en"]


def test_async_variant(kb_dir: Path) -> None:
    import asyncio

    result = asyncio.run(QuestionStore(kb_dir).add_question_async("launch-year", "what year did it go live"))
    assert result.ok
