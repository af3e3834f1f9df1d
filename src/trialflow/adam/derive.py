"""Generic, study-agnostic ADaM derivations modelled on pharmaverse admiral.

One grammar: dataset first, then keywords ``by_vars``, ``order`` (column names; wrap in
:class:`desc` for descending; missing values sort last as in dplyr::arrange), ``filter`` (a
pandas query string, a boolean Series or a callable ``df -> bool Series``), ``new_var`` and
``set_values_to`` (dict of constants or callables ``df -> Series``).  Every function returns a
new DataFrame; rows keep their input order and index unless rows are added (then the index is
reset).  Data problems raise InputError, wrong arguments or variables raise SpecError.
Char missing is "" and numerics are float64 (NaN missing); dates are ``datetime64[us]``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from trialflow.errors import InputError, SpecError

__all__ = [
    "DATE_DTYPE", "desc", "filter_rows", "derive_vars_dt", "derive_vars_dtm", "derive_vars_dy",
    "derive_var_obs_number", "derive_var_extreme_flag", "derive_vars_merged", "derive_var_base",
    "derive_var_chg", "derive_var_pchg", "derive_var_trtemfl", "Event", "EventJoined",
    "derive_extreme_event", "EventSource", "CensorSource", "derive_param_tte",
    "derive_vars_duration", "derive_vars_cat",
]

DATE_DTYPE = "datetime64[us]"


# --------------------------------------------------------------------------- grammar helpers
@dataclass(frozen=True)
class desc:
    """Descending sort key inside ``order``: ``order=["ADT", desc("AVAL")]``."""

    var: str


def _order_keys(order) -> tuple[list[str], list[bool]]:
    items = list(order or [])
    return ([o.var if isinstance(o, desc) else o for o in items],
            [not isinstance(o, desc) for o in items])


def _need(df: pd.DataFrame, cols, where: str) -> None:
    for c in cols:
        if c not in df.columns:
            raise SpecError(f"{where}: variable not in dataset", field=c)


def _sort(df: pd.DataFrame, by_vars=(), order=()) -> pd.DataFrame:
    cols, asc = _order_keys(order)
    keys = list(by_vars) + cols
    if not keys:
        return df
    _need(df, keys, "sort")
    return df.sort_values(keys, ascending=[True] * len(by_vars) + asc, kind="stable",
                          na_position="last")


def _extreme(sorted_df: pd.DataFrame, by_vars, mode: str) -> pd.DataFrame:
    if mode not in ("first", "last"):
        raise SpecError("mode must be 'first' or 'last'", field="mode", value=mode)
    g = sorted_df.groupby(list(by_vars), sort=False, dropna=False) if by_vars else sorted_df
    return g.head(1) if mode == "first" else g.tail(1)


def _check_unique(df: pd.DataFrame, keys, check_type: str, where: str) -> None:
    if check_type == "none" or df.empty:
        return
    dup = df.duplicated(list(keys), keep=False) if keys else pd.Series(len(df) > 1, df.index)
    if not dup.any():
        return
    first = dup.idxmax()
    msg = f"{where}: records are not unique by {list(keys)}"
    if check_type == "error":
        raise InputError(msg, row=first, field=",".join(keys),
                         value=tuple(df.loc[first, list(keys)]))
    warnings.warn(f"{msg} (first at row {first})", stacklevel=3)


def _mask(df: pd.DataFrame, cond) -> pd.Series:
    """Boolean Series aligned with ``df`` for a filter/condition (None keeps every row)."""
    if cond is None:
        return pd.Series(True, index=df.index)
    if isinstance(cond, str):
        try:
            res = df.eval(cond, engine="python")
        except Exception as exc:  # noqa: BLE001 - any failure is a bad expression
            raise SpecError(f"cannot evaluate condition: {exc}", field="filter", value=cond) from exc
    else:
        res = cond(df) if callable(cond) else cond
    if np.ndim(res) == 0:
        return pd.Series(bool(res), index=df.index)
    return pd.Series(res, index=df.index).fillna(False).astype(bool)


def filter_rows(df: pd.DataFrame, expr=None) -> pd.DataFrame:
    """Rows of ``df`` where ``expr`` (query string, boolean Series or callable) is true."""
    return df.loc[_mask(df, expr)]


def _set_values(df: pd.DataFrame, values: Mapping | None, source: pd.DataFrame | None = None):
    out = df.copy()
    for var, val in (values or {}).items():
        out[var] = val(out if source is None else source) if callable(val) else val
    return out


def _stack(df: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Append ``new`` records; char variables they lack (or ``df`` lacks) become ""."""
    if new.empty:
        return df.reset_index(drop=True)
    res = pd.concat([df, new], ignore_index=True)
    added = np.arange(len(res)) >= len(df)
    for c in res.columns:
        if pd.api.types.is_string_dtype(res[c]) or res[c].dtype == object:
            fill = added if c in df.columns else np.ones(len(res), dtype=bool)
            res[c] = res[c].where(~(fill & res[c].isna()), "")
    return res


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).astype(DATE_DTYPE).dt.normalize()


