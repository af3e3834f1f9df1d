"""RTF through rtflite: titles, column headers, body, footnotes, 'Page x of y', figures embedded.

rtflite passes text through unescaped when its LaTeX-like conversion is off, so every piece of
text is escaped here (backslash, braces, non-ASCII as \\uN?) and conversion is switched off:
an adverse-event term can never inject RTF control words.
"""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from .display import Display

INDENT_TWIPS = 240


def rtf_escape(text: str) -> str:
    out = []
    for ch in str(text):
        code = ord(ch)
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\line ")
        elif code < 128:
            out.append(ch)
        elif code <= 0xFFFF:
            out.append(f"\\u{code if code < 32768 else code - 65536}?")
        else:  # outside the BMP: UTF-16 surrogate pair
            code -= 0x10000
            for unit in (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)):
                out.append(f"\\u{unit - 65536}?")
    return "".join(out)


def _label(text: str, mark: str | None) -> str:
    return rtf_escape(text) + (f"{{\\super {rtf_escape(mark)}}}" if mark else "")


def _page(disp: Display):
    import rtflite as rtf

    return rtf.RTFPage(orientation="landscape" if disp.orientation == "landscape" else "portrait")


def _common(disp: Display, source: str) -> dict:
    import rtflite as rtf

    titles = [rtf_escape(t) for t in disp.title] + ([rtf_escape(disp.subtitle)] if disp.subtitle else [])
    return {
        "rtf_page": _page(disp),
        "rtf_page_header": rtf.RTFPageHeader(),  # Page \chpgn of NUMPAGES
        "rtf_title": rtf.RTFTitle(text=titles, text_convert=[False]),
        "rtf_page_footer": rtf.RTFPageFooter(text=[rtf_escape(source)], text_convert=[False]),
    }


def table_rtf(disp: Display, source: str) -> bytes:
    """A table or listing as RTF text (bytes, ASCII)."""
    import polars as pl  # rtflite and polars load only when an RTF is written (slow imports)
    import rtflite as rtf

    listing = disp.type == "listing"
    headers = list(disp.columns) if listing else [disp.stub, *disp.columns]
    widths = list(disp.widths) if listing else [3.0, *disp.widths]
    data = {}
    for j, _ in enumerate(headers):
        col = []
        for r in disp.rows:
            if listing:
                col.append(rtf_escape(r.cells[j].text))
            elif j == 0:
                col.append(_label(r.label, r.mark))
            else:
                col.append(rtf_escape(r.cells[j - 1].text))
        data[f"c{j}"] = col
    df = pl.DataFrame(data, schema={k: pl.String for k in data})
    n = len(disp.rows)
    if listing:
        # One row of attributes, broadcast by rtflite over every body row (same bytes as a row per
        # record): rtflite re-validates an attribute's whole matrix for every cell it encodes, so a
        # matrix per record makes a long listing quadratic in its length.
        justify, fmt, indent = [["l"] * len(headers)], [[""] * len(headers)], [[0] * len(headers)]
    else:
        justify = [["l"] + ["c"] * (len(headers) - 1) for _ in range(max(n, 1))]
        fmt = [["b" if (r.header and j == 0) else "" for j in range(len(headers))] for r in disp.rows] or [[""]]
        indent = [[(r.indent * INDENT_TWIPS if j == 0 else 0) for j in range(len(headers))]
                  for r in disp.rows] or [[0]]
    footnotes = [rtf_escape(f) for f in disp.footnotes]
    doc = rtf.RTFDocument(
        df=df,
        **_common(disp, source),
        rtf_column_header=rtf.RTFColumnHeader(text=[rtf_escape(h) for h in headers], col_rel_width=widths,
                                              text_convert=[[False]],
                                              text_justification=[["l"] + ["c"] * (len(headers) - 1)]),
        rtf_body=rtf.RTFBody(col_rel_width=widths, text_convert=[[False]], text_justification=justify,
                             text_format=fmt, text_indent_left=indent),
        rtf_footnote=rtf.RTFFootnote(text=footnotes, text_convert=[[False]]) if footnotes else None,
    )
    return doc.rtf_encode().encode("ascii")


def figure_rtf(disp: Display, png: Path, source: str, summary: list[str], width: float, height: float) -> bytes:
    """A figure page: titles, the PNG embedded, then summary lines and footnotes."""
    import rtflite as rtf

    lines = [rtf_escape(s) for s in summary] + [rtf_escape(f) for f in disp.footnotes]
    doc = rtf.RTFDocument(
        **_common(disp, source),
        rtf_figure=rtf.RTFFigure(figures=str(png), fig_width=width, fig_height=height),
        rtf_footnote=rtf.RTFFootnote(text=lines, as_table=False, text_convert=[False]) if lines else None,
    )
    return doc.rtf_encode().encode("ascii")


def source_line(output: str) -> str:
    return f"Source: tlf/ard/{output}.json (analysis results from adam/*.xpt); trialflow {__version__}"
