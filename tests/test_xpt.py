import datetime as dt

import pandas as pd
import pyreadstat
import pytest

from trialflow.errors import InputError
from trialflow.metadata import conform, load_specs
from trialflow.xpt import read_xpt, sas_stamp, write_xpt

CUTOFF = dt.date(2019, 10, 31)


@pytest.fixture
def spec_and_frame(mini_specs):
    specs = load_specs(mini_specs / "specs")
    spec = specs.sdtm["XX"]
    df = conform(pd.DataFrame({"USUBJID": ["S-1", "S-2", "S-3"], "XXSEQ": [1, 2, 1], "SEX": ["M", "F", ""],
                               "XXTERM": ["HEADACHE", "", "NAUSEA"], "XXVAL": [1.5, None, -2.25],
                               "XXDT": pd.to_datetime(["2018-03-12", None, "1960-01-01"])}), spec)
    return spec, df


def test_round_trip_values_labels_lengths_dates(tmp_path, spec_and_frame):
    spec, df = spec_and_frame
    path = write_xpt(df, spec, tmp_path / "xx.xpt", CUTOFF)
    raw, meta = pyreadstat.read_xport(str(path))
    assert meta.table_name == "XX" and meta.file_label == "Example Domain"
    assert meta.column_names == spec.names
    assert meta.column_names_to_labels["XXTERM"] == "Reported Term"
    assert meta.variable_storage_width["XXTERM"] == 12 and meta.variable_storage_width["USUBJID"] == 20
    assert meta.variable_storage_width["SEX"] == 1
    assert meta.original_variable_types["XXDT"] == "DATE9"
    assert raw["XXDT"].tolist()[0] == dt.date(2018, 3, 12)
    back, m2 = read_xpt(path)
    assert back["XXTERM"].tolist() == ["HEADACHE", "", "NAUSEA"]
    assert back["SEX"].tolist() == ["M", "F", ""]
    assert back["XXVAL"].tolist()[0] == 1.5 and pd.isna(back["XXVAL"][1]) and back["XXVAL"][2] == -2.25
    assert back["XXDT"].tolist()[0] == pd.Timestamp("2018-03-12") and pd.isna(back["XXDT"][1])
    assert back["XXDT"][2] == pd.Timestamp("1960-01-01")
    assert m2.lengths["XXTERM"] == 12 and m2.types["XXVAL"] == "Num" and m2.labels["XXSEQ"] == "Sequence Number"


def test_version5_header_and_fixed_stamp(tmp_path, spec_and_frame):
    spec, df = spec_and_frame
    data = write_xpt(df, spec, tmp_path / "xx.xpt", CUTOFF).read_bytes()
    assert data.startswith(b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!")
    for offset in (144, 160, 464, 480):
        assert data[offset:offset + 16] == b"31OCT19:00:00:00"
    assert sas_stamp(dt.datetime(2019, 1, 2, 3, 4, 5)) == b"02JAN19:03:04:05"


def test_rewrite_gives_identical_bytes(tmp_path, spec_and_frame):
    spec, df = spec_and_frame
    a = write_xpt(df, spec, tmp_path / "a.xpt", CUTOFF).read_bytes()
    b = write_xpt(df.copy(), spec, tmp_path / "b.xpt", CUTOFF).read_bytes()
    assert a == b


@pytest.mark.parametrize("mutate,message", [
    (lambda spec, df: (spec, df.assign(XXTERM=["THIS IS THIRTEEN", "", ""])), "longer than 12"),
    (lambda spec, df: (spec, df.assign(XXTERM=["CAFÉ", "", ""])), "non-ASCII"),
    (lambda spec, df: (_relabel(spec, "XXVAL", "L" * 41), df), "label over 40"),
    (lambda spec, df: (_rename(spec, "XXVAL", "XXVALUE99"), df.rename(columns={"XXVAL": "XXVALUE99"})),
     "name longer than 8"),
])
def test_refusals_leave_no_file(tmp_path, spec_and_frame, mutate, message):
    spec, df = mutate(*spec_and_frame)
    out = tmp_path / "out"
    with pytest.raises(InputError, match=message):
        write_xpt(df, spec, out / "xx.xpt", CUTOFF)
    assert not out.exists() or list(out.iterdir()) == []


def test_refusal_keeps_previous_file(tmp_path, spec_and_frame):
    spec, df = spec_and_frame
    target = write_xpt(df, spec, tmp_path / "out" / "xx.xpt", CUTOFF)
    before = target.read_bytes()
    with pytest.raises(InputError):
        write_xpt(df.assign(XXTERM=["X" * 30, "", ""]), spec, target, CUTOFF)
    assert target.read_bytes() == before and [p.name for p in target.parent.iterdir()] == ["xx.xpt"]


def _replace_var(spec, which, **changes):
    from dataclasses import replace

    return replace(spec, variables=tuple(replace(v, **changes) if v.name == which else v for v in spec.variables))


def _relabel(spec, name, label):
    return _replace_var(spec, name, label=label)


def _rename(spec, name, new):
    return _replace_var(spec, name, name=new)
