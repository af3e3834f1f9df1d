"""Conformance rules for SDTM and ADaM datasets, in the spirit of Pinnacle 21 and CDISC CORE.

Each rule has an id, a severity and a message, and returns findings that name the dataset, the
variable, the row (0-based record number in the XPT) and the value. Rules are vectorised checks on
the datasets as read back from XPT, compared with the specs that should have produced them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd

from ..metadata.model import DatasetSpec, Specs
from ..xpt import XptMeta

ISO8601 = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3])(:[0-5]\d(:[0-5]\d)?)?)?)?)?$")
ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    dataset: str
    variable: str
    row: int | None
    usubjid: str
    value: str
    message: str


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    message: str
    check: Callable[["Package", str], list[Finding]]


@dataclass
class Package:
    """Datasets as read back from XPT, with their XPT metadata and specs."""

    specs: Specs
    data: dict[str, pd.DataFrame]
    meta: dict[str, XptMeta]

    def spec(self, name: str) -> DatasetSpec:
        return self.specs.dataset(name)


RULES: list[Rule] = []


def rule(rule_id: str, severity: str, message: str):
    def register(fn):
        RULES.append(Rule(rule_id, severity, message, fn))
        return fn
    return register


def _emit(rule_id: str, ds: str, var: str, df: pd.DataFrame, mask: pd.Series, values=None) -> list[Finding]:
    """One finding per row where mask is true, naming dataset, variable, row, subject and value."""
    r = next(r for r in RULES if r.id == rule_id)
    values = df[var] if values is None and var in df else values
    subj = df["USUBJID"] if "USUBJID" in df else pd.Series("", index=df.index)
    return [Finding(r.id, r.severity, ds, var, int(i), str(subj.get(i, "")),
                    "" if values is None else str(values.get(i, "")), r.message) for i in mask[mask].index]


@rule("TF0001", ERROR, "required variable missing or not populated")
def required_populated(pkg: Package, name: str) -> list[Finding]:
    df, spec, out = pkg.data[name], pkg.spec(name), []
    for var in spec.variables:
        if not var.required:
            continue
        if var.name not in df:
            out += [Finding("TF0001", ERROR, name, var.name, None, "", "", "required variable missing")]
            continue
        col = df[var.name]
        out += _emit("TF0001", name, var.name, df, col.eq("") if var.is_char else col.isna())
    return out


@rule("TF0002", ERROR, "USUBJID not found in the subject-level dataset (DM / ADSL)")
def subject_known(pkg: Package, name: str) -> list[Finding]:
    parent = "DM" if pkg.spec(name).standard == "SDTM" else "ADSL"
    df = pkg.data[name]
    if name == parent or parent not in pkg.data or "USUBJID" not in df:
        return []
    return _emit("TF0002", name, "USUBJID", df, ~df["USUBJID"].isin(pkg.data[parent]["USUBJID"]))


@rule("TF0003", ERROR, "--SEQ not unique within USUBJID")
def seq_unique(pkg: Package, name: str) -> list[Finding]:
    df = pkg.data[name]
    seq = next((c for c in df.columns if c.endswith("SEQ") and c not in ("SRCSEQ",) and len(c) <= 8), None)
    if seq is None or "USUBJID" not in df:
        return []
    return _emit("TF0003", name, seq, df, df.duplicated(["USUBJID", seq], keep=False))


@rule("TF0004", ERROR, "--DTC is not valid ISO 8601")
def dtc_iso(pkg: Package, name: str) -> list[Finding]:
    df, out = pkg.data[name], []
    for var in (c for c in df.columns if c.endswith("DTC")):
        col = df[var].astype(str)
        out += _emit("TF0004", name, var, df, col.ne("") & ~col.str.match(ISO8601))
    return out


@rule("TF0005", ERROR, "--DY is 0 or inconsistent with --DTC and DM.RFSTDTC")
def study_day(pkg: Package, name: str) -> list[Finding]:
    df, out = pkg.data[name], []
    if "DM" not in pkg.data or "USUBJID" not in df:
        return out
    ref = pd.to_datetime(pkg.data["DM"].set_index("USUBJID")["RFSTDTC"].str[:10], errors="coerce")
    for dy in (c for c in df.columns if c.endswith("DY") and c[:-2] + "DTC" in df.columns):
        dtc = df[dy[:-2] + "DTC"].astype(str)
        date = pd.to_datetime(dtc.where(dtc.str.len() >= 10).str[:10], errors="coerce")
        start = df["USUBJID"].map(ref)
        diff = (date - start).dt.days
        expected = diff.where(diff < 0, diff + 1)
        bad = df[dy].eq(0) | (df[dy].notna() & expected.notna() & df[dy].ne(expected))
        out += _emit("TF0005", name, dy, df, bad)
    return out


@rule("TF0006", ERROR, "value outside its codelist")
def in_codelist(pkg: Package, name: str) -> list[Finding]:
    df, out = pkg.data[name], []
    for var in pkg.spec(name).variables:
        if not var.codelist or var.name not in df:
            continue
        cl = pkg.specs.codelists[var.codelist]
        allowed = set(cl.values) if var.is_char else {float(v) for v in cl.values}
        col = df[var.name]
        mask = ~col.isin(allowed) & (col.ne("") if var.is_char else col.notna())
        found = _emit("TF0006", name, var.name, df, mask)
        if cl.extensible:  # sponsor-extended values are allowed but reported
            found = [replace(f, severity=WARNING, message=f"value not in extensible codelist {cl.id}")
                     for f in found]
        out += found
    return out


@rule("TF0007", ERROR, "--STRESN inconsistent with --STRESC")
def stresn_stresc(pkg: Package, name: str) -> list[Finding]:
    df = pkg.data[name]
    n = next((c for c in df.columns if c.endswith("STRESN")), None)
    if n is None or n[:-1] + "C" not in df:
        return []
    c = df[n[:-1] + "C"]
    as_num = pd.to_numeric(c, errors="coerce")
    bad = (df[n].notna() & ~((as_num - df[n]).abs() < 1e-9)) | (df[n].isna() & as_num.notna())
    return _emit("TF0007", name, n, df, bad)


@rule("TF0008", ERROR, "label, type or length differs from the spec")
def matches_spec(pkg: Package, name: str) -> list[Finding]:
    meta, spec, out = pkg.meta[name], pkg.spec(name), []
    if meta.label != spec.label:
        out.append(Finding("TF0008", ERROR, name, "", None, "", meta.label, f"dataset label, spec says {spec.label!r}"))
    if list(meta.labels) != spec.names:
        out.append(Finding("TF0008", ERROR, name, "", None, "", ",".join(meta.labels), "variable order/names differ"))
    for var in spec.variables:
        if var.name not in meta.labels:
            continue
        got = (meta.labels[var.name], meta.types[var.name], meta.lengths[var.name])
        want = (var.label, var.type, var.length if var.is_char else 8)
        if got != want:
            out.append(Finding("TF0008", ERROR, name, var.name, None, "", str(got), f"spec says {want}"))
    return out


@rule("TF0009", ERROR, "more than one ADSL row per subject")
def one_row_per_subject(pkg: Package, name: str) -> list[Finding]:
    if name != "ADSL":
        return []
    df = pkg.data[name]
    return _emit("TF0009", name, "USUBJID", df, df["USUBJID"].duplicated(keep=False))


@rule("TF0010", ERROR, "time-to-event rule broken (CNSR 0/1, AVAL >= 0, one row per subject and PARAMCD, "
      "event description on events)")
def tte_rules(pkg: Package, name: str) -> list[Finding]:
    df = pkg.data[name]
    if not {"CNSR", "PARAMCD", "AVAL"} <= set(df.columns):
        return []
    out = _emit("TF0010", name, "CNSR", df, ~df["CNSR"].isin([0.0, 1.0]))
    out += _emit("TF0010", name, "AVAL", df, df["AVAL"].isna() | (df["AVAL"] < 0))
    out += _emit("TF0010", name, "PARAMCD", df, df.duplicated(["USUBJID", "PARAMCD"], keep=False))
    if "EVNTDESC" in df:
        out += _emit("TF0010", name, "EVNTDESC", df, df["EVNTDESC"].eq(""))
    return out


@rule("TF0011", ERROR, "SRCDOM/SRCSEQ points at a record that does not exist")
def source_exists(pkg: Package, name: str) -> list[Finding]:
    df = pkg.data[name]
    if not {"SRCDOM", "SRCSEQ", "USUBJID"} <= set(df.columns):
        return []
    known = set()
    for dom in df["SRCDOM"].unique():
        if dom and dom in pkg.data:
            src = pkg.data[dom]
            seq = next((c for c in (f"{dom}SEQ", "ASEQ") if c in src), None)
            if seq:
                known |= set(zip([dom] * len(src), src["USUBJID"], src[seq]))
            else:
                known |= {(dom, u, None) for u in src["USUBJID"]}
    keys = pd.Series(list(zip(df["SRCDOM"], df["USUBJID"], df["SRCSEQ"])), index=df.index)
    subj_only = pd.Series(list(zip(df["SRCDOM"], df["USUBJID"], [None] * len(df))), index=df.index)
    mask = df["SRCDOM"].ne("") & ~keys.isin(known) & ~subj_only.isin(known)
    return _emit("TF0011", name, "SRCSEQ", df, mask, values=df["SRCDOM"] + ":" + df["SRCSEQ"].astype(str))


def check_package(pkg: Package) -> list[Finding]:
    """Run every rule on every dataset of the package."""
    return [f for name in sorted(pkg.data) for r in RULES for f in r.check(pkg, name)]
