"""Atomic, deterministic file writing shared by every step (temporary file + rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import pandas as pd


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; on success it replaces ``path`` (os.replace), on any
    failure it is removed: a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; outputs are shared files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | Path, data: bytes) -> Path:
    """Write bytes to path atomically (see atomic_path)."""
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, text.encode("utf-8"))


def write_csv(path: str | Path, df: pd.DataFrame) -> Path:
    """CSV with '\\n' line endings, no index, UTF-8: identical frames give identical bytes."""
    return write_text(path, df.to_csv(index=False, lineterminator="\n"))
