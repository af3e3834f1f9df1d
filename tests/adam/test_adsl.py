"""ADSL on a hand-made SDTM fixture of five subjects; every expected value worked by hand.

001  64 y, 7 infusions to C3D1 (exposure 56 + 14 d = 10 wk), assessed -> EFFFL Y.
     Prior: L1 LEN+DEX ends 2013-01-01, PD 2013-03-02 = end + 60 d  -> refractory (edge);
            L2 BORT+DEX ends 2014-06-30, PD 2014-08-30 = end + 61 d -> not refractory;
            L3 DARA mono 2016-01-01..2016-12-31, PD "2017-01" (imputed 2017-01-01), VGPR;
            L4 DARA+POM+DEX 2017-06-01..2017-10-15, PD 2017-10-01, sCR (counted as CR).
     Diagnosis "2011-03" (partial -> 2011-03-01); B2M 3.0, ALB 3.8 -> ISS I;
     del(17p) 12 % (>= 10 -> high risk), t(4;14) 5 %; CD38 3000 on 2017-12-20; dexamethasone.
002  65 y, one infusion (exposure 7 d) and one assessment -> EFFFL N; dies (other cause).
     Kappa light chain only; B2M 6.0 -> ISS III; FISH not done; no CD38;
     L1 MEL+PRED (no progression), L2 DARA ends "2017-11" (imputed last: 2017-11-30), NE.
003  74 y, two infusions, no assessment, dies 24 d after first dose of progression -> EFFFL Y;
     B2M missing -> ISS Unknown; L1 CARF+DARA (combination), PD on it.
004  75 y, two infusions, no assessment, EOT for progressive disease -> EFFFL Y (clinical PD).
005  80 y, never treated -> SAFFL N, EFFFL N, no prior therapy recorded.
"""

import numpy as np
import pandas as pd
import pytest

from trialflow.adam import adsl as ADSL
from trialflow.adam.common import finalize
from trialflow.errors import InputError

from .helpers import frame, supp, usubjid

NaT = pd.NaT


def T(s):
    return pd.Timestamp(s)


def _ex(subject, dates_visits):
    return [{"USUBJID": subject, "EXTRT": "ISATUXIMAB", "EXDOSE": 20.0, "EXDOSU": "mg/kg",
             "VISITNUM": float(v), "EXSTDTC": f"{d}T09:00", "EXENDTC": f"{d}T13:00"}
            for d, v in dates_visits]


def _agents(subject, line, drugs, start, end, pd_dtc, bor):
    return [({"USUBJID": subject, "CMCAT": "PRIOR ANTICANCER THERAPY", "CMGRPID": f"LINE {line}",
              "CMTRT": d, "CMDECOD": d, "CMSTDTC": start, "CMENDTC": end},
             {"LINENUM": str(line), "BESTRESP": bor, "PDDTC": pd_dtc}) for d in drugs]


