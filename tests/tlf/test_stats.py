"""Tests for trialflow.tlf.stats (rounding, descriptives, Clopper-Pearson, Kaplan-Meier).

Reference values were computed with R 4.x / survival 3.5-3 (stated per test); the R cross-checks
rerun R when ``Rscript`` is available and are skipped otherwise.
"""

import io
import math
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from trialflow.errors import InputError
from trialflow.tlf.stats import (
    betainc, clopper_pearson, describe, fmt_count_pct, fmt_num, km_fit, km_quantile,
    km_survival_at, median, norm_ppf, quantile, quartiles, round_half_up,
)

HAVE_R = shutil.which("Rscript") is not None
needs_r = pytest.mark.skipif(not HAVE_R, reason="Rscript not installed")


def run_r(code: str) -> str:
    res = subprocess.run(["Rscript", "--vanilla", "-e", code], capture_output=True, text=True, check=True)
    return res.stdout


# ----------------------------------------------------------------------------- rounding / formatting
@pytest.mark.parametrize("x,nd,want", [
    (0.5, 0, 1.0), (1.5, 0, 2.0), (2.5, 0, 3.0), (-2.5, 0, -3.0), (-0.5, 0, -1.0),
    (31.25, 1, 31.3), (6.25, 1, 6.3), (-6.25, 1, -6.3), (2.675, 2, 2.68), (1.005, 2, 1.01),
    (-1.005, 2, -1.01), (0.125, 2, 0.13), (125, -1, 130.0), (-0.04, 1, 0.0), (12.3449, 2, 12.34),
])
def test_round_half_up(x, nd, want):
    got = round_half_up(x, nd)
    assert got == want and not (got == 0 and math.copysign(1, got) < 0)


def test_round_half_up_missing():
    assert math.isnan(round_half_up(None, 1)) and math.isnan(round_half_up(float("nan"), 1))


@pytest.mark.parametrize("n,d,want", [
    (0, 32, "0 (0)"), (32, 32, "32 (100)"), (10, 32, "10 (31.3)"), (2, 32, "2 (6.3)"),
    (18, 32, "18 (56.3)"), (26, 32, "26 (81.3)"), (1, 3, "1 (33.3)"), (2, 3, "2 (66.7)"),
    (1, 8, "1 (12.5)"), (0, 0, "0 (0)"),
])
def test_fmt_count_pct(n, d, want):
    assert fmt_count_pct(n, d) == want


def test_fmt_count_pct_digits_and_errors():
    assert fmt_count_pct(1, 8, pct_digits=0) == "1 (13)"
    assert fmt_count_pct(1, 6, pct_digits=2) == "1 (16.67)"
    with pytest.raises(InputError):
        fmt_count_pct(3, 2)


def test_fmt_num():
    assert fmt_num(2.675, 2) == "2.68"
    assert fmt_num(3, 1) == "3.0"
    assert fmt_num(-0.04, 1) == "0.0"
    assert fmt_num(-1.25, 1) == "-1.3"
    assert fmt_num(float("nan"), 1) == "NE"
    assert fmt_num(None, 1, missing="") == ""


# ----------------------------------------------------------------------------- descriptives
def test_median_and_quartiles_qntldef5():
    # QNTLDEF=5: np = j + g; g == 0 -> mean of x(j), x(j+1); else x(j+1)
    assert median([3, 1, 2]) == 2 and median([4, 1, 3, 2]) == 2.5
    assert quartiles(range(1, 11)) == (3.0, 8.0)      # 2.5 -> x(3); 7.5 -> x(8)
    assert quartiles(range(1, 9)) == (2.5, 6.5)       # 2 -> (x2+x3)/2; 6 -> (x6+x7)/2
    assert quartiles([5]) == (5.0, 5.0)
    assert quantile([1, 2, np.nan, 3, 4], 0.5) == 2.5   # missing ignored
    assert math.isnan(median([]))


