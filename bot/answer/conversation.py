"""Questions in a conversation: follow-ups answered in the context of the previous question
(a question that stands alone, or a two-part one, is answered by `two_part.answer_alone`).

Built on `Answerer.ask` and the index's ranked candidates; nothing here scores a question. The
phrases that mark each kind of fragment are in `bot/answer/fragments.py`, the follow-ups that are
dates in `bot/answer/dated.py`.

- A follow-up ("and 2024?", "what about the hospitals?", "source?", 「それいつの数字？」,
  "in Japanese please") is read against the last turn of the same conversation: a request
  about the previous answer (its sources, its dates, the other language) re-renders it; one
  that names who a figure is about ("what about hospitals?" after patients) asks the previous
  question about them, unless the previous answer already gives their figure; a
  fragment that names a subject of its own ("how many registered?" after the usage rate) gets
  that subject, one that does not ("and 2024?") is asked again joined to the previous question;
  "and after that?" asks for a fact dated after the previous answer's last date; a breakdown of
  the previous figure ("how many of those were health insurance?") is answered by the previous
  answer when it gives that part, and declined otherwise.
  A question that stands alone is answered alone. Without a previous turn, or after the window, a fragment is answered (or
  declined) as it would be alone.
- `Conversations` keeps the last turn per conversation key (the command line's conversation
  id, Discord's (channel, user)): bounded, expiring, in memory only, and it keeps only the
  question text needed to read the next fragment.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace

from bot.answer.dated import date_follow_up
from bot.answer.fragments import (
    AFTER_THAT,
    AS_SHARE_OF,
    BREAKDOWN,
    BREAKDOWN_MAX_CHARS,
    COUNT_OF_SHARE,
    NATIONWIDE,
    NEAREST_DATE,
    NO_FIGURE_FOR_IT,
    OUT_OF_HOW_MANY,
    OWN_QUESTION,
    SINCE_WHEN,
    WHO,
    WHO_TYPOS,
    WHY_SO,
    request_about_previous,
)
from bot.answer.policy import Decision
from bot.answer.reply import Answerer, Reply
from bot.answer.two_part import PART_MIN_SCORE, REFERS_BACK, answer_alone, facts_reply, has_follow_up_cue, is_short, with_subject_of, without_gap_terms
from bot.knowledge.model import Fact
from bot.search.dates import asked_dates, fact_dates, holds, shown, without_dates
from bot.text.normalise import clean, detect_lang, tokens

FOLLOW_UP_SECONDS = 300.0  # a follow-up is read in context for this long after the previous answer
MAX_CONVERSATIONS = 10_000  # the least recently used are forgotten beyond this
# a fragment that asks its own question of the previous subject ("who decided that?", 「それ誰が
# 決めたの？」) names its fact with fewer words: a lower score suffices
OWN_QUESTION_MIN_SCORE = 0.4
FRAGMENT_WINDOW = 0.05  # a fragment's candidates this close to its best are all read as what it may name
# 「じゃあ薬局は？」 after a question naming nobody: a fact giving a figure for them, this close to the
# combined reading, is what is asked (that it names them is most of the evidence)
SWAP_MIN_SCORE = 0.3

# ---------------------------------------------------------------- follow-ups


@dataclass(frozen=True)
class Turn:
    """What a conversation remembers of its last answered question."""

    question: str  # the last question that stood alone (a follow-up is read against it)
    lang: str
    fact_ids: tuple[str, ...]  # the facts of the last reply (none after a decline)
    at: float  # clock time of the reply
    declined: str = ""  # the last message, when it was a follow-up left unanswered ("in English please" is about that reply)


# "that", "those", 「それ」: pointing at what the previous message named ("it" is often the card)
_POINTS_AT = re.compile(r"\b(?:that|this|those|these)\b|それ(?!ぞれ)|これ|その(?!時|月|年|頃|とき|ころ)|この(?!時|月|年|頃|とき|ころ)", re.IGNORECASE)


_THEY = re.compile(r"\b(?:they|them)\b", re.IGNORECASE)


def _fragment_subject(answerer: Answerer, question: str, combined: str, previous: Turn) -> tuple[str, float] | None:
    """The fact a fragment names by itself ("how many registered?" after the usage rate), if
    it names one other than the previous answer's: one of the fragment's leading candidates
    (not a previous fact, the top not a previous fact either), the one that ranks best when the
    fragment is read with the previous question. Its score there is returned with it."""
    own = answerer.search(question)
    if own.gaps or not own.candidates:
        return None
    top = own.candidates[0]
    if top.fact_id in previous.fact_ids or top.score < (OWN_QUESTION_MIN_SCORE if OWN_QUESTION.search(clean(question)) else PART_MIN_SCORE):
        return None
    if (_POINTS_AT.search(clean(question)) or _THEY.search(clean(question))) and any(c.fact_id in previous.fact_ids for c in own.candidates):
        return None  # "what share of cardholders is that?": about the previous answer, which it may fit ("it" is often the card)
    near = {c.fact_id for c in own.candidates if c.score >= top.score - FRAGMENT_WINDOW and c.fact_id not in previous.fact_ids}
    if len(near) > 2:
        return None  # it names no one subject: read it with the previous question instead
    for cand in answerer.search(combined).candidates:
        if cand.fact_id in near:
            return cand.fact_id, cand.score
    return None


def _dated_subject(answerer: Answerer, question: str, previous: Turn) -> Reply | None:
    """「利用率は？」 after 「2024年10月の登録者数は？」: a fragment naming a subject of its own, asked for the
    previous question's month or year; the reply when that is a confident answer with another fact."""
    when = asked_dates(previous.question)
    if not when or asked_dates(question) or REFERS_BACK.search(clean(question)) or not answerer.search(question).known_words:
        return None
    lang = detect_lang(question)
    restated = f"{question.rstrip(' ?？。.!！')} {' '.join(shown(key, lang) for key in when)}"
    reply = answerer.ask(restated)
    if not reply.answered or reply.fact_id in previous.fact_ids or reply.fact_id is None or (fact := answerer.kb.fact(reply.fact_id)) is None:
        return None
    return answerer.fact_reply(fact, lang, question, reply.score, "follow_up_subject", tokens(restated))


