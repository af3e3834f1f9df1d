"""Hand-worked tests of the generic derivation library (trialflow.adam.derive)."""

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from trialflow.adam.derive import (
    desc, derive_var_base, derive_var_chg, derive_var_extreme_flag, derive_var_obs_number,
    derive_var_pchg, derive_var_trtemfl, derive_vars_cat, derive_vars_dt, derive_vars_dtm,
    derive_vars_duration, derive_vars_dy, derive_vars_merged, filter_rows, combine_supp,
    derive_var_merged_exist_flag, derive_var_merged_summary, derive_var_relative_flag,
)
from trialflow.errors import InputError, SpecError

NaT = pd.NaT


def D(*values):
    """Dates as the library returns them (datetime64[us])."""
    return pd.to_datetime(list(values), format="mixed").astype("datetime64[us]")


def S(*values):
    return pd.Series(list(values), dtype="str")


def F(*values):
    return pd.Series(list(values), dtype="float64")


# --------------------------------------------------------------------------- dates
DTC = ["2018", "2018-02", "2020-02", "2018-03-12", "2018-03-12T09:30", "", None, "2019---07"]


@pytest.mark.parametrize("imputation, expected", [
    ("first", ["2018-01-01", "2018-02-01", "2020-02-01", "2018-03-12", "2018-03-12", NaT, NaT,
               "2019-01-01"]),
    ("mid", ["2018-06-30", "2018-02-15", "2020-02-15", "2018-03-12", "2018-03-12", NaT, NaT,
             "2019-06-30"]),
    ("last", ["2018-12-31", "2018-02-28", "2020-02-29", "2018-03-12", "2018-03-12", NaT, NaT,
              "2019-12-31"]),
])
def test_derive_vars_dt_imputation(imputation, expected):
    df = pd.DataFrame({"X": DTC})
    out = derive_vars_dt(df, "A", "X", highest_imputation="M", date_imputation=imputation)
    exp = df.assign(ADT=D(*expected), ADTF=S("M", "D", "D", "", "", "", "", "M"))
    assert_frame_equal(out, exp)


def test_derive_vars_dt_highest_imputation_limits():
    df = pd.DataFrame({"X": DTC})
    none = derive_vars_dt(df, "A", "X")  # "n": complete dates only
    assert_frame_equal(none, df.assign(
        ADT=D(NaT, NaT, NaT, "2018-03-12", "2018-03-12", NaT, NaT, NaT), ADTF=S(*[""] * 8)))
    day = derive_vars_dt(df, "A", "X", highest_imputation="D", date_imputation="last",
                         flag_imputation=False)
    assert_frame_equal(day, df.assign(
        ADT=D(NaT, "2018-02-28", "2020-02-29", "2018-03-12", "2018-03-12", NaT, NaT, NaT)))


def test_derive_vars_dt_min_max_dates_only_inside_possible_range():
    df = pd.DataFrame({
        "X": ["2018", "2018-02", "2018-02", "2018-02-03", "", "2018"],
        "LO": D("2018-05-05", "2018-02-10", "2018-03-01", "2018-02-01", "2019-01-01", NaT),
    })
    out = derive_vars_dt(df, "A", "X", highest_imputation="Y", min_dates=["LO"])
    # 2018 -> Jan 1 pushed to May 5; 2018-02 -> Feb 1 pushed to Feb 10; a March bound is outside
    # 2018-02 and ignored; a complete date never moves; a missing date takes the bound.
    exp = df.assign(ADT=D("2018-05-05", "2018-02-10", "2018-02-01", "2018-02-03", "2019-01-01",
                          "2018-01-01"), ADTF=S("M", "D", "D", "", "Y", "M"))
    assert_frame_equal(out, exp)
    df["HI"] = D("2018-03-01", "2018-02-10", "2018-01-31", NaT, NaT, "2018-07-01")
    out = derive_vars_dt(df.drop(columns="LO"), "A", "X", highest_imputation="M",
                         date_imputation="last", max_dates=["HI"], flag_imputation=False)
    exp = df.drop(columns="LO").assign(ADT=D("2018-03-01", "2018-02-10", "2018-02-28",
                                             "2018-02-03", NaT, "2018-07-01"))
    assert_frame_equal(out, exp)


