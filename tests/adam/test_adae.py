"""ADAE on a hand-made fixture.

201 (first dose 2018-01-01, last 2018-03-01, TEAE window to 2018-03-31)
  1 NAUSEA g1 2017-12-25..2018-01-10 pre-existing            -> not emergent
  2 NAUSEA g3 2018-01-10..2018-01-20 same event, worsened    -> emergent
  3 FATIGUE g2 2017-12-20.. ongoing, pre-existing            -> not emergent
  4 FATIGUE g1 2018-01-15..2018-02-01 same event, improved   -> not emergent
  5 HEADACHE g2 2018-01-02..                                -> emergent
  6 RASH g1 2018-03-31..2018-03-31 (last dose + 30 days)     -> emergent
  7 RASH g2 2018-04-01.. (last dose + 31 days, new event)    -> not emergent
  8 INFUSION RELATED REACTION g2 2018-01-01, AEIR Y         -> emergent, infusion reaction
202 (first dose 2018-02-14, last 2018-03-14, died 2018-04-10)
  1 ANAEMIA g3 start "2018-02" -> 2018-02-14 (not before first dose), end 2018-02-20
  2 PNEUMONIA g5 2018-04-01, end "2018-04" -> 2018-04-10 (not after death), fatal, drug withdrawn
203 not treated: 1 COUGH 2018-05-01 -> not emergent
"""

import pandas as pd
import pytest

from trialflow.adam import adae as ADAE
from trialflow.adam.common import finalize
from trialflow.adam.derive import derive_var_contiguous_group

from .helpers import frame, supp, usubjid

NaT = pd.NaT
T = pd.Timestamp

AES = [  # subject, term, SOC, grade, start, end, action, outcome, infusion reaction
    ("201", "NAUSEA", "GASTROINTESTINAL DISORDERS", "1", "2017-12-25", "2018-01-10", "NOT APPLICABLE", "RECOVERED/RESOLVED", "N"),
    ("201", "NAUSEA", "GASTROINTESTINAL DISORDERS", "3", "2018-01-10", "2018-01-20", "DOSE NOT CHANGED", "RECOVERED/RESOLVED", "N"),
    ("201", "FATIGUE", "GENERAL DISORDERS", "2", "2017-12-20", "", "NOT APPLICABLE", "NOT RECOVERED/NOT RESOLVED", "N"),
    ("201", "FATIGUE", "GENERAL DISORDERS", "1", "2018-01-15", "2018-02-01", "DOSE NOT CHANGED", "RECOVERED/RESOLVED", "N"),
    ("201", "HEADACHE", "NERVOUS SYSTEM DISORDERS", "2", "2018-01-02", "", "DOSE NOT CHANGED", "NOT RECOVERED/NOT RESOLVED", ""),
    ("201", "RASH", "SKIN DISORDERS", "1", "2018-03-31", "2018-03-31", "NOT APPLICABLE", "RECOVERED/RESOLVED", "N"),
    ("201", "RASH", "SKIN DISORDERS", "2", "2018-04-01", "", "NOT APPLICABLE", "NOT RECOVERED/NOT RESOLVED", "N"),
    ("201", "INFUSION RELATED REACTION", "GENERAL DISORDERS", "2", "2018-01-01", "2018-01-01", "DRUG INTERRUPTED", "RECOVERED/RESOLVED", "Y"),
    ("202", "ANAEMIA", "BLOOD DISORDERS", "3", "2018-02", "2018-02-20", "DOSE NOT CHANGED", "RECOVERED/RESOLVED", "N"),
    ("202", "PNEUMONIA", "INFECTIONS", "5", "2018-04-01", "2018-04", "DRUG WITHDRAWN", "FATAL", "N"),
    ("203", "COUGH", "RESPIRATORY DISORDERS", "1", "2018-05-01", "2018-05-05", "NOT APPLICABLE", "RECOVERED/RESOLVED", "N"),
]


