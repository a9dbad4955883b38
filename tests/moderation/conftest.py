from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
def kb_dir(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(MINI, target)
    return target


@pytest.fixture
def mini_answerer() -> Answerer:
    result = load_knowledge([MINI])
    assert result.kb is not None
    return Answerer(result.kb)


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file really read-only, even for root (who ignores permission bits)."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("running as root without chattr: cannot make a file read-only")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(mode)
