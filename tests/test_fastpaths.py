"""The fast paths of issue 9 give exactly what the slow paths give.

The numpy XPT encoder and decoder against pyreadstat (bytes written, frames and metadata read),
the pandas CSV reader against csv.reader, and on_distinct against the plain computation.
"""

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trialflow import xpt
from trialflow.metadata.model import DatasetSpec, Variable
from trialflow.sdtm import mapping as mp
from trialflow.sdtm import rawio

STAMP = dt.date(2019, 10, 31)
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.1, 1 / 3, np.pi, -2.25, 1e-300, 5e-324, 1e300, -1e300, np.inf, -np.inf,
           np.nan, 2.0 ** -260, 2.0 ** -261, 16.0 ** -65, 16.0 ** -64, 16.0 ** 62, 16.0 ** 63, 2 ** 53 + 1.0,
           123456789.123, 1e-80, 1e75, 7.2e75]


def _spec(columns) -> DatasetSpec:
    return DatasetSpec(name="XX", label="Example", cls="", structure="", keys=(), path=Path("xx.yaml"),
                       standard="SDTM", variables=tuple(Variable(name=n, label=f"Label {n}", type=t, length=ln,
                                                                 format=f) for n, t, ln, f in columns))


def _frame(rng, n, ncols, nul=False):
    cols, data = [], {}
    for j in range(ncols):
        kind, name = rng.choice(["c", "n", "d"]), f"V{j}"
        if kind == "c":
            length = int(rng.integers(1, 201))
            pool = ["", "A", "HEADACHE", "x y ", " lead", "Z" * length, "%s", "\t", "ab\x00"]
            pool += ["a\x00b"] if nul else []
            pool = np.array([p[:length] for p in pool], dtype=object)
            cols.append((name, "Char", length, None))
            data[name] = pd.Series(pool[rng.integers(0, len(pool), n)]).astype(str)
        elif kind == "n":
            cols.append((name, "Num", None, None))
            normal = rng.normal(scale=10.0 ** rng.integers(-70, 70, n))
            data[name] = pd.Series(np.where(rng.random(n) < 0.3, rng.choice(SPECIAL, n), normal))
        else:
            cols.append((name, "Num", None, "DATE9."))
            days = pd.Series(pd.Timestamp("1940-01-01") + pd.to_timedelta(rng.integers(0, 40000, n), unit="D"))
            data[name] = days.astype("datetime64[us]").mask(rng.random(n) < 0.2)
    return pd.DataFrame(data), _spec(cols)


@pytest.mark.parametrize("n", [1, 2, 7, 10, 11, 100, 3000])
def test_numpy_encoder_writes_pyreadstats_bytes(n):
    rng = np.random.default_rng(n)
    for ncols in (1, 2, 4, 5, 9):
        df, spec = _frame(rng, n, ncols, nul=ncols == 9)
        tmp = Path(tempfile.mkdtemp())
        fast = xpt.write_xpt(df, spec, tmp / "fast.xpt", STAMP).read_bytes()
        xpt._write_pyreadstat(df, spec, str(tmp / "slow.xpt"), xpt.sas_stamp(STAMP))
        assert fast == (tmp / "slow.xpt").read_bytes(), (n, ncols)


@pytest.mark.parametrize("n", [1, 3, 10, 11, 2000])
def test_numpy_decoder_reads_what_pyreadstat_reads(n):
    rng = np.random.default_rng(100 + n)
    for ncols in (1, 2, 3, 5):
        df, spec = _frame(rng, n, ncols)
        path = xpt.write_xpt(df, spec, Path(tempfile.mkdtemp()) / "x.xpt", STAMP)
        fast = xpt._read_fast(path.read_bytes())
        slow = xpt._read_pyreadstat(path)
        assert fast is not None
        pd.testing.assert_frame_equal(fast[0], slow[0], check_exact=True)
        assert fast[1] == slow[1]


def test_ibm_conversion_round_trips():
    values = np.array([v for v in SPECIAL if np.isfinite(v) and abs(v) < 1e75 and abs(v) > 1e-78 or v == 0])
    back = xpt.from_ibm_double(xpt.ibm_double(values))
    assert np.array_equal(back, values)
    assert np.isnan(xpt.from_ibm_double(xpt.ibm_double(np.array([np.nan])))).all()