def ae_sdtm(specs):
    ae = frame(specs, "AE", [
        {"USUBJID": s, "AETERM": t, "AEDECOD": t.capitalize(), "AEBODSYS": soc, "AESOC": soc, "AETOXGR": g,
         "AESTDTC": st, "AEENDTC": en, "AEACN": acn, "AEOUT": out, "AESER": "N", "AEREL": "RELATED"}
        for s, t, soc, g, st, en, acn, out, _ in AES])
    suppae = supp(specs, ae, "AE", [(i, "AEIR", a[-1]) for i, a in enumerate(AES) if a[-1]])
    return {"AE": ae, "SUPPAE": suppae}


def adsl_frame():
    return pd.DataFrame({
        "STUDYID": "TCD14079", "USUBJID": [usubjid(s) for s in ("201", "202", "203")],
        "TRTSDT": pd.to_datetime(["2018-01-01", "2018-02-14", None]).astype("datetime64[us]"),
        "TRTEDT": pd.to_datetime(["2018-03-01", "2018-03-14", None]).astype("datetime64[us]"),
        "DTHDT": pd.to_datetime([None, "2018-04-10", None]).astype("datetime64[us]"),
        "SAFFL": ["Y", "Y", "N"]})


@pytest.fixture(scope="module")
def adae(specs, params):
    return finalize(ADAE.derive(ae_sdtm(specs), {"ADSL": adsl_frame()}, params), ADAE, specs)


def test_treatment_emergence(adae):
    assert adae["TRTEMFL"].tolist() == ["", "Y", "", "", "Y", "Y", "", "Y", "Y", "Y", ""]


def test_dates_imputation_and_days(adae):
    assert adae.loc[8, "ASTDT"] == T("2018-02-14") and adae.loc[8, "ASTDTF"] == "D"
    assert adae.loc[9, "AENDT"] == T("2018-04-10") and adae.loc[9, "AENDTF"] == "D"
    assert adae.loc[2, "AENDT"] is NaT and adae.loc[0, "ASTDTF"] == ""
    assert adae["ASTDY"].tolist()[:2] == [-7, 10] and adae.loc[9, "AENDY"] == 56


def test_grades_and_flags(adae):
    assert adae["ATOXGRN"].tolist() == [1, 3, 2, 1, 2, 1, 2, 2, 3, 5, 1]
    assert adae["ATOXGR"].tolist()[9] == "5"
    assert adae["AEIRFL"].tolist() == ["N"] * 7 + ["Y"] + ["N"] * 3  # blank SUPPAE value -> N
    assert adae["AEDISFL"].tolist() == ["N"] * 9 + ["Y", "N"]
    assert adae["AEDTHFL"].tolist() == ["N"] * 9 + ["Y", "N"]


def test_first_occurrence_flags(adae):
    # 201's emergent records by date: 8 IRR and 5 HEADACHE (01-01, 01-02), 2 NAUSEA, 6 RASH
    assert adae["AOCCFL"].tolist() == ["", "", "", "", "", "", "", "Y", "Y", "", ""]
    assert adae["AOCCSFL"].tolist() == ["", "Y", "", "", "Y", "Y", "", "Y", "Y", "Y", ""]
    assert adae["AOCCPFL"].tolist() == ["", "Y", "", "", "Y", "Y", "", "Y", "Y", "Y", ""]
    assert adae.loc[0, "SAFFL"] == "Y" and adae.loc[10, "SAFFL"] == "N"


def test_contiguous_group():
    df = pd.DataFrame({"U": ["A"] * 5 + ["B"], "T": ["X", "X", "X", "X", "Y", "X"],
                       "S": pd.to_datetime(["2018-01-10", "2018-01-01", "2018-01-20", "2018-03-01",
                                            "2018-01-01", "2018-01-01"]),
                       "E": pd.to_datetime(["2018-01-15", "2018-01-10", None, "2018-03-02",
                                            "2018-01-02", None])})
    out = derive_var_contiguous_group(df, "G", ["U", "T"], "S", "E")
    # A/X by start: 01-01..01-10 and 01-10..01-15 overlap (run 1); 01-20 starts after 01-15
    # (run 2) and is ongoing, so 03-01 joins it; A/Y and B/X are runs of their own
    assert out["G"].tolist() == [1, 1, 2, 2, 3, 4]
