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


def read_form(path: str | Path, required: tuple[str, ...] | list[str] = (), studyid: str | None = None,
              known=None) -> RawForm:
    """Read raw/<form>.csv; see the module docstring for what is refused and what is recorded."""
    path = Path(path)
    name = path.stem.lower()
    if not path.exists():
        raise InputError("raw form file is missing", file=path)
    data = path.read_bytes()
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
    try:
        records = [r for r in csv.reader(io.StringIO(text, newline=""), strict=True) if r]
    except csv.Error as exc:
        raise InputError(f"malformed CSV ({exc})", file=path) from None
    header = [h.strip() for h in records[0]]
    seen: set[str] = set()
    for h in header:
        if not h:
            raise InputError("blank column name in header", file=path, row=0)
        if h in seen:
            raise InputError("duplicated column name in header", file=path, row=0, field=h, value=h)
        seen.add(h)
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
    return RawForm(name=name, path=path, data=df.reset_index(drop=True), n_rows=n, excluded=excluded,
                   issues=issues)
