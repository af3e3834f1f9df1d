"""ADEX: one DOSE record per isatuximab administration and per-subject exposure summaries
(infusions, interrupted infusions, duration, cumulative dose, relative dose intensity)
(specs/adam/ADEX.yaml)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .common import SUBJ, Params, Rule, at_least, yn
from .derive import (combine_supp, derive_var_merged_summary, derive_var_obs_number,
                     derive_vars_dt, derive_vars_merged, filter_rows)

NAME = "ADEX"
SDTM = ("EX", "SUPPEX")
ADAM = ("ADSL",)
RULES = [Rule("one record per USUBJID and subject-level PARAMCD", "PARAMCD",
              lambda d: d.duplicated(["USUBJID", "PARAMCD"], keep=False) & d.PARAMCD.ne("DOSE")),
         at_least("AVAL", 0)]
ADSL_VARS = ["TRTSDT", "SAFFL"]


def planned_infusions(exposure_days: pd.Series, treatment: Mapping) -> pd.Series:
    """Number of schedule days (day 1 = first dose) on or before each exposure day count:
    cycle 1 on ``cycle1_days``, later cycles on ``later_cycle_days`` of each ``cycle_days``."""
    length = int(treatment["cycle_days"])
    longest = float(np.nanmax(exposure_days)) if exposure_days.notna().any() else 0.0
    cycles = int(longest // length) + 2
    days = np.sort(np.concatenate([np.asarray(treatment["cycle1_days"], dtype=float)]
                                  + [np.asarray(treatment["later_cycle_days"], dtype=float) + length * c
                                     for c in range(1, cycles)]))
    count = np.searchsorted(days, exposure_days.fillna(0).to_numpy(), side="right")
    return pd.Series(count, index=exposure_days.index, dtype="float64").where(exposure_days.notna())


def derive(sdtm, adam, p: Params) -> pd.DataFrame:
    adsl = adam["ADSL"]
    treatment = p.get("treatment")
    params = p.codelists["ADEXPARM"]
    ex = (sdtm["EX"].pipe(combine_supp, sdtm["SUPPEX"])
          .pipe(derive_vars_dt, "AST", "EXSTDTC", flag_imputation=False))
    blank = pd.Series("", index=ex.index, dtype="str")  # a SUPPEX QNAM with no record at all
    dose = pd.DataFrame({**{k: ex[k] for k in SUBJ}, "PARAMCD": "DOSE", "AVAL": ex["EXDOSE"],
                         "AVALU": ex["EXDOSU"], "ASTDT": ex["ASTDT"], "VISITNUM": ex["VISITNUM"],
                         "VISIT": ex["VISIT"], "AINTFL": yn(ex.get("INFINT", blank).eq("Y")),
                         "AINTRS": ex.get("INFINTRS", blank),
                         "SRCDOM": "EX", "SRCSEQ": ex["EXSEQ"]})
    infusions = "AVAL > 0"
    subjects = (filter_rows(adsl, "SAFFL == 'Y'")[[*SUBJ, "TRTDURW"]]
                .pipe(derive_var_merged_summary, dose, SUBJ, {"NINF": ("AVAL", "count"),
                                                              "CUMDOSE": ("AVAL", "sum")},
                      filter_add=infusions)
                .pipe(derive_var_merged_summary, dose, SUBJ, {"NINTINF": ("AVAL", "count")},
                      filter_add="AVAL > 0 and AINTFL == 'Y'"))
    planned = planned_infusions((subjects["TRTDURW"] * 7).round(), treatment)
    subjects = subjects.assign(DURWK=subjects["TRTDURW"],
                               RDI=100 * subjects["CUMDOSE"] / (float(treatment["dose"]) * planned))
    units = {"NINF": "INFUSIONS", "NINTINF": "INFUSIONS", "DURWK": "WEEKS",
             "CUMDOSE": treatment["dose_unit"], "RDI": "%"}
    summary = (subjects.melt(id_vars=SUBJ, value_vars=list(units), var_name="PARAMCD", value_name="AVAL")
               .assign(AVALU=lambda d: d.PARAMCD.map(units)))
    adex = pd.concat([dose, summary], ignore_index=True)
    adex = adex.assign(PARAM=adex.PARAMCD.map({t.value: t.decode for t in params.terms}),
                       PARAMN=adex.PARAMCD.map({c: float(i) for i, c in enumerate(params.values, 1)}))
    for c in ("AVALU", "VISIT", "AINTFL", "AINTRS", "SRCDOM"):
        adex[c] = adex[c].fillna("").astype("str")
    return (adex.pipe(derive_vars_merged, adsl, SUBJ, new_vars=ADSL_VARS)
            .pipe(derive_var_obs_number, "ASEQ", by_vars=SUBJ, order=["PARAMN", "ASTDT", "SRCSEQ"])
            .sort_values([*SUBJ, "ASEQ"], kind="stable").reset_index(drop=True))
