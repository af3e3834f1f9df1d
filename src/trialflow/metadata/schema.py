"""Build pandera schemas from dataset specs, and conform a frame to its spec before validation."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from ..errors import InputError
from .model import DatasetSpec, Specs, Variable


def _column(var: Variable, specs: Specs) -> pa.Column:
    checks = []
    if var.is_date:
        return pa.Column("datetime64[us]", nullable=not var.required, name=var.name)
    if var.is_char:
        checks.append(pa.Check(lambda s, n=var.length: s.str.len() <= n, element_wise=False,
                               error=f"longer than {var.length}"))
        if var.required:
            checks.append(pa.Check(lambda s: s != "", error="required value missing"))
        if var.codelist and not specs.codelists[var.codelist].extensible:
            # an extensible codelist admits sponsor terms (recorded as data issues when mapped)
            allowed = set(specs.codelists[var.codelist].values) | {""}
            checks.append(pa.Check(lambda s, a=allowed: s.isin(a), error=f"outside codelist {var.codelist}"))
        return pa.Column(str, checks=checks, nullable=False, name=var.name)
    if var.codelist and not specs.codelists[var.codelist].extensible:
        allowed = {float(v) for v in specs.codelists[var.codelist].values}
        checks.append(pa.Check(lambda s, a=allowed: s.isna() | s.isin(a), error=f"outside codelist {var.codelist}"))
    return pa.Column(float, checks=checks, nullable=not var.required, name=var.name)


def schema_for(spec: DatasetSpec, specs: Specs) -> pa.DataFrameSchema:
    """The pandera schema of a dataset: types, required values, codelists, lengths, unique keys."""
    return pa.DataFrameSchema(
        {v.name: _column(v, specs) for v in spec.variables},
        strict=True, ordered=True, name=spec.name,
        unique=list(spec.keys) or None, report_duplicates="all",
    )


def conform(df: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """Order columns as the spec, Char missing as '', Num as float64, dates as datetime64.

    Refuses (InputError) a frame that lacks a spec variable or carries one the spec does not know.
    """
    missing = [n for n in spec.names if n not in df.columns]
    if missing:
        raise InputError(f"{spec.name} lacks spec variable(s) {missing}", file=spec.path, field=missing[0])
    extra = [c for c in df.columns if c not in spec.names]
    if extra:
        raise InputError(f"{spec.name} has variable(s) not in its spec {extra}", file=spec.path, field=extra[0])
    out = {}
    for var in spec.variables:
        col = df[var.name]
        if var.is_date:
            out[var.name] = pd.to_datetime(col).astype("datetime64[us]")
        elif var.is_char:
            out[var.name] = col.astype(object).where(col.notna(), "").astype(str)
        else:
            try:
                out[var.name] = pd.to_numeric(col).astype("float64")
            except (TypeError, ValueError):
                bad = col[pd.to_numeric(col, errors="coerce").isna() & col.notna()]
                raise InputError(f"{spec.name}.{var.name} is Num but holds text", field=var.name,
                                 row=bad.index[0], value=bad.iloc[0]) from None
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def validate(df: pd.DataFrame, spec: DatasetSpec, specs: Specs) -> pd.DataFrame:
    """Conform then validate lazily; raise InputError listing the first failures."""
    frame = conform(df, spec)
    try:
        return schema_for(spec, specs).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        first = fc.iloc[0]
        lines = [f"{r.column}: {r.check} -> {r.failure_case!r} (row {r.index})" for r in fc.head(5).itertuples()]
        raise InputError(f"{spec.name} fails its schema ({len(fc)} failure(s)): " + "; ".join(lines),
                         file=spec.path, row=first["index"], field=first["column"],
                         value=first["failure_case"]) from None