# --------------------------------------------------------------------------- ISO 8601 dates
_ISO = (r"^(?P<y>\d{4}|-)?(?:-(?P<m>\d{2}|-)(?:-(?P<d>\d{2}|-)(?:T(?P<H>\d{2}|-)"
        r"(?::(?P<M>\d{2}|-)(?::(?P<S>\d{2}|-)(?:\.\d+)?)?)?)?)?)?$")
_DATE_LEVEL = {"n": 0, "D": 1, "M": 2, "Y": 3}
_DTM_LEVEL = {"n": 0, "s": 1, "m": 2, "h": 3, "D": 4, "M": 5, "Y": 6}
_FLAG = np.array(["", "D", "M", "Y"])
_LO, _HI = pd.Timestamp("0001-01-01"), pd.Timestamp("9999-12-31 23:59:59")


def _parse_dtc(s: pd.Series, field_: str) -> pd.DataFrame:
    """Split ISO 8601 (partial) text into numeric parts; a missing part hides all lower ones."""
    text = s.astype("str").fillna("").str.strip()
    parts = text.str.extract(_ISO)
    bad = parts.isna().all(axis=1) & (text != "") & ~text.str.fullmatch(r"-*")
    p = parts.apply(pd.to_numeric, errors="coerce")
    for hi, lo in zip("ymdHM", "mdHMS"):
        p[lo] = p[lo].where(p[hi].notna())
    first = pd.to_datetime(pd.DataFrame({"year": p.y.fillna(2000), "month": p.m.fillna(1),
                                         "day": p.d.fillna(1)}), errors="coerce")
    bad |= first.isna() | (p.H > 23) | (p.M > 59) | (p.S > 59)
    if bad.any():
        row = bad.idxmax()
        raise InputError("invalid ISO 8601 date/time", field=field_, value=s.loc[row], row=row)
    p["first"] = first.astype(DATE_DTYPE).where(p.y.notna())
    p["dlevel"] = np.select([p.y.isna(), p.m.isna(), p.d.isna()], [3, 2, 1], 0)
    p["tlevel"] = np.select([p.H.isna(), p.M.isna(), p.S.isna()], [3, 2, 1], 0)
    return p


def _ymd(y, m, d) -> pd.Series:
    return pd.to_datetime(pd.DataFrame({"year": y, "month": m, "day": d})).astype(DATE_DTYPE)


def _impute(df, dtc, highest, date_imputation, time_imputation, min_dates, max_dates, with_time):
    levels = _DTM_LEVEL if with_time else _DATE_LEVEL
    if highest not in levels or date_imputation not in ("first", "mid", "last") \
            or time_imputation not in ("first", "last"):
        raise SpecError("invalid imputation argument", field=dtc,
                        value=(highest, date_imputation, time_imputation))
    if highest == "Y" and date_imputation == "mid":
        raise SpecError("highest_imputation='Y' needs date_imputation first/last", field=dtc)
    _need(df, [dtc, *(min_dates or []), *(max_dates or [])], "derive_vars_dt(m)")
    p = _parse_dtc(df[dtc], dtc)
    y, m = p.y.fillna(2000), p.m.fillna(1)
    month_first = _ymd(y, m, 1)
    lo_d = p["first"]
    hi_d = lo_d.where(p.d.notna(), month_first + pd.to_timedelta(
        month_first.dt.days_in_month - 1, unit="D")).where(p.m.notna(), _ymd(y, 12, 31))
    # admiral "mid": a missing day becomes the 15th, a missing month and day June 30
    mid_d = lo_d.where(p.d.notna(), _ymd(y, m, 15)).where(p.m.notna(), _ymd(y, 6, 30))
    value = {"first": lo_d, "mid": mid_d, "last": hi_d}[date_imputation]
    level = p.dlevel.to_numpy()
    if with_time:
        secs = [3600, 60, 1]
        t_lo = pd.to_timedelta(sum(p[c].fillna(0) * k for c, k in zip("HMS", secs)), unit="s")
        t_hi = pd.to_timedelta(sum(p[c].fillna(x) * k for c, k, x in
                                   zip("HMS", secs, (23, 59, 59))), unit="s")
        lo_d, hi_d = lo_d + t_lo, hi_d + t_hi
        value = value + (t_lo if time_imputation == "first" else t_hi)
        level = np.where(level > 0, level + 3, p.tlevel)
    ymiss = p.y.isna()
    lo, hi = lo_d.where(~ymiss, _LO), hi_d.where(~ymiss, _HI)
    value = value.where(~ymiss, _LO if date_imputation == "first" else _HI)
    for cols, pick in ((min_dates, np.maximum), (max_dates, np.minimum)):
        for c in cols or []:
            bound = pd.to_datetime(df[c]).astype(DATE_DTYPE)
            bound = bound if with_time else bound.dt.normalize()
            inside = bound.notna() & (bound >= lo) & (bound <= hi)
            value = value.where(~inside, pick(value, bound))
    value = value.where((value != _LO) & (value != _HI))  # a year imputed from nothing
    value = value.where(level <= levels[highest]).astype(DATE_DTYPE)
    return value, p.dlevel.to_numpy(), p.tlevel.to_numpy()


