"""ADRS on a hand-made fixture (first dose 2018-01-01, so study day n is 2018-01-01 + n - 1).

101  SD d29, PR d57, PD d85, SD d113 (after PD)  -> BOR PR (d57), CBR/ORR/DCR Y
102  SD d55, PD d85                              -> BOR SD; DCR N (SD only 54 days after dose)
103  SD d57                                      -> BOR SD; DCR Y (SD 56 days after dose)
104  only a screening assessment                 -> BOR NE (no analysable assessment), all N
105  NE and SD on d29 (same day), NE d57          -> per-day record is SD; BOR SD; DCR N
106  SD d29; new anticancer therapy d41; MR d85   -> MR ignored (after new therapy): BOR SD
107  PD d29                                      -> BOR PD
108  MR d29                                      -> BOR MR: CBR Y, ORR N, DCR Y (MR at any time)
109  not treated                                 -> BOR NE
"""

import numpy as np
import pandas as pd
import pytest

from trialflow.adam import adrs as ADRS
from trialflow.adam.common import finalize

from .helpers import frame, usubjid

NaT = pd.NaT
SUBJECTS = [f"1{i:02d}" for i in range(1, 10)]


def day(n):
    return pd.Timestamp("2018-01-01") + pd.Timedelta(days=n - 1)


def adsl_frame():
    treated = [s != "109" for s in SUBJECTS]
    return pd.DataFrame({
        "STUDYID": "TCD14079", "USUBJID": [usubjid(s) for s in SUBJECTS],
        "TRTSDT": pd.Series([day(1) if t else NaT for t in treated]).astype("datetime64[us]"),
        "SAFFL": ["Y" if t else "N" for t in treated], "EFFFL": ["Y" if t else "N" for t in treated]})


ASSESSMENTS = [  # subject, study day, response
    ("101", 29, "SD"), ("101", 57, "PR"), ("101", 85, "PD"), ("101", 113, "SD"),
    ("102", 55, "SD"), ("102", 85, "PD"),
    ("103", 57, "SD"),
    ("104", -10, "PD"),
    ("105", 29, "NE"), ("105", 29, "SD"), ("105", 57, "NE"),
    ("106", 29, "SD"), ("106", 85, "MR"),
    ("107", 29, "PD"),
    ("108", 29, "MR"),
]


