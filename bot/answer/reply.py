"""One reply model for every front end, and the `Answerer` that produces it.

The command line renders a Reply as plain text (`render_text`); the Discord front end
renders the same Reply as an embed (bot/embeds.py). The words of both come from
bot/messages.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.answer.format import date_text, source_line, source_title, value_text
from bot.answer.policy import Decision, Thresholds, decide
from bot.knowledge.model import Fact, Figure, KnowledgeBase
from bot.messages import message
from bot.search.index import SearchIndex, SearchResult
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

    @property
    def answered(self) -> bool:
        return self.kind == "answer"


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
            return self.fact_reply(fact, lang, question, decision.score, decision.reason, result.tokens)
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
        if decision.reason == "unknown_figure" and result.figure:
            return self._decline(question, lang, decision.reason, message("not_covered", lang, what=result.figure), decision.score, decision.closest_fact)
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
        self, fact: Fact, lang: str, question: str = "", score: float = 1.0, reason: str = "", query_tokens: tuple[str, ...] = (), all_figures: bool = False
    ) -> Reply:
        shown = list(fact.figures) if all_figures else _figures_to_show(fact, query_tokens)
        lines = tuple(self._figure_line(fact, fig, lang) for fig in shown)
        source_ids: list[str] = [fact.source]
        for fig in shown:
            if fig.source not in source_ids:
                source_ids.append(fig.source)
        sources = tuple(self._source_ref(sid, lang) for sid in source_ids if sid in self.kb.sources)
        headline = " / ".join(dict.fromkeys(line.value for line in lines[:3]))
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
        )

    def _figure_line(self, fact: Fact, fig: Figure, lang: str) -> FigureLine:
        label = ""
        if fact.series and len({f.as_of for f in fact.figures}) > 1:
            dates = sorted({f.as_of for f in fact.figures})
            if fig.as_of == dates[-1]:
                label = message("latest", lang)
            elif fig.as_of == dates[0]:
                label = message("article", lang)
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


def _figures_to_show(fact: Fact, query_tokens: tuple[str, ...]) -> list[Figure]:
    """All figures; for a dated series, the latest and the earliest (the article's), plus any year asked about."""
    if not fact.series or len({f.as_of for f in fact.figures}) <= 2:
        return list(fact.figures)
    dates = sorted({f.as_of for f in fact.figures})
    years = {t[1:] for t in query_tokens if t.startswith("#") and len(t) == 5}
    keep = {dates[-1], dates[0]} | {d for d in dates if d[:4] in years}
    shown = [f for f in fact.figures if f.as_of in keep]
    return sorted(shown, key=lambda f: f.as_of, reverse=True)


def render_text(reply: Reply) -> str:
    """The reply as plain text, the way a person reads it in a terminal."""
    ja = reply.lang == "ja"
    out: list[str] = []
    if reply.kind == "answer":
        out.append(reply.sentence)
        for line in reply.figures:
            label = f"[{line.label}] " if line.label else ""
            details = [d for d in (line.base, line.period) if d]
            details.append(message("as_of", reply.lang, date=line.as_of))
            sep = "、" if ja else "; "
            out.append(f"  • {label}{line.value}: {line.counts} ({sep.join(details)})")
        for src in reply.sources:
            out.append(f"  {src.line}")
            out.append(f"    {src.title} <{src.url}>")
    elif reply.kind == "suggest":
        out.append(reply.sentence)
        for i, s in enumerate(reply.suggestions, 1):
            out.append(f"  {i}. {s.question}")
    else:
        out.append(reply.sentence)
        if reply.topics and reply.reason != "too_long":
            out.append(message("knows", reply.lang) + " " + ("、" if ja else "; ").join(reply.topics))
    return "\n".join(out)
