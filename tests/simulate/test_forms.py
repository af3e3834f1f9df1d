"""Determinism, layout and internal consistency of the simulated raw study."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from trialflow.simulate import DATA_CUTOFF, FORMS, KEYS, simulate

from ._derive import to_date

REPO = Path(__file__).resolve().parents[2]
REQUIRED = ["dm", "ic", "mmdx", "fish", "prthx", "lb", "ecog", "ex", "eot", "surv", "sv"]


def test_deterministic_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    ca, cb = simulate(a), simulate(b, seed=None)
    assert ca == cb
    for form in FORMS:
        assert (a / f"{form}.csv").read_bytes() == (b / f"{form}.csv").read_bytes(), form


def test_other_seed_changes_detail_only(tmp_path: Path) -> None:
    simulate(tmp_path / "s1", seed=1)
    simulate(tmp_path / "s2", seed=1)
    assert (tmp_path / "s1" / "lb.csv").read_bytes() == (tmp_path / "s2" / "lb.csv").read_bytes()


def test_committed_raw_matches_generator(raw_dir: Path) -> None:
    committed = REPO / "raw"
    for form in FORMS:
        assert (committed / f"{form}.csv").read_bytes() == (raw_dir / f"{form}.csv").read_bytes(), (
            f"raw/{form}.csv is stale: run `trialflow simulate`")


def test_files_are_utf8_lf(raw_dir: Path) -> None:
    for form in FORMS:
        data = (raw_dir / f"{form}.csv").read_bytes()
        assert b"\r" not in data
        data.decode("utf-8")
        assert data.endswith(b"\n")


def test_columns_as_documented(forms) -> None:
    readme = (REPO / "raw" / "README.md").read_text(encoding="utf-8")
    for form, items in FORMS.items():
        df = forms[form]
        assert list(df.columns) == KEYS + items, form
        assert (df["STUDY"] == "TCD14079").all()
        assert f"### {form}.csv" in readme
        for item in items:
            assert item in readme, (form, item)


def test_record_position(forms) -> None:
    for form, df in forms.items():
        pos = pd.to_numeric(df["RECORDPOSITION"])
        expect = df.groupby(["SUBJECT", "FOLDER"]).cumcount() + 1
        assert (pos == expect).all(), form
        assert (df["SUBJECT"].str[:6] == df["SITE"]).all()


def test_every_subject_in_required_forms(forms) -> None:
    subjects = set(forms["dm"]["SUBJECT"])
    assert len(subjects) == 32
    for form in REQUIRED:
        assert set(forms[form]["SUBJECT"]) == subjects, form
    # response assessed subjects: everyone except the single-infusion withdrawal
    assert len(set(forms["rsp"]["SUBJECT"])) == 31
    assert forms["dm"]["SUBJECT"].is_unique


def test_date_formats(forms) -> None:
    pat = r"^((\d{2}|UN) ([A-Z]{3}|UNK) \d{4})?$"
    for form, df in forms.items():
        for col in df.columns:
            if col.endswith("DAT"):
                assert df[col].str.match(pat).all(), (form, col)
    assert forms["dm"]["BRTHDAT"].str.startswith("UN ").all()
    assert forms["mmdx"]["DIAGDAT"].str.startswith("UN ").sum() >= 5
    assert forms["prthx"]["STDAT"].str.startswith("UN ").any()
    for df in forms.values():
        for col in df.columns:
            if col.endswith("DAT"):
                d = to_date(df[col], "last")
                assert (d.dropna() <= pd.Timestamp(DATA_CUTOFF)).all(), col


def _by_subj(df: pd.DataFrame, col: str, how: str = "max", impute: str = "first") -> pd.Series:
    return df.assign(_d=to_date(df[col], impute)).groupby("SUBJECT")["_d"].agg(how)


def test_dates_in_order(forms) -> None:
    ic = forms["ic"].set_index("SUBJECT")
    consent, enrl = to_date(ic["ICDAT"]), to_date(ic["ENRLDAT"])
    first = _by_subj(forms["ex"], "EXSTDAT", "min")
    last = _by_subj(forms["ex"], "EXSTDAT", "max")
    eot = to_date(forms["eot"].set_index("SUBJECT")["EOTDAT"])
    assert (consent <= enrl).all() and (enrl <= first).all()
    assert (last <= eot).all()                                  # no dose after EOT
    surv = forms["surv"]
    dth = _by_subj(surv, "DTHDAT").reindex(first.index)
    fu_first = _by_subj(surv, "SURVDAT", "min")
    fu_last = _by_subj(surv, "SURVDAT", "max")
    assert (fu_first > eot).all()                               # follow-up after EOT
    dead = dth.notna()
    assert (fu_last[dead] == dth[dead]).all()                   # death = last contact
    assert (last[dead] < dth[dead]).all()                       # no dose after death
    alive_gap = (pd.Timestamp(DATA_CUTOFF) - fu_last[~dead]).dt.days
    assert (alive_gap >= 0).all() and (alive_gap <= 100).all()  # followed until cut-off
    # nothing recorded after death
    for form, df in forms.items():
        for col in [c for c in df.columns if c.endswith("DAT")]:
            d = df.assign(_d=to_date(df[col])).join(dth.rename("DTH"), on="SUBJECT")
            assert not (d["_d"] > d["DTH"]).any(), (form, col)
    # screening before dosing
    scrn = forms["sv"][forms["sv"]["FOLDER"] == "SCRN"].set_index("SUBJECT")["VISDAT"]
    assert (to_date(scrn) >= consent).all() and (to_date(scrn) < first).all()
    # AEs: end >= start, start >= consent
    ae = forms["ae"]
    st, en = to_date(ae["AESTDAT"]), to_date(ae["AEENDAT"])
    assert (en.isna() | (en >= st)).all()
    assert (st >= consent.reindex(ae["SUBJECT"]).to_numpy()).all()
    assert ((ae["AEONGO"] == "Yes") == en.isna()).all()
    # infusion times
    ex = forms["ex"]
    assert (ex["EXENTIM"] > ex["EXSTTIM"]).all()


def test_prior_regimens_ordered(forms) -> None:
    pr = forms["prthx"].assign(ST=lambda d: to_date(d["STDAT"]), EN=lambda d: to_date(d["ENDAT"], "last"),
                               L=lambda d: pd.to_numeric(d["LINENO"]))
    reg = pr.groupby(["SUBJECT", "L"]).agg(ST=("ST", "min"), EN=("EN", "max")).reset_index()
    assert (reg["ST"] <= reg["EN"]).all()
    nxt = reg.groupby("SUBJECT")["ST"].shift(-1)
    assert (nxt.isna() | (nxt > reg["EN"])).all()
    first = _by_subj(forms["ex"], "EXSTDAT", "min")
    assert (reg.groupby("SUBJECT")["EN"].max() < first).all()
    pdd = to_date(pr["PDDAT"])
    assert ((pr["PDFL"] == "Yes") == pdd.notna()).all()
    mmdx = to_date(forms["mmdx"].set_index("SUBJECT")["DIAGDAT"])
    assert (reg.groupby("SUBJECT")["ST"].min() >= mmdx).all()


def test_protocol_dexamethasone(forms) -> None:
    cm = forms["cm"]
    dex = cm[cm["PROTDEX"] == "Yes"]
    assert dex["SUBJECT"].nunique() == 11
    assert (dex["CMDECOD"] == "DEXAMETHASONE").all()
    sv = forms["sv"].set_index(["SUBJECT", "FOLDER"])["VISDAT"]
    for _, r in dex.iterrows():
        c3 = sv.get((r["SUBJECT"], "C3D1"))
        c5 = sv.get((r["SUBJECT"], "C5D1"))
        assert r["CMSTDAT"] in (c3, c5)
    # premedication is not protocol dexamethasone
    assert not ((cm["PROTDEX"] == "No") & (cm["CMDECOD"] == "DEXAMETHASONE")).any()


def test_labs_agree_with_responses(forms) -> None:
    """IMWG: PD >= 25 % (and >= 0.5 g/dL) over the nadir, MR 25-49 % below baseline, SD neither."""
    lb = forms["lb"].assign(D=lambda d: to_date(d["LBDAT"]), V=lambda d: pd.to_numeric(d["LBORRES"], errors="coerce"))
    mm = forms["mmdx"].set_index("SUBJECT")
    rsp = forms["rsp"].assign(D=lambda d: to_date(d["RSDAT"])).sort_values(["SUBJECT", "D"])
    checked = 0
    for subj, grp in rsp.groupby("SUBJECT"):
        lc_only = mm.loc[subj, "HCTYPE"] == "None"
        inv = "Serum kappa free light chain" if mm.loc[subj, "LCTYPE"] == "Kappa" else "Serum lambda free light chain"
        test, abs_pd = (inv, 100.0) if lc_only else ("Serum M-protein", 0.5)
        series = lb[(lb["SUBJECT"] == subj) & (lb["LBTEST"] == test)].set_index("D")["V"]
        base = series.iloc[0]
        nadir = base
        pd_seen = False
        for _, r in grp.iterrows():
            v = series.get(r["D"])
            resp = r["OVRLRESP"]
            if resp == "Not evaluable":
                assert pd.isna(v)
                continue
            is_pd = v >= 1.25 * nadir and v - nadir >= abs_pd
            if resp == "Progressive disease":
                assert is_pd or pd_seen, (subj, r["FOLDER"])
                pd_seen = True
            elif resp == "Minimal response":
                assert 0.50 < v / base <= 0.75, (subj, r["FOLDER"])
            elif resp == "Stable disease":
                assert not is_pd and v / base > 0.75, (subj, r["FOLDER"])
            if resp != "Progressive disease":
                nadir = min(nadir, v)
            checked += 1
    assert checked > 100


def test_light_chain_only_have_no_serum_m_protein(forms) -> None:
    lb = forms["lb"]
    lc = set(forms["mmdx"].loc[forms["mmdx"]["HCTYPE"] == "None", "SUBJECT"])
    sm = lb[(lb["LBTEST"] == "Serum M-protein") & lb["SUBJECT"].isin(lc) & (lb["LBORRES"] != "")]
    assert (pd.to_numeric(sm["LBORRES"]) == 0).all()


def test_albumin_units_by_region(forms) -> None:
    lb = forms["lb"]
    alb = lb[lb["LBTEST"] == "Albumin"]
    us = alb["SITE"].str.startswith("840")
    assert (alb.loc[us, "LBORRESU"] == "g/dL").all()
    assert (alb.loc[~us, "LBORRESU"] == "g/L").all()
    assert us.any() and (~us).any()
    assert forms["dm"]["SITE"].nunique() == 19


def test_pinned_counts(forms) -> None:
    assert forms["dm"]["SUBJECT"].nunique() == 32
    assert len(forms["cd38"]) == 19 and forms["cd38"]["SUBJECT"].is_unique
    assert forms["cm"].query("PROTDEX == 'Yes'")["SUBJECT"].nunique() == 11
    ex = forms["ex"]
    assert len(ex) == 257 and (pd.to_numeric(ex["EXDOSE"]) > 0).all()
    assert (ex["EXINT"] == "Yes").sum() == 5
    assert ((ex["EXINT"] == "Yes") == (ex["EXINTRS"] != "")).all()


def test_no_derived_values(forms) -> None:
    derived_names = {"ISS", "REFRACT", "BOR", "NLINES", "WASHOUT", "AGE", "DCR", "EXPDUR"}
    for form, df in forms.items():
        assert not derived_names & set(df.columns), form


def test_cutoff_constant() -> None:
    assert DATA_CUTOFF == dt.date(2019, 10, 31)


def test_readme_row_counts_match_committed_raw() -> None:
    import re
    readme = (REPO / "raw" / "README.md").read_text(encoding="utf-8")
    for form in FORMS:
        path = REPO / "raw" / f"{form}.csv"
        m = re.search(rf"### {form}\.csv — [^\n(]*\((\d+) rows", readme)
        assert m, form
        n = len(path.read_text(encoding="utf-8").splitlines()) - 1
        assert int(m.group(1)) == n, form


def test_no_duplicate_records(forms) -> None:
    assert not forms["mh"].duplicated(["SUBJECT", "MHTERM", "MHSTDAT"]).any()
    assert not forms["ae"].duplicated(["SUBJECT", "AEDECOD", "AESTDAT"]).any()
    assert not forms["cm"].duplicated(["SUBJECT", "CMTRT", "CMSTDAT"]).any()
    assert not forms["ex"].duplicated(["SUBJECT", "FOLDER"]).any()
    assert not forms["rsp"].duplicated(["SUBJECT", "FOLDER"]).any()


def test_steroid_events_after_dexamethasone(forms) -> None:
    dex = forms["cm"].query("PROTDEX == 'Yes'").set_index("SUBJECT")["CMSTDAT"]
    ae = forms["ae"][forms["ae"]["AEDECOD"].isin(["Insomnia", "Hyperglycaemia"])]
    start = to_date(ae["AESTDAT"])
    dstart = to_date(dex.reindex(ae["SUBJECT"]).reset_index(drop=True)).set_axis(ae.index)
    assert (dstart.notna() & (start >= dstart)).all()