def derive_vars_dt(df, new_vars_prefix: str, dtc: str, highest_imputation: str = "n",
                   date_imputation: str = "first", flag_imputation=True,
                   min_dates: Sequence[str] | None = None, max_dates: Sequence[str] | None = None):
    """Add ``<prefix>DT`` (date) and ``<prefix>DTF`` from ISO 8601 (partial) text ``dtc``.

    ``highest_imputation`` "n" (complete dates only), "D", "M" or "Y" is the highest component
    that may be imputed.  ``date_imputation``: "first"; "last" (month length and leap years
    respected: "2018-02" -> 2018-02-28, "2020-02" -> 2020-02-29); "mid" follows admiral's
    documented ``impute_dtc_dt`` convention: a missing day becomes the 15th, a missing month
    and day become June 30 ("06-30").  ``min_dates``/``max_dates``: columns the imputed date is
    clipped to, each only when it lies inside the range the partial date allows (admiral).  A
    missing year ("Y") is imputed only from them (NaT if none applies).  ``<prefix>DTF`` is
    "D"/"M"/"Y" for the highest imputed component, else "" (``flag_imputation``: True adds it,
    "auto" only when ``highest_imputation != "n"``, False never).  Invalid text: InputError.
    """
    value, dlevel, _ = _impute(df, dtc, highest_imputation, date_imputation, "first",
                               min_dates, max_dates, with_time=False)
    out = df.copy()
    out[f"{new_vars_prefix}DT"] = value
    if flag_imputation is True or (flag_imputation == "auto" and highest_imputation != "n"):
        out[f"{new_vars_prefix}DTF"] = pd.Series(np.where(value.notna(), _FLAG[dlevel], ""),
                                                 index=df.index, dtype="str")
    return out


def derive_vars_dtm(df, new_vars_prefix: str, dtc: str, highest_imputation: str = "h",
                    date_imputation: str = "first", time_imputation: str = "first",
                    flag_imputation="auto", min_dates=None, max_dates=None,
                    ignore_seconds_flag: bool = False):
    """Add ``<prefix>DTM``, ``<prefix>DTF`` and ``<prefix>TMF`` (admiral ``derive_vars_dtm``).

    ``highest_imputation`` "n", "s", "m", "h", "D", "M", "Y"; ``time_imputation`` "first"
    (00:00:00) or "last" (23:59:59).  TMF is "H"/"M"/"S" for the highest imputed time part
    ("H" whenever the date was imputed; "S" suppressed by ``ignore_seconds_flag``).
    ``flag_imputation``: "auto" (DTF if D/M/Y may be imputed, TMF unless "n"), "both"/True,
    "date", "time", "none"/False.
    """
    value, dlevel, tlevel = _impute(df, dtc, highest_imputation, date_imputation,
                                    time_imputation, min_dates, max_dates, with_time=True)
    out = df.copy()
    out[f"{new_vars_prefix}DTM"] = value
    auto = flag_imputation == "auto"
    ok = value.notna().to_numpy()
    if flag_imputation in ("both", "date", True) or (auto and highest_imputation in ("D", "M", "Y")):
        out[f"{new_vars_prefix}DTF"] = pd.Series(np.where(ok, _FLAG[dlevel], ""),
                                                 index=df.index, dtype="str")
    if flag_imputation in ("both", "time", True) or (auto and highest_imputation != "n"):
        tmf = np.array(["", "" if ignore_seconds_flag else "S", "M", "H"])[tlevel]
        out[f"{new_vars_prefix}TMF"] = pd.Series(np.where(ok, np.where(dlevel > 0, "H", tmf), ""),
                                                 index=df.index, dtype="str")
    return out