def _swapped_subject(answerer: Answerer, question: str, previous: Turn) -> Reply | None:
    """ "what about hospitals?", 「薬局は？」: the previous question asked again about the one
    subject the fragment names (who a figure is about) in place of the previous one's; the reply
    when that is a confident answer with a fact other than the previous answer's."""
    found = {_who(m.group(0)): WHO_TYPOS.get(m.group(0).lower(), m.group(0).lower()) for m in WHO.finditer(clean(question))}
    if len(found) != 1:
        return None
    ((key, new),) = found.items()
    lang = detect_lang(question)
    combined = f"{previous.question} {question}"
    named_before = any(_who(m.group(0)) == key for m in WHO.finditer(clean(previous.question)))
    # (when the previous question named them too, its answer telling about them is no answer: "for the
    # hospital itself?" after what hospitals said of patients asks about another subject)
    if not named_before and any(_tells_about(fact, new) for fact in (answerer.kb.fact(fid) for fid in previous.fact_ids) if fact is not None):
        # the previous answer already gives it ("and pharmacies?" after the usage rate by kind of facility)
        return facts_reply(answerer, previous.fact_ids, lang, question, reason="follow_up_subject", query_tokens=tokens(combined))
    before = clean(previous.question)
    old = [m for m in WHO.finditer(before) if _who(m.group(0)) != key]  # "hospital" is "hospitals" named again
    if not old:
        # the previous question named nobody (「利用率は？」, then 「じゃあ薬局は？」): the fact that best
        # fits both and gives a figure for them
        for cand in answerer.search(combined).candidates:
            fact = answerer.kb.fact(cand.fact_id)
            if cand.score >= SWAP_MIN_SCORE and cand.fact_id not in previous.fact_ids and fact is not None and _tells_about(fact, new):
                return facts_reply(answerer, (fact.id,), lang, question, reason="follow_up_subject", query_tokens=tokens(combined))
        return None
    first = old[0]
    swapped = f"{before[: first.start()]}{new}{before[first.end() :]}"
    reply = answer_alone(answerer, swapped)
    if reply.kind == "decline" and reply.reason in NO_FIGURE_FOR_IT:
        # no fact answers the question asked of them: a close fact that gives a figure for them
        # ("what about pharmacies?" after the hospitals viewing data: the pharmacies' use of the
        # shared data), else we have no figure for them ("and clinics?" after duplicate prescriptions)
        for cand in answerer.search(swapped).candidates:
            fact = answerer.kb.fact(cand.fact_id)
            if cand.score >= PART_MIN_SCORE and cand.fact_id not in previous.fact_ids and fact is not None and _tells_about(fact, new):
                return facts_reply(answerer, (fact.id,), lang, question, reason="follow_up_subject", query_tokens=tokens(swapped))
        return replace(reply, question=question)
    if (
        reply.answered
        and set(reply.fact_ids) <= set(previous.fact_ids)
        and tokens(new)
        and not any(_tells_about(fact, new) for fact in (answerer.kb.fact(fid) for fid in reply.fact_ids) if fact is not None)
    ):
        # asked of them, the question gets the previous answer again, which has no figure for them
        # ("what about clinics?" after what hospitals said about themselves)
        return answerer.reply_for(
            question, answerer.search(swapped), Decision("decline", None, 0.0, reason="subject_not_covered", closest_fact=reply.fact_ids[0])
        )
    if reply.kind == "suggest" and reply.suggestions:
        # a "did you mean" for the swapped question whose first fact is another one, about them: that
        # fact (「患者側は？」 after what hospitals said about patients: what patients said)
        first = answerer.kb.fact(reply.suggestions[0].fact_id)
        if first is not None and first.id not in previous.fact_ids and _tells_about(first, new):
            return facts_reply(answerer, (first.id,), lang, question, reason="follow_up_subject", query_tokens=tokens(swapped))
    if not reply.answered or set(reply.fact_ids) <= set(previous.fact_ids):
        return None
    return facts_reply(answerer, reply.fact_ids, lang, question, reason="follow_up_subject", query_tokens=tokens(swapped))


