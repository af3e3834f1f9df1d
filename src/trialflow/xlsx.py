"""XLSX (SpreadsheetML) written directly: the one workbook writer (TLF workbooks, the spec workbook).

A workbook is sheets of rows; a cell is a value (text, number or None) with an optional Style,
or Rich text (runs, some superscript). Text is always stored as an inline string, so a value
starting with = + - @ is text, never a formula (spreadsheet formula-injection guard). Numbers
are written with Python's shortest round-trip repr. The zip entries carry a fixed time stamp and
the document properties a fixed date: the same workbook gives the same bytes.

Written as text, not through openpyxl's object model: a 10,000-subject listing is about a million
cells, which openpyxl builds and serialises at roughly 25 microseconds a cell.
"""

from __future__ import annotations

import io
import math
import numbers
import re
import zipfile
from dataclasses import dataclass, field

FIXED_TIME = (2019, 10, 31, 0, 0, 0)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# characters XML 1.0 cannot carry, and text that Excel would read as one of its _xHHHH_ escapes
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Style:
    bold: bool = False
    align: str | None = None  # "left", "center"
    indent: int = 0
    wrap: bool = False
    top: bool = False  # thin rule above
    bottom: bool = False  # thin rule below


@dataclass(frozen=True)
class Rich:
    """Rich text: (text, superscript) runs."""
    runs: tuple[tuple[str, bool], ...]


PLAIN = Style()


