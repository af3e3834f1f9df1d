"""Hand-worked tests of the event derivations (trialflow.adam.events): best overall response
by event precedence, joined (confirmation) events and time-to-event parameters."""

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal

from trialflow.adam.events import (
    CensorSource, DateSource, Event, EventJoined, EventSource, derive_extreme_event,
    derive_param_tte, derive_var_extreme_dt,
)

NaT = pd.NaT


def D(*values):
    """Dates as the library returns them (datetime64[us])."""
    return pd.to_datetime(list(values), format="mixed").astype("datetime64[us]")


def F(*values):
    return pd.Series(list(values), dtype="float64")


# --------------------------------------------------------------------------- extreme event (BOR)
def _rs():
    return pd.DataFrame({
        "USUBJID": ["A", "A", "A", "B", "B", "C", "D", "D"],
        "PARAMCD": ["OVR"] * 8,
        "AVALC": ["SD", "PR", "PD", "SD", "NE", "PD", "SD", "SD"],
        "ADY": [29.0, 57.0, 85.0, 29.0, 57.0, 20.0, 29.0, 60.0],
        "SRCDOM": ["RS"] * 8,
        "SRCSEQ": [1.0, 2.0, 3.0, 1.0, 2.0, 1.0, 1.0, 2.0],
    })


def _bor_events(sd_min_days):
    return [
        Event(condition="AVALC == 'PR'", set_values_to={"AVALC": "PR"}),
        Event(condition=lambda d: (d.AVALC == "SD") & (d.ADY >= sd_min_days),
              set_values_to={"AVALC": "SD"}),
        Event(condition="AVALC == 'PD'", set_values_to={"AVALC": "PD"}),
        Event(dataset_name="adsl", set_values_to={"AVALC": "NE"}),
    ]


def test_derive_extreme_event_precedence_and_source_record():
    rs, adsl = _rs(), pd.DataFrame({"USUBJID": ["A", "B", "C", "D", "E"]})
    out = derive_extreme_event(rs, ["USUBJID"], _bor_events(56), order=["ADY"], mode="first",
                               source_datasets={"adsl": adsl},
                               set_values_to={"PARAMCD": "BOR"})
    new = out.iloc[len(rs):].reset_index(drop=True)
    exp = pd.DataFrame({"USUBJID": ["A", "B", "C", "D", "E"], "PARAMCD": ["BOR"] * 5,
                        "AVALC": ["PR", "NE", "PD", "SD", "NE"],
                        "ADY": [57.0, np.nan, 20.0, 60.0, np.nan],
                        "SRCDOM": ["RS", "", "RS", "RS", ""],
                        "SRCSEQ": [2.0, np.nan, 1.0, 2.0, np.nan]}).astype({"USUBJID": "str"})
    assert_frame_equal(new, exp)
    assert_frame_equal(out.iloc[: len(rs)], rs)


def test_derive_extreme_event_order_variables_missing_from_every_source():
    adsl = pd.DataFrame({"USUBJID": ["A", "B"]})
    out = derive_extreme_event(_rs().iloc[:0], ["USUBJID"], _bor_events(56)[-1:],
                               order=["ADY", "SRCSEQ"], source_datasets={"adsl": adsl})
    assert out["AVALC"].tolist() == ["NE", "NE"] and out["ADY"].isna().all()


def test_event_joined_confirmation():
    rs = pd.DataFrame({"USUBJID": ["A", "A", "A", "B", "B", "C", "C", "C"],
                       "AVALC": ["SD", "SD", "PD", "SD", "SD", "SD", "NE", "SD"],
                       "ADY": [10.0, 40.0, 70.0, 10.0, 20.0, 10.0, 30.0, 50.0]})
    confirmed = EventJoined(
        join_vars=["AVALC", "ADY"], join_type="after",
        first_cond="AVALC_join == 'SD' and ADY_join >= ADY + 28",
        condition=lambda j: (j.AVALC == "SD") & j.groupby("_obs").AVALC_join.transform(
            lambda s: s.isin(["SD", "NE"]).all()),
        set_values_to={"AVALC": "CSD"})
    out = derive_extreme_event(rs, ["USUBJID"], [confirmed, Event(set_values_to={"AVALC": "X"})],
                               order=["ADY"], keep_source_vars=["ADY"])
    new = out.iloc[len(rs):].reset_index(drop=True)
    assert new["AVALC"].tolist() == ["CSD", "X", "CSD"]
    assert new["ADY"].tolist() == [10.0, 10.0, 10.0]


