"""Bad raw data: a one-line error naming file, row, field and value (exit 2), or a data issue with the
rule applied in sdtm/issues.csv and the record accounted for in sdtm/reconciliation.csv.
Never a traceback, never a silently dropped record."""

import pandas as pd
import pytest

from .helpers import csv_text, make_study
from trialflow.cli import main


def run(study, capsys, *args):
    code = main(["--study-dir", str(study.root), "sdtm", *args])
    cap = capsys.readouterr()
    return code, cap.err.strip().splitlines(), cap.out


def one_line_error(code, err):
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error: ") and "Traceback" not in err[0]
    return err[0]


def edit(study, form, fn):
    p = study.raw / f"{form}.csv"
    p.write_bytes(fn(p.read_bytes()))


def test_value_outside_codelist(mini, capsys):
    edit(mini, "dm", lambda b: b.replace(b",Female,", b",Femme,"))
    line = one_line_error(*run(mini, capsys)[:2])
    assert "outside codelist SEX" in line
    assert "dm.csv" in line and "row 2" in line and "field SEX" in line and "'Femme'" in line


def test_impossible_date(mini, capsys):
    edit(mini, "ae", lambda b: b.replace(b"12 MAR 2018,13 MAR 2018", b"12 MAR 2018,31 FEB 2018"))
    line = one_line_error(*run(mini, capsys)[:2])
    assert "impossible date" in line and "ae.csv" in line and "row 2" in line and "field AEENDAT" in line
    assert "'31 FEB 2018'" in line


def lineage(study, name, kind=""):
    return pd.read_csv(study.sdtm / "lineage" / f"{name}{kind}.csv", dtype=str, keep_default_na=False)


def test_subject_missing_from_demographics_is_excluded_with_an_issue(mini, rows, capsys):
    rows["ae"].append(("999001-001", "LOG", dict(rows["ae"][0][2])))
    (mini.raw / "ae.csv").write_text(csv_text("ae", rows["ae"]))
    code, err, out = run(mini, capsys, "ae")  # AE and what it needs (DM, SE)
    assert code == 0
    issues = lineage(mini, "ae", "_issues")
    assert issues[["FORM", "ROW", "SUBJECT", "FIELD", "RULE"]].values.tolist() == [
        ["ae", "4", "999001-001", "SUBJECT", "subject not in demographics (DM): record excluded"]]
    lin = lineage(mini, "ae")
    r = lin[lin["ROW"] == "4"].iloc[0]
    assert r["STATUS"] == "EXCLUDED" and "not in demographics" in r["REASON"]
    assert len(mini.read_dataset("AE")) == 3


def test_exact_duplicate_record_is_excluded_with_an_issue(mini, capsys):
    edit(mini, "ae", lambda b: b + b.splitlines()[1].replace(b",LOG,1,", b",LOG,4,") + b"\n")
    code, err, out = run(mini, capsys, "ae")
    assert code == 0
    assert lineage(mini, "ae", "_issues")["RULE"].tolist() == ["exact duplicate of row 1: later copy excluded"]
    lin = lineage(mini, "ae")
    assert lin[lin["ROW"] == "4"]["STATUS"].tolist() == ["EXCLUDED"]
    assert len(mini.read_dataset("AE")) == 3


def test_duplicate_finding_with_other_value_is_an_input_error(mini, capsys):
    line = b"TCD14079,840001,840001-001,SCRN,9,02 MAR 2018,Albumin,36,g/L,\n"
    edit(mini, "lb", lambda b: b + line)
    err = one_line_error(*run(mini, capsys)[:2])
    assert "duplicate LB record" in err and "lb.csv" in err and "row 6" in err and "row 1" in err


def test_same_edc_key_different_content(mini, capsys):
    edit(mini, "ae", lambda b: b + b.splitlines()[1].replace(b"Headache,Headache,Headache", b"Nausea,Nausea,Nausea") + b"\n")
    err = one_line_error(*run(mini, capsys)[:2])
    assert "share SUBJECT/FOLDER/RECORDPOSITION" in err and "row 4" in err and "840001-001/LOG/1" in err


def test_missing_required_column(mini, capsys):
    edit(mini, "lb", lambda b: b.replace(b",LBORRESU,", b",UNITS,"))
    err = one_line_error(*run(mini, capsys)[:2])
    assert "required column missing" in err and "lb.csv" in err and "field LBORRESU" in err


@pytest.mark.parametrize("form", ["cd38", "dm"])
def test_empty_file(mini, capsys, form):
    (mini.raw / f"{form}.csv").write_bytes(b"")
    err = one_line_error(*run(mini, capsys)[:2])
    assert "empty" in err and f"{form}.csv" in err


def test_missing_file(mini, capsys):
    (mini.raw / "mh.csv").unlink()
    err = one_line_error(*run(mini, capsys, "mh")[:2])
    assert "missing" in err and "mh.csv" in err


def test_non_utf8_bytes(mini, capsys):
    edit(mini, "ae", lambda b: b.replace(b"Dizziness,Dizziness", b"Mareo\xf3,Dizziness", 1))
    err = one_line_error(*run(mini, capsys)[:2])
    assert "not UTF-8" in err and "ae.csv" in err and "row 2" in err and "field AETERM" in err
    assert "Mareo\\\\xf3" in err or "Mareo\\xf3" in err


def test_bom_is_removed_and_recorded(mini, capsys):
    edit(mini, "cm", lambda b: b"\xef\xbb\xbf" + b)
    code, err, out = run(mini, capsys, "cm")
    assert code == 0
    assert lineage(mini, "cm", "_issues")["RULE"].tolist() == ["UTF-8 byte-order mark at start of file: removed"]
    assert len(mini.read_dataset("CM")) == 5


def test_malformed_row(mini, capsys):
    edit(mini, "ae", lambda b: b.replace(b"Not related,Not applicable,Recovered/resolved,No\n",
                                         b"Not related,Not applicable,Recovered/resolved,No,extra\n", 1))
    err = one_line_error(*run(mini, capsys)[:2])
    assert "malformed CSV row" in err and "ae.csv" in err and "row 1" in err


def test_unknown_visit_folder(mini, capsys):
    edit(mini, "sv", lambda b: b.replace(b",C1D8,", b",UNSCH,"))
    err = one_line_error(*run(mini, capsys)[:2])
    assert "unknown visit folder" in err and "sv.csv" in err and "row 3" in err and "'UNSCH'" in err


def test_unmapped_raw_form_fails_reconciliation(mini, capsys):
    (mini.raw / "qs.csv").write_text("STUDY,SITE,SUBJECT,FOLDER,RECORDPOSITION,X\nTCD14079,840001,840001-001,SCRN,1,a\n")
    code, err, out = run(mini, capsys)
    assert code == 1 and "neither mapped nor excluded" in err[-1] and "qs.csv" in err[-1]
    rec = pd.read_csv(mini.sdtm / "reconciliation.csv", dtype=str, keep_default_na=False)
    assert rec[rec["FORM"] == "qs"]["STATUS"].tolist() == ["UNACCOUNTED"]


def test_record_of_another_study(tmp_path, rows, capsys):
    study = make_study(tmp_path)
    edit(study, "ex", lambda b: b.replace(b"TCD14079,840001,840001-001,C1D8", b"TCD99999,840001,840001-001,C1D8"))
    err = one_line_error(*run(study, capsys)[:2])
    assert "another study" in err and "ex.csv" in err and "row 2" in err and "field STUDY" in err