# a number in an answer that is no share, decimal, year or day ("of the 892 hospitals")
_COUNT_IN_TEXT = re.compile(
    r"(?<![\d.,])(?!(?:19|20)\d\d\b)\d[\d,]*(?![\d.,]*\s*(?:%|percent|\.\d))(?!\s*(?:January|February|March|April|May|June|July|August|September|October|November|December)\b)"
)


def _starts(answerer: Answerer, fact_id: str) -> bool:
    """Does the fact give when something began or happened (a date or a year), not only figures as of a date?"""
    fact = answerer.kb.fact(fact_id)
    return fact is not None and any(f.unit in ("date", "year") for f in fact.figures)


def _counts(answerer: Answerer, fact_id: str) -> bool:
    """Does the fact give a count (of people, hospitals, …), as a figure or in its answer ("of the 892
    hospitals"), not only shares and dates?"""
    fact = answerer.kb.fact(fact_id)
    if fact is None:
        return False
    return any(f.unit in ("people", "hospitals", "count") for f in fact.figures) or bool(_COUNT_IN_TEXT.search(fact.answer.en))


def _shares_only(answerer: Answerer, fact_id: str) -> bool:
    """Are all the fact's figures shares (no count of what they are shares of)?"""
    fact = answerer.kb.fact(fact_id)
    return fact is not None and bool(fact.figures) and all(f.unit == "percent" for f in fact.figures)


def _who(word: str) -> str:
    """Who a word names, singular or plural alike ("hospitals", "hospital"), typos too ("clincs")."""
    word = WHO_TYPOS.get(word.lower(), word)
    return " ".join(tokens(word)) or word.lower()


def _tells_about(fact: Fact, subject: str) -> bool:
    """Does the fact's answer, or one of its figures, give a figure for this subject ("pharmacies")?"""
    wanted = set(tokens(subject))
    texts = [fact.answer.en, fact.answer.ja, *(t for fig in fact.figures for t in (fig.counts.en, fig.counts.ja))]
    return bool(wanted) and any(wanted <= set(tokens(text)) for text in texts)


