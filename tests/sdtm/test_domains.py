"""Whole domains built by `trialflow sdtm` on the small hand-made study (helpers.py), row by row."""

import contextlib
import io
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trialflow.cli import main
from trialflow.metadata import load_specs
from trialflow.sdtm.engine import check_maps

from .helpers import ROOT, make_study

A = "TCD14079-840001-001"
B = "TCD14079-250001-001"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The small study, built once for the module (tests only read it, except the rerun test)."""
    study = make_study(tmp_path_factory.mktemp("mini"))
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["--study-dir", str(study.root), "sdtm"]) == 0
    return study, buf.getvalue()


def ds(study, name):
    return study.read_dataset(name)


def test_every_spec_dataset_is_written_and_reconciled(built):
    study, out = built
    for name in study.specs.sdtm:
        assert study.xpt_path(name).exists(), name
    rec = pd.read_csv(study.sdtm / "reconciliation.csv", dtype=str, keep_default_na=False)
    raw_rows = sum(len(pd.read_csv(p, dtype=str)) for p in study.raw.glob("*.csv"))
    assert len(rec) == raw_rows and set(rec["STATUS"]) <= {"MAPPED", "EXCLUDED"}
    assert "total" in out and "unaccounted" in out
    # the interrupted infusion has no weight: mapped to EX, excluded from VS only
    ex2 = rec[(rec["FORM"] == "ex") & (rec["ROW"] == "2")].iloc[0]
    assert ex2["STATUS"] == "MAPPED" and ex2["DOMAINS"] == "EX"


def test_dm_reference_dates_age_and_arms(built):
    dm = ds(built[0], "DM").set_index("USUBJID")
    a, b = dm.loc[A], dm.loc[B]
    assert a["SUBJID"] == "840001-001" and a["SITEID"] == "840001" and a["STUDYID"] == "TCD14079"
    assert (a["RFICDTC"], a["RFSTDTC"], a["RFXSTDTC"]) == ("2018-03-01", "2018-03-12T09:30", "2018-03-12T09:30")
    assert (a["RFXENDTC"], a["RFENDTC"], a["RFPENDTC"]) == ("2018-03-19T10:30", "2018-03-19T10:30", "2018-05-10")
    assert (a["BRTHDTC"], a["AGE"], a["AGEU"]) == ("1950-03", 68.0, "YEARS")  # 1950-03-01 -> 2018-03-01
    assert (a["SEX"], a["RACE"], a["ETHNIC"], a["COUNTRY"]) == ("M", "WHITE", "NOT HISPANIC OR LATINO", "USA")
    assert (a["ARMCD"], a["ACTARMCD"], a["DTHFL"], a["DTHDTC"]) == ("ISA20", "ISA20", "", "")
    assert (b["BRTHDTC"], b["AGE"]) == ("1946", 72.0)  # 1946-01-01 -> 2018-01-10
    assert (b["RFSTDTC"], b["ARMCD"], b["ACTARMCD"], b["ACTARM"], b["ARMNRS"]) == ("", "ISA20", "", "", "ASSIGNED, NOT TREATED")


def test_se_elements_contiguous_by_day(built):
    se = ds(built[0], "SE")
    a = se[se["USUBJID"] == A]
    assert a[["SESEQ", "ETCD", "EPOCH", "SESTDTC", "SEENDTC", "SESTDY", "SEENDY"]].values.tolist() == [
        [1.0, "SCRN", "SCREENING", "2018-03-01", "2018-03-12T09:30", -11.0, 1.0],
        [2.0, "ISA20", "TREATMENT", "2018-03-12T09:30", "2018-04-10", 1.0, 30.0],
        [3.0, "FU", "FOLLOW-UP", "2018-04-11", "2018-05-10", 31.0, 60.0]]
    b = se[se["USUBJID"] == B]
    assert b[["ETCD", "SESTDTC", "SEENDTC"]].values.tolist() == [["SCRN", "2018-01-10", "2018-01-11"]]


def test_ae_study_day_epoch_and_seq(built):
    study = built[0]
    ae = ds(study, "AE")
    cols = ["AESEQ", "AETERM", "AESTDTC", "AESTDY", "EPOCH", "AEENDY", "AEENRTPT", "AEENTPT"]
    assert ae[cols].fillna(-99).values.tolist() == [
        [1.0, "Headache", "2018-03-11", -1.0, "SCREENING", -1.0, "", ""],
        [2.0, "Dizziness", "2018-03-12", 1.0, "TREATMENT", 2.0, "", ""],
        [3.0, "Tremor", "2018-04-11", 31.0, "FOLLOW-UP", -99, "ONGOING", "LAST CONTACT"]]
    assert ae["USUBJID"].unique().tolist() == [A]
    assert ae[["AETOXGR", "AESER", "AEREL", "AEOUT"]].iloc[2].tolist() == ["1", "N", "NOT RELATED",
                                                                           "NOT RECOVERED/NOT RESOLVED"]
    supp = ds(study, "SUPPAE")
    assert supp[["IDVAR", "IDVARVAL", "QNAM", "QVAL"]].values.tolist() == [
        ["AESEQ", "1", "AEIR", "N"], ["AESEQ", "2", "AEIR", "N"], ["AESEQ", "3", "AEIR", "N"]]


def test_lb_standardisation_and_baseline_flag(built):
    lb = ds(built[0], "LB")
    cols = ["LBSEQ", "LBTESTCD", "LBSPEC", "LBORRES", "LBORRESU", "LBSTRESC", "LBSTRESN", "LBSTRESU", "LBSTAT",
            "LBLOBXFL", "VISITNUM", "EPOCH", "LBDY"]
    got = lb[cols].values.tolist()
    assert got[0] == [1.0, "ALB", "SERUM", "35", "g/L", "3.5", 3.5, "g/dL", "", "", 1.0, "SCREENING", -10.0]
    assert got[1] == [2.0, "CREAT", "SERUM", "88.4", "umol/L", "1", 1.0, "mg/dL", "", "Y", 1.0, "SCREENING", -10.0]
    assert got[2] == [3.0, "ALB", "SERUM", "3.6", "g/dL", "3.6", 3.6, "g/dL", "", "Y", 101.0, "TREATMENT", 1.0]
    assert got[3][:9] == [4.0, "MPROTEIN", "SERUM", "", "", "", got[3][6], "", "NOT DONE"] and np.isnan(got[3][6])
    assert got[4] == [5.0, "ALB", "SERUM", "30", "g/L", "3", 3.0, "g/dL", "", "", 9000.0, "TREATMENT", 30.0]
    assert lb["LBTEST"].iloc[0] == "Albumin" and lb["LBCAT"].iloc[3] == "MYELOMA PROTEIN"


def test_ex_and_suppex(built):
    study = built[0]
    ex = ds(study, "EX")
    assert ex[["EXSEQ", "EXTRT", "EXDOSE", "EXDOSU", "EXSTDTC", "EXENDTC", "EXSTDY", "VISITNUM", "VISIT", "EPOCH"]] \
        .values.tolist() == [
        [1.0, "ISATUXIMAB", 20.0, "mg/kg", "2018-03-12T09:30", "2018-03-12T11:00", 1.0, 101.0, "CYCLE 1 DAY 1",
         "TREATMENT"],
        [2.0, "ISATUXIMAB", 20.0, "mg/kg", "2018-03-19T09:05", "2018-03-19T10:30", 8.0, 108.0, "CYCLE 1 DAY 8",
         "TREATMENT"]]
    supp = ds(study, "SUPPEX")
    assert supp[["IDVARVAL", "QNAM", "QVAL", "QORIG"]].values.tolist() == [
        ["1", "INFINT", "N", "Collected"], ["2", "INFINT", "Y", "Collected"],
        ["2", "INFINTRS", "Infusion related reaction", "Collected"]]
    vs = ds(study, "VS")
    assert vs[["VSTESTCD", "VSSTRESN", "VSSTRESU", "VSLOBXFL", "VSDY"]].values.tolist() == [["WEIGHT", 70.0, "kg", "Y", 1.0]]


def test_mh_cm_pr_partial_dates_and_supp(built):
    study = built[0]
    mh = ds(study, "MH")
    assert mh[["USUBJID", "MHSEQ", "MHCAT", "MHTERM", "MHDECOD", "MHSTDTC", "MHENRTPT"]].values.tolist() == [
        [B, 1.0, "PRIMARY DIAGNOSIS", "MULTIPLE MYELOMA", "Plasma cell myeloma", "2016-06-12", "ONGOING"],
        [A, 1.0, "PRIMARY DIAGNOSIS", "MULTIPLE MYELOMA", "Plasma cell myeloma", "2015-03", "ONGOING"],
        [A, 2.0, "GENERAL MEDICAL HISTORY", "High blood pressure", "Hypertension", "1946", "ONGOING"]]
    supp = ds(study, "SUPPMH")
    assert supp[supp["USUBJID"] == B][["QNAM", "QVAL"]].values.tolist() == [["HCTYPE", "NONE"], ["LCTYPE", "LAMBDA"]]
    cm = ds(study, "CM")
    assert cm[["CMSEQ", "CMGRPID", "CMTRT", "CMDECOD", "CMCAT", "CMSTDTC", "EPOCH"]].values.tolist() == [
        [1.0, "LINE 1", "Dexamethasone", "DEXAMETHASONE", "PRIOR ANTICANCER THERAPY", "2015-03", ""],
        [2.0, "LINE 1", "Velcade", "BORTEZOMIB", "PRIOR ANTICANCER THERAPY", "2015-03", ""],
        [3.0, "LINE 2", "Dara", "DARATUMUMAB", "PRIOR ANTICANCER THERAPY", "2017-06-05", ""],
        [4.0, "", "Acetaminophen", "PARACETAMOL", "CONCOMITANT MEDICATION", "2018-03-12", "TREATMENT"],
        [5.0, "", "Dexamethasone", "DEXAMETHASONE", "PROTOCOL DEXAMETHASONE", "2018-03-19", "TREATMENT"]]
    scm = ds(study, "SUPPCM")
    line2 = scm[scm["IDVARVAL"] == "3"].set_index("QNAM")["QVAL"].to_dict()
    assert line2 == {"LINENUM": "2", "BESTRESP": "PR", "PDFL": "Y", "PDDTC": "2018-01-10",
                     "RSNSTOP": "PROGRESSIVE DISEASE"}
    pr = ds(study, "PR")
    assert pr[["PRTRT", "PRCAT", "PRSTDTC"]].values.tolist() == [
        ["AUTOLOGOUS STEM CELL TRANSPLANT", "PRIOR TRANSPLANT", "2015-09-15"]]


def test_rs_gf_cp_ds_ss(built):
    study = built[0]
    rs = ds(study, "RS")
    assert rs[["RSSEQ", "RSCAT", "RSTESTCD", "RSORRES", "RSSTRESC", "RSSTRESN", "RSLOBXFL", "VISITNUM"]] \
        .values.tolist()[0][:5] == [1.0, "IMWG", "OVRLRESP", "Progressive disease", "PD"]
    ecog = rs[rs["RSTESTCD"] == "ECOG101"]
    assert ecog[["RSSTRESC", "RSSTRESN", "RSLOBXFL", "RSEVAL"]].values.tolist() == [
        ["1", 1.0, "Y", "INVESTIGATOR"], ["2", 2.0, "", "INVESTIGATOR"]]
    gf = ds(study, "GF")
    assert gf[["USUBJID", "GFSEQ", "GFTESTCD", "GFSTRESN", "GFSTRESU", "GFSTAT", "GFREASND"]].fillna(-1).values.tolist() == [
        [B, 1.0, "GFALL", -1, "", "NOT DONE", "Insufficient plasma cells"],
        [A, 1.0, "DEL17P", 12.0, "%", "", ""], [A, 2.0, "T14_16", 3.0, "%", "", ""], [A, 3.0, "T4_14", 0.0, "%", "", ""]]
    cp = ds(study, "CP")
    assert cp[["CPTESTCD", "CPSTRESN", "CPSPEC", "CPMETHOD", "CPDY"]].values.tolist() == [
        ["CD38RD", 4500.0, "BONE MARROW", "FLOW CYTOMETRY", -10.0]]
    dsd = ds(study, "DS")
    assert dsd[["USUBJID", "DSCAT", "DSDECOD", "DSSTDTC", "EPOCH"]].values.tolist() == [
        [B, "PROTOCOL MILESTONE", "INFORMED CONSENT OBTAINED", "2018-01-10", "SCREENING"],
        [A, "PROTOCOL MILESTONE", "INFORMED CONSENT OBTAINED", "2018-03-01", "SCREENING"],
        [A, "DISPOSITION EVENT", "PROGRESSIVE DISEASE", "2018-04-10", "TREATMENT"]]
    ss = ds(study, "SS")
    assert ss[["SSTESTCD", "SSSTRESC", "SSDTC", "VISITNUM", "EPOCH"]].values.tolist() == [
        ["SURVSTAT", "ALIVE", "2018-05-10", 9001.0, "FOLLOW-UP"]]


def test_trial_design_from_specs(built):
    study = built[0]
    ta = ds(study, "TA")
    assert ta[["ARMCD", "TAETORD", "ETCD", "ELEMENT", "EPOCH"]].values.tolist()[1] == [
        "ISA20", 2.0, "ISA20", "Isatuximab 20 mg/kg QW x4 then Q2W", "TREATMENT"]
    tv = ds(study, "TV").set_index("VISITNUM")
    assert tv.loc[101.0, "VISITDY"] == 1 and tv.loc[215.0, "VISITDY"] == 43 and tv.loc[9000.0, "VISIT"] == "END OF TREATMENT"
    ts = ds(study, "TS").set_index(["TSPARMCD", "TSSEQ"])
    assert ts.loc[("DOSE", 1.0), "TSVAL"] == "20" and ts.loc[("DOSFRQ", 2.0), "TSVAL"] == "Q2W"
    assert ts.loc[("REGID", 1.0), "TSVAL"] == "NCT02514668" and ts.loc[("TRT", 1.0), "TSPARM"] == \
        "Investigational Therapy or Treatment"


def test_lineage_files_trace_each_record_to_its_raw_row(built):
    study = built[0]
    lin = pd.read_csv(study.sdtm / "lineage" / "ae.csv", dtype=str, keep_default_na=False)
    assert lin[["FORM", "ROW", "USUBJID", "SEQ", "STATUS"]].values.tolist() == [
        ["ae", "1", A, "1", "MAPPED"], ["ae", "2", A, "2", "MAPPED"], ["ae", "3", A, "3", "MAPPED"]]


def test_rerun_is_byte_identical_and_single_domain_rebuild(built, capsys):
    study = built[0]
    before = {p.name: p.read_bytes() for p in study.sdtm.rglob("*") if p.is_file()}
    assert main(["--study-dir", str(study.root), "sdtm", "ae", "--force"]) == 0
    out = capsys.readouterr().out
    assert "1 step(s) ran (sdtm:AE)" in out
    assert main(["--study-dir", str(study.root), "sdtm", "--force"]) == 0
    after = {p.name: p.read_bytes() for p in study.sdtm.rglob("*") if p.is_file()}
    assert after == before


def test_every_spec_operation_checks_out():
    specs = load_specs_sdtm_only(ROOT)
    assert check_maps(specs) > 200
    for ds_ in specs.sdtm.values():
        for v in ds_.variables:
            assert v.origin, f"{ds_.name}.{v.name} has no origin"
            has_records = any("records" in s or "records_from" in s for s in ds_.options.get("sources", []))
            assert v.map or v.derivation or has_records, f"{ds_.name}.{v.name}: no map and no derivation"


def load_specs_sdtm_only(root):
    tmp = Path(tempfile.mkdtemp())
    (tmp / "adam").mkdir()
    shutil.copytree(root / "specs" / "sdtm", tmp / "sdtm")
    for f in ("codelists.yaml", "study.yaml"):
        shutil.copy(root / "specs" / f, tmp / f)
    return load_specs(tmp)