def xml_text(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if _UNSAFE.search(text):
        text = _UNSAFE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass
class Sheet:
    name: str
    rows: list[list] = field(default_factory=list)  # a cell: value, (value, Style) or Rich
    widths: dict[int, float] = field(default_factory=dict)  # 1-based column -> width in characters
    freeze_header: bool = False  # keep row 1 in view

    def append(self, cells: list = ()) -> None:
        self.rows.append(list(cells))


class Workbook:
    def __init__(self):
        self.sheets: list[Sheet] = []
        self._styles: dict[Style, int] = {PLAIN: 0}

    def sheet(self, name: str) -> Sheet:
        title = _SHEET_NAME.sub("_", name).strip("'")[:31] or "Sheet"
        taken = {s.name.casefold() for s in self.sheets}  # Excel ignores case in sheet names
        base, n = title, 1
        while title.casefold() in taken:
            n += 1
            title = f"{base[:31 - len(str(n)) - 1]}_{n}"
        ws = Sheet(title)
        self.sheets.append(ws)
        return ws

    # ------------------------------------------------------------------ serialisation
    def _style_id(self, style: Style) -> int:
        if style not in self._styles:
            self._styles[style] = len(self._styles)
        return self._styles[style]

    def _cell(self, ref: str, cell) -> str:
        style = PLAIN
        if isinstance(cell, tuple):
            cell, style = cell
        s = 0 if style is PLAIN else self._style_id(style)  # (most cells are plain: no lookup)
        attr = f' s="{s}"' if s else ""
        if isinstance(cell, Rich):
            runs = "".join(
                ('<r><rPr><vertAlign val="superscript"/></rPr>' if sup else "<r>")
                + f'<t xml:space="preserve">{xml_text(t)}</t></r>' for t, sup in cell.runs if t)
            return f'<c r="{ref}"{attr} t="inlineStr"><is>{runs}</is></c>'
        if isinstance(cell, numbers.Integral) and not isinstance(cell, bool):
            return f'<c r="{ref}"{attr}><v>{int(cell)}</v></c>'
        if isinstance(cell, numbers.Real) and not isinstance(cell, bool):
            if math.isfinite(cell):
                return f'<c r="{ref}"{attr}><v>{float(cell)!r}</v></c>'
            cell = None  # NaN and infinities have no cell value
        if cell is None or cell == "":
            return f'<c r="{ref}"{attr}/>' if s else ""
        return f'<c r="{ref}"{attr} t="inlineStr"><is><t xml:space="preserve">{xml_text(str(cell))}</t></is></c>'

    def _sheet_xml(self, ws: Sheet) -> str:
        ncols = max((len(r) for r in ws.rows), default=0)
        letters = [column_letter(j) for j in range(1, ncols + 1)]
        parts = [_XML_DECL, f'<worksheet xmlns="{MAIN}" xmlns:r="{RELS}">']
        if ws.freeze_header:
            parts.append('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                         'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>')
        if ws.widths:
            parts.append("<cols>" + "".join(f'<col min="{j}" max="{j}" width="{w}" customWidth="1"/>'
                                            for j, w in sorted(ws.widths.items())) + "</cols>")
        parts.append("<sheetData>")
        for i, row in enumerate(ws.rows, 1):
            cells = "".join(self._cell(f"{letters[j]}{i}", c) for j, c in enumerate(row))
            parts.append(f'<row r="{i}">{cells}</row>' if cells else "")
        parts.append("</sheetData></worksheet>")
        return "".join(parts)

    def _styles_xml(self) -> str:
        borders = {(False, False): 0, (True, False): 1, (False, True): 2, (True, True): 3}
        xfs = []
        for style in self._styles:  # in id order (dicts keep insertion order)
            align = style.align or ("left" if style.indent else None)
            attrs = (f' horizontal="{align}"' if align else "") + (f' indent="{style.indent}"' if style.indent else "") \
                + (' wrapText="1"' if style.wrap else "")
            xfs.append(f'<xf numFmtId="0" fontId="{int(style.bold)}" fillId="0" '
                       f'borderId="{borders[(style.top, style.bottom)]}" xfId="0"'
                       + (' applyFont="1"' if style.bold else "") + (' applyBorder="1"' if style.top or style.bottom else "")
                       + (f' applyAlignment="1"><alignment{attrs}/></xf>' if attrs else "/>"))
        rule = '<{0} style="thin"><color auto="1"/></{0}>'
        border = lambda t, b: ("<border><left/><right/>" + (rule.format("top") if t else "<top/>")  # noqa: E731
                               + (rule.format("bottom") if b else "<bottom/>") + "<diagonal/></border>")
        return (_XML_DECL + f'<styleSheet xmlns="{MAIN}">'
                '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
                '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill></fills>'
                f'<borders count="4">{border(0, 0)}{border(1, 0)}{border(0, 1)}{border(1, 1)}</borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                "</styleSheet>")

    def to_bytes(self) -> bytes:
        if not self.sheets:  # a workbook needs a sheet (Excel reports one without as corrupt)
            self.sheet("Sheet")
        sheets = {f"xl/worksheets/sheet{i}.xml": self._sheet_xml(ws) for i, ws in enumerate(self.sheets, 1)}
        n = len(self.sheets)
        stamp = "%04d-%02d-%02dT%02d:%02d:%02dZ" % FIXED_TIME
        entries = {
            "[Content_Types].xml": _XML_DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/{p}" '
                      'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                      for p in sheets)
            + '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>',
            "_rels/.rels": _XML_DECL + f'<Relationships xmlns="{PKG_RELS}">'
            f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
            'core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{RELS}/extended-properties" Target="docProps/app.xml"/></Relationships>',
            "docProps/app.xml": _XML_DECL + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            'extended-properties"><Application>trialflow</Application></Properties>',
            "docProps/core.xml": _XML_DECL + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/'
            '2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:creator>trialflow</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>',
            "xl/workbook.xml": _XML_DECL + f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><bookViews><workbookView/>'
            "</bookViews><sheets>"
            + "".join(f'<sheet name="{xml_text(ws.name).replace(chr(34), "&quot;")}" sheetId="{i}" r:id="rId{i}"/>'
                      for i, ws in enumerate(self.sheets, 1)) + "</sheets></workbook>",
            "xl/_rels/workbook.xml.rels": _XML_DECL + f'<Relationships xmlns="{PKG_RELS}">'
            + "".join(f'<Relationship Id="rId{i}" Type="{RELS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in range(1, n + 1))
            + f'<Relationship Id="rId{n + 1}" Type="{RELS}/styles" Target="styles.xml"/></Relationships>',
            **sheets,
            "xl/styles.xml": self._styles_xml(),  # after the sheets: they register the styles they use
        }
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in entries.items():
                info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, text.encode("utf-8"))
        return out.getvalue()