def _breakdown(answerer: Answerer, question: str, previous: Turn, strict: bool) -> Reply:
    """ "how many of those were health insurance?": the previous question asked again with it, which
    the previous answer answers when it gives that part ("how many were mail?" after the patients'
    figures by mail and online); any other fact would be a new subject, so the bot declines."""
    combined = f"{previous.question} {question}"
    ctx = answerer.ask(combined, strict=strict)
    if ctx.answered and set(ctx.fact_ids) <= set(previous.fact_ids) and not any(answerer.index.lacking(question, fid) for fid in ctx.fact_ids):
        return replace(ctx, question=question, reason=f"follow_up:{ctx.reason}")
    if not ctx.answered:
        return replace(ctx, question=question)
    alone = answerer.ask(question, strict=strict)
    if alone.answered and alone.reason == "confident" and alone.fact_ids == ctx.fact_ids:
        # "and how many of them registered it as insurance?" after the cardholders: a subject of its
        # own, which the fragment names by itself as well as with the previous question
        return replace(ctx, question=question, reason=f"follow_up:{ctx.reason}")
    result = answerer.search(combined)
    return answerer.reply_for(question, result, Decision("decline", None, 0.0, reason="subject_not_covered", closest_fact=previous.fact_ids[0]))


def _in_context(answerer: Answerer, question: str, previous: Turn, strict: bool) -> Reply | None:
    """The reply to a follow-up read against `previous`; None when the message is not one."""
    request = request_about_previous(question)
    if request in ("ja", "en"):
        if previous.declined:
            # the last reply was a decline: it is the one asked for in the other language
            result = replace(answerer.search(previous.declined), lang=request)
            return answerer.reply_for(question, result, Decision("decline", None, 0.0, reason="follow_up_language"))
        if previous.fact_ids:
            return facts_reply(answerer, previous.fact_ids, request, question, reason="follow_up_language")
        # the same suggestion or decline, in the language asked for
        again = answerer.ask(previous.question, strict=strict)
        result = answerer.search(previous.question)
        return answerer.reply_for(question, replace(result, lang=request), _decision_of(again))
    if not previous.fact_ids and is_short(question) and _POINTS_AT.search(clean(question)):
        before = answerer.ask(previous.question, strict=strict)
        if before.reason == "not_covered":
            # "is that a government survey?" after a question about a subject we have no figure for
            # (the doctors' union's survey): about that subject, declined as it was
            return replace(before, question=question)
    if previous.declined and request == "sources" and is_short(question) and _POINTS_AT.search(clean(question)):
        # "who counted that?" right after a follow-up we had no figure for ("how many have done it?"):
        # about that number, which we do not have, not the answer before it
        return answerer.reply_for(question, answerer.search(previous.declined), Decision("decline", None, 0.0, reason="no_match"))
    base = OUT_OF_HOW_MANY.match(clean(question)) if request == "same" else None
    if base is not None and previous.fact_ids and not any(_counts(answerer, fid) for fid in previous.fact_ids):
        # "out of how many hospitals?" after a share whose answer gives no count: the fact that counts
        # them ("how many hospitals?"), when one answers that plainly
        noun = base.group(1) or next((m.group(0) for m in WHO.finditer(clean(previous.question))), "")
        counted = answer_alone(answerer, f"how many {WHO_TYPOS.get(noun.lower(), noun)}?", strict) if noun else None
        if counted is not None and counted.answered and counted.reason == "confident" and _counts(answerer, counted.fact_ids[0]):
            return facts_reply(answerer, counted.fact_ids, detect_lang(question), question, reason="follow_up_subject")
    if previous.fact_ids and COUNT_OF_SHARE.match(clean(question)) and all(_shares_only(answerer, fid) for fid in previous.fact_ids):
        # "how many hospitals is that in actual numbers?" after a share the sources give no count for
        return answerer.reply_for(question, answerer.search(question), Decision("decline", None, 0.0, reason="no_match"))
    if previous.fact_ids and WHY_SO.match(clean(question)):
        # "why so low?" after a figure: the sources give the figures, not their reasons; no other fact's figure either
        result = answerer.search(question)
        return answerer.reply_for(question, result, Decision("decline", None, 0.0, reason="no_match"))
    if request == "dates" and previous.fact_ids and SINCE_WHEN.match(clean(question)) and not any(_starts(answerer, fid) for fid in previous.fact_ids):
        # "since when?" after an answer with no date of when anything began (the number's 12 digits):
        # declined, as alone, rather than answered with the date its figures are "as of"
        return answer_alone(answerer, question, strict)
    if request in ("sources", "dates", "same") and previous.fact_ids:
        joined = facts_reply(answerer, previous.fact_ids, detect_lang(question), question, reason=f"follow_up_{request}", date_first=request == "dates")
        if joined is not None:
            return replace(joined, focus="" if request == "same" else request)
    if NATIONWIDE.match(clean(question)):
        # "ok then nationally?" after "what's the usage rate in Hokkaido?" (declined: no regional
        # figures): the previous question without the place we have no figure for
        whole = without_gap_terms(answerer, previous.question)
        ctx = answer_alone(answerer, whole, strict) if whole != previous.question else None
        if ctx is not None and ctx.answered:
            return replace(ctx, question=question, reason=f"follow_up:{ctx.reason}")
    if not previous.fact_ids and asked_dates(previous.question) and NEAREST_DATE.match(clean(question)):
        # declined for its month or year, the previous question asked again without it: the reply
        # gives the figures we have, the month asked for first when there is one
        ctx = answer_alone(answerer, without_dates(previous.question), strict)
        if ctx.answered:
            return replace(ctx, question=question, reason=f"follow_up:{ctx.reason}")
    if previous.fact_ids and AS_SHARE_OF.match(clean(question)):
        # "as a % of cardholders?" after "how many people registered?": the previous question's figure as a share
        combined = f"{previous.question} {question}"
        ctx = answer_alone(answerer, combined, strict) if len(combined) <= answerer.max_chars else None
        if ctx is not None and ctx.answered:
            return replace(ctx, question=question, reason=f"follow_up:{ctx.reason}")
    if previous.fact_ids and len(question) <= BREAKDOWN_MAX_CHARS and BREAKDOWN.search(clean(question)):
        return _breakdown(answerer, question, previous, strict)
    if not is_short(question):
        return None
    if answerer.search(question).gaps:
        # a fragment naming what we have no figure for ("how many hospitals replied?") is declined
        # as it would be alone, not read as the previous question about someone else
        return answer_alone(answerer, question, strict)
    dated = date_follow_up(answerer, question, previous)
    if dated is not None:
        return dated
    about = with_subject_of(previous.question, question)
    if about:
        # 「資格確認書ってなに？」 then 「有効期限は？」: the bare subject is asked of what the previous question asked about
        ctx = answer_alone(answerer, about, strict)
        if ctx.answered:
            return replace(ctx, question=question, reason=f"follow_up:{ctx.reason}")
    own = answer_alone(answerer, question, strict)
    if own.answered and has_follow_up_cue(question) and AFTER_THAT.search(clean(question)):
        # "and a year after that, as a % of cardholders?": it starts like a follow-up and points back
        combined = f"{previous.question} {question}"
        ctx = answer_alone(answerer, combined, strict) if len(combined) <= answerer.max_chars else own
        if ctx.answered and ctx.reason != "exact" and ctx.fact_ids != own.fact_ids:
            return replace(ctx, question=question, reason=f"follow_up:{ctx.reason}")
        others = [s.fact_id for s in ctx.suggestions if s.fact_id not in previous.fact_ids]
        if ctx.kind == "suggest" and len(others) == 1 and (fact := answerer.kb.fact(others[0])) is not None and (fact.id,) != own.fact_ids:
            # "and how long could I keep using mine after that?" after the day issuing stopped: read
            # with it, the two facts are close, and the one the previous answer did not give is asked
            return answerer.fact_reply(fact, detect_lang(question), question, ctx.score, "follow_up_subject", answerer.search(combined).tokens)
    if own.answered and has_follow_up_cue(question) and not strict and any(len(key) == 7 for key in asked_dates(previous.question)):
        # 「利用率は？」 after 「2024年10月の登録者数は？」 could stand alone, but asks for that month
        dated = _dated_subject(answerer, question, previous)
        if dated is not None:
            return dated
    if own.answered:
        return None  # it stands alone
    if not has_follow_up_cue(question):
        # without "and ...", "what about ..." it must name something the knowledge base knows (a
        # word or a year), or chatter ("good morning everyone") would repeat the previous answer;
        # unprompted, in an answer channel, only a message that starts like a follow-up is one
        result = answerer.search(question)
        if strict or not (result.known_words or any(t.startswith("#") for t in result.tokens)):
            return None
    combined = f"{previous.question} {question}"
    if len(combined) > answerer.max_chars:
        return None
    # unprompted (strict), a fragment is only read with the previous question, under the stricter rule
    swapped = None if strict else _swapped_subject(answerer, question, previous)
    if swapped is not None:
        return swapped
    dated = None if strict else _dated_subject(answerer, question, previous)
    if dated is not None:
        return dated
    subject = None if strict else _fragment_subject(answerer, question, combined, previous)
    if subject is not None and (fact := answerer.kb.fact(subject[0])) is not None:
        return answerer.fact_reply(fact, detect_lang(question), question, subject[1], "follow_up_subject", answerer.search(combined).tokens)
    ctx = answerer.ask(combined, strict=strict)
    # an exact match there is the previous question, one of the combined reading's sentences: it says
    # nothing of the fragment ("is the card popular with dentists?" after the usage rate)
    if ctx.answered and ctx.reason != "exact":
        return replace(ctx, question=question, reason=f"follow_up:{ctx.reason}")
    if ctx.kind == "suggest" and own.kind != "suggest":
        return replace(ctx, question=question)
    return None


