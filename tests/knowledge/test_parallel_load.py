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


def _check_noting_the_process_beside(display: str, data: bytes, limits: Limits):  # type: ignore[no-untyped-def]
    """`loader.check_file`, noting the process that ran it in `pids` beside the knowledge folder
    (a process forked from the fork server does not see this module's monkeypatched names)."""
    with (Path(display).parent.parent / "pids").open("a") as out:
        out.write(f"{os.getpid()}\n")
    return _CHECK_FILE(display, data, limits)


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="checked aside in a process from the fork server")
def test_a_load_beside_other_threads_checks_large_files_in_a_worker_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reload runs in a worker thread beside the event loop: a large file is checked in a
    process of its own, and gives what a check in this process gives."""
    folder = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_path(), folder)
    alone = loader.load_knowledge([folder])
    assert alone.kb is not None

    def load_in_a_thread() -> loader.LoadResult:
        outcome: list[loader.LoadResult] = []
        worker = threading.Thread(target=lambda: outcome.append(loader.load_knowledge([folder])))
        worker.start()
        worker.join()
        return outcome[0]

    monkeypatch.setattr(loader, "check_file", _check_noting_the_process_beside)
    monkeypatch.setattr(loader, "ASIDE_MIN_BYTES", 0)
    aside = load_in_a_thread()
    assert aside.kb == alone.kb and aside.problems == alone.problems
    assert aside.kb is not None and dict(aside.kb.analysed) == dict(alone.kb.analysed)
    checked_by = {int(line) for line in (tmp_path / "pids").read_text().split()}
    assert checked_by and os.getpid() not in checked_by

    (tmp_path / "pids").unlink()
    monkeypatch.setattr(loader, "ASIDE_MIN_BYTES", 10**12)  # small files: checked in this process
    assert load_in_a_thread().kb == alone.kb
    assert {int(line) for line in (tmp_path / "pids").read_text().split()} == {os.getpid()}


def test_knowledge_values_pickle_as_themselves() -> None:
    """Files checked in worker processes send their values back pickled."""
    import pickle

    kb = loader.load_knowledge([default_knowledge_path()]).kb
    assert kb is not None
    values = [*kb.facts, *kb.topics, *kb.sources.values(), *kb.gaps, *(fig for fact in kb.facts for fig in fact.figures)]
    assert values and pickle.loads(pickle.dumps(values)) == values
