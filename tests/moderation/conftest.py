from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.answer.reply import Answerer
from bot.knowledge import load_knowledge
from bot.storage import Storage

MINI = Path(__file__).parent.parent / "fixtures" / "mini"


@pytest.fixture
def make_storage(tmp_path: Path) -> Iterator[Callable[..., Storage]]:
    """Storages with quick retries, closed after the test."""
    made: list[Storage] = []

    def make(path: Path | None = None, **kwargs: object) -> Storage:
        kwargs.setdefault("retry_seconds", 0.05)
        kwargs.setdefault("busy_timeout", 0.1)
        storage = Storage(path or tmp_path / "data" / "bot.sqlite3", **kwargs)  # type: ignore[arg-type]
        made.append(storage)
        return storage

    yield make
    for storage in made:
        storage.close(timeout=1.0)


@pytest.fixture
def kb_dir(mini_dir: Path) -> Path:
    """A copy of the small valid knowledge folder (tests/conftest.py's `mini_dir`)."""
    return mini_dir


@pytest.fixture
def mini_answerer() -> Answerer:
    result = load_knowledge([MINI])
    assert result.kb is not None
    return Answerer(result.kb)