def _decision_of(reply: Reply) -> Decision:
    """The policy's decision a reply was built from, to build it again in another language."""
    return Decision(reply.kind, reply.fact_id, reply.score, tuple(s.fact_id for s in reply.suggestions), reply.reason, reply.closest_fact)


def _dated_or_declined(answerer: Answerer, question: str, reply: Reply) -> Reply:
    """A follow-up that names a month or year ("same question for the 2025 survey?") answered with
    facts that have no figure for it is declined saying so, not answered with their other dates."""
    when = asked_dates(question)
    if not when or not reply.answered or reply.focus == "dates":
        return reply
    facts = [f for f in (answerer.kb.fact(fid) for fid in reply.fact_ids) if f is not None]
    if not facts or any(holds(fact_dates(f), when) for f in facts):
        return reply
    result = replace(answerer.search(question), undated=when)
    return answerer.reply_for(question, result, Decision("decline", None, 0.0, reason="no_figure_for_date", closest_fact=facts[0].id))


def answer_turn(answerer: Answerer, question: str, previous: Turn | None, now: float, strict: bool = False) -> tuple[Reply, Turn | None]:
    """The reply to `question` after `previous` (None: no conversation yet), and the turn to
    remember next (None: keep `previous`)."""
    if not isinstance(question, str):
        question = str(question)
    if previous is not None and len(question) <= answerer.max_chars:
        in_context = _in_context(answerer, question, previous, strict)
        if in_context is not None:
            reply = _dated_or_declined(answerer, question, in_context)
            if len(reply.fact_ids) == 2 and len(new := set(reply.fact_ids) - set(previous.fact_ids)) == 1 and reply.reason.startswith("follow_up"):
                # "any numbers for pharmacies?" after a two-part question: the previous fact again is not what is asked now
                reply = facts_reply(answerer, tuple(new), reply.lang, question, reason=reply.reason) or reply
            # the context stays the question that stood alone, so "and 2024?" then "and 2023?" both read against it
            declined = "" if reply.answered or request_about_previous(question) in ("ja", "en") else question
            return reply, Turn(previous.question, reply.lang, reply.fact_ids or previous.fact_ids, now, declined)
    reply = answer_alone(answerer, question, strict)
    if previous is not None and len(reply.fact_ids) == 2 and len(set(reply.fact_ids) - set(previous.fact_ids)) == 1 and REFERS_BACK.search(clean(question)):
        # "what if it already expired, could you still use it?" after the end of the old cards: read
        # alone, two questions, one of them the one just answered; the other is what is asked now
        (other,) = set(reply.fact_ids) - set(previous.fact_ids)
        reply = facts_reply(answerer, (other,), reply.lang, question, reason="follow_up_subject") or reply
    if len(question) > answerer.max_chars:
        return reply, None  # declined for its length: nothing to read a follow-up against, and not kept
    if not reply.answered and (
        has_follow_up_cue(question)
        or request_about_previous(question)
        or (previous is not None and previous.fact_ids and (is_short(question) or _POINTS_AT.search(clean(question))))
    ):
        # a fragment that could not be read is no context, nor a short question left unanswered
        # ("health insurance only?") or one about what was just answered ("how many is that as a share
        # of everyone in japan?") after an answer: the previous turn's subject stays
        return reply, (replace(previous, declined=question) if previous is not None else None)
    if previous is not None and reply.answered and set(reply.fact_ids) <= set(previous.fact_ids) and is_short(question) and not asked_dates(question):
        # "87.4% of what exactly?" after a question about registrations and the usage rate in September
        # 2025: about what was just answered, so the context stays that question ("and a month later?")
        return reply, Turn(previous.question, reply.lang, previous.fact_ids, now)
    # a "did you mean" with one suggestion: what a follow-up asking about "that" most likely means
    facts = reply.fact_ids or (tuple(s.fact_id for s in reply.suggestions) if reply.kind == "suggest" and len(reply.suggestions) == 1 else ())
    return reply, Turn(question, reply.lang, facts, now)


