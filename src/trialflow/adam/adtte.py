"""ADTTE: progression-free survival, overall survival and duration of treatment, one record per
treated subject and parameter (specs/adam/ADTTE.yaml).

Each parameter is derive_param_tte with its event and censoring sources: the earliest event
wins (same date: the source listed first); without event, the latest censoring date.
"""

from __future__ import annotations

import pandas as pd

from .common import SUBJ, Params, at_least, one_record_per, values_in
from .derive import derive_vars_merged, filter_rows
from .events import CensorSource, EventSource, derive_param_tte

NAME = "ADTTE"
SDTM = ()
ADAM = ("ADSL", "ADRS")
RULES = [one_record_per("USUBJID", "PARAMCD"), values_in("CNSR", [0.0, 1.0]), at_least("AVAL", 0)]

PD = EventSource("ADRS", "ADT", filter="AVALC == 'PD'",
                 set_values_to={"EVNTDESC": "DISEASE PROGRESSION"})
DEATH = EventSource("ADSL", "DTHDT", set_values_to={"EVNTDESC": "DEATH"})
LAST_ADEQUATE = CensorSource("ADRS", "ADT", filter="AVALC != 'NE'",
                             set_values_to={"EVNTDESC": "LAST ADEQUATE ASSESSMENT",
                                            "CNSDTDSC": "LAST ADEQUATE ASSESSMENT"})
NO_ASSESSMENT = CensorSource("ADSL", "TRTSDT", set_values_to={"EVNTDESC": "NO ADEQUATE ASSESSMENT",
                                                              "CNSDTDSC": "FIRST DOSE"})
ALIVE = CensorSource("ADSL", "LSTALVDT", set_values_to={"EVNTDESC": "LAST KNOWN ALIVE",
                                                        "CNSDTDSC": "LAST KNOWN ALIVE DATE"})
DISCONTINUED = EventSource("ADSL", "TRTEDT", filter="EOTSTT == 'DISCONTINUED'",
                           set_values_to={"EVNTDESC": "TREATMENT DISCONTINUED"})
ONGOING = CensorSource("ADSL", "TRTEDT", filter="EOTSTT != 'DISCONTINUED'",
                       set_values_to={"EVNTDESC": "TREATMENT ONGOING", "CNSDTDSC": "LAST DOSE"})

PARAMETERS = {  # PARAMCD: (events, censorings)
    "PFS": ([PD, DEATH], [LAST_ADEQUATE, NO_ASSESSMENT]),
    "OS": ([DEATH], [ALIVE]),
    "DOT": ([DISCONTINUED], [ONGOING]),
}


def derive(sdtm, adam, p: Params) -> pd.DataFrame:
    adsl = filter_rows(adam["ADSL"], "SAFFL == 'Y'")
    analysed = filter_rows(adam["ADRS"], "PARAMCD == 'OVR' and ANL02FL == 'Y'")
    sources = {"ADSL": adsl, "ADRS": analysed}
    params = p.codelists["ADTTEPRM"]
    adtte = None
    for paramcd, (events, censors) in PARAMETERS.items():
        adtte = derive_param_tte(adsl, sources, events, censors, start_date="TRTSDT", dataset=adtte,
                                 set_values_to={"PARAMCD": paramcd, "PARAM": params.decode(paramcd),
                                                "PARAMN": float(params.values.index(paramcd) + 1)})
    adtte = adtte.assign(AVALU="DAYS", AVALM=adtte["AVAL"] / p.conv("days_per_month"))
    return (adtte.pipe(derive_vars_merged, adsl, SUBJ, new_vars=["SAFFL", "EFFFL"])
            .sort_values([*SUBJ, "PARAMN"], kind="stable").reset_index(drop=True))
