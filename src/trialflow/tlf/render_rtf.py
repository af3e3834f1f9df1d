"""RTF 1.x written directly: 'Page x of y', the titles and the column header row in the page header
(so every reader repeats them on every page), the body as table rows, footnotes after the table,
the source line in the page footer; a figure is its PNG embedded.

Word and LibreOffice paginate the table themselves, so a listing of any length is written in
one pass (one string per record). Every piece of text is escaped: backslash and braces, control
characters, and non-ASCII as \\uN? (UTF-16 code units), so a data value can never inject RTF
control words. The output is ASCII and depends only on the display: byte-identical reruns.
"""

from __future__ import annotations

import struct

from .. import __version__
from ..rounding import round_half_up
from .display import Display

INDENT_TWIPS = 240
PAPER = {"portrait": (12240, 15840), "landscape": (15840, 12240)}  # US letter, twips
MARGIN = 1440  # one inch each side
TITLE_FS, BODY_FS, FOOT_FS = 20, 18, 16  # half-points: 10, 9, 8 pt (listing cells: 8 pt)
RULE = r"\brdrs\brdrw10"
_ESCAPES = {ord("\\"): "\\\\", ord("{"): "\\{", ord("}"): "\\}", ord("\n"): "\\line ", ord("\t"): "\\tab ",
            **{c: f"\\'{c:02x}" for c in range(32) if c not in (9, 10)}}


def rtf_escape(text: str) -> str:
    out = str(text).translate(_ESCAPES)
    if out.isascii():
        return out
    chars = []
    for ch in out:
        code = ord(ch)
        if code < 128:
            chars.append(ch)
        elif code <= 0xFFFF:
            chars.append(f"\\u{code if code < 32768 else code - 65536}?")
        else:  # outside the BMP: UTF-16 surrogate pair
            code -= 0x10000
            chars += [f"\\u{unit - 65536}?" for unit in (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))]
    return "".join(chars)


def _label(text: str, mark: str | None) -> str:
    return rtf_escape(text) + (f"{{\\super {rtf_escape(mark)}}}" if mark else "")


def _para(text: str, align: str = "l", fs: int = BODY_FS, extra: str = "") -> str:
    return f"\\pard\\plain\\q{align}{extra}\\fs{fs} {text}\\par\n"


def _paper(disp: Display) -> tuple[int, int]:
    return PAPER["landscape" if disp.orientation == "landscape" else "portrait"]


def _twips(inches: float) -> int:
    return int(round_half_up(inches * 1440))


def _document(disp: Display, source: str, body: str, column_header: str = "") -> bytes:
    """The page set-up, header (page x of y, titles, the column header row), footer (source) around
    a body. The column header sits in the page header so that every reader repeats it on every page."""
    landscape = disp.orientation == "landscape"
    width, height = _paper(disp)
    titles = [rtf_escape(t) for t in disp.title] + ([rtf_escape(disp.subtitle)] if disp.subtitle else [])
    header = (_para("Page \\chpgn\\~of {\\field{\\*\\fldinst NUMPAGES }{\\fldrslt 1}}", "r", FOOT_FS)
              + "".join(_para(t, "c", TITLE_FS, "\\keepn" + ("\\b" if i == 0 else "")) for i, t in enumerate(titles))
              + _para("", "c", BODY_FS) + column_header + ("\\pard\\plain\\fs4\\par\n" if column_header else ""))
    return "".join([
        "{\\rtf1\\ansi\\ansicpg1252\\uc1\\deff0\\deflang1033\n",
        "{\\fonttbl{\\f0\\froman\\fcharset0 Times New Roman;}}\n",
        "{\\info{\\title ", rtf_escape(" ".join(disp.title)), "}{\\author trialflow ", __version__, "}}\n",
        f"\\paperw{width}\\paperh{height}\\margl{MARGIN}\\margr{MARGIN}\\margt{MARGIN}\\margb{MARGIN}",
        "\\landscape" if landscape else "", "\n\\sectd", "\\lndscpsxn" if landscape else "",
        "\\headery720\\footery720\n",
        "{\\header\n", header, "}\n",
        "{\\footer\n", _para(rtf_escape(source), "l", FOOT_FS), "}\n",
        body, "}\n",
    ]).encode("ascii")


