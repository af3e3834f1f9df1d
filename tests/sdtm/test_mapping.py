"""The mapping vocabulary on small in-test raw frames, with hand-worked expected values."""

import numpy as np
import pandas as pd
import pytest

from trialflow.errors import InputError
from trialflow.metadata.model import Codelist, Term
from trialflow.sdtm import mapping as mp

SEX = Codelist(id="SEX", name="Sex", nci_code="C66731", extensible=False,
               terms=(Term("F", "Female"), Term("M", "Male"), Term("U", "Unknown")))
RACE = Codelist(id="RACE", name="Race", nci_code="C74457", extensible=True,
                terms=(Term("WHITE", "White"), Term("ASIAN", "Asian")))
ECOG = Codelist(id="ECOGPS", name="ECOG", nci_code=None, extensible=False,
                terms=tuple(Term(str(i), f"grade {i}") for i in range(5)))


def raw(**cols):
    n = len(next(iter(cols.values())))
    df = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in cols.items()})
    df["_FORM"] = "xx"
    df["_ROW"] = np.arange(1, n + 1)
    return df


# --- assign_datetime ---------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("12 MAR 2018", "2018-03-12"),
    ("UN MAR 2018", "2018-03"),
    ("UN UNK 1946", "1946"),
    ("1 feb 2016", "2016-02-01"),
    ("29 FEB 2016", "2016-02-29"),
    ("", ""),
])
def test_assign_datetime_partial_dates_stay_partial(text, expected):
    assert mp.assign_datetime(raw(D=[text]), "D").tolist() == [expected]


def test_assign_datetime_with_time_only_on_complete_dates():
    r = raw(D=["12 MAR 2018", "UN MAR 2018", "12 MAR 2018"], T=["09:30", "10:00", ""])
    issues = mp.Issues()
    assert mp.assign_datetime(r, "D", "T", issues=issues).tolist() == ["2018-03-12T09:30", "2018-03", "2018-03-12"]
    assert issues.frame()["RULE"].tolist() == ["time on a partial date: time dropped"]
    assert mp.assign_datetime(raw(D=["05 APR 2017"], T=["9:05"]), "D", "T").tolist() == ["2017-04-05T09:05"]


@pytest.mark.parametrize("text,message", [
    ("31 FEB 2018", "impossible date"),
    ("2018-03-12", "not 'DD MON YYYY'"),
    ("12 MRZ 2018", "unknown day, month or year token"),
])
def test_assign_datetime_bad_date_names_file_row_field_value(text, message):
    r = raw(D=["12 MAR 2018", text])
    with pytest.raises(InputError, match=message) as err:
        mp.assign_datetime(r, "D", file="raw/xx.csv")
    e = err.value
    assert (e.file, e.row, e.field, e.value) == ("raw/xx.csv", 2, "D", text)


def test_assign_datetime_bad_time():
    with pytest.raises(InputError, match="HH:MM") as err:
        mp.assign_datetime(raw(D=["12 MAR 2018"], T=["25:10"]), "D", "T")
    assert (err.value.row, err.value.field, err.value.value) == (1, "T", "25:10")


# --- assign_ct / hardcode ----------------------------------------------------------------------
def test_assign_ct_matches_value_decode_synonym_case_insensitively():
    r = raw(SEX=["Male", "female", "M", " Female ", ""])
    assert mp.assign_ct(r, "SEX", SEX).tolist() == ["M", "F", "M", "F", ""]


def test_assign_ct_outside_closed_codelist_is_an_input_error():
    with pytest.raises(InputError, match="outside codelist SEX") as err:
        mp.assign_ct(raw(SEX=["Male", "Femal"]), "SEX", SEX, file="raw/dm.csv")
    assert (err.value.file, err.value.row, err.value.field, err.value.value) == ("raw/dm.csv", 2, "SEX", "Femal")


def test_assign_ct_outside_extensible_codelist_is_a_data_issue():
    issues = mp.Issues(domain="DM")
    out = mp.assign_ct(raw(RACE=["White", "Martian"], SUBJECT=["1", "2"]), "RACE", RACE, issues=issues)
    assert out.tolist() == ["WHITE", "MARTIAN"]
    rec = issues.frame().iloc[0]
    assert (rec["ROW"], rec["FIELD"], rec["VALUE"]) == (2, "RACE", "Martian")
    assert "extensible codelist RACE" in rec["RULE"]


