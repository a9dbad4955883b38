"""python -m bot: the command line. Thin: parse arguments, call the core, print."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.knowledge import KnowledgeBase, default_knowledge_path, load_knowledge
from bot.knowledge.model import LANGS

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _say(text: str, stream: Any = None) -> None:
    stream = stream or sys.stdout
    try:
        stream.write(text + "\n")
    except UnicodeEncodeError:
        stream.write(text.encode(stream.encoding or "utf-8", "replace").decode(stream.encoding or "utf-8") + "\n")
    stream.flush()


def _load(path: Path | None) -> KnowledgeBase | None:
    """The knowledge base, or None after printing the validator's messages to stderr."""
    result = load_knowledge([path or default_knowledge_path()])
    if result.kb is None:
        for problem in result.problems:
            _say(str(problem), sys.stderr)
        _say(f"{len(result.problems)} problem(s) in the knowledge files; not answering.", sys.stderr)
    return result.kb


def _reply_json(reply: Any) -> str:
    from bot.answer.reply import render_text

    return json.dumps(
        {
            "answered": reply.answered,
            "kind": reply.kind,
            "text": render_text(reply),
            "fact_id": reply.fact_id,
            "score": round(reply.score, 4),
            "suggestions": [s.fact_id for s in reply.suggestions],
            "lang": reply.lang,
            "question": reply.question,
        },
        ensure_ascii=False,
    )


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.answer.reply import Answerer, render_text

    kb = _load(args.knowledge)
    if kb is None:
        return EXIT_PROBLEMS
    answerer = Answerer(kb)

    def one(question: str) -> None:
        reply = answerer.ask(question)
        _say(_reply_json(reply) if args.json else render_text(reply))

    if args.question:
        one(" ".join(args.question))
        return EXIT_OK
    first = True
    for line in sys.stdin:
        if not args.json and not first:
            _say("")
        first = False
        one(line.rstrip("\r\n"))
    return EXIT_OK


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.answer.reply import Answerer, render_text

    kb = _load(args.knowledge)
    if kb is None:
        return EXIT_PROBLEMS
    answerer = Answerer(kb)
    interactive = sys.stdin.isatty()
    if interactive:
        _say(f"Ask about My Number health insurance cards ({len(kb.facts)} facts). Empty line or Ctrl-D to quit.")
    while True:
        try:
            line = input("> " if interactive else "")
        except EOFError:
            break
        except KeyboardInterrupt:
            _say("")
            break
        if not line.strip() and interactive:
            break
        _say(render_text(answerer.ask(line)))
        _say("")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths] or [default_knowledge_path()]
    result = load_knowledge(paths)
    for problem in result.problems:
        _say(str(problem))
    if result.kb is None:
        _say(f"{len(result.problems)} problem(s) found.")
        return EXIT_PROBLEMS
    kb = result.kb
    questions = sum(len(f.all_questions()) for f in kb.facts)
    _say(f"OK: {len(kb.facts)} facts, {questions} question phrasings, {len(kb.sources)} sources, {len(kb.topics)} topics (version {kb.version}).")
    return EXIT_OK


def cmd_topics(args: argparse.Namespace) -> int:
    kb = _load(args.knowledge)
    if kb is None:
        return EXIT_PROBLEMS
    lang = args.lang
    for topic in kb.topics:
        _say(topic.title.get(lang))
        for fact in kb.facts:
            if fact.topic == topic.id:
                _say(f"  {fact.id}: {fact.questions.get(lang, fact.questions['en'])[0]}")
    return EXIT_OK


def cmd_sources(args: argparse.Namespace) -> int:
    kb = _load(args.knowledge)
    if kb is None:
        return EXIT_PROBLEMS
    for src in kb.sources.values():
        date = f" ({src.date})" if src.date else ""
        _say(f"{src.id}: {src.publisher.get(args.lang)}{date}\n  {src.title.get(args.lang)}\n  {src.url}")
    return EXIT_OK


def cmd_fact(args: argparse.Namespace) -> int:
    from bot.answer.reply import Answerer, render_text

    kb = _load(args.knowledge)
    if kb is None:
        return EXIT_PROBLEMS
    fact = kb.fact(args.fact_id)
    if fact is None:
        _say(f"No fact with id {args.fact_id!r}. Run `python -m bot topics` for the ids.", sys.stderr)
        return EXIT_PROBLEMS
    _say(render_text(Answerer(kb).fact_reply(fact, args.lang, all_figures=True)))
    return EXIT_OK


# Feature modules that add their own subcommands: each defines `add_commands(sub)`, where
# `sub` is the argparse subparsers object, and sets `func` on its parsers. Keeping them in
# their own modules keeps this file a thin list and Discord imports out of the core commands.
FEATURE_COMMANDS = (
    "bot.cli_discord",  # run, sync
    "bot.cli_moderation",  # misses, stats, audit, check-questions
    "bot.charts.cli",  # chart
    "bot.bench",  # bench
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Answers questions about Japan's My Number health insurance cards, with sourced figures.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def knowledge_opt(p: argparse.ArgumentParser) -> None:
        p.add_argument("--knowledge", type=Path, default=None, metavar="DIR", help="knowledge folder (default: the project's knowledge/)")

    p = sub.add_parser("ask", help="answer a question (or one per line from standard input)")
    p.add_argument("question", nargs="*", help="the question; omit to read questions from standard input")
    p.add_argument("--json", action="store_true", help="one JSON object per reply")
    knowledge_opt(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="an interactive console")
    knowledge_opt(p)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("validate", help="check knowledge files; exit 1 if there is a problem")
    p.add_argument("paths", nargs="*", help="files or folders (default: the project's knowledge/)")
    p.set_defaults(func=cmd_validate)

    for name, func, text in (("topics", cmd_topics, "list what the bot knows, by topic"), ("sources", cmd_sources, "list every source")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--lang", choices=LANGS, default="en")
        knowledge_opt(p)
        p.set_defaults(func=func)

    p = sub.add_parser("fact", help="show one fact with all its figures")
    p.add_argument("fact_id")
    p.add_argument("--lang", choices=LANGS, default="en")
    knowledge_opt(p)
    p.set_defaults(func=cmd_fact)
    import importlib

    for module_name in FEATURE_COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # that feature is not part of this checkout
            raise
        module.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
