"""Small hand-made ADaM frames (5 subjects, 4 treated) with hand-worked expected numbers."""

from __future__ import annotations

import pandas as pd
import pytest

S = [f"TCD14079-840001-00{i}" for i in range(1, 6)]


def make_adam() -> dict[str, pd.DataFrame]:
    d = pd.to_datetime
    adsl = pd.DataFrame({
        "STUDYID": "TCD14079", "USUBJID": S, "SUBJID": [s[-10:] for s in S],
        "AGE": [60.0, 70.0, 80.0, 66.0, 50.0],
        "AGEGR1": ["<65", "65-74", ">=75", "65-74", "<65"],
        "SAFFL": ["Y", "Y", "Y", "Y", "N"],
        "EFFFL": ["Y", "Y", "N", "Y", "N"],
        "MMTYPE": ["IgG", "IgA", "IgG", "Kappa light chain only", "IgG"],
        "ECOGBL": [0.0, 1.0, 1.0, float("nan"), 2.0],
        "WASHWK": [10.0, 30.0, 50.0, 13.07, 5.0],
        "WASHGR1": ["<12", ">=12", ">=12", ">=12", "<12"],
        "DEXFL": ["N", "Y", "N", "Y", "N"],
        "CD38RD": [200000.0, 1000.0, float("nan"), 150000.0, float("nan")],
        "CD38WK": [40.0, 8.0, float("nan"), 30.0, float("nan")],
        "TRTSDT": d(["2018-01-01", "2018-02-01", "2018-03-01", "2018-04-01", "NaT"]),
        "TRTEDT": d(["2018-05-01", "2018-03-01", "2018-03-08", "2018-09-01", "NaT"]),
        "TRTDURW": [19.0, 6.0, 2.0, 24.0, float("nan")],
        "DTHFL": ["N", "Y", "Y", "N", "N"],
        "DTHDT": d(["NaT", "2018-06-01", "2018-04-01", "NaT", "NaT"]),
        "DTHCAUSE": ["", "DISEASE PROGRESSION", "ADVERSE EVENT", "", ""],
        "EOTSTT": ["DISCONTINUED", "DISCONTINUED", "DISCONTINUED", "ONGOING", ""],
        "DCSREAS": ["PROGRESSIVE DISEASE", "PROGRESSIVE DISEASE", "ADVERSE EVENT", "", ""],
    })
    bor = ["SD", "PD", "NE", "MR", "NE"]
    adrs = pd.concat([
        pd.DataFrame({"USUBJID": S, "PARAMCD": "BOR", "AVALC": bor, "AVAL": [6.0, 7.0, 8.0, 5.0, 8.0]}),
        pd.DataFrame({"USUBJID": S, "PARAMCD": "DCR", "AVALC": ["Y", "N", "N", "Y", "N"], "AVAL": [1.0, 0, 0, 1, 0]}),
        pd.DataFrame({"USUBJID": S, "PARAMCD": "ORR", "AVALC": ["N"] * 5, "AVAL": [0.0] * 5}),
    ], ignore_index=True)
    adrs["SAFFL"] = adrs["USUBJID"].map(dict(zip(S, adsl["SAFFL"])))
    days = [100.0, 50.0, 30.0, 200.0, 10.0]
    adtte = pd.DataFrame({
        "USUBJID": S, "PARAMCD": "PFS", "AVAL": days, "AVALM": [x / 30.4375 for x in days],
        "CNSR": [0.0, 0.0, 1.0, 1.0, 0.0],
    })
    adae = pd.DataFrame({
        "USUBJID": [S[0], S[0], S[1], S[1], S[3], S[4]],
        "AESEQ": [1.0, 2.0, 1.0, 2.0, 1.0, 1.0],
        "AEBODSYS": ["Gastrointestinal disorders", "Gastrointestinal disorders", "Blood and lymphatic system disorders",
                     "Injury", "Nervous system disorders", "Gastrointestinal disorders"],
        "AEDECOD": ["Nausea", "Nausea", "Anaemia", "<script>alert(1)</script>", "Headache", "Nausea"],
        "AETERM": ["nausea", "NAUSEA", "anemia", "=HYPERLINK(\"x\")", "headache", "nausea"],
        "ATOXGRN": [1.0, 3.0, 3.0, 1.0, 2.0, 4.0],
        "TRTEMFL": ["Y", "Y", "Y", "Y", "N", "Y"],
        "AESER": ["N", "N", "Y", "N", "N", "Y"],
        "ASTDT": pd.to_datetime(["2018-01-05", "2018-02-01", "2018-02-10", "2018-02-11", "2018-03-01", "2018-01-01"]),
    })
    adex = pd.DataFrame({
        "USUBJID": [S[0]] * 3 + [S[1]] * 2 + [S[2]] + [S[3]] * 2,
        "PARAMCD": "DOSE", "AVAL": [20.0, 20, 20, 20, 0, 20, 20, 20],
        "AINTFL": ["N", "Y", "N", "N", "N", "Y", "N", "N"],
    })
    return {"ADSL": adsl, "ADRS": adrs, "ADTTE": adtte, "ADAE": adae, "ADEX": adex}


