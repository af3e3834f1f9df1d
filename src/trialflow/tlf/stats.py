"""Statistics behind every table number (pure numpy/pandas, no scipy).

Conventions follow SAS, the reference for the published tables:
rounding is half away from zero (SAS ROUND), quartiles use QNTLDEF=5,
exact binomial CIs are Clopper-Pearson, and Kaplan-Meier output matches
PROC LIFETEST (CONFTYPE=LOGLOG), which R ``survival`` reproduces with
``survfit(..., conf.type="log-log")`` and ``quantile()``.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd

from trialflow.errors import InputError
from trialflow.rounding import quantize_half_up, round_half_up

_TOL = math.sqrt(np.finfo(float).eps)  # R survival's tolerance for "S(t) == 1-p"


# --------------------------------------------------------------------------- rounding / formatting
def fmt_num(x, digits: int, missing: str = "NE") -> str:
    """Round half up to ``digits`` decimals and format with exactly that many (None/NaN -> ``missing``)."""
    if x is None or pd.isna(x):
        return missing
    return f"{round_half_up(x, digits):.{max(digits, 0)}f}"


def fmt_count_pct(n: int, denom: int, pct_digits: int = 1) -> str:
    """Format 'n (pct)': '0 (0)' for zero, 'n (100)' for all, else pct rounded half up.

    The percentage is computed exactly in Decimal: 10/32 -> '10 (31.3)', 2/32 -> '2 (6.3)'.
    """
    n, denom = int(n), int(denom)
    if n < 0 or denom < 0 or n > denom or (denom == 0 and n > 0):
        raise InputError("count/denominator out of range", field="n/denom", value=f"{n}/{denom}")
    if n == 0:
        return "0 (0)"
    if n == denom:
        return f"{n} (100)"
    pct = quantize_half_up(Decimal(100 * n) / Decimal(denom), pct_digits)
    return f"{n} ({pct})"


# --------------------------------------------------------------------------- descriptives
def _clean(x) -> np.ndarray:
    a = np.asarray(pd.to_numeric(pd.Series(x), errors="coerce"), dtype=float)
    return np.sort(a[~np.isnan(a)])


def quantile(x, p: float) -> float:
    """SAS QNTLDEF=5 (empirical distribution function with averaging; Hyndman-Fan type 2).

    With sorted non-missing values x(1..n), np = j + g (j integer part):
    q = (x(j) + x(j+1)) / 2 if g == 0, else x(j+1).  Missing values are ignored.
    """
    a = _clean(x)
    if a.size == 0:
        return float("nan")
    j, g = divmod(a.size * p, 1.0)
    j = int(j)
    if g == 0:
        return float((a[max(j, 1) - 1] + a[min(j, a.size - 1)]) / 2)
    return float(a[min(j, a.size - 1)])


def median(x) -> float:
    """Median of non-missing values (even n: mean of the two middle values)."""
    return quantile(x, 0.5)


def quartiles(x) -> tuple[float, float]:
    """(Q1, Q3) by SAS QNTLDEF=5, see :func:`quantile`."""
    return quantile(x, 0.25), quantile(x, 0.75)


def describe(x) -> dict:
    """Unrounded n, mean, sd (n-1), median, q1, q3, min, max of the non-missing values."""
    a = _clean(x)
    nan = float("nan")
    q1, q3 = quartiles(a)
    return {
        "n": int(a.size),
        "mean": float(a.mean()) if a.size else nan,
        "sd": float(a.std(ddof=1)) if a.size > 1 else nan,
        "median": median(a), "q1": q1, "q3": q3,
        "min": float(a[0]) if a.size else nan,
        "max": float(a[-1]) if a.size else nan,
    }


# --------------------------------------------------------------------------- special functions
def norm_ppf(q: float) -> float:
    """Standard normal quantile (bisection on math.erfc; full double precision)."""
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b): continued fraction (modified Lentz, Numerical Recipes)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    if x > (a + 1) / (a + b + 2):  # the fraction converges fast only below the mean
        return 1.0 - betainc(b, a, 1.0 - x)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x)) / a

    def guard(v):
        return v if abs(v) > 1e-300 else 1e-300

    c, d = 1.0, 1.0 / guard(1.0 - (a + b) * x / (a + 1))
    h = d
    for m in range(1, 10000):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                    -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 / guard(1.0 + num * d)
            c = guard(1.0 + num / c)
            h *= c * d
        if abs(c * d - 1.0) < 1e-16:
            break
    return front * h


def beta_ppf(q: float, a: float, b: float, tol: float = 1e-14) -> float:
    """Inverse of :func:`betainc` in x by bisection (|interval| < tol)."""
    lo, hi = 0.0, 1.0
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if betainc(a, b, mid) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper-Pearson) two-sided 1-alpha CI for a binomial proportion k/n.

    lower = Beta^-1(alpha/2; k, n-k+1) (0 when k = 0), upper = Beta^-1(1-alpha/2; k+1, n-k) (1 when k = n).
    """
    k, n = int(k), int(n)
    if n <= 0 or not 0 <= k <= n:
        raise InputError("binomial CI needs 0 <= k <= n and n > 0", field="k/n", value=f"{k}/{n}")
    lower = 0.0 if k == 0 else beta_ppf(alpha / 2, k, n - k + 1)
    upper = 1.0 if k == n else beta_ppf(1 - alpha / 2, k + 1, n - k)
    return lower, upper


# --------------------------------------------------------------------------- Kaplan-Meier
def _loglog_se(surv: np.ndarray, std_err: np.ndarray) -> np.ndarray:
    """SE of g(S) = log(-log S) by the delta method: SE(S) / (S |log S|); NaN where S is 0 or 1."""
    ok = (surv > 0) & (surv < 1)
    out = np.full(surv.shape, np.nan)
    out[ok] = std_err[ok] / (surv[ok] * np.abs(np.log(surv[ok])))
    return out


