"""The one engine that turns shell rows into analysis results (ARD) from ADaM datasets only.

For every row with a statistic and every analysis group of the shell:

    subjects  = ADSL records in the shell population, the group's subset and the row's subset
    records   = the row's dataset for those subjects, with the ADSL variables merged in
    numerator = records meeting the row's ``where`` and the group's ``where``

and the statistic kind decides what is counted or estimated (see ``STAT_FUNCS``). Counts are of
distinct subjects unless the row says ``unit: records``. The denominator of a percentage is the
subject set above, or — when the row gives ``denominator: {where: ...}`` — the subjects (or
records) of that set meeting the denominator condition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError, SpecError
from . import stats
from .ard import Ard, ArdRow, clean_value
from .expr import evaluate, mask
from .shell import Group, Row, Shell

SUBJ = "USUBJID"
Stat = tuple[str, object, int | None, tuple[str, ...]]  # (statistic, value, denominator, subjects)


def _ids(s: pd.Series) -> tuple[str, ...]:
    """Distinct subject ids, sorted (numpy sorts the unicode array; Python sorts the same way)."""
    return tuple(np.sort(np.asarray(pd.unique(s.astype(str)), dtype=str)).tolist())


@dataclass
class SubRows:
    """Statistics that give one ARD row per item (curve step, listed record): row key '<key>|<sub>'."""
    items: list[tuple[str, str | None, dict, dict]]  # (sub key, label or None, {stat: value}, {stat: subjects})

    def ard(self, output: str, row: Row, group: str) -> list[ArdRow]:
        return [ArdRow(output, f"{row.key}|{sub}", label if label is not None else row.label, group, stat,
                       clean_value(value), None, tuple(ids.get(stat, ())))
                for sub, label, values, ids in self.items for stat, value in values.items()]


class Engine:
    """Evaluate one shell against ADaM datasets given by ``load(name) -> DataFrame``."""

    def __init__(self, shell: Shell, load: Callable[[str], pd.DataFrame] | Mapping[str, pd.DataFrame]):
        self.shell = shell
        self._load = load
        self._cache: dict[str, pd.DataFrame] = {}
        self._frames_cache: dict[tuple, tuple[pd.DataFrame, pd.DataFrame]] = {}
        adsl = self.dataset("ADSL")
        dup = adsl[SUBJ].duplicated()
        if dup.any():
            raise InputError("ADSL has more than one record per subject", row=int(np.flatnonzero(dup)[0]),
                             field=SUBJ, value=adsl.loc[dup, SUBJ].iloc[0])
        self.adsl = adsl
        self.pop = adsl[mask(shell.population, adsl, file=shell.path, field="population")]

    # ------------------------------------------------------------------ data access
    def dataset(self, name: str) -> pd.DataFrame:
        name = name.upper()
        if name not in self._cache:
            df = self._load[name] if isinstance(self._load, Mapping) else self._load(name)
            if SUBJ not in df.columns:
                raise InputError(f"{name} has no {SUBJ}", field=SUBJ)
            self._cache[name] = df.reset_index(drop=True)
        return self._cache[name]

    def subjects(self, group: Group, row: Row | None) -> pd.DataFrame:
        """ADSL records of the population within the group's and the row's subject subsets."""
        pop = self.pop
        pop = pop[mask(group.subset, pop, file=self.shell.path, field=f"groups.{group.key}.subset")]
        if row is not None and row.subset:
            pop = pop[mask(row.subset, pop, file=self.shell.path, field=f"{row.key}.subset")]
        return pop

    def records(self, name: str, subj: pd.DataFrame) -> pd.DataFrame:
        """Records of dataset ``name`` for the given subjects, with ADSL variables merged in."""
        if name.upper() == "ADSL":
            return subj.reset_index(drop=True)
        df = self.dataset(name)
        df = df[df[SUBJ].isin(subj[SUBJ])]
        extra = [c for c in subj.columns if c not in df.columns]
        return df.merge(subj[[SUBJ, *extra]], on=SUBJ, how="left", validate="many_to_one", sort=False)

    def _where(self, df: pd.DataFrame, expr: str | None, field: str) -> pd.DataFrame:
        return df[mask(expr, df, file=self.shell.path, field=field)]

    # ------------------------------------------------------------------ evaluation
    def run(self) -> Ard:
        out: list[ArdRow] = []
        for g in self.shell.groups:
            subj = self.subjects(g, None)
            out.append(ArdRow(self.shell.id, "_N", "Number of subjects", g.key, "n", len(subj), None, _ids(subj[SUBJ])))
        for row in self.shell.all_rows:
            if row.stat is None:
                continue
            if row.expand:
                out.extend(self._expanded(row))
                continue
            for g in self.shell.groups:
                res = self._evaluate(row, g)
                if isinstance(res, SubRows):
                    out.extend(res.ard(self.shell.id, row, g.key))
                    continue
                for stat, value, den, ids in res:
                    out.append(ArdRow(self.shell.id, row.key, row.label, g.key, stat, clean_value(value), den, ids))
        meta = {"title": list(self.shell.title), "population": self.shell.population, "type": self.shell.type,
                "datasets": self.shell.datasets(), "groups": [
                    {"key": g.key, "subset": g.subset, "where": g.where} for g in self.shell.groups]}
        return Ard(self.shell.id, out, meta)

    def _frames(self, row: Row, g: Group):
        name = (row.dataset or self.shell.dataset).upper()
        key = (name, g.key, row.subset)
        if key not in self._frames_cache:  # rows sharing dataset, group and subset share one merge
            subj = self.subjects(g, row)
            self._frames_cache[key] = (subj, self.records(name, subj))
        subj, recs = self._frames_cache[key]
        num = self._where(recs, row.where, f"{row.key}.where")
        num = self._where(num, g.where, f"groups.{g.key}.where")
        return subj, recs, num

    def _evaluate(self, row: Row, g: Group) -> list[Stat] | SubRows:
        subj, recs, num = self._frames(row, g)
        try:
            func = STAT_FUNCS[row.stat]
        except KeyError:
            raise SpecError("statistic not implemented", file=self.shell.path, field=f"{row.key}.stat",
                            value=row.stat) from None
        return func(self, row, subj, recs, num)

    def _denominator(self, row: Row, subj: pd.DataFrame, recs: pd.DataFrame) -> pd.DataFrame:
        """The records (unit records) or one record per subject (unit subjects) a percentage is over."""
        if row.denominator:
            name = row.denominator.get("dataset") or row.dataset or self.shell.dataset
            base = recs if name.upper() == (row.dataset or self.shell.dataset).upper() else self.records(name, subj)
            return self._where(base, row.denominator.get("where"), f"{row.key}.denominator.where")
        return recs if row.unit == "records" else subj

    def _expanded(self, row: Row) -> list[ArdRow]:
        """count_pct by the levels of ``expand`` variables (e.g. SOC then PT), most frequent first.

        The levels and their order come from the first group; every group reports every level.
        """
        if row.stat != "count_pct" or len(row.expand) > 2:
            raise SpecError("expand works with count_pct and one or two variables", file=self.shell.path,
                            field=f"{row.key}.expand", value=list(row.expand))
        levels = list(row.expand)
        per_group = {}
        for g in self.shell.groups:
            subj, recs, num = self._frames(row, g)
            for v in levels:
                if v not in num.columns:
                    raise SpecError(f"unknown variable {v}", file=self.shell.path, field=f"{row.key}.expand", value=v)
            den = self._denominator(row, subj, recs)
            per_group[g.key] = (num, len(pd.unique(den[SUBJ])), _ids(den[SUBJ]))

        first = per_group[self.shell.groups[0].key][0]
        tree = []
        counts1 = first.groupby(levels[0], sort=True)[SUBJ].nunique()
        order1 = sorted(counts1.index, key=lambda v: (-counts1[v], str(v)))
        for v1 in order1:
            children = []
            if len(levels) == 2:
                sub = first[first[levels[0]] == v1]
                counts2 = sub.groupby(levels[1], sort=True)[SUBJ].nunique()
                children = sorted(counts2.index, key=lambda v: (-counts2[v], str(v)))
            tree.append((v1, children))

        out: list[ArdRow] = []
        for g in self.shell.groups:
            num, n_den, den_ids = per_group[g.key]
            ids1 = num.groupby(levels[0])[SUBJ].agg(_ids)
            ids2 = num.groupby(levels)[SUBJ].agg(_ids) if len(levels) == 2 else None
            for v1, children in tree:
                nodes = [(f"{row.key}|{v1}", str(v1), ids1.get(v1, ()))]
                nodes += [(f"{row.key}|{v1}|{v2}", str(v2), ids2.get((v1, v2), ())) for v2 in children]
                for key, label, ids in nodes:
                    for stat, value, den, sids in _count_stats(ids, n_den, den_ids):
                        out.append(ArdRow(self.shell.id, key, label, g.key, stat, clean_value(value), den, sids))
        # order: by node, then group (as a table reads)
        node_order = {k: i for i, k in enumerate(dict.fromkeys(r.row for r in out))}
        group_order = {g.key: i for i, g in enumerate(self.shell.groups)}
        return sorted(out, key=lambda r: (node_order[r.row], group_order[r.column]))


# ---------------------------------------------------------------------- statistic kinds
def _count_stats(ids: tuple[str, ...], n_den: int, den_ids: tuple[str, ...], n: int | None = None) -> list[Stat]:
    n = len(ids) if n is None else n
    pct = 100.0 * n / n_den if n_den else float("nan")
    return [("n", n, n_den, ids), ("N", n_den, None, den_ids), ("pct", pct, n_den, ())]


def _stat_n(eng, row, subj, recs, num) -> list[Stat]:
    ids = _ids(num[SUBJ]) if row.where else _ids(subj[SUBJ])
    return [("n", len(ids), None, ids)]


def _stat_count(eng, row, subj, recs, num) -> list[Stat]:
    ids = _ids(num[SUBJ])
    n = len(num) if row.unit == "records" else len(ids)
    out: list[Stat] = [("n", n, None, ids)]
    if row.denominator:
        den = eng._denominator(row, subj, recs)
        n_den = len(den) if row.unit == "records" else den[SUBJ].nunique()
        out = [("n", n, n_den, ids), ("N", n_den, None, _ids(den[SUBJ])),
               ("pct", 100.0 * n / n_den if n_den else float("nan"), n_den, ())]
    return out


def _stat_count_pct(eng, row, subj, recs, num) -> list[Stat]:
    den = eng._denominator(row, subj, recs)
    if row.unit == "records":  # numerator records are counted within the denominator records
        inside = num[num.index.isin(den.index)] if row.denominator else num
        return _count_stats(_ids(inside[SUBJ]), len(den), _ids(den[SUBJ]), n=len(inside))
    den_ids = _ids(den[SUBJ])
    ids = tuple(sorted(set(_ids(num[SUBJ])) & set(den_ids)))
    return _count_stats(ids, len(den_ids), den_ids)


def _numeric(num: pd.DataFrame, var: str, eng: Engine, row: Row) -> pd.Series:
    if var not in num.columns:
        raise SpecError(f"unknown variable {var}", file=eng.shell.path, field=f"{row.key}.var", value=var)
    return pd.to_numeric(num[var], errors="coerce")


def _stat_median_range(eng, row, subj, recs, num) -> list[Stat]:
    vals = _numeric(num, row.var, eng, row)
    ok = vals.notna()
    d = stats.describe(vals[ok])
    ids = _ids(num.loc[ok, SUBJ])
    return [("n", d["n"], None, ids)] + [(k, d[k], None, ()) for k in ("mean", "sd", "median", "q1", "q3", "min", "max")]


def _stat_sum(eng, row, subj, recs, num) -> list[Stat]:
    vals = _numeric(num, row.var, eng, row)
    ok = vals.notna()
    return [("sum", float(vals[ok].sum()), None, _ids(num.loc[ok, SUBJ])), ("n", int(ok.sum()), None, _ids(num.loc[ok, SUBJ]))]


def _stat_rate_ci(eng, row, subj, recs, num) -> list[Stat]:
    out = _stat_count_pct(eng, row, subj, recs, num)
    n, n_den = out[0][1], out[1][1]
    lo, hi = stats.clopper_pearson(n, n_den) if n_den else (float("nan"), float("nan"))
    return out + [("lower", 100.0 * lo, n_den, ()), ("upper", 100.0 * hi, n_den, ())]


def _tte(eng, row, num) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    if num[SUBJ].duplicated().any():
        raise InputError(f"{row.key}: more than one time-to-event record per subject (add a PARAMCD condition)",
                         field=SUBJ, value=num.loc[num[SUBJ].duplicated(), SUBJ].iloc[0])
    time = _numeric(num, row.var, eng, row)
    if "CNSR" not in num.columns:
        raise InputError(f"{row.key}: dataset has no CNSR", field="CNSR")
    cnsr = pd.to_numeric(num["CNSR"], errors="coerce")
    bad = time.isna() | ~cnsr.isin([0, 1])
    if bad.any():
        raise InputError(f"{row.key}: time-to-event record without a time or with CNSR not 0/1",
                         field=f"{row.var}/CNSR", value=num.loc[bad, SUBJ].iloc[0])
    return time.to_numpy(float), (1 - cnsr).to_numpy(float), num[SUBJ]


def _stat_km_median_ci(eng, row, subj, recs, num) -> list[Stat]:
    time, event, ids = _tte(eng, row, num)
    n = len(time)
    out: list[Stat] = [("n", n, None, _ids(ids)),
                       ("n_event", int(event.sum()), n, _ids(ids[event == 1])),
                       ("n_censor", int(n - event.sum()), n, _ids(ids[event == 0]))]
    if n == 0:
        return out + [(k, float("nan"), None, ()) for k in ("median", "lower", "upper")]
    q = stats.km_quantile(stats.km_fit(time, event))
    return out + [("median", q["estimate"], None, ()), ("lower", q["lower"], None, ()), ("upper", q["upper"], None, ())]


def _stat_km_curve(eng, row, subj, recs, num) -> SubRows:
    """Kaplan-Meier steps: one ARD row per distinct time (events and censorings)."""
    time, event, ids = _tte(eng, row, num)
    if not len(time):
        return SubRows([])
    fit = stats.km_fit(time, event)
    items = []
    for i, rec in enumerate(fit.itertuples(index=False)):  # one iteration per distinct time, not per record
        at = time == rec.time
        items.append((f"{i:03d}", None, {
            "time": rec.time, "n_risk": rec.n_risk, "n_event": rec.n_event, "n_censor": rec.n_censor,
            "surv": rec.surv, "lower": rec.lower, "upper": rec.upper},
            {"n_event": _ids(ids[at & (event == 1)]), "n_censor": _ids(ids[at & (event == 0)])}))
    return SubRows(items)


def _stat_km_at_risk(eng, row, subj, recs, num) -> SubRows:
    """Numbers at risk (time >= t) at each of the row's ``times``."""
    time, event, ids = _tte(eng, row, num)
    items = []
    for t in row.times:  # a handful of tick times
        at = time >= t
        items.append((f"{t:g}", None, {"time": t, "n_risk": int(at.sum())}, {"n_risk": _ids(ids[at])}))
    return SubRows(items)


