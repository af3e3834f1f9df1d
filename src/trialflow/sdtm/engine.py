"""The one engine: build an SDTM domain from its spec (specs/sdtm/<DOMAIN>.yaml).

A domain spec names its record sources in ``options.sources`` (raw forms whose rows become
records, or literal ``records`` for trial-design datasets) and gives each variable a ``map``: one
operation, or a list of operations applied in order (a later one overwrites where it applies).
Each operation is one named algorithm of the mapping vocabulary (mapping.py):

    {algorithm: assign_ct, raw: ae.AESER}                      collected value through a codelist
    {algorithm: hardcode_no_ct, value: PRIOR ANTICANCER THERAPY, form: prthx}
    {algorithm: hardcode_no_ct, value: PROTOCOL DEXAMETHASONE, when: {PROTDEX: "Yes"}}  (condition_add)
    {algorithm: assign_datetime, raw: [ex.EXSTDAT, ex.EXSTTIM]}
    {algorithm: study_day, dtc: AESTDTC}                        a derivation on mapped variables

``when`` conditions read raw fields (record phase); ``if`` conditions read SDTM variables (the
operation then runs after all sources are mapped). Supplemental qualifiers are declared once in
``options.supp`` ({qnam, qlabel, qorig, map}) and written to SUPP<DOMAIN> through the SUPPQUAL
template spec. Every record keeps ``_FORM``/``_ROW`` (its raw form and 1-based data row) until the
final write; records of subjects absent from DM are excluded with a data issue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, SpecError
from ..metadata.model import DatasetSpec, Specs, Variable
from . import mapping as mp
from .mapping import FORM, ROW, Issues
from .rawio import RawForm, read_form

SRC = "_SRC"
RECORD_ALGORITHMS = {"assign_no_ct", "assign_ct", "assign_num", "assign_datetime", "hardcode_no_ct",
                     "hardcode_ct", "usubjid", "visitnum", "visit", "subject_date"}
DERIVE_ALGORITHMS = {"copy", "decode", "lookup", "flag", "study_day", "epoch", "lobxfl", "age",
                     "convert_units", "num_to_char", "char_to_num", "seq"}
# arguments of derive operations that name SDTM variables the operation reads
INPUT_ARGS = ("from", "dtc", "result", "birth", "value_var", "unit", "to", "test")


# --------------------------------------------------------------------------------------------
# spec helpers
# --------------------------------------------------------------------------------------------
def ops_of(item: Mapping[str, Any] | Variable) -> list[dict[str, Any]]:
    m = item.map if isinstance(item, Variable) else item.get("map")
    if m is None:
        return []
    return [dict(o) for o in (m if isinstance(m, list) else [m])]


def raw_refs(op: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(form, FIELD) pairs an operation reads."""
    refs = []
    items = []
    if "raw" in op:
        items.append(op["raw"])
    items.extend(op.get("any_of", []))
    for it in items:
        for r in (it if isinstance(it, list) else [it]):
            if not isinstance(r, str) or "." not in r:
                raise SpecError("raw reference must be 'form.FIELD'", value=r)
            form, fld = r.split(".", 1)
            refs.append((form.lower(), fld))
    return refs


def op_forms(op: Mapping[str, Any]) -> set[str]:
    forms = {f for f, _ in raw_refs(op)}
    if op.get("algorithm") == "subject_date":
        return set()  # reads another form per subject; applies to every source
    f = op.get("form")
    if f:
        forms |= {x.lower() for x in (f if isinstance(f, list) else [f])}
    return forms


def sources_of(spec: DatasetSpec) -> list[dict[str, Any]]:
    return [dict(s) for s in spec.options.get("sources", [])]


def supp_items(spec: DatasetSpec) -> list[dict[str, Any]]:
    return [dict(q) for q in spec.options.get("supp", [])]