def adsl_sdtm(specs):
    dm = frame(specs, "DM", [
        {"USUBJID": s, "SUBJID": s, "SITEID": "840001", "AGE": a, "AGEU": "YEARS", "SEX": "M",
         "RACE": "WHITE", "ETHNIC": "NOT HISPANIC OR LATINO", "COUNTRY": "USA",
         "ARM": "Isatuximab 20 mg/kg QW/Q2W", "ARMCD": "ISA20",
         "ACTARM": "Not Treated" if s == "005" else "Isatuximab 20 mg/kg QW/Q2W",
         "DTHDTC": dth, "DTHFL": "Y" if dth else ""}
        for s, a, dth in [("001", 64.0, ""), ("002", 65.0, "2018-03-15"), ("003", 74.0, "2018-03-25"),
                          ("004", 75.0, ""), ("005", 80.0, "")]])
    ex = frame(specs, "EX", [
        *_ex("001", [("2018-01-01", 101), ("2018-01-08", 108), ("2018-01-15", 115),
                     ("2018-01-22", 122), ("2018-01-29", 201), ("2018-02-12", 215),
                     ("2018-02-26", 301)]),
        *_ex("002", [("2018-02-01", 101)]),
        *_ex("003", [("2018-03-01", 101), ("2018-03-08", 108)]),
        *_ex("004", [("2018-04-01", 101), ("2018-04-08", 108)])])
    prior = [*_agents("001", 1, ["LENALIDOMIDE", "DEXAMETHASONE"], "2012-01-01", "2013-01-01", "2013-03-02", "PR"),
             *_agents("001", 2, ["BORTEZOMIB", "DEXAMETHASONE"], "2014-01-01", "2014-06-30", "2014-08-30", "VGPR"),
             *_agents("001", 3, ["DARATUMUMAB"], "2016-01-01", "2016-12-31", "2017-01", "VGPR"),
             *_agents("001", 4, ["DARATUMUMAB", "POMALIDOMIDE", "DEXAMETHASONE"], "2017-06-01", "2017-10-15",
                      "2017-10-01", "sCR"),
             *_agents("002", 1, ["MELPHALAN", "PREDNISONE"], "2010-01-01", "2010-12-31", "", "PR"),
             *_agents("002", 2, ["DARATUMUMAB"], "2017-05-01", "2017-11", "2017-11-20", "NE"),
             *_agents("003", 1, ["CARFILZOMIB", "DARATUMUMAB"], "2017-01-01", "2017-12-31", "2017-12-01", "PD")]
    cm = frame(specs, "CM", [r for r, _ in prior] + [
        {"USUBJID": "001", "CMCAT": "PROTOCOL DEXAMETHASONE", "CMTRT": "DEXAMETHASONE",
         "CMDECOD": "DEXAMETHASONE", "CMSTDTC": "2018-02-26"},
        {"USUBJID": "002", "CMCAT": "CONCOMITANT MEDICATION", "CMTRT": "PARACETAMOL",
         "CMDECOD": "PARACETAMOL", "CMSTDTC": "2018-02-01"}])
    suppcm = supp(specs, cm, "CM", [(i, q, v) for i, (_, quals) in enumerate(prior)
                                    for q, v in quals.items() if v])
    mh = frame(specs, "MH", [
        {"USUBJID": s, "MHCAT": "PRIMARY DIAGNOSIS", "MHTERM": "MULTIPLE MYELOMA", "MHSTDTC": d}
        for s, d in [("001", "2011-03"), ("002", "2015-06-10"), ("003", "2016"), ("004", "2010-01-01"),
                     ("005", "2012-01-01")]] + [
        {"USUBJID": "001", "MHCAT": "GENERAL MEDICAL HISTORY", "MHTERM": "HYPERTENSION", "MHSTDTC": "2000"}])
    suppmh = supp(specs, mh, "MH", [(0, "HCTYPE", "IGG"), (0, "LCTYPE", "KAPPA"), (1, "HCTYPE", "NONE"),
                                    (1, "LCTYPE", "KAPPA"), (2, "HCTYPE", "IGA"), (2, "LCTYPE", "LAMBDA"),
                                    (3, "HCTYPE", "NONE"), (3, "LCTYPE", "LAMBDA")])
    lb = frame(specs, "LB", [
        {"USUBJID": s, "LBTESTCD": t, "LBSTRESN": v, "LBDTC": d, "LBLOBXFL": fl}
        for s, t, v, d, fl in [
            ("001", "B2MICG", 2.0, "2017-12-01", ""), ("001", "B2MICG", 3.0, "2017-12-28", "Y"),
            ("001", "ALB", 3.8, "2017-12-28", "Y"), ("001", "B2MICG", 9.0, "2018-02-26", ""),
            ("002", "B2MICG", 6.0, "2018-01-20", "Y"), ("002", "ALB", 3.0, "2018-01-20", "Y"),
            ("003", "ALB", 3.9, "2018-02-20", "Y"),
            ("004", "B2MICG", 3.5, "2018-03-20", "Y"), ("004", "ALB", 3.4, "2018-03-20", "Y")]])
    rs = frame(specs, "RS", [
        {"USUBJID": s, "RSCAT": c, "RSTESTCD": t, "RSSTRESC": v, "RSSTRESN": n, "RSDTC": d, "RSLOBXFL": fl}
        for s, c, t, v, n, d, fl in [
            ("001", "ECOG", "ECOG101", "1", 1.0, "2017-12-28", "Y"),
            ("001", "IMWG", "OVRLRESP", "SD", np.nan, "2018-01-29", ""),
            ("001", "IMWG", "OVRLRESP", "SD", np.nan, "2018-02-26", ""),
            ("002", "ECOG", "ECOG101", "2", 2.0, "2018-01-20", "Y"),
            ("002", "IMWG", "OVRLRESP", "PD", np.nan, "2018-03-01", ""),
            ("004", "ECOG", "ECOG101", "0", 0.0, "2018-03-20", "Y")]])
    gf = frame(specs, "GF", [
        {"USUBJID": "001", "GFTESTCD": "DEL17P", "GFSTRESN": 12.0, "GFDTC": "2017-12-28"},
        {"USUBJID": "001", "GFTESTCD": "T4_14", "GFSTRESN": 5.0, "GFDTC": "2017-12-28"},
        {"USUBJID": "002", "GFTESTCD": "GFALL", "GFSTAT": "NOT DONE", "GFREASND": "NO SAMPLE"},
        {"USUBJID": "004", "GFTESTCD": "T4_14", "GFSTRESN": 15.0, "GFDTC": "2018-03-20"},
        {"USUBJID": "004", "GFTESTCD": "T14_16", "GFSTRESN": 14.9, "GFDTC": "2018-03-20"}])
    cp = frame(specs, "CP", [
        {"USUBJID": "001", "CPTESTCD": "CD38RD", "CPSTRESN": 3000.0, "CPDTC": "2017-12-20"},
        {"USUBJID": "003", "CPTESTCD": "CD38RD", "CPSTRESN": 150000.0, "CPDTC": "2018-02-25"},
        {"USUBJID": "003", "CPTESTCD": "CD38RD", "CPSTRESN": 1.0, "CPDTC": "2018-03-10"}])  # after dose
    ds = frame(specs, "DS", [
        {"USUBJID": s, "DSCAT": "DISPOSITION EVENT", "DSSCAT": "END OF TREATMENT", "DSDECOD": r, "DSSTDTC": d}
        for s, r, d in [("001", "PROGRESSIVE DISEASE", "2018-03-10"), ("002", "OTHER", "2018-02-20"),
                        ("003", "DEATH", "2018-03-25"), ("004", "PROGRESSIVE DISEASE", "2018-04-15")]] + [
        {"USUBJID": "001", "DSCAT": "PROTOCOL MILESTONE", "DSDECOD": "INFORMED CONSENT OBTAINED",
         "DSSTDTC": "2017-12-01"}])
    dd = frame(specs, "DD", [{"USUBJID": "002", "DDTESTCD": "PRCDTH", "DDSTRESC": "OTHER"},
                             {"USUBJID": "003", "DDTESTCD": "PRCDTH", "DDSTRESC": "DISEASE PROGRESSION"}])
    ss = frame(specs, "SS", [{"USUBJID": "001", "SSTESTCD": "SURVSTAT", "SSSTRESC": "ALIVE", "SSDTC": "2018-06-01"},
                             {"USUBJID": "002", "SSTESTCD": "SURVSTAT", "SSSTRESC": "DEAD", "SSDTC": "2018-04-01"}])
    sv = frame(specs, "SV", [{"USUBJID": "005", "VISITNUM": 1.0, "SVSTDTC": "2018-05-01"}])
    ae = frame(specs, "AE", [{"USUBJID": "004", "AETERM": "FATIGUE", "AEDECOD": "Fatigue",
                              "AESTDTC": "2018-04-20", "AEENDTC": "2018-05"}])
    return {"DM": dm, "DS": ds, "DD": dd, "EX": ex, "CM": cm, "SUPPCM": suppcm, "MH": mh, "SUPPMH": suppmh,
            "LB": lb, "RS": rs, "CP": cp, "GF": gf, "SS": ss, "SV": sv, "AE": ae}


