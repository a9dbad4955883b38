"""Autocomplete for `/ask`: facts and phrasings for text that is still being typed.

Built on `SearchIndex.search`: the text typed so far is ranked as a question, and also without
its last word, which is usually cut short ("how many peo"); phrasings that start with the typed
text come first.
"""

from __future__ import annotations

from bot.search.index import SearchIndex
from bot.search.result import Candidate
from bot.text.normalise import detect_lang, normalise

PREFIX_SCAN_MAX = 20_000  # phrasings are scanned for a typed prefix only up to this many


def rank_typed(index: SearchIndex, typed: str, limit: int = 25) -> list[Candidate]:
    """Facts for text that is still being typed, best first, one candidate per fact: the text and
    the text without its last word are both ranked, and each fact keeps its better score."""
    typed = typed.strip()
    words = typed.split()
    queries = [typed]
    if len(words) > 1 and typed[-1:].isalnum():
        queries.append(" ".join(words[:-1]))
    best: dict[str, Candidate] = {}
    for query in queries:
        for cand in index.search(query, limit=limit).candidates:
            if cand.fact_id not in best or cand.score > best[cand.fact_id].score:
                best[cand.fact_id] = cand
    return sorted(best.values(), key=lambda c: (-c.score, c.fact_id))


def complete(index: SearchIndex, typed: str, lang: str, limit: int = 25) -> list[tuple[str, str]]:
    """Question phrasings to offer while someone types, as (fact id, phrasing), best first.

    First the phrasings that start with what has been typed (so "how many peo" offers "How many
    people have registered…" although its words are still unknown), then, fact by fact in the
    matcher's order, the phrasing that matched best. The prefix scan is skipped on very large
    knowledge bases, where it would cost more than a keystroke allows."""
    typed_norm = normalise(typed)
    out: dict[str, str] = {}  # phrasing -> fact id
    if len(typed_norm) >= 2 and index.phrasing_count <= PREFIX_SCAN_MAX:
        for doc in index.docs:
            for phrasing_lang, text, norm, _toks in doc.phrasings:
                if norm.startswith(typed_norm) and text not in out and (phrasing_lang == lang or lang not in doc.langs):
                    out[text] = doc.fact.id
                    if len(out) >= limit:
                        return [(fid, text) for text, fid in out.items()]
    for cand in rank_typed(index, typed, limit):
        if len(out) >= limit:
            break
        text = cand.question
        if detect_lang(text) != lang:
            fact = index.kb.fact(cand.fact_id)
            assert fact is not None
            text = (fact.questions.get(lang) or (text,))[0]
        out.setdefault(text, cand.fact_id)
    return [(fid, text) for text, fid in out.items()][:limit]
