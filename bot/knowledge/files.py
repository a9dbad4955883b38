"""Finding and reading knowledge files: only regular files inside the folder, within the size limit."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from bot.knowledge.yamlsafe import Limits, Problem, YamlError


def knowledge_files(paths: list[Path]) -> list[Path]:
    """The .yaml/.yml files under the given folders (hidden ones skipped), and any file given by name."""
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            continue
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*.y*ml")) if not any(part.startswith(".") for part in p.relative_to(path).parts))
        else:
            files.append(path)
    return files


def read_bytes(path: Path, display: str, limits: Limits, root: Path | None = None) -> bytes:
    """The bytes of one knowledge file, or YamlError with the one reason it cannot be read."""
    if root is not None:
        try:
            Path(os.path.realpath(path)).relative_to(os.path.realpath(root))
        except ValueError:
            raise YamlError(Problem(display, 0, 0, "", "is a link to a file outside the knowledge folder; refusing to read it")) from None
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            # a named pipe or device would block the reader (and the reload lock) indefinitely
            raise YamlError(Problem(display, 0, 0, "", "is not a regular file (a pipe, device or socket?); refusing to read it"))
        if info.st_size > limits.max_file_bytes:
            raise YamlError(Problem(display, 0, 0, "", f"is {info.st_size:,} bytes, over the limit of {limits.max_file_bytes:,} bytes"))
        with open(path, "rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except FileNotFoundError:
        raise YamlError(Problem(display, 0, 0, "", "disappeared while it was being read")) from None
    except OSError as exc:
        raise YamlError(Problem(display, 0, 0, "", f"cannot be read: {exc.strerror or exc}")) from None
    if len(data) > limits.max_file_bytes:
        raise YamlError(Problem(display, 0, 0, "", f"is over the limit of {limits.max_file_bytes:,} bytes"))
    return data


def decode(data: bytes, display: str) -> str:
    """UTF-8 text without a byte-order mark, or YamlError pointing at the first bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlError(Problem(display, line, 0, "", f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})")) from None
    return text.removeprefix("\ufeff")
