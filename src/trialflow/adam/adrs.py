"""ADRS: overall response per assessment (OVR) and best overall response, clinical benefit,
objective response and disease control per subject (specs/adam/ADRS.yaml).

Precedence of responses is the order of codelist IMWGRESP (sCR best ... NE), so BOR is a list
of events, one per response, tried in that order; the DCR window is an argument.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .common import SUBJ, Params, Rule, days_between, one_record_per
from .derive import (derive_var_extreme_flag, derive_var_merged_summary, derive_var_obs_number,
                     derive_var_relative_flag, derive_vars_dt, derive_vars_dy, derive_vars_merged,
                     filter_rows)
from .events import Event, derive_extreme_event

NAME = "ADRS"
SDTM = ("RS", "CM")
ADAM = ("ADSL",)
RULES = [Rule("one record per USUBJID and subject-level PARAMCD", "PARAMCD",
              lambda d: d.duplicated(["USUBJID", "PARAMCD"], keep=False) & d.PARAMCD.ne("OVR")),
         one_record_per("USUBJID", "ASEQ")]
ADSL_VARS = ["TRTSDT", "SAFFL", "EFFFL"]
RESPONSES = "IMWGRESP"


# --------------------------------------------------------------------------- events
def bor_events(order: list[str]) -> list[Event]:
    """Best overall response: one event per response in precedence order (first date of the
    best), then NE for subjects without an analysable assessment."""
    return [*(Event(condition=lambda d, r=r: d.ANL02FL.eq("Y") & d.AVALC.eq(r),
                    set_values_to={"AVALC": r}, description=r) for r in order),
            Event(dataset_name="ADSL", keep_source_vars=ADSL_VARS, set_values_to={"AVALC": "NE"},
                  description="no analysable assessment")]


def responder_events(responders: list[str], dataset_name: str = "BOR") -> list[Event]:
    """Y when the subject's BOR is one of ``responders``, else N."""
    return [Event(dataset_name=dataset_name, condition=lambda d: d.AVALC.isin(responders),
                  set_values_to={"AVALC": "Y"}),
            Event(dataset_name="ADSL", keep_source_vars=ADSL_VARS, set_values_to={"AVALC": "N"})]


def dcr_events(order: list[str], sd_min_days: int) -> list[Event]:
    """Disease control: a response MR or better, or SD or better at least ``sd_min_days`` days
    after first dose (ADT - TRTSDT >= sd_min_days); else N."""
    mr_or_better, sd_or_better = order[: order.index("MR") + 1], order[: order.index("SD") + 1]
    analysed = lambda d: d.ANL02FL.eq("Y")  # noqa: E731
    return [Event(condition=lambda d: analysed(d) & d.AVALC.isin(mr_or_better),
                  set_values_to={"AVALC": "Y"}, description="MR or better"),
            Event(condition=lambda d: analysed(d) & d.AVALC.isin(sd_or_better)
                  & (days_between(d.ADT, d.TRTSDT) >= sd_min_days),
                  set_values_to={"AVALC": "Y"}, description=f"SD >= {sd_min_days} days"),
            Event(dataset_name="ADSL", keep_source_vars=ADSL_VARS, set_values_to={"AVALC": "N"})]


# --------------------------------------------------------------------------- dataset
def new_anticancer_therapy(cm, adsl, p: Params) -> pd.DataFrame:
    """First start of a concomitant anticancer medication after first dose (NACTDT)."""
    drugs = [d for cls in p.get("drug_classes") if cls != "CORTICOSTEROID" for d in p.drugs(cls)]
    meds = (filter_rows(cm, lambda d: d.CMCAT.eq("CONCOMITANT MEDICATION") & d.CMDECOD.isin(drugs))
            .pipe(derive_vars_dt, "AST", "CMSTDTC", highest_imputation="M", date_imputation="first")
            .pipe(derive_vars_merged, adsl, SUBJ, new_vars=["TRTSDT"]))
    return derive_var_merged_summary(adsl[SUBJ], meds, SUBJ, {"NACTDT": ("ASTDT", "min")},
                                     filter_add=lambda d: d.ASTDT > d.TRTSDT)


