"""What the ADaM dataset modules share: study parameters, grouping labels, dataset rules and the
one way a dataset is derived, checked and written.

A dataset module (adsl.py, adrs.py, ...) declares ``NAME``, the SDTM datasets it reads
(``SDTM``), the ADaM datasets it reads (``ADAM``), its dataset ``RULES`` and a pure function
``derive(sdtm, adam, params) -> DataFrame``.  :func:`finalize` keeps the spec's variables (like
xportr's select), applies the rules (InputError naming dataset, rule and subject) and the pandera
schema; :func:`run` reads the inputs through the Study, derives and writes ``adam/<name>.xpt``.
ADaM reads SDTM and ADaM only, never raw/.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, SpecError
from ..metadata import Specs, validate
from ..study import Study

SUBJ = ["STUDYID", "USUBJID"]


# --------------------------------------------------------------------------- study parameters
@dataclass(frozen=True)
class Params:
    """The analysis parameters of specs/study.yaml and the codelists, with clear errors."""

    study: Mapping[str, Any]
    codelists: Mapping[str, Any]

    @classmethod
    def of(cls, specs: Specs) -> "Params":
        return cls(study=specs.study, codelists=specs.codelists)

    def get(self, *path: str):
        node: Any = self.study
        for i, key in enumerate(path):
            if not isinstance(node, Mapping) or key not in node:
                raise SpecError("study.yaml lacks a parameter the ADaM derivations need",
                                file="specs/study.yaml", field=".".join(path[: i + 1]))
            node = node[key]
        return node

    def conv(self, key: str):
        return self.get("conventions", key)

    def drugs(self, drug_class: str) -> list[str]:
        return [str(d).upper() for d in self.get("drug_classes", drug_class)]

    def terms(self, codelist: str) -> list[str]:
        """Submission values of a codelist in their listed order (e.g. response best -> worst)."""
        if codelist not in self.codelists:
            raise SpecError("codelist not in specs/codelists.yaml", field=codelist)
        return list(self.codelists[codelist].values)


def cut_groups(var: str, cuts: Sequence[float], source: str, numbered: str | None = None,
               middle: str = "range") -> list[tuple[Callable, dict]]:
    """derive_vars_cat definition grouping ``source`` by ascending ``cuts``: "<a", "a-(b-1)"
    (``middle="range"``, integer bounds) ..., ">=z"; ``numbered`` names a 1..n companion."""
    cuts = list(cuts)
    labels = [f"<{cuts[0]:g}"]
    for lo, hi in zip(cuts, cuts[1:]):
        labels.append(f"{lo:g}-{hi - 1:g}" if middle == "range" else f"{lo:g}-<{hi:g}")
    labels.append(f">={cuts[-1]:g}")
    bounds = [-np.inf, *cuts, np.inf]
    out = []
    for i, label in enumerate(labels):
        lo, hi = bounds[i], bounds[i + 1]
        values = {var: label, **({numbered: float(i + 1)} if numbered else {})}
        out.append((lambda d, lo=lo, hi=hi: (d[source] >= lo) & (d[source] < hi), values))
    return out


def days_between(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """Whole days later - earlier (float, NaN when either is missing)."""
    return (pd.to_datetime(later) - pd.to_datetime(earlier)).dt.days.astype("float64")


def yn(mask: pd.Series) -> pd.Series:
    return pd.Series(np.where(mask.fillna(False).astype(bool), "Y", "N"), index=mask.index,
                     dtype="str")


# --------------------------------------------------------------------------- dataset rules
@dataclass(frozen=True)
class Rule:
    """A dataset rule: ``broken(df)`` gives a boolean Series of offending records."""

    name: str
    variable: str
    broken: Callable[[pd.DataFrame], pd.Series]


def one_record_per(*keys: str) -> Rule:
    return Rule(f"one record per {', '.join(keys)}", keys[-1],
                lambda d: d.duplicated(list(keys), keep=False))


def values_in(var: str, allowed: Sequence) -> Rule:
    return Rule(f"{var} in {list(allowed)}", var, lambda d: ~d[var].isin(list(allowed)))


def at_least(var: str, minimum: float) -> Rule:
    return Rule(f"{var} present and >= {minimum:g}", var,
                lambda d: d[var].isna() | (d[var] < minimum))


def check_rules(df: pd.DataFrame, name: str, rules: Sequence[Rule], where=None) -> None:
    """Raise InputError for the first broken rule, naming dataset, rule and subject."""
    for rule in rules:
        bad = rule.broken(df)
        if bad.any():
            i = bad.idxmax()
            subj = df.at[i, "USUBJID"] if "USUBJID" in df.columns else ""
            value = df.at[i, rule.variable]
            raise InputError(f"{name} breaks rule '{rule.name}' for subject {subj} "
                             f"({int(bad.sum())} record(s))", file=where, row=i,
                             field=rule.variable, value=value.item() if hasattr(value, "item") else value)


# --------------------------------------------------------------------------- derive, check, write
def finalize(df: pd.DataFrame, module: ModuleType, specs: Specs) -> pd.DataFrame:
    """Keep the spec's variables in spec order, apply the dataset rules, validate the schema."""
    spec = specs.dataset(module.NAME)
    missing = [v for v in spec.names if v not in df.columns]
    if missing:
        raise SpecError(f"{spec.name} derivation does not produce spec variable(s) {missing}",
                        file=spec.path, field=missing[0])
    frame = df[spec.names].reset_index(drop=True)
    check_rules(frame, spec.name, module.RULES, where=spec.path)
    return validate(frame, spec, specs)


def inputs(study: Study, module: ModuleType) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    sdtm = {name: study.read_dataset(name) for name in module.SDTM}
    adam = {name: study.read_dataset(name) for name in module.ADAM}
    return sdtm, adam


def build(study: Study, module: ModuleType) -> pd.DataFrame:
    """The dataset in memory: read inputs, derive, keep spec variables, rules, schema."""
    sdtm, adam = inputs(study, module)
    return finalize(module.derive(sdtm, adam, Params.of(study.specs)), module, study.specs)


def run(study: Study, module: ModuleType):
    """Build (finalize validates the schema once) and write adam/<name>.xpt."""
    return study.write_validated(build(study, module), module.NAME)
