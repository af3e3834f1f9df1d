"""Robustness: a catalogue of raw-data and spec faults, each planted in a copy of the committed study.

Every fault ends in one of two ways (README, "What happens with bad input"):

* refused: exit code 2 and ONE stderr line naming the file, and the row, field and value where
  they exist; nothing under sdtm/ changes, no temporary file is left, and a rerun refuses again
  (a failed step is never recorded as up to date);
* worked around: exit code 0, nothing on stderr, the data issue and the rule applied in
  sdtm/issues.csv, and every raw record still accounted for in sdtm/reconciliation.csv.

The rule of thumb: a value that cannot be true on its own (31 FEB, a term outside a closed
codelist, a negative concentration, a partial date where the CRF requires a complete one, bytes
that are not text) is refused — SDTM would otherwise carry a guess. Values that are each plausible
but disagree with each other (an AE that ends before it starts, a dose after the death date) are
kept as collected and reported, as a study does while the query is open. Cosmetic export
differences (a byte-order mark, an extra column) are worked around and reported.

One clean build of the committed study is shared (module fixture); each test copies it, so a
rerun only rebuilds the steps whose inputs the fault touched.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from trialflow.cli import main
from trialflow.errors import SpecError
from trialflow.metadata import load_specs
from trialflow.xpt import read_xpt

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------------
# fixtures and helpers
# --------------------------------------------------------------------------------------------
def _quiet_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The committed study (specs/ + raw/) copied and built through SDTM once."""
    root = tmp_path_factory.mktemp("committed") / "study"
    root.mkdir()
    shutil.copytree(ROOT / "specs", root / "specs")
    shutil.copytree(ROOT / "raw", root / "raw")
    code, out, err = _quiet_main(["--study-dir", str(root), "sdtm"])
    assert code == 0, err
    assert err == ""
    return root


@pytest.fixture
def study(built, tmp_path) -> Path:
    """A private copy of the clean build (outputs and .trialflow state included)."""
    dest = tmp_path / "study"
    shutil.copytree(built, dest, symlinks=True)
    return dest


