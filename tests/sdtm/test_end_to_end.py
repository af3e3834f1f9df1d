"""`trialflow sdtm` on the committed raw/: every domain written, every raw record accounted for,
and the committed sdtm/ equal to a fresh build byte for byte (so it is never stale)."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from .helpers import ROOT
from trialflow.cli import main
from trialflow.study import Study

RAW = ROOT / "raw"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A fresh build from the committed raw/ and SDTM specs, in a scratch study folder."""
    root = tmp_path_factory.mktemp("e2e")
    specs = root / "specs"
    (specs / "adam").mkdir(parents=True)
    shutil.copytree(ROOT / "specs" / "sdtm", specs / "sdtm")
    for f in ("codelists.yaml", "study.yaml"):
        shutil.copy(ROOT / "specs" / f, specs / f)
    (root / "raw").mkdir()
    for p in RAW.glob("*.csv"):
        shutil.copy(p, root / "raw" / p.name)
    assert main(["--study-dir", str(root), "sdtm"]) == 0
    return Study(root)


def test_every_domain_written_and_no_record_unaccounted(fresh):
    for name in fresh.specs.sdtm:
        df = fresh.read_dataset(name)
        assert len(df) > 0, name
    rec = pd.read_csv(fresh.sdtm / "reconciliation.csv", dtype=str, keep_default_na=False)
    n_raw = sum(len(pd.read_csv(p, dtype=str)) for p in (fresh.root / "raw").glob("*.csv"))
    assert len(rec) == n_raw
    assert (rec["STATUS"] == "UNACCOUNTED").sum() == 0
    assert (rec.loc[rec["STATUS"] == "EXCLUDED", "REASON"] != "").all()
    assert set(rec["FORM"]) == {p.stem for p in (fresh.root / "raw").glob("*.csv")}


def test_contract_content_for_adam(fresh):
    dm = fresh.read_dataset("DM")
    assert len(dm) == dm["USUBJID"].nunique() == 32
    assert dm["USUBJID"].str.match(r"^TCD14079-\d{6}-\d{3}$").all() and (dm["RFXSTDTC"] != "").all()
    lb = fresh.read_dataset("LB")
    units = lb[lb["LBSTRESU"] != ""].groupby(["LBTESTCD", "LBSPEC"])["LBSTRESU"].unique().map(list).to_dict()
    assert units[("ALB", "SERUM")] == ["g/dL"] and units[("MPROTEIN", "URINE")] == ["mg/24h"]
    assert units[("CREAT", "SERUM")] == ["mg/dL"] and units[("B2MICG", "SERUM")] == ["mg/L"]
    base = lb[lb["LBLOBXFL"] == "Y"].groupby("USUBJID")["LBTESTCD"].nunique()
    assert base.max() <= 8
    rs = fresh.read_dataset("RS")
    assert set(rs.loc[rs["RSTESTCD"] == "OVRLRESP", "RSSTRESC"]) <= {"sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE"}
    cm = fresh.read_dataset("CM")
    prior = cm[cm["CMCAT"] == "PRIOR ANTICANCER THERAPY"]
    assert prior["CMGRPID"].str.match(r"^LINE \d+$").all()
    supp = fresh.read_dataset("SUPPCM")
    assert {"LINENUM", "BESTRESP", "PDDTC", "RSNSTOP"} <= set(supp["QNAM"])
    for name in ("EX", "AE", "LB", "RS", "SV"):
        assert (fresh.read_dataset(name)["EPOCH"] != "").mean() > 0.9, name


def committed() -> list[Path]:
    return sorted((ROOT / "sdtm").glob("*.xpt"))


def test_committed_sdtm_is_not_stale(fresh):
    stale = []
    for p in committed():
        new = fresh.sdtm / p.name
        if not new.exists() or new.read_bytes() != p.read_bytes():
            stale.append(p.name)
    for name in ("reconciliation.csv", "issues.csv"):
        old = ROOT / "sdtm" / name
        if old.exists() and old.read_bytes() != (fresh.sdtm / name).read_bytes():
            stale.append(name)
    missing = [p.name for p in fresh.sdtm.glob("*.xpt") if not (ROOT / "sdtm" / p.name).exists()]
    assert not stale and not missing, f"sdtm/ is stale (rerun `trialflow sdtm`): {stale + missing}"
