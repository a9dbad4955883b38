"""One reply model for every front end, and the `Answerer` that produces it.

The command line renders a Reply as plain text (`render_text`); the Discord front end
renders the same Reply as an embed (bot/app.py). The words of both come from
bot/messages.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from bot.answer.format import date_text, source_line, source_title, value_text
from bot.answer.policy import Decision, Thresholds, decide
from bot.knowledge.model import Fact, Figure, KnowledgeBase
from bot.messages import message
from bot.search.dates import asked_dates
from bot.search.dates import shown as shown_date
from bot.search.index import SearchIndex
from bot.search.result import SearchResult
from bot.text.normalise import clean, detect_lang

DEFAULT_MAX_CHARS = 1000


@dataclass(frozen=True)
class FigureLine:
    value: str  # "29.6%"
    counts: str  # what it counts
    base: str | None
    period: str | None
    as_of: str  # readable date
    source_id: str
    label: str = ""  # "latest", "2023 article" for dated series


@dataclass(frozen=True)
class SourceRef:
    id: str
    line: str  # survey by / reported by / date
    title: str
    url: str


@dataclass(frozen=True)
class Suggestion:
    fact_id: str
    question: str  # a phrasing of that fact in the asker's language


@dataclass(frozen=True)
class Reply:
    kind: Literal["answer", "suggest", "decline"]
    lang: str
    question: str
    fact_id: str | None = None
    score: float = 0.0
    headline: str = ""  # the figure, prominent
    sentence: str = ""  # the answer sentence, or the suggest/decline message
    figures: tuple[FigureLine, ...] = ()
    sources: tuple[SourceRef, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    topics: tuple[str, ...] = ()  # for declines: what the bot can answer
    reason: str = ""
    knowledge_version: str = ""
    # the best candidate's fact whatever the kind (its score is `score`): for a decline, the
    # fact that came nearest, which the moderators' inbox shows next to the question
    closest_fact: str | None = None
    # a reply about two facts (a two-part question): one answer Reply per fact, the first of
    # which is also this reply's own content, so a front end that shows one fact shows the first
    parts: tuple[Reply, ...] = ()
    # what a follow-up asked of the previous answer: "sources" or "dates" first; "" otherwise
    focus: str = ""
    # every figure of the fact was asked for (`/fact`, `python -m bot fact`): a front end shows them all
    every_figure: bool = False

    @property
    def answered(self) -> bool:
        return self.kind == "answer"

    @property
    def fact_ids(self) -> tuple[str, ...]:
        """Every fact the reply answers with: one, two for a two-part question, none unless answered."""
        if self.parts:
            return tuple(p.fact_id for p in self.parts if p.fact_id)
        return (self.fact_id,) if self.kind == "answer" and self.fact_id else ()

    @property
    def answers(self) -> tuple[Reply, ...]:
        """The reply per fact: its parts, or itself."""
        return self.parts or (self,)


class Answerer:
    """Question in, Reply out. Holds one knowledge base and its index; replace the whole object to reload."""

    def __init__(self, kb: KnowledgeBase, index: SearchIndex | None = None, thresholds: Thresholds = Thresholds(), max_chars: int = DEFAULT_MAX_CHARS) -> None:
        self.kb = kb
        self.index = index or SearchIndex(kb)
        self.thresholds = thresholds
        self.max_chars = max_chars
        self._facts = {f.id: f for f in kb.facts}

    def search(self, question: str) -> SearchResult:
        return self.index.search(question)

    def ask(self, question: str, strict: bool = False) -> Reply:
        """Answer a question. `strict` is for unprompted chat answers: only when clearly confident."""
        if not isinstance(question, str):
            question = str(question)
        if len(question) > self.max_chars:
            # the language of its start is enough; the rest is never read
            lang = detect_lang(clean(question[: self.max_chars]))
            return self._decline(question, lang, "too_long", message("too_long", lang, n=len(question), limit=self.max_chars))
        result = self.index.search(question)
        decision = decide(result, self.thresholds.stricter() if strict else self.thresholds, self._facts)
        return self.reply_for(question, result, decision)

    def reply_for(self, question: str, result: SearchResult, decision: Decision) -> Reply:
        lang = result.lang
        if decision.kind == "answer" and decision.fact_id:
            fact = self.kb.fact(decision.fact_id)
            assert fact is not None
            return self.fact_reply(fact, lang, question, decision.score, decision.reason, result.tokens, asked=result.dates)
        if decision.kind == "suggest":
            suggestions = tuple(self._suggestion(fid, lang) for fid in decision.suggestions)
            return Reply(
                "suggest",
                lang,
                question,
                None,
                decision.score,
                sentence=message("suggest", lang),
                suggestions=suggestions,
                reason=decision.reason,
                knowledge_version=self.kb.version,
                closest_fact=decision.closest_fact,
            )
        if decision.reason == "unknown_figure" and (result.figure or result.quoted_missing):
            what = result.figure or ("、" if lang == "ja" else ", ").join(result.quoted_missing)
            return self._decline(question, lang, decision.reason, message("not_covered", lang, what=what), decision.score, decision.closest_fact)
        if decision.reason == "no_precise_figure" and decision.closest_fact and (near := self.kb.fact(decision.closest_fact)) is not None:
            rough = next((f for f in near.figures if f.qualifier), None)
            if rough is not None:
                text = message("no_precise_figure", lang, value=value_text(rough, lang), what=rough.counts.get(lang))
                return self._decline(question, lang, decision.reason, text, decision.score, decision.closest_fact)
        if decision.reason == "no_figure_for_date":
            when = ("、" if lang == "ja" else ", ").join(shown_date(key, lang) for key in result.undated)
            return self._decline(question, lang, decision.reason, message("not_covered", lang, what=when), decision.score, decision.closest_fact)
        if decision.reason == "not_covered" and result.gaps:
            whats = [g.what.get(lang) for g in self.kb.gaps if g.id in result.gaps]
            text = message("not_covered", lang, what=("、" if lang == "ja" else ", ").join(whats))
            return self._decline(question, lang, decision.reason, text, decision.score, decision.closest_fact)
        key = "no_content" if decision.reason == "no_content" else "decline"
        return self._decline(question, lang, decision.reason, message(key, lang), decision.score, decision.closest_fact)

    def _decline(self, question: str, lang: str, reason: str, text: str, score: float = 0.0, closest_fact: str | None = None) -> Reply:
        topics = tuple(t.title.get(lang) for t in self.kb.topics)
        return Reply(
            "decline", lang, question, None, score, sentence=text, topics=topics, reason=reason, knowledge_version=self.kb.version, closest_fact=closest_fact
        )

    def _suggestion(self, fact_id: str, lang: str) -> Suggestion:
        fact = self.kb.fact(fact_id)
        assert fact is not None
        qs = fact.questions.get(lang) or fact.questions.get("en") or ("",)
        return Suggestion(fact_id, qs[0])

    def fact_reply(
        self,
        fact: Fact,
        lang: str,
        question: str = "",
        score: float = 1.0,
        reason: str = "",
        query_tokens: tuple[str, ...] = (),
        all_figures: bool = False,
        date_first: bool | None = None,
        asked: tuple[str, ...] | None = None,
    ) -> Reply:
        """The answer with `fact`. `date_first`: lead with the date of the newest figure shown
        (None: when the question asks for the latest or current figure). `asked`: the months and
        years the question names, when the search has read them (a month asked is shown first)."""
        shown = list(fact.figures) if all_figures else _figures_to_show(fact, query_tokens)
        if asked is None:  # the months and years the question names, when the search has not read them
            asked = asked_dates(question) if question and len(shown) > 1 else ()
        months = {key for key in asked if len(key) == 7}
        if months:
            shown.sort(key=lambda f: f.as_of[:7] not in months)  # the month asked about first ("usage rate oct 2023")
        if date_first is None:
            date_first = bool(question) and asks_for_latest(question)
        if date_first:
            shown.sort(key=lambda f: f.as_of, reverse=True)  # stable: figures of one date keep their order
        labels = _series_labels(fact, shown, lang)
        lines = tuple(self._figure_line(fig, lang, labels.get(id(fig), "")) for fig in shown)
        source_ids: list[str] = [fact.source]
        for fig in shown:
            if fig.source not in source_ids:
                source_ids.append(fig.source)
        sources = tuple(self._source_ref(sid, lang) for sid in source_ids if sid in self.kb.sources)
        headline = " / ".join(dict.fromkeys(line.value for line in lines[:3]))
        if date_first and shown:
            newest = shown[0].as_of
            values = " / ".join(dict.fromkeys(line.value for fig, line in zip(shown, lines, strict=True) if fig.as_of == newest))
            headline = message("as_of.lead", lang, date=date_text(newest, lang), values=values)
        return Reply(
            "answer",
            lang,
            question,
            fact.id,
            score,
            headline,
            fact.answer.get(lang),
            lines,
            sources,
            reason=reason,
            knowledge_version=self.kb.version,
            closest_fact=fact.id,
            focus="dates" if date_first else "",
            every_figure=all_figures,
        )

    def _figure_line(self, fig: Figure, lang: str, label: str = "") -> FigureLine:
        return FigureLine(
            value=value_text(fig, lang),
            counts=fig.counts.get(lang),
            base=fig.base.get(lang) if fig.base else None,
            period=fig.period.get(lang) if fig.period else None,
            as_of=date_text(fig.as_of, lang),
            source_id=fig.source,
            label=label,
        )

    def _source_ref(self, sid: str, lang: str) -> SourceRef:
        src = self.kb.sources[sid]
        return SourceRef(sid, source_line(src, lang), source_title(src, lang), src.url)


def newest_figure_date(kb: KnowledgeBase) -> str | None:
    """The date of the newest figure in the knowledge base (ISO; "2025-10" is that month)."""
    return max((fig.as_of for fact in kb.facts for fig in fact.figures), key=_date_key, default=None)


def _date_key(iso: str) -> tuple[int, ...]:
    return tuple(int(p) for p in iso.split("-"))


_ASKS_LATEST = re.compile(
    r"\b(?:now|nowadays|latest|current|currently|newest|most recent|these days|up to date)\b|最新|今|現在|いま|直近|足元",
    re.IGNORECASE,
)


def asks_for_latest(question: str) -> bool:
    """Does the question ask for the figure as it is now ("now", "latest", 「最新」, 「今」)?"""
    return bool(_ASKS_LATEST.search(clean(question)))


def _basis(fig: Figure) -> tuple[str, str | None]:
    """A series' figures fall in groups that are never joined: same unit, same base."""
    return (fig.unit, fig.base.get("en") if fig.base else None)