@pytest.mark.parametrize("bad", ["2018-13", "2018-02-30", "12 MAR 2018", "2018-03-12T25:00",
                                 "18-03-12"])
def test_derive_vars_dt_invalid_text_raises_input_error(bad):
    df = pd.DataFrame({"AESTDTC": ["2018-01-01", bad]}, index=[10, 11])
    with pytest.raises(InputError) as err:
        derive_vars_dt(df, "AST", "AESTDTC")
    assert (err.value.field, err.value.value, err.value.row) == ("AESTDTC", bad, 11)
    assert "AESTDTC" in str(err.value) and bad in str(err.value)


def test_derive_vars_dt_bad_argument_is_spec_error():
    with pytest.raises(SpecError):
        derive_vars_dt(pd.DataFrame({"X": ["2018"]}), "A", "X", highest_imputation="Q")


def test_derive_vars_dtm():
    df = pd.DataFrame({"X": ["2018-03-12T09:30", "2018-03-12T09", "2018-03-12", "2018-03", ""],
                       "LO": pd.to_datetime(["2018-03-12T08:00", "2018-03-12T09:45",
                                             "2018-03-12T07:15", "2018-04-01T00:00", NaT])})
    out = derive_vars_dtm(df, "AST", "X", highest_imputation="M", min_dates=["LO"])
    exp = df.assign(
        ASTDTM=D("2018-03-12 09:30", "2018-03-12 09:45", "2018-03-12 07:15", "2018-03-01", NaT),
        ASTDTF=S("", "", "", "D", ""), ASTTMF=S("S", "M", "H", "H", ""))
    assert_frame_equal(out, exp)
    out = derive_vars_dtm(df[["X"]], "AST", "X", time_imputation="last", ignore_seconds_flag=True)
    exp = df[["X"]].assign(ASTDTM=D("2018-03-12 09:30:59", "2018-03-12 09:59:59",
                                    "2018-03-12 23:59:59", NaT, NaT),
                           ASTTMF=S("", "M", "H", "", ""))
    assert_frame_equal(out, exp)


def test_derive_vars_dy_no_day_zero():
    df = pd.DataFrame({"TRTSDT": D("2018-03-10", "2018-03-10", "2018-03-10", NaT),
                       "ADT": D("2018-03-10", "2018-03-09", "2018-04-08", "2018-03-10"),
                       "AENDTM": D("2018-03-11 23:00", NaT, "2018-03-01", NaT)})
    out = derive_vars_dy(df, "TRTSDT", ["ADT", "AENDTM"])
    assert_frame_equal(out, df.assign(ADY=F(1, -1, 30, np.nan), AENDY=F(2, np.nan, -9, np.nan)))
    out = derive_vars_dy(df, "TRTSDT", {"XDY": "ADT"})
    assert out["XDY"].tolist()[:3] == [1, -1, 30]


# --------------------------------------------------------------------------- sequence and flags
def test_derive_var_obs_number_keeps_row_order():
    df = pd.DataFrame({"USUBJID": ["A", "B", "A", "A"], "ADT": D("2018-02-01", "2018-01-01",
                                                                 "2018-01-01", NaT)},
                      index=[5, 6, 7, 8])
    out = derive_var_obs_number(df, by_vars=["USUBJID"], order=["ADT"])
    assert_frame_equal(out, df.assign(ASEQ=pd.Series([2.0, 1, 1, 3], index=df.index)))
    out = derive_var_obs_number(df, new_var="N", order=[desc("USUBJID"), "ADT"])
    assert out["N"].tolist() == [3.0, 1, 2, 4]


def test_derive_var_obs_number_ties_raise():
    df = pd.DataFrame({"USUBJID": ["A", "A"], "ADT": D("2018-01-01", "2018-01-01")})
    with pytest.raises(InputError) as err:
        derive_var_obs_number(df, by_vars=["USUBJID"], order=["ADT"], check_type="error")
    assert err.value.field == "USUBJID,ADT"
    with pytest.warns(UserWarning):
        derive_var_obs_number(df, by_vars=["USUBJID"], order=["ADT"], check_type="warning")


