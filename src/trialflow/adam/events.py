"""Events for ADaM: extreme events (best overall response, confirmed response) and time to event.

Same grammar as :mod:`trialflow.adam.derive` (dataset first; ``by_vars``, ``order``, ``filter``,
``set_values_to``).  Event and censoring sources are small frozen dataclasses; windows and
precedence are arguments (list order), never literals in the dataset modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from trialflow.errors import SpecError

from .derive import (DATE_DTYPE, _check_unique, _dates, _extreme, _mask, _need, _order_keys,
                     _set_values, _sort, _stack, desc, filter_rows)

__all__ = ["Event", "EventJoined", "derive_extreme_event", "EventSource", "CensorSource",
           "derive_param_tte", "DateSource", "derive_var_extreme_dt"]


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
    for var in _order_keys(order)[0]:  # order variables no event source has: missing
        if var not in cand.columns:
            cand[var] = np.nan
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


# --------------------------------------------------------------------------- extreme dates (LSTALVDT)
@dataclass(frozen=True)
class DateSource:
    """Dates for :func:`derive_var_extreme_dt`: column ``date`` of ``dataset_name`` (a date
    column, or ISO 8601 text of which only complete dates count) on records meeting ``filter``.
    """

    dataset_name: str
    date: str
    filter: Any = None


def derive_var_extreme_dt(df, new_var: str, sources: Sequence[DateSource],
                          source_datasets: Mapping[str, pd.DataFrame], mode: str = "last",
                          subject_keys=("STUDYID", "USUBJID")):
    """The last (or first) date per subject over several sources (admiral
    ``derive_var_extreme_dt``, e.g. LSTALVDT = last date known alive).  Subjects without any
    date get NaT."""
    from .derive import derive_vars_dt

    if mode not in ("first", "last"):
        raise SpecError("mode must be 'first' or 'last'", field="mode", value=mode)
    keys = list(subject_keys)
    _need(df, keys, "derive_var_extreme_dt")
    parts = []
    for src in sources:
        if src.dataset_name not in source_datasets:
            raise SpecError("source dataset not given", field=src.dataset_name)
        d = filter_rows(source_datasets[src.dataset_name], src.filter)
        _need(d, [*keys, src.date], "derive_var_extreme_dt")
        if pd.api.types.is_datetime64_any_dtype(d[src.date]):
            dates = _dates(d[src.date])
        else:
            dates = derive_vars_dt(d[[src.date]], "_X", src.date, flag_imputation=False)["_XDT"]
        parts.append(pd.DataFrame({**{k: d[k] for k in keys}, "_DT": dates}))
    allp = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*keys, "_DT"])
    allp = allp[allp["_DT"].notna()]
    agg = allp.groupby(keys, sort=False)["_DT"].agg("max" if mode == "last" else "min")
    out = df.reset_index(drop=True).merge(agg.rename(new_var).reset_index(), on=keys, how="left")
    out.index = df.index
    out[new_var] = out[new_var].astype(DATE_DTYPE)
    return out
