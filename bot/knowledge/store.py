"""The one knowledge file the bot writes: question phrasings moderators add to facts.

People edit the topic files by hand, with their comments and layout; the bot never rewrites
them. Phrasings added from Discord (or any other front end) go to `added_questions.yaml` in
the knowledge folder, which the loader merges into the facts:

    additions:
      - fact: usage-rate
        question: "how often is the card used at the counter"
        lang: en

Every addition is checked before anything is written: the text itself (length, mentions,
line breaks), then the whole knowledge folder is validated with the new file in place, so a
phrasing that collides with another fact is refused with the validator's own reason. The
file is written to a temporary file in the same folder, flushed to disk and moved over the
old one with `os.replace`, under a lock, so a reader sees the old file or the new one.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.loader import ADDITIONS_FILE, MAX_QUESTION_CHARS, LoadCache, knowledge_files, load_knowledge
from bot.knowledge.model import LANGS
from bot.knowledge.yamlsafe import Limits, Problem, Scalar, YamlError, read_yaml
from bot.text.normalise import clean, detect_lang, normalise

HEADER = """\
# Question phrasings added by moderators (for example with /kb add-question).
# The bot rewrites this file whenever a phrasing is added: keep comments elsewhere.
# Each entry adds one phrasing to an existing fact; see knowledge/FORMAT.md.
"""

# Discord mention syntax: users, roles, channels, slash commands, and the two mass pings.
_MENTION_RE = re.compile(r"@everyone|@here|<@[!&]?\d+>|<#\d+>|</[^>\s]+:\d+>", re.IGNORECASE)
_LINE_BREAK_RE = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]")

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(folder: Path) -> threading.Lock:
    key = os.path.realpath(folder)
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


@dataclass(frozen=True)
class Addition:
    fact: str
    question: str
    lang: str


@dataclass(frozen=True)
class AddResult:
    ok: bool
    addition: Addition | None = None
    reason: str = ""  # one line: why it was refused
    problems: tuple[Problem, ...] = field(default=())  # the validator's findings, when it refused
    path: Path | None = None  # the file written

    def __bool__(self) -> bool:
        return self.ok


def yaml_quote(text: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly `text`."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0 or ch in "\u2028\u2029\ufeff":
            out.append(f"\\u{code:04x}" if code > 0xFF else f"\\x{code:02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def render_additions(additions: list[Addition]) -> str:
    """The whole bot-owned file for these additions."""
    lines = [HEADER.rstrip("\n"), "additions:" if additions else "additions: []"]
    for item in additions:
        lines.append(f"  - fact: {item.fact}")
        lines.append(f"    question: {yaml_quote(item.question)}")
        lines.append(f"    lang: {item.lang}")
    return "\n".join(lines) + "\n"


def check_phrasing(question: str) -> str | None:
    """Why a phrasing may not be added, judged on the text alone; None if it may."""
    text = question.strip()
    if not text:
        return "the question is empty"
    if len(text) > MAX_QUESTION_CHARS:
        return f"the question is {len(text)} characters; a phrasing may have at most {MAX_QUESTION_CHARS}"
    # judged on the cleaned text too, so an invisible character inside "@every\u200bone" does not hide it
    for candidate in (text, clean(text)):
        found = _MENTION_RE.search(candidate)
        if found:
            return f"the question contains a mention ({found.group(0)}); phrasings may not mention people, roles, channels or everyone"
    if _LINE_BREAK_RE.search(text):
        return "the question contains a line break; a phrasing is one line"
    if not normalise(text):
        return "the question has no words in it"
    return None


class QuestionStore:
    """Adds phrasings to the bot-owned file of one knowledge folder."""

    def __init__(self, knowledge_path: Path, limits: Limits | None = None, cache: LoadCache | None = None) -> None:
        self.folder = Path(knowledge_path)
        self.limits = limits or Limits()
        self.cache = cache  # the bot's own: the checks before a write then parse only what changed
        self.path = self.folder / ADDITIONS_FILE

    def additions(self) -> list[Addition]:
        """What the file holds now (raises YamlError if it cannot be read)."""
        return self._read()

    def add_question(self, fact_id: str, question: str, lang: str | None = None) -> AddResult:
        """Validate and write one phrasing. Never raises for bad input: the result says why."""
        question = question.strip()
        fact_id = fact_id.strip()
        reason = check_phrasing(question)
        if reason:
            return AddResult(False, reason=reason)
        if lang is not None and lang not in LANGS:
            return AddResult(False, reason=f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
        addition = Addition(fact_id, question, lang or detect_lang(question))
        if not self.folder.is_dir():
            return AddResult(False, addition, reason=f"the knowledge folder {self.folder} does not exist")
        with _lock_for(self.folder):
            return self._add_locked(addition)

    async def add_question_async(self, fact_id: str, question: str, lang: str | None = None) -> AddResult:
        """`add_question` in a worker thread: validation builds the whole knowledge base."""
        return await asyncio.to_thread(self.add_question, fact_id, question, lang)

    def _add_locked(self, addition: Addition) -> AddResult:
        try:
            existing = self._read()
        except YamlError as exc:
            return AddResult(False, addition, reason=f"{ADDITIONS_FILE} cannot be read, fix it first: {exc.problem}", problems=(exc.problem,))
        before = load_knowledge([self.folder], self.limits, cache=self.cache)
        if before.kb is None:
            first = before.problems[0] if before.problems else None
            more = f" (and {len(before.problems) - 1} more)" if len(before.problems) > 1 else ""
            return AddResult(
                False, addition, reason=f"the knowledge files already have problems; fix them first: {first}{more}", problems=tuple(before.problems)
            )
        fact = before.kb.fact(addition.fact)
        if fact is None:
            return AddResult(False, addition, reason=f"there is no fact with id {addition.fact!r}")
        wanted = normalise(addition.question)
        for _lang, phrasing in fact.all_questions():
            if normalise(phrasing) == wanted:
                return AddResult(False, addition, reason=f"fact {fact.id!r} already has the phrasing {phrasing!r}")
        handle, temp_name = tempfile.mkstemp(prefix="." + ADDITIONS_FILE + ".", suffix=".tmp", dir=self.folder)
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                out.write(render_additions(existing + [addition]))
                out.flush()
                os.fsync(out.fileno())
            problems = self._validate_with(temp)
            if problems:
                return AddResult(False, addition, reason=_refusal(problems, addition), problems=tuple(problems))
            if self.path.exists():
                os.chmod(temp, self.path.stat().st_mode & 0o777)
            else:
                os.chmod(temp, 0o644)
            os.replace(temp, self.path)
            _fsync_dir(self.folder)
        except OSError as exc:
            return AddResult(False, addition, reason=f"could not write {self.path}: {exc.strerror or exc}")
        finally:
            if temp.exists():
                temp.unlink()
        return AddResult(True, addition, path=self.path)

    def _read(self) -> list[Addition]:
        if not self.path.exists():
            return []
        doc, _ = read_yaml(self.path, str(self.path), self.limits, root=self.folder)
        entries = doc.get("additions") if isinstance(doc, dict) else None
        out = []
        for raw in entries if isinstance(entries, list) else []:
            if not isinstance(raw, dict):
                continue
            values = {k: v.value for k, v in raw.items() if isinstance(v, Scalar)}
            fact, question = str(values.get("fact", "")), str(values.get("question", ""))
            if fact and question:
                out.append(Addition(fact, question, str(values.get("lang") or detect_lang(question))))
        return out

    def _validate_with(self, candidate: Path) -> list[Problem]:
        """Problems of the whole folder with `candidate` standing in for the bot-owned file."""
        real = os.path.realpath(self.folder)
        files = [f for f in knowledge_files([self.folder]) if f.name != ADDITIONS_FILE or f.parent != self.folder]
        for f in files:  # the loader checks this only for folders; here it gets single files
            if os.path.commonpath([real, os.path.realpath(f)]) != real:
                return [Problem(str(f), 0, 0, "", "is a link to a file outside the knowledge folder; refusing to read it")]
        result = load_knowledge(files + [candidate], self.limits, cache=self.cache)
        shown = str(self.path)
        return [Problem(shown, p.line, p.column, p.path, p.message) if p.file == str(candidate) else p for p in result.problems]


def _refusal(problems: list[Problem], addition: Addition) -> str:
    # the validator names the colliding phrasing; prefer the message about the new one
    quoted = repr(addition.question)
    about = [p for p in problems if quoted in p.message] or problems
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{about[0].message}{more}"


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable; not possible on every platform, and not fatal."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