def required_columns(specs: Specs) -> dict[str, set[str]]:
    """Per raw form, every column some SDTM spec reads (fields of map ops, when-conditions, sources)."""
    req: dict[str, set[str]] = {}
    for spec in specs.sdtm.values():
        src_forms = {s["form"].lower() for s in sources_of(spec) if "form" in s}
        for s in sources_of(spec):
            if "form" in s:
                for k in list((s.get("where") or {})) + [k for e in s.get("exclude", []) for k in e.get("when", {})]:
                    req.setdefault(s["form"].lower(), set()).add(k)
        ops = [op for v in spec.variables for op in ops_of(v)] + [op for q in supp_items(spec) for op in ops_of(q)]
        for op in ops:
            for form, fld in raw_refs(op):
                req.setdefault(form, set()).add(fld)
            if op.get("algorithm") == "subject_date":
                for form, _ in raw_refs(op):
                    req[form] |= set((op.get("where") or {}))
                continue
            targets = op_forms(op) or src_forms
            for form in targets:
                req.setdefault(form, set()).update((op.get("when") or {}).keys())
    return req


def resolve_value(value: Any, study: Mapping[str, Any]) -> Any:
    """A literal, or {study: dotted.path} read from specs/study.yaml."""
    if isinstance(value, Mapping) and "study" in value:
        node: Any = study
        for part in str(value["study"]).split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise SpecError("study.yaml has no such key", field=str(value["study"]))
            node = node[part]
        return node
    return value


# --------------------------------------------------------------------------------------------
# context: raw forms (read once), DM, SE, issues
# --------------------------------------------------------------------------------------------
@dataclass
class Context:
    specs: Specs
    raw_dir: Path
    dm: pd.DataFrame | None = None
    se: pd.DataFrame | None = None
    forms: dict[str, RawForm] = field(default_factory=dict)
    _required: dict[str, set[str]] | None = None

    @property
    def studyid(self) -> str:
        return str(self.specs.study.get("studyid", ""))

    def form(self, name: str) -> RawForm:
        name = name.lower()
        if name not in self.forms:
            if self._required is None:
                self._required = required_columns(self.specs)
            known = set(self._required.get(name, ()))
            for s in self.specs.sdtm.values():
                known |= set((s.options.get("unmapped_columns") or {}).get(name, []))
            self.forms[name] = read_form(Path(self.raw_dir) / f"{name}.csv",
                                         sorted(self._required.get(name, ())), self.studyid, known=known)
        return self.forms[name]


@dataclass
class DomainResult:
    name: str
    data: pd.DataFrame  # spec variables + _FORM, _ROW
    supp: pd.DataFrame | None
    excluded: pd.DataFrame  # _FORM, _ROW, SUBJECT, REASON
    issues: pd.DataFrame
    forms: dict[str, int]  # raw form -> data rows in the file


