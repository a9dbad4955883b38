"""Files checked in worker processes give what a check in the loading process gives."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest

from bot.knowledge import default_knowledge_path, loader
from bot.knowledge.yamlsafe import Limits

_CHECK_FILE = loader.check_file
_PIDS_FILE = Path(os.devnull)  # where _check_noting_the_process notes the process that ran it


def _check_noting_the_process(display: str, data: bytes, limits: Limits):  # type: ignore[no-untyped-def]
    """`loader.check_file` (worker processes find it by name, so it lives at the top)."""
    with _PIDS_FILE.open("a") as out:
        out.write(f"{os.getpid()}\n")
    return _CHECK_FILE(display, data, limits)


def _texts(result: loader.LoadResult) -> list[str]:
    return [str(p) for p in result.problems]


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods() or sys.platform == "darwin", reason="worker processes are forked")
def test_worker_processes_check_the_files_as_this_process_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if threading.active_count() > 1:
        pytest.skip("another thread runs in this test process: the loader does not fork then")
    folder = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_path(), folder)
    broken = next(p for p in sorted(folder.glob("*.yaml")) if "facts:" in p.read_text(encoding="utf-8"))
    broken.write_text(broken.read_text(encoding="utf-8").replace("unit: ", "unit: no-such-", 1), encoding="utf-8")
    alone = loader.load_knowledge([folder])
    fine = loader.load_knowledge([default_knowledge_path()])
    assert alone.kb is None and fine.kb is not None

    pids = tmp_path / "pids"
    monkeypatch.setattr(sys.modules[__name__], "_PIDS_FILE", pids)
    monkeypatch.setattr(loader, "check_file", _check_noting_the_process)
    monkeypatch.setattr(loader, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    in_workers = loader.load_knowledge([folder])
    assert _texts(in_workers) == _texts(alone)
    assert "unknown unit 'no-such-" in _texts(in_workers)[0]
    fine_in_workers = loader.load_knowledge([default_knowledge_path()])
    assert fine_in_workers.kb == fine.kb
    checked_by = {int(line) for line in pids.read_text().split()}
    assert checked_by and os.getpid() not in checked_by  # every file was checked in a worker
