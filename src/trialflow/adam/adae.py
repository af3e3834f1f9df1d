"""ADAE: adverse events with analysis dates, treatment emergence, grades and flags
(specs/adam/ADAE.yaml)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .common import SUBJ, Params, one_record_per, yn
from .derive import (combine_supp, derive_var_contiguous_group, derive_var_extreme_flag,
                     derive_var_trtemfl, derive_vars_dt, derive_vars_dy, derive_vars_merged)

NAME = "ADAE"
SDTM = ("AE", "SUPPAE")
ADAM = ("ADSL",)
RULES = [one_record_per("USUBJID", "AESEQ")]
FIRST = ["ASTDT", "AESEQ"]


def derive(sdtm, adam, p: Params) -> pd.DataFrame:
    ae = sdtm["AE"]
    cutoff = pd.Timestamp(p.get("data_cutoff"))
    adae = (ae.pipe(combine_supp, sdtm["SUPPAE"])
            .pipe(derive_vars_merged, adam["ADSL"], SUBJ, new_vars=["TRTSDT", "TRTEDT", "SAFFL", "DTHDT"])
            .assign(_CUTOFF=cutoff)
            .pipe(derive_vars_dt, "AST", "AESTDTC", highest_imputation="M", date_imputation="first",
                  min_dates=["TRTSDT"])
            .pipe(derive_vars_dt, "AEN", "AEENDTC", highest_imputation="M", date_imputation="last",
                  max_dates=["DTHDT", "_CUTOFF"])
            .pipe(derive_vars_dy, "TRTSDT", ["ASTDT", "AENDT"]))
    adae = adae.assign(ATOXGR=adae["AETOXGR"],
                       ATOXGRN=pd.to_numeric(adae["AETOXGR"].replace("", np.nan)).astype("float64"))
    adae = (adae
            .pipe(derive_var_contiguous_group, "_EVENT", [*SUBJ, "AEDECOD"], "ASTDT", "AENDT")
            .pipe(derive_var_trtemfl, new_var="TRTEMFL", start_date="ASTDT", end_date="AENDT",
                  trt_start_date="TRTSDT", trt_end_date="TRTEDT",
                  end_window=p.conv("teae_window_days"), intensity="ATOXGRN", group_var="_EVENT"))
    adae = adae.assign(
        TRTEMFL=adae["TRTEMFL"].where(adae["SAFFL"].eq("Y"), ""),
        AEIRFL=yn(adae.get("AEIR", pd.Series("", index=adae.index)).eq("Y")),
        AEDISFL=yn(adae["AEACN"].eq("DRUG WITHDRAWN")),
        AEDTHFL=yn(adae["AEOUT"].eq("FATAL") | adae["ATOXGRN"].eq(5)))
    teae = "TRTEMFL == 'Y'"
    return (adae
            .pipe(derive_var_extreme_flag, "AOCCFL", by_vars=SUBJ, order=FIRST, filter=teae)
            .pipe(derive_var_extreme_flag, "AOCCSFL", by_vars=[*SUBJ, "AEBODSYS"], order=FIRST, filter=teae)
            .pipe(derive_var_extreme_flag, "AOCCPFL", by_vars=[*SUBJ, "AEBODSYS", "AEDECOD"], order=FIRST,
                  filter=teae)
            .sort_values([*SUBJ, "AESEQ"], kind="stable").reset_index(drop=True))