def test_derive_var_extreme_flag():
    df = pd.DataFrame({"USUBJID": ["A", "A", "A", "B", "B"],
                       "PARAMCD": ["X", "X", "Y", "X", "X"],
                       "AVAL": [3.0, 5.0, 9.0, 1.0, np.nan]})
    first = derive_var_extreme_flag(df, "FL", ["USUBJID"], [desc("AVAL")], filter="PARAMCD == 'X'")
    assert_frame_equal(first, df.assign(FL=S("", "Y", "", "Y", "")))
    last = derive_var_extreme_flag(df, "FL", ["USUBJID", "PARAMCD"], ["AVAL"], mode="last",
                                   false_value="N")
    assert_frame_equal(last, df.assign(FL=S("N", "Y", "Y", "N", "Y")))  # NaN sorts last
    # rows outside the filter keep an existing value
    again = derive_var_extreme_flag(first, "FL", ["USUBJID"], ["AVAL"], filter="PARAMCD == 'Y'")
    assert again["FL"].tolist() == ["", "Y", "Y", "Y", ""]
    assert "FL" not in df.columns  # input untouched


def test_filter_rows_forms():
    df = pd.DataFrame({"A": [1, 2, 3]})
    assert filter_rows(df, "A > 1")["A"].tolist() == [2, 3]
    assert filter_rows(df, df["A"] != 2)["A"].tolist() == [1, 3]
    assert filter_rows(df, lambda d: d["A"] == 3)["A"].tolist() == [3]
    assert filter_rows(df, None).equals(df)
    with pytest.raises(SpecError):
        filter_rows(df, "B >")


# --------------------------------------------------------------------------- merges and baseline
def test_derive_vars_merged_plain_rename_and_missing():
    df = pd.DataFrame({"USUBJID": ["A", "B", "C"], "X": [1.0, 2.0, 3.0]}, index=[3, 2, 1])
    adsl = pd.DataFrame({"USUBJID": ["B", "A"], "TRTSDT": D("2018-01-02", "2018-01-01"),
                         "SEX": ["F", "M"]})
    out = derive_vars_merged(df, adsl, ["USUBJID"], new_vars={"TRTSDT": "TRTSDT", "GENDER": "SEX"},
                             missing_values={"GENDER": "U"}, exist_flag="INADSL")
    exp = df.assign(TRTSDT=pd.Series(pd.to_datetime(["2018-01-01", "2018-01-02", NaT]),
                                     index=df.index, dtype="datetime64[us]"),
                    GENDER=pd.Series(["M", "F", "U"], index=df.index, dtype="str"),
                    INADSL=pd.Series(["Y", "Y", ""], index=df.index, dtype="str"))
    assert_frame_equal(out, exp)
    dup = pd.concat([adsl, adsl])
    with pytest.raises(InputError):
        derive_vars_merged(df, dup, ["USUBJID"], new_vars=["SEX"])
    with pytest.raises(SpecError):
        derive_vars_merged(df, adsl, ["USUBJID"], new_vars=["SEX", "NOPE"])


def test_derive_vars_merged_first_last_with_filter():
    df = pd.DataFrame({"USUBJID": ["A", "B"]})
    rs = pd.DataFrame({"SUBJ": ["A", "A", "A", "B"], "AVALC": ["PR", "PD", "SD", "SD"],
                       "ADT": D("2018-02-01", "2018-04-01", "2018-03-01", "2018-02-01")})
    out = derive_vars_merged(df, rs, {"USUBJID": "SUBJ"}, new_vars={"LASTDT": "ADT",
                                                                   "LASTRSP": "AVALC"},
                             filter_add="AVALC != 'PD'", order=["ADT"], mode="last")
    assert_frame_equal(out, df.assign(LASTDT=D("2018-03-01", "2018-02-01"),
                                      LASTRSP=S("SD", "SD")))


def test_base_chg_pchg():
    df = pd.DataFrame({"USUBJID": ["A", "A", "A", "B", "B", "C"],
                       "PARAMCD": ["P"] * 6,
                       "ABLFL": ["", "Y", "", "Y", "", ""],
                       "AVAL": [1.0, 2.0, 3.0, 0.0, 4.0, 5.0]})
    out = derive_var_pchg(derive_var_chg(derive_var_base(df, ["USUBJID", "PARAMCD"])))
    exp = df.assign(BASE=F(2, 2, 2, 0, 0, np.nan), CHG=F(-1, 0, 1, 0, 4, np.nan),
                    PCHG=F(-50, 0, 50, np.nan, np.nan, np.nan))
    assert_frame_equal(out, exp)
    with pytest.raises(InputError):
        derive_var_base(df.assign(ABLFL="Y"), ["USUBJID", "PARAMCD"])


