"""SDTM pipeline steps: one step per domain (writes sdtm/<domain>.xpt, its SUPP-- and its lineage),
and a reconciliation step that accounts for every raw record.

Each domain step writes, besides the XPT files, ``sdtm/lineage/<domain>.csv`` (every SDTM record
with the raw form and row it came from, and every raw row the domain excluded, with the reason)
and ``sdtm/lineage/<domain>_issues.csv`` (data issues and the rule applied). The reconciliation
step joins them with the raw forms into ``sdtm/reconciliation.csv`` (one line per raw record:
MAPPED with the domains it went to, or EXCLUDED with the reason) and ``sdtm/issues.csv``, and
prints the per-form summary. An unaccounted raw record fails the step (exit 1).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import click
import numpy as np
import pandas as pd

from ..errors import ValidationFailed
from ..io import write_csv
from ..pipeline import Step
from ..study import Study
from .engine import Context, DomainResult, build_domain, ops_of, raw_refs, sources_of, supp_items
from .mapping import FORM, ROW, on_distinct
from .rawio import count_rows
from .special import BUILDERS

TRIAL_DESIGN = ("TA", "TE", "TV", "TI", "TS")
LINEAGE_COLUMNS = ["DOMAIN", "FORM", "ROW", "SUBJECT", "USUBJID", "SEQ", "STATUS", "REASON"]
ISSUE_COLUMNS = ["DOMAIN", "FORM", "ROW", "SUBJECT", "FIELD", "VALUE", "RULE"]


def domains(study: Study) -> list[str]:
    """Domains with their own step (SUPP-- datasets are written by their parent's step)."""
    return [n for n, s in study.specs.sdtm.items() if not s.options.get("parent")]


def forms_read(study: Study, name: str) -> list[str]:
    """Raw forms a domain reads: its record sources and every form its operations look into."""
    spec = study.specs.sdtm[name]
    forms = [s["form"].lower() for s in sources_of(spec) if "form" in s]
    ops = [op for v in spec.variables for op in ops_of(v)] + [op for q in supp_items(spec) for op in ops_of(q)]
    forms += [f for op in ops for f, _ in raw_refs(op)]
    forms += [str(f).lower() for f in spec.options.get("reads", [])]
    return list(dict.fromkeys(forms))


def needs(study: Study, name: str) -> list[str]:
    """SDTM domains a domain reads (DM for reference dates, SE for EPOCH)."""
    if name in TRIAL_DESIGN or name == "DM":
        return []
    spec = study.specs.sdtm[name]
    algos = {op.get("algorithm") for v in spec.variables for op in ops_of(v)}
    deps = ["DM"]
    if "epoch" in algos:
        deps.append("SE")
    return deps


def lineage_path(study: Study, name: str, kind: str = "") -> Path:
    return study.sdtm / "lineage" / f"{name.lower()}{kind}.csv"


def context(study: Study, name: str) -> Context:
    dep = needs(study, name)
    dm = study.read_dataset("DM") if "DM" in dep or name == "SE" else None
    se = study.read_dataset("SE") if "SE" in dep else None
    return Context(specs=study.specs, raw_dir=study.raw, dm=dm, se=se)


def build(name: str, ctx: Context) -> DomainResult:
    """Build one domain in memory (its spec's builder, or the generic engine)."""
    spec = ctx.specs.sdtm[name]
    builder = spec.options.get("builder")
    if builder:
        return BUILDERS[builder](ctx, spec)
    return build_domain(name, ctx, spec)


def _lineage(res: DomainResult) -> pd.DataFrame:
    d = res.data
    seqvar = next((c for c in d.columns if c.endswith("SEQ")), None)
    mapped = pd.DataFrame({
        "DOMAIN": res.name, "FORM": d[FORM], "ROW": d[ROW],
        "SUBJECT": on_distinct(d["USUBJID"], lambda u: u.str.split("-", n=1).str[1]) if "USUBJID" in d else "",
        "USUBJID": d["USUBJID"] if "USUBJID" in d else "",
        "SEQ": d[seqvar] if seqvar else np.nan, "STATUS": "MAPPED", "REASON": ""})
    ex = res.excluded
    excluded = pd.DataFrame({"DOMAIN": res.name, "FORM": ex[FORM], "ROW": ex[ROW], "SUBJECT": ex["SUBJECT"],
                             "USUBJID": "", "SEQ": np.nan, "STATUS": "EXCLUDED", "REASON": ex["REASON"]})
    out = pd.concat([mapped, excluded], ignore_index=True)
    out["ROW"] = pd.to_numeric(out["ROW"], errors="coerce").astype("Int64")
    out["SEQ"] = pd.to_numeric(out["SEQ"], errors="coerce").astype("Int64")
    return out.sort_values(["FORM", "ROW", "STATUS"], kind="mergesort")[LINEAGE_COLUMNS]


def run_domain(study: Study, name: str) -> DomainResult:
    res = build(name, context(study, name))
    study.write_dataset(res.data.drop(columns=[FORM, ROW]), name)
    if res.supp is not None:
        study.write_dataset(res.supp.drop(columns=[FORM, ROW]), f"SUPP{name}")
    write_csv(lineage_path(study, name), _lineage(res))
    issues = res.issues.copy()
    issues["ROW"] = pd.to_numeric(issues["ROW"], errors="coerce").astype("Int64")
    write_csv(lineage_path(study, name, "_issues"), issues[ISSUE_COLUMNS])
    return res


def _joined(frame: pd.DataFrame, col: str, sep: str) -> pd.DataFrame:
    """Per (FORM, ROW): the sorted distinct values of col joined by sep (vectorised over records:
    one pass per distinct value, of which there are few - domains or exclusion reasons)."""
    keys = ["FORM", "ROW"]
    if frame.empty:
        return pd.DataFrame(columns=[*keys, col])
    values = sorted(frame[col].dropna().unique())
    if len(values) <= 62:  # each record's set of values as bits of one integer, joined once per set
        grouped = frame.groupby(keys, sort=True)
        group = grouped.ngroup().to_numpy()
        which = pd.Categorical(frame[col], categories=values).codes
        bits = np.zeros(grouped.ngroups, dtype=np.int64)
        for i in range(len(values)):
            bits[group[(which == i) & (group >= 0)]] |= np.int64(1) << i
        sets, inverse = np.unique(bits, return_inverse=True)
        joined = np.array([sep.join(v for i, v in enumerate(values) if b >> i & 1) for b in sets.tolist()],
                          dtype=object)
        text = pd.Series(joined[inverse.ravel()], index=grouped.size().index, name=col, dtype=object)
        return text.reset_index()
    present = pd.crosstab([frame["FORM"], frame["ROW"]], frame[col]) > 0
    text = pd.Series("", index=present.index, dtype=object)
    for value in sorted(present.columns):
        text = text + np.where(present[value], value + sep, "")
    return text.str.slice(0, -len(sep)).rename(col).reset_index()


def _records(raw: pd.DataFrame, mapped: pd.DataFrame, excl: pd.DataFrame) -> pd.DataFrame:
    """Each raw record with the domains it went to (DOMAINS, SUBJECT) and its exclusion reasons
    (REASON, XSUBJECT)."""
    keys = ["FORM", "ROW"]
    by_rec = _joined(mapped, "DOMAIN", ";").rename(columns={"DOMAIN": "DOMAINS"})
    exc = _joined(excl, "REASON", "; ")
    subj = mapped.drop_duplicates(keys)[[*keys, "SUBJECT"]]
    xsubj = excl.drop_duplicates(keys)[[*keys, "SUBJECT"]].rename(columns={"SUBJECT": "XSUBJECT"})
    try:  # match on one integer per (form, row) rather than on two text columns
        code = {f: i for i, f in enumerate(sorted({*raw["FORM"].unique(), *mapped["FORM"].unique(),
                                                   *excl["FORM"].unique()}))}
        raw = raw.assign(_KEY=_record_key(raw, code))
        by_rec, subj, exc, xsubj = (f.assign(_KEY=_record_key(f, code)).drop(columns=keys)
                                    for f in (by_rec, subj, exc, xsubj))
        on = "_KEY"
    except ValueError:  # a ROW that is not a number: match on the text
        on = keys
    by_rec = by_rec.merge(subj, on=on)
    exc = exc.merge(xsubj, on=on)
    rec = raw.merge(by_rec, on=on, how="left").merge(exc, on=on, how="left")
    return rec.drop(columns="_KEY", errors="ignore")


def _record_key(frame: pd.DataFrame, code: dict[str, int]) -> np.ndarray:
    """One integer per (FORM, ROW): the form's position, then the row number."""
    if frame.empty:
        return np.zeros(0, dtype=np.int64)
    form = on_distinct(frame["FORM"], lambda f: f.map(code)).to_numpy(dtype=np.int64)
    row = on_distinct(frame["ROW"].astype(str), lambda r: r.astype(np.int64)).to_numpy(dtype=np.int64)
    if (row < 0).any() or (row >= 1 << 32).any():
        raise ValueError("row number out of range")
    return form * (1 << 32) + row


def reconcile(study: Study, echo=click.echo) -> pd.DataFrame:
    """Every raw record mapped or excluded with a reason; the per-form summary; issues.csv."""
    names = domains(study)
    lineage = pd.concat([pd.read_csv(lineage_path(study, n), dtype=str, keep_default_na=False) for n in names],
                        ignore_index=True)
    issues = pd.concat([pd.read_csv(lineage_path(study, n, "_issues"), dtype=str, keep_default_na=False)
                        for n in names], ignore_index=True)
    lineage = lineage[~on_distinct(lineage["FORM"], lambda f: f.str.contains(":"))]  # derived, trial design
    rows = []
    for path in sorted(study.raw.glob("*.csv")):
        n = count_rows(path)
        rows.append(pd.DataFrame({"FORM": path.stem.lower(), "ROW": np.arange(1, n + 1).astype(str)}))
    raw = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["FORM", "ROW"])
    mapped = lineage[lineage["STATUS"] == "MAPPED"]
    excl = lineage[lineage["STATUS"] == "EXCLUDED"]
    rec = _records(raw, mapped, excl)
    rec["STATUS"] = np.where(rec["DOMAINS"].notna(), "MAPPED",
                             np.where(rec["REASON"].notna(), "EXCLUDED", "UNACCOUNTED"))
    rec["SUBJECT"] = rec["SUBJECT"].fillna(rec["XSUBJECT"]).fillna("")
    rec["REASON"] = rec["REASON"].where(rec["STATUS"] == "EXCLUDED", "").fillna("")
    rec["DOMAINS"] = rec["DOMAINS"].fillna("")
    rec["ROW"] = rec["ROW"].astype(int)
    rec = rec.sort_values(["FORM", "ROW"], kind="mergesort")[["FORM", "ROW", "SUBJECT", "STATUS", "DOMAINS", "REASON"]]
    write_csv(study.sdtm / "reconciliation.csv", rec)
    issues["_R"] = pd.to_numeric(issues["ROW"], errors="coerce")
    issues = issues.drop_duplicates(subset=["FORM", "ROW", "FIELD", "VALUE", "RULE"]) \
        .sort_values(["FORM", "_R", "FIELD", "DOMAIN"], kind="mergesort", na_position="first").drop(columns="_R")
    write_csv(study.sdtm / "issues.csv", issues[ISSUE_COLUMNS])
    # per-form summary: raw rows in, SDTM records out, excluded, unaccounted
    out = mapped.groupby("FORM").size()
    summary = pd.crosstab(rec["FORM"], rec["STATUS"]).reindex(columns=["MAPPED", "EXCLUDED", "UNACCOUNTED"],
                                                               fill_value=0)
    summary.columns = ["mapped", "excluded", "unaccounted"]
    summary.insert(0, "raw", summary.sum(axis=1))
    summary["sdtm"] = out.reindex(summary.index).fillna(0).astype(int)
    echo(f"{'form':<8} {'raw rows':>8} {'SDTM rows':>9} {'excluded':>8} {'unaccounted':>11}  domains")
    doms = _joined(mapped.assign(ROW=""), "DOMAIN", ",").set_index("FORM")["DOMAIN"]
    for form, r in summary.iterrows():
        echo(f"{form:<8} {r['raw']:>8} {r['sdtm']:>9} {r['excluded']:>8} {r['unaccounted']:>11}  {doms.get(form, '')}")
    tot = summary.sum()
    echo(f"{'total':<8} {tot['raw']:>8} {tot['sdtm']:>9} {tot['excluded']:>8} {tot['unaccounted']:>11}")
    echo(f"data issues: {len(issues)} (sdtm/issues.csv); reconciliation: sdtm/reconciliation.csv")
    if tot["unaccounted"]:
        first = rec[rec["STATUS"] == "UNACCOUNTED"].iloc[0]
        raise ValidationFailed(f"{int(tot['unaccounted'])} raw record(s) neither mapped nor excluded",
                               file=study.raw / f"{first['FORM']}.csv", row=int(first["ROW"]))
    return rec


