"""Building the index: reuse of an earlier index's per-fact analysis, shared tokens, bounded caches.

An index built with `previous=` must be indistinguishable from one built from scratch; these
change, add and remove facts (and a topic's title) in copies of the shipped knowledge base.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase, LoadCache, default_knowledge_path, load_knowledge
from bot.knowledge.model import Fact, Text
from bot.search.complete import complete
from bot.search.index import SearchIndex
from bot.text.normalise import analyse, analyse_question, normalise, tokenise, tokenise_normalised, tokens

EXTRA_QUESTIONS = (
    "how many hospitals use the card",
    "マイナ保険証の利用率は？",
    "what share of people registered their card for health insurance",
    "do pharmacies accept it",
    "how many hosptials were surveyed",
    "zebra crossing statistics",
    "I don't have a My Number card. How many people have registered one? Is it mandatory?",
)


def _questions(kb: KnowledgeBase) -> list[str]:
    out = [q for fact in kb.facts for _lang, q in fact.all_questions()]
    out += [kw for fact in kb.facts for lang in ("en", "ja") for kw in fact.keywords.get(lang, ())]
    out += [fact.answer.en for fact in kb.facts[:5]] + [fact.answer.ja for fact in kb.facts[:5]]
    return out + list(EXTRA_QUESTIONS)


def _assert_same(a: SearchIndex, b: SearchIndex, questions: list[str]) -> None:
    assert a.idf == b.idf
    assert {t: list(p) for t, p in a.postings.items()} == {t: list(p) for t, p in b.postings.items()}
    assert a._figures == b._figures
    for question in questions:
        assert a.search(question, limit=10) == b.search(question, limit=10), question
    for typed in ("how many peo", "マイナ", "usage ra"):
        assert complete(a, typed, "en") == complete(b, typed, "en")
        assert complete(a, typed, "ja") == complete(b, typed, "ja")


def _with_facts(kb: KnowledgeBase, facts: list) -> KnowledgeBase:  # type: ignore[type-arg]
    return replace(kb, facts=tuple(facts))


def test_previous_index_gives_the_same_results_after_a_change_an_addition_and_a_removal(kb: KnowledgeBase) -> None:
    base = SearchIndex(kb)
    facts = list(kb.facts)
    changed = facts[1].replace(
        questions={**facts[1].questions, "en": (*facts[1].questions["en"], "how many zebras crossed the hospital car park")},
        answer=Text(facts[1].answer.en + " Zebras were not counted.", facts[1].answer.ja),
    )
    added = facts[2].replace(
        id="zebra-census",
        questions={"en": ("how many zebras live in the prefecture",), "ja": ("シマウマは何頭？",)},
        keywords={"en": ("zebra census",)},
    )
    facts[1] = changed
    del facts[3]  # removed
    facts.insert(5, added)
    edited = _with_facts(kb, facts)
    again = SearchIndex(edited, previous=base)
    scratch = SearchIndex(edited)
    questions = _questions(edited) + ["how many zebras crossed the hospital car park", "zebra census", "シマウマは何頭？"]
    _assert_same(again, scratch, questions)
    assert again.search("how many zebras live in the prefecture").top.fact_id == "zebra-census"  # type: ignore[union-attr]
    # reused: the analysis of every fact that is the same object; redone for the changed and added
    previous_docs = {id(doc.fact): doc for doc in base.docs}
    for doc in again.docs:
        if doc.fact is changed or doc.fact is added:
            assert id(doc.fact) not in previous_docs or previous_docs[id(doc.fact)] is not doc
        else:
            assert doc is previous_docs[id(doc.fact)]


def test_previous_index_redoes_the_facts_of_a_topic_whose_title_changed(kb: KnowledgeBase) -> None:
    base = SearchIndex(kb)
    topic = kb.topics[0]
    retitled = replace(topic, title=Text(topic.title.en + " and zebras", topic.title.ja + "とシマウマ"))
    edited = replace(kb, topics=(retitled, *kb.topics[1:]))
    again = SearchIndex(edited, previous=base)
    scratch = SearchIndex(edited)
    _assert_same(again, scratch, _questions(edited) + ["zebras", "シマウマ"])
    assert "zebra" in again.idf
    for old_doc, doc in zip(base.docs, again.docs, strict=True):
        assert (doc is old_doc) == (doc.fact.topic != topic.id)


def test_chained_reloads_stay_identical_to_a_fresh_build(kb: KnowledgeBase) -> None:
    index = SearchIndex(kb)
    facts = list(kb.facts)
    for step in range(3):
        facts = facts[1:] + [facts[0].replace(id=f"moved-{step}")]
        edited = _with_facts(kb, facts)
        index = SearchIndex(edited, previous=index)
        _assert_same(index, SearchIndex(edited), _questions(edited))


def test_previous_index_with_a_reloaded_folder(tmp_path: Path) -> None:
    """The bot's reload: one topic file edited, the others' facts come back as the same objects."""
    folder = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_path(), folder)
    cache = LoadCache()
    first = load_knowledge([folder], cache=cache).kb
    assert first is not None
    topic_file = next(p for p in sorted(folder.glob("*.yaml")) if p.read_text(encoding="utf-8").startswith("topic:"))
    with topic_file.open("a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    second = load_knowledge([folder], cache=cache).kb
    assert second is not None
    base = SearchIndex(first)
    again = SearchIndex(second, previous=base)
    _assert_same(again, SearchIndex(second), _questions(second))
    before = {id(doc.fact): doc for doc in base.docs}
    for doc in again.docs:
        if id(doc.fact) in before and before[id(doc.fact)].fact is doc.fact and doc.fact.file != str(topic_file):
            assert doc is before[id(doc.fact)]


def test_tokens_are_shared_objects(kb: KnowledgeBase) -> None:
    a = tokenise("How many hospitals registered in 2023? 北海道の病院")
    b = tokenise("hospitals 2023 registered, 北海道 病院 too")
    assert a[0] == b[0] == "hospital" and a[0] is b[0]
    for tok in a:
        assert any(tok is other for other in b), tok
    index = SearchIndex(kb)
    keys = {t: t for t in index.postings}
    for doc in index.docs:
        for tok in doc.fields:
            assert tok is keys[tok]


def test_the_question_cache_is_bounded_and_not_filled_by_building(kb: KnowledgeBase) -> None:
    for cache in (tokens, analyse_question):
        assert cache.cache_info().maxsize is not None and cache.cache_info().maxsize <= 1 << 14
        cache.cache_clear()
    SearchIndex(kb)
    assert tokens.cache_info().currsize == 0
    assert analyse_question.cache_info().currsize == 0


def test_exact_phrasing_lookup_takes_the_first_fact(kb: KnowledgeBase) -> None:
    facts = list(kb.facts)
    question = facts[0].questions["en"][0]
    twin = facts[4].replace(questions={**facts[4].questions, "en": (*facts[4].questions["en"], question.upper() + "!!")})
    facts[4] = twin
    index = SearchIndex(_with_facts(kb, facts))
    assert index.exact_fact(normalise(question)) == 0
    assert index.exact_fact(normalise("no phrasing reads like this")) is None
    result = index.search(question)
    exact = {c.fact_id for c in result.candidates if c.exact}
    assert exact == {facts[0].id, twin.id}
    assert result.top is not None and result.top.score == 1.0


SPANNING = [
    "my number card",
    "My - Number",
    "do n't",
    "DON 'T",
    "is  n t",
    "per cent",
    "hoken sho",
    "pa - sento",
    "paa se n to",
    "shikaku kakunin sho",
    "riyou ritsu",
]


@pytest.mark.parametrize("text", [*SPANNING, "マイナンバーカード", "ほけんしょう 何%", "何% of my card", "1,000 people . 5.5 %"])
def test_question_cache_and_build_tokenise_alike(text: str) -> None:
    assert tokens(text) == tokenise(text) == tokenise_normalised(normalise(text))
    assert analyse(text) == (normalise(text), tokens(text))


def test_a_search_reads_no_fact(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    """The index keeps what a search returns (the phrasings' texts) itself, so answering does
    not read a fact's body for every candidate."""
    index = SearchIndex(kb)
    reads: list[str] = []
    original = Fact.all_questions
    monkeypatch.setattr(Fact, "all_questions", lambda self: reads.append(self.id) or original(self))
    questions = [q for fact in kb.facts[:6] for _lang, q in fact.all_questions()] + list(EXTRA_QUESTIONS)
    reads.clear()
    for question in questions:
        result = index.search(question)
        assert all(c.question for c in result.candidates)
    assert reads == []


def test_reload_trains_the_learned_model_off_the_event_loop(tmp_path) -> None:
    """The model is trained inside `reload` (`reload_async` runs it in a worker thread)."""
    import asyncio
    import shutil
    import threading

    from bot.knowledge import default_knowledge_path
    from bot.search import learned
    from bot.service import KnowledgeService

    shutil.copytree(default_knowledge_path(), tmp_path / "kb")
    service = KnowledgeService(tmp_path / "kb")
    trained_in: list[threading.Thread] = []
    original = learned.CentroidModel.__init__

    def spy(self, docs):  # type: ignore[no-untyped-def]
        trained_in.append(threading.current_thread())
        original(self, docs)

    learned.CentroidModel.__init__ = spy  # type: ignore[method-assign]
    try:
        assert asyncio.run(service.reload_async()).ok
    finally:
        learned.CentroidModel.__init__ = original  # type: ignore[method-assign]
    assert trained_in and trained_in[0] is not threading.main_thread()
    assert service.answerer.index.model is not None


def test_learned_model_is_kept_for_the_same_facts_and_skipped_when_too_many(kb, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot.search import learned
    from bot.search.index import SearchIndex

    first = SearchIndex(kb)
    assert first.model is not None
    assert SearchIndex(kb, previous=first).model is first.model  # nothing changed: nothing retrained
    monkeypatch.setattr(learned, "LEARNED_MAX_FACTS", len(kb.facts) - 1)
    lexical = SearchIndex(kb)
    assert lexical.model is None
    result = lexical.search("how many people have registered the card for health insurance")
    assert result.top is not None and result.top.learned == 0.0 and result.top.score == result.top.lexical


def test_postings_list_each_token_s_facts_in_order(kb: KnowledgeBase) -> None:
    index = SearchIndex(kb)
    expected: dict[str, list[int]] = {}
    for idx, doc in enumerate(index.docs):
        for token in doc.fields:
            expected.setdefault(token, []).append(idx)
    assert {t: list(p) for t, p in index.postings.items()} == expected
    assert list(index.postings) == list(expected)  # in the order the tokens first occur


def test_figure_holders_are_taken_over_only_for_the_same_figures(kb: KnowledgeBase) -> None:
    base = SearchIndex(kb)
    facts = list(kb.facts)
    assert SearchIndex(_with_facts(kb, facts), previous=base)._figures is base._figures
    figured = next(i for i, fact in enumerate(facts) if any(isinstance(f.value, float) for f in fact.figures))
    first = facts[figured].figures[0]
    facts[figured] = facts[figured].replace(figures=(replace(first, value=first.value + 12.5), *facts[figured].figures[1:]))
    again = SearchIndex(_with_facts(kb, facts), previous=base)
    assert again._figures is not base._figures and again._figures == SearchIndex(_with_facts(kb, facts))._figures


def test_the_dense_and_the_by_column_centroids_give_the_same_similarities(kb) -> None:  # type: ignore[no-untyped-def]
    index = SearchIndex(kb)
    model = index.model
    assert model is not None and model._dense is not None  # the shipped model is small enough to keep dense
    positions = list(range(len(index.docs)))
    dense = model._dense
    for question in EXTRA_QUESTIONS:
        norm, toks = analyse_question(question)
        model._dense = dense
        quick = model.similarity(norm, toks, positions)
        model._dense = None
        by_column = model.similarity(norm, toks, positions)
        assert quick == pytest.approx(by_column, abs=1e-12), question
        assert max(quick) > 0 or question.startswith("zebra")
    model._dense = dense