def test_assign_ct_recode_and_extract():
    spec = Codelist(id="SPECTYPE", name="s", nci_code=None, extensible=True,
                    terms=(Term("SERUM", "Serum"), Term("URINE", "Urine")))
    r = raw(T=["Urine M-protein", "Albumin"])
    assert mp.assign_ct(r, "T", spec, recode={"Urine M-protein": "URINE", "albumin": "SERUM"}).tolist() == \
        ["URINE", "SERUM"]
    e = raw(E=["1 - Restricted in physically strenuous activity", "0 - Fully active"])
    assert mp.assign_ct(e, "E", ECOG, extract=r"^\s*([0-9])").tolist() == ["1", "0"]


def test_hardcode():
    r = raw(X=["a", "b"])
    assert mp.hardcode_no_ct(r, "TREATMENT").tolist() == ["TREATMENT"] * 2
    assert mp.hardcode_ct(r, "male", SEX).tolist() == ["M", "M"]
    with pytest.raises(InputError, match="not a term of codelist SEX"):
        mp.hardcode_ct(r, "X", SEX)


def test_condition_add():
    r = raw(P=["Yes", "No", "yes", ""], N=["1", "5", "x", ""])
    assert mp.condition_add(r, {"P": "Yes"}).tolist() == [True, False, True, False]
    assert mp.condition_add(r, {"P": {"empty": True}}).tolist() == [False, False, False, True]
    assert mp.condition_add(r, {"N": {"gt": 2}}).tolist() == [False, True, False, False]
    assert mp.condition_add(r, {"P": ["No", ""]}).tolist() == [False, True, False, True]
    assert mp.condition_add(r, None).all()


def test_assign_num():
    assert mp.assign_num(raw(V=["1.5", "", "20"]), "V").tolist()[::2] == [1.5, 20.0]
    with pytest.raises(InputError, match="not a number") as err:
        mp.assign_num(raw(V=["1.5", "<0.1"]), "V")
    assert (err.value.row, err.value.value) == (2, "<0.1")
    issues = mp.Issues()
    assert np.isnan(mp.assign_num(raw(V=["<0.1"], SUBJECT=["1"]), "V", strict=False, issues=issues)[0])
    assert len(issues.frame()) == 1


# --- common derivations -----------------------------------------------------------------------
def test_usubjid():
    assert mp.derive_usubjid("TCD14079", pd.Series(["840001-001", ""])).tolist() == ["TCD14079-840001-001", ""]


def test_study_day_has_no_day_zero():
    ref = pd.Series(["2018-03-12T09:30"] * 5)
    dtc = pd.Series(["2018-03-11", "2018-03-12", "2018-03-13T08:00", "2018-02-10", "2018-03"])
    out = mp.derive_study_day(dtc, ref)
    assert out.tolist()[:4] == [-1.0, 1.0, 2.0, -30.0] and np.isnan(out[4])


def test_seq_orders_within_subject_with_lineage_tiebreak():
    df = pd.DataFrame({"USUBJID": ["S2", "S1", "S1", "S1"], "XXDTC": ["2018-01-01", "2018-05-01", "2018-01-02", "2018-01-02"],
                       "_FORM": "xx", "_ROW": [1, 2, 4, 3]})
    assert mp.derive_seq(df, ["XXDTC"]).tolist() == [1.0, 3.0, 2.0, 1.0]


SE = pd.DataFrame({"USUBJID": ["S1"] * 3, "EPOCH": ["SCREENING", "TREATMENT", "FOLLOW-UP"], "TAETORD": [1, 2, 3],
                   "SESTDTC": ["2018-03-01", "2018-03-12T09:30", "2018-04-11"],
                   "SEENDTC": ["2018-03-12T09:30", "2018-04-10", "2018-05-10"]})


@pytest.mark.parametrize("dtc,epoch", [
    ("2018-03-11", "SCREENING"), ("2018-03-12", "TREATMENT"), ("2018-03-12T08:00", "TREATMENT"),
    ("2018-04-10", "TREATMENT"), ("2018-04-11", "FOLLOW-UP"), ("2018-09-01", "FOLLOW-UP"),
    ("2018-02-01", ""), ("2018-03", ""), ("2018-04", ""), ("2018-05", "FOLLOW-UP"), ("", ""),
])
def test_epoch_from_subject_elements(dtc, epoch):
    assert mp.derive_epoch(pd.Series([dtc]), pd.Series(["S1"]), SE).tolist() == [epoch]


