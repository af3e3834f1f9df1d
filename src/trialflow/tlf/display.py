"""From ARD to the displayed table: the one formatting path shared by the RTF, HTML and XLSX renderers.

A cell's text comes from its format template filled with the ARD statistics of its row and
group. Templates name statistics in braces; a precision is written ``{median:.1f}`` and is
applied by rounding half away from zero (never Python's banker's rounding or ``format``):

    "{median:.1f} ({min:.0f}–{max:.0f})"   -> 70.5 (51–84)
    "{n_pct}"                              -> n (pct): '0 (0)', '32 (100)', '10 (31.3)'
    "{n}/{N} ({pct:.1f})"                  -> 5/257 (1.9)

A value that is not estimable prints as ``NE``. Integers print without decimals; a
non-integer value needs an explicit precision (else the shell is wrong: SpecError).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import SpecError
from .ard import Ard
from .shell import Column, Row, Shell
from .stats import fmt_count_pct, fmt_num

TOKEN = re.compile(r"\{(\w+)(?::\.(\d+)f)?\}")
DEFAULT_FORMAT = {
    "n": "{n}",
    "count": "{n}",
    "count_pct": "{n_pct}",
    "median_range": "{median:.1f} ({min:.1f}–{max:.1f})",
    "sum": "{sum}",
    "rate_ci": "{n_pct} [{lower:.1f}–{upper:.1f}]",
    "km_median_ci": "{median:.1f} ({lower:.1f}–{upper:.1f})",
}
COUNT_STATS = ("n", "N", "n_event", "n_censor", "n_risk")


def render_template(template: str, values: dict, *, where=None) -> str:
    """Fill a format template from a statistic -> value mapping (see module doc)."""

    def one(m: re.Match) -> str:
        name, digits = m.group(1), m.group(2)
        if name == "n_pct":
            if values.get("n") is None or values.get("N") is None:
                return "NE"
            return fmt_count_pct(values["n"], values["N"])
        if name not in values:
            raise SpecError(f"format refers to unknown statistic {name!r}", field=where, value=template)
        v = values[name]
        if v is None:
            return "NE"
        if isinstance(v, str):
            return v
        if digits is not None:
            return fmt_num(v, int(digits))
        if float(v).is_integer():
            return str(int(v))
        raise SpecError(f"format needs a precision for {name!r} (e.g. {{{name}:.1f}})", field=where, value=template)

    return TOKEN.sub(one, template)


@dataclass
class Cell:
    text: str
    subjects: tuple[str, ...] | None = None  # the subjects behind a count (None: not a count)
    published: str | None = None  # printed value of the publication, when the shell gives one
    verdict: str | None = None
    note: str | None = None


@dataclass
class DisplayRow:
    key: str | None
    label: str
    indent: int
    cells: list[Cell]
    header: bool = False
    mark: str | None = None


@dataclass
class Display:
    id: str
    type: str
    title: tuple[str, ...]
    subtitle: str | None
    stub: str
    columns: list[str]  # column headers after the stub
    widths: list[float]
    rows: list[DisplayRow] = field(default_factory=list)
    footnotes: tuple[str, ...] = ()
    orientation: str = "portrait"


def column_label(col: Column, ard: Ard) -> str:
    n = ard.value("_N", col.group, "n")
    return col.label.replace("{N}", "NE" if n is None else str(n))


def _cell(shell: Shell, row: Row, col: Column, ard: Ard, key: str) -> Cell:
    values = ard.stats(key, col.group)
    template = row.format_for(col) or DEFAULT_FORMAT.get(row.stat)
    if row.stat == "count_pct" and row.unit == "records" and not row.format_for(col):
        template = "{n}/{N} ({pct:.1f})"
    text = render_template(template, values, where=f"{shell.id}.{row.key}.format")
    return Cell(text=text, subjects=_cell_subjects(template, row.stat, ard, key, col.group))


def _cell_subjects(template: str, kind: str | None, ard: Ard, key: str, group: str) -> tuple[str, ...] | None:
    """The subjects a cell links to: those of the first count it prints ({n_pct} is n), else, for
    descriptive statistics, the subjects contributing to them; none for derived numbers (CIs)."""
    names = ["n" if m.group(1) == "n_pct" else m.group(1) for m in TOKEN.finditer(template)]
    counts = [n for n in names if n in COUNT_STATS]
    stat = counts[0] if counts else ("n" if kind in ("median_range", "km_median_ci", "sum") else None)
    rec = ard.get(key, group, stat) if stat else None
    return rec.subjects if rec is not None else None


def build_display(shell: Shell, ard: Ard, verdicts: dict | None = None) -> Display:
    """The displayed table of a table or figure shell (rows) or a listing (records)."""
    verdicts = verdicts or {}
    disp = Display(id=shell.id, type=shell.type, title=shell.title, subtitle=shell.subtitle, stub=shell.stub,
                   columns=[column_label(c, ard) for c in shell.columns], widths=[c.width for c in shell.columns],
                   footnotes=shell.footnotes, orientation=shell.orientation)
    if shell.type == "listing":
        disp.rows = _listing_rows(shell, ard)
        return disp
    for row in shell.rows:
        if row.is_header:
            disp.rows.append(DisplayRow(None, row.label, row.indent, [Cell("") for _ in shell.columns], True, row.mark))
            continue
        keys = ([(k, row.indent + k.count("|") - 1, ard.label(k)) for k in ard.row_keys(row.key)]
                if row.expand else [(row.key, row.indent, row.label)])
        for key, indent, label in keys:
            cells = [_cell(shell, row, c, ard, key) for c in shell.columns]
            for c, cell in zip(shell.columns, cells):
                v = verdicts.get((key, c.key))
                if v is not None:
                    cell.published, cell.verdict, cell.note = v["published"], v["status"], v["message"]
            disp.rows.append(DisplayRow(key, label, indent, cells, False, row.mark))
    return disp


def _listing_rows(shell: Shell, ard: Ard) -> list[DisplayRow]:
    rows = []
    for row in shell.rows:
        if row.stat != "values":
            continue
        group = shell.columns[0].group
        for key in ard.row_keys(row.key):
            values = ard.stats(key, group)
            cells = []
            for col in shell.columns:
                name = col.var or col.key
                v = values.get(name)
                fmt = col.format or "{value}"
                if v is None:
                    text = ""
                elif isinstance(v, float) and not v.is_integer() and "{value:" not in fmt:
                    text = render_template(fmt.replace("{value}", "{value:.1f}"), {"value": v})
                else:
                    text = render_template(fmt, {"value": v}, where=f"{shell.id}.columns.{col.key}")
                rec = ard.get(key, group, name)
                cells.append(Cell(text, rec.subjects if rec is not None and name == "USUBJID" else None))
            rows.append(DisplayRow(key, ard.label(key), 0, cells))
    return rows