@pytest.fixture(scope="module")
def adsl(specs, params):
    out = ADSL.derive(adsl_sdtm(specs), {}, params)
    return finalize(out, ADSL, specs).set_index("SUBJID")


def col(adsl, var):
    return adsl[var].tolist()


def test_one_record_per_subject_in_dm_order(adsl):
    assert list(adsl.index) == ["001", "002", "003", "004", "005"]
    assert adsl["USUBJID"].tolist() == [usubjid(s) for s in adsl.index]


def test_treatment_dates_exposure_and_populations(adsl):
    assert col(adsl, "TRTSDT") == [T("2018-01-01"), T("2018-02-01"), T("2018-03-01"), T("2018-04-01"), NaT]
    assert col(adsl, "TRTEDT") == [T("2018-02-26"), T("2018-02-01"), T("2018-03-08"), T("2018-04-08"), NaT]
    # 001: 56 d + 14 (last dose C3D1); 002: 0 + 7; 003/004: 7 + 7 (last dose in cycle 1)
    assert col(adsl, "TRTDURW")[:4] == [10.0, 1.0, 2.0, 2.0] and np.isnan(adsl.at["005", "TRTDURW"])
    assert col(adsl, "SAFFL") == ["Y", "Y", "Y", "Y", "N"]
    # 001 exposure+assessment; 002 exposure 7 d < 28; 003 died of PD 24 d after first dose;
    # 004 clinical progression (EOT reason); 005 untreated
    assert col(adsl, "EFFFL") == ["Y", "N", "Y", "Y", "N"]
    assert col(adsl, "TRT01P") == ["Isatuximab 20 mg/kg QW/Q2W"] * 5
    assert col(adsl, "TRT01A")[4] == "Not Treated"