@pytest.fixture
def adam() -> dict[str, pd.DataFrame]:
    return make_adam()


def full_adam() -> dict[str, pd.DataFrame]:
    """make_adam() plus every variable the study shells use (values arbitrary but consistent)."""
    adam = make_adam()
    adsl = adam["ADSL"]
    adsl["SEX"] = ["M", "F", "M", "F", "M"]
    adsl["DIAGYRS"] = [7.0, 1.2, 19.4, 7.2, 3.0]
    adsl["ISS"] = ["I", "II", "III", "Unknown", "I"]
    adsl["CYTORISK"] = ["High", "Standard", "Unknown", "Unknown", "High"]
    adsl["PRLINES"] = [2.0, 7.0, 14.0, 5.0, 3.0]
    adsl["PRLINGR1"] = ["<5", ">=5", ">=5", ">=5", "<5"]
    for flag in ("ALKYLFL", "IMIDFL", "PIFL", "PIIMIDFL", "DARAFL", "IMIDRFL", "PIRFL", "DBLRFL", "LASTRFL", "DARARFL"):
        adsl[flag] = ["Y", "Y", "Y", "N", "Y"]
    adsl["QUADRFL"] = ["Y", "N", "N", "N", "N"]
    adsl["PENTARFL"] = ["Y", "N", "N", "N", "N"]
    adsl["DARALN"] = [1.0, 2.0, 1.0, 3.0, 1.0]
    adsl["DARATYP"] = ["Monotherapy", "Combination", "Combination", "Monotherapy", "Monotherapy"]
    adsl["DARADURG"] = ["<6", ">=6", ">=6", "<6", "<6"]
    adsl["DARABOR"] = ["CR", "VGPR", "PR", "PD", "SD"]
    adsl["WASHGR2"] = ["<24", ">=24", ">=24", "<24", "<24"]
    adsl["WASHGR3"] = ["<48", "<48", ">=48", "<48", "<48"]
    adsl["DARALAST"] = ["Y", "N", "N", "Y", "Y"]
    adsl["CD38GR1"] = [">=150000", "<150000", "Not measured", ">=150000", "Not measured"]
    adsl["CD38LOW"] = ["N", "Y", "N", "N", "N"]
    ae = adam["ADAE"]
    ae["AEREL"] = ["RELATED", "NOT RELATED", "RELATED", "NOT RELATED", "NOT RELATED", "RELATED"]
    ae["AEDISFL"] = ["N", "N", "Y", "N", "N", "N"]
    ae["AEDTHFL"] = ["N", "N", "N", "N", "N", "Y"]
    ae["AEIRFL"] = ["Y", "N", "N", "N", "N", "N"]
    ae["ATOXGR"] = ae["ATOXGRN"].map(lambda g: str(int(g)))
    ae["AENDT"] = pd.to_datetime(["2018-01-07", "NaT", "2018-02-20", "2018-02-12", "2018-03-02", "NaT"])
    ae["ASTDY"] = [5.0, 32.0, 10.0, 11.0, 1.0, float("nan")]
    ae["AEACN"] = ["DOSE NOT CHANGED", "DRUG INTERRUPTED", "DRUG WITHDRAWN", "NOT APPLICABLE", "DOSE NOT CHANGED", ""]
    ae["AEOUT"] = ["RECOVERED/RESOLVED", "NOT RECOVERED/NOT RESOLVED", "RECOVERED/RESOLVED", "RECOVERED/RESOLVED",
                   "RECOVERED/RESOLVED", "FATAL"]
    ex = adam["ADEX"]
    subj = pd.DataFrame({"USUBJID": S[:4]})
    extra = [subj.assign(PARAMCD="NINF", AVAL=[3.0, 1.0, 1.0, 2.0], AINTFL=""),
             subj.assign(PARAMCD="CUMDOSE", AVAL=[60.0, 20.0, 20.0, 40.0], AINTFL=""),
             subj.assign(PARAMCD="RDI", AVAL=[100.0, 95.5, 100.0, 87.25], AINTFL="")]
    adam["ADEX"] = pd.concat([ex, *extra], ignore_index=True)
    tte = adam["ADTTE"]
    os_days = [300.0, 120.0, 31.0, 400.0, 20.0]
    os_ = pd.DataFrame({"USUBJID": S, "PARAMCD": "OS", "AVAL": os_days, "AVALM": [x / 30.4375 for x in os_days],
                        "CNSR": [1.0, 0.0, 0.0, 1.0, 0.0]})
    adam["ADTTE"] = pd.concat([tte, os_], ignore_index=True)
    return adam