def test_describe():
    d = describe(pd.Series([3.0, 1.0, None, 2.0, 10.0]))
    assert d["n"] == 4 and d["mean"] == 4.0 and d["median"] == 2.5
    assert d["min"] == 1.0 and d["max"] == 10.0 and d["q1"] == 1.5 and d["q3"] == 6.5
    assert d["sd"] == pytest.approx(np.std([3, 1, 2, 10], ddof=1), abs=1e-14)
    empty = describe([])
    assert empty["n"] == 0 and math.isnan(empty["mean"]) and math.isnan(empty["sd"])
    assert math.isnan(describe([1.0])["sd"])


@needs_r
def test_quartiles_match_r_type2():
    rng = np.random.default_rng(7)
    sets = [np.round(rng.normal(50, 10, n), 1).tolist() for n in (1, 2, 3, 4, 5, 7, 8, 12, 33)]
    r_in = ";".join(f"print(sprintf('%.17g', quantile(c({','.join(map(repr, s))}), c(.25,.5,.75), type=2)))"
                    for s in sets)
    out = [line.split()[1:] for line in run_r(r_in).splitlines()]
    for s, row in zip(sets, out):
        want = [float(v.strip('"')) for v in row]
        assert [quantile(s, 0.25), median(s), quantile(s, 0.75)] == want


# ----------------------------------------------------------------------------- special functions / Clopper-Pearson
def test_norm_ppf_and_betainc():
    assert norm_ppf(0.975) == pytest.approx(1.959963984540054, abs=1e-14)
    assert norm_ppf(0.5) == pytest.approx(0.0, abs=1e-15)
    assert betainc(1, 1, 0.3) == pytest.approx(0.3, abs=1e-15)
    assert betainc(2, 3, 0.4) == pytest.approx(0.5248, abs=1e-13)   # 1 - 0.6^4 - 4*0.4*0.6^3
    assert betainc(0.5, 0.5, 0.5) == pytest.approx(0.5, abs=1e-14)


def _binom_tail_ci(k, n, alpha=0.05):
    """Independent Clopper-Pearson: bisection on exact binomial tails (math.comb)."""
    def cdf(j, p):  # P(X <= j)
        return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(j + 1))

    def solve(f):  # f increasing in p, find root
        lo, hi = 0.0, 1.0
        for _ in range(100):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
        return (lo + hi) / 2

    lower = 0.0 if k == 0 else solve(lambda p: (1 - cdf(k - 1, p)) - alpha / 2)  # P(X>=k) = a/2
    upper = 1.0 if k == n else solve(lambda p: alpha / 2 - cdf(k, p))             # P(X<=k) = a/2
    return lower, upper


@pytest.mark.parametrize("k,n,want", [
    (12, 32, (0.2110, 0.5631)), (0, 32, (0.0, 0.1089)), (1, 32, (0.0008, 0.1622)),
    (32, 32, (0.8911, 1.0)), (5, 10, (0.1871, 0.8129)),
])
def test_clopper_pearson_known(k, n, want):
    lo, hi = clopper_pearson(k, n)
    assert (round(lo, 4), round(hi, 4)) == want


@pytest.mark.parametrize("k,n", [(0, 1), (1, 1), (1, 2), (3, 17), (12, 32), (31, 32), (50, 97), (1, 150)])
def test_clopper_pearson_vs_binomial_tails(k, n):
    for got, ref in zip(clopper_pearson(k, n), _binom_tail_ci(k, n)):
        assert got == pytest.approx(ref, abs=1e-10)


def test_clopper_pearson_bad_input():
    with pytest.raises(InputError):
        clopper_pearson(5, 3)
    with pytest.raises(InputError):
        clopper_pearson(0, 0)


@needs_r
def test_clopper_pearson_matches_r_binom_test():
    cases = [(0, 32), (1, 32), (12, 32), (32, 32), (7, 19), (99, 200), (2, 500)]
    code = ";".join(f"cat(sprintf('%.17g', binom.test({k},{n})$conf.int), '\\n')" for k, n in cases)
    for (k, n), line in zip(cases, run_r(code).splitlines()):
        want = [float(v) for v in line.split()]
        got = clopper_pearson(k, n)
        assert got == pytest.approx(want, abs=1e-11)


