"""Hostile knowledge files: each is refused with one clear problem naming the file, within a
bounded time and memory (tests/hostile/bounds.py), and the valid files beside it still load.

Each case puts one hostile file into a copy of the small valid knowledge folder. Memory is
the peak of what Python allocated during the load (tracemalloc).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from bot.config import load_config
from bot.knowledge import Limits, load_knowledge
from bot.service import KnowledgeService

from .bounds import YAML_AT_SIZE_LIMIT_SECONDS, YAML_REJECT_BYTES, YAML_REJECT_SECONDS
from .conftest import peak_memory, record_peak, timed

T = TypeVar("T")
MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"


def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"  # 9^10 "lol"s if expanded


def _many_keys(n: int = 10_000) -> str:
    return "topic:\n  id: wide\n  title: wide\nfacts:\n  - id: wide\n" + "".join(f"    key{i}: {i}\n" for i in range(n))


def _deep_block(depth: int = 60) -> str:
    return "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "leaf\n"


# name -> (file content, what the one problem must say)
CASES: dict[str, tuple[bytes, str]] = {
    "alias-bomb": (_alias_bomb().encode(), "uses a YAML alias"),
    "merge-key": (b"base: &base {id: x}\nfacts:\n  - <<: *base\n", "uses a YAML alias (*name)"),  # the alias is refused as soon as it is read
    "deep-block-nesting": (_deep_block().encode(), "is nested more than 20 levels deep"),
    "deep-flow-nesting-100000": (b"facts: " + b"[" * 100_000 + b"]" * 100_000 + b"\n", "is nested more than 20 levels deep"),
    "deep-flow-mappings": (b"facts: " + b"{a: " * 50_000 + b"1" + b"}" * 50_000 + b"\n", "is nested more than 20 levels deep"),
    "ten-thousand-keys": (_many_keys().encode(), "facts[0]: has 10,001 keys, over the limit of 1,000"),
    "latin-1-bytes": ("topic:\n  id: café\n".encode("latin-1"), "is not valid UTF-8 (byte 0xe9"),
    "utf-16": ("topic:\n  id: x\n".encode("utf-16"), "is not valid UTF-8"),
    "utf-8-encoded-surrogate": (b"topic:\n  id: \xed\xa0\x80\n", "is not valid UTF-8 (byte 0xed"),
    "overlong-utf-8": (b"topic:\n  id: \xc0\xaf\n", "is not valid UTF-8 (byte 0xc0"),
    "python-apply": (b"topic: !!python/object/apply:os.system ['touch PWNED']\n", "uses the YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
    "python-new": (b"!!python/object/new:subprocess.Popen [['touch', 'PWNED']]\n", "uses the YAML tag 'tag:yaml.org,2002:python/object/new:subprocess.Popen'"),
    "python-name": (b"facts: !!python/name:os.system\n", "tags are not allowed"),
    "local-tag": (b"facts: !include /etc/passwd\n", "uses the YAML tag '!include'"),
    "tag-directive": (b"%TAG !x! tag:evil.example,2024:\n---\nfacts: !x!thing 1\n", "tags are not allowed"),
    "binary": (b"facts: !!binary aGVsbG8=\n", "tags are not allowed"),
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(MINI, target)
    assert load_knowledge([target]).ok  # valid before the hostile file arrives
    return target


def _load_measured(name: str, load: Callable[[], T]) -> T:
    """Load twice: once timed (tracemalloc would slow it), once for the memory it takes."""
    result = timed(f"knowledge file: {name}", YAML_REJECT_SECONDS, load)
    with peak_memory() as peak:
        load()
    record_peak(f"knowledge file: {name}", peak[0], YAML_REJECT_BYTES)
    assert peak[0] <= YAML_REJECT_BYTES, f"{name}: {peak[0]:,} bytes"
    return result


def _only_problem(result, path: Path) -> str:  # type: ignore[no-untyped-def]
    assert result.kb is None
    messages = [str(p) for p in result.problems]
    assert len(messages) == 1, messages
    assert messages[0].startswith(str(path))  # it names the file...
    assert "Traceback" not in messages[0] and "\n" not in messages[0]  # ...in one readable line
    return messages[0]


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_file_is_refused_with_one_clear_problem(folder: Path, name: str, monkeypatch) -> None:
    content, expected = CASES[name]
    monkeypatch.chdir(folder)  # where a constructed os.system("touch PWNED") would leave its mark
    path = folder / f"{name}.yaml"
    path.write_bytes(content)
    result = _load_measured(name, lambda: load_knowledge([folder]))
    problem = _only_problem(result, path)
    # libyaml's scanner stops unbounded flow nesting itself, before our depth count sees it
    assert expected in problem or (expected.startswith("is nested") and "exceeded maximum nesting depth" in problem)
    assert not (folder / "PWNED").exists()


def test_a_file_far_over_the_size_limit_is_refused_before_it_is_read(folder: Path) -> None:
    path = folder / "huge.yaml"
    with open(path, "wb") as handle:
        handle.truncate(2_000_000_000)  # 2 GB, sparse: nothing needs to be written to disk
    result = _load_measured("2 GB file", lambda: load_knowledge([folder]))
    assert "is 2,000,000,000 bytes, over the limit of 1,000,000 bytes" in _only_problem(result, path)


def test_the_limits_come_from_the_config(folder: Path, tmp_path: Path) -> None:
    config_path = tmp_path / "config.yaml"
    config_path.write_text(f"knowledge:\n  path: {folder}\n  max_file_bytes: 2000\n  max_depth: 3\n  max_mapping_keys: 5\n", encoding="utf-8")
    config = load_config(config_path)
    assert config.knowledge.limits == Limits(max_file_bytes=2000, max_depth=3, max_nodes=200_000, max_mapping_keys=5)
    service = KnowledgeService(config.knowledge.path, config.knowledge.limits)
    outcome = service.reload()  # the shipped mini files are bigger, deeper and wider than that
    assert not outcome.ok and not service.loaded
    said = " ".join(str(p) for p in outcome.problems)
    assert "over the limit of 2,000 bytes" in said or "levels deep" in said or "over the limit of 5" in said


def test_the_safe_defaults(tmp_path: Path) -> None:
    config_path = tmp_path / "config.yaml"
    config_path.write_text("chat:\n  max_question_chars: 500\n", encoding="utf-8")
    limits = load_config(config_path).knowledge.limits
    assert limits.max_file_bytes <= 1_000_000 and limits.max_depth <= 20 and limits.max_mapping_keys <= 1_000 and limits.max_nodes <= 200_000


def test_a_link_to_a_file_outside_the_folder_is_refused(folder: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("topic:\n  id: secret\n  title: not for the bot\nfacts: []\n", encoding="utf-8")
    for name, target in (("outside.yaml", secret), ("passwd.yaml", Path("/etc/passwd")), ("relative.yaml", Path("..") / "secret.yaml")):
        link = folder / name
        link.symlink_to(target)
        result = _load_measured(f"link outside ({name})", lambda: load_knowledge([folder]))
        assert "is a link to a file outside the knowledge folder; refusing to read it" in _only_problem(result, link)
        link.unlink()


def test_a_linked_folder_outside_is_not_followed_and_a_link_loop_ends(folder: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "facts.yaml").write_text("topic: {id: elsewhere, title: elsewhere}\nfacts: []\n", encoding="utf-8")
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    result = _load_measured("linked folder and link loop", lambda: load_knowledge([folder]))
    assert result.ok  # type: ignore[attr-defined]
    assert all(t.id != "elsewhere" for t in result.kb.topics)  # type: ignore[attr-defined]


def test_a_link_inside_the_folder_is_read(folder: Path) -> None:
    # the rule is about where a file really is, not about links as such
    (folder / "facts.yaml").rename(folder / "facts.real")
    (folder / "facts.yaml").symlink_to(folder / "facts.real")
    assert load_knowledge([folder]).ok


def test_a_file_of_tiny_values_is_refused_before_it_is_all_composed(folder: Path) -> None:
    # 100 KB of "1," is 50,000 values, over a configured max_nodes of 5,000: refusing it
    # should cost about as much as reading 5,000 values, not as much as building all of them
    path = folder / "tiny-values.yaml"
    path.write_text("facts: [" + "1," * 50_000 + "1]\n", encoding="utf-8")
    limits = Limits(max_nodes=5_000)
    result = timed("knowledge file: 100 KB of tiny values, max_nodes 5,000", YAML_REJECT_SECONDS, lambda: load_knowledge([folder], limits))
    assert "has more than 5,000 values" in _only_problem(result, path)
    with peak_memory() as peak:
        load_knowledge([folder], limits)
    record_peak("knowledge file: 100 KB of tiny values, max_nodes 5,000", peak[0], YAML_REJECT_BYTES)
    assert peak[0] <= 20 * path.stat().st_size, f"{peak[0]:,} bytes of memory for a {path.stat().st_size:,}-byte file"


def test_a_file_at_the_size_limit_of_tiny_values_is_refused_in_bounded_time(folder: Path) -> None:
    path = folder / "limit.yaml"
    path.write_text("facts: [" + "1," * 499_990 + "1]\n", encoding="utf-8")  # just under 1,000,000 bytes
    # the costliest file the default limits let through to the parser: 500,000 values to scan
    # (the reader builds values as their events arrive and stops at the 200,001st, so memory is
    # bounded by the node limit, not the file: about 23 MB here)
    result = timed("knowledge file: 1 MB of tiny values (default limits)", YAML_AT_SIZE_LIMIT_SECONDS, lambda: load_knowledge([folder]))
    assert "has more than 200,000 values" in _only_problem(result, path)


def test_a_named_pipe_does_not_block_the_loader(folder: Path) -> None:
    pipe = folder / "pipe.yaml"
    os.mkfifo(pipe)
    outcome: list[object] = []
    loader = threading.Thread(target=lambda: outcome.append(load_knowledge([folder])), daemon=True)
    loader.start()
    loader.join(1.0)
    blocked = loader.is_alive()
    for _ in range(50):  # let the reader through (it opens the pipe twice) so the thread ends
        if not loader.is_alive():
            break
        with contextlib.suppress(OSError):  # ENXIO: nobody is opening it for reading right now
            os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        loader.join(0.1)
    assert not blocked, "load_knowledge was still reading a named pipe after 1 s"
    assert "is not a regular file" in _only_problem(outcome[0], pipe)
