"""Rendering: formats, the one display path, HTML autoescape, XLSX formula guard, RTF escaping,
byte-identical figures and outputs."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import openpyxl
import pytest

from trialflow.errors import SpecError
from trialflow.study import Study
from trialflow.tlf.build import build_index, build_output, output_files
from trialflow.tlf.display import build_display, render_template
from trialflow.tlf.engine import analyse
from trialflow.tlf.figures import draw
from trialflow.tlf.published import compare_published
from trialflow.tlf.render_html import output_html
from trialflow.tlf.render_rtf import rtf_escape, table_rtf
from trialflow.tlf.render_xlsx import table_xlsx
from trialflow.tlf.shell import parse_shell

from .conftest import S, full_adam

ROOT = Path(__file__).resolve().parents[2]


def shell(rows, **kw):
    raw = {"id": "tx", "title": ["Table X", "Test"], "population": 'SAFFL == "Y"', "dataset": "ADSL",
           "rows": rows, **kw}
    return parse_shell(raw)


# --------------------------------------------------------------------------- formats
@pytest.mark.parametrize("values,template,want", [
    ({"n": 0, "N": 32}, "{n_pct}", "0 (0)"),
    ({"n": 32, "N": 32}, "{n_pct}", "32 (100)"),
    ({"n": 10, "N": 32}, "{n_pct}", "10 (31.3)"),     # 31.25 -> 31.3 (half away from zero, not banker's 31.2)
    ({"n": 2, "N": 32}, "{n_pct}", "2 (6.3)"),
    ({"pct": 31.25}, "{pct:.1f}", "31.3"),
    ({"median": 70.5, "min": 51.0, "max": 84.0}, "{median:.1f} ({min:.0f}–{max:.0f})", "70.5 (51–84)"),
    ({"median": 13.065, "min": 6.0, "max": 80.65}, "{median:.2f} ({min:.0f}–{max:.1f})", "13.07 (6–80.7)"),
    ({"median": 1.6, "lower": 0.99, "upper": None}, "{median:.1f} ({lower:.1f}–{upper:.1f})", "1.6 (1.0–NE)"),
    ({"n": 5, "N": 257, "pct": 100 * 5 / 257}, "{n}/{N} ({pct:.1f})", "5/257 (1.9)"),
])
def test_render_template(values, template, want):
    assert render_template(template, values) == want


def test_template_needs_precision_for_fractions():
    with pytest.raises(SpecError):
        render_template("{median}", {"median": 70.25})
    with pytest.raises(SpecError):
        render_template("{nosuch}", {"n": 1})


def test_display_cells_from_ard(adam):
    sh = shell([{"label": "Age (years)"},
                {"key": "LT65", "label": "<65 years, n (%)", "indent": 1, "stat": "count_pct", "where": 'AGEGR1 == "<65"',
                 "published": "1 (25.0)", "target": "X1"},
                {"key": "ALL", "label": "All", "stat": "count_pct", "where": "AGE > 0"},
                {"key": "NONE", "label": "None", "stat": "count_pct", "where": "AGE > 100"},
                {"key": "AGE", "label": "Median (range)", "stat": "median_range", "var": "AGE",
                 "format": "{median:.1f} ({min:.0f}–{max:.0f})"}],
               columns=[{"key": "ALL", "label": "Isa (N = {N})"}])
    ard = analyse(sh, adam)
    disp = build_display(sh, ard)
    assert disp.columns == ["Isa (N = 4)"]
    texts = [(r.label, r.cells[0].text) for r in disp.rows]
    assert texts == [("Age (years)", ""), ("<65 years, n (%)", "1 (25.0)"), ("All", "4 (100)"), ("None", "0 (0)"),
                     ("Median (range)", "68.0 (60–80)")]
    assert disp.rows[1].cells[0].subjects == (S[0],)
    assert disp.rows[4].cells[0].subjects == tuple(S[:4])  # contributing subjects of the median
    (res,) = compare_published(sh, ard)
    assert res["status"] == "reproduced" and res["target"] == "X1"


def test_published_irreproducible_and_differs(adam):
    rows = [{"key": "D", "label": "DCR", "stat": "rate_ci", "dataset": "ADRS", "where": 'PARAMCD == "DCR" and AVALC == "Y"',
             "published": [{"value": "26.4%", "pct_denominator": 20, "irreproducible": "no k/20"},
                           {"value": "37.5%", "column": "ALL"}]}]
    ard = analyse(shell(rows), adam)
    a, b = compare_published(shell(rows), ard)
    # 26.4% is impossible for k/20, but these data have 4 subjects, not 20: that is a difference
    assert a["status"] == "differs" and "the data have 4" in a["message"]
    assert a["expected_irreproducible"] == "no k/20"
    assert b["status"] == "differs" and b["produced"] == "50.0%"


# --------------------------------------------------------------------------- HTML / XLSX / RTF safety
def _ae_shell():
    return shell([{"key": "AE", "label": "", "stat": "count_pct", "dataset": "ADAE", "where": 'TRTEMFL == "Y"',
                   "expand": ["AEBODSYS", "AEDECOD"]}],
                 groups=[{"key": "ALL"}, {"key": "G3", "where": "ATOXGRN >= 3"}])


def test_html_autoescapes_terms(adam):
    sh = _ae_shell()
    ard = analyse(sh, adam)
    html = output_html(build_display(sh, ard), "source <b>", [("tx.rtf", "RTF")]).decode()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "source &lt;b&gt;" in html
    assert "<li>TCD14079-840001-002</li>" in html  # the subject behind the Injury count


def _listing():
    return parse_shell({
        "id": "lx", "type": "listing", "title": "AEs", "population": 'SAFFL == "Y"', "dataset": "ADAE",
        "columns": [{"key": "USUBJID", "label": "Subject"}, {"key": "AETERM", "label": "Term"},
                    {"key": "ATOXGRN", "label": "Grade", "format": "{value:.0f}"}],
        "rows": [{"key": "L", "label": "AEs", "stat": "values", "where": 'TRTEMFL == "Y"', "sort": ["USUBJID", "AESEQ"],
                  "vars": ["USUBJID", "AETERM", "ATOXGRN"]}]})


def test_xlsx_formula_injection_guard(adam):
    sh = _listing()
    ard = analyse(sh, adam)
    disp = build_display(sh, ard)
    wb = openpyxl.load_workbook(io.BytesIO(table_xlsx(disp, ard, "=SUM(A1)")))
    ws = wb["lx"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert {c.value for c in cells} >= {'=HYPERLINK("x")', "=SUM(A1)"}
    assert all(c.data_type == "s" for c in cells)  # stored as text, never as a formula
    assert wb.sheetnames == ["lx"]  # a listing is its one sheet (its ARD would repeat its rows)
    # a table's ARD sheet carries the same guard
    sh = shell([{"key": "AE", "label": "", "stat": "count_pct", "dataset": "ADAE", "expand": ["AETERM"]}])
    ard = analyse(sh, adam)
    wb = openpyxl.load_workbook(io.BytesIO(table_xlsx(build_display(sh, ard), ard, "src")))
    assert wb.sheetnames[1].endswith("_ard")
    ard_cells = [c for row in wb[wb.sheetnames[1]].iter_rows() for c in row if c.value == '=HYPERLINK("x")']
    assert ard_cells and all(c.data_type == "s" for c in ard_cells)


def test_rtf_escapes_control_characters(adam):
    assert rtf_escape("a{b}\\c") == "a\\{b\\}\\\\c"
    assert rtf_escape("≥75 – é") == "\\u8805?75 \\u8211? \\u233?"
    sh = _ae_shell()
    rtf = table_rtf(build_display(sh, analyse(sh, adam)), "src").decode("ascii")
    assert rtf.startswith("{\\rtf1") and "\\chpgn" in rtf and "NUMPAGES" in rtf  # page x of y
    assert "<script>alert(1)</script>" in rtf  # plain text in RTF, no control words injected
    adam["ADAE"].loc[0, "AEDECOD"] = "x}{\\par evil"
    rtf = table_rtf(build_display(sh, analyse(sh, adam)), "src").decode("ascii")
    assert "x\\}\\{\\\\par evil" in rtf


# --------------------------------------------------------------------------- determinism
@pytest.fixture
def study(tmp_path) -> Study:
    """A study folder with the real study.yaml and TLF shells only (the ADaM frames come from full_adam())."""
    (tmp_path / "specs").mkdir()
    shutil.copy(ROOT / "specs" / "study.yaml", tmp_path / "specs" / "study.yaml")
    shutil.copytree(ROOT / "specs" / "tlf", tmp_path / "specs" / "tlf")
    return Study(tmp_path)


def test_figures_byte_identical(study):
    adam = full_adam()
    for sid in ("f1a", "f1b", "f2"):
        sh = parse_shell(study.specs.tlf[sid], study.specs.tlf[sid]["_path"])
        ard = analyse(sh, adam)
        png1, svg1, _ = draw(sh, ard)
        png2, svg2, _ = draw(sh, ard)
        assert png1 == png2 and svg1 == svg2
        assert png1.startswith(b"\x89PNG") and b"<svg" in svg1
        assert b"Date" not in svg1.split(b"<svg", 1)[0] and b"matplotlib" not in png1[:2000].lower()


def test_every_output_byte_identical_on_rerun(study):
    adam = full_adam()
    first = {}
    for sid in sorted(study.specs.tlf):
        for path in build_output(study, sid, adam).values():
            first[path] = path.read_bytes()
    for path in build_index(study):
        first[path] = path.read_bytes()
    for sid in sorted(study.specs.tlf):
        build_output(study, sid, adam)
    build_index(study)
    changed = [p.name for p, data in first.items() if p.read_bytes() != data]
    assert not changed
    assert not list(study.tlf.rglob("*.tmp"))
    index = (study.tlf / "index.html").read_text()
    for sid in study.specs.tlf:
        for path in output_files(study, parse_shell(study.specs.tlf[sid])).values():
            assert path.exists()
        assert f'href="{sid}.html"' in index


def test_rtf_table_structure():
    """Titles, page x of y and the column header row in the page header (repeated on every page by
    any reader); body rows with the stub indented and bold headers; a rule under the last row;
    footnotes after the table; the source in the page footer."""
    from trialflow.tlf.display import Cell, Display, DisplayRow

    disp = Display(id="tx", type="table", title=("Table 9", "Ages"), subtitle=None, stub="", columns=["All (N = 2)"],
                   widths=[1.0], footnotes=("a note {x}",),
                   rows=[DisplayRow(None, "Age", 0, [Cell("")], True),
                         DisplayRow("A", "Median", 1, [Cell("70.5")], False, "a")])
    rule = "\\brdrs\\brdrw10"
    expected = "\n".join([
        "{\\rtf1\\ansi\\ansicpg1252\\uc1\\deff0\\deflang1033",
        "{\\fonttbl{\\f0\\froman\\fcharset0 Times New Roman;}}",
        "{\\info{\\title Table 9 Ages}{\\author trialflow 0.1.0}}",
        "\\paperw12240\\paperh15840\\margl1440\\margr1440\\margt1440\\margb1440",
        "\\sectd\\headery720\\footery720",
        "{\\header",
        "\\pard\\plain\\qr\\fs16 Page \\chpgn\\~of {\\field{\\*\\fldinst NUMPAGES }{\\fldrslt 1}}\\par",
        "\\pard\\plain\\qc\\keepn\\b\\fs20 Table 9\\par",
        "\\pard\\plain\\qc\\keepn\\fs20 Ages\\par",
        "\\pard\\plain\\qc\\fs18 \\par",
        # 6.5 in of text width = 9360 twips: the stub takes 3 parts of 4 (7020), the column the rest
        f"\\trowd\\trgaph72\\trleft0\\trkeep\\clbrdrt{rule}\\clbrdrb{rule}\\cellx7020\\clbrdrt{rule}\\clbrdrb{rule}\\cellx9360",
        "\\pard\\plain\\intbl\\ql\\b\\fs18 \\cell\\pard\\plain\\intbl\\qc\\b\\fs18 All (N = 2)\\cell\\row",
        "\\pard\\plain\\fs4\\par",
        "}",
        "{\\footer",
        "\\pard\\plain\\ql\\fs16 src\\par",
        "}",
        "\\trowd\\trgaph72\\trleft0\\trkeep\\cellx7020\\cellx9360",
        "\\pard\\plain\\intbl\\ql\\b\\fs18 Age\\cell\\pard\\plain\\intbl\\qc\\fs18 \\cell\\row",
        f"\\trowd\\trgaph72\\trleft0\\trkeep\\clbrdrb{rule}\\cellx7020\\clbrdrb{rule}\\cellx9360",
        "\\pard\\plain\\intbl\\ql\\li240\\fs18 Median{\\super a}\\cell\\pard\\plain\\intbl\\qc\\fs18 70.5\\cell\\row",
        "\\pard\\plain\\ql\\fs16 \\par",
        "\\pard\\plain\\ql\\fs16 a note \\{x\\}\\par",
        "}", ""])
    assert table_rtf(disp, "src").decode("ascii") == expected


def test_rtf_escape_control_characters_and_astral():
    assert rtf_escape("a\tb\x01\n") == "a\\tab b\\'01\\line "
    assert rtf_escape("\U0001F600") == "\\u-10179?\\u-8704?"  # UTF-16 surrogate pair, signed