def km_fit(time, event, conf: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier product-limit estimate, one row per distinct time (events and censorings).

    Columns: time, n_risk, n_event, n_censor, surv, std_err (Greenwood SE of S, 0 where S = 0),
    lower, upper (pointwise ``conf`` CI with the log(-log) transform; NaN where S is 1 or 0,
    as in SAS CONFTYPE=LOGLOG and R ``conf.type="log-log"``).  ``event`` is 1 = event, 0 = censored;
    tied events precede tied censorings (censored subjects are at risk at their own time).
    """
    t = np.asarray(pd.to_numeric(pd.Series(time), errors="coerce"), dtype=float)
    e = np.asarray(pd.to_numeric(pd.Series(event), errors="coerce"), dtype=float)
    if t.shape != e.shape:
        raise InputError("time and event differ in length", field="time/event")
    bad = np.flatnonzero(np.isnan(t) | ~np.isin(e, (0.0, 1.0)))
    if bad.size:
        raise InputError("time must be numeric and event 0/1", row=int(bad[0]),
                         field="time/event", value=f"{t[bad[0]]}/{e[bad[0]]}")
    ut, inv = np.unique(t, return_inverse=True)
    n_event = np.bincount(inv, weights=e, minlength=ut.size)
    total = np.bincount(inv, minlength=ut.size).astype(float)
    n_risk = t.size - np.concatenate(([0.0], np.cumsum(total)[:-1]))
    surv = np.cumprod(1.0 - n_event / n_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        green = np.cumsum(n_event / (n_risk * (n_risk - n_event)))  # inf once S reaches 0
        std_err = np.where(surv > 0, surv * np.sqrt(green), 0.0)
    zse = norm_ppf(1 - (1 - conf) / 2) * _loglog_se(surv, std_err)
    return pd.DataFrame({
        "time": ut, "n_risk": n_risk.astype(int), "n_event": n_event.astype(int),
        "n_censor": (total - n_event).astype(int), "surv": surv, "std_err": std_err,
        "lower": surv ** np.exp(zse), "upper": surv ** np.exp(-zse),
    })


def _first_at_or_below(t: np.ndarray, y: np.ndarray, level: float, last_time: float) -> float:
    """First step time with y <= level (R survival's findq).  If y == level there (within 1.5e-8)
    the midpoint with the next step time, or with ``last_time`` after the final step; steps with
    undefined y (NaN) are skipped, and a tie at the final defined step then gives NaN."""
    ok = ~np.isnan(y)
    t, y, complete = t[ok], y[ok], bool(ok.all())
    hit = np.flatnonzero(y <= level + _TOL)
    if not hit.size:
        return float("nan")
    j = hit[0]
    if y[j] < level - _TOL:
        return float(t[j])
    if j + 1 < t.size:
        return float((t[j] + t[j + 1]) / 2)
    return float((t[j] + last_time) / 2) if complete else float("nan")


def km_quantile(fit: pd.DataFrame, p: float = 0.5, conf: float = 0.95) -> dict:
    """100p-th percentile of survival time with Brookmeyer-Crowley CI, log(-log) transform.

    estimate: smallest event time t with S(t) <= 1-p; if S(t) == 1-p (within 1.5e-8, a flat step
    exactly at 1-p) the midpoint of t and the next event time (the last observed time if none).
    NaN if the curve never reaches 1-p.
    CI: the set of steps [t_j, t_j+1) with |g(S(t_j)) - g(1-p)| <= z SE_g(t_j), g(u) = log(-log u),
    SE_g = SE(S) / (S |log S|).  lower = first step not left of the set (g(1-p) - g(S) <= z SE_g,
    i.e. the lower band <= 1-p); upper = first step right of it (g(S) - g(1-p) > z SE_g, i.e. the
    upper band < 1-p) = the event time ending the last step of the set; NaN (not estimable) if
    the set runs to the last step with 0 < S < 1.  Steps with S = 0 have no log-log band.
    This is SAS PROC LIFETEST (CONFTYPE=LOGLOG) and R ``quantile(survfit(..., conf.type="log-log"))``.
    """
    steps = fit[fit["n_event"] > 0]
    t, s = steps["time"].to_numpy(float), steps["surv"].to_numpy(float)
    last_time = float(fit["time"].iloc[-1]) if len(fit) else float("nan")
    level = 1.0 - p
    zse = norm_ppf(1 - (1 - conf) / 2) * _loglog_se(s, steps["std_err"].to_numpy(float))
    with np.errstate(divide="ignore", invalid="ignore"):
        lower_band, upper_band = s ** np.exp(zse), s ** np.exp(-zse)  # NaN where S = 0
    return {
        "estimate": _first_at_or_below(t, s, level, last_time),
        "lower": _first_at_or_below(t, lower_band, level, last_time),
        "upper": _first_at_or_below(t, upper_band, level, last_time),
    }


def km_survival_at(fit: pd.DataFrame, t: float) -> dict:
    """Survival at time t: dict(surv, std_err, lower, upper) of the last fit row at or before t.

    Before the first time: S = 1, SE = 0, CI NaN; after the last observed time: all NaN.
    """
    times = fit["time"].to_numpy(float)
    if times.size == 0 or t > times[-1]:
        return dict.fromkeys(("surv", "std_err", "lower", "upper"), float("nan"))
    i = np.searchsorted(times, t, side="right") - 1
    if i < 0:
        return {"surv": 1.0, "std_err": 0.0, "lower": float("nan"), "upper": float("nan")}
    row = fit.iloc[i]
    return {k: float(row[k]) for k in ("surv", "std_err", "lower", "upper")}