def adrs_sdtm(specs):
    rs = frame(specs, "RS", [
        {"USUBJID": s, "RSCAT": "IMWG", "RSTESTCD": "OVRLRESP", "RSSTRESC": r, "RSEVAL": "INVESTIGATOR",
         "RSDTC": day(d).strftime("%Y-%m-%d"), "VISITNUM": 100.0 * (d // 28 + 1) + 1,
         "VISIT": f"CYCLE {d // 28 + 1} DAY 1"} for s, d, r in ASSESSMENTS] + [
        {"USUBJID": "101", "RSCAT": "ECOG", "RSTESTCD": "ECOG101", "RSSTRESC": "1", "RSSTRESN": 1.0,
         "RSDTC": "2017-12-28", "RSLOBXFL": "Y"}])
    cm = frame(specs, "CM", [
        {"USUBJID": "106", "CMCAT": "CONCOMITANT MEDICATION", "CMTRT": "REVLIMID", "CMDECOD": "LENALIDOMIDE",
         "CMSTDTC": day(41).strftime("%Y-%m-%d")},
        {"USUBJID": "101", "CMCAT": "PROTOCOL DEXAMETHASONE", "CMTRT": "DEXAMETHASONE",
         "CMDECOD": "DEXAMETHASONE", "CMSTDTC": day(29).strftime("%Y-%m-%d")},
        {"USUBJID": "102", "CMCAT": "PRIOR ANTICANCER THERAPY", "CMGRPID": "LINE 1", "CMTRT": "POMALYST",
         "CMDECOD": "POMALIDOMIDE", "CMSTDTC": "2017-01-01", "CMENDTC": "2017-06-01"}])
    return {"RS": rs, "CM": cm}


@pytest.fixture(scope="module")
def adrs(specs, params):
    out = ADRS.derive(adrs_sdtm(specs), {"ADSL": adsl_frame()}, params)
    return finalize(out, ADRS, specs)


def param(adrs, paramcd):
    out = adrs[adrs.PARAMCD == paramcd].copy()
    out.index = out.USUBJID.str[-3:]
    return out


def test_overall_response_records_and_flags(adrs):
    ovr = param(adrs, "OVR")
    assert len(ovr) == len(ASSESSMENTS)
    assert ovr["AVAL"].tolist() == [6, 4, 7, 6, 6, 7, 6, 7, 8, 6, 8, 6, 5, 7, 5]
    a = ovr.loc["101"]
    assert a["ADY"].tolist() == [29, 57, 85, 113]
    assert a["ANL01FL"].tolist() == ["Y"] * 4
    assert a["ANL02FL"].tolist() == ["Y", "Y", "Y", ""]  # up to and including the first PD
    assert ovr.loc["104", "ANL01FL"] == ""  # before first dose
    assert ovr.loc["105", "ANL01FL"].tolist() == ["", "Y", "Y"]  # same-day NE gives way to SD
    assert ovr.loc["106", "ANL01FL"].tolist() == ["Y", ""]  # MR after new anticancer therapy
    assert ovr.loc["101", "PARAM"].iloc[0] == "Overall Response by Investigator"
    assert (ovr["SRCDOM"] == "RS").all() and ovr.loc["101", "SRCSEQ"].tolist() == [1, 2, 3, 4]
    assert ovr.loc["101", "AVISIT"].tolist()[1] == "CYCLE 3 DAY 1"


def test_best_overall_response(adrs):
    bor = param(adrs, "BOR")
    assert bor.index.tolist() == SUBJECTS  # one per ADSL subject
    assert bor["AVALC"].tolist() == ["PR", "SD", "SD", "NE", "SD", "SD", "PD", "MR", "NE"]
    assert bor["AVAL"].tolist() == [4, 6, 6, 8, 6, 6, 7, 5, 8]
    assert bor["ADT"].tolist() == [day(57), day(55), day(57), NaT, day(29), day(29), day(29), day(29), NaT]
    assert bor.loc["101", "SRCSEQ"] == 2 and bor.loc["101", "SRCDOM"] == "RS"
    assert bor.loc["104", "SRCDOM"] == "" and np.isnan(bor.loc["104", "SRCSEQ"])
    assert (bor["ANL01FL"] == "Y").all() and (bor["PARAMN"] == 2).all()


def test_rates(adrs):
    assert param(adrs, "CBR")["AVALC"].tolist() == ["Y", "N", "N", "N", "N", "N", "N", "Y", "N"]
    assert param(adrs, "ORR")["AVALC"].tolist() == ["Y", "N", "N", "N", "N", "N", "N", "N", "N"]
    dcr = param(adrs, "DCR")
    # 102: SD on day 55 (54 days after first dose) is not enough; 103: day 57 (56 days) is
    assert dcr["AVALC"].tolist() == ["Y", "N", "Y", "N", "N", "N", "N", "Y", "N"]
    assert dcr["AVAL"].tolist() == [1, 0, 1, 0, 0, 0, 0, 1, 0]
    assert dcr.loc["101", "ADT"] == day(57) and dcr.loc["103", "ADT"] == day(57)


def test_dcr_window_is_an_argument():
    order = ["sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE"]
    sd = ADRS.dcr_events(order, 54)[1]
    d = pd.DataFrame({"ANL02FL": ["Y"], "AVALC": ["SD"], "ADT": [day(55)], "TRTSDT": [day(1)]})
    assert sd.condition(d).tolist() == [True]
    assert ADRS.dcr_events(order, 56)[1].condition(d).tolist() == [False]


def test_sequence_and_adsl_variables(adrs):
    assert adrs.groupby("USUBJID")["ASEQ"].apply(lambda s: s.tolist() == list(range(1, len(s) + 1))).all()
    assert set(adrs.loc[adrs.USUBJID.str.endswith("109"), "SAFFL"]) == {"N"}
    assert adrs["PARAMCD"].value_counts().to_dict() == {"OVR": 15, "BOR": 9, "CBR": 9, "ORR": 9, "DCR": 9}