# --------------------------------------------------------------------------- treatment emergence
def _ae():
    return pd.DataFrame({
        "USUBJID": ["A"] * 8 + ["B"],
        "AEGRPID": ["1", "1", "1", "2", "3", "4", "5", "6", "1"],
        "ASTDT": D("2018-01-05", "2018-01-15", "2018-01-20", "2018-01-01", "2018-01-12",
                   "2018-03-15", NaT, "2017-12-20", "2018-01-12"),
        "AENDT": D("2018-01-14", "2018-01-19", NaT, "2018-01-05", NaT, NaT, NaT, "2018-01-20",
                   NaT),
        "AETOXGR": ["1", "3", "2", "2", "1", "1", "2", "3", "1"],
        "AEITOXGR": ["1", "1", "1", "2", "1", "1", "2", "1", "1"],
        "TRTSDT": D(*["2018-01-10"] * 8, NaT),
        "TRTEDT": D(*["2018-02-10"] * 8, NaT),
    })


def test_trtemfl_window_no_worsening():
    ae = _ae()
    out = derive_var_trtemfl(ae, end_window=30)
    # pre-existing (rows 0, 7) and ended before start (3) -> "", 15 Mar > 10 Feb + 30 -> "",
    # missing start -> "Y", untreated subject -> ""
    assert out["TRTEMFL"].tolist() == ["", "Y", "Y", "", "Y", "", "Y", "", ""]
    out = derive_var_trtemfl(ae, end_window=None, trt_end_date=None)
    assert out["TRTEMFL"].tolist() == ["", "Y", "Y", "", "Y", "Y", "Y", "", ""]
    out = derive_var_trtemfl(ae, ignore_event_before_trt=False)
    assert out["TRTEMFL"].tolist()[:1] == ["Y"] and out["TRTEMFL"][7] == "Y"


def test_trtemfl_worsening_of_pre_existing_event():
    ae = _ae()
    # one record per event with initial grade: row 7 started before dose at grade 1, worst 3
    out = derive_var_trtemfl(ae, initial_intensity="AEITOXGR", intensity="AETOXGR")
    assert out["TRTEMFL"].tolist() == ["", "Y", "Y", "", "Y", "", "Y", "Y", ""]
    # event 1 recorded over three records: started before dose (grade 1), worsened to grade 3
    # after dose (flagged, and every later record of the event), then improved to 2.
    out = derive_var_trtemfl(ae, intensity="AETOXGR", group_var="AEGRPID")
    exp = ae.assign(TRTEMFL=S("", "Y", "Y", "", "Y", "", "Y", "", ""))
    assert_frame_equal(out, exp)


# --------------------------------------------------------------------------- durations, categories
def test_derive_vars_duration():
    df = pd.DataFrame({"S": D("2018-01-01", "2018-01-01", "2018-03-01", NaT),
                       "E": D("2018-01-01", "2019-01-01", "2018-02-27", "2018-01-01")})
    out = derive_vars_duration(df, "DUR", "S", "E")
    assert_frame_equal(out, df.assign(DUR=F(1, 366, -2, np.nan)))
    out = derive_vars_duration(df, "M", "S", "E", out_unit="months", add_one=False,
                               trunc_out=True, new_var_unit="U")
    assert_frame_equal(out, df.assign(M=F(0, 11, -0.0, np.nan), U=S(*["MONTHS"] * 4)))
    assert derive_vars_duration(df, "W", "S", "E", out_unit="weeks")["W"][1] == 366 / 7
    assert derive_vars_duration(df, "Y", "S", "E", out_unit="years")["Y"][1] == 366 / 365.25


def test_derive_vars_cat_first_match_wins():
    df = pd.DataFrame({"AGE": [50.0, 65.0, 80.0, np.nan]})
    definition = [("AGE < 65", {"AGEGR1": "<65", "AGEGR1N": 1}),
                  ("AGE >= 65", {"AGEGR1": ">=65", "AGEGR1N": 2}),
                  ("AGE >= 75", {"AGEGR1": ">=75", "AGEGR1N": 3})]
    exp = df.assign(AGEGR1=S("<65", ">=65", ">=65", ""), AGEGR1N=F(1, 2, 2, np.nan))
    assert_frame_equal(derive_vars_cat(df, definition), exp)
    table = pd.DataFrame({"condition": ["AGE >= 75", "AGE >= 65"], "AGEGR2": [">=75", "65-74"]})
    assert derive_vars_cat(df, table)["AGEGR2"].tolist() == ["", "65-74", ">=75", ""]


