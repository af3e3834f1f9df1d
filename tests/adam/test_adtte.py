"""ADTTE from the ADRS fixture (tests/adam/test_adrs.py) plus deaths, last-alive dates and
treatment ends; days are counted with the first dose as day 1.

PFS 101 PD d85 (event) | 102 PD and death both d85: the tie goes to PD (listed first) |
    103 death d121 without PD | 104 no analysable assessment: censored at first dose (day 1) |
    105 last adequate assessment SD d29 (the later NE is not adequate) | 106 SD d29 (MR after new
    therapy not used) | 107 PD d29 | 108 MR d29, censored | 109 not treated: no record.
OS  deaths 102 (d85), 103 (d121); others censored at their last-known-alive date.
DOT last dose - first dose + 1; event when treatment was discontinued, censored when ongoing.
"""

import numpy as np
import pandas as pd
import pytest

from trialflow.adam import adrs as ADRS
from trialflow.adam import adtte as ADTTE
from trialflow.adam.common import finalize
from trialflow.errors import InputError

from .test_adrs import SUBJECTS, adrs_sdtm, adsl_frame, day

NaT = pd.NaT
TREATED = SUBJECTS[:-1]


def adsl_tte():
    adsl = adsl_frame()
    death = {"102": day(85), "103": day(121)}
    alive = {"101": day(365), "104": day(200), "105": day(90), "106": day(100), "107": day(40),
             "108": day(29), "102": day(80), "103": day(110)}
    last_dose = {"101": day(71), "104": day(15)}
    sid = adsl.USUBJID.str[-3:]
    return adsl.assign(
        DTHDT=sid.map(death).astype("datetime64[us]"), LSTALVDT=sid.map(alive).astype("datetime64[us]"),
        TRTEDT=sid.map(last_dose).fillna(day(29)).where(adsl.SAFFL == "Y").astype("datetime64[us]"),
        EOTSTT=np.where(sid.eq("104"), "ONGOING", "DISCONTINUED"))


@pytest.fixture(scope="module")
def inputs(specs, params):
    adsl = adsl_tte()
    adrs = finalize(ADRS.derive(adrs_sdtm(specs), {"ADSL": adsl}, params), ADRS, specs)
    return adsl, adrs


@pytest.fixture(scope="module")
def adtte(specs, params, inputs):
    adsl, adrs = inputs
    return finalize(ADTTE.derive({}, {"ADSL": adsl, "ADRS": adrs}, params), ADTTE, specs)


def param(adtte, paramcd):
    out = adtte[adtte.PARAMCD == paramcd].copy()
    out.index = out.USUBJID.str[-3:]
    return out


def test_pfs(adtte, inputs):
    pfs = param(adtte, "PFS")
    assert pfs.index.tolist() == TREATED
    assert pfs["AVAL"].tolist() == [85, 85, 121, 1, 29, 29, 29, 29]
    assert pfs["CNSR"].tolist() == [0, 0, 0, 1, 1, 1, 0, 1]
    assert pfs["EVNTDESC"].tolist() == [
        "DISEASE PROGRESSION", "DISEASE PROGRESSION", "DEATH", "NO ADEQUATE ASSESSMENT",
        "LAST ADEQUATE ASSESSMENT", "LAST ADEQUATE ASSESSMENT", "DISEASE PROGRESSION",
        "LAST ADEQUATE ASSESSMENT"]
    assert pfs["CNSDTDSC"].tolist() == ["", "", "", "FIRST DOSE", "LAST ADEQUATE ASSESSMENT",
                                        "LAST ADEQUATE ASSESSMENT", "", "LAST ADEQUATE ASSESSMENT"]
    assert pfs["SRCDOM"].tolist() == ["ADRS", "ADRS", "ADSL", "ADSL", "ADRS", "ADRS", "ADRS", "ADRS"]
    assert pfs["SRCVAR"].tolist() == ["ADT", "ADT", "DTHDT", "TRTSDT", "ADT", "ADT", "ADT", "ADT"]
    # SRCSEQ points at the ADRS record: 101's PD is its third OVR record (ASEQ 3)
    _, adrs = inputs
    src = adrs.set_index(["USUBJID", "ASEQ"])
    assert src.loc[(pfs.loc["101", "USUBJID"], pfs.loc["101", "SRCSEQ"]), "AVALC"] == "PD"
    assert src.loc[(pfs.loc["105", "USUBJID"], pfs.loc["105", "SRCSEQ"]), "ADT"] == day(29)
    assert pfs["STARTDT"].eq(day(1)).all() and pfs["ADT"].tolist()[:3] == [day(85), day(85), day(121)]
    assert pfs.loc["101", "AVALM"] == pytest.approx(85 / 30.4375)
    assert pfs["PARAM"].iloc[0] == "Progression-Free Survival (days)" and (pfs["AVALU"] == "DAYS").all()


def test_os_and_dot(adtte):
    os_ = param(adtte, "OS")
    assert os_["AVAL"].tolist() == [365, 85, 121, 200, 90, 100, 40, 29]
    assert os_["CNSR"].tolist() == [1, 0, 0, 1, 1, 1, 1, 1]
    assert os_.loc["102", "EVNTDESC"] == "DEATH" and os_.loc["101", "CNSDTDSC"] == "LAST KNOWN ALIVE DATE"
    dot = param(adtte, "DOT")
    assert dot["AVAL"].tolist() == [71, 29, 29, 15, 29, 29, 29, 29]
    assert dot["CNSR"].tolist() == [0, 0, 0, 1, 0, 0, 0, 0]
    assert dot.loc["104", "EVNTDESC"] == "TREATMENT ONGOING"
    assert adtte["PARAMN"].tolist()[:3] == [1, 2, 3]
    assert (adtte["EVNTDESC"] != "").all()


def test_dataset_rules(specs, params, inputs):
    adsl, adrs = inputs
    out = ADTTE.derive({}, {"ADSL": adsl, "ADRS": adrs}, params)
    with pytest.raises(InputError, match="ADTTE breaks rule 'one record per USUBJID, PARAMCD'"):
        finalize(pd.concat([out, out.iloc[:1]], ignore_index=True), ADTTE, specs)
    bad = out.copy()
    bad.loc[2, "CNSR"] = 2.0
    with pytest.raises(InputError, match=r"CNSR in \[0.0, 1.0\]"):
        finalize(bad, ADTTE, specs)
    bad = out.copy()
    bad.loc[0, "AVAL"] = -1.0
    with pytest.raises(InputError, match="'AVAL present and >= 0' for subject TCD14079-840001-101"):
        finalize(bad, ADTTE, specs)
