"""ADEX on a hand-made fixture (schedule: days 1, 8, 15, 22 of cycle 1, then days 1 and 15 of
each 28-day cycle, i.e. study days 1, 8, 15, 22, 29, 43, 57, 71, ...).

301  7 infusions on days 1, 8 (interrupted), 15, 22, 29, 43 and 64 (C3D1 a week late):
     exposure (63 + 14) / 7 = 11 weeks; planned days up to day 77: 8 -> RDI 140 / 160 = 87.5 %
302  one infusion (day 1) and a C1D8 record with dose 0: 1 infusion, 1 week, RDI 100 %
303  not treated: no records
"""

import numpy as np
import pandas as pd
import pytest

from trialflow.adam import adex as ADEX
from trialflow.adam.common import finalize

from .helpers import frame, supp, usubjid

DOSES = [("301", 1, 101, 20.0, "N"), ("301", 8, 108, 20.0, "Y"), ("301", 15, 115, 20.0, "N"),
         ("301", 22, 122, 20.0, "N"), ("301", 29, 201, 20.0, "N"), ("301", 43, 215, 20.0, "N"),
         ("301", 64, 301, 20.0, "N"), ("302", 1, 101, 20.0, "N"), ("302", 8, 108, 0.0, "")]


def day(n):
    return pd.Timestamp("2018-01-01") + pd.Timedelta(days=n - 1)


def ex_sdtm(specs):
    ex = frame(specs, "EX", [
        {"USUBJID": s, "EXTRT": "ISATUXIMAB", "EXDOSE": dose, "EXDOSU": "mg/kg", "VISITNUM": float(v),
         "VISIT": f"CYCLE {v // 100} DAY {v % 100}", "EXSTDTC": day(d).strftime("%Y-%m-%dT09:00")}
        for s, d, v, dose, _ in DOSES])
    quals = [(i, "INFINT", f) for i, (*_, f) in enumerate(DOSES) if f] + [(1, "INFINTRS", "INFUSION REACTION")]
    return {"EX": ex, "SUPPEX": supp(specs, ex, "EX", quals)}


def adsl_frame():
    return pd.DataFrame({"STUDYID": "TCD14079", "USUBJID": [usubjid(s) for s in ("301", "302", "303")],
                         "TRTSDT": pd.Series([day(1), day(1), pd.NaT]).astype("datetime64[us]"),
                         "SAFFL": ["Y", "Y", "N"], "TRTDURW": [11.0, 1.0, np.nan]})


@pytest.fixture(scope="module")
def adex(specs, params):
    return finalize(ADEX.derive(ex_sdtm(specs), {"ADSL": adsl_frame()}, params), ADEX, specs)


def test_dose_records(adex):
    dose = adex[adex.PARAMCD == "DOSE"]
    assert len(dose) == len(DOSES)
    assert dose["AVAL"].tolist() == [d[3] for d in DOSES]
    assert dose["ASTDT"].tolist()[:2] == [day(1), day(8)]
    assert dose["AINTFL"].tolist() == ["N", "Y", "N", "N", "N", "N", "N", "N", "N"]
    assert dose["AINTRS"].tolist()[1] == "INFUSION REACTION"
    assert dose["VISITNUM"].tolist()[6] == 301 and dose["VISIT"].tolist()[6] == "CYCLE 3 DAY 1"
    assert (dose["SRCDOM"] == "EX").all() and dose["SRCSEQ"].tolist()[:3] == [1, 2, 3]
    assert dose["PARAM"].iloc[0] == "Dose per Infusion (mg/kg)" and (dose["AVALU"] == "mg/kg").all()


def test_subject_level_parameters(adex):
    subj = adex[adex.PARAMCD != "DOSE"].pivot(index="USUBJID", columns="PARAMCD", values="AVAL")
    assert list(subj.index) == [usubjid("301"), usubjid("302")]  # untreated 303 has none
    assert subj["NINF"].tolist() == [7, 1]
    assert subj["NINTINF"].tolist() == [1, 0]
    assert subj["DURWK"].tolist() == [11, 1]
    assert subj["CUMDOSE"].tolist() == [140, 20]
    assert subj["RDI"].tolist() == [87.5, 100.0]


def test_planned_infusions_follow_the_schedule(params):
    days = pd.Series([7.0, 28.0, 29.0, 42.0, 43.0, 70.0, 77.0, 518.0, np.nan])
    got = ADEX.planned_infusions(days, params.get("treatment")).tolist()
    # day 518 (74 weeks): 4 in cycle 1, then days 29 + 14k <= 518 for k = 0..34
    assert got[:8] == [1, 4, 5, 5, 6, 7, 8, 4 + 35] and np.isnan(got[8])


def test_sequence(adex):
    seq = adex[adex.USUBJID == usubjid("301")]
    assert seq["ASEQ"].tolist() == list(range(1, 13))
    assert seq["PARAMCD"].tolist()[7:] == ["NINF", "NINTINF", "DURWK", "CUMDOSE", "RDI"]
