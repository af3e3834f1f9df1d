"""XLSX: one sheet per table or listing (a table's ARD beside it), through trialflow.xlsx (deterministic bytes;
text is always stored as text, never as a formula)."""

from __future__ import annotations

from ..xlsx import Rich, Style, Workbook
from .ard import Ard
from .display import Display


def _label(text: str, mark: str | None):
    return Rich(((text, False), (mark, True))) if mark else text


def add_table_sheet(wb: Workbook, disp: Display, source: str, name: str | None = None) -> None:
    ws = wb.sheet(name or disp.id)
    for i, t in enumerate(disp.title + ((disp.subtitle,) if disp.subtitle else ())):
        ws.append([(t, Style(bold=i == 0))])
    ws.append()
    listing = disp.type == "listing"
    headers = list(disp.columns) if listing else [disp.stub, *disp.columns]
    ws.append([(h, Style(bold=True, top=True, bottom=True, wrap=True,
                         align="left" if (j == 0 or listing) else "center")) for j, h in enumerate(headers)])
    align = "left" if listing else "center"
    last = len(disp.rows) - 1
    for i, row in enumerate(disp.rows):
        rule = i == last  # a rule under the last row, across every column
        cells = [] if listing else [(_label(row.label, row.mark), Style(bold=row.header, indent=row.indent,
                                                                        bottom=rule))]
        cell_style = Style(align=align, bottom=rule)
        ws.append(cells + [(c.text, cell_style) for c in row.cells])
    ws.append()
    for f in (*disp.footnotes, source):
        ws.append([f])
    ws.widths = {1: 22 if listing else 60, **{j: 22 for j in range(2, len(headers) + 1)}}


def add_ard_sheet(wb: Workbook, ard: Ard, name: str) -> None:
    ws = wb.sheet(name)
    frame = ard.to_frame()
    ws.append([(h, Style(bold=True)) for h in frame.columns])
    for rec in frame.itertuples(index=False):  # one spreadsheet line per ARD record
        ws.append(list(rec))
    ws.freeze_header = True


def table_xlsx(disp: Display, ard: Ard, source: str) -> bytes:
    """The table with its ARD sheet (the numbers behind every cell, unrounded, with their subjects);
    a listing's ARD would repeat its rows value by value, so a listing is its one sheet."""
    wb = Workbook()
    add_table_sheet(wb, disp, source)
    if disp.type != "listing":
        add_ard_sheet(wb, ard, f"{disp.id}_ard")
    return wb.to_bytes()


def workbook_of(tables: list[tuple[Display, str]]) -> bytes:
    """All tables and listings in one workbook, a sheet each."""
    wb = Workbook()
    for disp, source in tables:
        add_table_sheet(wb, disp, source)
    return wb.to_bytes()
