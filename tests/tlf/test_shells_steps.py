"""The committed shells parse; steps declare inputs, outputs and ADaM dependencies; shell errors are clear."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from trialflow.errors import SpecError
from trialflow.study import Study
from trialflow.tlf.shell import load_shells, parse_shell
from trialflow.tlf.steps import steps

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = ["f1a", "f1b", "f2", "l1", "l2", "t1", "ts1", "ts2", "ts3", "ts4", "ts5"]


@pytest.fixture
def study(tmp_path) -> Study:
    (tmp_path / "specs").mkdir()
    shutil.copy(ROOT / "specs" / "study.yaml", tmp_path / "specs" / "study.yaml")
    shutil.copytree(ROOT / "specs" / "tlf", tmp_path / "specs" / "tlf")
    shutil.copytree(ROOT / "specs" / "adam", tmp_path / "specs" / "adam")
    shutil.copy(ROOT / "specs" / "codelists.yaml", tmp_path / "specs" / "codelists.yaml")
    return Study(tmp_path)


def test_committed_shells_parse(study):
    shells = load_shells(study.specs)
    assert sorted(shells) == OUTPUTS
    t1 = shells["t1"]
    published = [p for r in t1.rows for p in r.published]
    assert len(published) == 57 and all(p.target and p.target.startswith("T1_") for p in published)
    # the one printed value no data can give is marked in its shell, with its denominator for the GRIM check
    ts3 = shells["ts3"]
    (cell,) = [p for r in ts3.rows for p in r.published if p.irreproducible]
    assert cell.value == "26.4%" and cell.pct_denominator == 20 and cell.target == "C_DCR_WASHOUT_LT6M"


def test_steps_declare_inputs_outputs_deps(study):
    got = {s.target: s for s in steps(study)}
    assert sorted(got) == sorted([*OUTPUTS, "index"])
    t1 = got["t1"]
    assert t1.layer == "tlf" and t1.name == "tlf:t1"
    assert t1.deps == ["adam:ADSL"]
    assert study.root / "specs" / "tlf" / "t1.yaml" in t1.inputs
    assert study.adam / "adsl.xpt" in t1.inputs
    names = sorted(p.name for p in t1.outputs)
    assert names == ["t1.html", "t1.json", "t1.rtf", "t1.xlsx"]
    assert sorted(got["ts2"].deps) == ["adam:ADRS", "adam:ADSL", "adam:ADTTE"]
    assert sorted(p.name for p in got["f2"].outputs) == ["f2.html", "f2.json", "f2.png", "f2.rtf", "f2.svg"]
    assert set(got["index"].deps) == {f"tlf:{o}" for o in OUTPUTS}


@pytest.mark.parametrize("patch,field", [
    ({"population": None}, "population"),
    ({"rows": [{"key": "A", "label": "a", "stat": "nosuch"}]}, "rows[0].stat"),
    ({"rows": [{"label": "a", "stat": "count_pct"}]}, "rows[0].key"),
    ({"rows": [{"key": "A", "label": "a", "stat": "count_pct", "where": "os.system('x')"}]}, "rows[0].where"),
    ({"rows": [{"key": "A", "label": "a", "stat": "count_pct", "typo": 1}]}, "rows[0].typo"),
    ({"rows": [{"key": "A", "label": "a", "stat": "count_pct"}, {"key": "A", "label": "b", "stat": "n"}]}, "rows"),
    ({"rows": [{"key": "A", "label": "a", "stat": "count_pct", "published": [{"value": "1", "column": "ZZ"}]}]},
     "A.published"),
])
def test_bad_shells_name_file_and_key(tmp_path, patch, field):
    raw = {"id": "tx", "title": "T", "population": 'SAFFL == "Y"', "rows": [], **patch}
    path = tmp_path / "tx.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(SpecError) as err:
        parse_shell(raw, path)
    assert str(path) in str(err.value) and field in str(err.value)


def test_shell_reading_sdtm_is_refused(tmp_path):
    """TLFs read ADaM only: a shell naming an SDTM domain is a spec error, not a quiet read."""
    import shutil

    from trialflow.cli import main
    from tests.conftest import ROOT

    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    shell = tmp_path / "specs" / "tlf" / "l1.yaml"
    text = shell.read_text()
    assert "dataset: ADSL" in text
    shell.write_text(text.replace("dataset: ADSL", "dataset: DM", 1))
    assert main(["--study-dir", str(tmp_path), "tlf", "l1"]) == 2