# --------------------------------------------------------------------------- study day, sequence, flags
def derive_vars_dy(df, reference_date: str, source_vars):
    """Add study days: ``<X>DY`` for each source ``<X>DT``/``<X>DTM`` (or ``{new: source}``).

    Day = date - reference + 1 when on/after the reference, else date - reference (no day 0).
    """
    pairs = dict(source_vars) if isinstance(source_vars, Mapping) else {
        (v[:-3] if v.endswith("DTM") else v[:-2] if v.endswith("DT") else v) + "DY": v
        for v in source_vars}
    _need(df, [reference_date, *pairs.values()], "derive_vars_dy")
    out, ref = df.copy(), _dates(df[reference_date])
    for new, src in pairs.items():
        days = (_dates(df[src]) - ref).dt.days.astype("float64")
        out[new] = days.where(days < 0, days + 1)
    return out


def derive_var_obs_number(df, new_var: str = "ASEQ", by_vars=(), order=(),
                          check_type: str = "error"):
    """Number records 1..n within ``by_vars`` sorted by ``order`` (float64).

    ``check_type`` "error" raises InputError, "warning" warns, "none" is silent when records
    are not unique by ``by_vars`` + ``order``.
    """
    work, by = df.reset_index(drop=True), list(by_vars or [])
    if order:
        _check_unique(work, by + _order_keys(order)[0], check_type, "derive_var_obs_number")
    s = _sort(work, by, order)
    n = s.groupby(by, sort=False, dropna=False).cumcount() if by else \
        pd.Series(np.arange(len(s)), index=s.index)
    out = df.copy()
    out[new_var] = (n.sort_index() + 1).to_numpy(dtype="float64")
    return out


def derive_var_extreme_flag(df, new_var: str, by_vars, order, mode: str = "first", filter=None,
                            true_value="Y", false_value="", check_type: str = "warning"):
    """Flag the first/last record per ``by_vars`` by ``order`` among rows meeting ``filter``.

    Eligible rows get ``true_value``/``false_value``; rows outside ``filter`` keep an existing
    ``new_var`` value (admiral ``restrict_derivation``) or get "".
    """
    work, by = df.reset_index(drop=True), list(by_vars)
    m = _mask(work, filter)
    eligible = work[m]
    _check_unique(eligible, by + _order_keys(order)[0], check_type, "derive_var_extreme_flag")
    picked = _extreme(_sort(eligible, by, order), by, mode).index
    base = work[new_var] if new_var in work else pd.Series("", index=work.index, dtype="str")
    flag = base.where(~m, false_value)
    flag[picked] = true_value
    out = df.copy()
    out[new_var] = flag.to_numpy()
    return out


# --------------------------------------------------------------------------- merges, baseline
def _by_pairs(by_vars) -> tuple[list[str], list[str]]:
    if isinstance(by_vars, Mapping):
        return list(by_vars.keys()), list(by_vars.values())
    return list(by_vars), list(by_vars)


def derive_vars_merged(df, dataset_add, by_vars, new_vars=None, filter_add=None, order=None,
                       mode=None, missing_values: Mapping | None = None, exist_flag=None,
                       true_value="Y", false_value="", check_type: str = "warning"):
    """Add variables from ``dataset_add`` matched by ``by_vars`` (list, or ``{var: add_var}``).

    ``new_vars``: None (all non-key variables), a list, or ``{new_name: add_var}``.  With
    ``order``/``mode`` the first/last ``dataset_add`` record per by group is used; otherwise
    ``dataset_add`` (after ``filter_add``) must be unique by the by variables (InputError).
    Unmatched records get ``missing_values`` (else NaN, "" for char); ``exist_flag`` names a
    variable set to ``true_value``/``false_value`` for matched/unmatched records.
    """
    left, right = _by_pairs(by_vars)
    _need(df, left, "derive_vars_merged")
    add = filter_rows(dataset_add, filter_add)
    _need(add, right, "derive_vars_merged")
    if order or mode:
        if not mode:
            raise SpecError("derive_vars_merged: order needs mode", field="mode")
        _check_unique(add, right + _order_keys(order)[0], check_type, "derive_vars_merged")
        add = _extreme(_sort(add, right, order), right, mode)
    else:
        _check_unique(add, right, "error", "derive_vars_merged: dataset_add")
    if new_vars is None:
        new_vars = [c for c in add.columns if c not in right]
    rename = dict(new_vars) if isinstance(new_vars, Mapping) else {v: v for v in new_vars}
    _need(add, rename.values(), "derive_vars_merged")
    clash = [v for v in rename if v in df.columns]
    if clash:
        raise SpecError("derive_vars_merged: variable already in dataset", field=clash[0])
    sel = pd.DataFrame({**{lv: add[rv] for lv, rv in zip(left, right)},
                        **{new: add[src] for new, src in rename.items()}})
    out = df.reset_index(drop=True).merge(sel, on=left, how="left", indicator="_merge_")
    hit = (out.pop("_merge_") == "both").to_numpy()
    for var in rename:
        if missing_values and var in missing_values:
            out[var] = out[var].where(hit, missing_values[var])
        elif pd.api.types.is_string_dtype(out[var]) or out[var].dtype == object:
            out[var] = out[var].fillna("")
    if exist_flag:
        out[exist_flag] = np.where(hit, true_value, false_value)
    out.index = df.index
    return out


