"""N-subject synthetic study with realistic — NOT calibrated — distributions (scale / robustness tests).

Same forms, items, code lists, units and conventions as the calibrated study; everything is drawn
with a seeded ``numpy.random.Generator`` and built column-wise (numpy / pandas, no per-record
Python loops), so 10,000 subjects render in a few seconds.

Distributions (chosen to resemble a heavily pretreated RRMM population):
* first dose uniform 01 OCT 2016 – 31 DEC 2017; consent 7–27 days before; age ~ N(68, 9) in 38–90;
  55 % male; race White 80 %, Black 10 %, Asian 4 %, Other 3 %, Not reported 3 %.
* years from diagnosis ~ lognormal (median ~6, 0.8–25), day unknown for 35 %; subtype IgG 45 %,
  IgA 22 %, IgD 2 %, light chain only 31 %; ECOG 0/1/2/3 = 18/50/29/3 %; FISH done in 45 %;
  CD38 measured in 60 %; beta-2 microglobulin and albumin lognormal around typical values.
* prior lines 2 + Poisson(4) (max 14); line 1 induction (+ high-dose melphalan/ASCT in 70 %),
  line 2 maintenance in half the patients, daratumumab in the last line for 60 % (else an earlier
  line); regimens refractory (PD at end) with probability 0.8 after line 1, last line always.
* best response mix PD 38 %, SD 48 %, MR 6 %, PR 4 %, VGPR 1 %, NE 3 %; responders keep their
  response for a geometric number of cycles, then progress at a day-1 assessment; 8 % stop for
  an adverse event without progression.  Death ~ exponential after EOT (mean 300 days); alive
  patients followed to the 31 OCT 2019 cut-off.
* adverse events ~ Poisson(2.4) per subject (grade 1–4, 8 % grade >= 3 events), infusion reactions
  in 15 % at C1D1 (half interrupting the infusion); protocol dexamethasone from C3D1 in 30 % of
  patients still treated then.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .common import (CONMEDS, ECOG_LABELS, FORMS, KEYS, LOG_FOLDER, MONTHS, PROTDEX_CM, RESP_LABELS, SITES,
                     STUDY, WHODRUG, meddra)

EPOCH = np.datetime64("1970-01-01", "D")
CUTOFF = int((np.datetime64("2019-10-31", "D") - EPOCH).astype(int))
START = int((np.datetime64("2016-10-01", "D") - EPOCH).astype(int))
END = int((np.datetime64("2017-12-31", "D") - EPOCH).astype(int))
_MON = np.array(MONTHS)
MISSING = -(10 ** 9)            # sentinel for "no date" in int-day arrays


# ----------------------------------------------------------------------------- vector helpers
def _dates(days: np.ndarray, unk: np.ndarray | None = None) -> np.ndarray:
    """int days since 1970 -> 'DD MON YYYY'; MISSING -> ''; unk: 0 full, 1 day UN, 2 UN UNK."""
    days = np.asarray(days)
    valid = days > MISSING
    dt64 = (EPOCH + np.where(valid, days, 0).astype("timedelta64[D]"))
    y = dt64.astype("datetime64[Y]").astype(int) + 1970
    m = dt64.astype("datetime64[M]").astype(int) % 12
    d = (dt64 - dt64.astype("datetime64[M]")).astype(int) + 1
    ds = np.char.zfill(d.astype(str), 2)
    ms = _MON[m]
    ys = y.astype(str)
    if unk is not None:
        ds = np.where(unk >= 1, "UN", ds)
        ms = np.where(unk >= 2, "UNK", ms)
    out = np.char.add(np.char.add(np.char.add(np.char.add(ds, " "), ms), " "), ys)
    return np.where(valid, out, "")


def _fmt(x: np.ndarray, dp: int) -> np.ndarray:
    return np.char.mod(f"%.{dp}f", np.asarray(x, dtype=float))


def _times(minutes: np.ndarray) -> np.ndarray:
    h = np.char.zfill((minutes // 60).astype(str), 2)
    m = np.char.zfill((minutes % 60).astype(str), 2)
    return np.char.add(np.char.add(h, ":"), m)


def _frame(form: str, site: np.ndarray, subject: np.ndarray, folder, **cols) -> pd.DataFrame:
    n = len(subject)
    data = {"STUDY": np.full(n, STUDY), "SITE": site, "SUBJECT": subject,
            "FOLDER": np.broadcast_to(np.asarray(folder), (n,)) if np.ndim(folder) == 0 else folder}
    for c in FORMS[form]:
        v = cols.get(c, "")
        data[c] = np.broadcast_to(np.asarray(v, dtype=object), (n,)) if np.ndim(v) == 0 else v
    df = pd.DataFrame(data)
    return df


def _finish(form: str, df: pd.DataFrame, order: np.ndarray) -> pd.DataFrame:
    """Sort by subject (stable, then `order`), add RECORDPOSITION, all strings."""
    df = df.assign(_o=order).sort_values(["SUBJECT", "_o"], kind="stable").drop(columns="_o")
    df["RECORDPOSITION"] = (df.groupby(["SUBJECT", "FOLDER"], sort=False).cumcount() + 1).astype(str)
    return df[KEYS + FORMS[form]].astype(str).reset_index(drop=True)


def _folder_names(max_doses: int) -> tuple[np.ndarray, np.ndarray]:
    folders, offs = ["C1D1", "C1D8", "C1D15", "C1D22"], [0, 7, 14, 21]
    c = 2
    while len(folders) < max_doses:
        folders += [f"C{c}D1", f"C{c}D15"]
        offs += [28 * (c - 1), 28 * (c - 1) + 14]
        c += 1
    return np.array(folders[:max_doses]), np.array(offs[:max_doses])


INDUCTION = ["V+R+d+MEL", "V+T+d+MEL", "V+C+d+MEL", "V+R+d", "R+d", "V+C+d"]
MAINT = ["R", "T", "V"]
LATER = ["K+d", "P+d", "K+R+d", "E+R+d", "I+R+d", "P+C+d", "V+d", "E+P+d", "PAN+V+d", "B+d", "C+pred",
         "V+DOX+d", "K+P+d", "K+C+d"]
DARA = ["D", "D+d", "D+P+d", "D+R+d", "D+V+d", "D+K+d"]
TEMPLATES = INDUCTION + MAINT + LATER + DARA
RESP_ORDER = ["CR", "VGPR", "PR", "MR", "SD", "PD"]
AE_TERMS = ["Tiredness", "Fatigue", "Nausea", "Diarrhea", "Cough", "Shortness of breath",
            "Upper respiratory tract infection", "Low back pain", "Pyrexia", "Headache", "Constipation",
            "Loss of appetite", "Leg swelling", "Vomiting", "Arthralgia", "Anaemia", "Thrombocytopenia",
            "Neutropenia", "Pneumonia", "Hyperglycaemia", "Insomnia", "Acute kidney injury"]
MH_TERMS = ["Hypertension", "Diabetes mellitus type 2", "Peripheral neuropathy sensory", "Osteoporosis",
            "Depression", "Atrial fibrillation", "Hypothyroidism", "Chronic kidney disease"]


def render_scale(n: int, seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng([seed, n])
    out: dict[str, pd.DataFrame] = {}
    idx = np.arange(n)
    # ------------------------------------------------------------------ subjects
    site_ids = np.array([s for s, _ in SITES])
    countries = np.array([c for _, c in SITES])
    w = np.where(countries == "USA", 1.4, 1.0)
    s_i = rng.choice(len(SITES), size=n, p=w / w.sum())
    site = site_ids[s_i]
    num = pd.Series(site).groupby(site).cumcount().to_numpy() + 1
    subject = np.char.add(np.char.add(site.astype(str), "-"), np.char.zfill(num.astype(str), 3))
    us = countries[s_i] == "USA"
    t = rng.integers(START, END + 1, size=n)
    consent = t - rng.integers(7, 28, size=n)
    scrn = np.minimum(consent + rng.integers(2, 7, size=n), t - 2)
    enrl = np.minimum(scrn + rng.integers(1, 5, size=n), t - 1)
    age = np.clip(np.round(rng.normal(68, 9, size=n)), 38, 90).astype(int)
    bmonth = rng.integers(1, 13, size=n)
    c_dt = EPOCH + consent.astype("timedelta64[D]")
    c_year = c_dt.astype("datetime64[Y]").astype(int) + 1970
    c_mon = c_dt.astype("datetime64[M]").astype(int) % 12 + 1
    c_day = (c_dt - c_dt.astype("datetime64[M]")).astype(int) + 1
    byear = c_year - age - ((bmonth > c_mon) | ((bmonth == c_mon) & (c_day < 1))).astype(int)
    birth_days = (np.datetime64("1970-01", "M") + ((byear - 1970) * 12 + bmonth - 1).astype("timedelta64[M]")) \
        .astype("datetime64[D]").astype(int)
    sex = np.where(rng.random(n) < 0.55, "Male", "Female")
    race = rng.choice(["White", "Black or African American", "Asian", "Other", "Not reported"], size=n,
                      p=[0.80, 0.10, 0.04, 0.03, 0.03])
    ethnic = rng.choice(["Not Hispanic or Latino", "Hispanic or Latino", "Not reported"], size=n, p=[0.9, 0.07, 0.03])
    out["dm"] = _frame("dm", site, subject, "SCRN", BRTHDAT=_dates(birth_days, np.ones(n, int)), SEX=sex, RACE=race,
                       ETHNIC=ethnic, COUNTRY=countries[s_i])
    out["ic"] = _frame("ic", site, subject, "SCRN", ICDAT=_dates(consent), ENRLDAT=_dates(enrl),
                       PROTVER="Amended protocol 03")
    years = np.clip(rng.lognormal(np.log(6), 0.55, size=n), 0.8, 25)
    diag = t - np.round(years * 365.25).astype(int)
    dx_unk = (rng.random(n) < 0.35).astype(int)
    hc = rng.choice(["IgG", "IgA", "IgD", "None"], size=n, p=[0.45, 0.22, 0.02, 0.31])
    lc = np.where(rng.random(n) < 0.62, "Kappa", "Lambda")
    out["mmdx"] = _frame("mmdx", site, subject, "SCRN", DIAGDAT=_dates(diag, dx_unk), HCTYPE=hc, LCTYPE=lc)
    # FISH
    done = rng.random(n) < 0.45
    fi = np.repeat(idx[done], 3)
    probe = np.tile(["del(17p)", "t(4;14)", "t(14;16)"], done.sum())
    pct = np.where(rng.random(len(fi)) < 0.12, rng.integers(15, 90, len(fi)), rng.integers(0, 9, len(fi)))
    nd = idx[~done]
    fish = pd.concat([
        _frame("fish", site[fi], subject[fi], "SCRN", FISHPERF="Yes", FISHDAT=_dates(scrn[fi]), PROBE=probe,
               PCTABN=pct.astype(str)),
        _frame("fish", site[nd], subject[nd], "SCRN", FISHPERF="No",
               FISHND=rng.choice(["Sample not available", "Insufficient plasma cells", "Not performed at screening"],
                                 size=len(nd)))])
    out["fish"] = _finish("fish", fish, np.concatenate([np.tile([0, 1, 2], done.sum()), np.zeros(len(nd))]))
    # ------------------------------------------------------------------ prior therapy
    nl = np.clip(2 + rng.poisson(4, size=n), 2, 14)
    ri = np.repeat(idx, nl)                                    # regimen rows
    line = pd.Series(ri).groupby(ri).cumcount().to_numpy() + 1
    nlr = nl[ri]
    dara_last = rng.random(n) < 0.6
    dara_line = np.where(dara_last, nl, 1 + (rng.random(n) * (nl - 1)).astype(int) + 1)
    dara_line = np.minimum(dara_line, nl)
    r_ind = rng.integers(0, len(INDUCTION), len(ri))
    r_mnt = rng.integers(0, len(MAINT), len(ri)) + len(INDUCTION)
    r_lat = rng.integers(0, len(LATER), len(ri)) + len(INDUCTION) + len(MAINT)
    r_dar = rng.integers(0, len(DARA), len(ri)) + len(INDUCTION) + len(MAINT) + len(LATER)
    maint2 = rng.random(len(ri)) < 0.5
    tmpl = np.where(line == 1, r_ind, np.where((line == 2) & maint2, r_mnt, r_lat))
    tmpl = np.where(line == dara_line[ri], r_dar, tmpl)
    dur = rng.uniform(60, 420, len(ri)) * np.where(line == 1, 1.5, 1.0)
    gap = rng.uniform(10, 90, len(ri))
    span = (t - rng.integers(42, 200, size=n) - (diag + 30)).astype(float)   # washout >= 6 weeks
    tot = pd.Series(dur + gap).groupby(ri).transform("sum").to_numpy()
    last_gap = pd.Series(gap).groupby(ri).transform("last").to_numpy()
    sc = span[ri] / (tot - last_gap)
    cum = pd.Series((dur + gap) * sc).groupby(ri).cumsum().to_numpy() - (dur + gap) * sc
    rst = (diag[ri] + 30 + cum).astype(int)
    ren = np.maximum(rst + 27, (rst + dur * sc).astype(int))
    refr = (line == nlr) | ((line > 1) & (rng.random(len(ri)) < 0.8))
    pdd = np.where(refr, ren, MISSING)
    best = np.where(refr, rng.choice(["PR", "SD", "PD", "VGPR", "MR"], len(ri), p=[0.35, 0.3, 0.15, 0.15, 0.05]),
                    rng.choice(["CR", "VGPR", "PR"], len(ri), p=[0.2, 0.5, 0.3]))
    tm = pd.DataFrame({"T": np.repeat(np.arange(len(TEMPLATES)), [len(x.split("+")) for x in TEMPLATES]),
                       "A": [a for x in TEMPLATES for a in x.split("+")]})
    regs = pd.DataFrame({"R": np.arange(len(ri)), "T": tmpl})
    ag = regs.merge(tm, on="T", how="left").sort_values(["R"], kind="stable")
    r = ag["R"].to_numpy()
    a = ag["A"].to_numpy()
    who = WHODRUG
    decod = np.array([who[x][0] for x in a])
    atc = np.array([who[x][1] for x in a])
    atcc = np.array([who[x][2] for x in a])
    verb = np.array([who[x][3][0] for x in a])
    si = ri[r]
    out["prthx"] = _finish("prthx", _frame(
        "prthx", site[si], subject[si], "SCRN", LINENO=line[r].astype(str), AGENT=verb, CMDECOD=decod, ATCCODE=atc,
        ATCCLAS=atcc, STDAT=_dates(rst[r]), ENDAT=_dates(ren[r]), BESTRESP=np.vectorize(RESP_LABELS.get)(best[r]),
        PDFL=np.where(refr[r], "Yes", "No"), PDDAT=_dates(pdd[r]),
        REASSTOP=np.where(refr[r], "Progressive disease", "Completed")), np.arange(len(r)))
    asct = (line == 1) & np.isin(tmpl, [0, 1, 2])
    ai = ri[asct]
    out["prtx"] = _finish("prtx", _frame("prtx", site[ai], subject[ai], "SCRN",
                                         TXDAT=_dates(((rst + ren) // 2)[asct]), TXTYPE="Autologous"), np.arange(len(ai)))
    # ------------------------------------------------------------------ medical history
    nmh = rng.integers(0, 4, size=n)
    mi = np.repeat(idx, nmh)
    mk = pd.Series(mi).groupby(mi).cumcount().to_numpy()
    perm = np.argsort(rng.random((n, len(MH_TERMS))), axis=1)    # distinct terms within a subject
    term = np.array(MH_TERMS)[perm[mi, mk]]
    hier = {k: meddra(k) for k in MH_TERMS}
    mst = diag[mi] - rng.integers(-300, 3000, len(mi))
    mst = np.minimum(mst, consent[mi] - 60)
    out["mh"] = _finish("mh", _frame(
        "mh", site[mi], subject[mi], "SCRN", MHTERM=term, MHLLT=term,
        MHDECOD=np.array([hier[x]["PT"] for x in term]), MHHLT=np.array([hier[x]["HLT"] for x in term]),
        MHHLGT=np.array([hier[x]["HLGT"] for x in term]), MHSOC=np.array([hier[x]["SOC"] for x in term]),
        MHSTDAT=_dates(mst, np.ones(len(mi), int)), MHONGO=np.where(rng.random(len(mi)) < 0.6, "Yes", "No")),
        np.arange(len(mi)))
    # ------------------------------------------------------------------ course on isatuximab
    cat = rng.choice(["PD", "SD", "MR", "PR", "VGPR", "NE"], size=n, p=[0.38, 0.48, 0.06, 0.04, 0.01, 0.03])
    a_n = np.where(cat == "PD", 0, np.minimum(1 + rng.geometric(0.3, size=n), 30))     # assessments before PD
    ae_stop = (cat != "PD") & (cat != "NE") & (rng.random(n) < 0.08)
    pd_off = 28 * (1 + a_n)                                        # PD assessment at C(2+a)D1
    max_d = 4 + 2 * 31
    fnames, foffs = _folder_names(max_d)
    ndose = np.searchsorted(foffs, pd_off, side="left")            # doses strictly before PD visit
    ndose = np.where(cat == "NE", rng.integers(1, 5, size=n), ndose)
    ndose = np.where(ae_stop, ndose - 1, ndose)
    last_off = foffs[ndose - 1]
    eot_off = np.where(cat == "NE", last_off + rng.integers(7, 21, size=n),
                       np.where(ae_stop, last_off + 10, pd_off + rng.integers(0, 8, size=n)))
    eot_reason = np.where(cat == "NE", rng.choice(["Withdrawal by subject", "Adverse event"], size=n),
                          np.where(ae_stop, "Adverse event", "Progressive disease"))
    death_off = eot_off + 10 + rng.exponential(300, size=n).astype(int)
    dead = t + death_off <= CUTOFF
    # exposure
    ei = np.repeat(idx, ndose)
    k = pd.Series(ei).groupby(ei).cumcount().to_numpy()
    ex_date = t[ei] + foffs[k]
    irr = rng.random(n) < 0.15
    intr = irr & (rng.random(n) < 0.5)
    first = k == 0
    start_m = rng.integers(8 * 60 + 15, 10 * 60 + 31, size=len(ei))
    durm = np.where(first, rng.integers(200, 261, len(ei)), rng.integers(105, 151, len(ei))) + \
        np.where(first & intr[ei], 50, 0)
    wt = np.where(sex == "Male", rng.uniform(64, 96, n), rng.uniform(50, 80, n))
    out["ex"] = _finish("ex", _frame(
        "ex", site[ei], subject[ei], fnames[k], EXSTDAT=_dates(ex_date), EXSTTIM=_times(start_m),
        EXENTIM=_times(start_m + durm), EXDOSE="20", WEIGHT=_fmt(wt[ei] + rng.normal(0, 0.6, len(ei)), 1),
        EXINT=np.where(first & intr[ei], "Yes", "No"),
        EXINTRS=np.where(first & intr[ei], "Infusion related reaction", "")), k)
    # responses: a_n assessments with the category's response, then PD (unless stopped/NE)
    n_rs = np.where(cat == "NE", 0, a_n + np.where(ae_stop, 0, 1))
    qi = np.repeat(idx, n_rs)
    qk = pd.Series(qi).groupby(qi).cumcount().to_numpy()
    resp = np.where(qk < a_n[qi], np.where((qk == 0) & np.isin(cat[qi], ["PR", "VGPR"]), "MR", cat[qi]), "PD")
    rs_off = 28 * (1 + qk)
    rs_fold = np.char.add(np.char.add("C", (2 + qk).astype(str)), "D1")
    out["rsp"] = _finish("rsp", _frame("rsp", site[qi], subject[qi], rs_fold, RSDAT=_dates(t[qi] + rs_off),
                                       OVRLRESP=np.vectorize(RESP_LABELS.get)(resp)), qk)
    out["eot"] = _frame("eot", site, subject, "EOT", EOTDAT=_dates(t + eot_off), EOTREAS=eot_reason)
    out["eot"] = _finish("eot", out["eot"], idx)
    # ------------------------------------------------------------------ labs
    lab_rows = []
    tests = ["Serum M-protein", "Urine M-protein", "Serum kappa free light chain", "Serum lambda free light chain"]
    lc_only = hc == "None"
    sm0 = np.where(lc_only, 0.0, rng.uniform(0.8, 5.0, n))
    inv0 = np.where(lc_only, rng.uniform(300, 3000, n), rng.uniform(30, 250, n))
    unv0 = rng.uniform(2.5, 14, n)
    um0 = rng.uniform(0, 180, n)
    hgb0, cre0, ca0 = rng.uniform(8, 13.5, n), rng.uniform(0.6, 2.2, n), rng.uniform(8.5, 10.6, n)
    b2m = np.exp(rng.normal(np.log(3.8), 0.5, n))
    alb = np.clip(rng.normal(3.6, 0.45, n), 2.2, 5.0)

    def markers(i: np.ndarray, fold, day: np.ndarray, fac: np.ndarray) -> None:
        kap = np.where(lc[i] == "Kappa", inv0[i] * fac, unv0[i])
        lam = np.where(lc[i] == "Kappa", unv0[i], inv0[i] * fac)
        vals = [(tests[0], _fmt(sm0[i] * fac, 2), "g/dL"), (tests[1], _fmt(um0[i], 0), "mg/24h"),
                (tests[2], _fmt(kap, 1), "mg/L"), (tests[3], _fmt(lam, 1), "mg/L")]
        for j, (tst, v, u) in enumerate(vals):
            lab_rows.append((_frame("lb", site[i], subject[i], fold, LBDAT=_dates(day), LBTEST=tst, LBORRES=v,
                                    LBORRESU=u), day * 100 + j))

    def safety(i: np.ndarray, fold, day: np.ndarray) -> None:
        u = us[i]
        hg = hgb0[i] + rng.normal(0, 0.4, len(i))
        cr = cre0[i] * rng.uniform(0.9, 1.1, len(i))
        vals = [("Hemoglobin", np.where(u, _fmt(hg, 1), _fmt(hg * 10, 0)), np.where(u, "g/dL", "g/L")),
                ("Creatinine", np.where(u, _fmt(cr, 2), _fmt(cr * 88.4, 0)), np.where(u, "mg/dL", "umol/L")),
                ("Calcium", _fmt(ca0[i] + rng.normal(0, 0.25, len(i)), 1), "mg/dL")]
        for j, (tst, v, un) in enumerate(vals):
            lab_rows.append((_frame("lb", site[i], subject[i], fold, LBDAT=_dates(day), LBTEST=tst, LBORRES=v,
                                    LBORRESU=un), day * 100 + 10 + j))

    markers(idx, "SCRN", scrn, np.ones(n))
    safety(idx, "SCRN", scrn)
    lab_rows.append((_frame("lb", site, subject, "SCRN", LBDAT=_dates(scrn), LBTEST="Beta-2 microglobulin",
                            LBORRES=_fmt(b2m, 1), LBORRESU="mg/L"), scrn * 100 + 20))
    lab_rows.append((_frame("lb", site, subject, "SCRN", LBDAT=_dates(scrn), LBTEST="Albumin",
                            LBORRES=np.where(us, _fmt(alb, 1), _fmt(alb * 10, 0)),
                            LBORRESU=np.where(us, "g/dL", "g/L")), scrn * 100 + 21))
    fac = np.select([resp == "SD", resp == "MR", resp == "PR", resp == "VGPR"],
                    [rng.uniform(0.9, 1.08, len(qi)), 0.65, 0.4, 0.12], 1.5)
    markers(qi, rs_fold, t[qi] + rs_off, fac)
    d1 = np.char.endswith(fnames[k], "D1")
    safety(ei[d1], fnames[k][d1], ex_date[d1])
    lb = pd.concat([f for f, _ in lab_rows], ignore_index=True)
    out["lb"] = _finish("lb", lb, np.concatenate([o for _, o in lab_rows]))
    # ------------------------------------------------------------------ ecog, cd38
    ecog = rng.choice(4, size=n, p=[0.18, 0.50, 0.29, 0.03])
    lab = np.array([ECOG_LABELS[i] for i in range(5)])
    ecog_eot = np.minimum(4, ecog + (rng.random(n) < 0.3))
    out["ecog"] = _finish("ecog", pd.concat([
        _frame("ecog", site, subject, "SCRN", ECOGDAT=_dates(scrn), ECOG=lab[ecog]),
        _frame("ecog", site, subject, "EOT", ECOGDAT=_dates(t + eot_off), ECOG=lab[ecog_eot])]),
        np.r_[np.zeros(n), np.ones(n)])
    meas = rng.random(n) < 0.6
    ci = idx[meas]
    rd = np.where(rng.random(len(ci)) < 0.5, rng.integers(0, 5000, len(ci)), rng.integers(5000, 300000, len(ci)))
    out["cd38"] = _finish("cd38", _frame("cd38", site[ci], subject[ci], "SCRN", CD38DAT=_dates(scrn[ci]),
                                         CD38SPEC="Bone marrow aspirate", CD38RD=rd.astype(str)), ci)
    # ------------------------------------------------------------------ concomitant medications
    cm_parts = []
    last_day = t + last_off
    for j, trt in enumerate(("Acetaminophen", "Diphenhydramine", "Ranitidine", "Methylprednisolone")):
        dc, at, cl, ind, dose, unit, route = CONMEDS[trt]
        cm_parts.append((_frame("cm", site, subject, LOG_FOLDER, CMTRT=trt, CMDECOD=dc, ATCCODE=at, ATCCLAS=cl,
                                CMINDC=ind, CMDOSE=dose, CMDOSU=unit, CMROUTE=route, CMSTDAT=_dates(t),
                                CMENDAT=_dates(last_day), CMONGO="No", PROTDEX="No"), np.full(n, j)))
    for j, trt in enumerate(("Acyclovir", "Allopurinol", "Zoledronic acid", "Pantoprazole")):
        sel = idx[rng.random(n) < 0.4]
        dc, at, cl, ind, dose, unit, route = CONMEDS[trt]
        cm_parts.append((_frame("cm", site[sel], subject[sel], LOG_FOLDER, CMTRT=trt, CMDECOD=dc, ATCCODE=at,
                                ATCCLAS=cl, CMINDC=ind, CMDOSE=dose, CMDOSU=unit, CMROUTE=route,
                                CMSTDAT=_dates(t[sel] - rng.integers(0, 200, len(sel))),
                                CMENDAT=_dates((t + eot_off)[sel]), CMONGO="No", PROTDEX="No"), np.full(len(sel), 4 + j)))
    dex = (ndose >= 7) & (rng.random(n) < 0.3)
    di = idx[dex]
    ctrt, cdec, cat_, ccls, cind, croute = PROTDEX_CM
    cm_parts.append((_frame("cm", site[di], subject[di], LOG_FOLDER, CMTRT=ctrt, CMDECOD=cdec, ATCCODE=cat_,
                            ATCCLAS=ccls, CMINDC=cind, CMDOSE=np.where(age[di] >= 75, "20", "40"), CMDOSU="mg",
                            CMROUTE=croute, CMSTDAT=_dates(t[di] + 56),
                            CMENDAT=_dates(np.minimum(last_day[di] + 7, (t + eot_off)[di])), CMONGO="No",
                            PROTDEX="Yes"), np.full(len(di), 9)))
    out["cm"] = _finish("cm", pd.concat([f for f, _ in cm_parts]), np.concatenate([o for _, o in cm_parts]))
    # ------------------------------------------------------------------ adverse events
    nae = rng.poisson(2.4, size=n) * (rng.random(n) < 0.9)
    vi = np.repeat(idx, nae)
    term = rng.choice(AE_TERMS, size=len(vi))
    hier = {x: meddra(x) for x in AE_TERMS + ["Infusion related reaction"]}
    window = last_off[vi] + 30
    limit = np.where(dead[vi], np.minimum(window, death_off[vi] - 1), window)
    st = t[vi] + (rng.random(len(vi)) * np.maximum(limit, 1)).astype(int)
    en = st + rng.integers(1, 30, len(vi))
    en = np.where(dead[vi], np.minimum(en, t[vi] + death_off[vi]), en)
    ongo = en > CUTOFF
    grade = rng.choice([1, 2, 3, 4], size=len(vi), p=[0.55, 0.37, 0.07, 0.01])
    ir_i = idx[irr]
    v_term = np.concatenate([term, np.full(len(ir_i), "Infusion related reaction")])
    v_i = np.concatenate([vi, ir_i])
    v_st = np.concatenate([st, t[ir_i]])
    v_en = np.concatenate([np.where(ongo, MISSING, en), t[ir_i]])
    v_gr = np.concatenate([grade, rng.integers(1, 3, len(ir_i))])
    v_ir = np.concatenate([np.full(len(vi), "No"), np.full(len(ir_i), "Yes")])
    v_acn = np.concatenate([np.full(len(vi), "Dose not changed"),
                            np.where(intr[ir_i], "Drug interrupted", "Dose not changed")])
    uniq = ~pd.DataFrame({"i": v_i, "t": v_term, "s": v_st}).duplicated().to_numpy()   # one record per term/onset
    v_i, v_term, v_st, v_en, v_gr, v_ir, v_acn = (x[uniq] for x in (v_i, v_term, v_st, v_en, v_gr, v_ir, v_acn))
    out["ae"] = _finish("ae", _frame(
        "ae", site[v_i], subject[v_i], LOG_FOLDER, AETERM=v_term, AELLT=v_term,
        AEDECOD=np.array([hier[x]["PT"] for x in v_term]), AEHLT=np.array([hier[x]["HLT"] for x in v_term]),
        AEHLGT=np.array([hier[x]["HLGT"] for x in v_term]), AESOC=np.array([hier[x]["SOC"] for x in v_term]),
        AESTDAT=_dates(v_st), AEENDAT=_dates(v_en), AEONGO=np.where(v_en == MISSING, "Yes", "No"), AETOXGR=v_gr.astype(str),
        AESER=np.where(v_gr >= 3, "Yes", "No"), AEREL=np.where(rng.random(len(v_i)) < 0.4, "Related", "Not related"),
        AEACN=v_acn, AEOUT=np.where(v_en == MISSING, "Not recovered/not resolved", "Recovered/resolved"), AEIR=v_ir),
        v_st)
    # ------------------------------------------------------------------ survival follow-up, visits
    eot_day = t + eot_off
    death_day = t + death_off
    end_fu = np.where(dead, death_day, CUTOFF)
    nfu = np.maximum(0, (end_fu - (eot_day + 30)) // 91 + 1)
    nfu_alive = np.where(eot_day + 30 <= CUTOFF, nfu, 0)
    ui = np.repeat(idx, nfu_alive)
    uk = pd.Series(ui).groupby(ui).cumcount().to_numpy()
    u_day = eot_day[ui] + 30 + 91 * uk
    keep = ~dead[ui] | (u_day < death_day[ui])
    ui, uk, u_day = ui[keep], uk[keep], u_day[keep]
    di2 = idx[dead]
    k_dead = pd.Series(ui).groupby(ui).size().reindex(di2, fill_value=0).to_numpy()
    s_i2 = np.concatenate([ui, di2])
    s_k = np.concatenate([uk, k_dead])
    s_day = np.concatenate([u_day, death_day[di2]])
    s_dead = np.concatenate([np.zeros(len(ui), bool), np.ones(len(di2), bool)])
    s_fold = np.char.add("FU", (s_k + 1).astype(str))
    cause = rng.choice(["Disease progression", "Adverse event", "Other"], size=len(s_i2), p=[0.85, 0.08, 0.07])
    out["surv"] = _finish("surv", _frame(
        "surv", site[s_i2], subject[s_i2], s_fold, SURVDAT=_dates(s_day), SURVSTAT=np.where(s_dead, "Dead", "Alive"),
        DTHDAT=np.where(s_dead, _dates(s_day), ""), DTHCAUSE=np.where(s_dead, cause, "")), s_day)
    # visits: SCRN, dosing visits, assessment visits without dosing, EOT, FU
    v_parts = [(_frame("sv", site, subject, "SCRN", VISDAT=_dates(scrn)), scrn),
               (_frame("sv", site[ei], subject[ei], fnames[k], VISDAT=_dates(ex_date)), ex_date)]
    nodose = rs_off > last_off[qi]                      # assessment visits after the last infusion
    qd = qi[nodose]
    v_parts.append((_frame("sv", site[qd], subject[qd], rs_fold[nodose], VISDAT=_dates((t[qi] + rs_off)[nodose])),
                    (t[qi] + rs_off)[nodose]))
    v_parts.append((_frame("sv", site, subject, "EOT", VISDAT=_dates(eot_day)), eot_day + 0.5))
    al = ~s_dead                                           # a death report is not a visit
    v_parts.append((_frame("sv", site[s_i2[al]], subject[s_i2[al]], s_fold[al], VISDAT=_dates(s_day[al])),
                    s_day[al] + 0.75))
    out["sv"] = _finish("sv", pd.concat([f for f, _ in v_parts]), np.concatenate([o for _, o in v_parts]))
    for form in ("dm", "ic", "mmdx"):
        out[form] = _finish(form, out[form], idx)
    return {form: out[form] for form in FORMS}
