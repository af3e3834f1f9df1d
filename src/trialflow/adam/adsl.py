"""ADSL: one record per subject of DM (specs/adam/ADSL.yaml).

Each block is a short pipeline of the library's named derivations; windows, cut-offs and drug
classes are the study parameters of specs/study.yaml, response order is codelist order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from .common import SUBJ, Params, cut_groups, days_between, one_record_per, yn
from .derive import (combine_supp, derive_var_extreme_flag, derive_var_merged_exist_flag,
                     derive_var_merged_summary, derive_vars_cat, derive_vars_dt,
                     derive_vars_duration, derive_vars_merged, filter_rows)
from .events import DateSource, derive_var_extreme_dt

NAME = "ADSL"
SDTM = ("DM", "DS", "DD", "EX", "CM", "SUPPCM", "MH", "SUPPMH", "LB", "RS", "CP", "GF", "SS",
        "SV", "AE")
ADAM = ()
RULES = [one_record_per("USUBJID")]

DM_VARS = ["STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU", "SEX", "RACE", "ETHNIC",
           "COUNTRY", "ARM", "ACTARM"]
PRIOR = "CMCAT == 'PRIOR ANTICANCER THERAPY'"
EXPOSED = {"ALKYLFL": "ALKYLATOR", "IMIDFL": "IMID", "PIFL": "PI", "DARAFL": "ANTICD38"}
REFRACTORY = {"IMIDRFL": "IMID", "PIRFL": "PI", "DARARFL": "ANTICD38"}
DARA = "ANTICD38"
CYTO_FLAGS = {"DEL17P": "DEL17PFL", "T4_14": "T414FL", "T14_16": "T1416FL"}
MMTYPE = [("HCTYPE == 'IGG'", {"MMTYPE": "IgG"}),
          ("HCTYPE == 'IGA'", {"MMTYPE": "IgA"}),
          ("HCTYPE == 'IGM'", {"MMTYPE": "IgM"}),
          ("HCTYPE == 'IGD'", {"MMTYPE": "IgD"}),
          ("HCTYPE == 'NONE' and LCTYPE == 'KAPPA'", {"MMTYPE": "Kappa light chain only"}),
          ("HCTYPE == 'NONE' and LCTYPE == 'LAMBDA'", {"MMTYPE": "Lambda light chain only"})]
ALIVE_SOURCES = [DateSource("EX", "EXSTDTC"), DateSource("EX", "EXENDTC"),
                 DateSource("RS", "RSDTC"), DateSource("LB", "LBDTC"),
                 DateSource("AE", "AESTDTC"), DateSource("AE", "AEENDTC"),
                 DateSource("SV", "SVSTDTC"), DateSource("DS", "DSSTDTC"),
                 DateSource("SS", "SSDTC", filter="SSSTRESC == 'ALIVE'")]


def derive(sdtm, adam, p: Params) -> pd.DataFrame:
    dm = sdtm["DM"]
    agents, regimens = prior_regimens(sdtm["CM"], sdtm["SUPPCM"], p)
    adsl = (dm[DM_VARS].assign(TRT01P=dm["ARM"], TRT01A=dm["ACTARM"])
            .pipe(derive_vars_cat, cut_groups("AGEGR1", p.conv("age_cuts"), "AGE", numbered="AGEGR1N"))
            .pipe(treatment, sdtm["EX"], p)
            .pipe(disease_at_entry, sdtm, p)
            .pipe(prior_therapy, agents, regimens, p)
            .pipe(daratumumab, agents, regimens, p)
            .pipe(cd38, sdtm["CP"], p)
            .pipe(derive_var_merged_exist_flag, sdtm["CM"], SUBJ, "DEXFL",
                  condition="CMCAT == 'PROTOCOL DEXAMETHASONE'")
            .pipe(disposition_and_death, sdtm)
            .pipe(derive_var_extreme_dt, "LSTALVDT", ALIVE_SOURCES, sdtm)
            .pipe(efficacy_population, sdtm["RS"], p))
    return adsl.sort_values("USUBJID", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- treatment
def treatment(adsl, ex, p: Params):
    """TRTSDT/TRTEDT (EX with dose > 0), SAFFL, exposure weeks with the last dose's interval."""
    interval = p.get("treatment", "planned_interval_days")
    ex = ex.pipe(derive_vars_dt, "AST", "EXSTDTC")
    dosed = lambda d: (d.EXDOSE > 0) & d.ASTDT.notna()  # noqa: E731 - dose given, complete date
    adsl = (adsl
            .pipe(derive_vars_merged, ex, SUBJ, new_vars={"TRTSDT": "ASTDT"}, filter_add=dosed,
                  order=["ASTDT", "EXSEQ"], mode="first")
            .pipe(derive_vars_merged, ex, SUBJ, new_vars={"TRTEDT": "ASTDT", "_LASTVIS": "VISITNUM"},
                  filter_add=dosed, order=["ASTDT", "EXSEQ"], mode="last")
            .pipe(derive_var_merged_exist_flag, ex, SUBJ, "SAFFL", condition="EXDOSE > 0"))
    last_interval = np.where(np.floor(adsl["_LASTVIS"] / 100) == 1, interval["cycle1"], interval["later"])
    exp_days = days_between(adsl["TRTEDT"], adsl["TRTSDT"]) + last_interval
    return adsl.assign(_EXPDAYS=exp_days, TRTDURW=exp_days / 7)