def test_epoch_unknown_subject_is_blank():
    assert mp.derive_epoch(pd.Series(["2018-03-20"]), pd.Series(["S9"]), SE).tolist() == [""]


def test_visit_from_folder():
    num, txt = mp.visit_from_folder(pd.Series(["SCRN", "C1D1", "C2D15", "C12D1", "EOT", "FU3", "LOG"]))
    assert num.tolist()[:6] == [1.0, 101.0, 215.0, 1201.0, 9000.0, 9003.0] and np.isnan(num.tolist()[6])
    assert txt.tolist() == ["SCREENING", "CYCLE 1 DAY 1", "CYCLE 2 DAY 15", "CYCLE 12 DAY 1", "END OF TREATMENT",
                            "FOLLOW-UP 3", ""]
    with pytest.raises(InputError, match="unknown visit folder") as err:
        mp.visit_from_folder(pd.Series(["SCRN", "UNSCHED"]), raw(FOLDER=["SCRN", "UNSCHED"]))
    assert (err.value.row, err.value.value) == (2, "UNSCHED")


def test_lobxfl_last_nonmissing_on_or_before_first_dose():
    df = pd.DataFrame({"USUBJID": ["S1"] * 4 + ["S2"], "LBTESTCD": ["ALB"] * 5,
                       "LBDTC": ["2018-03-02", "2018-03-12", "2018-03-12", "2018-04-01", "2018-01-01"],
                       "LBSTRESN": [3.5, 3.6, np.nan, 3.0, 4.0]})
    ref = pd.Series(["2018-03-12T09:30"] * 4 + [""])
    assert mp.derive_lobxfl(df, "LBDTC", ["LBTESTCD"], ref, "LBSTRESN").tolist() == ["", "Y", "", "", ""]


def test_age_completed_years_with_imputed_birth():
    birth = pd.Series(["1950-03", "1946", "1950-03-15", ""])
    ref = pd.Series(["2018-03-01", "2018-01-10", "2018-03-14", "2018-01-01"])
    out = mp.derive_age(birth, ref)
    assert out.tolist()[:3] == [68.0, 72.0, 67.0] and np.isnan(out[3])


CONV = [{"from": "g/L", "to": "g/dL", "factor": 0.1},
        {"test": "CREAT", "from": "umol/L", "to": "mg/dL", "factor": 0.011312, "decimals": 2}]


def test_convert_units_albumin_35_g_per_l_is_3_5_g_per_dl():
    out, ok = mp.convert_units(pd.Series([35.0, 3.6, 88.4, 1.0]), pd.Series(["g/L", "g/dL", "umol/L", "mmol/L"]),
                               pd.Series(["g/dL", "g/dL", "mg/dL", "mg/dL"]), pd.Series(["ALB", "ALB", "CREAT", "CA"]),
                               CONV)
    assert out.tolist()[:3] == [3.5, 3.6, 1.0] and np.isnan(out[3])
    assert ok.tolist() == [True, True, True, False]
    assert mp.format_number(out).tolist() == ["3.5", "3.6", "1", ""]


def test_suppqual_one_record_per_nonblank_qualifier():
    parent = pd.DataFrame({"USUBJID": ["S1", "S1"], "EXSEQ": [1.0, 2.0], "INFINT": ["N", "Y"],
                           "INFINTRS": ["", "Infusion related reaction"], "_FORM": "ex", "_ROW": [1, 2]})
    supp = mp.make_suppqual(parent, "EX", "EXSEQ", [{"qnam": "INFINT", "qlabel": "Infusion Interrupted"},
                                                    {"qnam": "INFINTRS", "qlabel": "Reason"}], "TCD14079")
    assert supp[["IDVARVAL", "QNAM", "QVAL"]].values.tolist() == [
        ["1", "INFINT", "N"], ["2", "INFINT", "Y"], ["2", "INFINTRS", "Infusion related reaction"]]
    assert set(supp["RDOMAIN"]) == {"EX"} and set(supp["IDVAR"]) == {"EXSEQ"} and supp["_ROW"].tolist() == [1, 2, 2]
