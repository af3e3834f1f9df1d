"""XLSX through openpyxl: one sheet per table or listing (plus its ARD), deterministic bytes.

Every cell is written as text through ``trialflow.io.set_cell``: text starting with = + - @
is stored as a string, never as a formula (spreadsheet formula-injection guard).
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from ..io import set_cell, workbook_bytes
from .ard import Ard
from .display import Display

THIN = Side(style="thin")


def _label(text: str, mark: str | None):
    if not mark:
        return text
    return CellRichText([text, TextBlock(InlineFont(vertAlign="superscript"), mark)])


def add_table_sheet(wb: Workbook, disp: Display, source: str, name: str | None = None) -> None:
    ws = wb.create_sheet(title=(name or disp.id)[:31])
    r = 1
    for i, t in enumerate(disp.title + ((disp.subtitle,) if disp.subtitle else ())):
        set_cell(ws, r, 1, t).font = Font(bold=i == 0)
        r += 1
    r += 1
    listing = disp.type == "listing"
    headers = list(disp.columns) if listing else [disp.stub, *disp.columns]
    for j, h in enumerate(headers, 1):
        c = set_cell(ws, r, j, h)
        c.font = Font(bold=True)
        c.border = Border(top=THIN, bottom=THIN)
        c.alignment = Alignment(horizontal="left" if (j == 1 or listing) else "center", wrap_text=True)
    r += 1
    for row in disp.rows:
        if not listing:
            c = set_cell(ws, r, 1, _label(row.label, row.mark))
            c.alignment = Alignment(indent=row.indent)
            if row.header:
                c.font = Font(bold=True)
        for j, cell in enumerate(row.cells, 1 if listing else 2):
            c = set_cell(ws, r, j, cell.text)
            c.alignment = Alignment(horizontal="left" if listing else "center")
        r += 1
    for j in range(1, len(headers) + 1):
        ws.cell(row=r - 1, column=j).border = Border(bottom=THIN)
    r += 1
    for f in (*disp.footnotes, source):
        set_cell(ws, r, 1, f)
        r += 1
    ws.column_dimensions["A"].width = 22 if listing else 60
    for j in range(2, len(headers) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 22
    ws.freeze_panes = None


def add_ard_sheet(wb: Workbook, ard: Ard, name: str) -> None:
    ws = wb.create_sheet(title=name[:31])
    frame = ard.to_frame()
    for j, h in enumerate(frame.columns, 1):
        set_cell(ws, 1, j, h).font = Font(bold=True)
    for i, rec in enumerate(frame.itertuples(index=False), 2):  # one spreadsheet line per ARD record
        for j, v in enumerate(rec, 1):
            set_cell(ws, i, j, v)


def table_xlsx(disp: Display, ard: Ard, source: str) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    add_table_sheet(wb, disp, source)
    add_ard_sheet(wb, ard, f"{disp.id}_ard")
    return workbook_bytes(wb)


def workbook_of(tables: list[tuple[Display, str]]) -> bytes:
    """All tables and listings in one workbook, a sheet each."""
    wb = Workbook()
    wb.remove(wb.active)
    for disp, source in tables:
        add_table_sheet(wb, disp, source)
    return workbook_bytes(wb)