# --------------------------------------------------------------------------- disease at entry
def disease_at_entry(adsl, sdtm, p: Params):
    """Diagnosis (years, myeloma type), ISS from baseline labs, ECOG, cytogenetic risk."""
    iss = p.conv("iss")
    diag = (filter_rows(sdtm["MH"], "MHCAT == 'PRIMARY DIAGNOSIS'")
            .pipe(combine_supp, sdtm["SUPPMH"])
            .pipe(derive_vars_dt, "DIAG", "MHSTDTC", highest_imputation="M", date_imputation="first"))
    baseline_lab = filter_rows(sdtm["LB"], "LBLOBXFL == 'Y'")
    adsl = (adsl
            .pipe(derive_vars_merged, diag, SUBJ, new_vars=["DIAGDT", "HCTYPE", "LCTYPE"])
            .pipe(derive_vars_duration, "DIAGYRS", "DIAGDT", "TRTSDT", out_unit="years",
                  add_one=False, days_per_year=p.conv("days_per_year"))
            .pipe(derive_vars_cat, MMTYPE)
            .pipe(derive_vars_merged, baseline_lab, SUBJ, new_vars={"B2MBL": "LBSTRESN"},
                  filter_add="LBTESTCD == 'B2MICG'")
            .pipe(derive_vars_merged, baseline_lab, SUBJ, new_vars={"ALBBL": "LBSTRESN"},
                  filter_add="LBTESTCD == 'ALB'")
            .pipe(derive_vars_cat, [
                (lambda d: d.B2MBL.isna() | d.ALBBL.isna(), {"ISS": "Unknown"}),
                (lambda d: (d.B2MBL < iss["b2m_low"]) & (d.ALBBL >= iss["albumin_low"]), {"ISS": "I"}),
                (lambda d: d.B2MBL >= iss["b2m_high"], {"ISS": "III"}),
                (None, {"ISS": "II"})])
            .pipe(derive_vars_merged, sdtm["RS"], SUBJ, new_vars={"ECOGBL": "RSSTRESN"},
                  filter_add="RSTESTCD == 'ECOG101' and RSLOBXFL == 'Y'"))
    tested = filter_rows(sdtm["GF"], lambda d: d.GFSTRESN.notna())
    for testcd, cut in p.conv("cytogenetic_high_risk").items():
        adsl = derive_var_merged_exist_flag(adsl, tested, SUBJ, CYTO_FLAGS[testcd],
                                            condition=lambda d, c=cut: d.GFSTRESN >= c,
                                            filter_add=lambda d, t=testcd: d.GFTESTCD == t,
                                            missing_value="")
    flags = list(CYTO_FLAGS.values())
    return adsl.pipe(derive_vars_cat, [
        (lambda d: d[flags].eq("Y").any(axis=1), {"CYTORISK": "High"}),
        (lambda d: d[flags].eq("N").all(axis=1), {"CYTORISK": "Standard"}),  # every probe tested, none positive
        (None, {"CYTORISK": "Unknown"})])


