"""The blind sets written for issue 13 (questions_blind2.yaml to questions_blind33.yaml), asked as a
user would: conversations in order, two-part questions needing both facts. Their figures are
printed with the quality report.

A reply is right when it answers with only facts that answer the question and, for a two-part
question, with every fact asked for; a question with no fact in the knowledge base is right when it
is not answered. A "did you mean" is never right for an answerable question. The bars of
tests/quality/test_quality.py apply to that file's sets; these are reported, not gated. Each set was
measured blind before anyone read its misses (the README keeps those figures); sets 2 to 32 have
been studied since, set 33 has not (see UNSEEN).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.answer.conversation import Conversations
from bot.answer.reply import Answerer
from tests.quality.evaluate import Report

SETS = {
    name: Path(__file__).with_name(f"questions_{name}.yaml")
    for name in (
        "blind2",
        "blind3",
        "blind4",
        "blind5",
        "blind6",
        "blind7",
        "blind8",
        "blind9",
        "blind10",
        "blind11",
        "blind12",
        "blind13",
        "blind14",
        "blind15",
        "blind16",
        "blind17",
        "blind18",
        "blind19",
        "blind20",
        "blind21",
        "blind22",
        "blind23",
        "blind24",
        "blind25",
        "blind26",
        "blind27",
        "blind28",
        "blind29",
        "blind30",
        "blind31",
        "blind32",
        "blind33",
    )
}
# Sets whose misses nobody has read yet: measured with every run like the others, but their table is
# printed only with SHOW_UNSEEN=1 in the environment, so that a routine test run does not measure
# them by accident (each look at an unseen set's figures is one more measurement to report).
UNSEEN = frozenset({"blind33"})
REPORTS: dict[str, Report] = {}


def blind_report(answerer: Answerer, path: Path) -> Report:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    report = Report()
    talk = Conversations()
    for number, item in enumerate(items, 1):
        reply = talk.ask(answerer, item.get("conversation") or f"alone-{number}", item["q"])
        need = set(item["facts"])
        ok = need | set(item.get("accept") or [])
        got = set(reply.fact_ids) if reply.answered else set()
        if need:
            enough = need <= got if len(need) > 1 else bool(got)
            good = reply.answered and enough and got <= ok
        else:
            good = not reply.answered
        bad = reply.answered and not got <= ok
        group = report.answerable if need else report.must_decline
        for tally in (report.categories[item["category"]], group):
            tally.total += 1
            tally.correct += good
            tally.wrong += bad
            tally.suggested += reply.kind == "suggest"
            tally.declined += reply.kind == "decline"
        if not good:
            shown = sorted(got) if reply.answered else f"{reply.kind}{[s.fact_id for s in reply.suggestions] or ''}"
            report.misses.append(f"#{number} [{item['category']}] {item['q'][:100]!r}: expected {sorted(need) or 'no answer'}, got {shown}")
    return report


@pytest.mark.parametrize("name", SETS)
def test_blind_set_is_labelled_with_known_facts(answerer: Answerer, name: str) -> None:
    ids = {f.id for f in answerer.kb.facts}
    items = yaml.safe_load(SETS[name].read_text(encoding="utf-8"))
    assert len(items) >= 150
    for item in items:
        assert set(item["facts"]) | set(item.get("accept") or []) <= ids, item


@pytest.mark.parametrize("name", SETS)
def test_blind_set_figures(answerer: Answerer, name: str) -> None:
    report = blind_report(answerer, SETS[name])
    REPORTS[name] = report
    assert report.answerable.total + report.must_decline.total == len(yaml.safe_load(SETS[name].read_text(encoding="utf-8")))


def test_unseen_sets_are_blind_sets() -> None:
    assert UNSEEN <= set(SETS)