def derive_var_base(df, by_vars, source_var: str = "AVAL", new_var: str = "BASE",
                    filter="ABLFL == 'Y'"):
    """Copy ``source_var`` of the baseline record (``filter``) to every record of its by group.

    More than one baseline record per by group raises InputError.
    """
    base = filter_rows(df, filter)
    return derive_vars_merged(df.drop(columns=[new_var], errors="ignore"), base, by_vars,
                              new_vars={new_var: source_var})


def derive_var_chg(df, new_var: str = "CHG", aval: str = "AVAL", base: str = "BASE"):
    """Change from baseline: ``AVAL - BASE``."""
    out = df.copy()
    out[new_var] = df[aval] - df[base]
    return out


def derive_var_pchg(df, new_var: str = "PCHG", aval: str = "AVAL", base: str = "BASE"):
    """Percent change from baseline: ``(AVAL - BASE) / |BASE| * 100``; missing when BASE is 0."""
    out = df.copy()
    b = df[base].where(df[base] != 0)
    out[new_var] = (df[aval] - b) / b.abs() * 100
    return out


# --------------------------------------------------------------------------- treatment emergence
def derive_var_trtemfl(df, new_var: str = "TRTEMFL", start_date: str = "ASTDT",
                       end_date: str = "AENDT", trt_start_date: str = "TRTSDT",
                       trt_end_date: str | None = "TRTEDT", end_window: int | None = 30,
                       ignore_time_for_trt_end: bool = True, ignore_event_before_trt: bool = True,
                       initial_intensity: str | None = None, intensity: str | None = None,
                       group_var: str | None = None, subject_keys=("STUDYID", "USUBJID")):
    """Treatment-emergent flag ("Y" or "") with admiral ``derive_var_trtemfl`` semantics.

    First case that applies: not treated -> ""; ended before treatment start -> ""; no start
    date -> "Y"; started on/after treatment start and on/before treatment end + ``end_window``
    days -> "Y" (with ``group_var``: only when no record of the group started before treatment);
    worsened -> "Y"; else "".  Worsening: without ``group_var``, started before treatment and
    ``initial_intensity < intensity`` (or either missing); with ``group_var`` (records of one
    event), a record starting on/after treatment start with a higher ``intensity`` than the
    group's previous record, and every later record of the group.  ``ignore_event_before_trt
    =False`` also flags events that started before treatment and were ongoing at its start.
    """
    if end_window is not None and trt_end_date is None:
        raise SpecError("end_window needs trt_end_date", field="end_window", value=end_window)
    if group_var is None and (initial_intensity is None) != (intensity is None):
        raise SpecError("give both initial_intensity and intensity, or neither", field="intensity")
    cols = [start_date, end_date, trt_start_date, trt_end_date, initial_intensity, intensity,
            group_var]
    _need(df, [c for c in cols if c], "derive_var_trtemfl")
    w = df.reset_index(drop=True)
    st, en, ts = (pd.to_datetime(w[c]) for c in (start_date, end_date, trt_start_date))
    in_window = pd.Series(True, index=w.index)
    if end_window is not None:
        te = pd.to_datetime(w[trt_end_date])
        s_, te = (st.dt.normalize(), te.dt.normalize()) if ignore_time_for_trt_end else (st, te)
        in_window = te.isna() | (s_ <= te + pd.Timedelta(days=end_window))
    before = st < ts
    if group_var is None:
        new_ae = st >= ts
        worse = pd.Series(False, index=w.index)
        if intensity is not None:
            i0, i1 = w[initial_intensity], w[intensity]
            worse = before & ((i0 < i1) | i0.isna() | i1.isna())
    else:
        keys = [k for k in subject_keys if k in w.columns] + [group_var]
        new_ae = ~before.groupby([w[k] for k in keys], dropna=False).transform("any")
        worse = pd.Series(False, index=w.index)
        if intensity is not None:
            s = w.assign(_st=st, _ts=ts).sort_values(keys + ["_st"], kind="stable")
            g = s.groupby(keys, sort=False, dropna=False)
            prev = g[intensity].shift()
            hit = s._st.notna() & s._ts.notna() & prev.notna() & (s._st >= s._ts) \
                & (s[intensity] > prev)
            # once an event worsened on treatment, its later records are emergent too
            worse = hit.astype(int).groupby([s[k] for k in keys], dropna=False).cummax()
            worse = worse.astype(bool).reindex(w.index)
    ongoing = (not ignore_event_before_trt) & before & (en.isna() | (en >= ts))
    flag = np.select([ts.isna(), en.notna() & (en < ts), st.isna(),
                      new_ae & in_window, worse, ongoing], ["", "", "Y", "Y", "Y", "Y"], "")
    out = df.copy()
    out[new_var] = pd.Series(flag, index=df.index, dtype="str")
    return out