def test_age_groups(adsl):
    assert col(adsl, "AGEGR1") == ["<65", "65-74", "65-74", ">=75", ">=75"]
    assert col(adsl, "AGEGR1N") == [1.0, 2.0, 2.0, 3.0, 3.0]


def test_disease_at_entry(adsl):
    # 2011-03 -> 2011-03-01; 2498 days to 2018-01-01
    assert adsl.at["001", "DIAGDT"] == T("2011-03-01")
    assert adsl.at["001", "DIAGYRS"] == pytest.approx(2498 / 365.25)
    assert adsl.at["003", "DIAGDT"] == T("2016-01-01")  # year only -> January 1st
    assert col(adsl, "MMTYPE") == ["IgG", "Kappa light chain only", "IgA", "Lambda light chain only", ""]
    assert col(adsl, "B2MBL")[:2] == [3.0, 6.0] and np.isnan(adsl.at["003", "B2MBL"])
    # B2M 3.0/ALB 3.8 -> I; B2M 6.0 -> III; B2M missing -> Unknown; B2M 3.5 (not < 3.5) -> II
    assert col(adsl, "ISS") == ["I", "III", "Unknown", "II", "Unknown"]
    assert col(adsl, "ECOGBL")[:2] == [1.0, 2.0] and adsl.at["004", "ECOGBL"] == 0.0
    assert col(adsl, "DEL17PFL") == ["Y", "", "", "", ""]
    assert col(adsl, "T414FL") == ["N", "", "", "Y", ""]  # 15 % is >= 15
    assert col(adsl, "T1416FL") == ["", "", "", "N", ""]  # 14.9 % is below
    assert col(adsl, "CYTORISK") == ["High", "Unknown", "Unknown", "High", "Unknown"]


def test_prior_lines_exposure_and_refractoriness(adsl):
    assert col(adsl, "PRLINES") == [4.0, 2.0, 1.0, 0.0, 0.0]
    assert col(adsl, "PRLINGR1") == ["<5"] * 5
    assert col(adsl, "ALKYLFL") == ["N", "Y", "N", "N", "N"]
    assert col(adsl, "IMIDFL") == ["Y", "N", "N", "N", "N"]
    assert col(adsl, "PIFL") == ["Y", "N", "Y", "N", "N"]
    assert col(adsl, "PIIMIDFL") == ["Y", "N", "N", "N", "N"]
    assert col(adsl, "DARAFL") == ["Y", "Y", "Y", "N", "N"]
    # 001: LEN line refractory at exactly 60 days; BORT line PD 61 days after end: not refractory
    assert col(adsl, "IMIDRFL") == ["Y", "N", "N", "N", "N"]
    assert col(adsl, "PIRFL") == ["N", "N", "Y", "N", "N"]
    assert col(adsl, "DBLRFL") == ["N"] * 5
    assert col(adsl, "QUADRFL") == ["N"] * 5 and col(adsl, "PENTARFL") == ["N"] * 5
    # 002: Dara PD 2017-11-20 within the imputed end 2017-11-30; MEL line (last line 2? no: 2 is Dara)
    assert col(adsl, "DARARFL") == ["Y", "Y", "Y", "N", "N"]
    assert col(adsl, "LASTRFL") == ["Y", "Y", "Y", "N", "N"]