def _basis_name(fig: Figure, lang: str) -> str:
    """A base's short name: its text up to the first colon, without a bracketed note
    ("new basis (main figure from ...): insurance claims" -> "new basis", 「旧基準」)."""
    text = fig.base.get(lang) if fig.base else ""
    name = re.split(r"[:：]", text, maxsplit=1)[0]
    return re.sub(r"\s*[(（][^()（）]*[)）]\s*$", "", name).strip()


def _newest_in_group(figures: list[Figure] | tuple[Figure, ...]) -> dict[tuple[str, str | None], str]:
    newest: dict[tuple[str, str | None], str] = {}
    for fig in figures:
        key = _basis(fig)
        if fig.as_of > newest.get(key, ""):
            newest[key] = fig.as_of
    return newest


def _first_reported(fact: Fact) -> str:
    """The date of a dated series' first figure from the fact's own source (the article's "about
    4%"), or of its earliest figure: monthly values from other sources may go back further."""
    own = [f.as_of for f in fact.figures if f.source == fact.source]
    return min(own or [f.as_of for f in fact.figures])


def _figures_to_show(fact: Fact, query_tokens: tuple[str, ...]) -> list[Figure]:
    """All figures; for a dated series, the latest of each base (the usage rate's old and new
    bases are separate lines), the first reported (the article's), and any year asked about (first)."""
    if not fact.series or len({f.as_of for f in fact.figures}) <= 2:
        return list(fact.figures)
    first = _first_reported(fact)
    years = {t[1:] for t in query_tokens if t.startswith("#") and len(t) == 5}
    newest = _newest_in_group(fact.figures)
    shown = [f for f in fact.figures if f.as_of in (first, newest[_basis(f)]) or f.as_of[:4] in years]
    shown.sort(key=lambda f: f.as_of, reverse=True)
    return sorted(shown, key=lambda f: years and f.as_of[:4] not in years)  # a year asked about first, newest first