# --------------------------------------------------------------------------- time to event
def _tte_inputs():
    adsl = pd.DataFrame({
        "STUDYID": ["S"] * 5, "USUBJID": ["A", "B", "C", "D", "E"],
        "TRTSDT": D("2018-01-01", "2018-01-01", "2018-01-01", "2018-01-01", "2018-01-01"),
        "DTHDT": D("2018-03-01", "2018-02-01", NaT, NaT, "2018-04-01"),
    })
    adrs = pd.DataFrame({
        "STUDYID": ["S"] * 6, "USUBJID": ["A", "A", "B", "C", "C", "E"],
        "AVALC": ["SD", "PD", "SD", "PR", "NE", "PD"],
        "ADT": D("2018-01-29", "2018-02-26", "2018-01-29", "2018-01-29", "2018-02-26",
                 "2018-04-01"),
        "ASEQ": [1.0, 2.0, 1.0, 1.0, 2.0, 1.0],
    })
    events = [EventSource("adrs", "ADT", filter="AVALC == 'PD'",
                          set_values_to={"EVNTDESC": "PD"}),
              EventSource("adsl", "DTHDT", set_values_to={"EVNTDESC": "DEATH"})]
    censors = [CensorSource("adrs", "ADT", filter="AVALC != 'NE'",
                            set_values_to={"CNSDTDSC": "LAST ADEQUATE ASSESSMENT"}),
               CensorSource("adsl", "TRTSDT", set_values_to={"CNSDTDSC": "FIRST DOSE"})]
    return adsl, {"adsl": adsl, "adrs": adrs}, events, censors


def test_derive_param_tte_pfs():
    adsl, src, events, censors = _tte_inputs()
    out = derive_param_tte(adsl, src, events, censors,
                           set_values_to={"PARAMCD": "PFS", "PARAM": "Progression-free survival"})
    exp = pd.DataFrame({
        "STUDYID": ["S"] * 5, "USUBJID": ["A", "B", "C", "D", "E"],
        "PARAMCD": ["PFS"] * 5, "PARAM": ["Progression-free survival"] * 5,
        "STARTDT": D(*["2018-01-01"] * 5),
        # A: PD before death; B: death without PD; C: last adequate (PR, not NE);
        # D: no post-baseline record -> censored at start (day 1); E: PD and death same day
        "ADT": D("2018-02-26", "2018-02-01", "2018-01-29", "2018-01-01", "2018-04-01"),
        "AVAL": F(57, 32, 29, 1, 91),
        "CNSR": F(0, 0, 1, 1, 0),
        "SRCDOM": ["ADRS", "ADSL", "ADRS", "ADSL", "ADRS"],
        "SRCVAR": ["ADT", "DTHDT", "ADT", "TRTSDT", "ADT"],
        "SRCSEQ": F(2, np.nan, 1, np.nan, 1),
        "EVNTDESC": ["PD", "DEATH", "", "", "PD"],
        "CNSDTDSC": ["", "", "LAST ADEQUATE ASSESSMENT", "FIRST DOSE", ""],
    }).astype({c: "str" for c in ["STUDYID", "USUBJID", "PARAMCD", "PARAM", "SRCDOM", "SRCVAR",
                                  "EVNTDESC", "CNSDTDSC"]})
    assert_frame_equal(out, exp)
    # event tie between sources: listed-first source wins; day_offset is an argument
    out = derive_param_tte(adsl, src, events[::-1], censors, day_offset=0,
                           set_values_to={"PARAMCD": "PFS"})
    assert out.loc[4, "EVNTDESC"] == "DEATH" and out.loc[0, "AVAL"] == 56


def test_derive_param_tte_floors_at_start_and_appends():
    adsl, src, _, censors = _tte_inputs()
    adsl = adsl.assign(LSTALVDT=D("2017-12-31", NaT, NaT, NaT, NaT))
    out = derive_param_tte(adsl.iloc[:1], {"adsl": adsl}, [],
                           [CensorSource("adsl", "LSTALVDT")],
                           set_values_to={"PARAMCD": "OS"}, dataset=pd.DataFrame(
                               {"USUBJID": ["Z"], "PARAMCD": ["X"]}))
    assert out["USUBJID"].tolist() == ["Z", "A"]
    assert out.loc[1, "ADT"] == pd.Timestamp("2018-01-01") and out.loc[1, "AVAL"] == 1


def test_derive_var_extreme_dt_last_known_alive():
    adsl = pd.DataFrame({"STUDYID": ["S"] * 3, "USUBJID": ["A", "B", "C"],
                         "TRTEDT": D("2018-03-01", "2018-02-01", NaT)})
    ss = pd.DataFrame({"STUDYID": ["S"] * 3, "USUBJID": ["A", "A", "B"],
                       "SSSTRESC": ["ALIVE", "DEAD", "ALIVE"],
                       "SSDTC": ["2018-05-01", "2018-06-01", "2018-01"]})  # partial: ignored
    out = derive_var_extreme_dt(adsl, "LSTALVDT", [
        DateSource("adsl", "TRTEDT"), DateSource("ss", "SSDTC", filter="SSSTRESC == 'ALIVE'")],
        {"adsl": adsl, "ss": ss})
    assert out["LSTALVDT"].tolist() == [pd.Timestamp("2018-05-01"), pd.Timestamp("2018-02-01"), NaT]
    assert str(out["LSTALVDT"].dtype) == "datetime64[us]"
