"""Facts keep their bodies packed; reading a packed fact gives exactly what was written."""

from __future__ import annotations

import gc
import marshal
from pathlib import Path

import pytest

from bench.synthetic import MIN_FACTS, generate
from bot.answer.reply import Answerer
from bot.knowledge import default_knowledge_path, load_knowledge
from bot.knowledge.model import Fact, Figure, Text, _raw_body, pack_facts


@pytest.fixture(scope="module")
def facts() -> tuple[Fact, ...]:
    kb = load_knowledge([default_knowledge_path()]).kb
    assert kb is not None
    return kb.facts


def unpacked(fact: Fact) -> Fact:
    return Fact(fact.id, fact.topic, dict(fact.questions), dict(fact.keywords), fact.answer, fact.figures, fact.source, fact.file, fact.line, fact.series, fact.chart)


def test_the_loader_packs_facts_and_they_read_back_equal(facts: tuple[Fact, ...]) -> None:
    assert all(f._packer is not None for f in facts)
    plain = [unpacked(f) for f in facts]
    assert plain == list(facts)
    repacked = pack_facts(plain)
    for before, after in zip(plain, repacked, strict=True):
        assert after == before
        assert after.all_questions() == before.all_questions()
        assert after.figures == before.figures and after.answer == before.answer and dict(after.keywords) == dict(before.keywords)


def test_packing_saves_most_of_the_body(facts: tuple[Fact, ...]) -> None:
    raw = sum(len(_raw_body(f._parts())) for f in facts)
    packed = sum(len(f._body) for f in facts)  # type: ignore[arg-type]
    assert packed < 0.6 * raw, (packed, raw)


def test_a_packed_fact_cannot_be_changed_in_place(facts: tuple[Fact, ...]) -> None:
    fact = facts[0]
    with pytest.raises(AttributeError):
        fact.id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        fact.questions["en"] = ("changed",)  # type: ignore[index]
    assert "changed" not in fact.questions["en"]


def test_replace_changes_one_field_and_refuses_unknown_ones(facts: tuple[Fact, ...]) -> None:
    fact = facts[0]
    moved = fact.replace(line=fact.line + 10)
    assert moved != fact and moved.replace(line=fact.line) == fact
    renamed = fact.replace(answer=Text("new", "新"))
    assert renamed.answer == Text("new", "新") and renamed.questions == fact.questions and fact.answer != renamed.answer
    with pytest.raises(TypeError, match="no field 'colour'"):
        fact.replace(colour="red")


def test_an_empty_file_packs_to_nothing() -> None:
    assert pack_facts([]) == ()
    assert marshal.loads(_raw_body(({"en": ("q",)}, {}, Text("a", "a"), ())))[0] == (("en", ("q",)),)


def test_answering_keeps_only_a_few_facts_unpacked(tmp_path: Path) -> None:
    """Answering unpacks the answered fact's body into objects the cycle collector walks; only a
    handful stay cached, so a long run of answers cannot pile thousands of them up in the young
    generations, where each collection pass would walk them all (milliseconds, mid-question)."""

    def young_figures() -> int:
        return sum(1 for o in gc.get_objects() if type(o) is Figure)  # frozen objects are not listed

    gc.freeze()  # what earlier tests left behind is set aside, as the bot does after each reload
    generate(tmp_path / "kb", 2 * MIN_FACTS, seed=5, n_questions=10)
    kb = load_knowledge([tmp_path / "kb"]).kb
    assert kb is not None and len(kb.facts) == 2 * MIN_FACTS
    answerer = Answerer(kb)
    for fact in kb.facts:
        assert answerer.fact_reply(fact, "en").figures
    most = max(len(f.figures) for f in kb.facts)
    assert young_figures() <= 32 * most, most
