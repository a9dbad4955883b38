"""Follow-ups that are dates (`bot/answer/conversation.py` reads a message against the previous turn):
"and 2024?", "september?", "the month before?", "a year later?", 「４月からは？」, "and after that?".
The previous answer's facts with a figure for the date answer; otherwise the previous question is
asked again for that date, and declined saying so when no fact has a figure for it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.answer.fragments import AFTER, FROM_MONTH, YEAR
from bot.answer.policy import Decision
from bot.answer.reply import Answerer, Reply
from bot.answer.two_part import PART_MIN_SCORE, facts_reply
from bot.knowledge.model import Fact
from bot.search.dates import asked_dates, earlier, fact_dates, holds, shown, without_dates
from bot.text.normalise import clean, detect_lang, tokens

if TYPE_CHECKING:  # only for the annotations (conversation.py imports this module)
    from bot.answer.conversation import Turn

AFTER_CANDIDATES = 10  # facts read for one dated after the previous answer's last date ("and after that?")


def date_follow_up(answerer: Answerer, question: str, previous: Turn) -> Reply | None:
    """ "and sept 2025?", 「2024年は？」, "september?": a date alone, asked of the previous question
    (a month without a year takes the previous question's year). The previous answer's facts that
    have a figure for it answer; otherwise the previous question is asked again for that date
    instead of its own, and declined saying so when no fact has a figure for it. None when the
    message names more than a date."""
    before = asked_dates(previous.question)
    facts = [f for f in (answerer.kb.fact(fid) for fid in previous.fact_ids) if f is not None]
    if not before and facts and FROM_MONTH.search(clean(question)):
        # 「ほな４月からは？」 after "until when can I use my old card?": from the month after the
        # last date the answer gives (1 December 2025), so April 2026
        last = max((str(f.value) if f.unit == "date" else f.as_of for fact in facts for f in fact.figures), default="")
        before = (last[:7],) if last else ()  # (a fact without figures has no last date)
    when = asked_dates(question, year=before[0][:4] if before else None)
    if before and len(before[0]) == 7 and FROM_MONTH.search(clean(question)) and not YEAR.search(question):
        # 「4月からは？」 after a question about December 2025: the April after it, in 2026
        when = tuple(f"{int(key[:4]) + 1}{key[4:]}" if len(key) == 7 and key < before[0] else key for key in when)
    if not when and not before and facts:
        # "november?" after the latest figures (a question naming no year): that month of the newest figure's year
        newest = max((f.as_of for fact in facts for f in fact.figures if f.unit not in ("date", "year")), default="")
        when = asked_dates(question, year=newest[:4]) if newest else ()
    if not when and AFTER.search(clean(question)):
        return _after_follow_up(answerer, question, previous, facts)
    if not when:
        # "the month before?": counted back from the date asked before, or the newest figure shown
        base = before[0] if before else max((f.as_of[:7] for fact in facts for f in fact.figures if f.unit not in ("date", "year")), default=None)
        step = earlier(question, base) if base else None
        if step and step > base and not before:
            step = None  # "a year later?" counts on from a date asked, not from the newest figure we have
        when = (step,) if step else ()
        if step and base and step[4:] == base[4:] and len(step) == 7 and not any(holds(fact_dates(f), when) for f in facts):
            # "a year later?" is a rough step: the month either side of it when a fact has a figure for that
            when = next(((m,) for m in _months_beside(step) if any(holds(fact_dates(f), (m,)) for f in facts)), when)
    if not when or answerer.search(without_dates(question)).known_words:
        return None
    lang = detect_lang(question)
    held = tuple(f.id for f in facts if holds(fact_dates(f), when))
    if held:
        asked = " ".join(shown(key, lang) for key in when)
        return facts_reply(answerer, held, lang, question, reason="follow_up_date", query_tokens=tokens(f"{previous.question} {question} {asked}"))
    restated = " ".join((without_dates(previous.question), *(shown(key, detect_lang(previous.question)) for key in when)))
    again = answerer.ask(restated)
    fact = answerer.kb.fact(again.fact_id) if again.answered and again.fact_id else None
    if fact is not None:
        return answerer.fact_reply(fact, lang, question, again.score, "follow_up_date", tokens(restated))
    result = replace(answerer.search(restated), lang=lang, undated=when)
    return answerer.reply_for(question, result, Decision("decline", None, 0.0, reason="no_figure_for_date", closest_fact=again.closest_fact))


def _months_beside(key: str) -> tuple[str, str]:
    """The months before and after a month key ("2024-12": "2024-11", "2025-01")."""
    year, month = int(key[:4]), int(key[5:7])
    return f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}", f"{year + (month == 12)}-{month % 12 + 1:02d}"


def _after_follow_up(answerer: Answerer, question: str, previous: Turn, facts: list[Fact]) -> Reply | None:
    """ "and after that?", 「それ以降は？」 after an answer ending at a date (the last day old cards
    could be used): the fact, among those the two messages read together point at, with a date
    after it (the grace period that followed), or a decline saying we have nothing after it."""
    last = max((str(f.value) for fact in facts for f in fact.figures if f.unit == "date"), default="")
    if len(last) < 7:
        return None  # the previous answer ends at no date: read the message as any other fragment
    lang = detect_lang(question)
    combined = f"{previous.question} {question}"
    for cand in answerer.index.search(combined, limit=AFTER_CANDIDATES).candidates:
        fact = answerer.kb.fact(cand.fact_id)
        if cand.score < PART_MIN_SCORE:
            break
        if fact is not None and cand.fact_id not in previous.fact_ids and any(f.unit == "date" and str(f.value) > last for f in fact.figures):
            return answerer.fact_reply(fact, lang, question, cand.score, "follow_up_date", tokens(combined))
    year, month = int(last[:4]), int(last[5:7])
    after = f"{year + 1}-01" if month == 12 else f"{year}-{month + 1:02d}"
    result = replace(answerer.search(previous.question), lang=lang, undated=(after,))
    return answerer.reply_for(
        question, result, Decision("decline", None, 0.0, reason="no_figure_for_date", closest_fact=previous.fact_ids[0] if previous.fact_ids else None)
    )
