"""Render the calibrated cohort (cohort.py) into CRF forms (one DataFrame of strings per form).

Conventions (documented in raw/README.md):
* Visit dates = first dose + planned study day + per-visit deviation (cohort ``shift``).
* Screening visit 2-6 days after consent; screening labs, FISH, CD38 bone-marrow aspirate and
  ECOG on the screening date.  Myeloma markers (serum/urine M-protein, free light chains) at
  screening, at every response assessment (day 1 of each cycle from C2) and at EOT; safety labs
  (haemoglobin, creatinine, calcium) at screening, at each day-1 dosing visit and at EOT;
  beta-2 microglobulin and albumin at screening only (so "baseline" is unambiguous).
* IMWG-consistent markers: SD = within -10 %/+8 % of baseline (never +25 % over the nadir),
  MR = 30-42 % below baseline, PD = max(1.4 x nadir, nadir + 0.6 g/dL) for serum M-protein;
  light-chain-only patients have serum M-protein 0 and the involved free light chain carries the
  response (PD = max(1.4 x nadir, nadir + 150 mg/L)).  NE assessment = samples not collected.
* Survival follow-up: FU1 30 days after EOT, then every 91 days until death (recorded on the
  death date: last contact = death) or the data cut-off.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from . import cohort as C
from .common import (CONMEDS, ECOG_LABELS, LOG_FOLDER, PROTDEX_CM, RESP_LABELS, SITE_COUNTRY, WHODRUG,
                     DATA_CUTOFF, finalize, fmt_date, fmt_num, fmt_partial, fmt_time, is_us, meddra)

TD = dt.timedelta

FILLER_AES = ["Tiredness", "Fatigue", "Nausea", "Diarrhea", "Diarrhoea", "Cough", "Shortness of breath",
              "Upper respiratory tract infection", "Low back pain", "Pyrexia", "Headache", "Constipation",
              "Loss of appetite", "Leg swelling", "Vomiting", "Arthralgia"]
DEX_AES = ["Insomnia", "Sleeplessness", "Hyperglycaemia"]
MH_TERMS = [("High blood pressure", "Amlodipine"), ("Hypertension", "Amlodipine"),
            ("Diabetes mellitus type 2", "Metformin"), ("Peripheral neuropathy sensory", None),
            ("Osteoporosis", None), ("Depression", None), ("Atrial fibrillation", None),
            ("Hypothyroidism", "Levothyroxine"), ("Chronic kidney disease", None)]
RELATED_PT = {"Neutropenia", "Thrombocytopenia", "Infusion related reaction", "Fatigue", "Nausea",
              "Anaemia", "Insomnia", "Hyperglycaemia"}


class _Rows:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {}

    def add(self, form: str, p: C.Patient, folder: str, **vals: object) -> None:
        r = {"SITE": p.site, "SUBJECT": p.subject, "FOLDER": folder}
        r.update({k: "" if v is None else str(v) for k, v in vals.items()})
        self.rows.setdefault(form, []).append(r)


def _visit_date(p: C.Patient, folder: str) -> dt.date:
    return p.trtsdt + TD(days=C.visit_offset(folder) + p.course["shift"].get(folder, 0))


def _timeline(p: C.Patient) -> dict:
    """Dates of doses, assessments, EOT, death for one patient."""
    c = p.course
    doses = C.dose_folders(c["ndose"])
    dose_dates = {f: _visit_date(p, f) for f in doses}
    rs = [(f, _visit_date(p, f), r) for f, r in c["rs"]]
    eot_off, eot_reason, eot_resp = c["eot"]
    eot = p.trtsdt + TD(days=eot_off)
    last = max(dose_dates.values())
    death = C.death_date(p)
    return dict(doses=doses, dose_dates=dose_dates, rs=rs, eot=eot, eot_reason=eot_reason,
                eot_resp=eot_resp, last=last, death=death)


def render(seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    patients = C.build_cohort(rng)
    out = _Rows()
    for p in patients:
        _render_patient(p, _timeline(p), rng, out)
    return {form: finalize(form, pd.DataFrame(rows)) for form, rows in out.rows.items()}


def _render_patient(p: C.Patient, tl: dict, rng: np.random.Generator, out: _Rows) -> None:
    us = is_us(p.site)
    t = p.trtsdt
    scrn = p.consent + TD(days=int(rng.integers(2, 7)))
    scrn = min(scrn, t - TD(days=2))
    # ---------------------------------------------------------------- dm, ic, mmdx
    out.add("dm", p, "SCRN", BRTHDAT=fmt_partial(p.birth, "D"), SEX=p.sex, RACE=p.race, ETHNIC=p.ethnic,
            COUNTRY=SITE_COUNTRY[p.site])
    enrl = min(scrn + TD(days=int(rng.integers(1, 5))), t - TD(days=1))
    out.add("ic", p, "SCRN", ICDAT=fmt_date(p.consent), ENRLDAT=fmt_date(enrl), PROTVER="Amended protocol 03")
    out.add("mmdx", p, "SCRN", DIAGDAT=fmt_partial(p.diag, p.dx_unknown), HCTYPE=p.hctype, LCTYPE=p.lctype)
    # ---------------------------------------------------------------- fish
    if p.fish is None:
        reason = ["Sample not available", "Insufficient plasma cells", "Not performed at screening"][
            int(rng.integers(0, 3))]
        out.add("fish", p, "SCRN", FISHPERF="No", FISHND=reason)
    else:
        for probe, pct in zip(["del(17p)", "t(4;14)", "t(14;16)"], p.fish):
            out.add("fish", p, "SCRN", FISHPERF="Yes", FISHDAT=fmt_date(scrn), PROBE=probe,
                    PCTABN=fmt_num(pct, 0))
    # ---------------------------------------------------------------- prior therapy
    for reg in p.regimens:
        verb_pick = int(rng.integers(0, 3))
        for code in reg.agents:
            decod, atc, atcclas, verbs = WHODRUG[code]
            out.add("prthx", p, "SCRN", LINENO=reg.line, AGENT=verbs[verb_pick % len(verbs)], CMDECOD=decod,
                    ATCCODE=atc, ATCCLAS=atcclas,
                    STDAT=fmt_partial(reg.start, reg.start_unk), ENDAT=fmt_partial(reg.end, reg.end_unk),
                    BESTRESP=RESP_LABELS[reg.bestresp], PDFL="Yes" if reg.pd else "No",
                    PDDAT=fmt_date(reg.pd), REASSTOP=reg.reasstop)
        if "MEL" in reg.agents:
            txd = reg.start + TD(days=int((reg.end - reg.start).days * 0.6))
            out.add("prtx", p, "SCRN", TXDAT=fmt_date(txd), TXTYPE="Autologous")
    # ---------------------------------------------------------------- medical history
    n_mh = int(rng.integers(1, 4))
    mh_idx = rng.choice(len(MH_TERMS), size=n_mh, replace=False)
    mh_meds = []
    for i in sorted(mh_idx):
        term, med = MH_TERMS[i]
        if term == "High blood pressure" and any(MH_TERMS[j][0] == "Hypertension" for j in mh_idx):
            continue
        m = meddra(term)
        st = p.diag - TD(days=int(rng.integers(-300, 3000)))
        st = min(st, p.consent - TD(days=60))
        ongo = "Yes" if (med or rng.random() < 0.6) else "No"
        out.add("mh", p, "SCRN", MHTERM=term, MHLLT=m["LLT"], MHDECOD=m["PT"], MHHLT=m["HLT"],
                MHHLGT=m["HLGT"], MHSOC=m["SOC"], MHSTDAT=fmt_partial(st, "D" if rng.random() < 0.7 else "DM"),
                MHONGO=ongo)
        if med:
            mh_meds.append((med, st))
    # ---------------------------------------------------------------- labs
    _render_labs(p, tl, scrn, us, rng, out)
    # ---------------------------------------------------------------- ecog
    out.add("ecog", p, "SCRN", ECOGDAT=fmt_date(scrn), ECOG=ECOG_LABELS[p.ecog])
    if tl["eot_reason"] != "Withdrawal by subject" or tl["eot_resp"] is not None:
        out.add("ecog", p, "EOT", ECOGDAT=fmt_date(tl["eot"]), ECOG=ECOG_LABELS[min(4, p.ecog + int(
            tl["eot_reason"] == "Progressive disease" and rng.random() < 0.4))])
    # ---------------------------------------------------------------- cd38
    if p.cd38 is not None:
        bm = min(scrn + TD(days=int(rng.integers(0, 4))), t - TD(days=1))
        out.add("cd38", p, "SCRN", CD38DAT=fmt_date(bm), CD38SPEC="Bone marrow aspirate", CD38RD=str(int(p.cd38)))
    # ---------------------------------------------------------------- exposure
    base_w = float(rng.uniform(64, 96) if p.sex == "Male" else rng.uniform(50, 80))
    for f in tl["doses"]:
        d = tl["dose_dates"][f]
        start = int(rng.integers(8 * 60 + 15, 10 * 60 + 31))
        dur = int(rng.integers(200, 261)) if f == "C1D1" else int(rng.integers(105, 151))
        interrupted = f == "C1D1" and p.key in C.IR_INTERRUPTED
        if interrupted:
            dur += int(rng.integers(35, 76))
        w = base_w + float(rng.normal(0, 0.6)) - 0.005 * (d - t).days
        out.add("ex", p, f, EXSTDAT=fmt_date(d), EXSTTIM=fmt_time(start), EXENTIM=fmt_time(start + dur),
                EXDOSE="20", WEIGHT=fmt_num(w, 1), EXINT="Yes" if interrupted else "No",
                EXINTRS="Infusion related reaction" if interrupted else "")
    # ---------------------------------------------------------------- concomitant medications
    first, last = t, tl["last"]
    for trt in ("Acetaminophen", "Diphenhydramine", "Ranitidine", "Methylprednisolone"):
        _cm(out, p, trt, first, last, "No")
    for med, st in mh_meds:
        _cm(out, p, med, st, None, "Yes", partial="D")
    for trt in ("Acyclovir", "Allopurinol", "Zoledronic acid", "Pantoprazole"):
        if rng.random() < 0.45:
            st = t - TD(days=int(rng.integers(0, 200)))
            en = tl["eot"] if rng.random() < 0.5 else None
            if tl["death"] is not None and en is None:
                en = tl["eot"]
            _cm(out, p, trt, st, en, "No" if en else "Yes")
    dex = p.course["dex"]
    if dex:
        ds = _visit_date(p, dex)
        de = min(last + TD(days=7), tl["eot"])
        cmtrt, decod, atc, cls, indc, route = PROTDEX_CM
        out.add("cm", p, LOG_FOLDER, CMTRT=cmtrt, CMDECOD=decod, ATCCODE=atc, ATCCLAS=cls, CMINDC=indc,
                CMDOSE="20" if p.age >= 75 else "40", CMDOSU="mg", CMROUTE=route, CMSTDAT=fmt_date(ds),
                CMENDAT=fmt_date(de), CMONGO="No", PROTDEX="Yes")
    # ---------------------------------------------------------------- adverse events
    _render_ae(p, tl, rng, out)
    # ---------------------------------------------------------------- response
    for f, d, r in tl["rs"]:
        out.add("rsp", p, f, RSDAT=fmt_date(d), OVRLRESP=RESP_LABELS[r])
    if tl["eot_resp"]:
        out.add("rsp", p, "EOT", RSDAT=fmt_date(tl["eot"]), OVRLRESP=RESP_LABELS[tl["eot_resp"]])
    # ---------------------------------------------------------------- eot, survival, visits
    out.add("eot", p, "EOT", EOTDAT=fmt_date(tl["eot"]), EOTREAS=tl["eot_reason"])
    fu = _follow_up(p, tl, rng)
    for k, (d, status) in enumerate(fu, start=1):
        dead = status == "Dead"
        out.add("surv", p, f"FU{k}", SURVDAT=fmt_date(d), SURVSTAT=status, DTHDAT=fmt_date(d) if dead else "",
                DTHCAUSE=p.course["death"][1] if dead else "")
    visits = {"SCRN": scrn}
    for f in tl["doses"]:
        visits[f] = tl["dose_dates"][f]
    for f, d, _ in tl["rs"]:
        visits[f] = d
    vis_sorted = sorted(visits.items(), key=lambda kv: (kv[1], kv[0]))
    for f, d in vis_sorted:
        out.add("sv", p, f, VISDAT=fmt_date(d))
    out.add("sv", p, "EOT", VISDAT=fmt_date(tl["eot"]))
    for k, (d, status) in enumerate(fu, start=1):
        if status == "Alive":                      # a death report is not a visit
            out.add("sv", p, f"FU{k}", VISDAT=fmt_date(d))


def _cm(out: _Rows, p: C.Patient, trt: str, st: dt.date, en: dt.date | None, ongo: str, partial: str = "") -> None:
    decod, atc, cls, indc, dose, unit, route = CONMEDS[trt]
    out.add("cm", p, LOG_FOLDER, CMTRT=trt, CMDECOD=decod, ATCCODE=atc, ATCCLAS=cls, CMINDC=indc, CMDOSE=dose,
            CMDOSU=unit, CMROUTE=route, CMSTDAT=fmt_partial(st, partial), CMENDAT=fmt_date(en), CMONGO=ongo,
            PROTDEX="No")


def _follow_up(p: C.Patient, tl: dict, rng: np.random.Generator) -> list[tuple[dt.date, str]]:
    out = []
    d = tl["eot"] + TD(days=30)
    death = tl["death"]
    while True:
        if death is not None and death <= d:
            out.append((death, "Dead"))
            break
        if d > DATA_CUTOFF:
            break
        out.append((d, "Alive"))
        d = d + TD(days=91 + int(rng.integers(-4, 5)))
    if death is not None:
        assert out and out[-1][1] == "Dead", p.key
    return out


# ------------------------------------------------------------------------------------------ labs
def _render_labs(p: C.Patient, tl: dict, scrn: dt.date, us: bool, rng: np.random.Generator, out: _Rows) -> None:
    lc_only = p.hctype == "None"
    sm0 = 0.0 if lc_only else float(rng.uniform(1.2, 4.5))
    inv0 = float(rng.uniform(450, 2800)) if lc_only else float(rng.uniform(40, 260))
    uninv0 = float(rng.uniform(2.5, 14))
    um0 = float(rng.uniform(0, 160))
    kappa_inv = p.lctype == "Kappa"

    def marker_rows(folder: str, d: dt.date, sm: float, inv: float, um: float, nd: bool = False) -> None:
        kap, lam = (inv, uninv0) if kappa_inv else (uninv0, inv)
        if nd:
            for test, unit in (("Serum M-protein", "g/dL"), ("Urine M-protein", "mg/24h"),
                               ("Serum kappa free light chain", "mg/L"), ("Serum lambda free light chain", "mg/L")):
                out.add("lb", p, folder, LBDAT=fmt_date(d), LBTEST=test, LBORRES="", LBORRESU=unit,
                        LBND="Sample not collected")
            return
        out.add("lb", p, folder, LBDAT=fmt_date(d), LBTEST="Serum M-protein", LBORRES=fmt_num(sm, 2), LBORRESU="g/dL")
        out.add("lb", p, folder, LBDAT=fmt_date(d), LBTEST="Urine M-protein", LBORRES=fmt_num(um, 0),
                LBORRESU="mg/24h")
        out.add("lb", p, folder, LBDAT=fmt_date(d), LBTEST="Serum kappa free light chain", LBORRES=fmt_num(kap, 1),
                LBORRESU="mg/L")
        out.add("lb", p, folder, LBDAT=fmt_date(d), LBTEST="Serum lambda free light chain", LBORRES=fmt_num(lam, 1),
                LBORRESU="mg/L")

    def safety_rows(folder: str, d: dt.date, hgb: float, cre: float, ca: float) -> None:
        if us:
            out.add("lb", p, folder, LBDAT=fmt_date(d), LBTEST="Hemoglobin", LBORRES=fmt_num(hgb, 1), LBORRESU="g/dL")
            out.add("lb", p, folder, LBDAT=fmt_date(d), LBTEST="Creatinine", LBORRES=fmt_num(cre, 2), LBORRESU="mg/dL")
        else:
            out.add("lb", p, folder, LBDAT=fmt_date(d), LBTEST="Hemoglobin", LBORRES=fmt_num(hgb * 10, 0),
                    LBORRESU="g/L")
            out.add("lb", p, folder, LBDAT=fmt_date(d), LBTEST="Creatinine", LBORRES=fmt_num(cre * 88.4, 0),
                    LBORRESU="umol/L")
        out.add("lb", p, folder, LBDAT=fmt_date(d), LBTEST="Calcium", LBORRES=fmt_num(ca, 1), LBORRESU="mg/dL")

    hgb0 = float(rng.uniform(8.2, 12.8))
    cre0 = float(rng.uniform(0.6, 1.9))
    ca0 = float(rng.uniform(8.6, 10.4))
    # screening: markers, safety, beta-2 microglobulin, albumin
    marker_rows("SCRN", scrn, sm0, inv0, um0)
    safety_rows("SCRN", scrn, hgb0, cre0, ca0)
    b2m, alb = _iss_values(p.iss, rng)
    if b2m is None:
        out.add("lb", p, "SCRN", LBDAT=fmt_date(scrn), LBTEST="Beta-2 microglobulin", LBORRES="", LBORRESU="mg/L",
                LBND="Not done")
    else:
        out.add("lb", p, "SCRN", LBDAT=fmt_date(scrn), LBTEST="Beta-2 microglobulin", LBORRES=fmt_num(b2m, 1),
                LBORRESU="mg/L")
    if us:
        out.add("lb", p, "SCRN", LBDAT=fmt_date(scrn), LBTEST="Albumin", LBORRES=fmt_num(alb, 1), LBORRESU="g/dL")
    else:
        out.add("lb", p, "SCRN", LBDAT=fmt_date(scrn), LBTEST="Albumin", LBORRES=fmt_num(alb * 10, 0), LBORRESU="g/L")
    # on-treatment: safety labs at day-1 dosing visits (and C1D1)
    for f in tl["doses"]:
        if f.endswith("D1"):
            safety_rows(f, tl["dose_dates"][f], hgb0 + float(rng.normal(0, 0.5)), cre0 * float(rng.uniform(0.9, 1.1)),
                        ca0 + float(rng.normal(0, 0.25)))
    # response assessments: markers consistent with the recorded response
    nadir_sm, nadir_inv = sm0, inv0
    assessments = [(f, d, r) for f, d, r in tl["rs"]]
    if tl["eot_resp"]:
        assessments.append(("EOT", tl["eot"], tl["eot_resp"]))
    last_pd_sm, last_pd_inv = None, None
    for f, d, r in assessments:
        if r == "NE":
            marker_rows(f, d, 0, 0, 0, nd=True)
            continue
        if r == "SD":
            fac = float(rng.uniform(0.90, 1.08))
            sm, inv = sm0 * fac, inv0 * fac
        elif r == "MR":
            fac = float(rng.uniform(0.58, 0.70))
            sm, inv = sm0 * fac, inv0 * float(rng.uniform(0.7, 0.9))
        else:  # PD: relative to the nadir; later PD values keep rising
            ref_sm = last_pd_sm if last_pd_sm is not None else nadir_sm
            ref_inv = last_pd_inv if last_pd_inv is not None else nadir_inv
            if last_pd_sm is None:
                sm = max(nadir_sm * 1.4, nadir_sm + 0.6) if not lc_only else 0.0
                inv = max(nadir_inv * 1.4, nadir_inv + 150) if lc_only else nadir_inv * 1.3
            else:
                sm = ref_sm * 1.1 if not lc_only else 0.0
                inv = ref_inv * 1.1
            last_pd_sm, last_pd_inv = sm, inv
        if r != "PD":
            nadir_sm, nadir_inv = min(nadir_sm, sm), min(nadir_inv, inv)
        safety = f.endswith("D1") and f not in tl["dose_dates"] or f == "EOT"
        marker_rows(f, d, sm, inv, um0 * float(rng.uniform(0.8, 1.1)))
        if safety:
            safety_rows(f, d, hgb0 + float(rng.normal(-0.3, 0.5)), cre0 * float(rng.uniform(0.9, 1.15)),
                        ca0 + float(rng.normal(0.1, 0.3)))


def _iss_values(iss: str, rng: np.random.Generator) -> tuple[float | None, float]:
    """Baseline beta-2 microglobulin (mg/L) and albumin (g/dL) giving the ISS stage."""
    if iss == "I":
        return float(rng.uniform(1.8, 3.3)), float(rng.uniform(3.6, 4.5))
    if iss == "II":
        if rng.random() < 0.5:
            return float(rng.uniform(3.7, 5.3)), float(rng.uniform(3.0, 4.4))
        return float(rng.uniform(2.0, 3.3)), float(rng.uniform(2.7, 3.3))
    if iss == "III":
        return float(rng.uniform(5.8, 11.5)), float(rng.uniform(2.6, 4.0))
    return None, float(rng.uniform(3.0, 4.2))


# ------------------------------------------------------------------------------------------ AEs
def _render_ae(p: C.Patient, tl: dict, rng: np.random.Generator, out: _Rows) -> None:
    t = p.trtsdt
    te_end = tl["last"] + TD(days=30)
    limit = min(te_end, tl["death"] - TD(days=1)) if tl["death"] else te_end
    limit = min(limit, DATA_CUTOFF)
    dex = p.course["dex"] is not None

    def add(llt: str, grade: int, st: dt.date, en: dt.date | None, ser: str = "No", rel: str | None = None,
            acn: str = "Dose not changed", outc: str = "Recovered/resolved", ir: str = "No") -> None:
        m = meddra(llt)
        if rel is None:
            rel = "Related" if m["PT"] in RELATED_PT and rng.random() < 0.7 else "Not related"
        if en is not None and (en > DATA_CUTOFF or (tl["death"] and en > tl["death"])):
            en = None
        ongo = "Yes" if en is None else "No"
        if ongo == "Yes" and outc == "Recovered/resolved":
            outc = "Not recovered/not resolved"
        out.add("ae", p, LOG_FOLDER, AETERM=llt if rng.random() < 0.8 else llt.upper(), AELLT=m["LLT"],
                AEDECOD=m["PT"], AEHLT=m["HLT"], AEHLGT=m["HLGT"], AESOC=m["SOC"], AESTDAT=fmt_date(st),
                AEENDAT=fmt_date(en), AEONGO=ongo, AETOXGR=str(grade), AESER=ser, AEREL=rel, AEACN=acn,
                AEOUT=outc, AEIR=ir)

    if p.key == "A10":     # pre-treatment event only (between consent and first dose)
        add("Low back pain", 1, p.consent + TD(days=1), t - TD(days=2), rel="Not related",
            acn="Not applicable")
        return
    if p.key in C.NO_TEAE:
        return
    if p.key in C.IR:
        interrupted = p.key in C.IR_INTERRUPTED
        add("Infusion related reaction" if rng.random() < 0.5 else "Infusion reaction", C.IR[p.key], t, t,
            rel="Related", acn="Drug interrupted" if interrupted else "Dose not changed", ir="Yes")
    if p.key in C.G3:
        llt, grade, off, acn, ser = C.G3[p.key]
        if off is None:
            span = max(1, (limit - t).days - 3)
            st = t + TD(days=int(rng.integers(1, span + 1)))
        else:
            st = t + TD(days=off)
        if grade == 5:
            add(llt, grade, st, tl["death"], ser=ser, rel="Not related", acn=acn, outc="Fatal")
        else:
            add(llt, grade, st, st + TD(days=int(rng.integers(5, 26))), ser=ser, acn=acn)
    if p.key in C.AE_DISCONT:
        llt, grade, off = C.AE_DISCONT[p.key]
        st = t + TD(days=off)
        add(llt, grade, st, st + TD(days=int(rng.integers(14, 30))), rel="Not related", acn="Drug withdrawn")
    n_fill = int(rng.integers(1, 4))
    pool = FILLER_AES + (DEX_AES if dex else [])
    picks = rng.choice(len(pool), size=n_fill, replace=False)
    for i in sorted(picks):
        lo = 1
        if pool[i] in DEX_AES:                    # steroid-type events only once dexamethasone started
            lo = (_visit_date(p, p.course["dex"]) - t).days + 1
        span = max(lo, (limit - t).days)
        st = t + TD(days=int(rng.integers(lo, span + 1)))
        add(pool[i], int(rng.integers(1, 3)), st, st + TD(days=int(rng.integers(2, 30))))
