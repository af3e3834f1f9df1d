"""The workbook writer, read back by openpyxl (an independent reader): values, types, styles,
rich text, escaping, sheet names, deterministic bytes."""

import io
import zipfile

from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText

from trialflow.xlsx import Rich, Style, Workbook, column_letter


def _book() -> Workbook:
    wb = Workbook()
    ws = wb.sheet("t1")
    ws.append([("Table 1", Style(bold=True))])
    ws.append()
    ws.append([("", Style(bold=True, top=True, bottom=True)), ("All (N = 2)", Style(bold=True, align="center",
                                                                                      top=True, bottom=True))])
    ws.append([(Rich((("Median", False), ("a", True))), Style(indent=1)), ("70.5 (51–84)", Style(align="center"))])
    ws.append([1, 2.5, float("nan"), None, "", "=1+1", "a & <b>", "tab\there\x01", "_x0041_", True])
    ws.widths = {1: 60, 2: 22}
    wb.sheet("T1")  # a second sheet of the same name (Excel ignores case) gets a suffix
    wb.sheet('a/b:c "q"')
    ws.append([float("inf"), float("-inf")])
    return wb


def test_workbook_reads_back():
    data = _book().to_bytes()
    wb = load_workbook(io.BytesIO(data), rich_text=True)
    assert wb.sheetnames == ["t1", "T1_2", 'a_b_c "q"']
    ws = wb["t1"]
    assert ws["A1"].value == "Table 1" and ws["A1"].font.b
    assert ws["B3"].value == "All (N = 2)" and ws["B3"].alignment.horizontal == "center"
    assert ws["B3"].border.top.style == "thin" and ws["B3"].border.bottom.style == "thin"
    assert ws["A3"].value is None and ws["A3"].border.bottom.style == "thin"  # styled empty cell kept
    assert isinstance(ws["A4"].value, CellRichText) and str(ws["A4"].value) == "Mediana"
    assert ws["A4"].value[1].font.vertAlign == "superscript" and ws["A4"].alignment.indent == 1
    assert ws["B4"].value == "70.5 (51–84)"
    row = [c.value for c in ws[5]]
    assert row[:2] == [1, 2.5] and row[2] is None and row[3] is None and row[4] is None
    assert row[5] == "=1+1" and ws["F5"].data_type == "s"  # text, never a formula
    # a control character XML cannot carry is written as Excel's _xHHHH_ escape (Excel shows the
    # character; openpyxl leaves the escape); literal text that looks like an escape is protected
    assert row[6:] == ["a & <b>", "tab\there_x0001_", "_x0041_", "True"]
    assert all(c.value is None for c in ws[6])  # infinities: empty cells
    assert ws.column_dimensions["A"].width == 60
    assert ws.column_dimensions["B"].width == 22


def test_workbook_bytes_are_deterministic():
    assert _book().to_bytes() == _book().to_bytes()


def test_column_letters():
    assert [column_letter(i) for i in (1, 26, 27, 52, 703)] == ["A", "Z", "AA", "AZ", "AAA"]


def test_empty_workbook_has_a_sheet():
    assert load_workbook(io.BytesIO(Workbook().to_bytes())).sheetnames == ["Sheet"]


def test_formula_injection_guard(tmp_path):
    wb = Workbook()
    ws = wb.sheet("x")
    for text in ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "plain"]:
        ws.append([text])
    path = tmp_path / "x.xlsx"
    path.write_bytes(wb.to_bytes())
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    assert [c.value for c in load_workbook(path).active["A"]] == ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "plain"]
