"""Read one raw CRF form (raw/<form>.csv, an EDC export) strictly, keeping each row's lineage.

Every value is read as text (nothing is guessed: '001' stays '001', 'NA' stays 'NA'). Each row
carries ``_FORM`` (form name) and ``_ROW`` (1-based data row of the CSV, the header not counted).

Refused with InputError naming file, row, field and value: a missing or empty file, bytes that are
not UTF-8, a malformed CSV row, a duplicated or blank column name, a missing required column,
a STUDY other than the study's, two different records with the same EDC key.
Worked around and recorded as data issues: a UTF-8 byte-order mark (removed), an exact duplicate
record (the later copy is excluded and the reconciliation says so).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .mapping import FORM, ROW

STANDARD_COLUMNS = ("STUDY", "SITE", "SUBJECT", "FOLDER", "RECORDPOSITION")
EDC_KEY = ("SUBJECT", "FOLDER", "RECORDPOSITION")
BOM = b"\xef\xbb\xbf"


@dataclass
class RawForm:
    name: str
    path: Path
    data: pd.DataFrame  # kept records: text columns + _FORM, _ROW
    n_rows: int  # data rows in the file
    excluded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=[FORM, ROW, "SUBJECT", "REASON"]))
    issues: list[dict] = field(default_factory=list)


def _bad_bytes(path: Path, data: bytes, exc: UnicodeDecodeError) -> InputError:
    line_no = data.count(b"\n", 0, exc.start) + 1  # 1 = header line
    line_start = data.rfind(b"\n", 0, exc.start) + 1
    line_end = data.find(b"\n", exc.start)
    line = data[line_start: line_end if line_end >= 0 else len(data)]
    header = next(csv.reader([data.split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff")]), [])
    col = line[: exc.start - line_start].count(b",")
    fld = header[col] if col < len(header) else None
    cell = line.split(b",")[col] if col < len(line.split(b",")) else line
    return InputError(f"not UTF-8 text ({exc.reason})", file=path, row=line_no - 1 if line_no > 1 else None,
                      field=fld, value=cell.decode("utf-8", "backslashreplace").strip())


# data rows of the forms this process read, by file content: (path, SHA-1 of the bytes) -> rows
_ROW_COUNTS: dict[tuple[str, bytes], int] = {}


def _content_key(path: Path, data: bytes) -> tuple[str, bytes]:
    return str(path.resolve()), hashlib.sha1(data).digest()


def count_rows(path: str | Path) -> int:
    """Data rows of a raw form: read_form(path).n_rows, without parsing the file again when this
    process already read the same bytes (the reconciliation counts every form the domains read)."""
    path = Path(path)
    if path.exists():
        n = _ROW_COUNTS.get(_content_key(path, path.read_bytes()))
        if n is not None:
            return n
    return read_form(path).n_rows


def _parse_simple(data: bytes, text: str) -> pd.DataFrame | None:
    """The common case parsed by pandas' C reader (several times faster than csv.reader plus a frame
    built from lists): no quote, NUL or lone CR characters, at least two columns, and every
    non-blank line with the header's number of commas. There the two readers split identically
    (csv.reader skips blank lines, so does pandas); anything else returns None for csv.reader,
    whose errors name the row."""
    if '"' in text or "\x00" in text:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        data = data.replace(b"\r\n", b"\n")
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    if not len(ends) or ends[-1] != len(raw) - 1:
        ends = np.append(ends, len(raw))
    starts = np.concatenate(([0], ends[:-1] + 1))
    commas = np.flatnonzero(raw == 44)
    per_line = np.searchsorted(commas, ends) - np.searchsorted(commas, starts)
    filled = ends > starts
    if not filled.any():
        return None
    width = per_line[filled]
    if width[0] < 1 or (width != width[0]).any():
        return None
    return pd.read_csv(io.BytesIO(data), header=None, dtype=object, na_filter=False, keep_default_na=False,
                       skip_blank_lines=True, quoting=csv.QUOTE_NONE, engine="c", encoding="utf-8",
                       low_memory=False)


def read_form(path: str | Path, required: tuple[str, ...] | list[str] = (), studyid: str | None = None,
              known=None) -> RawForm:
    """Read raw/<form>.csv; see the module docstring for what is refused and what is recorded."""
    path = Path(path)
    name = path.stem.lower()
    if not path.exists():
        raise InputError("raw form file is missing", file=path)
    data = path.read_bytes()
    key = _content_key(path, data)
    issues: list[dict] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("raw form is UTF-16 (byte-order mark); export it as UTF-8", file=path, row=None)
    if data.startswith(BOM):
        data = data[len(BOM):]
        issues.append({"FORM": name, "ROW": np.nan, "SUBJECT": "", "FIELD": "", "VALUE": "EF BB BF",
                       "RULE": "UTF-8 byte-order mark at start of file: removed"})
    if not data.strip():
        raise InputError("raw form file is empty (no header line)", file=path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad_bytes(path, data, exc) from None
    records = _parse_simple(data, text)
    if records is None:
        try:
            records = [r for r in csv.reader(io.StringIO(text, newline=""), strict=True) if r]
        except csv.Error as exc:
            raise InputError(f"malformed CSV ({exc})", file=path) from None
    first = records.iloc[0].tolist() if isinstance(records, pd.DataFrame) else records[0]
    header = [str(h).strip() for h in first]
    seen: set[str] = set()
    for h in header:
        if not h:
            raise InputError("blank column name in header", file=path, row=0)
        if h in seen:
            raise InputError("duplicated column name in header", file=path, row=0, field=h, value=h)
        seen.add(h)
    if isinstance(records, pd.DataFrame):  # parsed by pandas: every row has the header's field count
        df = records.iloc[1:].reset_index(drop=True)
        df.columns = header
    else:
        body = records[1:]
        lengths = np.fromiter(map(len, body), dtype=np.int64, count=len(body))
        bad = np.flatnonzero(lengths != len(header))
        if bad.size:
            i = int(bad[0])
            raise InputError(f"malformed CSV row: {lengths[i]} fields, the header has {len(header)}", file=path,
                             row=i + 1, value=",".join(body[i])[:80])
        df = pd.DataFrame(body, columns=header, dtype=object) if body else \
            pd.DataFrame({h: pd.Series(dtype=object) for h in header})
    missing = [c for c in dict.fromkeys([*STANDARD_COLUMNS, *required]) if c not in df.columns]
    if missing:
        raise InputError("required column missing" + (f" (also missing: {', '.join(missing[1:])})"
                                                       if len(missing) > 1 else ""), file=path, field=missing[0])
    if known is not None:
        for c in header:
            if c not in known and c not in STANDARD_COLUMNS:
                issues.append({"FORM": name, "ROW": np.nan, "SUBJECT": "", "FIELD": c, "VALUE": "",
                               "RULE": "column not read by any spec: ignored"})
    n = len(df)
    df[FORM] = name
    df[ROW] = np.arange(1, n + 1)
    if studyid is not None and n:
        bad = df["STUDY"].str.strip() != studyid
        if bad.any():
            i = bad.idxmax()
            raise InputError(f"record of another study (expected {studyid})", file=path, row=int(df.at[i, ROW]),
                             field="STUDY", value=df.at[i, "STUDY"])
    blank = df["SUBJECT"].str.strip() == ""
    if blank.any():
        i = blank.idxmax()
        raise InputError("record without SUBJECT", file=path, row=int(df.at[i, ROW]), field="SUBJECT", value="")
    # exact duplicates (all fields but RECORDPOSITION equal): keep the first, exclude later copies
    content = [c for c in header if c != "RECORDPOSITION"]
    dup = df.duplicated(subset=content, keep="first")
    excluded = pd.DataFrame(columns=[FORM, ROW, "SUBJECT", "REASON"])
    if dup.any():
        first_row = df.groupby(content, sort=False)[ROW].transform("min")
        reason = "exact duplicate of row " + first_row[dup].astype(str) + ": later copy excluded"
        excluded = pd.DataFrame({FORM: name, ROW: df.loc[dup, ROW], "SUBJECT": df.loc[dup, "SUBJECT"],
                                 "REASON": reason})
        issues.extend(pd.DataFrame({"FORM": name, "ROW": df.loc[dup, ROW], "SUBJECT": df.loc[dup, "SUBJECT"],
                                    "FIELD": "", "VALUE": "", "RULE": reason}).to_dict("records"))
        df = df.loc[~dup]
    key_dup = df.duplicated(subset=list(EDC_KEY), keep=False)
    if key_dup.any():
        rows = df.loc[key_dup]
        i = rows.index[1] if len(rows) > 1 else rows.index[0]
        raise InputError("two different records share SUBJECT/FOLDER/RECORDPOSITION", file=path,
                         row=int(df.at[i, ROW]), field="RECORDPOSITION",
                         value=f"{df.at[i, 'SUBJECT']}/{df.at[i, 'FOLDER']}/{df.at[i, 'RECORDPOSITION']}")
    _ROW_COUNTS[key] = n
    return RawForm(name=name, path=path, data=df.reset_index(drop=True), n_rows=n, excluded=excluded,
                   issues=issues)
