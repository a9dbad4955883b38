"""Moderator commands for the command line: misses, stats, audit, check-questions.

Thin: parse, call `bot.storage` / the answerer, print. The Discord /kb commands call the same
functions and format the same results.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
NO_ANSWER = "-"  # in a check list: "question => -" expects no answer (a suggestion or a decline)


def _say(text: str = "", stream: Any = None) -> None:
    stream = stream or sys.stdout
    try:
        stream.write(text + "\n")
    except UnicodeEncodeError:
        encoding = stream.encoding or "utf-8"
        stream.write(text.encode(encoding, "replace").decode(encoding) + "\n")
    stream.flush()


def _error(text: str) -> None:
    _say(f"error: {text}", sys.stderr)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _open(args: argparse.Namespace) -> tuple[Any, Any] | None:
    """The config and a reading Storage, or None after printing why not."""
    from bot.config import ConfigError, load_config
    from bot.storage import Storage

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        _error(str(exc))
        return None
    return config, Storage.from_settings(config.storage)


def _current_answerer(config: Any) -> Any:
    """The answerer over the configured knowledge folder, or None (with a note) if it does not load."""
    from bot.answer.reply import Answerer
    from bot.knowledge import load_knowledge

    result = load_knowledge([config.knowledge.path], config.knowledge.limits)
    if result.kb is None:
        _say(
            f"note: the knowledge files at {config.knowledge.path} have {len(result.problems)} problem(s); run `python -m bot validate` (not showing today's answers)",
            sys.stderr,
        )
        return None
    return Answerer(result.kb)


# ---- misses -------------------------------------------------------------------------------


def _now_answer(answerer: Any, question: str) -> str:
    if answerer is None:
        return ""
    reply = answerer.ask(question)
    return f"answer {reply.fact_id}" if reply.kind == "answer" else reply.kind


def misses_table(groups: list[Any], now: dict[str, str], days: float | None, source: str, shown: int | None = None) -> str:
    span = f"last {days:g} days" if days is not None else "all kept"
    total = sum(g.count for g in groups)
    lines = [f"Unanswered questions ({span}, {source}): {total} asked, {len(groups)} distinct."]
    if shown is not None and shown < len(groups):
        lines[0] += f" The {shown} most asked:"
        groups = groups[:shown]
    if not groups:
        return lines[0]
    show_now = any(now.values())
    head = f"{'asked':>5} {'people':>6}  {'closest fact (score)':<34}"
    head += f" {'today':<28}" if show_now else ""
    lines.append(head + " question")
    for g in groups:
        closest = f"{g.closest_fact} ({g.closest_score:.2f})" if g.closest_fact else "-"
        row = f"{g.count:>5} {g.askers:>6}  {closest:<34}"
        row += f" {now.get(g.question, ''):<28}" if show_now else ""
        lines.append(row + " " + g.question)
        others = [f"{text!r} x{n}" if n > 1 else repr(text) for text, n in g.variants[1:4]]
        if others:
            more = f" and {len(g.variants) - 4} more" if len(g.variants) > 4 else ""
            lines.append(" " * 15 + "also: " + ", ".join(others) + more)
    return "\n".join(lines)


def misses_csv(groups: list[Any], now: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["count", "askers", "question", "lang", "closest_fact", "closest_score", "declined", "suggested", "last_asked", "today", "variants"])
    for g in groups:
        writer.writerow(
            [
                g.count,
                g.askers,
                g.question,
                g.lang,
                g.closest_fact or "",
                f"{g.closest_score:.4f}",
                g.declined,
                g.count - g.declined,
                datetime.fromtimestamp(g.last_asked, UTC).isoformat(timespec="seconds"),
                now.get(g.question, ""),
                " | ".join(text for text, _n in g.variants),
            ]
        )
    return out.getvalue()


PLACEHOLDER_FACT = "choose-a-fact"  # fails validation until a moderator picks the fact


def misses_yaml(groups: list[Any], now: dict[str, str], days: float | None) -> str:
    """Additions ready for knowledge/added_questions.yaml, one per group, most asked first.

    Groups that the current knowledge already answers are left out. The fact is the closest
    one, which is a guess: a moderator checks each before pasting; an entry without any close
    fact gets a placeholder id that the validator refuses until it is replaced.
    """
    from bot.knowledge.store import yaml_quote

    span = f"the last {days:g} days" if days is not None else "everything kept"
    todo = [g for g in groups if not now.get(g.question, "").startswith("answer ")]
    skipped = len(groups) - len(todo)
    lines = [
        f"# Unanswered questions from {span}, most asked first ({len(todo)} to review).",
        "# Check each fact id (it is only the closest match), delete what should stay unanswered,",
        "# then paste the entries under `additions:` in knowledge/added_questions.yaml,",
        "# or put the question texts into the fact's `questions:` list. Then: python -m bot validate",
    ]
    if skipped:
        lines.append(f"# {skipped} group(s) that the current knowledge already answers are left out.")
    lines.append("additions:" if todo else "additions: []")
    for g in todo:
        note = f"asked {g.count}x by {g.askers} {'person' if g.askers == 1 else 'people'}"
        if g.closest_fact:
            note += f"; closest {g.closest_fact} ({g.closest_score:.2f})"
        else:
            note += "; no close fact: pick one or delete this entry"
        if len(g.variants) > 1:
            note += "; also asked as " + ", ".join(repr(text) for text, _n in g.variants[1:4])
        lines.append(f"  # {' '.join(note.splitlines())}")
        lines.append(f"  - fact: {g.closest_fact or PLACEHOLDER_FACT}")
        lines.append(f"    question: {yaml_quote(g.question.strip())}")
        lines.append(f"    lang: {g.lang}")
    return "\n".join(lines) + "\n"


def cmd_misses(args: argparse.Namespace) -> int:
    from bot.storage import StorageError

    opened = _open(args)
    if opened is None:
        return EXIT_USAGE
    config, storage = opened
    try:
        groups = storage.miss_groups(args.days)
    except StorageError as exc:
        _error(str(exc))
        return EXIT_PROBLEMS
    shown = groups[: args.limit] if args.limit else groups
    answerer = _current_answerer(config) if shown else None
    now = {g.question: _now_answer(answerer, g.question) for g in shown}
    if args.format == "csv":
        sys.stdout.write(misses_csv(shown, now))
    elif args.format == "yaml":
        sys.stdout.write(misses_yaml(shown, now, args.days))
    else:
        _say(misses_table(groups, now, args.days, str(storage.path), shown=len(shown)))
    return EXIT_OK


# ---- stats --------------------------------------------------------------------------------


def stats_text(stats: Any, days: float | None) -> str:
    span = f"last {days:g} days" if days is not None else "all time"
    if not stats.questions:
        head = f"No questions recorded ({span})."
    else:
        head = (
            f"Questions ({span}): {stats.questions}; answered {stats.answered} ({stats.rate('answer'):.1%}), "
            f"did-you-mean {stats.suggested} ({stats.rate('suggest'):.1%}), declined {stats.declined} ({stats.rate('decline'):.1%})."
        )
    lines = [head]
    if stats.facts:
        width = max(28, *(len(s.fact_id) for s in stats.facts))
        lines.append(f"{'fact':<{width}} {'asked':>6} {'answered':>9} {'suggested':>10} {'up':>5} {'down':>5}")
        for s in stats.facts:
            lines.append(f"{s.fact_id:<{width}} {s.asked:>6} {s.answered:>9} {s.suggested:>10} {s.votes_up:>5} {s.votes_down:>5}")
    return "\n".join(lines)


def cmd_stats(args: argparse.Namespace) -> int:
    from bot.knowledge import load_knowledge
    from bot.storage import StorageError

    opened = _open(args)
    if opened is None:
        return EXIT_USAGE
    config, storage = opened
    loaded = load_knowledge([config.knowledge.path], config.knowledge.limits)
    fact_ids = [f.id for f in loaded.kb.facts] if loaded.kb else []
    try:
        stats = storage.stats(args.days, fact_ids)
    except StorageError as exc:
        _error(str(exc))
        return EXIT_PROBLEMS
    _say(stats_text(stats, args.days))
    return EXIT_OK


# ---- audit --------------------------------------------------------------------------------


def audit_text(entries: list[Any]) -> str:
    if not entries:
        return "The audit log is empty."
    width = max(12, *(len(e.actor) for e in entries))
    lines = []
    for e in entries:
        details = " ".join(e.details.split())
        lines.append(f"{_when(e.at)}  {e.actor:<{width}}  {e.action:<20}  {details}".rstrip())
    return "\n".join(lines)


def cmd_audit(args: argparse.Namespace) -> int:
    from bot.storage import StorageError

    opened = _open(args)
    if opened is None:
        return EXIT_USAGE
    _config, storage = opened
    try:
        entries = storage.audit_entries(args.days, args.limit)
    except StorageError as exc:
        _error(str(exc))
        return EXIT_PROBLEMS
    _say(audit_text(entries))
    return EXIT_OK


# ---- check-questions ----------------------------------------------------------------------


@dataclass(frozen=True)
class CheckItem:
    line: int
    question: str
    expect: str | None = None  # a fact id, NO_ANSWER, or None for "just show me"
    accept: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckOutcome:
    item: CheckItem
    kind: str
    fact_id: str | None
    score: float
    candidates: tuple[tuple[str, float], ...]
    suggestions: tuple[str, ...]

    @property
    def passed(self) -> bool | None:
        """None when nothing was expected."""
        expect = self.item.expect
        if expect is None:
            return None
        if expect == NO_ANSWER:
            return self.kind != "answer"
        return self.kind == "answer" and self.fact_id in (expect, *self.item.accept)


class CheckFileError(Exception):
    pass


def _split_expectation(text: str) -> tuple[str, str | None]:
    if "=>" in text:
        question, _, expect = text.rpartition("=>")
        return question.strip(), expect.strip() or None
    return text.strip(), None


def parse_check_file(path: Path) -> list[CheckItem]:
    """A moderator's question list: one per line (`question => fact-id`, `# comments`), or a YAML list.

    YAML items are strings in the same form, or mappings {q or question, expect, accept} as in
    tests/quality/questions.yaml, where `expect: null` means the bot must not answer.
    """
    import yaml

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CheckFileError(f"{path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckFileError(f"{path} cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    if path.suffix.lower() not in (".yaml", ".yml"):
        items = []
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if line and not line.startswith("#"):
                question, expect = _split_expectation(line)
                if question:
                    items.append(CheckItem(number, question, expect))
        return items
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise CheckFileError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise CheckFileError(f"{path}: expected a list of questions")
    items = []
    for child in node.value:
        number = child.start_mark.line + 1
        value = _construct(child)
        if isinstance(value, str):
            question, expect = _split_expectation(value)
            items.append(CheckItem(number, question, expect))
        elif isinstance(value, dict) and isinstance(value.get("q", value.get("question")), str):
            question = str(value.get("q", value.get("question"))).strip()
            if "expect" in value:
                expect = NO_ANSWER if value["expect"] is None else str(value["expect"])
            else:
                expect = None
            accept = tuple(str(a) for a in value.get("accept") or ())
            items.append(CheckItem(number, question, expect, accept))
        else:
            raise CheckFileError(f"{path}:{number}: expected a question (text, or a mapping with 'q')")
    return items


def _construct(node: Any) -> Any:
    import yaml

    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def run_checks(answerer: Any, items: list[CheckItem], strict: bool = False) -> list[CheckOutcome]:
    outcomes = []
    for item in items:
        reply = answerer.ask(item.question, strict=strict)
        ranked = tuple((c.fact_id, c.score) for c in answerer.search(item.question).candidates[:3])
        outcomes.append(CheckOutcome(item, reply.kind, reply.fact_id, reply.score, ranked, tuple(s.fact_id for s in reply.suggestions)))
    return outcomes


def checks_text(outcomes: list[CheckOutcome]) -> str:
    lines = []
    for o in outcomes:
        mark = {True: "ok", False: "FAIL", None: ""}[o.passed]
        fact = o.fact_id if o.kind == "answer" else ", ".join(o.suggestions) if o.kind == "suggest" else "-"
        lines.append(f"{o.item.line:>4} {mark:<4} {o.kind:<7} {fact:<30} {o.score:5.2f}  {o.item.question}")
        details = []
        if o.passed is False:
            wanted = "no answer" if o.item.expect == NO_ANSWER else f"an answer from {o.item.expect}"
            details.append(f"expected {wanted}")
        if o.candidates:
            details.append("candidates: " + ", ".join(f"{fid} {score:.2f}" for fid, score in o.candidates))
        if details:
            lines.append(" " * 10 + "; ".join(details))
    answered = sum(o.kind == "answer" for o in outcomes)
    suggested = sum(o.kind == "suggest" for o in outcomes)
    checked = [o for o in outcomes if o.passed is not None]
    failed = sum(o.passed is False for o in checked)
    summary = f"{len(outcomes)} question(s): {answered} answered, {suggested} did-you-mean, {len(outcomes) - answered - suggested} declined"
    if checked:
        summary += f"; {len(checked)} with an expected fact: {len(checked) - failed} as expected, {failed} not"
    lines.append(summary + ".")
    return "\n".join(lines)


def cmd_check_questions(args: argparse.Namespace) -> int:
    from bot.answer.reply import Answerer
    from bot.knowledge import default_knowledge_path, load_knowledge

    try:
        items = parse_check_file(Path(args.file))
    except CheckFileError as exc:
        _error(str(exc))
        return EXIT_USAGE
    folder = args.knowledge or default_knowledge_path()
    result = load_knowledge([folder])
    if result.kb is None:
        for problem in result.problems:
            _say(str(problem), sys.stderr)
        _error(f"{len(result.problems)} problem(s) in the knowledge files at {folder}; fix them first (python -m bot validate)")
        return EXIT_PROBLEMS
    answerer = Answerer(result.kb)
    unknown = sorted({i.expect for i in items if i.expect not in (None, NO_ANSWER) and result.kb.fact(i.expect) is None})
    outcomes = run_checks(answerer, items, strict=args.strict)
    _say(checks_text(outcomes))
    if unknown:
        _error(f"expected fact id(s) not in the knowledge base: {', '.join(unknown)}")
    return EXIT_PROBLEMS if unknown or any(o.passed is False for o in outcomes) else EXIT_OK


# ---- registration -------------------------------------------------------------------------


def _positive_days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of days, found {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("the number of days must be more than 0")
    return value


def add_commands(sub: Any) -> None:
    def config_opt(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", type=Path, required=True, metavar="FILE", help="the bot's config file (its storage.path is read)")

    p = sub.add_parser("misses", help="list questions the bot did not answer, near-duplicates grouped")
    config_opt(p)
    p.add_argument("--days", type=_positive_days, default=7.0, metavar="N", help="look back N days (default 7)")
    p.add_argument("--format", choices=("table", "csv", "yaml"), default="table", help="yaml: additions ready to paste into knowledge/added_questions.yaml")
    p.add_argument("--limit", type=int, default=0, metavar="N", help="show only the N most asked")
    p.set_defaults(func=cmd_misses)

    p = sub.add_parser("stats", help="per fact: asked, answered, suggested, votes; overall answer rates")
    config_opt(p)
    p.add_argument("--days", type=_positive_days, default=None, metavar="N", help="only the last N days (default: everything kept)")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("audit", help="print the moderators' audit log, newest first")
    config_opt(p)
    p.add_argument("--days", type=_positive_days, default=None, metavar="N", help="only the last N days")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N entries (default 50)")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("check-questions", help="show which fact each question in FILE gets; exit 1 if one marked '=> fact-id' gets another")
    p.add_argument("file", metavar="FILE", help="one question per line ('question => fact-id' to expect a fact, '=> -' to expect no answer), or a YAML list")
    p.add_argument("--knowledge", type=Path, default=None, metavar="DIR", help="knowledge folder (default: the project's knowledge/)")
    p.add_argument("--strict", action="store_true", help="use the stricter thresholds of unprompted chat answers")
    p.set_defaults(func=cmd_check_questions)