def overall_responses(rs, adsl, nact, p: Params) -> pd.DataFrame:
    order = p.terms(RESPONSES)
    rank = {r: float(i) for i, r in enumerate(order, start=1)}
    ovr = filter_rows(rs, "RSTESTCD == 'OVRLRESP' and RSCAT == 'IMWG'")
    ovr = (pd.DataFrame({**{k: ovr[k] for k in SUBJ}, "PARAMCD": "OVR", "AVALC": ovr["RSSTRESC"],
                         "AVAL": ovr["RSSTRESC"].map(rank), "RSDTC": ovr["RSDTC"],
                         "AVISIT": ovr["VISIT"], "AVISITN": ovr["VISITNUM"], "SRCDOM": "RS",
                         "SRCVAR": "RSSTRESC", "SRCSEQ": ovr["RSSEQ"]})
           .pipe(derive_vars_merged, adsl, SUBJ, new_vars=ADSL_VARS)
           .pipe(derive_vars_merged, nact, SUBJ, new_vars=["NACTDT"])
           .pipe(derive_vars_dt, "A", "RSDTC", flag_imputation=False)
           .pipe(derive_vars_dy, "TRTSDT", ["ADT"]))
    evaluable = lambda d: (d.AVALC.ne("") & d.ADT.notna() & (d.ADT > d.TRTSDT)  # noqa: E731
                           & (d.NACTDT.isna() | (d.ADT <= d.NACTDT)))
    worst = ovr["AVAL"].where(ovr["AVALC"].ne("NE"), 0.0)  # NE counts only when alone that day
    return (ovr.assign(_WORST=worst)
            .pipe(derive_var_extreme_flag, "ANL01FL", by_vars=[*SUBJ, "ADT"], order=["_WORST", "SRCSEQ"],
                  mode="last", filter=evaluable)
            .pipe(derive_var_relative_flag, SUBJ, ["ADT", "SRCSEQ"], "_UPTOPD",
                  condition="ANL01FL == 'Y' and AVALC == 'PD'", mode="first", selection="before")
            .assign(ANL02FL=lambda d: np.where(d.ANL01FL.eq("Y") & d._UPTOPD.eq("Y"), "Y", "")))


def derive(sdtm, adam, p: Params) -> pd.DataFrame:
    adsl = adam["ADSL"]
    order = p.terms(RESPONSES)
    rank = {r: float(i) for i, r in enumerate(order, start=1)}
    params = p.codelists["ADRSPARM"]
    ovr = overall_responses(sdtm["RS"], adsl, new_anticancer_therapy(sdtm["CM"], adsl, p), p)
    sources = {"ADSL": adsl}
    subject_level = {"ANL01FL": "Y", "ANL02FL": "", "AVISIT": "", "AVISITN": np.nan}
    yes_no = {"AVAL": lambda d: d.AVALC.eq("Y").astype("float64")}

    def parameter(df, events, paramcd, aval):
        """New records (one per ADSL subject) of parameter ``paramcd`` from ``events``."""
        out = derive_extreme_event(df, SUBJ, events, order=["ADT", "SRCSEQ"], mode="first",
                                   source_datasets=sources,
                                   set_values_to={"PARAMCD": paramcd, **subject_level, **aval})
        return out[out.PARAMCD.eq(paramcd)]

    bor = sources["BOR"] = parameter(ovr, bor_events(order), "BOR", {"AVAL": lambda d: d.AVALC.map(rank)})
    cbr = parameter(ovr.iloc[:0], responder_events(order[: order.index("MR") + 1]), "CBR", yes_no)
    orr = parameter(ovr.iloc[:0], responder_events(order[: order.index("PR") + 1]), "ORR", yes_no)
    dcr = parameter(ovr, dcr_events(order, p.conv("dcr_sd_min_days")), "DCR", yes_no)
    paramn = {c: float(i) for i, c in enumerate(params.values, start=1)}
    adrs = pd.concat([ovr, bor, cbr, orr, dcr], ignore_index=True)
    decode = {t.value: t.decode for t in params.terms}
    adrs = (adrs.assign(PARAM=adrs.PARAMCD.map(decode), PARAMN=adrs.PARAMCD.map(paramn))
            .drop(columns="ADY").pipe(derive_vars_dy, "TRTSDT", ["ADT"]))
    for c in ("SRCDOM", "SRCVAR", "AVISIT", "ANL01FL", "ANL02FL"):
        adrs[c] = adrs[c].fillna("").astype("str")
    return (adrs.pipe(derive_var_obs_number, "ASEQ", by_vars=SUBJ, order=["PARAMN", "ADT", "SRCSEQ"])
            .sort_values([*SUBJ, "ASEQ"], kind="stable").reset_index(drop=True))