# --------------------------------------------------------------------------- prior therapy
def _number(s: pd.Series, field: str) -> pd.Series:
    num = pd.to_numeric(s.replace("", np.nan), errors="coerce")
    bad = num.isna() & s.ne("")
    if bad.any():
        raise InputError("not a number", row=bad.idxmax(), field=field, value=s[bad.idxmax()])
    return num.astype("float64")


def prior_regimens(cm, suppcm, p: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Prior anticancer agents (CM + SUPPCM) and one record per regimen (CMGRPID) with start,
    end, progression date, refractoriness, last-line flag and the classes/drugs it holds."""
    classes = {c: p.drugs(c) for c in (*EXPOSED.values(), DARA)}
    named = sorted({*p.get("quad_refractory"), *p.get("penta_refractory")})
    window = pd.Timedelta(days=p.conv("refractory_window_days"))
    agents = (filter_rows(cm, PRIOR)
              .pipe(combine_supp, suppcm)
              .pipe(derive_vars_dt, "AST", "CMSTDTC", highest_imputation="M", date_imputation="first")
              .pipe(derive_vars_dt, "AEN", "CMENDTC", highest_imputation="M", date_imputation="last"))
    for q in ("LINENUM", "BESTRESP", "PDDTC"):
        if q not in agents.columns:
            agents[q] = pd.Series("", index=agents.index, dtype="str")
    agents = agents.assign(
        LINENUM=_number(agents["LINENUM"], "SUPPCM.LINENUM"),
        ANTICA=agents["CMDECOD"].where(~agents["CMDECOD"].isin(p.drugs("CORTICOSTEROID"))),
        **{c: agents["CMDECOD"].isin(drugs) for c, drugs in classes.items()},
        **{f"D_{d}": agents["CMDECOD"].eq(d) for d in named})
    flags = [*classes, *(f"D_{d}" for d in named)]
    regimen_level = {q: agents[q].where(agents[q].ne("")) for q in ("PDDTC", "BESTRESP")}
    regimens = (agents.assign(**regimen_level).groupby([*SUBJ, "CMGRPID"], sort=True)
                .agg(RSTDT=("ASTDT", "min"), RENDT=("AENDT", "max"), LINENUM=("LINENUM", "max"),
                     PDDTC=("PDDTC", "first"), BESTRESP=("BESTRESP", "first"),
                     NAGENTS=("ANTICA", "nunique"), **{f: (f, "any") for f in flags})
                .reset_index()
                .fillna({"PDDTC": "", "BESTRESP": ""})
                .pipe(derive_vars_dt, "PD", "PDDTC", highest_imputation="M",
                      date_imputation="first", min_dates=["RSTDT"])
                .assign(REFRFL=lambda d: d.PDDT.notna() & (d.PDDT >= d.RSTDT)
                        & (d.RENDT.isna() | (d.PDDT <= d.RENDT + window)),
                        DURD=lambda d: days_between(d.RENDT, d.RSTDT) + 1)
                .pipe(derive_var_extreme_flag, "LASTFL", by_vars=SUBJ, order=["LINENUM"],
                      mode="last", filter=lambda d: d.LINENUM.notna()))
    return agents, regimens


def prior_therapy(adsl, agents, regimens, p: Params):
    """Lines, exposure and refractoriness by class and drug, refractory to the last line."""
    adsl = (adsl
            .pipe(derive_var_merged_summary, regimens, SUBJ, {"PRLINES": ("CMGRPID", "nunique")})
            .pipe(derive_vars_cat, cut_groups("PRLINGR1", [p.conv("prior_lines_cut")], "PRLINES")))
    for var, cls in EXPOSED.items():
        adsl = derive_var_merged_exist_flag(adsl, agents, SUBJ, var, condition=lambda d, c=cls: d[c])
    for var, cls in REFRACTORY.items():
        adsl = derive_var_merged_exist_flag(adsl, regimens, SUBJ, var,
                                            condition=lambda d, c=cls: d.REFRFL & d[c])
    for drug in sorted({*p.get("quad_refractory"), *p.get("penta_refractory")}):
        adsl = derive_var_merged_exist_flag(adsl, regimens, SUBJ, f"_R_{drug}",
                                            condition=lambda d, x=drug: d.REFRFL & d[f"D_{x}"])
    refractory_to_all = lambda key: adsl[[f"_R_{d}" for d in p.get(key)]].eq("Y").all(axis=1)  # noqa: E731
    return (adsl
            .assign(PIIMIDFL=yn(adsl.PIFL.eq("Y") & adsl.IMIDFL.eq("Y")),
                    DBLRFL=yn(adsl.PIRFL.eq("Y") & adsl.IMIDRFL.eq("Y")),
                    QUADRFL=yn(refractory_to_all("quad_refractory")),
                    PENTARFL=yn(refractory_to_all("penta_refractory")))
            .pipe(derive_var_merged_exist_flag, regimens, SUBJ, "LASTRFL",
                  condition=lambda d: d.LASTFL.eq("Y") & d.REFRFL))


def daratumumab(adsl, agents, regimens, p: Params):
    """Dara lines, type, duration, best response, last dose, washout, Dara as last line."""
    dara = lambda d: d[DARA]  # noqa: E731 - regimens/agents holding an anti-CD38 agent
    best = p.terms("DARABOR")  # CR, VGPR, PR, MR, SD, PD: best first
    rank = regimens["BESTRESP"].replace({"sCR": "CR"}).map({t: float(i) for i, t in enumerate(best)})
    adsl = (adsl
            .pipe(derive_var_merged_summary, regimens.assign(_RANK=rank), SUBJ,
                  {"DARALN": ("CMGRPID", "nunique"), "_DAYS": ("DURD", "sum"),
                   "_RANK": ("_RANK", "min")}, filter_add=dara)
            .pipe(derive_var_merged_exist_flag, regimens, SUBJ, "DARATYP", condition="NAGENTS > 1",
                  true_value="Combination", false_value="Monotherapy", missing_value="",
                  filter_add=dara)
            .pipe(derive_var_merged_exist_flag, regimens, SUBJ, "DARALAST",
                  condition=lambda d: d.LASTFL.eq("Y") & d[DARA])
            .pipe(derive_var_merged_summary, agents, SUBJ, {"LDARADT": ("AENDT", "max")},
                  filter_add=dara))
    adsl = adsl.assign(DARADURM=adsl["_DAYS"] / p.conv("days_per_month"),
                       DARABOR=adsl["_RANK"].map(dict(enumerate(best))).fillna("").astype("str"),
                       WASHWK=days_between(adsl["TRTSDT"], adsl["LDARADT"]) / 7)
    adsl = adsl.pipe(derive_vars_cat, cut_groups("DARADURG", [p.conv("dara_duration_months_cut")],
                                                  "DARADURM"))
    for i, cut in enumerate(p.conv("washout_weeks_cuts"), start=1):
        adsl = adsl.pipe(derive_vars_cat, cut_groups(f"WASHGR{i}", [cut], "WASHWK"))
    return adsl


def cd38(adsl, cp, p: Params):
    """Baseline CD38 receptor density (last on/before first dose), its groups and timing."""
    low, high = min(p.conv("cd38_cuts")), max(p.conv("cd38_cuts"))
    tests = (filter_rows(cp, "CPTESTCD == 'CD38RD'")
             .pipe(derive_vars_dt, "CD38", "CPDTC")
             .pipe(derive_vars_merged, adsl, SUBJ, new_vars={"_TRTSDT": "TRTSDT"}))
    baseline = lambda d: (d.CPSTRESN.notna() & d.CD38DT.notna()  # noqa: E731
                          & (d._TRTSDT.isna() | (d.CD38DT <= d._TRTSDT)))
    adsl = (adsl
            .pipe(derive_vars_merged, tests, SUBJ, new_vars={"CD38RD": "CPSTRESN", "CD38DT": "CD38DT"},
                  filter_add=baseline, order=["CD38DT", "CPSEQ"], mode="last")
            .pipe(derive_vars_cat, [*cut_groups("CD38GR1", [high], "CD38RD"),
                                    (None, {"CD38GR1": "Not measured"})]))
    measured = adsl["CD38RD"].notna()
    return adsl.assign(CD38LOW=yn(adsl["CD38RD"] < low).where(measured, ""),
                       CD38WK=days_between(adsl["CD38DT"], adsl["LDARADT"]) / 7)


# --------------------------------------------------------------------------- disposition, death
def disposition_and_death(adsl, sdtm):
    eot = (filter_rows(sdtm["DS"], "DSCAT == 'DISPOSITION EVENT' and DSSCAT == 'END OF TREATMENT'")
           .pipe(derive_vars_dt, "EOT", "DSSTDTC"))
    dm = sdtm["DM"].pipe(derive_vars_dt, "DTH", "DTHDTC", highest_imputation="M")
    adsl = (adsl
            .pipe(derive_vars_merged, eot, SUBJ, new_vars={"DCSREAS": "DSDECOD", "EOTDT": "EOTDT"},
                  exist_flag="EOTSTT", true_value="DISCONTINUED", false_value="ONGOING")
            .pipe(derive_vars_merged, dm, SUBJ, new_vars={"DTHDT": "DTHDT", "DTHDTF": "DTHDTF",
                                                          "_DTHFL": "DTHFL"})
            .pipe(derive_vars_merged, sdtm["DD"], SUBJ, new_vars={"DTHCAUSE": "DDSTRESC"},
                  filter_add="DDTESTCD == 'PRCDTH'"))
    return adsl.assign(DTHFL=yn(adsl["_DTHFL"].eq("Y")))


def efficacy_population(adsl, rs, p: Params):
    """EFFFL: >= 1 cycle of exposure and a post-baseline response, or clinical progression,
    or death due to progression within the window after first dose."""
    ovr = (filter_rows(rs, "RSTESTCD == 'OVRLRESP' and RSSTRESC != ''")
           .pipe(derive_vars_dt, "A", "RSDTC")
           .pipe(derive_vars_merged, adsl, SUBJ, new_vars={"_TRTSDT": "TRTSDT"}))
    adsl = adsl.pipe(derive_var_merged_exist_flag, ovr, SUBJ, "_POSTBL",
                     condition=lambda d: d.ADT > d._TRTSDT)
    evaluable = ((adsl["_EXPDAYS"] >= p.conv("efficacy_min_exposure_days")) & adsl["_POSTBL"].eq("Y")) \
        | adsl["DCSREAS"].eq("PROGRESSIVE DISEASE") \
        | ((days_between(adsl["DTHDT"], adsl["TRTSDT"]) <= p.conv("death_due_to_pd_window_days"))
           & adsl["DTHCAUSE"].eq("DISEASE PROGRESSION"))
    return adsl.assign(EFFFL=yn(adsl["SAFFL"].eq("Y") & evaluable))