# --------------------------------------------------------------------------------------------
# the operations
# --------------------------------------------------------------------------------------------
class Op:
    """One spec operation bound to its variable, spec and context."""

    def __init__(self, spec: DatasetSpec, target: str, op: dict[str, Any], ctx: Context, issues: Issues,
                 var: Variable | None, codelist_id: str | None):
        self.spec, self.target, self.op, self.ctx, self.issues, self.var = spec, target, op, ctx, issues, var
        self.name = op.get("algorithm")
        self.codelist_id = op.get("codelist", codelist_id)
        where = f"variables.{target}"
        if self.name not in RECORD_ALGORITHMS | DERIVE_ALGORITHMS:
            raise SpecError(f"unknown mapping algorithm {self.name!r}", file=spec.path, field=where)
        if self.name in ("assign_ct", "hardcode_ct", "decode") and not self.codelist_id:
            raise SpecError(f"{self.name} needs a codelist", file=spec.path, field=where)
        if self.codelist_id and self.codelist_id not in ctx.specs.codelists:
            raise SpecError("unknown codelist", file=spec.path, field=where, value=self.codelist_id)
        self.where = where
        self.derive = self.name in DERIVE_ALGORITHMS or "if" in op
        if self.derive and "when" in op:
            raise SpecError("a derivation reads SDTM variables: use 'if', not 'when'", file=spec.path, field=where)

    @property
    def codelist(self):
        return self.ctx.specs.codelists[self.codelist_id] if self.codelist_id else None

    def arg(self, key: str, default: Any = ...) -> Any:
        if key in self.op:
            return resolve_value(self.op[key], self.ctx.specs.study)
        if default is ...:
            raise SpecError(f"{self.name} needs '{key}'", file=self.spec.path, field=self.where)
        return default

    def inputs(self) -> set[str]:
        names: set[str] = set()
        for k in INPUT_ARGS:
            v = self.op.get(k)
            if isinstance(v, str):
                names.add(v)
        for k in ("by", "keys"):
            names |= set(self.op.get(k) or [])
        names |= set((self.op.get("if") or {}).keys())
        if self.name == "lobxfl":
            names |= {"USUBJID"}
        return names

    def applies_to(self, source: Mapping[str, Any]) -> bool:
        if "records" in source:
            return False
        forms = op_forms(self.op)
        return not forms or source["form"].lower() in forms

    def field(self) -> str:
        refs = raw_refs(self.op)
        if not refs:
            raise SpecError(f"{self.name} needs 'raw: form.FIELD'", file=self.spec.path, field=self.where)
        return refs[0][1]

    # record phase: raw frame -> values
    def on_raw(self, raw: pd.DataFrame, file: Path) -> pd.Series:
        n = self.name
        if "range" in self.op:
            mp.check_range(raw, self.field(), self.op["range"].get("min"), self.op["range"].get("max"), file)
        if n == "assign_no_ct":
            return mp.assign_no_ct(raw, self.field(), upper=bool(self.op.get("upper", False)),
                                   prefix=str(self.op.get("prefix", "")), file=file)
        if n == "assign_ct":
            return mp.assign_ct(raw, self.field(), self.codelist, recode=self.op.get("recode"),
                                extract=self.op.get("extract"), issues=self.issues, file=file)
        if n == "assign_num":
            return mp.assign_num(raw, self.field(), issues=self.issues, file=file,
                                 strict=bool(self.op.get("strict", True)))
        if n == "assign_datetime":
            refs = raw_refs(self.op)
            return mp.assign_datetime(raw, refs[0][1], refs[1][1] if len(refs) > 1 else None,
                                      issues=self.issues, file=file, complete=bool(self.op.get("complete")))
        if n == "hardcode_no_ct":
            return mp.hardcode_no_ct(raw, self.arg("value"))
        if n == "hardcode_ct":
            try:
                return mp.hardcode_ct(raw, self.arg("value"), self.codelist)
            except InputError as exc:
                raise SpecError(exc.message, file=self.spec.path, field=self.where, value=exc.value) from None
        if n == "usubjid":
            return mp.derive_usubjid(self.ctx.studyid, raw["SUBJECT"])
        if n in ("visitnum", "visit"):
            num, txt = mp.visit_from_folder(raw["FOLDER"], raw, "FOLDER", file)
            return num if n == "visitnum" else txt
        if n == "subject_date":
            return self._subject_date(raw)
        raise AssertionError(n)

    def _subject_date(self, raw: pd.DataFrame) -> pd.Series:
        items = [self.op["raw"]] if "raw" in self.op else list(self.op.get("any_of", []))
        parts = []
        for it in items:
            refs = [r.split(".", 1) for r in (it if isinstance(it, list) else [it])]
            form = self.ctx.form(refs[0][0])
            src = form.data
            if self.op.get("where"):
                src = src.loc[mp.condition_add(src, self.op["where"])]
            iso = mp.assign_datetime(src, refs[0][1], refs[1][1] if len(refs) > 1 else None, file=form.path,
                                     complete=bool(self.op.get("complete")))
            parts.append(pd.DataFrame({"SUBJECT": src["SUBJECT"].str.strip(), "VALUE": iso}))
        allv = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["SUBJECT", "VALUE"])
        how = self.arg("how", "min")
        if how not in ("min", "max"):
            raise SpecError("subject_date 'how' must be min or max", file=self.spec.path, field=self.where)
        pick = mp.subject_extreme(allv, how)
        got = raw["SUBJECT"].str.strip().map(pick).astype(object)
        return got.where(got.notna(), "").astype(str).astype(object)

    # derive phase: SDTM frame -> values
    def on_sdtm(self, df: pd.DataFrame) -> pd.Series:
        n = self.name
        if n == "copy":
            return df[self.arg("from")]
        if n == "decode":
            decodes = {t.value: t.decode for t in self.codelist.terms}
            return df[self.arg("from")].map(decodes).fillna("").astype(object)
        if n == "lookup":
            keys = list(self.arg("keys"))
            table = self.op.get("table")
            column = self.op.get("column", "value")
            if isinstance(table, str):
                table = self.spec.options.get(table)
            elif isinstance(table, Mapping) and "records_of" in table:  # another spec's records (TE for TA)
                other = self.ctx.specs.sdtm.get(str(table["records_of"]))
                table = [r for s in (sources_of(other) if other else []) for r in s.get("records", [])]
            if not isinstance(table, list):
                raise SpecError("lookup needs a table (a list, or the name of one in options)",
                                file=self.spec.path, field=self.where)
            table = pd.DataFrame(table)
            missing = [k for k in [*keys, column] if k not in table.columns]
            if missing:
                raise SpecError(f"lookup table lacks column {missing[0]}", file=self.spec.path, field=self.where)
            m = df[keys].reset_index().merge(table[[*keys, column]].astype(str), on=keys, how="left")
            out = m.set_index("index")[column].reindex(df.index)
            default = self.op.get("default")
            miss = out.isna() & (df[keys].astype(str) != "").all(axis=1)
            if default is None and miss.any():
                i = miss.idxmax()
                raise InputError(f"no {self.target} for {dict(df.loc[i, keys])} in the spec's lookup table",
                                 file=f"raw/{df.at[i, FORM]}.csv", row=int(df.at[i, ROW]), field=self.target,
                                 value=" / ".join(df.loc[i, keys].astype(str)))
            return out.fillna("" if default is None else default).astype(object)
        if n == "flag":
            return pd.Series(self.arg("value", "Y"), index=df.index, dtype=object)
        if n in ("hardcode_no_ct", "hardcode_ct"):
            vals = self.on_raw(df, self.spec.path) if n == "hardcode_ct" else mp.hardcode_no_ct(df, self.arg("value"))
            return vals
        if n == "study_day":
            ref = self._dm_var(df, self.arg("ref", "RFSTDTC"))
            return mp.derive_study_day(df[self.arg("dtc")], ref)
        if n == "epoch":
            return mp.derive_epoch(df[self.arg("dtc")], df["USUBJID"], self.ctx.se)
        if n == "lobxfl":
            ref = self._dm_var(df, self.arg("ref", "RFXSTDTC"))
            return mp.derive_lobxfl(df, self.arg("dtc"), list(self.arg("by")), ref, self.arg("result"))
        if n == "age":
            return mp.derive_age(df[self.arg("birth")], df[self.arg("ref", "RFICDTC")])
        if n == "convert_units":
            conv = self.spec.options.get(self.arg("table", "unit_conversions"))
            if not isinstance(conv, list):
                raise SpecError("convert_units needs a conversion table in options", file=self.spec.path,
                                field=self.where)
            value = pd.to_numeric(df[self.arg("value_var")], errors="coerce")
            out, ok = mp.convert_units(value, df[self.arg("unit")], df[self.arg("to")], df[self.arg("test")], conv)
            if not ok.all():
                bad = ~ok
                self.issues.add(df, bad, self.arg("unit"), df[self.arg("unit")],
                                f"no conversion to the standard unit in {self.spec.name}.yaml: standard result left missing")
            return out
        if n == "num_to_char":
            return mp.format_number(pd.to_numeric(df[self.arg("from")], errors="coerce"),
                                    int(self.op.get("decimals", 6)))
        if n == "char_to_num":
            return pd.to_numeric(df[self.arg("from")].astype(str).str.strip().replace("", None),
                                 errors="coerce").astype("float64")
        raise AssertionError(n)

    def _dm_var(self, df: pd.DataFrame, name: str) -> pd.Series:
        if name in df.columns:
            return df[name]
        if self.ctx.dm is None:
            raise InputError(f"{self.spec.name} needs DM ({name}); build DM first")
        ref = self.ctx.dm.set_index("USUBJID")[name]
        return df["USUBJID"].map(ref).fillna("")


