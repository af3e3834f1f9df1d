"""Scale mode: same forms, deterministic, internally consistent, fast."""
from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from trialflow.simulate import FORMS, KEYS, simulate

from ._derive import derive, load, to_date


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scale")
    simulate(out, n_subjects=300, seed=11)
    return out


def test_scale_columns_and_subjects(small: Path) -> None:
    f = load(small)
    assert set(f) == set(FORMS)
    for form, items in FORMS.items():
        assert list(f[form].columns) == KEYS + items, form
    assert f["dm"]["SUBJECT"].nunique() == 300 and f["dm"]["SUBJECT"].is_unique
    for form in ("ic", "mmdx", "fish", "prthx", "lb", "ecog", "ex", "eot", "sv"):
        assert f[form]["SUBJECT"].nunique() == 300, form
    for form, df in f.items():
        pos = pd.to_numeric(df["RECORDPOSITION"])
        assert (pos == df.groupby(["SUBJECT", "FOLDER"]).cumcount() + 1).all(), form


def test_scale_deterministic(tmp_path: Path) -> None:
    simulate(tmp_path / "a", n_subjects=150, seed=5)
    simulate(tmp_path / "b", n_subjects=150, seed=5)
    simulate(tmp_path / "c", n_subjects=150, seed=6)
    for form in FORMS:
        assert (tmp_path / "a" / f"{form}.csv").read_bytes() == (tmp_path / "b" / f"{form}.csv").read_bytes()
    assert (tmp_path / "a" / "lb.csv").read_bytes() != (tmp_path / "c" / "lb.csv").read_bytes()


def test_scale_consistency(small: Path) -> None:
    f = load(small)
    ex = f["ex"].assign(D=lambda d: to_date(d["EXSTDAT"]))
    last = ex.groupby("SUBJECT")["D"].max()
    first = ex.groupby("SUBJECT")["D"].min()
    eot = to_date(f["eot"].set_index("SUBJECT")["EOTDAT"]).reindex(last.index)
    consent = to_date(f["ic"].set_index("SUBJECT")["ICDAT"]).reindex(last.index)
    assert (last <= eot).all() and (consent < first).all()
    s = f["surv"].assign(D=lambda d: to_date(d["SURVDAT"]), DD=lambda d: to_date(d["DTHDAT"]))
    dth = s.groupby("SUBJECT")["DD"].max()
    lst = s.groupby("SUBJECT")["D"].max()
    dead = dth.notna()
    assert (lst[dead] == dth[dead]).all()
    assert (s.groupby("SUBJECT")["D"].min() > eot.reindex(s["SUBJECT"].unique())).all()
    for form, df in f.items():
        for col in [c for c in df.columns if c.endswith("DAT")]:
            d = to_date(df[col], "last").dropna()
            assert (d <= pd.Timestamp("2019-10-31")).all(), (form, col)
    ae = f["ae"]
    st, en = to_date(ae["AESTDAT"]), to_date(ae["AEENDAT"])
    assert (en.isna() | (en >= st)).all()


def test_scale_derivable(small: Path) -> None:
    r = derive(small)
    assert r["n_subjects"] == 300
    assert r["refr"]["last"] == 300
    assert 45 <= float(r["age"][0]) <= 85
    assert float(r["washout"][1]) >= 6.0


def test_scale_10000_under_a_minute(tmp_path: Path) -> None:
    t0 = time.perf_counter()
    counts = simulate(tmp_path, n_subjects=10_000, seed=1)
    elapsed = time.perf_counter() - t0
    assert counts["dm"] == 10_000
    assert elapsed < 45, f"{elapsed:.1f} s"


def test_scale_no_duplicate_records(small: Path) -> None:
    f = load(small)
    assert not f["mh"].duplicated(["SUBJECT", "MHTERM", "MHSTDAT"]).any()
    assert not f["ae"].duplicated(["SUBJECT", "AEDECOD", "AESTDAT"]).any()
    assert not f["cm"].duplicated(["SUBJECT", "CMTRT", "CMSTDAT"]).any()
    assert not f["ex"].duplicated(["SUBJECT", "FOLDER"]).any()