def _row_start(rights: list[int], top: bool, bottom: bool) -> str:
    borders = (f"\\clbrdrt{RULE}" if top else "") + (f"\\clbrdrb{RULE}" if bottom else "")
    return ("\\trowd\\trgaph72\\trleft0\\trkeep"
            + "".join(f"{borders}\\cellx{r}" for r in rights) + "\n")


def _cells(texts: list[str], aligns: list[str], extras: list[str] | None = None, fs: int = BODY_FS) -> str:
    extras = extras or [""] * len(texts)
    return "".join(f"\\pard\\plain\\intbl\\q{a}{x}\\fs{fs} {t}\\cell" for t, a, x in zip(texts, aligns, extras)) \
        + "\\row\n"


def table_rtf(disp: Display, source: str) -> bytes:
    """A table or listing as RTF (bytes, ASCII)."""
    listing = disp.type == "listing"
    headers = list(disp.columns) if listing else [disp.stub, *disp.columns]
    widths = list(disp.widths) if listing else [3.0, *disp.widths]
    page = _paper(disp)[0] - 2 * MARGIN
    total, acc, rights = sum(widths), 0.0, []
    for w in widths:  # relative widths -> right cell edges in twips, across the text width
        acc += w
        rights.append(int(round_half_up(page * acc / total)))
    fs = FOOT_FS if listing else BODY_FS
    aligns = ["l"] * len(headers) if listing else ["l"] + ["c"] * (len(headers) - 1)
    column_header = _row_start(rights, top=True, bottom=True) \
        + _cells([rtf_escape(h) for h in headers], aligns, ["\\b"] * len(headers), fs)
    parts = []
    plain, last = _row_start(rights, False, False), _row_start(rights, False, True)
    n = len(disp.rows)
    for i, r in enumerate(disp.rows):
        parts.append(last if i == n - 1 else plain)
        if listing:
            parts.append(_cells([rtf_escape(c.text) for c in r.cells], aligns, fs=fs))
        else:
            stub = (f"\\li{r.indent * INDENT_TWIPS}" if r.indent else "") + ("\\b" if r.header else "")
            parts.append(_cells([_label(r.label, r.mark), *(rtf_escape(c.text) for c in r.cells)], aligns,
                                [stub] + [""] * len(r.cells)))
    if not n:
        parts += [last, _cells(["No records."] + [""] * (len(headers) - 1), aligns, fs=fs)]
    parts.append(_para("", "l", FOOT_FS))  # a paragraph after the table: the document never ends on a row
    parts += [_para(rtf_escape(f), "l", FOOT_FS) for f in disp.footnotes]
    return _document(disp, source, "".join(parts), column_header)


def figure_rtf(disp: Display, png: bytes, source: str, summary: list[str], width: float, height: float) -> bytes:
    """A figure page: the PNG drawn at width x height inches (shrunk to the text width if wider),
    then summary lines and footnotes."""
    scale = min(1.0, (_paper(disp)[0] - 2 * MARGIN) / 1440 / width)
    px_w, px_h = struct.unpack(">II", png[16:24])  # the PNG's IHDR: width and height in pixels
    data = png.hex()
    lines = "\n".join(data[i:i + 128] for i in range(0, len(data), 128))
    pict = (f"{{\\*\\shppict{{\\pict\\pngblip\\picw{px_w}\\pich{px_h}\\picwgoal{_twips(width * scale)}"
            f"\\pichgoal{_twips(height * scale)}\n{lines}\n}}}}")
    body = _para(pict, "c") + "".join(_para(rtf_escape(s), "l", BODY_FS) for s in summary) \
        + "".join(_para(rtf_escape(f), "l", FOOT_FS) for f in disp.footnotes)
    return _document(disp, source, body)


def source_line(output: str) -> str:
    return f"Source: tlf/ard/{output}.json (analysis results from adam/*.xpt); trialflow {__version__}"
