"""Moderator commands: misses, stats and audit, read from the bot's database.

Thin: parse, call `bot.storage` / the answerer, print. The Discord /kb commands call the same
functions and format the same results.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from datetime import UTC, datetime
from typing import Any

from bot.cli.output import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, error, say, warn


def positive_days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of days, found {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("the number of days must be more than 0")
    return value


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _open(args: argparse.Namespace) -> tuple[Any, Any] | None:
    """The config and a reading Storage, or None after printing why not."""
    from bot.config import ConfigError, load_config
    from bot.storage import Storage

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        error(str(exc))
        return None
    return config, Storage.from_settings(config.storage)


def _current_answerer(config: Any) -> Any:
    """The answerer over the configured knowledge folder, or None (with a note) if it does not load."""
    from bot.answer.reply import Answerer
    from bot.knowledge import load_knowledge

    result = load_knowledge([config.knowledge.path], config.knowledge.limits)
    if result.kb is None:
        warn(
            f"note: the knowledge files at {config.knowledge.path} have {len(result.problems)} problem(s); run `python -m bot validate` (not showing today's answers)"
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


def misses(args: argparse.Namespace) -> int:
    from bot.storage import StorageError

    opened = _open(args)
    if opened is None:
        return EXIT_USAGE
    config, storage = opened
    try:
        groups = storage.miss_groups(args.days)
    except StorageError as exc:
        error(str(exc))
        return EXIT_PROBLEMS
    shown = groups[: args.limit] if args.limit else groups
    answerer = _current_answerer(config) if shown else None
    now = {g.question: _now_answer(answerer, g.question) for g in shown}
    if args.format == "csv":
        sys.stdout.write(misses_csv(shown, now))
    elif args.format == "yaml":
        sys.stdout.write(misses_yaml(shown, now, args.days))
    else:
        say(misses_table(groups, now, args.days, str(storage.path), shown=len(shown)))
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


def stats(args: argparse.Namespace) -> int:
    from bot.knowledge import load_knowledge
    from bot.storage import StorageError

    opened = _open(args)
    if opened is None:
        return EXIT_USAGE
    config, storage = opened
    loaded = load_knowledge([config.knowledge.path], config.knowledge.limits)
    fact_ids = [f.id for f in loaded.kb.facts] if loaded.kb else []
    try:
        counts = storage.stats(args.days, fact_ids)
    except StorageError as exc:
        error(str(exc))
        return EXIT_PROBLEMS
    say(stats_text(counts, args.days))
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


def audit(args: argparse.Namespace) -> int:
    from bot.storage import StorageError

    opened = _open(args)
    if opened is None:
        return EXIT_USAGE
    _config, storage = opened
    try:
        entries = storage.audit_entries(args.days, args.limit)
    except StorageError as exc:
        error(str(exc))
        return EXIT_PROBLEMS
    say(audit_text(entries))
    return EXIT_OK
