"""Files a test makes unwritable for a while, really: root ignores permission bits, so as root
the file gets the immutable attribute instead (the test is skipped without a working chattr)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def read_only(path: Path, *, folder_too: bool = False) -> Iterator[None]:
    """`path` cannot be written inside the block. `folder_too`: nor can a file be created beside
    it (SQLite's journal), which the immutable attribute gives as root anyway."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("running as root without a working chattr: cannot make a file read-only")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        return
    mode, folder_mode = path.stat().st_mode, path.parent.stat().st_mode
    path.chmod(0o444)
    if folder_too:
        path.parent.chmod(0o555)
    try:
        yield
    finally:
        path.parent.chmod(folder_mode)
        path.chmod(mode)