def _series_labels(fact: Fact, shown: list[Figure], lang: str) -> dict[int, str]:
    """Labels of a dated series' figures, by figure object id: the newest of each base says
    "latest", or, when bases of one unit stand side by side, "latest, old basis"; the first
    figure from the fact's own source says it is the 2023 article's."""
    if not fact.series or len({f.as_of for f in fact.figures}) <= 1:
        return {}
    dates = sorted({f.as_of for f in fact.figures})
    first = _first_reported(fact)
    newest = _newest_in_group(fact.figures)
    heads = [f for f in shown if f.as_of == newest[_basis(f)]]
    bases_per_unit: dict[str, set[str | None]] = {}
    for fig in heads:
        bases_per_unit.setdefault(fig.unit, set()).add(_basis(fig)[1])
    labels: dict[int, str] = {}
    for fig in shown:
        if fig.as_of == newest[_basis(fig)]:
            if len(bases_per_unit.get(fig.unit, ())) > 1 and _basis_name(fig, lang):
                labels[id(fig)] = message("latest_on", lang, basis=_basis_name(fig, lang))
            elif fig.as_of == dates[-1]:
                labels[id(fig)] = message("latest", lang)
        elif fig.as_of == first and fig.source == fact.source:
            labels[id(fig)] = message("article", lang)
    return labels