# --------------------------------------------------------------------------------------------
# building a domain
# --------------------------------------------------------------------------------------------
def _empty(var: Variable | None, index) -> pd.Series:
    if var is not None and not var.is_char:
        return pd.Series(np.nan, index=index, dtype="float64")
    return pd.Series("", index=index, dtype=object)


def _targets(spec: DatasetSpec, ctx: Context, issues: Issues) -> list[tuple[str, Variable | None, list[Op]]]:
    out = []
    for v in spec.variables:
        out.append((v.name, v, [Op(spec, v.name, o, ctx, issues, v, v.codelist) for o in ops_of(v)]))
    names = set(spec.names)
    for q in supp_items(spec):
        for k in ("qnam", "qlabel"):
            if not q.get(k):
                raise SpecError(f"supplemental qualifier needs '{k}'", file=spec.path, field="options.supp")
        if q["qnam"] in names:
            raise SpecError("QNAM is also a variable of the parent", file=spec.path, field="options.supp",
                            value=q["qnam"])
        out.append((q["qnam"], None, [Op(spec, q["qnam"], o, ctx, issues, None, q.get("codelist"))
                                      for o in ops_of(q)]))
    return out


def _source_frame(spec: DatasetSpec, src: dict[str, Any], ctx: Context, issues: Issues,
                  excluded: list[pd.DataFrame]) -> tuple[pd.DataFrame, Path | None]:
    if "records" in src:
        recs = [{k: resolve_value(v, ctx.specs.study) for k, v in r.items()} for r in src["records"]]
        raw = pd.DataFrame(recs).astype(object)
        raw[FORM] = f"spec:{spec.name}"
        raw[ROW] = np.arange(1, len(raw) + 1)
        return raw, None
    form = ctx.form(src["form"])
    raw = form.data
    if len(form.excluded):
        excluded.append(form.excluded)
    for rec in form.issues:
        issues.records.append({"DOMAIN": spec.name, **rec})
    if src.get("where"):
        keep = mp.condition_add(raw, src["where"])
        reason = src.get("exclude_reason", f"not a {spec.name} record ({src['where']})")
        excluded.append(pd.DataFrame({FORM: raw.loc[~keep, FORM], ROW: raw.loc[~keep, ROW],
                                      "SUBJECT": raw.loc[~keep, "SUBJECT"], "REASON": reason}))
        raw = raw.loc[keep]
    for ex in src.get("exclude", []):
        drop = mp.condition_add(raw, ex["when"])
        if drop.any():
            excluded.append(pd.DataFrame({FORM: raw.loc[drop, FORM], ROW: raw.loc[drop, ROW],
                                          "SUBJECT": raw.loc[drop, "SUBJECT"], "REASON": ex["reason"]}))
            if ex.get("issue", True):
                issues.add(raw, drop, ",".join(ex["when"]), "", ex["reason"])
            raw = raw.loc[~drop]
    if ctx.dm is not None and spec.name != "DM":
        known = set(ctx.dm["USUBJID"])
        usubjid = mp.derive_usubjid(ctx.studyid, raw["SUBJECT"])
        orphan = ~usubjid.isin(known)
        if orphan.any():
            rule = "subject not in demographics (DM): record excluded"
            issues.add(raw, orphan, "SUBJECT", raw["SUBJECT"], rule)
            excluded.append(pd.DataFrame({FORM: raw.loc[orphan, FORM], ROW: raw.loc[orphan, ROW],
                                          "SUBJECT": raw.loc[orphan, "SUBJECT"], "REASON": rule}))
            raw = raw.loc[~orphan]
    return raw, form.path