# ----------------------------------------------------------------------------- Kaplan-Meier: hand-worked cases
def test_km_fit_hand_worked():
    # times 1,2,2+,3,4+,5,6,7+,8,9+  (+ = censored); n_risk 10,9,7,6,5,4,3,2,1
    # S: .9, .9*8/9=.8, .8*6/7=.685714, (censor), .685714*4/5=.548571, *3/4=.411429, (censor), *1/2=.205714
    # Greenwood SE(S) at t=1: .9*sqrt(1/(10*9)) = 0.0948683 (R survival: 0.0949)
    f = km_fit([1, 2, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 0, 1, 0, 1, 1, 0, 1, 0])
    assert list(f["time"]) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert list(f["n_risk"]) == [10, 9, 7, 6, 5, 4, 3, 2, 1]
    assert list(f["n_event"]) == [1, 1, 1, 0, 1, 1, 0, 1, 0]
    assert list(f["n_censor"]) == [0, 1, 0, 1, 0, 0, 1, 0, 1]
    assert f["surv"].to_numpy() == pytest.approx([.9, .8, 24 / 35, 24 / 35, 96 / 175, 72 / 175, 72 / 175,
                                                  36 / 175, 36 / 175], abs=1e-15)
    assert f["std_err"].iloc[0] == pytest.approx(0.9 * math.sqrt(1 / 90), abs=1e-15)
    # R survival log-log: at t=5, 0.548571 (0.1873, 0.806)
    assert (round(f["lower"].iloc[4], 4), round(f["upper"].iloc[4], 3)) == (0.1873, 0.806)
    # R: median 6, lower 1, upper NA (the set runs to the last step -> not estimable)
    q = km_quantile(f)
    assert q["estimate"] == 6.0 and q["lower"] == 1.0 and math.isnan(q["upper"])


def test_km_exact_half_midpoint_and_upper():
    # 4 subjects, all events at 1..4 + 2 censored at 10: n=6; S(1)=5/6, S(2)=4/6, S(3)=3/6=0.5 exactly
    # -> median = midpoint of 3 and next event time 4 = 3.5 (R survival log-log: 3.5, CI (1, NA))
    f = km_fit([1, 2, 3, 4, 10, 10], [1, 1, 1, 1, 0, 0])
    q = km_quantile(f)
    assert q["estimate"] == 3.5 and q["lower"] == 1.0 and math.isnan(q["upper"])
    # curve ends exactly at 0.5: midpoint with last observed time (R: (2 + 7)/2 = 4.5, CI (1, NA))
    g = km_fit([1, 2, 5, 7], [1, 1, 0, 0])
    q = km_quantile(g)
    assert q["estimate"] == 4.5 and q["lower"] == 1.0 and math.isnan(q["upper"])


def test_km_finite_upper_limit():
    # 20 subjects, event at each of 1..20 except censored at 5,10,15 -> R survival 3.5-3 (log-log):
    # median 12, 95% CI (6, 17)  [quantile(survfit(Surv(1:20, !(1:20 %in% c(5,10,15))) ~ 1, conf.type="log-log"))]
    # S(11) = .528 > .5, S(12) = .4693 -> median 12.  Log-log band: lower limit first <= .5 at t=6 (.49394);
    # upper limit stays >= .5 through t=16 (.501), drops to .431 at t=17 -> CI upper = 17.
    t = np.arange(1, 21)
    f = km_fit(t, ~np.isin(t, [5, 10, 15]))
    assert km_quantile(f) == {"estimate": 12.0, "lower": 6.0, "upper": 17.0}
    assert round(f.loc[f.time == 16, "upper"].item(), 3) == 0.501