# --------------------------------------------------------------------------- extreme events
@dataclass(frozen=True)
class Event:
    """Records of ``dataset_name`` (None: the input dataset) meeting ``condition``.

    ``order``/``mode`` override those of :func:`derive_extreme_event` for this event.
    """

    dataset_name: str | None = None
    condition: Any = None
    set_values_to: Mapping | None = None
    keep_source_vars: Sequence[str] | None = None
    order: Sequence | None = None
    mode: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class EventJoined(Event):
    """An event whose ``condition`` compares a record with other records of its by group.

    Each record is joined with the ``join_vars`` of the records ``"after"``/``"before"`` it (in
    ``order``) or ``"all"`` records (itself included); joined columns carry a ``_join`` suffix
    (admiral's ``.join``), e.g. ``"AVALC_join == 'CR' and ADY_join >= ADY + 28"``.  The record
    is selected when ``condition`` holds for at least one joined row.  ``first_cond`` (admiral
    ``first_cond_upper``) restricts the joined rows to those up to the first one meeting it,
    ``first_cond_lower`` to those from the last one before the record meeting it; records where
    no joined row meets them are not selected.  Callables get the joined frame; its column
    ``_obs`` identifies the record, for group summaries such as all().
    """

    join_vars: Sequence[str] | None = None
    join_type: str = "after"
    first_cond: Any = None
    first_cond_lower: Any = None


def _first_cond(j: pd.DataFrame, cond, upper: bool) -> pd.DataFrame:
    hit = _mask(j, cond)
    g = hit[::1 if upper else -1].groupby(j["_obs"]).cumsum()[::1 if upper else -1]
    keep = ((g - hit) == 0) & hit.groupby(j["_obs"]).transform("any")
    return j[keep]


def _filter_joined(src, by, ev: EventJoined, order) -> pd.DataFrame:
    if ev.join_type not in ("after", "before", "all"):
        raise SpecError("join_type must be after, before or all", field="join_type",
                        value=ev.join_type)
    s = _sort(src, by, order).reset_index(drop=True)
    s["_obs"] = np.arange(len(s))
    s["_pos"] = s.groupby(by, sort=False, dropna=False).cumcount() if by else s["_obs"]
    jv = [c for c in (ev.join_vars or src.columns) if c not in by] + ["_pos"]
    right = s[by + jv].rename(columns={c: f"{c}_join" for c in jv})
    j = s.merge(right, on=by, how="inner") if by else s.merge(right, how="cross")
    rel = {"after": j._pos_join > j._pos, "before": j._pos_join < j._pos}.get(ev.join_type)
    j = (j if rel is None else j[rel]).sort_values(["_obs", "_pos_join"], kind="stable")
    if ev.first_cond is not None:
        j = _first_cond(j, ev.first_cond, upper=True)
    if ev.first_cond_lower is not None:
        j = _first_cond(j, ev.first_cond_lower, upper=False)
    hits = j.loc[_mask(j, ev.condition), "_obs"].unique()
    return s[s["_obs"].isin(hits)].drop(columns=["_obs", "_pos"])