class Conversations:
    """The last turn of each conversation, by key, for `window` seconds.

    Bounded: at most `limit` conversations (the least recently used dropped first), and every
    turn older than the window is dropped whenever the store is used, so no question text is
    kept longer than the window. Kept in memory only. Safe to use from several threads (Discord answers in worker threads)."""

    def __init__(self, window: float = FOLLOW_UP_SECONDS, limit: int = MAX_CONVERSATIONS, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.limit = limit
        self.clock = clock
        self._turns: OrderedDict[Hashable, Turn] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._turns)

    def last(self, key: Hashable) -> Turn | None:
        """The conversation's last turn, if it is recent enough."""
        now = self.clock()
        with self._lock:
            self._drop_expired(now)
            return self._turns.get(key)

    def remember(self, key: Hashable, turn: Turn) -> None:
        with self._lock:
            self._turns[key] = turn
            self._turns.move_to_end(key)
            self._drop_expired(turn.at)
            while len(self._turns) > self.limit:
                self._turns.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._turns.pop(key, None)

    def _drop_expired(self, now: float) -> None:
        # turns are kept in the order they were made (each is moved to the end when
        # remembered), so the expired ones are at the front: no text outlives the window
        while self._turns:
            key, oldest = next(iter(self._turns.items()))
            if now - oldest.at <= self.window:
                break
            del self._turns[key]

    def answer(self, answerer: Answerer, key: Hashable, question: str, strict: bool = False) -> tuple[Reply, Turn | None]:
        """The reply to `question` in conversation `key`, and the turn to `remember` once the
        reply has been given (None: nothing to remember)."""
        reply, turn = answer_turn(answerer, question, self.last(key), self.clock(), strict)
        if strict and not reply.answered:
            return reply, None  # an unprompted message that gets no answer is not kept
        return reply, turn

    def ask(self, answerer: Answerer, key: Hashable, question: str, strict: bool = False) -> Reply:
        """Answer `question` in conversation `key` and remember it."""
        reply, turn = self.answer(answerer, key, question, strict)
        if turn is not None:
            self.remember(key, turn)
        return reply