def build_domain(name: str, ctx: Context, spec: DatasetSpec | None = None) -> DomainResult:
    """Map a domain's sources through its spec; derive; number; split off supplemental qualifiers."""
    spec = spec or ctx.specs.sdtm[name]
    issues = Issues(domain=spec.name)
    targets = _targets(spec, ctx, issues)
    excluded: list[pd.DataFrame] = []
    frames = []
    used_forms: dict[str, int] = {}
    for src in sources_of(spec):
        if "records_from" in src:
            from .special import RECORD_BUILDERS  # noqa: PLC0415 (special imports this module)

            if src["records_from"] not in RECORD_BUILDERS:
                raise SpecError("unknown records_from builder", file=spec.path, field="options.sources",
                                value=src["records_from"])
            src = {**src, "records": RECORD_BUILDERS[src["records_from"]](ctx, src)}
        raw, path = _source_frame(spec, src, ctx, issues, excluded)
        if "form" in src:
            used_forms[src["form"].lower()] = ctx.form(src["form"]).n_rows
        out = pd.DataFrame(index=raw.index)
        for tname, var, ops in targets:
            col = _empty(var, raw.index)
            for op in ops:
                if op.derive:
                    continue
                if "records" in src:
                    if raw_refs(op.op) or op.name in ("usubjid", "visitnum", "visit", "subject_date"):
                        continue
                elif not op.applies_to(src):
                    continue
                mask = mp.condition_add(raw, op.op.get("when"))  # condition_add: only these rows
                if not mask.any():
                    continue
                vals = op.on_raw(raw if mask.all() else raw.loc[mask], path)  # no copy when all rows
                if var is not None and not var.is_char:
                    vals = pd.to_numeric(vals, errors="coerce").astype("float64")
                col.loc[mask] = vals
            if "records" in src and tname in raw.columns:
                col = raw[tname]
                if var is not None and not var.is_char:
                    col = pd.to_numeric(col, errors="coerce").astype("float64")
                else:
                    col = col.astype(object).where(col.notna(), "").astype(str)
            out[tname] = col
        out[FORM] = raw[FORM]
        out[ROW] = raw[ROW]
        out[SRC] = float(len(frames))  # position of the source in the spec: --SEQ may order by it
        frames.append(out)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[t for t, _, _ in targets])
    for tname, var, _ in targets:
        if tname not in df.columns:
            df[tname] = _empty(var, df.index)
    # derive phase in dependency order
    pending = [(t, v, op) for t, v, ops in targets for op in ops if op.derive and op.name != "seq"]
    done_inputs = {t for t, _, ops in targets if not any(o.derive for o in ops)}
    done_inputs |= {FORM, ROW}
    while pending:
        progress = False
        for item in list(pending):
            t, v, op = item
            blocked = [i for i in op.inputs() if i not in done_inputs and any(p[0] == i for p in pending)]
            if blocked:
                continue
            mask = mp.condition_add(df, op.op.get("if")) if op.op.get("if") else pd.Series(True, index=df.index)
            if mask.any():
                vals = pd.Series(op.on_sdtm(df.loc[mask]), index=df.index[mask])
                if v is not None and not v.is_char:
                    vals = pd.to_numeric(vals, errors="coerce").astype("float64")
                col = df[t].copy()
                if v is None or v.is_char:
                    col = col.astype(object)
                col.loc[mask] = vals
                df[t] = col
            pending.remove(item)
            if not any(p[0] == t for p in pending):
                done_inputs.add(t)
            progress = True
        if not progress:
            raise SpecError("derivations depend on each other in a circle",
                            file=spec.path, field=", ".join(sorted({p[0] for p in pending})))
    # --SEQ last (its order may use any variable)
    for t, v, ops in targets:
        for op in ops:
            if op.name == "seq":
                order = [SRC if k == "SOURCE" else k for k in op.op.get("order", [])]
                df[t] = mp.derive_seq(df, order)
    # record order: by subject and --SEQ (or the keys), as submitted; trial design keeps spec order
    seqvar = next((n for n in spec.names if n.endswith("SEQ") and n != "TSSEQ"), None)
    if "USUBJID" in df.columns and len(df):
        order = ["USUBJID", seqvar] if seqvar else [k for k in spec.keys if k in df.columns]
        df = df.sort_values([*order, FORM, ROW], kind="mergesort").reset_index(drop=True)
    _checks(spec, df, ctx, issues)
    _check_keys(spec, df)
    supp = None
    quals = supp_items(spec)
    if quals:
        idvar = spec.options.get("supp_idvar", next((n for n in spec.names if n.endswith("SEQ")), ""))
        supp = mp.make_suppqual(df, spec.name, idvar, [{**q, "qorig": q.get("qorig", "CRF")} for q in quals],
                                ctx.studyid)
    data = df[[*spec.names, FORM, ROW]].copy()
    exc = pd.concat(excluded, ignore_index=True) if excluded else pd.DataFrame(columns=[FORM, ROW, "SUBJECT", "REASON"])
    return DomainResult(name=spec.name, data=data, supp=supp, excluded=exc, issues=issues.frame(), forms=used_forms)