def _stat_values(eng, row, subj, recs, num) -> SubRows:
    """One ARD row per record (listing line, plotted point), sorted by the row's ``sort``; label = USUBJID."""
    sort = list(row.sort) or [SUBJ]
    missing = [s for s in sort if s not in num.columns]
    if missing:
        raise SpecError(f"unknown sort variable {missing[0]}", file=eng.shell.path, field=f"{row.key}.sort")
    num = num.sort_values(sort, kind="mergesort").reset_index(drop=True)
    cols = {}
    for v in row.vars:
        if v.get("expr"):
            cols[v["name"]] = evaluate(v["expr"], num, file=eng.shell.path, field=f"{row.key}.vars.{v['name']}")
        elif v["name"] in num.columns:
            cols[v["name"]] = num[v["name"]]
        else:
            raise SpecError(f"unknown variable {v['name']}", file=eng.shell.path, field=f"{row.key}.vars")
    table = pd.DataFrame(cols, index=num.index)
    width = max(4, len(str(len(num))))
    subjects = num[SUBJ].astype(str).tolist()
    return SubRows([(f"{i + 1:0{width}d}", subjects[i], values, {k: (subjects[i],) for k in values})
                    for i, values in enumerate(table.to_dict("records"))])


STAT_FUNCS = {
    "n": _stat_n, "count": _stat_count, "count_pct": _stat_count_pct, "median_range": _stat_median_range,
    "sum": _stat_sum, "rate_ci": _stat_rate_ci, "km_median_ci": _stat_km_median_ci,
    "km_curve": _stat_km_curve, "km_at_risk": _stat_km_at_risk, "values": _stat_values,
}


def analyse(shell: Shell, load) -> Ard:
    """The ARD of one output (``load``: name -> ADaM DataFrame, or a mapping)."""
    return Engine(shell, load).run()
