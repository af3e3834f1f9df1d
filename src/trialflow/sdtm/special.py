"""The two SDTM datasets whose records are not raw rows: SE (subject elements, from DM and the
end-of-treatment form) and the planned-visit records of TV (from the schedule in study.yaml).

Element codes, names, order and epochs are read from the TA spec's records, the schedule from
specs/study.yaml: nothing here restates the protocol.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpecError
from ..metadata.model import DatasetSpec
from . import mapping as mp
from .engine import Context, DomainResult, sources_of
from .mapping import FORM, ROW, Issues


def arm_elements(ctx: Context) -> pd.DataFrame:
    """ETCD, ELEMENT, TAETORD, EPOCH of the planned arm, from the TA spec's records."""
    ta = ctx.specs.sdtm.get("TA")
    recs = [r for s in (sources_of(ta) if ta else []) for r in s.get("records", [])]
    if not recs:
        raise SpecError("SE needs the TA spec's records (ETCD, ELEMENT, TAETORD, EPOCH)", field="TA")
    te = ctx.specs.sdtm.get("TE")
    names = {r["ETCD"]: r.get("ELEMENT", "") for s in (sources_of(te) if te else []) for r in s.get("records", [])}
    out = pd.DataFrame(recs)[["ETCD", "TAETORD", "EPOCH"]].drop_duplicates("ETCD")
    out["ELEMENT"] = out["ETCD"].map(names).fillna("")
    return out.sort_values("TAETORD").reset_index(drop=True)


def build_se(ctx: Context, spec: DatasetSpec) -> DomainResult:
    """One record per subject per element actually entered.

    SCREENING: informed consent (RFICDTC) to first dose (RFXSTDTC; RFPENDTC if never dosed).
    TREATMENT: first dose to the end-of-treatment date (eot.EOTDAT); open while on treatment.
    FOLLOW-UP: the day after end of treatment to the end of participation (RFPENDTC).
    """
    dm = ctx.dm
    if dm is None:
        raise SpecError("SE needs DM", field="SE")
    el = arm_elements(ctx).set_index("EPOCH")
    eot = ctx.form("eot")
    eot_dt = mp.subject_extreme(pd.DataFrame({
        "SUBJECT": eot.data["SUBJECT"].str.strip(),
        "VALUE": mp.assign_datetime(eot.data, "EOTDAT", file=eot.path)}), "min")
    subj = dm["USUBJID"].str.slice(len(ctx.studyid) + 1)
    eotd = subj.map(eot_dt).fillna("").astype(str).str.slice(0, 10)
    eotd = eotd.where(dm["RFXSTDTC"] != "", "")
    rfpen = dm["RFPENDTC"].astype(str)
    fu_start = (pd.to_datetime(eotd.where(eotd.str.len() == 10, None), format="%Y-%m-%d")
                + pd.Timedelta(days=1)).dt.strftime("%Y-%m-%d").fillna("")
    parts = []

    def part(epoch: str, keep: pd.Series, start: pd.Series, end: pd.Series) -> None:
        if epoch not in el.index:
            raise SpecError(f"TA has no element for epoch {epoch}", field="TA.EPOCH", value=epoch)
        e = el.loc[epoch]
        parts.append(pd.DataFrame({
            "STUDYID": ctx.studyid, "DOMAIN": "SE", "USUBJID": dm.loc[keep, "USUBJID"],
            "ETCD": e["ETCD"], "ELEMENT": e["ELEMENT"], "TAETORD": float(e["TAETORD"]), "EPOCH": epoch,
            "SESTDTC": start[keep], "SEENDTC": end[keep]}))

    treated = dm["RFXSTDTC"] != ""
    part("SCREENING", dm["RFICDTC"] != "", dm["RFICDTC"], dm["RFXSTDTC"].where(treated, rfpen))
    part("TREATMENT", treated, dm["RFXSTDTC"], eotd)
    fu = (fu_start != "") & (rfpen.str.slice(0, 10) >= fu_start)
    part("FOLLOW-UP", fu, fu_start, rfpen)
    se = pd.concat(parts, ignore_index=True)
    se["SESEQ"] = mp.derive_seq(se, ["TAETORD"])
    ref = se["USUBJID"].map(dm.set_index("USUBJID")["RFSTDTC"]).fillna("")
    se["SESTDY"] = mp.derive_study_day(se["SESTDTC"], ref)
    se["SEENDY"] = mp.derive_study_day(se["SEENDTC"], ref)
    se[FORM], se[ROW] = "sdtm:DM", np.nan
    se = se.sort_values(["USUBJID", "SESEQ"], kind="mergesort").reset_index(drop=True)
    for v in spec.variables:
        if v.name not in se:
            se[v.name] = "" if v.is_char else np.nan
    return DomainResult(name="SE", data=se[[*spec.names, FORM, ROW]], supp=None,
                        excluded=pd.DataFrame(columns=[FORM, ROW, "SUBJECT", "REASON"]),
                        issues=Issues(domain="SE").frame(), forms={"eot": eot.n_rows})


def planned_visits(ctx: Context, src: dict[str, Any]) -> list[dict[str, Any]]:
    """TV records from the schedule in study.yaml: screening, every dosing day of the first
    `cycles` cycles, end of treatment and `follow_up` follow-up visits (VISITNUM per contract)."""
    tr = ctx.specs.study.get("treatment") or {}
    try:
        cycle_days = int(tr["cycle_days"])
        c1 = [int(d) for d in tr["cycle1_days"]]
        later = [int(d) for d in tr["later_cycle_days"]]
    except (KeyError, TypeError, ValueError):
        raise SpecError("study.yaml treatment needs cycle_days, cycle1_days, later_cycle_days",
                        field="treatment") from None
    recs = [{"VISITNUM": 1, "VISIT": "SCREENING", "VISITDY": np.nan,
             "TVSTRL": "Within 28 days before the first dose"}]
    for c in range(1, int(src.get("cycles", 1)) + 1):
        for d in (c1 if c == 1 else later):
            recs.append({"VISITNUM": c * 100 + d, "VISIT": f"CYCLE {c} DAY {d}", "VISITDY": (c - 1) * cycle_days + d,
                         "TVSTRL": f"Day {d} of cycle {c} ({cycle_days}-day cycles)"})
    recs.append({"VISITNUM": 9000, "VISIT": "END OF TREATMENT", "VISITDY": np.nan,
                 "TVSTRL": "At the decision to stop study treatment"})
    for k in range(1, int(src.get("follow_up", 0)) + 1):
        recs.append({"VISITNUM": 9000 + k, "VISIT": f"FOLLOW-UP {k}", "VISITDY": np.nan,
                     "TVSTRL": f"Survival follow-up contact {k} after end of treatment"})
    return recs


BUILDERS = {"subject_elements": build_se}
RECORD_BUILDERS = {"planned_visits": planned_visits}
