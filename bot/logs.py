"""Log output for operators: readable text (the default) or `--log-format json`.

JSON: one object per line with `time` (UTC, ISO 8601), `level`, `logger` and `event` (the
message, or a short name such as "reply"); every answered question adds one "reply" line
with the decision (answer / suggest / decline), fact id, score and latency. Reply lines never
carry the question, a user name or a user id. Every line, in either format, has the token
replaced by "[redacted]" should any library ever put it in a message.

No discord here: the front ends pass plain values.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.answer.reply import Reply

LOG_FORMATS = ("text", "json")
REPLIES_LOGGER = "bot.replies"  # one record per reply sent; shown in text logs only with --verbose
REDACTED = "[redacted]"

_replies = logging.getLogger(REPLIES_LOGGER)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (newlines inside values are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": getattr(record, "event", None) or record.getMessage(),
        }
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["error"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


class _RedactingFormatter(logging.Formatter):
    """Another formatter's output with each secret replaced (tracebacks included)."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self.inner = inner
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        text = self.inner.format(record)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


def _text_formatter() -> logging.Formatter:
    return logging.Formatter("{asctime} {levelname:<8} {name}: {message}", "%Y-%m-%d %H:%M:%S", style="{")


def _not_a_reply(record: logging.LogRecord) -> bool:
    return record.name != REPLIES_LOGGER


@contextlib.contextmanager
def log_to_stderr(level: int, log_format: str = "text", *, secrets: Iterable[str] = ()) -> Iterator[None]:
    """Log records to stderr while the bot runs; removed afterwards, so `main` can be called
    again (tests do) without stacking handlers on a stream that has gone away."""
    handler = logging.StreamHandler(sys.stderr)
    inner = JsonFormatter() if log_format == "json" else _text_formatter()
    handler.setFormatter(_RedactingFormatter(inner, secrets))
    if log_format != "json" and level > logging.DEBUG:
        handler.addFilter(_not_a_reply)  # a line per answer is noise in a text log read by a person
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def log_reply(reply: Reply, started: float, via: str) -> None:
    """Log one reply that was sent: `started` is the time.perf_counter() when the question
    arrived, `via` how it was asked (mention, channel, slash, button)."""
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    fields: dict[str, Any] = {
        "decision": reply.kind,
        "fact_id": reply.fact_id,
        "score": round(reply.score, 4),
        "latency_ms": latency_ms,
        "via": via,
        "lang": reply.lang,
    }
    if reply.reason:
        fields["reason"] = reply.reason
    _replies.info(
        "reply %s (fact %s, score %.3f) via %s in %.1f ms",
        reply.kind,
        reply.fact_id or "-",
        reply.score,
        via,
        latency_ms,
        extra={"event": "reply", "fields": fields},
    )