def test_distinct_rows_exact_even_on_hash_collisions(monkeypatch):
    rng = np.random.default_rng(3)
    pool = rng.integers(32, 127, size=(40, 13), dtype=np.uint8)
    raw = pool[rng.integers(0, 40, 5000)]
    codes, first = xpt._distinct_rows(raw)
    assert (raw[first[codes]] == raw).all() and len(first) == len(np.unique(raw, axis=0))
    monkeypatch.setattr(xpt.pd, "factorize", lambda key: (np.zeros(len(key), dtype=np.int64), np.array([0])))
    codes, first = xpt._distinct_rows(raw)
    assert (raw[first[codes]] == raw).all()


CSV = {
    "plain": "STUDY,SITE,SUBJECT,FOLDER,RECORDPOSITION,X\nS,1,001,SCRN,1,a b \n",
    "crlf": "STUDY,SITE,SUBJECT,FOLDER,RECORDPOSITION,X\r\nS,1,001,SCRN,1, x\r\n\r\n",
    "blank lines": "\nSTUDY,SITE,SUBJECT,FOLDER,RECORDPOSITION,X\n\nS,1,001,SCRN,1,\n\n",
    "no final newline": "STUDY,SITE,SUBJECT,FOLDER,RECORDPOSITION,X\nS,1,001,SCRN,1,NA",
    "header only": "STUDY,SITE,SUBJECT,FOLDER,RECORDPOSITION,X\n",
    "unicode": "STUDY,SITE,SUBJECT,FOLDER,RECORDPOSITION,X\nS,1,001,SCRN,1,CAFÉ\u2028x\x85y\n",
    "comment-like": "STUDY,SITE,SUBJECT,FOLDER,RECORDPOSITION,X\n#S,1,001,SCRN,1,#x\n",
    "duplicate": "STUDY,SITE,SUBJECT,FOLDER,RECORDPOSITION,X\nS,1,001,SCRN,1,x\nS,1,001,SCRN,2,x\n",
    "lone CR": "STUDY,SITE,SUBJECT,FOLDER,RECORDPOSITION,X\nS,1,001,SCRN,1,a\rb\n",
    "quoted": 'STUDY,SITE,SUBJECT,FOLDER,RECORDPOSITION,X\nS,1,001,SCRN,1,"a,b"\n',
    "short row": "STUDY,SITE,SUBJECT,FOLDER,RECORDPOSITION,X\nS,1,001,SCRN,1\n",
    "blank-looking row": "STUDY,SITE,SUBJECT,FOLDER,RECORDPOSITION,X\n   \nS,1,001,SCRN,1,x\n",
    "NUL": "STUDY,SITE,SUBJECT,FOLDER,RECORDPOSITION,X\nS,1,001,SCRN,1,a\x00b\n",
}


def _read(path, fast):
    try:
        if fast:
            return rawio.read_form(path)
        original = rawio._parse_simple
        rawio._parse_simple = lambda data, text: None
        try:
            return rawio.read_form(path)
        finally:
            rawio._parse_simple = original
    except Exception as exc:  # the same refusal either way
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("name", sorted(CSV))
def test_pandas_csv_reader_reads_what_csv_reader_reads(tmp_path, name):
    path = tmp_path / "x.csv"
    path.write_bytes(CSV[name].encode("utf-8"))
    fast, slow = _read(path, True), _read(path, False)
    if isinstance(slow, tuple) or isinstance(fast, tuple):
        assert fast == slow
        return
    pd.testing.assert_frame_equal(fast.data, slow.data, check_exact=True)
    pd.testing.assert_frame_equal(fast.excluded, slow.excluded)
    assert (fast.issues, fast.n_rows) == (slow.issues, slow.n_rows)


def test_on_distinct_equals_the_plain_computation():
    rng = np.random.default_rng(5)
    col = pd.Series(rng.choice(np.array([" 12 MAR 2018", "UN MAR 2018", "UN UNK 1946", "", "31 FEB 2018 ", "x"],
                                        dtype=object), 500), index=rng.permutation(500) + 7, dtype=object)
    pd.testing.assert_frame_equal(mp.on_distinct(col, mp._date_values), mp._date_values(col))
    a, b = mp.on_distinct(col, mp._visit_values), mp._visit_values(col)
    for x, y in zip(a, b):
        pd.testing.assert_series_equal(x, y)
    with_na = col.astype(object).where(rng.random(500) < 0.9)  # missing values: computed directly
    pd.testing.assert_series_equal(mp.on_distinct(with_na, mp._clean), mp._clean(with_na))
