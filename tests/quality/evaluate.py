"""Quality evaluation over the labelled question set (tests/quality/questions.yaml).

Run directly to see the figures and every miss:
    python -m tests.quality.evaluate [--split dev|holdout|all] [--misses]

Definitions
- answerable: a question whose label is a fact. Correct = answered with that fact (or one in
  `accept`, for the few genuinely ambiguous questions). Suggest and decline count as not correct.
- must-decline: a question labelled null. Correct = not answered (declined, or a "did you mean"
  that states no figure); suggestions are counted separately.
- wrong answer: a confident answer from a fact that is not the label (over all questions).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.answer.reply import Answerer
from bot.knowledge import default_knowledge_path, load_knowledge

QUESTIONS = Path(__file__).with_name("questions.yaml")


@dataclass
class Tally:
    total: int = 0
    correct: int = 0
    wrong: int = 0
    suggested: int = 0
    declined: int = 0


@dataclass
class Report:
    categories: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    answerable: Tally = field(default_factory=Tally)
    must_decline: Tally = field(default_factory=Tally)
    misses: list[str] = field(default_factory=list)

    @property
    def answer_rate(self) -> float:
        return self.answerable.correct / max(1, self.answerable.total)

    @property
    def decline_rate(self) -> float:
        return self.must_decline.correct / max(1, self.must_decline.total)

    @property
    def wrong_rate(self) -> float:
        return (self.answerable.wrong + self.must_decline.wrong) / max(1, self.answerable.total + self.must_decline.total)

    def table(self) -> str:
        lines = [f"{'category':<12} {'n':>4} {'correct':>8} {'wrong':>6} {'suggest':>8} {'decline':>8}"]
        for name in sorted(self.categories):
            t = self.categories[name]
            lines.append(f"{name:<12} {t.total:>4} {t.correct / max(1, t.total):>8.1%} {t.wrong:>6} {t.suggested:>8} {t.declined:>8}")
        lines.append(
            f"answerable: {self.answer_rate:.1%} correct ({self.answerable.correct}/{self.answerable.total}); "
            f"must-decline: {self.decline_rate:.1%} not answered ({self.must_decline.correct}/{self.must_decline.total}, {self.must_decline.suggested} of them as suggestions); "
            f"wrong answers: {self.wrong_rate:.1%}"
        )
        return "\n".join(lines)


def load_questions(split: str = "all") -> list[dict[str, Any]]:
    items = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    return [q for q in items if split == "all" or q["split"] == split]


def evaluate(answerer: Answerer, questions: list[dict[str, Any]]) -> Report:
    report = Report()
    for item in questions:
        reply = answerer.ask(item["q"])
        expect = item.get("expect")
        ok_ids = {expect, *(item.get("accept") or [])} - {None}
        cat = report.categories[item["category"]]
        group = report.answerable if expect else report.must_decline
        for t in (cat, group):
            t.total += 1
            if reply.kind == "suggest":
                t.suggested += 1
            elif reply.kind == "decline":
                t.declined += 1
        if expect:
            good = reply.answered and reply.fact_id in ok_ids
            bad = reply.answered and reply.fact_id not in ok_ids
        else:
            good = not reply.answered
            bad = reply.answered
        for t in (cat, group):
            t.correct += good
            t.wrong += bad
        if not good:
            got = reply.fact_id if reply.answered else f"{reply.kind}{[s.fact_id for s in reply.suggestions] or ''}"
            report.misses.append(f"[{item['category']}/{item['split']}] {item['q']!r}: expected {expect}, got {got} (score {reply.score:.2f})")
    return report


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="all", choices=["all", "dev", "holdout"])
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    result = load_knowledge([default_knowledge_path()])
    if result.kb is None:
        for p in result.problems:
            print(p, file=sys.stderr)
        return 1
    report = evaluate(Answerer(result.kb), load_questions(args.split))
    print(report.table())
    if args.misses:
        print("\n".join(report.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
