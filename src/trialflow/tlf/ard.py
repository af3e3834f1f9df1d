"""Analysis results data (ARD): every number of a TLF, unrounded, with the subjects behind it.

One record per (output, row, column, statistic), like CDISC ARS / pharmaverse cards:

    {"output": "t1", "row": "AGE_LT65", "label": "<65 years, n (%)", "column": "ALL",
     "stat": "n", "value": 8, "denominator": 32, "subjects": ["TCD14079-840001-001", ...]}

``value`` is the unrounded statistic (int for counts, float otherwise, text for listing
cells, null when not estimable); ``denominator`` is the count a percentage is taken over (null
when none); ``subjects`` are the sorted USUBJIDs behind a count (the numerator for ``n``,
``n_event``, ``n_censor``, ``n_risk``; the denominator set for ``N``; the contributing
subjects for descriptive statistics; empty for derived values such as ``pct``).

The JSON file is deterministic: sorted keys, one-space indent, UTF-8, and floats written as
the shortest repr of the value taken to 15 significant digits (so a last-bit difference of a
platform's libm cannot change the file).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import pandas as pd

Value = int | float | str | None


class ArdRow(NamedTuple):  # a tuple: cheap to build by the hundred thousand (large listings)
    output: str
    row: str
    label: str
    column: str
    stat: str
    value: Value
    denominator: int | None = None
    subjects: tuple[str, ...] = ()


def clean_value(v) -> Value:
    """A JSON-safe scalar: numpy -> Python, NaN/NaT -> None, dates -> ISO text, floats to 15 sig. digits."""
    if v is None:
        return None
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        return None if pd.isna(v) else pd.Timestamp(v).date().isoformat()
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f) or math.isinf(f):
            return None
        return float(f"{f:.15g}") + 0.0
    if isinstance(v, str):
        return v
    if pd.isna(v):
        return None
    return str(v)


class Ard:
    """The ARD of one output: ordered records plus lookups by (row, column, stat)."""

    def __init__(self, output: str, rows: Iterable[ArdRow], meta: dict | None = None):
        self.output = output
        self.rows = list(rows)
        self.meta = dict(meta or {})
        self._index = {(r.row, r.column, r.stat): r for r in self.rows}
        # lookups by (row, column) and by row, built once: a listing or a swimmer plot asks for
        # every one of its records, so a scan of all records per question would be quadratic
        self._cells: dict[tuple[str, str], dict[str, Value]] = {}
        self._labels: dict[str, str] = {}
        for r in self.rows:
            self._cells.setdefault((r.row, r.column), {})[r.stat] = r.value
            self._labels.setdefault(r.row, r.label)

    def get(self, row: str, column: str, stat: str) -> ArdRow | None:
        return self._index.get((row, column, stat))

    def value(self, row: str, column: str, stat: str) -> Value:
        rec = self.get(row, column, stat)
        return None if rec is None else rec.value

    def stats(self, row: str, column: str) -> dict[str, Value]:
        return dict(self._cells.get((row, column), {}))

    def row_keys(self, prefix: str | None = None) -> list[str]:
        """Distinct row keys in ARD order (optionally those under ``prefix|``)."""
        if prefix is None:
            return list(self._labels)
        start = prefix + "|"
        return [k for k in self._labels if k.startswith(start)]

    def label(self, row: str) -> str:
        return self._labels.get(row, "")

    def to_json(self) -> bytes:
        """Deterministic JSON: sorted keys, one ARD record per line (diff-friendly), UTF-8."""
        doc = {**self.meta, "output": self.output, "n_records": len(self.rows)}

        dump = json.JSONEncoder(sort_keys=True, ensure_ascii=False, allow_nan=False).encode
        rows = ",\n".join(f"  {dump({**r._asdict(), 'subjects': list(r.subjects)})}" for r in self.rows)
        parts = [f" {dump(k)}: {dump(doc[k])}" for k in sorted(doc)]
        parts.append(f' "rows": [\n{rows}\n ]' if self.rows else ' "rows": []')
        parts.sort(key=lambda p: p.split(":", 1)[0])
        return ("{\n" + ",\n".join(parts) + "\n}\n").encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | str) -> Ard:
        doc = json.loads(data)
        rows = [ArdRow(r["output"], r["row"], r["label"], r["column"], r["stat"], r["value"], r["denominator"],
                       tuple(r["subjects"])) for r in doc.pop("rows")]
        doc.pop("n_records", None)
        return cls(doc.pop("output"), rows, doc)

    def to_frame(self) -> pd.DataFrame:
        """Long table (one line per record; subjects space-separated) for CSV/XLSX."""
        cols = ["output", "row", "label", "column", "stat", "value", "denominator", "subjects"]
        data = {c: pd.Series([getattr(r, c) for r in self.rows], dtype=object) for c in cols[:-1]}
        data["subjects"] = pd.Series([" ".join(r.subjects) for r in self.rows], dtype=object)
        return pd.DataFrame(data, columns=cols)  # object columns: 4 stays 4, never 4.0