def derive_extreme_event(df, by_vars, events: Sequence[Event], order=(), mode: str = "first",
                         source_datasets: Mapping[str, pd.DataFrame] | None = None,
                         set_values_to: Mapping | None = None, keep_source_vars=None,
                         tmp_event_nr_var: str | None = None, check_type: str = "warning"):
    """Add one record per by group: the record of the first event (list order) that occurs.

    Each event selects its records (condition, then first/last per by group by ``order``/
    ``mode``), gets its ``set_values_to`` and keeps ``keep_source_vars`` (default all, plus by
    variables, its new values and SRCDOM/SRCVAR/SRCSEQ when present).  Per by group the lowest
    event number wins; ties inside it are broken by ``order``/``mode``.  If ``tmp_event_nr_var``
    is named in ``order`` the plain admiral rule applies instead (sort by ``order`` only).
    The global ``set_values_to`` is applied last; the new records are appended.
    """
    by, nr = list(by_vars), tmp_event_nr_var or "_EVENT_NR"
    picked = []
    for i, ev in enumerate(events, start=1):
        if ev.dataset_name is None:
            src = df
        elif source_datasets is None or ev.dataset_name not in source_datasets:
            raise SpecError("event dataset not in source_datasets", field=ev.dataset_name)
        else:
            src = source_datasets[ev.dataset_name]
        ev_order = [o for o in (ev.order if ev.order is not None else order or [])
                    if (o.var if isinstance(o, desc) else o) in src.columns]  # absent: missing
        rows = _filter_joined(src, by, ev, ev_order) if isinstance(ev, EventJoined) \
            else filter_rows(src, ev.condition)
        rows = _extreme(_sort(rows, by, ev_order), by, ev.mode or mode)
        rows = _set_values(rows, ev.set_values_to)
        keep = ev.keep_source_vars if ev.keep_source_vars is not None else keep_source_vars
        if keep is not None:
            extra = [c for c in ("SRCDOM", "SRCVAR", "SRCSEQ") if c in rows.columns]
            cols = dict.fromkeys([*by, *keep, *(ev.set_values_to or {}), *extra])
            rows = rows[list(cols)]
        if len(rows):
            picked.append(rows.assign(**{nr: i}))
    if not picked:
        return df.reset_index(drop=True)
    cand = pd.concat(picked, ignore_index=True)
    if nr not in _order_keys(order)[0]:
        best = cand.groupby(by, dropna=False)[nr].transform("min") if by else cand[nr].min()
        cand = cand[cand[nr] == best]
    _check_unique(cand, by + _order_keys(order)[0], check_type, "derive_extreme_event")
    new = _set_values(_extreme(_sort(cand, by, order), by, mode), set_values_to)
    return _stack(df, new.drop(columns=[nr]))


# --------------------------------------------------------------------------- time to event
@dataclass(frozen=True)
class EventSource:
    """Event dates for :func:`derive_param_tte` (``censor`` 0).

    SRCDOM/SRCVAR/SRCSEQ default to the upper-cased ``dataset_name``, ``date`` and the source
    record's ASEQ (or ``<DOMAIN>SEQ``) and may be overridden in ``set_values_to`` (callables get
    the source records).
    """

    dataset_name: str
    date: str
    filter: Any = None
    set_values_to: Mapping | None = None
    censor: int = 0
    order: Sequence | None = None


@dataclass(frozen=True)
class CensorSource(EventSource):
    """Censoring dates for :func:`derive_param_tte` (``censor`` 1 unless given)."""

    censor: int = 1


def _tte_records(sources, source_datasets, keys, mode) -> pd.DataFrame:
    parts = []
    for i, src in enumerate(sources):
        if src.dataset_name not in source_datasets:
            raise SpecError("source dataset not given", field=src.dataset_name)
        d = filter_rows(source_datasets[src.dataset_name], src.filter)
        _need(d, [*keys, src.date], "derive_param_tte")
        d = d[d[src.date].notna()]
        d = _extreme(_sort(d, keys, [src.date, *(src.order or [])]), keys, mode)
        dom = src.dataset_name.upper()
        seq = next((c for c in ("ASEQ", f"{dom}SEQ") if c in d.columns), None)
        rec = pd.DataFrame({**{k: d[k] for k in keys}, "ADT": _dates(d[src.date]),
                            "CNSR": float(src.censor), "SRCDOM": dom, "SRCVAR": src.date,
                            "SRCSEQ": d[seq].astype("float64") if seq else np.nan,
                            "_SRC": i}, index=d.index)
        if len(rec):
            parts.append(_set_values(rec, src.set_values_to, source=d))
    if not parts:
        return None
    allr = pd.concat(parts, ignore_index=True)
    return _extreme(allr.sort_values(["ADT", "_SRC"], kind="stable"), keys, mode)


