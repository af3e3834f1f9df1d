import textwrap

import pandas as pd
import pandera.pandas as pa
import pytest

from trialflow.errors import InputError, SpecError
from trialflow.metadata import conform, load_specs, schema_for, validate


def test_loads_typed_objects(mini_specs):
    specs = load_specs(mini_specs / "specs")
    xx = specs.sdtm["XX"]
    assert xx.label == "Example Domain" and xx.keys == ("USUBJID", "XXSEQ")
    assert xx.names == ["USUBJID", "XXSEQ", "SEX", "XXTERM", "XXVAL", "XXDT"]
    assert xx.var("XXDT").is_date and xx.var("XXTERM").length == 12 and xx.var("XXSEQ").length == 8
    sex = specs.codelists["SEX"]
    assert sex.nci_code == "C66731" and sex.values == ("F", "M", "U")
    assert sex.lookup()["MALE"] == "M" and sex.decode("F") == "Female"


def _break(mini, old, new):
    p = mini / "specs" / "sdtm" / "XX.yaml"
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new))
    return p


@pytest.mark.parametrize("old,new,message,field", [
    ("codelist: SEX", "codelist: SEXX", "unknown codelist", "variables.SEX.codelist"),
    ("name: XXVAL", "name: XXTERM", "duplicate variable", "variables.XXTERM"),
    ("name: XXVAL", "name: XXVALUE12", "variable name", "variables.XXVALUE12"),
    ("label: Value,", "label: A label that is much longer than forty characters,", "longer than 40",
     "variables.XXVAL.label"),
    ("label: Value,", "label: Valeur énergie,", "not ASCII", "variables.XXVAL.label"),
    ("keys: [USUBJID, XXSEQ]", "keys: [USUBJID, XXNOPE]", "key is not a variable", "keys"),
])
def test_spec_errors_name_file_and_key(mini_specs, old, new, message, field):
    path = _break(mini_specs, old, new)
    with pytest.raises(SpecError) as err:
        load_specs(mini_specs / "specs")
    assert message in err.value.message
    assert err.value.field == field and err.value.file == str(path)


def test_yaml_syntax_error_names_file_and_line(mini_specs):
    path = _break(mini_specs, "keys: [USUBJID, XXSEQ]", "keys: [USUBJID, XXSEQ")
    with pytest.raises(SpecError) as err:
        load_specs(mini_specs / "specs")
    assert "YAML syntax error" in str(err.value) and err.value.file == str(path) and err.value.row == 6  # where the parser notices the unclosed list


def test_unquoted_yes_no_in_codelist_is_refused(mini_specs):
    p = mini_specs / "specs" / "codelists.yaml"
    p.write_text(p.read_text() + textwrap.dedent("""\
        YN2:
          name: Bad
          terms:
            - {value: Y, decode: Yes}
        """))
    with pytest.raises(SpecError, match="expected quoted text") as err:
        load_specs(mini_specs / "specs")
    assert err.value.field == "YN2.terms[0].decode" and err.value.value is True


def _frame(**over):
    df = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "XXSEQ": [1, 1], "SEX": ["M", "F"],
                       "XXTERM": ["HEADACHE", None], "XXVAL": [1.5, None],
                       "XXDT": pd.to_datetime(["2018-03-12", None])})
    return df.assign(**over)


def test_conform_orders_and_types(mini_specs):
    specs = load_specs(mini_specs / "specs")
    df = conform(_frame()[["XXDT", "SEX", "XXVAL", "XXTERM", "XXSEQ", "USUBJID"]], specs.sdtm["XX"])
    assert list(df.columns) == specs.sdtm["XX"].names
    assert df["XXTERM"].tolist() == ["HEADACHE", ""] and df["XXSEQ"].dtype == "float64"
    with pytest.raises(InputError, match="not in its spec"):
        conform(_frame(EXTRA=1), specs.sdtm["XX"])


@pytest.mark.parametrize("over,column,check", [
    ({"XXVAL": ["high", "low"]}, "XXVAL", "Num but holds text"),
    ({"SEX": ["M", "X"]}, "SEX", "outside codelist SEX"),
    ({"USUBJID": ["S-1", "S-1"]}, "USUBJID", "fails its schema"),
    ({"XXTERM": ["A TERM THAT IS TOO LONG", ""]}, "XXTERM", "longer than 12"),
    ({"USUBJID": ["S-1", ""]}, "USUBJID", "required value missing"),
])
def test_schema_catches_bad_data(mini_specs, over, column, check):
    specs = load_specs(mini_specs / "specs")
    with pytest.raises(InputError) as err:
        validate(_frame(**over), specs.sdtm["XX"], specs)
    assert check in str(err.value) and err.value.field == column


def test_schema_wrong_type_and_duplicate_key(mini_specs):
    specs = load_specs(mini_specs / "specs")
    schema = schema_for(specs.sdtm["XX"], specs)
    good = conform(_frame(), specs.sdtm["XX"])
    schema.validate(good)
    with pytest.raises(pa.errors.SchemaError):
        schema.validate(good.assign(XXVAL=["a", "b"]))
    dup = pd.concat([good, good.iloc[[0]]], ignore_index=True)
    with pytest.raises(pa.errors.SchemaErrors) as err:
        schema.validate(dup, lazy=True)
    assert "S-1" in err.value.failure_cases["failure_case"].astype(str).tolist()


def test_repository_specs_load():
    from tests.conftest import ROOT

    specs = load_specs(ROOT / "specs")
    assert specs.study["studyid"] == "TCD14079"
    for group in (specs.sdtm, specs.adam):
        for ds in group.values():
            schema_for(ds, specs)
