"""Atomic, deterministic file writing shared by every step (temporary file + rename)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

FIXED_ZIP_TIME = (2019, 10, 31, 0, 0, 0)
# openpyxl stamps the save time into docProps/core.xml whatever the workbook properties say
_CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


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


def workbook_bytes(wb, when: dt.datetime = dt.datetime(*FIXED_ZIP_TIME)) -> bytes:
    """Serialise an openpyxl workbook deterministically: fixed document properties and zip times."""
    wb.properties.created = wb.properties.modified = when
    wb.properties.creator = wb.properties.lastModifiedBy = "trialflow"
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        stamp = ("%04d-%02d-%02dT%02d:%02d:%02dZ" % FIXED_ZIP_TIME).encode()
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _CORE_TIMES.sub(lambda m: m.group(1) + stamp + m.group(2), body)
            dst.writestr(fixed, body)
    return out.getvalue()


def set_cell(ws, row: int, column: int, value):
    """Set a worksheet cell; text starting with = + - @ is stored as a string, never a formula
    (spreadsheet formula-injection guard)."""
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        cell.data_type = "s"
    return cell