def steps(study: Study) -> list[Step]:
    specs_dir = study.root / "specs"
    common = [specs_dir / "codelists.yaml", specs_dir / "study.yaml"]
    supp_tmpl = specs_dir / "sdtm" / "SUPPQUAL.yaml"
    out = []
    for name in domains(study):
        spec = study.specs.sdtm[name]
        dep = needs(study, name) + (["DM"] if name == "SE" else [])
        forms = forms_read(study, name) + (["eot"] if name == "SE" else [])
        inputs = [study.raw / f"{f}.csv" for f in forms] + [spec.path, *common]
        inputs += [study.xpt_path(d) for d in dep]
        if name == "SE":
            inputs += [study.specs.sdtm[n].path for n in ("TA", "TE") if n in study.specs.sdtm]
        outputs = [study.xpt_path(name), lineage_path(study, name), lineage_path(study, name, "_issues")]
        if supp_items(spec):
            outputs.append(study.xpt_path(f"SUPP{name}"))
            inputs.append(supp_tmpl)
        out.append(Step(layer="sdtm", target=name, run=partial(run_domain, study, name), inputs=inputs,
                        outputs=outputs, deps=[f"sdtm:{d}" for d in dict.fromkeys(dep)]))
    recon_inputs = sorted(study.raw.glob("*.csv")) + [lineage_path(study, n) for n in domains(study)] \
        + [lineage_path(study, n, "_issues") for n in domains(study)]
    out.append(Step(layer="sdtm", target="RECONCILE", run=partial(reconcile, study), inputs=recon_inputs,
                    outputs=[study.sdtm / "reconciliation.csv", study.sdtm / "issues.csv"],
                    deps=[f"sdtm:{n}" for n in domains(study)]))
    return out