def sdtm(study: Path, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--study-dir", str(study), "sdtm", *args])
    cap = capsys.readouterr()
    return code, cap.err, cap.out


def snapshot(study: Path, folder: str = "sdtm") -> dict[str, str]:
    """sha256 of every file under study/folder, by relative path."""
    base = study / folder
    return {str(p.relative_to(base)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(base.rglob("*")) if p.is_file()}


def leftovers(study: Path) -> list[str]:
    return [str(p.relative_to(study)) for p in study.rglob("*.tmp")]


def raw_path(study: Path, form: str) -> Path:
    return study / "raw" / f"{form}.csv"


def read_rows(study: Path, form: str) -> tuple[list[str], list[list[str]]]:
    text = raw_path(study, form).read_bytes().decode("utf-8-sig")
    rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    return rows[0], rows[1:]


def find_row(study: Path, form: str, **match: str) -> int:
    """1-based data row (header not counted) of the first record whose fields equal match."""
    header, rows = read_rows(study, form)
    idx = {k: header.index(k) for k in match}
    for n, r in enumerate(rows, 1):
        if all(r[idx[k]] == v for k, v in match.items()):
            return n
    raise AssertionError(f"no {form} row with {match}")


def _line(values: list[str]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(values)
    return buf.getvalue().encode("utf-8")


def edit_row(study: Path, form: str, row: int, **fields: str) -> dict[str, str]:
    """Change fields of one data row, leaving every other byte of the file as it was.
    Returns the row's previous values."""
    path = raw_path(study, form)
    lines = path.read_bytes().split(b"\n")
    header, rows = read_rows(study, form)
    old = rows[row - 1]
    new = list(old)
    for k, v in fields.items():
        new[header.index(k)] = v
    lines[row] = _line(new)
    path.write_bytes(b"\n".join(lines))
    return dict(zip(header, old))


def append_row(study: Path, form: str, **fields: str) -> int:
    """Append a record (fields not given are blank); returns its 1-based data row."""
    path = raw_path(study, form)
    header, rows = read_rows(study, form)
    data = path.read_bytes()
    if not data.endswith(b"\n"):
        data += b"\n"
    path.write_bytes(data + _line([fields.get(h, "") for h in header]) + b"\n")
    return len(rows) + 1


def issues(study: Path) -> pd.DataFrame:
    return pd.read_csv(study / "sdtm" / "issues.csv", dtype=str, keep_default_na=False)


def dataset(study: Path, name: str) -> pd.DataFrame:
    return read_xpt(study / "sdtm" / f"{name}.xpt")[0]


def assert_refused(study: Path, capsys, *, file: str, row: int | None = None, field: str | None = None,
                   value: str | None = None, message: str | None = None) -> str:
    """Exit 2, one stderr line naming file/row/field/value; sdtm/ untouched; no temp files;
    and the failed step is not recorded as up to date (a rerun refuses the same way)."""
    before = snapshot(study)
    code, err, _ = sdtm(study, capsys)
    lines = err.strip().splitlines()
    assert "Traceback" not in err
    assert code == 2, f"exit {code}, stderr: {err!r}"
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("error: "), line  # a TrialflowError, not an 'internal error'
    assert file in line, line
    if row is not None:
        assert re.search(rf"\brow {row}\b", line), line
    if field is not None:
        assert re.search(rf"\bfield {re.escape(field)}\b", line), line
    if value is not None:
        assert f"value {value!r}" in line, line
    if message is not None:
        assert message in line, line
    assert leftovers(study) == []
    assert snapshot(study) == before, "a refused run changed files under sdtm/"
    code2, err2, _ = sdtm(study, capsys)
    assert (code2, err2) == (code, err), "the failed step was recorded as up to date"
    return line


def raw_census(study: Path) -> dict[str, list[str]]:
    """Per raw form, the SUBJECT of each data row, read straight from the CSV (not via trialflow)."""
    out = {}
    for path in sorted((study / "raw").glob("*.csv")):
        data = path.read_bytes().decode("utf-8-sig")
        rows = [r for r in csv.reader(io.StringIO(data, newline="")) if r]
        if not rows:
            out[path.stem] = []
            continue
        i = rows[0].index("SUBJECT")
        out[path.stem] = [r[i] for r in rows[1:]]
    return out


def assert_reconciled(study: Path) -> pd.DataFrame:
    """sdtm/reconciliation.csv accounts for every raw record: per form rows in = mapped + excluded,
    0 unaccounted, one line per raw row (same subject), a reason on every exclusion."""
    rec = pd.read_csv(study / "sdtm" / "reconciliation.csv", dtype=str, keep_default_na=False)
    census = raw_census(study)
    assert set(rec["FORM"]) <= set(census), "reconciliation lists a form that is not in raw/"
    summary = []
    for form, subjects in census.items():
        r = rec[rec["FORM"] == form]
        n = len(subjects)
        assert r["ROW"].astype(int).tolist() == list(range(1, n + 1)), f"{form}: rows differ from the raw file"
        assert r["SUBJECT"].tolist() == subjects, f"{form}: subjects differ from the raw file"
        mapped = int((r["STATUS"] == "MAPPED").sum())
        excluded = int((r["STATUS"] == "EXCLUDED").sum())
        assert set(r["STATUS"]) <= {"MAPPED", "EXCLUDED"}, f"{form}: unaccounted records"
        assert mapped + excluded == n
        assert (r.loc[r["STATUS"] == "MAPPED", "DOMAINS"] != "").all()
        assert (r.loc[r["STATUS"] == "EXCLUDED", "REASON"] != "").all()
        summary.append({"FORM": form, "RAW": n, "MAPPED": mapped, "EXCLUDED": excluded})
    return pd.DataFrame(summary).set_index("FORM")


def assert_worked_around(study: Path, capsys, *, form: str, row: int | None, field: str,
                         value: str | None = None, rule: str | None = None) -> pd.DataFrame:
    """Exit 0, nothing on stderr, the issue (form, row, field[, value], rule) in sdtm/issues.csv,
    every raw record reconciled, no temp files. Returns the matching issue rows."""
    code, err, _ = sdtm(study, capsys)
    assert "Traceback" not in err
    assert code == 0, f"exit {code}, stderr: {err!r}"
    assert err == ""
    assert leftovers(study) == []
    iss = issues(study)
    hit = iss[(iss["FORM"] == form) & (iss["ROW"] == ("" if row is None else str(row)))
              & iss["FIELD"].str.fullmatch(field)]
    if value is not None:
        hit = hit[hit["VALUE"].str.fullmatch(value)]
    assert len(hit), f"no data issue for {form} row {row} field {field}; issues.csv:\n{iss.to_string()}"
    assert (hit["RULE"].str.strip() != "").all(), "issue without the rule applied"
    if rule is not None:
        assert hit["RULE"].str.contains(rule, case=False, regex=False).any(), hit["RULE"].tolist()
    assert_reconciled(study)
    return hit


# --------------------------------------------------------------------------------------------
# 1. the fault catalogue
# --------------------------------------------------------------------------------------------
def test_missing_required_column(study, capsys):
    path = raw_path(study, "lb")
    path.write_bytes(path.read_bytes().replace(b",LBORRESU,", b",UNITS,", 1))
    # a header fault: there is no data row or value to name
    assert_refused(study, capsys, file="lb.csv", field="LBORRESU", message="required column missing")


def test_unexpected_extra_column(study, capsys):
    before = snapshot(study)
    path = raw_path(study, "ae")
    lines = path.read_bytes().split(b"\n")
    lines = [ln + (b",COMMENT" if i == 0 else b",see query 12") if ln else ln for i, ln in enumerate(lines)]
    path.write_bytes(b"\n".join(lines))
    assert_worked_around(study, capsys, form="ae", row=None, field="COMMENT")
    assert snapshot(study)["ae.xpt"] == before["ae.xpt"]  # the column is ignored: AE unchanged


def test_empty_file(study, capsys):
    raw_path(study, "cd38").write_bytes(b"")
    assert_refused(study, capsys, file="cd38.csv", message="empty")


def test_header_only_file_is_a_form_without_records(study, capsys):
    """Not a fault: an EDC export of a form nobody filled in has its header and no rows."""
    path = raw_path(study, "cd38")
    path.write_bytes(path.read_bytes().split(b"\n", 1)[0] + b"\n")
    code, err, _ = sdtm(study, capsys)
    assert (code, err) == (0, "")
    assert len(dataset(study, "cp")) == 0
    assert assert_reconciled(study).loc["cd38", "RAW"] == 0


def test_raw_file_missing(study, capsys):
    raw_path(study, "mh").unlink()
    assert_refused(study, capsys, file="mh.csv", message="missing")


def test_non_utf8_bytes(study, capsys):
    row = find_row(study, "ae", AETERM="Loss of appetite")
    edit_row(study, "ae", row, AETERM="P\u00e9rdida de apetito")
    path = raw_path(study, "ae")
    path.write_bytes(path.read_bytes().replace("P\u00e9rdida".encode(), b"P\xe9rdida"))
    line = assert_refused(study, capsys, file="ae.csv", row=row, field="AETERM", message="not UTF-8")
    assert "P\\\\xe9rdida de apetito" in line  # the offending byte shown, escaped


def test_byte_order_mark(study, capsys):
    before = snapshot(study)
    path = raw_path(study, "cm")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert_worked_around(study, capsys, form="cm", row=None, field="", value="EF BB BF", rule="byte-order mark")
    assert snapshot(study)["cm.xpt"] == before["cm.xpt"]


def test_impossible_date(study, capsys):
    row = find_row(study, "ae", AETERM="Loss of appetite")
    edit_row(study, "ae", row, AEENDAT="31 FEB 2017")
    assert_refused(study, capsys, file="ae.csv", row=row, field="AEENDAT", value="31 FEB 2017",
                   message="impossible date")


def test_partial_date_where_crf_requires_full(study, capsys):
    row = find_row(study, "ex", SUBJECT="056001-001", FOLDER="C1D1")  # the first infusion: RFXSTDTC
    edit_row(study, "ex", row, EXSTDAT="UN MAR 2017")
    assert_refused(study, capsys, file="ex.csv", row=row, field="EXSTDAT", value="UN MAR 2017")


def test_value_outside_codelist(study, capsys):
    row = find_row(study, "ae", AETERM="Loss of appetite")
    edit_row(study, "ae", row, AESER="Maybe")
    assert_refused(study, capsys, file="ae.csv", row=row, field="AESER", value="Maybe",
                   message="outside codelist NY")


def test_value_outside_extensible_codelist_is_kept_and_reported(study, capsys):
    row = find_row(study, "lb", SUBJECT="056001-001", LBTEST="Albumin", FOLDER="SCRN")
    edit_row(study, "lb", row, LBORRESU="g/100mL")
    assert_worked_around(study, capsys, form="lb", row=row, field="LBORRESU", value="g/100mL",
                         rule="extensible codelist UNIT")
    lb = dataset(study, "lb")
    rec = lb[(lb["USUBJID"] == "TCD14079-056001-001") & (lb["LBTESTCD"] == "ALB") & (lb["VISITNUM"] == 1)]
    assert rec["LBORRESU"].tolist() == ["G/100ML"] and rec["LBSTRESN"].isna().all()


def test_duplicate_record_exact_copy_is_excluded(study, capsys):
    before = snapshot(study)
    header, rows = read_rows(study, "ae")
    copy = dict(zip(header, rows[0]), RECORDPOSITION="99")
    row = append_row(study, "ae", **copy)
    assert_worked_around(study, capsys, form="ae", row=row, field="", rule="exact duplicate of row 1")
    rec = pd.read_csv(study / "sdtm" / "reconciliation.csv", dtype=str, keep_default_na=False)
    assert rec[(rec["FORM"] == "ae") & (rec["ROW"] == str(row))]["STATUS"].tolist() == ["EXCLUDED"]
    assert snapshot(study)["ae.xpt"] == before["ae.xpt"]


def test_duplicate_record_conflicting_content(study, capsys):
    header, rows = read_rows(study, "ae")
    first = dict(zip(header, rows[0]))
    row = append_row(study, "ae", **{**first, "AETERM": "Nausea", "AELLT": "Nausea", "AEDECOD": "Nausea"})
    key = f"{first['SUBJECT']}/{first['FOLDER']}/{first['RECORDPOSITION']}"
    assert_refused(study, capsys, file="ae.csv", row=row, field="RECORDPOSITION", value=key)


def test_subject_in_form_but_not_in_demographics(study, capsys):
    before = snapshot(study)
    header, rows = read_rows(study, "ae")
    row = append_row(study, "ae", **{**dict(zip(header, rows[0])), "SUBJECT": "056001-099"})
    assert_worked_around(study, capsys, form="ae", row=row, field="SUBJECT", value="056001-099",
                         rule="not in demographics")
    rec = pd.read_csv(study / "sdtm" / "reconciliation.csv", dtype=str, keep_default_na=False)
    assert rec[(rec["FORM"] == "ae") & (rec["ROW"] == str(row))]["STATUS"].tolist() == ["EXCLUDED"]
    assert snapshot(study)["ae.xpt"] == before["ae.xpt"]


def test_ae_end_before_start(study, capsys):
    row = find_row(study, "ae", AETERM="Loss of appetite")
    old = edit_row(study, "ae", row, AEENDAT="04 MAY 2017")
    assert old["AESTDAT"] == "20 MAY 2017"
    assert_worked_around(study, capsys, form="ae", row=row, field=".*(AEENDAT|AEENDTC).*",
                         value=".*(04 MAY 2017|2017-05-04).*")
    ae = dataset(study, "ae")
    rec = ae[(ae["USUBJID"] == "TCD14079-056001-001") & (ae["AETERM"] == "Loss of appetite")]
    assert rec[["AESTDTC", "AEENDTC"]].values.tolist() == [["2017-05-20", "2017-05-04"]]  # kept as collected


def test_dose_after_death(study, capsys):
    surv_row = find_row(study, "surv", SUBJECT="056001-001", SURVSTAT="Dead")
    header, rows = read_rows(study, "surv")
    death = dict(zip(header, rows[surv_row - 1]))["DTHDAT"]
    assert death == "07 AUG 2018"
    row = append_row(study, "ex", STUDY="TCD14079", SITE="056001", SUBJECT="056001-001", FOLDER="C4D1",
                     RECORDPOSITION="1", EXSTDAT="20 AUG 2018", EXSTTIM="09:00", EXENTIM="11:00", EXDOSE="20",
                     WEIGHT="75.0", EXINT="No")
    assert_worked_around(study, capsys, form="ex", row=row, field=".*(EXSTDAT|EXSTDTC).*",
                         value=".*(20 AUG 2018|2018-08-20).*")
    ex = dataset(study, "ex")
    assert (ex["EXSTDTC"] == "2018-08-20T09:00").sum() == 1  # kept as collected


def test_negative_lab_value(study, capsys):
    row = find_row(study, "lb", SUBJECT="056001-001", FOLDER="SCRN", LBTEST="Urine M-protein")
    edit_row(study, "lb", row, LBORRES="-35")
    assert_refused(study, capsys, file="lb.csv", row=row, field="LBORRES", value="-35")


def test_yaml_syntax_error_in_spec(study, capsys):
    path = study / "specs" / "sdtm" / "AE.yaml"
    lines = path.read_text().splitlines(keepends=True)
    n = next(i for i, ln in enumerate(lines, 1) if ln.startswith("label: "))
    lines[n - 1] = "label: Adverse: Events\n"
    path.write_text("".join(lines))
    assert_refused(study, capsys, file="specs/sdtm/AE.yaml", row=n, message="YAML syntax error")


def test_spec_names_unknown_codelist(study, capsys):
    path = study / "specs" / "sdtm" / "AE.yaml"
    text = path.read_text()
    new = re.sub(r"(\{name: AESER,[^}]*?codelist: )NY\b", r"\1NOSUCHCL", text, count=1)
    assert new != text
    path.write_text(new)
    assert_refused(study, capsys, file="specs/sdtm/AE.yaml", field="variables.AESER.codelist", value="NOSUCHCL",
                   message="unknown codelist")


def test_supplemental_qualifier_names_unknown_codelist(study, capsys):
    path = study / "specs" / "sdtm" / "AE.yaml"
    text = path.read_text()
    new = re.sub(r"(\{qnam: AEIR,[^}]*?codelist: )NY\b", r"\1NOSUCHCL", text, count=1)
    assert new != text
    path.write_text(new)
    line = assert_refused(study, capsys, file="specs/sdtm/AE.yaml", value="NOSUCHCL", message="unknown codelist")
    assert "AEIR" in line


# --------------------------------------------------------------------------------------------
# 2. nothing lost: every raw record mapped or excluded with a reason
# --------------------------------------------------------------------------------------------
def test_committed_study_reconciles(built):
    summary = assert_reconciled(built)
    assert summary["RAW"].sum() == sum(len(s) for s in raw_census(built).values()) > 0
    assert set(summary.index) == {p.stem for p in (ROOT / "raw").glob("*.csv")}
    assert issues(built).empty  # the committed study is clean


def test_scale_study_reconciles(tmp_path):
    from trialflow.simulate import simulate

    root = tmp_path / "scale"
    shutil.copytree(ROOT / "specs", root / "specs")
    rows = simulate(root / "raw", n_subjects=300, seed=11)
    code, out, err = _quiet_main(["--study-dir", str(root), "sdtm"])
    assert (code, err) == (0, "")
    summary = assert_reconciled(root)
    assert summary["RAW"].to_dict() == rows
    assert leftovers(root) == []
    assert len(dataset(root, "dm")) == 300


# --------------------------------------------------------------------------------------------
# 4. safety: specs are data, outputs stay inside the study folder
# --------------------------------------------------------------------------------------------
PAYLOAD = "!!python/object/apply:os.system ['touch {marker}']"


@pytest.mark.parametrize("spec", ["study.yaml", "codelists.yaml", "sdtm/AE.yaml", "adam/ADSL.yaml",
                                  "tlf/f1a.yaml"])
def test_python_tag_in_spec_is_refused_not_executed(study, capsys, tmp_path, spec):
    marker = tmp_path / "executed"
    path = study / "specs" / spec
    path.write_text(path.read_text() + f"\nzz_payload: {PAYLOAD.format(marker=marker)}\n")
    with pytest.raises(SpecError) as exc:
        load_specs(study / "specs")
    assert spec in str(exc.value).replace("\\", "/")
    assert not marker.exists()
    assert_refused(study, capsys, file=f"specs/{spec}")
    assert not marker.exists()


def test_spec_loader_is_safe():
    """No module of trialflow reads YAML with a loader that can build Python objects."""
    unsafe = re.compile(r"yaml\.(unsafe_load|full_load|load_all)\(|Loader=yaml\.(Unsafe|Full)?Loader\b|"
                        r"UnsafeLoader|FullLoader|yaml\.load\((?![^)]*Loader=SAFE_LOADER)")
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in sorted((ROOT / "src").rglob("*.py"))
            for i, ln in enumerate(p.read_text().splitlines(), 1) if unsafe.search(ln)]
    assert hits == []
    assert yaml.safe_load("a: 1") == {"a": 1}


def test_output_path_outside_study_is_refused(study, capsys):
    outside = study.parent / "escape.xlsx"
    code = main(["--study-dir", str(study), "specs", "export", "--xlsx", "../escape.xlsx", "--no-define"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "leaves the study folder" in err[0]
    assert not outside.exists()
    assert leftovers(study) == []


def test_output_folder_symlinked_outside_study_is_refused(study, capsys, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.rmtree(study / "sdtm")
    (study / "sdtm").symlink_to(outside, target_is_directory=True)
    code, err, _ = sdtm(study, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "leaves the study folder" in err
    assert list(outside.iterdir()) == []