def test_km_never_reaches_half():
    # 10 subjects, events at 1,2,3, others censored at 4..10: S ends at .7 -> median NaN.
    # R survival: median NA, lower 1 (log-log band at t=1 is (.473, .985), already containing .5), upper NA
    f = km_fit(np.arange(1, 11), [1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    q = km_quantile(f)
    assert math.isnan(q["estimate"]) and q["lower"] == 1.0 and math.isnan(q["upper"])
    assert round(f["lower"].iloc[0], 3) == 0.473 and round(f["lower"].iloc[2], 3) == 0.329


def test_km_all_censored_and_all_events_same_time():
    f = km_fit([3, 5, 5, 8], [0, 0, 0, 0])
    assert (f["surv"] == 1).all() and (f["std_err"] == 0).all()
    q = km_quantile(f)
    assert all(math.isnan(v) for v in q.values())
    g = km_fit([2, 2, 2], [1, 1, 1])  # S drops to 0 at once: SE 0, CI NaN, median 2
    assert g["surv"].iloc[0] == 0 and g["std_err"].iloc[0] == 0
    assert km_quantile(g)["estimate"] == 2.0


def test_km_ties_events_before_censors():
    # at t=2: 2 events and 1 censor among 5 at risk -> S = 1 * (1 - 2/5) = 0.6; censor still at risk
    f = km_fit([2, 2, 2, 4, 6], [1, 1, 0, 1, 0])
    assert f["n_risk"].tolist() == [5, 2, 1] and f["surv"].tolist() == pytest.approx([0.6, 0.3, 0.3])
    assert f["n_censor"].tolist() == [1, 0, 1]


def test_km_quantile_jump_past_level():
    # 14 subjects, 8 at t=2 (7 events, 1 censored): S drops 1 -> .5 at t=2, past 1-p = .75 for p = .25.
    # The log-log band at t=2 is (.2286, .7221) (R), so both bands are already below .75 at t=2:
    # R survival quantile(fit, .25) gives 2 (2, 2).
    t = [5, 5, 2, 2, 4, 2, 2, 2, 6, 2, 7, 2, 5, 2]
    e = [1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1]
    f = km_fit(t, e)
    assert (round(f["lower"].iloc[0], 4), round(f["upper"].iloc[0], 4)) == (0.2286, 0.7221)
    assert km_quantile(f, p=0.25) == {"estimate": 2.0, "lower": 2.0, "upper": 2.0}
    # median: S(2) = .5 exactly -> midpoint of 2 and next event 4 = 3; R: 3 (2, 5)
    assert km_quantile(f) == {"estimate": 3.0, "lower": 2.0, "upper": 5.0}


def test_km_fit_is_vectorised_fast():
    import time
    rng = np.random.default_rng(0)
    t, e = rng.exponential(300, 200_000), rng.integers(0, 2, 200_000)
    t0 = time.perf_counter()
    km_quantile(km_fit(t, e))
    assert time.perf_counter() - t0 < 5


def test_km_survival_at():
    f = km_fit([1, 2, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 0, 1, 0, 1, 1, 0, 1, 0])
    assert km_survival_at(f, 0.5)["surv"] == 1.0
    assert km_survival_at(f, 4.5)["surv"] == pytest.approx(24 / 35)
    assert km_survival_at(f, 5)["surv"] == pytest.approx(96 / 175)  # right-continuous
    assert km_survival_at(f, 9)["surv"] == pytest.approx(36 / 175)
    assert math.isnan(km_survival_at(f, 9.5)["surv"])


def test_km_bad_input():
    with pytest.raises(InputError):
        km_fit([1, 2], [1, 2])
    with pytest.raises(InputError):
        km_fit([1, np.nan], [1, 0])
    with pytest.raises(InputError):
        km_fit([1, 2, 3], [1, 0])


# ----------------------------------------------------------------------------- Kaplan-Meier: R cross-check
def _datasets():
    out = {}
    for seed in range(40):  # random exponential event/censoring times, continuous
        rng = np.random.default_rng(seed)
        n = int(rng.integers(5, 80))
        ev, ce = rng.exponential(10, n), rng.exponential(rng.uniform(5, 30), n)
        out[f"rand{seed}"] = (np.minimum(ev, ce), (ev <= ce).astype(int))
    for seed in range(40):  # integer times: many ties of events and censorings
        rng = np.random.default_rng(100 + seed)
        n = int(rng.integers(5, 60))
        out[f"ties{seed}"] = (rng.integers(1, 12, n).astype(float), rng.integers(0, 2, n))
    for seed in range(20):  # heavy censoring (~80%)
        rng = np.random.default_rng(200 + seed)
        n = int(rng.integers(10, 100))
        out[f"cens{seed}"] = (np.ceil(rng.exponential(20, n)), (rng.uniform(size=n) < 0.2).astype(int))
    out["last_event"] = (np.array([1.0, 2, 3, 4, 5]), np.array([1, 0, 1, 1, 1]))
    out["all_cens"] = (np.array([1.0, 2, 3]), np.array([0, 0, 0]))
    out["jump_past"] = (np.array([5.0, 5, 2, 2, 4, 2, 2, 2, 6, 2, 7, 2, 5, 2]),
                         np.array([1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1]))
    out["half_exact"] = (np.array([1.0, 2, 3, 4, 10, 10]), np.array([1, 1, 1, 1, 0, 0]))
    return out


R_KM = r"""
suppressMessages(library(survival))
d <- read.csv(file("stdin"))
f17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
for (id in unique(d$id)) {
  s <- d[d$id == id, ]
  f <- survfit(Surv(time, event) ~ 1, data = s, conf.type = "log-log")
  cat(paste("S", id, f17(f$time), f17(f$surv), f17(f$surv * f$std.err), f$n.risk, f$n.event, f$n.censor),
      sep = "\n")
  q <- quantile(f, c(.25, .5, .75))
  cat(paste("Q", id, c(.25, .5, .75), f17(q$quantile), f17(q$lower), f17(q$upper)), sep = "\n")
}
"""


@pytest.fixture(scope="module")
def r_km():
    data = _datasets()
    csv = pd.concat([pd.DataFrame({"id": k, "time": t, "event": e}) for k, (t, e) in data.items()])
    buf = io.StringIO()
    csv.to_csv(buf, index=False, float_format="%.17g")
    res = subprocess.run(["Rscript", "--vanilla", "-e", R_KM], input=buf.getvalue(),
                         capture_output=True, text=True, check=True)
    rows = [line.split() for line in res.stdout.splitlines() if line[:2] in ("S ", "Q ")]
    surv = pd.DataFrame([r[1:] for r in rows if r[0] == "S"],
                        columns=["id", "time", "surv", "se", "n_risk", "n_event", "n_censor"])
    quant = pd.DataFrame([r[1:] for r in rows if r[0] == "Q"], columns=["id", "p", "est", "lower", "upper"])
    return data, surv, quant


def _f(v):
    return float("nan") if v == "NA" else float(v)


def _same(a, b, tol=1e-9):
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tol


@needs_r
def test_km_matches_r(r_km):
    data, r_surv, r_quant = r_km
    for key, (t, e) in data.items():
        fit = km_fit(t, e)
        rs = r_surv[r_surv["id"] == key]
        assert fit["time"].tolist() == [float(v) for v in rs["time"]], key
        assert fit["n_risk"].tolist() == rs["n_risk"].astype(int).tolist(), key
        assert fit["n_event"].tolist() == rs["n_event"].astype(int).tolist(), key
        assert fit["n_censor"].tolist() == rs["n_censor"].astype(int).tolist(), key
        assert fit["surv"].to_numpy() == pytest.approx(rs["surv"].astype(float).to_numpy(), abs=1e-12), key
        pos = fit["surv"].to_numpy() > 0  # R gives NaN SE once S = 0 (we report 0, as SAS)
        r_se = np.array([_f(v) for v in rs["se"]])
        assert fit["std_err"].to_numpy()[pos] == pytest.approx(r_se[pos], abs=1e-12), key
        for _, rq in r_quant[r_quant["id"] == key].iterrows():
            got = km_quantile(fit, p=float(rq["p"]))
            for name, col in (("estimate", "est"), ("lower", "lower"), ("upper", "upper")):
                assert _same(got[name], _f(rq[col])), (key, rq["p"], name, got, rq.to_dict())
