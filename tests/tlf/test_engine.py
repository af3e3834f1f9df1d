"""ARD engine on hand-made ADSL/ADRS/ADTTE/ADAE/ADEX frames with hand-worked numbers and subject lists."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from trialflow.errors import InputError, SpecError
from trialflow.tlf.ard import Ard
from trialflow.tlf.engine import analyse
from trialflow.tlf.shell import parse_shell

from .conftest import S


def shell(rows, **kw):
    raw = {"id": "tx", "title": "Test", "population": 'SAFFL == "Y"', "dataset": "ADSL", "rows": rows, **kw}
    return parse_shell(raw)


def stat(ard, row, s, col="ALL"):
    return ard.get(row, col, s)


def test_population_n_and_subjects(adam):
    ard = analyse(shell([]), adam)
    rec = stat(ard, "_N", "n")
    assert rec.value == 4 and rec.subjects == tuple(S[:4])  # S5 is not treated


def test_count_pct_subjects_and_denominator(adam):
    ard = analyse(shell([{"key": "LT65", "label": "<65", "stat": "count_pct", "where": 'AGEGR1 == "<65"'},
                         {"key": "MID", "label": "65-74", "stat": "count_pct", "where": 'AGEGR1 == "65-74"'}]), adam)
    n = stat(ard, "LT65", "n")
    assert (n.value, n.denominator, n.subjects) == (1, 4, (S[0],))  # S5 (<65) is outside the population
    assert stat(ard, "LT65", "pct").value == 25.0
    mid = stat(ard, "MID", "n")
    assert (mid.value, mid.subjects) == (2, (S[1], S[3]))
    assert stat(ard, "MID", "N").subjects == tuple(S[:4])


def test_median_range_even_n(adam):
    ard = analyse(shell([{"key": "AGE", "label": "Age", "stat": "median_range", "var": "AGE"}]), adam)
    # ages 60, 70, 80, 66 -> median (66 + 70) / 2 = 68
    assert stat(ard, "AGE", "median").value == 68.0
    assert (stat(ard, "AGE", "min").value, stat(ard, "AGE", "max").value) == (60.0, 80.0)
    assert stat(ard, "AGE", "n").subjects == tuple(S[:4])


def test_missing_values_are_not_counted(adam):
    ard = analyse(shell([{"key": "ECOG", "label": "ECOG", "stat": "median_range", "var": "ECOGBL"},
                         {"key": "E1", "label": "1", "stat": "count_pct", "where": "ECOGBL == 1"}]), adam)
    assert stat(ard, "ECOG", "n").value == 3 and S[3] not in stat(ard, "ECOG", "n").subjects
    assert stat(ard, "E1", "n").subjects == (S[1], S[2])


def test_subset_changes_denominator_and_groups(adam):
    rows = [{"key": "DCR_DEX", "label": "Dex", "stat": "rate_ci", "dataset": "ADRS", "subset": 'DEXFL == "Y"',
             "where": 'PARAMCD == "DCR" and AVALC == "Y"'},
            {"key": "DCR", "label": "All", "stat": "rate_ci", "dataset": "ADRS", "where": 'PARAMCD == "DCR" and AVALC == "Y"'}]
    sh = shell(rows, groups=[{"key": "ALL"}, {"key": "EFF", "subset": 'EFFFL == "Y"'}])
    ard = analyse(sh, adam)
    # DEX: S2 (DCR N), S4 (DCR Y) -> 1/2
    assert (stat(ard, "DCR_DEX", "n").value, stat(ard, "DCR_DEX", "N").value) == (1, 2)
    assert stat(ard, "DCR_DEX", "N").subjects == (S[1], S[3])
    # all treated: S1, S4 -> 2/4 = 50 %, Clopper-Pearson 2/4: 6.758599 %, 93.241401 % (R binom.test)
    assert stat(ard, "DCR", "pct").value == 50.0
    assert stat(ard, "DCR", "lower").value == pytest.approx(6.758599, abs=1e-6)
    assert stat(ard, "DCR", "upper").value == pytest.approx(93.241401, abs=1e-6)
    # response-evaluable group (S1, S2, S4): 2/3
    assert (stat(ard, "DCR", "n", "EFF").value, stat(ard, "DCR", "N", "EFF").value) == (2, 3)
    assert stat(ard, "_N", "n", "EFF").subjects == (S[0], S[1], S[3])


def test_km_median_ci_and_events(adam):
    rows = [{"key": "PFS", "label": "PFS", "stat": "km_median_ci", "dataset": "ADTTE", "var": "AVAL",
             "where": 'PARAMCD == "PFS"'}]
    ard = analyse(shell(rows), adam)
    # times 100 (E), 50 (E), 30 (C), 200 (C): S(50) = 2/3, S(100) = 1/3 -> median 100 days
    assert stat(ard, "PFS", "median").value == 100.0
    assert stat(ard, "PFS", "n_event").subjects == (S[0], S[1])
    assert stat(ard, "PFS", "n_censor").subjects == (S[2], S[3])
    assert stat(ard, "PFS", "lower").value == 50.0
    assert stat(ard, "PFS", "upper").value is None  # not estimable -> null in the ARD


def test_km_curve_and_at_risk(adam):
    rows = [{"key": "C", "label": "curve", "stat": "km_curve", "dataset": "ADTTE", "var": "AVAL", "where": 'PARAMCD == "PFS"'},
            {"key": "R", "label": "risk", "stat": "km_at_risk", "dataset": "ADTTE", "var": "AVAL",
             "where": 'PARAMCD == "PFS"', "times": [0, 60, 150]}]
    ard = analyse(shell(rows), adam)
    assert ard.row_keys("C") == ["C|000", "C|001", "C|002", "C|003"]
    assert stat(ard, "C|001", "surv").value == pytest.approx(2 / 3)
    assert stat(ard, "C|001", "n_event").subjects == (S[1],)
    assert [stat(ard, f"R|{t}", "n_risk").value for t in ("0", "60", "150")] == [4, 2, 1]
    assert stat(ard, "R|150", "n_risk").subjects == (S[3],)


def test_records_unit_and_denominator(adam):
    rows = [{"key": "INT", "label": "Interrupted", "stat": "count_pct", "dataset": "ADEX", "unit": "records",
             "where": 'PARAMCD == "DOSE" and AVAL > 0 and AINTFL == "Y"',
             "denominator": {"where": 'PARAMCD == "DOSE" and AVAL > 0'}},
            {"key": "TOT", "label": "Total", "stat": "count", "dataset": "ADEX", "unit": "records",
             "where": 'PARAMCD == "DOSE" and AVAL > 0'}]
    ard = analyse(shell(rows), adam)
    # 7 infusions with dose > 0 (S2 has one 0 dose), 2 interrupted (S1, S3)
    assert (stat(ard, "INT", "n").value, stat(ard, "INT", "N").value) == (2, 7)
    assert stat(ard, "INT", "n").subjects == (S[0], S[2])
    assert stat(ard, "TOT", "n").value == 7


def test_expand_soc_pt_with_grade_column(adam):
    rows = [{"key": "AE", "label": "SOC/PT", "stat": "count_pct", "dataset": "ADAE", "where": 'TRTEMFL == "Y"',
             "expand": ["AEBODSYS", "AEDECOD"]}]
    sh = shell(rows, groups=[{"key": "ALL"}, {"key": "G3", "where": "ATOXGRN >= 3"}])
    ard = analyse(sh, adam)
    keys = ard.row_keys("AE")
    # SOC order by frequency (GI 1 subject, Blood 1, Injury 1 -> alphabetical on ties); S4's AE is not TE; S5 not treated
    assert keys == ["AE|Blood and lymphatic system disorders", "AE|Blood and lymphatic system disorders|Anaemia",
                    "AE|Gastrointestinal disorders", "AE|Gastrointestinal disorders|Nausea",
                    "AE|Injury", "AE|Injury|<script>alert(1)</script>"]
    assert stat(ard, "AE|Gastrointestinal disorders|Nausea", "n").subjects == (S[0],)
    assert stat(ard, "AE|Gastrointestinal disorders|Nausea", "n", "G3").value == 1
    assert stat(ard, "AE|Injury", "n", "G3").value == 0  # level kept in every group
    assert stat(ard, "AE|Injury", "pct", "G3").value == 0.0


def test_values_listing_sorted_with_expression(adam):
    rows = [{"key": "L", "label": "deaths", "stat": "values", "where": 'DTHFL == "Y"', "sort": ["DTHDT"],
             "vars": ["USUBJID", "DTHCAUSE", {"name": "DTHDY", "expr": "DTHDT - TRTSDT + 1"}, "DTHDT"]}]
    ard = analyse(shell(rows), adam)
    assert ard.row_keys("L") == ["L|0001", "L|0002"]
    assert stat(ard, "L|0001", "USUBJID").value == S[2]  # died 2018-04-01, before S2
    assert stat(ard, "L|0001", "DTHDY").value == 32.0
    assert stat(ard, "L|0001", "DTHDT").value == "2018-04-01"
    assert stat(ard, "L|0002", "DTHCAUSE").subjects == (S[1],)


def test_json_roundtrip_and_determinism(adam):
    sh = shell([{"key": "LT65", "label": "<65", "stat": "count_pct", "where": 'AGEGR1 == "<65"'},
                {"key": "AGE", "label": "Age", "stat": "median_range", "var": "AGE"}])
    a, b = analyse(sh, adam).to_json(), analyse(sh, adam).to_json()
    assert a == b
    back = Ard.from_json(a)
    assert back.to_json() == a
    assert back.value("LT65", "ALL", "pct") == 25.0
    assert b'NaN' not in a and a.endswith(b"}\n")
    rec = back.rows[0]  # every field of a record is written and read back
    line = json.loads(a)["rows"][0]
    assert line == {**rec._asdict(), "subjects": list(rec.subjects)}


def test_bad_expression_names_the_row(adam):
    with pytest.raises(SpecError) as err:
        analyse(shell([{"key": "X", "label": "x", "stat": "count_pct", "where": "NOSUCH == 1"}]), adam)
    assert "NOSUCH" in str(err.value) and "X.where" in str(err.value)
    with pytest.raises(SpecError):
        shell([{"key": "X", "label": "x", "stat": "count_pct", "where": "__import__('os')"}])
    with pytest.raises(SpecError):
        analyse(shell([{"key": "X", "label": "x", "stat": "count_pct", "where": "AGE.__class__ == 1"}]), adam)


def test_duplicate_tte_records_are_refused(adam):
    adam["ADTTE"] = adam["ADTTE"].assign(PARAMCD="PFS")
    adam["ADTTE"] = pd.concat([adam["ADTTE"], adam["ADTTE"].iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError):
        analyse(shell([{"key": "P", "label": "p", "stat": "km_median_ci", "dataset": "ADTTE", "var": "AVAL"}]), adam)


def test_empty_subgroup_is_not_estimable(adam):
    ard = analyse(shell([{"key": "Z", "label": "none", "stat": "rate_ci", "subset": "AGE > 200", "where": "AGE > 0"}]), adam)
    assert stat(ard, "Z", "N").value == 0
    assert stat(ard, "Z", "pct").value is None and math.isnan(float("nan"))
