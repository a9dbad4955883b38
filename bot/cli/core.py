"""The core commands: ask, chat, validate, topics, sources, fact and check-questions.

Thin: parse, call the core (knowledge, answer), print. The Discord extensions call the same
functions and render the same replies.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.cli.output import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, error, say, warn
from bot.knowledge import KnowledgeBase, default_knowledge_path, load_knowledge

NO_ANSWER = "-"  # in a check list: "question => -" expects no answer (a suggestion or a decline)


def _load(path: Path | None) -> KnowledgeBase | None:
    """The knowledge base, or None after printing the validator's messages to stderr."""
    result = load_knowledge([path or default_knowledge_path()])
    if result.kb is None:
        for problem in result.problems:
            warn(str(problem))
        warn(f"{len(result.problems)} problem(s) in the knowledge files; not answering.")
    return result.kb


def _reply_json(reply: Any) -> str:
    from bot.answer.reply import render_text

    return json.dumps(
        {
            "answered": reply.answered,
            "kind": reply.kind,
            "text": render_text(reply),
            "fact_id": reply.fact_id,
            "fact_ids": list(reply.fact_ids),
            "score": round(reply.score, 4),
            "suggestions": [s.fact_id for s in reply.suggestions],
            "lang": reply.lang,
            "question": reply.question,
        },
        ensure_ascii=False,
    )


def _json_request(line: str) -> tuple[str, str | None] | str:
    """A line of `ask --json` input: (question, conversation id or None), or a one-line problem.
    A line starting with "{" is a JSON object {"question": ..., "conversation": ...}; any
    other line is a question on its own."""
    if not line.lstrip().startswith("{"):
        return line, None
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not a JSON object ({exc.msg} at column {exc.colno})"
    if not isinstance(data, dict) or not isinstance(data.get("question"), str):
        return 'expected {"question": "...", "conversation": "any id"}: "question" must be text'
    conversation = data.get("conversation")
    if conversation is not None and not isinstance(conversation, str | int):
        return '"conversation" must be text or a number'
    return data["question"], None if conversation is None else str(conversation)


def ask(args: argparse.Namespace) -> int:
    from bot.answer.conversation import Conversations
    from bot.answer.reply import Answerer, render_text
    from bot.answer.two_part import answer_alone

    kb = _load(args.knowledge)
    if kb is None:
        return EXIT_PROBLEMS
    answerer = Answerer(kb)
    conversations = Conversations()

    def one(question: str, conversation: str | None = None) -> None:
        reply = answer_alone(answerer, question) if conversation is None else conversations.ask(answerer, conversation, question)
        say(_reply_json(reply) if args.json else render_text(reply))

    if args.question:
        one(" ".join(args.question))
        return EXIT_OK
    first = True
    for number, line in enumerate(sys.stdin, 1):
        if not args.json and not first:
            say("")
        first = False
        text = line.rstrip("\r\n")
        if not args.json:
            one(text)
            continue
        request = _json_request(text)
        if isinstance(request, str):
            warn(f"line {number}: {request}")
            say(json.dumps({"error": request, "line": number}, ensure_ascii=False))
            continue
        one(*request)
    return EXIT_OK


def chat(args: argparse.Namespace) -> int:
    from bot.answer.conversation import Conversations
    from bot.answer.reply import Answerer, render_text

    kb = _load(args.knowledge)
    if kb is None:
        return EXIT_PROBLEMS
    answerer = Answerer(kb)
    conversation = Conversations()  # the whole session is one conversation: follow-ups read against the last question
    interactive = sys.stdin.isatty()
    if interactive:
        say(f"Ask about My Number health insurance cards ({len(kb.facts)} facts). Empty line or Ctrl-D to quit.")
    while True:
        try:
            line = input("> " if interactive else "")
        except EOFError:
            break
        except KeyboardInterrupt:
            say("")
            break
        if not line.strip() and interactive:
            break
        say(render_text(conversation.ask(answerer, "chat", line)))
        say("")
    return EXIT_OK


def validate(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths] or [default_knowledge_path()]
    result = load_knowledge(paths)
    for problem in result.problems:
        say(str(problem))
    if result.kb is None:
        say(f"{len(result.problems)} problem(s) found.")
        return EXIT_PROBLEMS
    kb = result.kb
    questions = sum(len(f.all_questions()) for f in kb.facts)
    say(f"OK: {len(kb.facts)} facts, {questions} question phrasings, {len(kb.sources)} sources, {len(kb.topics)} topics (version {kb.version}).")
    return EXIT_OK


def schema(args: argparse.Namespace) -> int:
    from bot.knowledge.schema import json_schema_text, write_json_schema

    if args.output is None:
        say(json_schema_text().rstrip("\n"))
    else:
        say(f"wrote {write_json_schema(args.output)}")
    return EXIT_OK


def _newest_figure_line(kb: KnowledgeBase, lang: str) -> str:
    from bot.answer.format import date_text
    from bot.answer.reply import newest_figure_date
    from bot.messages import message

    newest = newest_figure_date(kb)
    return message("newest_figure", lang, date=date_text(newest, lang) if newest else "-")


def topics(args: argparse.Namespace) -> int:
    kb = _load(args.knowledge)
    if kb is None:
        return EXIT_PROBLEMS
    lang = args.lang
    say(_newest_figure_line(kb, lang))
    for topic in kb.topics:
        say(topic.title.get(lang))
        for fact in kb.facts:
            if fact.topic == topic.id:
                say(f"  {fact.id}: {fact.questions.get(lang, fact.questions['en'])[0]}")
    return EXIT_OK


def sources(args: argparse.Namespace) -> int:
    kb = _load(args.knowledge)
    if kb is None:
        return EXIT_PROBLEMS
    say(_newest_figure_line(kb, args.lang))
    for src in kb.sources.values():
        date = f" ({src.date})" if src.date else ""
        title = f"\n  {src.title.get(args.lang)}" if src.title else ""  # no title: the publisher line is all there is
        say(f"{src.id}: {src.publisher.get(args.lang)}{date}{title}\n  {src.url}")
    return EXIT_OK


def fact(args: argparse.Namespace) -> int:
    from bot.answer.reply import Answerer, render_text

    kb = _load(args.knowledge)
    if kb is None:
        return EXIT_PROBLEMS
    found = kb.fact(args.fact_id)
    if found is None:
        warn(f"No fact with id {args.fact_id!r}. Run `python -m bot topics` for the ids.")
        return EXIT_PROBLEMS
    say(render_text(Answerer(kb).fact_reply(found, args.lang, all_figures=True)))
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


def check_questions(args: argparse.Namespace) -> int:
    from bot.answer.reply import Answerer

    try:
        items = parse_check_file(Path(args.file))
    except CheckFileError as exc:
        error(str(exc))
        return EXIT_USAGE
    folder = args.knowledge or default_knowledge_path()
    result = load_knowledge([folder])
    if result.kb is None:
        for problem in result.problems:
            warn(str(problem))
        error(f"{len(result.problems)} problem(s) in the knowledge files at {folder}; fix them first (python -m bot validate)")
        return EXIT_PROBLEMS
    answerer = Answerer(result.kb)
    unknown = sorted({i.expect for i in items if i.expect not in (None, NO_ANSWER) and result.kb.fact(i.expect) is None})
    outcomes = run_checks(answerer, items, strict=args.strict)
    say(checks_text(outcomes))
    if unknown:
        error(f"expected fact id(s) not in the knowledge base: {', '.join(unknown)}")
    return EXIT_PROBLEMS if unknown or any(o.passed is False for o in outcomes) else EXIT_OK
