"""Generic, study-agnostic ADaM derivations modelled on pharmaverse admiral.

One grammar: dataset first, then keywords ``by_vars``, ``order`` (column names; wrap in
:class:`desc` for descending; missing values sort last as in dplyr::arrange), ``filter`` (a
pandas query string, a boolean Series or a callable ``df -> bool Series``), ``new_var`` and
``set_values_to`` (dict of constants or callables ``df -> Series``).  Every function returns a
new DataFrame; rows keep their input order and index unless rows are added (then the index is
reset).  Data problems raise InputError, wrong arguments or variables raise SpecError.
Char missing is "" and numerics are float64 (NaN missing); dates are ``datetime64[us]``.

Event-based derivations (Event, EventJoined, derive_extreme_event, EventSource, CensorSource,
derive_param_tte, DateSource, derive_var_extreme_dt) live in :mod:`trialflow.adam.events`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from trialflow.errors import InputError, SpecError

__all__ = [
    "DATE_DTYPE", "desc", "filter_rows", "derive_vars_dt", "derive_vars_dtm", "derive_vars_dy",
    "derive_var_obs_number", "derive_var_extreme_flag", "derive_vars_merged", "derive_var_base",
    "derive_var_chg", "derive_var_pchg", "derive_var_merged_exist_flag",
    "derive_var_merged_summary", "derive_var_relative_flag", "combine_supp",
    "derive_var_contiguous_group", "derive_var_trtemfl", "derive_vars_duration", "derive_vars_cat",
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


def _parse_dtc(s: pd.Series, field_: str) -> tuple[np.ndarray, pd.DataFrame]:
    """Split ISO 8601 (partial) text into numeric parts; a missing part hides all lower ones.

    Each distinct text is parsed once (dates repeat a lot): returns the parts of each distinct
    text (index 0..k-1) and, per record, the position of its text (spread back with take)."""
    codes, distinct = pd.factorize(s.astype("str").fillna(""))
    p = _parse_unique(pd.Series(distinct, dtype="str").str.strip())
    bad = p.pop("_bad").to_numpy()[codes]
    if bad.any():
        row = s.index[bad.argmax()]
        raise InputError("invalid ISO 8601 date/time", field=field_, value=s.loc[row], row=row)
    return codes, p


def _parse_unique(text: pd.Series) -> pd.DataFrame:
    parts = text.str.extract(_ISO)
    bad = parts.isna().all(axis=1) & (text != "") & ~text.str.fullmatch(r"-*")
    p = parts.apply(pd.to_numeric, errors="coerce")
    for hi, lo in zip("ymdHM", "mdHMS"):
        p[lo] = p[lo].where(p[hi].notna())
    first = pd.to_datetime(pd.DataFrame({"year": p.y.fillna(2000), "month": p.m.fillna(1),
                                         "day": p.d.fillna(1)}), errors="coerce")
    bad |= first.isna() | (p.H > 23) | (p.M > 59) | (p.S > 59)
    p["first"] = first.astype(DATE_DTYPE).where(p.y.notna())
    p["dlevel"] = np.select([p.y.isna(), p.m.isna(), p.d.isna()], [3, 2, 1], 0)
    p["tlevel"] = np.select([p.H.isna(), p.M.isna(), p.S.isna()], [3, 2, 1], 0)
    p["_bad"] = bad.to_numpy()
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
    codes, p = _parse_dtc(df[dtc], dtc)  # what depends on the text alone: once per distinct text
    y, m = p.y.fillna(2000), p.m.fillna(1)
    lo_d = p["first"]
    hi_d = None  # the latest possible date: for "last", and for clipping to min/max dates
    if date_imputation == "last" or min_dates or max_dates:
        month_first = _ymd(y, m, 1)
        hi_d = lo_d.where(p.d.notna(), month_first + pd.to_timedelta(
            month_first.dt.days_in_month - 1, unit="D")).where(p.m.notna(), _ymd(y, 12, 31))
    if date_imputation == "mid":  # admiral: a missing day becomes the 15th, a missing month and day June 30
        value = lo_d.where(p.d.notna(), _ymd(y, m, 15)).where(p.m.notna(), _ymd(y, 6, 30))
    else:
        value = hi_d if date_imputation == "last" else lo_d
    level = p.dlevel.to_numpy()
    if with_time:
        secs = [3600, 60, 1]
        t_lo = pd.to_timedelta(sum(p[c].fillna(0) * k for c, k in zip("HMS", secs)), unit="s")
        t_hi = pd.to_timedelta(sum(p[c].fillna(x) * k for c, k, x in
                                   zip("HMS", secs, (23, 59, 59))), unit="s")
        lo_d, hi_d = lo_d + t_lo, (None if hi_d is None else hi_d + t_hi)
        value = value + (t_lo if time_imputation == "first" else t_hi)
        level = np.where(level > 0, level + 3, p.tlevel)
    ymiss = p.y.isna()
    value = value.where(~ymiss, _LO if date_imputation == "first" else _HI)
    value = _spread(value, codes, df.index)
    if hi_d is not None:
        lo = _spread(lo_d.where(~ymiss, _LO), codes, df.index)
        hi = _spread(hi_d.where(~ymiss, _HI), codes, df.index)
    level, dlevel, tlevel = level[codes], p.dlevel.to_numpy()[codes], p.tlevel.to_numpy()[codes]
    for cols, pick in ((min_dates, np.maximum), (max_dates, np.minimum)):
        for c in cols or []:
            bound = pd.to_datetime(df[c]).astype(DATE_DTYPE)
            bound = bound if with_time else bound.dt.normalize()
            inside = bound.notna() & (bound >= lo) & (bound <= hi)
            value = value.where(~inside, pick(value, bound))
    value = value.where((value != _LO) & (value != _HI))  # a year imputed from nothing
    value = value.where(level <= levels[highest]).astype(DATE_DTYPE)
    return value, dlevel, tlevel


def _spread(values: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    out = values.take(codes)
    out.index = index
    return out


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


def derive_var_merged_exist_flag(df, dataset_add, by_vars, new_var: str, condition,
                                 true_value="Y", false_value="N", missing_value="N",
                                 filter_add=None):
    """Flag whether ``dataset_add`` (after ``filter_add``) has a record meeting ``condition``.

    admiral ``derive_var_merged_exist_flag``: ``true_value`` when at least one record of the
    by group meets ``condition``, ``false_value`` when the group has records but none meets
    it, ``missing_value`` when the group has no record in ``dataset_add``.
    """
    left, right = _by_pairs(by_vars)
    _need(df, left, "derive_var_merged_exist_flag")
    add = filter_rows(dataset_add, filter_add)
    _need(add, right, "derive_var_merged_exist_flag")
    hit = _mask(add, condition)
    summary = add[right].assign(_hit=hit.to_numpy()).groupby(right, dropna=False, sort=False)[
        "_hit"].any().reset_index()
    summary.columns = [*left, "_hit"]
    out = df.reset_index(drop=True).merge(summary, on=left, how="left")
    flag = np.where(out["_hit"].isna(), missing_value,
                    np.where(out["_hit"].fillna(False).astype(bool), true_value, false_value))
    res = df.copy()
    res[new_var] = pd.Series(flag, index=df.index, dtype="str" if isinstance(true_value, str)
                             else "float64")
    return res


def derive_var_merged_summary(df, dataset_add, by_vars, new_vars: Mapping[str, tuple],
                              filter_add=None, missing_values: Mapping | None = None):
    """Add summaries of ``dataset_add`` per by group (admiral ``derive_var_merged_summary``).

    ``new_vars``: ``{new_var: (source_var, function)}`` with a pandas groupby reduction name
    ("count", "nunique", "sum", "min", "max", "mean", ...) or a callable on the group's Series.
    "sum" is missing when any summed value is missing.  Groups without records get
    ``missing_values`` (else NaN; "count"/"nunique" give 0 when the group has no record).
    """
    left, right = _by_pairs(by_vars)
    _need(df, left, "derive_var_merged_summary")
    add = filter_rows(dataset_add, filter_add)
    _need(add, [*right, *(src for src, _ in new_vars.values())], "derive_var_merged_summary")
    clash = [v for v in new_vars if v in df.columns]
    if clash:
        raise SpecError("derive_var_merged_summary: variable already in dataset", field=clash[0])
    g = add.groupby(right, dropna=False, sort=False)
    parts = {}
    for new, (src, fn) in new_vars.items():
        parts[new] = g[src].sum(skipna=False, min_count=1) if fn == "sum" else g[src].agg(fn)
    summary = pd.DataFrame(parts).reset_index()
    summary.columns = [*left, *new_vars]
    out = df.reset_index(drop=True).merge(summary, on=left, how="left")
    for new, (_, fn) in new_vars.items():
        if missing_values and new in missing_values:
            out[new] = out[new].where(out[new].notna(), missing_values[new])
        elif fn in ("count", "nunique"):
            out[new] = out[new].fillna(0).astype("float64")
        elif pd.api.types.is_string_dtype(out[new]) or out[new].dtype == object:
            out[new] = out[new].fillna("")
    out.index = df.index
    return out


def derive_var_relative_flag(df, by_vars, order, new_var: str, condition, mode: str = "first",
                             selection: str = "before", inclusive: bool = True,
                             flag_no_ref_groups: bool = True, true_value="Y", false_value="",
                             check_type: str = "warning"):
    """Flag records before/after the first/last record meeting ``condition`` in each group.

    admiral ``derive_var_relative_flag``: within ``by_vars`` sorted by ``order``, the reference
    record is the ``mode`` record meeting ``condition``; records before (``selection=
    "before"``) or after it are flagged, the reference itself when ``inclusive``.  Groups
    without a reference record are flagged entirely when ``flag_no_ref_groups``.
    """
    if selection not in ("before", "after"):
        raise SpecError("selection must be 'before' or 'after'", field="selection",
                        value=selection)
    work, by = df.reset_index(drop=True), list(by_vars)
    _check_unique(work, by + _order_keys(order)[0], check_type, "derive_var_relative_flag")
    s = _sort(work, by, order)
    pos = s.groupby(by, sort=False, dropna=False).cumcount() if by else \
        pd.Series(np.arange(len(s)), index=s.index)
    hit = _mask(s, condition)
    ref_pos = pos.where(hit)
    grp = [s[k] for k in by]
    ref = (ref_pos.groupby(grp, dropna=False).transform("min" if mode == "first" else "max")
           if by else pd.Series(ref_pos.min() if mode == "first" else ref_pos.max(),
                                index=s.index))
    if selection == "before":
        keep = (pos < ref) | (inclusive & (pos == ref))
    else:
        keep = (pos > ref) | (inclusive & (pos == ref))
    keep = keep | (ref.isna() & flag_no_ref_groups)
    out = df.copy()
    out[new_var] = pd.Series(np.where(keep.sort_index(), true_value, false_value),
                             index=df.index, dtype="str")
    return out


def derive_var_contiguous_group(df, new_var: str, by_vars, start_date: str, end_date: str):
    """Number runs of overlapping records (e.g. one adverse event recorded over several records).

    Within ``by_vars`` records are taken in ``start_date`` order; a record joins the current
    group when it starts on or before the latest ``end_date`` so far (a missing end: still
    ongoing), else it starts a new group.  Groups are numbered 1..n over the whole dataset
    (float64); a record without start date is a group of its own.
    """
    by = list(by_vars)
    _need(df, [*by, start_date, end_date], "derive_var_contiguous_group")
    w = df.reset_index(drop=True)
    st = pd.to_datetime(w[start_date]).astype(DATE_DTYPE)
    en = pd.to_datetime(w[end_date]).astype(DATE_DTYPE).fillna(pd.Timestamp.max.floor("D"))
    s = w[by].assign(_st=st, _en=en).sort_values([*by, "_st"], kind="stable", na_position="last")
    g = s.groupby(by, sort=False, dropna=False)
    latest = s["_en"].groupby([s[k] for k in by], dropna=False).cummax()
    prev = latest.groupby([s[k] for k in by], dropna=False).shift()
    first = g.cumcount().eq(0)
    new = first | s["_st"].isna() | prev.isna() | (s["_st"] > prev)
    out = df.copy()
    out[new_var] = new.cumsum().astype("float64").sort_index().to_numpy()
    return out


def combine_supp(df, supp, domain_keys=("STUDYID", "USUBJID")):
    """Add each QNAM of a SUPP-- dataset as a column of its parent (metatools ``combine_supp``).

    Records are matched on the subject keys and IDVAR/IDVARVAL (IDVAR may name any parent
    variable, e.g. --SEQ or --GRPID; blank IDVAR applies to every record of the subject).
    Numeric parent identifiers match their text in IDVARVAL ("3" for 3.0).  A QNAM that is
    already a parent column, or two values for one record and QNAM, raise InputError.
    """
    keys = [k for k in domain_keys if k in df.columns and k in supp.columns]
    _need(supp, [*keys, "IDVAR", "IDVARVAL", "QNAM", "QVAL"], "combine_supp")
    clash = sorted(set(supp["QNAM"].unique()) & set(df.columns))  # unique(): no Python loop over records
    if clash:
        raise InputError("combine_supp: QNAM already a variable of the parent", field=clash[0])
    out = df.copy()
    qnams = list(supp["QNAM"].unique())  # in order of appearance
    for q in qnams:
        out[q] = pd.Series("", index=out.index, dtype="str")
    for idvar in supp["IDVAR"].unique():
        part = supp[supp["IDVAR"] == idvar]
        idk = keys if idvar == "" else [*keys, "_ID"]
        if idvar != "":
            _need(df, [idvar], "combine_supp")
            part = part.assign(_ID=part["IDVARVAL"].astype(str).str.strip())
        dup = part.duplicated([*idk, "QNAM"], keep=False)
        if dup.any():
            i = dup.idxmax()
            raise InputError("combine_supp: more than one QVAL for a record and QNAM",
                             row=i, field=part.at[i, "QNAM"], value=part.at[i, "QVAL"])
        wide = part.pivot(index=idk, columns="QNAM", values="QVAL").reset_index()
        left = out[keys].copy()
        if idvar != "":
            left["_ID"] = _id_text(df[idvar]).to_numpy()
        got = left.merge(wide, on=idk, how="left")
        got.index = out.index
        for q in wide.columns.difference(idk):
            out[q] = got[q].where(got[q].notna(), out[q]).astype("str")
    return out


def _id_text(col: pd.Series) -> pd.Series:
    """Identifier values as SUPP-- IDVARVAL text: 3.0 -> "3", 2.5 -> "2.5", NaN -> ""."""
    if not pd.api.types.is_numeric_dtype(col):
        return col.astype("str").str.strip()
    num = col.astype("float64")
    integral = num.notna() & (num == num.round())
    text = pd.Series("", index=col.index, dtype="str")
    text[integral] = num[integral].astype("int64").astype("str")
    text[num.notna() & ~integral] = num[num.notna() & ~integral].astype("str")
    return text


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
