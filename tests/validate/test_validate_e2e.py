"""Acceptance of `trialflow validate` on the committed study: every reproducible published value is
reproduced, 26.4 % is irreproducible, no dataset rule errors; and one changed value (an ADSL age, an
AE grade in raw, a response record in raw) makes it fail naming the cell."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT
from trialflow.cli import main
from trialflow.study import Study


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    study = tmp_path_factory.mktemp("study")
    for name in ("specs", "raw"):
        shutil.copytree(ROOT / name, study / name)
    assert main(["--study-dir", str(study), "--jobs", "2", "run"]) == 0  # steps forked, two at a time
    return study


def test_parallel_run_reproduces_committed_outputs(built):
    """Two steps at a time, each in its own process: the same bytes as the committed study."""
    differ = [str(p.relative_to(ROOT)) for folder in ("sdtm", "adam", "tlf") for p in sorted((ROOT / folder).rglob("*"))
              if p.is_file() and p.read_bytes() != (built / p.relative_to(ROOT)).read_bytes()]
    assert not differ


def _copy(built: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(built, dst)
    return dst


def test_committed_study_validates(built):
    report = json.loads((built / "tlf" / "validation.json").read_text())
    s = report["summary"]
    assert s["dataset_errors"] == 0 and s["tlf_differs"] == 0
    assert s["tlf_reproduced"] >= 90
    irr = [c for c in report["tlf"] if c["status"] == "irreproducible"]
    assert [(c["output"], c["published"], c["produced"]) for c in irr] == [("ts3", "26.4%", "25.0%")]
    t1 = {c["row"]: c for c in report["tlf"] if c["output"] == "t1"}
    assert all(c["status"] == "reproduced" for c in t1.values()) and len(t1) >= 50


def test_changed_adsl_age_fails_naming_the_cell(built, tmp_path, capsys):
    study = _copy(built, tmp_path)
    s = Study(study)
    adsl = s.read_dataset("ADSL")
    adsl.loc[adsl["AGE"].idxmax(), "AGE"] = 90.0
    s.write_dataset(adsl, "ADSL")
    capsys.readouterr()
    assert main(["--study-dir", str(study), "validate"]) == 1
    out = capsys.readouterr()
    assert "DIFFERS t1" in out.out and "'70.5 (51–90)'" in out.out
    assert "validation failed" in out.err


def test_changed_ae_grade_in_raw_fails(built, tmp_path, capsys):
    study = _copy(built, tmp_path)
    ae = pd.read_csv(study / "raw" / "ae.csv", dtype=str, keep_default_na=False)
    worst = ae.groupby("SUBJECT")["AETOXGR"].transform("max")
    row = ae.index[worst.astype(int) < 3][0]
    ae.loc[row, "AETOXGR"] = "4"
    (study / "raw" / "ae.csv").write_text(ae.to_csv(index=False, lineterminator="\n"))
    capsys.readouterr()
    assert main(["--study-dir", str(study), "run"]) == 1
    out = capsys.readouterr().out
    assert "published '16 (50.0%)', produced '17 (53.1%)'" in out
    assert any(line.strip().startswith("DIFFERS ts4") for line in out.splitlines()), out


def test_changed_response_record_in_raw_fails(built, tmp_path, capsys):
    study = _copy(built, tmp_path)
    path = study / "raw" / "rsp.csv"
    path.write_text(path.read_text().replace("Minimal response", "Stable disease"))
    capsys.readouterr()
    assert main(["--study-dir", str(study), "run"]) == 1
    out = capsys.readouterr().out
    assert "DIFFERS ts2" in out