def _checks(spec, df, ctx, issues):
    """Cross-field consistency checks declared in options.checks: issues, values kept as collected."""
    if df.empty:
        return
    lin = df.rename(columns={"_SUBJECT": "SUBJECT"})
    for chk in spec.options.get("checks", []):
        if chk["rule"] == "end_before_start":
            s, e = mp._date_part(df[chk["start"]]), mp._date_part(df[chk["end"]])
            issues.add(lin, (e < s).fillna(False), chk["field"], df[chk["end"]],
                       f"{chk['end']} before {chk['start']}: kept as collected")
        elif chk["rule"] == "not_after_death" and ctx.dm is not None:
            death = mp._date_part(df["USUBJID"].map(ctx.dm.set_index("USUBJID")["DTHDTC"]).fillna(""))
            d = mp._date_part(df[chk["dtc"]])
            issues.add(lin, (d > death).fillna(False), chk["field"], df[chk["dtc"]],
                       f"{chk['dtc']} after the death date (DM.DTHDTC): kept as collected")


def _check_keys(spec: DatasetSpec, df: pd.DataFrame) -> None:
    """Two records with the same natural key: an InputError naming the raw row of the second."""
    if not spec.keys or df.empty:
        return
    dup = df.duplicated(subset=list(spec.keys), keep="first")
    if dup.any():
        i = dup.idxmax()
        first = df.loc[(df[list(spec.keys)] == df.loc[i, list(spec.keys)]).all(axis=1)].index[0]
        raise InputError(f"duplicate {spec.name} record: same {'/'.join(spec.keys)} as "
                         f"raw/{df.at[first, FORM]}.csv row {int(df.at[first, ROW])}",
                         file=f"raw/{df.at[i, FORM]}.csv", row=int(df.at[i, ROW]), field="/".join(spec.keys),
                         value=" / ".join(str(x) for x in df.loc[i, list(spec.keys)]))