# --------------------------------------------------------------------------- merged flags and summaries
def _regimens():
    adsl = pd.DataFrame({"USUBJID": ["A", "B", "C"]})
    reg = pd.DataFrame({"USUBJID": ["A", "A", "B"], "LINE": [1.0, 2.0, 1.0],
                        "DRUG": ["LEN", "DARA", "BORT"], "DAYS": [100.0, 50.0, np.nan],
                        "REFR": [True, False, False]})
    return adsl, reg


def test_derive_var_merged_exist_flag_three_states():
    adsl, reg = _regimens()
    out = derive_var_merged_exist_flag(adsl, reg, ["USUBJID"], "LENRFL", "REFR & DRUG == 'LEN'")
    assert out["LENRFL"].tolist() == ["Y", "N", "N"]
    out = derive_var_merged_exist_flag(adsl, reg, ["USUBJID"], "X", "REFR", missing_value="",
                                       filter_add="DRUG != 'LEN'")
    assert out["X"].tolist() == ["N", "N", ""]


def test_derive_var_merged_summary():
    adsl, reg = _regimens()
    out = derive_var_merged_summary(adsl, reg, ["USUBJID"], {
        "NLINES": ("LINE", "nunique"), "DAYS": ("DAYS", "sum"), "LAST": ("LINE", "max"),
        "FIRSTDRG": ("DRUG", "first")})
    assert out["NLINES"].tolist() == [2.0, 1.0, 0.0]
    assert out["DAYS"].tolist()[:1] == [150.0] and np.isnan(out["DAYS"][1])  # missing stays missing
    assert np.isnan(out["LAST"][2]) and out["FIRSTDRG"].tolist() == ["LEN", "BORT", ""]
    with pytest.raises(SpecError):
        derive_var_merged_summary(adsl.assign(DAYS=1), reg, ["USUBJID"], {"DAYS": ("DAYS", "sum")})


def test_derive_var_relative_flag_up_to_first_pd():
    rs = pd.DataFrame({"USUBJID": ["A", "A", "A", "A", "B", "B"],
                       "ADY": [29.0, 57.0, 85.0, 113.0, 29.0, 57.0],
                       "AVALC": ["SD", "PD", "SD", "PD", "SD", "NE"]})
    out = derive_var_relative_flag(rs, ["USUBJID"], ["ADY"], "ANL02FL", "AVALC == 'PD'")
    assert out["ANL02FL"].tolist() == ["Y", "Y", "", "", "Y", "Y"]
    out = derive_var_relative_flag(rs.iloc[::-1], ["USUBJID"], ["ADY"], "F", "AVALC == 'PD'",
                                   selection="after", inclusive=False, flag_no_ref_groups=False)
    assert out["F"].tolist()[::-1] == ["", "", "Y", "Y", "", ""]  # input order kept


def test_combine_supp_by_seq_group_and_subject():
    ae = pd.DataFrame({"STUDYID": ["S"] * 3, "USUBJID": ["A", "A", "B"], "AESEQ": [1.0, 2.0, 1.0],
                       "AEGRPID": ["G1", "G1", ""]})
    supp = pd.DataFrame({
        "STUDYID": ["S"] * 4, "RDOMAIN": ["AE"] * 4, "USUBJID": ["A", "B", "A", "B"],
        "IDVAR": ["AESEQ", "AESEQ", "AEGRPID", ""], "IDVARVAL": ["2", "1", "G1", ""],
        "QNAM": ["AEIR", "AEIR", "LINE", "POP"], "QVAL": ["Y", "N", "3", "X"]})
    out = combine_supp(ae, supp)
    assert out["AEIR"].tolist() == ["", "Y", "N"]
    assert out["LINE"].tolist() == ["3", "3", ""]
    assert out["POP"].tolist() == ["", "", "X"]
    with pytest.raises(InputError):
        combine_supp(ae, pd.concat([supp, supp.iloc[:1]]))