def test_daratumumab_history(adsl):
    assert col(adsl, "DARALN") == [2.0, 1.0, 1.0, 0.0, 0.0]
    # 001 line 4 holds pomalidomide (dexamethasone does not count); 002 Dara alone; 003 with carfilzomib
    assert col(adsl, "DARATYP") == ["Combination", "Monotherapy", "Combination", "", ""]
    # 001: 366 d (2016 is a leap year) + 137 d; 002: 2017-05-01..2017-11-30 = 214 d
    assert adsl.at["001", "DARADURM"] == pytest.approx(503 / 30.4375)
    assert adsl.at["002", "DARADURM"] == pytest.approx(214 / 30.4375)
    assert col(adsl, "DARADURG") == [">=6", ">=6", ">=6", "", ""]
    assert col(adsl, "DARABOR") == ["CR", "", "PD", "", ""]  # sCR counts as CR; NE ignored
    assert col(adsl, "LDARADT")[:3] == [T("2017-10-15"), T("2017-11-30"), T("2017-12-31")]
    assert adsl.at["001", "WASHWK"] == pytest.approx(78 / 7)
    assert adsl.at["002", "WASHWK"] == pytest.approx(63 / 7)
    assert adsl.at["003", "WASHWK"] == pytest.approx(60 / 7)
    assert col(adsl, "WASHGR1") == ["<12", "<12", "<12", "", ""]
    assert col(adsl, "WASHGR3") == ["<48", "<48", "<48", "", ""]
    assert col(adsl, "DARALAST") == ["Y", "Y", "Y", "N", "N"]


def test_cd38_and_dexamethasone(adsl):
    assert col(adsl, "CD38RD")[0] == 3000.0 and adsl.at["003", "CD38RD"] == 150000.0  # not the post-dose one
    assert col(adsl, "CD38GR1") == ["<150000", "Not measured", ">=150000", "Not measured", "Not measured"]
    assert col(adsl, "CD38LOW") == ["Y", "", "N", "", ""]
    assert adsl.at["001", "CD38WK"] == pytest.approx(66 / 7)
    assert col(adsl, "DEXFL") == ["Y", "N", "N", "N", "N"]


def test_disposition_death_last_alive(adsl):
    assert col(adsl, "EOTSTT") == ["DISCONTINUED"] * 4 + ["ONGOING"]
    assert col(adsl, "DCSREAS") == ["PROGRESSIVE DISEASE", "OTHER", "DEATH", "PROGRESSIVE DISEASE", ""]
    assert col(adsl, "EOTDT")[0] == T("2018-03-10")
    assert col(adsl, "DTHFL") == ["N", "Y", "Y", "N", "N"]
    assert col(adsl, "DTHDT")[1:3] == [T("2018-03-15"), T("2018-03-25")]
    assert col(adsl, "DTHCAUSE") == ["", "OTHER", "DISEASE PROGRESSION", "", ""]
    # 001 survival contact; 002 last infusion/EOT/assessment (the DEAD contact is not "alive");
    # 003 EOT on the death date; 004 AE start (partial AE end ignored); 005 screening visit
    assert col(adsl, "LSTALVDT") == [T("2018-06-01"), T("2018-03-01"), T("2018-03-25"), T("2018-04-20"),
                                     T("2018-05-01")]


def test_duplicate_subject_breaks_rule(specs, params):
    out = ADSL.derive(adsl_sdtm(specs), {}, params)
    with pytest.raises(InputError, match="ADSL breaks rule 'one record per USUBJID' for subject "
                                         "TCD14079-840001-001"):
        finalize(pd.concat([out, out.iloc[:1]], ignore_index=True), ADSL, specs)
    sdtm = adsl_sdtm(specs)  # two DM records for one subject: refused while deriving
    sdtm["DM"] = pd.concat([sdtm["DM"], sdtm["DM"].iloc[:1]], ignore_index=True)
    with pytest.raises(InputError, match="not unique"):
        ADSL.derive(sdtm, {}, params)