def _sources_text(reply: Reply) -> list[str]:
    out = []
    for src in reply.sources:
        out.append(f"  {src.line}")
        out.append(f"    {src.title} <{src.url}>")
    return out


def render_text(reply: Reply) -> str:
    """The reply as plain text, the way a person reads it in a terminal; a reply about two
    facts reads as both answers, one after the other."""
    if reply.parts:
        return "\n\n".join(render_text(replace(part, parts=(), focus=reply.focus)) for part in reply.parts)
    ja = reply.lang == "ja"
    out: list[str] = []
    if reply.kind == "answer":
        if reply.focus == "sources":
            out.append(message("sources.lead", reply.lang))
            out.extend(_sources_text(reply))
        if reply.focus == "dates" and reply.headline:
            out.append(reply.headline)
        out.append(reply.sentence)
        for line in reply.figures:
            label = f"[{line.label}] " if line.label else ""
            details = [d for d in (line.base, line.period) if d]
            details.append(message("as_of", reply.lang, date=line.as_of))
            sep = "、" if ja else "; "
            out.append(f"  • {label}{line.value}: {line.counts} ({sep.join(details)})")
        if reply.focus != "sources":
            out.extend(_sources_text(reply))
    elif reply.kind == "suggest":
        out.append(reply.sentence)
        for i, s in enumerate(reply.suggestions, 1):
            out.append(f"  {i}. {s.question}")
    else:
        out.append(reply.sentence)
        if reply.topics and reply.reason != "too_long":
            out.append(message("knows", reply.lang) + " " + ("、" if ja else "; ").join(reply.topics))
    return "\n".join(out)