def derive_param_tte(dataset_adsl, source_datasets: Mapping[str, pd.DataFrame],
                     event_conditions: Sequence[EventSource],
                     censor_conditions: Sequence[EventSource], start_date: str = "TRTSDT",
                     set_values_to: Mapping | None = None, subject_keys=("STUDYID", "USUBJID"),
                     day_offset: int = 1, dataset: pd.DataFrame | None = None):
    """One time-to-event record per subject of ``dataset_adsl`` with an event or censoring.

    admiral ``derive_param_tte``: the earliest event over all event sources (same date: the
    source listed first); subjects without event get the latest censoring (same date: the
    source listed last), so an event always beats a censoring.  STARTDT = ``start_date``; ADT
    is floored at STARTDT; AVAL = ADT - STARTDT + ``day_offset`` days (1: the start day is day
    1); CNSR from the source; SRC* and e.g. EVNTDESC/CNSDTDSC from the source's
    ``set_values_to``; then the global ``set_values_to`` (PARAMCD, PARAM, ...).  Appended to
    ``dataset`` when given.
    """
    keys = list(subject_keys)
    _need(dataset_adsl, [*keys, start_date], "derive_param_tte")
    ev = _tte_records(event_conditions, source_datasets, keys, "first")
    cn = _tte_records(censor_conditions, source_datasets, keys, "last")
    found = [x for x in (ev, cn) if x is not None]
    if not found:
        return dataset if dataset is not None else dataset_adsl[keys].iloc[:0]
    both = pd.concat(found, ignore_index=True).drop_duplicates(keys, keep="first")
    adsl = dataset_adsl[keys].assign(STARTDT=_dates(dataset_adsl[start_date]))
    new = adsl.merge(both.drop(columns="_SRC"), on=keys, how="inner")
    new["ADT"] = new["ADT"].where(~(new["ADT"] < new["STARTDT"]), new["STARTDT"])
    new["AVAL"] = ((new["ADT"] - new["STARTDT"]).dt.days + day_offset).astype("float64")
    new = _set_values(new, set_values_to)
    first = [*keys, *(set_values_to or {}), "STARTDT", "ADT", "AVAL", "CNSR"]
    new = new[list(dict.fromkeys(first + list(new.columns)))]
    new = _stack(new.iloc[:0], new)  # char columns: missing -> ""
    return new if dataset is None else _stack(dataset, new)


# --------------------------------------------------------------------------- durations, categories
def derive_vars_duration(df, new_var: str, start_date: str, end_date: str,
                         out_unit: str = "days", add_one: bool = True, trunc_out: bool = False,
                         days_per_month: float = 30.4375, days_per_year: float = 365.25,
                         new_var_unit: str | None = None):
    """Duration between two dates (admiral ``type="duration"``, average month/year lengths).

    Days = end - start (+1 when ``add_one`` and the difference is non-negative), then divided
    by 1, 7, ``days_per_month`` or ``days_per_year``; ``trunc_out`` truncates toward zero.
    ``new_var_unit`` names a variable set to the upper-cased unit (e.g. AVALU = "DAYS").
    """
    per = {"days": 1.0, "weeks": 7.0, "months": days_per_month, "years": days_per_year}
    if out_unit not in per:
        raise SpecError("unknown out_unit", field="out_unit", value=out_unit)
    _need(df, [start_date, end_date], "derive_vars_duration")
    days = (_dates(df[end_date]) - _dates(df[start_date])).dt.days.astype("float64")
    if add_one:
        days = days.where(days < 0, days + 1)
    value = days / per[out_unit]
    out = df.copy()
    out[new_var] = np.trunc(value) if trunc_out else value
    if new_var_unit:
        out[new_var_unit] = out_unit.upper()
    return out


def derive_vars_cat(df, definition):
    """Categorise rows like admiral ``derive_vars_cat``: the first matching condition wins.

    ``definition``: a list of ``(condition, {var: value, ...})`` or a DataFrame with a
    ``condition`` column and one column per variable.  Unmatched rows stay missing ("" for
    char variables, NaN otherwise).
    """
    if isinstance(definition, pd.DataFrame):
        rows = [(r.pop("condition"), r) for r in definition.to_dict("records")]
    else:
        rows = [(c, dict(v)) for c, v in definition]
    names = list(dict.fromkeys(v for _, vals in rows for v in vals))
    out, done = df.copy(), pd.Series(False, index=df.index)
    for var in names:
        char = all(isinstance(vals.get(var, ""), str) for _, vals in rows)
        out[var] = pd.Series("" if char else np.nan, index=df.index,
                             dtype="str" if char else "float64")
    for cond, vals in rows:
        hit = _mask(df, cond) & ~done
        for var, value in vals.items():
            out[var] = out[var].where(~hit, value)
        done |= hit
    return out
