"""Independent raw-level re-derivation (plain pandas, straight from the CSVs) of the numbers the
publication prints, following the working contract's rules.  Used only by the simulate tests as a
calibration check of raw/; it does not use trialflow's SDTM/ADaM code.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd

MON = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                   "NOV", "DEC"], start=1)}
SUBJ = "SUBJECT"
RANK = {"Stringent complete response": 8, "Complete response": 7, "Very good partial response": 6,
        "Partial response": 5, "Minimal response": 4, "Stable disease": 3, "Progressive disease": 2,
        "Not evaluable": 1, "Unknown": 0}
IMID = {"LENALIDOMIDE", "POMALIDOMIDE", "THALIDOMIDE"}
PI = {"BORTEZOMIB", "CARFILZOMIB", "IXAZOMIB"}
ALK = {"MELPHALAN", "CYCLOPHOSPHAMIDE", "BENDAMUSTINE"}
STEROIDS = {"DEXAMETHASONE", "PREDNISONE"}


def r1(x: float, dp: int = 1) -> str:
    q = Decimal(1).scaleb(-dp) if dp else Decimal(1)
    return str(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP))


def load(raw: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(Path(raw).glob("*.csv"))}


def to_date(s: pd.Series, impute: str = "first") -> pd.Series:
    """'DD MON YYYY' with UN/UNK parts -> Timestamp (impute 'first' or 'last'); '' -> NaT."""
    parts = s.fillna("").str.split(" ", expand=True).reindex(columns=[0, 1, 2])
    ok = s.fillna("") != ""
    year = pd.to_numeric(parts[2].where(ok), errors="coerce")
    mon = parts[1].map(MON)
    day = pd.to_numeric(parts[0], errors="coerce")
    if impute == "first":
        mon = mon.fillna(1)
        day = day.fillna(1)
    else:
        last_mon = mon.isna()
        mon = mon.fillna(12)
        dim = pd.to_datetime(pd.DataFrame({"year": year.fillna(2000), "month": mon, "day": 1})) + pd.offsets.MonthEnd(0)
        day = day.where(~day.isna(), dim.dt.day)
        day = day.where(~last_mon, 31)
    out = pd.to_datetime(pd.DataFrame({"year": year.fillna(2000), "month": mon.fillna(1), "day": day.fillna(1)}),
                         errors="coerce")
    return out.where(ok)


def derive(raw: Path) -> dict:
    f = load(raw)
    res: dict = {}
    # ------------------------------------------------------------------ exposure
    ex = f["ex"].assign(D=lambda d: to_date(d["EXSTDAT"]), DOSE=lambda d: pd.to_numeric(d["EXDOSE"]))
    ex = ex[ex["DOSE"] > 0]
    trt = ex.groupby(SUBJ).agg(TRTSDT=("D", "min"), TRTEDT=("D", "max"), NINF=("D", "size"))
    last_folder = ex.sort_values("D").groupby(SUBJ)["FOLDER"].last()
    trt["EXPDAYS"] = (trt["TRTEDT"] - trt["TRTSDT"]).dt.days + np.where(last_folder.str.startswith("C1D"), 7, 14)
    trt["EXPW"] = trt["EXPDAYS"] / 7
    res["n_subjects"] = f["dm"][SUBJ].nunique()
    res["infusions"] = len(ex)
    res["interrupted"] = int((ex["EXINT"] == "Yes").sum())
    res["exposure_median_w"] = r1(trt["EXPW"].median())
    res["exposure_min_w"] = r1(trt["EXPW"].min(), 0)
    res["exposure_max_w"] = r1(trt["EXPW"].max(), 0)
    adsl = f["dm"].set_index(SUBJ).join(trt)
    # ------------------------------------------------------------------ demographics
    ic = f["ic"].set_index(SUBJ)
    brth = to_date(f["dm"].set_index(SUBJ)["BRTHDAT"])
    icd = to_date(ic["ICDAT"])
    age = (icd.dt.year - brth.dt.year) - ((icd.dt.month < brth.dt.month) |
                                          ((icd.dt.month == brth.dt.month) & (icd.dt.day < brth.dt.day))).astype(int)
    adsl["AGE"] = age
    res["age"] = (r1(age.median()), int(age.min()), int(age.max()))
    res["age_bands"] = (int((age < 65).sum()), int(((age >= 65) & (age < 75)).sum()), int((age >= 75).sum()))
    mm = f["mmdx"].set_index(SUBJ)
    yrs = (adsl["TRTSDT"] - to_date(mm["DIAGDAT"])).dt.days / 365.25
    res["years_dx"] = (r1(yrs.median()), r1(yrs.min()), r1(yrs.max()))
    hc = mm["HCTYPE"]
    res["subtype"] = dict(IgG=int((hc == "IgG").sum()), IgA=int((hc == "IgA").sum()), IgM=int((hc == "IgM").sum()),
                          kappa=int(((hc == "None") & (mm["LCTYPE"] == "Kappa")).sum()),
                          lambda_=int(((hc == "None") & (mm["LCTYPE"] == "Lambda")).sum()))
    # ------------------------------------------------------------------ ISS (baseline = last on/before first dose)
    lb = f["lb"].assign(D=lambda d: to_date(d["LBDAT"]), V=lambda d: pd.to_numeric(d["LBORRES"], errors="coerce"))
    lb = lb.join(adsl["TRTSDT"], on=SUBJ)
    base = lb[(lb["D"] <= lb["TRTSDT"]) & lb["V"].notna()].sort_values("D").groupby([SUBJ, "LBTEST"]).last()
    b2m = base.xs("Beta-2 microglobulin", level="LBTEST")["V"].reindex(adsl.index)
    albr = base.xs("Albumin", level="LBTEST").reindex(adsl.index)
    alb = albr["V"].where(albr["LBORRESU"] == "g/dL", albr["V"] / 10)
    iss = pd.Series("II", index=adsl.index)
    iss[(b2m < 3.5) & (alb >= 3.5)] = "I"
    iss[b2m >= 5.5] = "III"
    iss[b2m.isna() | alb.isna()] = "Unknown"
    res["iss"] = iss.value_counts().to_dict()
    # ------------------------------------------------------------------ ECOG, cytogenetics
    ecog = f["ecog"].assign(D=lambda d: to_date(d["ECOGDAT"])).join(adsl["TRTSDT"], on=SUBJ)
    eb = ecog[ecog["D"] <= ecog["TRTSDT"]].sort_values("D").groupby(SUBJ)["ECOG"].last().str[0]
    res["ecog"] = eb.value_counts().sort_index().to_dict()
    fish = f["fish"][f["fish"]["FISHPERF"] == "Yes"].assign(P=lambda d: pd.to_numeric(d["PCTABN"]))
    pv = fish.pivot_table(index=SUBJ, columns="PROBE", values="P", aggfunc="max")
    del17 = pv["del(17p)"] >= 10
    t414 = pv["t(4;14)"] >= 15
    t1416 = pv["t(14;16)"] >= 15
    high = del17 | t414 | t1416
    res["cyto"] = dict(high=int(high.sum()), standard=int((~high).sum()), unknown=int(len(adsl) - len(pv)),
                       del17p=int(del17.sum()), t414=int(t414.sum()), t1416=int(t1416.sum()))
    # ------------------------------------------------------------------ prior therapy
    pr = f["prthx"].assign(LINE=lambda d: pd.to_numeric(d["LINENO"]), ST=lambda d: to_date(d["STDAT"], "first"),
                           EN=lambda d: to_date(d["ENDAT"], "last"), PDD=lambda d: to_date(d["PDDAT"], "first"))
    reg = pr.groupby([SUBJ, "LINE"]).agg(ST=("ST", "min"), EN=("EN", "max"), PDD=("PDD", "min"),
                                         BEST=("BESTRESP", "first"),
                                         AG=("CMDECOD", lambda s: frozenset(s)))
    reg["REFR"] = reg["PDD"].notna() & (reg["PDD"] >= reg["ST"]) & (reg["PDD"] <= reg["EN"] + pd.Timedelta(days=60))
    reg = reg.reset_index()
    lines = reg.groupby(SUBJ)["LINE"].nunique()
    res["lines"] = (r1(lines.median()), int(lines.min()), int(lines.max()), int((lines < 5).sum()), int((lines >= 5).sum()))

    def any_by(mask: pd.Series) -> pd.Series:
        return mask.groupby(reg[SUBJ]).any().reindex(adsl.index, fill_value=False)

    has = lambda drugs: reg["AG"].map(lambda a: bool(a & drugs))  # noqa: E731
    exp_imid, exp_pi, exp_alk, exp_dara = (any_by(has(IMID)), any_by(has(PI)), any_by(has(ALK)),
                                           any_by(has({"DARATUMUMAB"})))
    ref = lambda drugs: any_by(has(drugs) & reg["REFR"])  # noqa: E731
    r_imid, r_pi = ref(IMID), ref(PI)
    quad = ref({"LENALIDOMIDE"}) & ref({"POMALIDOMIDE"}) & ref({"BORTEZOMIB"}) & ref({"CARFILZOMIB"})
    r_dara = ref({"DARATUMUMAB"})
    lastline = reg.sort_values("LINE").groupby(SUBJ).last()
    res["prior"] = dict(alk=int(exp_alk.sum()), imid=int(exp_imid.sum()), pi=int(exp_pi.sum()),
                        pi_imid=int((exp_pi & exp_imid).sum()), dara=int(exp_dara.sum()))
    res["refr"] = dict(imid=int(r_imid.sum()), pi=int(r_pi.sum()), both=int((r_imid & r_pi).sum()), quad=int(quad.sum()),
                       penta=int((quad & r_dara).sum()), last=int(lastline["REFR"].sum()), dara=int(r_dara.sum()))
    dreg = reg[has({"DARATUMUMAB"})]
    nd = dreg.groupby(SUBJ).size()
    res["dara_lines"] = nd.value_counts().sort_index().to_dict()
    combo = dreg["AG"].map(lambda a: len(a - {"DARATUMUMAB"} - STEROIDS) > 0).groupby(dreg[SUBJ]).any()
    res["dara_type"] = dict(mono=int((~combo).sum()), combo=int(combo.sum()))
    ddur = ((dreg["EN"] - dreg["ST"]).dt.days + 1).groupby(dreg[SUBJ]).sum() / 30.4375
    res["dara_dur"] = dict(lt6=int((ddur < 6).sum()), ge6=int((ddur >= 6).sum()))
    best = dreg.assign(R=dreg["BEST"].map(RANK)).groupby(SUBJ)["R"].max()
    inv = {v: k for k, v in RANK.items()}
    res["dara_best"] = best.map(inv).value_counts().to_dict()
    last_dara_end = dreg.groupby(SUBJ)["EN"].max()
    wash = (adsl["TRTSDT"] - last_dara_end).dt.days / 7
    adsl["WASH"] = wash
    res["washout"] = (r1(wash.median(), 2), r1(wash.min()), r1(wash.max()))
    res["washout_bands"] = dict(lt12=int((wash < 12).sum()), lt24=int((wash < 24).sum()), lt48=int((wash < 48).sum()))
    dara_last = lastline["AG"].map(lambda a: "DARATUMUMAB" in a)
    res["dara_last_line"] = int(dara_last.sum())
    # ------------------------------------------------------------------ response
    rs = f["rsp"].assign(D=lambda d: to_date(d["RSDAT"]), R=lambda d: d["OVRLRESP"].map(RANK)).join(adsl["TRTSDT"], on=SUBJ)
    rs = rs.sort_values([SUBJ, "D"])
    first_pd = rs[rs["R"] == 2].groupby(SUBJ)["D"].min()
    rs = rs.join(first_pd.rename("FPD"), on=SUBJ)
    upto = rs[rs["FPD"].isna() | (rs["D"] <= rs["FPD"])]
    bor = upto.groupby(SUBJ)["R"].max().reindex(adsl.index).fillna(1).astype(int)
    adsl["BOR"] = bor.map(inv)
    days = (upto["D"] - upto["TRTSDT"]).dt.days
    sd8 = upto[(upto["R"] >= 3) & (days >= 56)].groupby(SUBJ).size().reindex(adsl.index, fill_value=0) > 0
    dcr = (bor >= 4) | ((bor == 3) & sd8)
    adsl["DCR"] = dcr
    res["bor"] = adsl["BOR"].value_counts().to_dict()
    res["dcr"] = int(dcr.sum())
    eot = f["eot"].set_index(SUBJ)
    eff = ((adsl["EXPDAYS"] >= 28) & rs.groupby(SUBJ).size().reindex(adsl.index, fill_value=0).gt(0)) | \
        (eot["EOTREAS"] == "Progressive disease")
    res["efffl"] = int(eff.sum())
    res["ne_in_eff"] = int(((adsl["BOR"] == "Not evaluable") & eff).sum())
    res["dcr_wash"] = dict(lt12=(int(dcr[wash < 12].sum()), int((wash < 12).sum())),
                           ge24=(int(dcr[wash >= 24].sum()), int((wash >= 24).sum())),
                           ge48=(int(dcr[wash >= 48].sum()), int((wash >= 48).sum())),
                           lt24=(int(dcr[wash < 24].sum()), int((wash < 24).sum())))
    cm = f["cm"]
    dex = cm[cm["PROTDEX"] == "Yes"][SUBJ].unique()
    res["dex"] = (int(dcr[dex].sum()), len(dex))
    cd = f["cd38"].assign(RD=lambda d: pd.to_numeric(d["CD38RD"]), D=lambda d: to_date(d["CD38DAT"])).set_index(SUBJ)
    cdw = (cd["D"] - last_dara_end.reindex(cd.index)).dt.days / 7
    hi = cd["RD"] >= 150000
    res["cd38"] = dict(n=len(cd), ge150=(int(dcr[cd.index[hi]].sum()), int(hi.sum())),
                       lt150=(int(dcr[cd.index[~hi]].sum()), int((~hi).sum())),
                       lt5000=int((cd["RD"] < 5000).sum()),
                       lt5000_all_lt20w=bool((cdw[cd["RD"] < 5000] < 20).all()),
                       spearman=float(cd["RD"].rank().corr(cdw.rank())))
    # ------------------------------------------------------------------ swimmer
    ew = adsl["EXPW"]
    res["swimmer"] = dict(max_is_sd=adsl.loc[ew.idxmax(), "BOR"] == "Stable disease",
                          ge24_other=int(((ew >= 24) & (ew < ew.max())).sum()), w12_24=int(((ew >= 12) & (ew < 24)).sum()))
    # ------------------------------------------------------------------ survival
    surv = f["surv"].assign(D=lambda d: to_date(d["SURVDAT"]), DD=lambda d: to_date(d["DTHDAT"]))
    dth = surv.groupby(SUBJ)["DD"].min().reindex(adsl.index)
    lst = surv.groupby(SUBJ)["D"].max().reindex(adsl.index)
    adsl["DTH"] = dth
    # PFS: first PD or death; censor at last adequate assessment (or TRTSDT)
    adequate = rs[rs["R"] >= 2].groupby(SUBJ)["D"].max().reindex(adsl.index)
    ev_date = pd.concat([first_pd.reindex(adsl.index), dth], axis=1).min(axis=1)
    pfs_ev = ev_date.notna()
    pfs_date = ev_date.where(pfs_ev, adequate.fillna(adsl["TRTSDT"]))
    pfs_days = (pfs_date - adsl["TRTSDT"]).dt.days + 1
    os_ev = dth.notna()
    os_days = (dth.where(os_ev, lst) - adsl["TRTSDT"]).dt.days + 1
    res["pfs_times"] = (pfs_days, pfs_ev)
    res["os_times"] = (os_days, os_ev)
    # ------------------------------------------------------------------ safety
    ae = f["ae"].assign(ST=lambda d: to_date(d["AESTDAT"]), G=lambda d: pd.to_numeric(d["AETOXGR"])).join(
        adsl[["TRTSDT", "TRTEDT"]], on=SUBJ)
    te = ae[(ae["ST"] >= ae["TRTSDT"]) & (ae["ST"] <= ae["TRTEDT"] + pd.Timedelta(days=30))]
    res["teae"] = te[SUBJ].nunique()
    res["teae_g3"] = te[te["G"] >= 3][SUBJ].nunique()
    ir = te[te["AEIR"] == "Yes"]
    res["ir"] = (ir[SUBJ].nunique(), int(ir["G"].max()) if len(ir) else 0)
    res["adsl"] = adsl
    return res


Z = 1.959963984540054


def km_median_ci(days: pd.Series, event: pd.Series) -> tuple[float, float, float]:
    """Kaplan-Meier median and Brookmeyer-Crowley log(-log) 95% CI (SAS/R convention), in days."""
    d = pd.DataFrame({"t": days.astype(float), "e": event.astype(int)})
    times = np.sort(d.loc[d["e"] == 1, "t"].unique())
    s, gw = 1.0, 0.0
    est = lo = hi = math.nan
    prev_s_at_half = None
    for t in times:
        n = int((d["t"] >= t).sum())
        k = int(((d["t"] == t) & (d["e"] == 1)).sum())
        s *= 1 - k / n
        if n > k:
            gw += k / (n * (n - k))
        if 0 < s < 1:
            se = math.sqrt(gw) / abs(math.log(s))
            sl, su = s ** math.exp(Z * se), s ** math.exp(-Z * se)
        else:
            sl = su = math.nan
        if math.isnan(est) and s <= 0.5:
            if abs(s - 0.5) < 1e-12:
                prev_s_at_half = t
            else:
                est = t if prev_s_at_half is None else (prev_s_at_half + t) / 2
        if math.isnan(lo) and sl <= 0.5:
            lo = t
        if math.isnan(hi) and su < 0.5:
            hi = t
    return est, lo, hi


def months(d: float) -> str:
    return r1(d / 30.4375)