def check_maps(specs: Specs) -> int:
    """Check every SDTM spec's map operations without data: algorithm names, codelists, required
    arguments, hardcoded CT terms. Returns the number of operations checked (SpecError on a problem)."""
    ctx = Context(specs=specs, raw_dir=Path("."))
    issues = Issues()
    n = 0
    for spec in specs.sdtm.values():
        if spec.options.get("parent") or spec.options.get("builder"):
            continue
        for _, _, ops in _targets(spec, ctx, issues):
            for op in ops:
                n += 1
                if op.name in ("assign_no_ct", "assign_ct", "assign_num", "assign_datetime"):
                    op.field()
                if op.name == "hardcode_ct":
                    try:
                        mp.hardcode_ct(pd.DataFrame(index=[0]), op.arg("value"), op.codelist)
                    except InputError as exc:
                        raise SpecError(exc.message, file=spec.path, field=op.where, value=exc.value) from None
                for key in {"copy": ["from"], "decode": ["from"], "study_day": ["dtc"], "epoch": ["dtc"],
                            "lobxfl": ["dtc", "by", "result"], "age": ["birth"], "num_to_char": ["from"],
                            "char_to_num": ["from"], "lookup": ["keys", "table"],
                            "convert_units": ["value_var", "unit", "to", "test"]}.get(op.name, []):
                    op.arg(key)
                unknown = [i for i in op.inputs() if i not in spec.names and i != "USUBJID"]
                if unknown and op.derive:
                    raise SpecError(f"{op.name} reads a variable the dataset does not have", file=spec.path,
                                    field=op.where, value=unknown[0])
    return n
