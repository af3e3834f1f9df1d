"""Each conformance rule catches a planted violation and passes clean data."""

import textwrap

import pandas as pd
import pytest

from trialflow.metadata import conform, load_specs
from trialflow.validate.rules import Package, check_package
from trialflow.xpt import read_xpt, write_xpt

CUTOFF = pd.Timestamp("2019-10-31")


@pytest.fixture
def pkg(mini_specs):
    sd = mini_specs / "specs" / "sdtm"
    (sd / "DM.yaml").write_text(textwrap.dedent("""\
        dataset: DM
        label: Demographics
        keys: [USUBJID]
        variables:
          - {name: USUBJID, label: Unique Subject Identifier, type: Char, length: 20, core: Req}
          - {name: RFSTDTC, label: Subject Reference Start Date/Time, type: Char, length: 19, core: Exp}
          - {name: SEX, label: Sex, type: Char, length: 1, codelist: SEX, core: Req}
        """))
    (sd / "LB.yaml").write_text(textwrap.dedent("""\
        dataset: LB
        label: Laboratory Test Results
        variables:
          - {name: USUBJID, label: Unique Subject Identifier, type: Char, length: 20, core: Req}
          - {name: LBSEQ, label: Sequence Number, type: Num, core: Req}
          - {name: LBSTRESC, label: Character Result/Finding in Std Format, type: Char, length: 20, core: Exp}
          - {name: LBSTRESN, label: Numeric Result/Finding in Standard Units, type: Num, core: Exp}
          - {name: LBDTC, label: Date/Time of Specimen Collection, type: Char, length: 19, core: Exp}
          - {name: LBDY, label: Study Day of Specimen Collection, type: Num, core: Perm}
        """))
    specs = load_specs(mini_specs / "specs")
    frames = {
        "DM": pd.DataFrame({"USUBJID": ["S-1", "S-2"], "RFSTDTC": ["2018-03-12", "2018-04-01"], "SEX": ["M", "F"]}),
        "LB": pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-2"], "LBSEQ": [1, 2, 1],
                            "LBSTRESC": ["3.5", "4.1", ""], "LBSTRESN": [3.5, 4.1, None],
                            "LBDTC": ["2018-03-11", "2018-03-12T10:30", "2018-04"], "LBDY": [-1, 1, None]}),
    }

    def build(edits=None):
        data, meta = {}, {}
        for name, df in frames.items():
            df = df.copy()
            for (ds, var, row), value in (edits or {}).items():
                if ds == name:
                    df.loc[row, var] = value
            path = write_xpt(conform(df, specs.sdtm[name]), specs.sdtm[name], mini_specs / "out" / f"{name}.xpt", CUTOFF)
            data[name], meta[name] = read_xpt(path)
        return Package(specs, data, meta)
    return build


def rules_of(findings):
    return sorted({(f.rule, f.dataset, f.variable, f.row) for f in findings})


def test_clean_data_passes(pkg):
    assert check_package(pkg()) == []


@pytest.mark.parametrize("edit,expected", [
    ({("DM", "SEX", 1): ""}, ("TF0001", "DM", "SEX", 1)),
    ({("LB", "USUBJID", 2): "S-9"}, ("TF0002", "LB", "USUBJID", 2)),
    ({("LB", "LBSEQ", 1): 1}, ("TF0003", "LB", "LBSEQ", 0)),
    ({("LB", "LBDTC", 2): "2018-13"}, ("TF0004", "LB", "LBDTC", 2)),
    ({("LB", "LBDY", 0): 0}, ("TF0005", "LB", "LBDY", 0)),
    ({("LB", "LBDY", 1): 2}, ("TF0005", "LB", "LBDY", 1)),
    ({("DM", "SEX", 0): "X"}, ("TF0006", "DM", "SEX", 0)),
    ({("LB", "LBSTRESN", 0): 35.0}, ("TF0007", "LB", "LBSTRESN", 0)),
])
def test_each_rule_catches_its_violation(pkg, edit, expected):
    found = rules_of(check_package(pkg(edit)))
    assert expected in found, found


def test_finding_names_subject_and_value(pkg):
    f = [f for f in check_package(pkg({("LB", "LBDTC", 2): "2018-13"})) if f.rule == "TF0004"][0]
    assert (f.usubjid, f.value, f.severity) == ("S-2", "2018-13", "error")


def test_spec_drift_is_caught(pkg, mini_specs):
    package = pkg()
    package.meta["DM"].labels["SEX"] = "Gender"
    assert ("TF0008", "DM", "SEX", None) in rules_of(check_package(package))


def test_adam_rules():
    from trialflow.validate.rules import one_row_per_subject, source_exists, tte_rules

    class P:  # minimal package stand-in
        pass
    p = P()
    p.data = {"ADSL": pd.DataFrame({"USUBJID": ["S-1", "S-1"]}),
              "ADTTE": pd.DataFrame({"USUBJID": ["S-1", "S-1"], "PARAMCD": ["OS", "OS"], "CNSR": [0.0, 2.0],
                                     "AVAL": [10.0, -1.0], "EVNTDESC": ["DEATH", ""],
                                     "SRCDOM": ["ADSL", "AE"], "SRCSEQ": [float("nan"), 3.0]}),
              "AE": pd.DataFrame({"USUBJID": ["S-1"], "AESEQ": [1.0]})}
    assert [f.row for f in one_row_per_subject(p, "ADSL")] == [0, 1]
    tte = rules_of(tte_rules(p, "ADTTE"))
    assert ("TF0010", "ADTTE", "CNSR", 1) in tte and ("TF0010", "ADTTE", "AVAL", 1) in tte
    assert ("TF0010", "ADTTE", "PARAMCD", 0) in tte and ("TF0010", "ADTTE", "EVNTDESC", 1) in tte
    src = source_exists(p, "ADTTE")
    assert [(f.row, f.value) for f in src] == [(1, "AE:3.0")]
