"""Calibrated subject-level truth for the 32 patients of NCT02514668 Part B (study TCD14079).

The cohort is *hand designed* (no random search): every patient's row below states the facts a
site would have collected, chosen so that the study's derivation rules (working contract) applied
to the rendered CRF forms reproduce every reproducible number printed in the publication
(see publication/audit.md §7).  The seed only drives non-calibrated detail (lab noise, times,
body weight, filler adverse events, medical history, verbatim spellings).

Labels
------
Patients are labelled by washout band and role: ``A*`` washout < 12 weeks (14), ``B*`` 12–<24
weeks (6), ``C*`` 24–<48 weeks (7), ``D*`` >= 48 weeks (5).  Within a band the first patients
are the disease-control (DCR) patients: A1–A4, B1, C1–C4, D1–D3 (12 = MR 1 + SD >= 8 weeks 11).

Design decisions (publication silent; chosen to be plausible)
-------------------------------------------------------------
* Data cut-off 31 OCT 2019; first doses 18 OCT 2016 – 12 DEC 2017; consent 7–27 days before.
* Sex 18 M / 14 F; race White 25, Black or African American 4, Asian 1, Other 1, Not reported 1.
* Best overall response (investigator, IMWG): MR D1; SD >= 8 weeks A1–A4, B1, C1–C4, D2, D3;
  SD < 8 weeks A5–A7, B3, C6, D4; PD A8–A13, B2, B4, B5, C5, C7, D5; NE A14 (inside the
  response-evaluable set: one assessment, not evaluable) and B6 (outside: one infusion,
  withdrew, never assessed).
* DCR patients are assessed at C3D1 one day late (study day 58, 57 days after the first
  dose) so "SD >= 8 weeks" never sits on the 56-day boundary.
* Protocol dexamethasone (40 mg weekly, 20 mg if >= 75 years) was added at C3D1 (after cycle 2)
  for A1, A2, B1, C2, D1 and the three patients who continued beyond a first progression
  (A8, C5, D4), and at C5D1 (after cycle 4) for C1, D2, D3: 11 patients, 8 with disease control.
* PFS events: progression at an assessment (scheduled day 1 visits or the EOT visit held when
  progression was suspected) or death.  A4 stopped for sepsis and died of it on day 97; C3
  (physician decision) and C4 (withdrew) stopped with SD and died later without a documented
  progression.  A14 and B6 are alive at cut-off, so both PFS rules in circulation
  ("death always an event" / "censor at last adequate assessment") agree for them.
* Deaths (study day = date - first dose + 1) are placed so that Kaplan–Meier OS gives
  10.7 (8.0–19.0) months with the Brookmeyer–Crowley log(-log) interval as SAS/R compute it:
  the 10th death on day 243, deaths 16 and 17 on day 326 (so S never equals 0.5 exactly), the
  22nd on day 578.  Seven patients are alive at cut-off (A1, A14, B6, C1, D1, D2, D3).
* PFS: 2 NE patients censored on day 1; progressions give the median on day 49 (two on that day,
  so S jumps over 0.5), lower limit day 29 (C2D1), upper limit day 97 (two events that day).
* Calibration map (publication figure -> rows below): exposure median 8.3 weeks = (56 + 60)/2
  days of A7/B3 and C6 (C2D15 four days late), range 1 (B6) - 74 weeks (D2, 39 infusions);
  257 infusions = sum of ``ndose``; 5 interrupted (``IR_INTERRUPTED``); washout median 13.07
  weeks = (B1 91 + B2 92 days)/2/7, min A5 42 days, max D2 565 days; DCR by washout band
  4/14, 1/6, 4/7, 3/5; dexamethasone 8/11; CD38 RD >= 150,000 D1, D2, D4 (2 DCR), 5,000-150,000
  B1, B2, C1, C2, C5, < 5,000 A1-A3, A5-A12 (all < 12 weeks since daratumumab); swimmer
  >= 24 weeks C1, D1, D3 (+ D2 74 weeks), 12-24 weeks A1, B1, C2.
* Prior regimens are written in ``REGIMENS`` with a refractoriness flag per regimen:
  ``R`` progression on treatment (PD date = end date), ``W`` stopped for toxicity and progressed
  within 60 days of the end, ``L`` late progression (> 90 days after the end, not refractory),
  ``N`` no progression (planned end: induction/ASCT).  Dates are laid out automatically inside
  the patient's history (diagnosis -> first isatuximab dose) by :func:`layout_regimens`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from .common import DATA_CUTOFF

D = dt.date

# --------------------------------------------------------------------------------------------
# Per-patient truth.  Columns:
#  key  site    first dose      sex race  age  ecog hc    lc   iss  years-from-diagnosis (dx unknown part)
#  washout days, CD38 RD (None = not measured), FISH (None = not done; else (del17p, t4;14, t14;16) %)
# --------------------------------------------------------------------------------------------
_BASE = [
    # key  site      first dose        sex race  age ecog hc     lc        iss  years  dxunk wash  cd38     fish
    ("A1", "840001", D(2017, 1, 26), "M", "W", 69, 0, "IgG", "Kappa", "I", 6.50, "", 45, 3800, (3.0, 0.0, 0.0)),
    ("A2", "840008", D(2017, 5, 18), "F", "W", 72, 1, "IgA", "Lambda", "I", 4.10, "D", 63, 1200, None),
    ("A3", "724001", D(2017, 3, 23), "M", "W", 66, 1, "IgG", "Lambda", "I", 7.08, "", 52, 0, (5.0, 2.0, 0.0)),
    ("A4", "840004", D(2017, 9, 26), "F", "B", 78, 1, "IgG", "Kappa", "I", 5.90, "D", 70, None, None),
    ("A5", "250002", D(2016, 11, 17), "M", "W", 61, 2, "None", "Kappa", "III", 8.40, "D", 42, 2100, None),
    ("A6", "250001", D(2017, 7, 20), "F", "W", 74, 2, "IgA", "Kappa", "II", 5.20, "D", 49, 450, None),
    ("A7", "276001", D(2017, 4, 25), "M", "W", 58, 1, "IgG", "Kappa", "II", 2.30, "D", 56, 4700, (2.0, 4.0, 0.0)),
    ("A8", "840008", D(2017, 2, 16), "M", "B", 71, 1, "IgG", "Lambda", "II", 10.10, "", 59, 900, None),
    ("A9", "840006", D(2017, 1, 5), "F", "W", 80, 2, "IgA", "Lambda", "III", 4.50, "D", 66, 0, (0.0, 42.0, 0.0)),
    ("A10", "840005", D(2016, 10, 18), "M", "W", 84, 2, "None", "Lambda", "III", 3.40, "D", 73, 2600, None),
    ("A11", "840002", D(2016, 10, 27), "M", "W", 76, 3, "IgG", "Kappa", "III", 12.30, "D", 77, 1500, (61.0, 3.0, 0.0)),
    ("A12", "840007", D(2017, 3, 2), "F", "W", 79, 2, "None", "Kappa", "III", 6.20, "", 80, 3100, (34.0, 28.0, 0.0)),
    ("A13", "840003", D(2017, 6, 22), "F", "W", 63, 2, "None", "Kappa", "II", 1.20, "", 83, None, None),
    ("A14", "250004", D(2017, 8, 22), "M", "W", 70, 1, "None", "Lambda", "I", 2.90, "D", 61, None, None),
    ("B1", "840009", D(2017, 6, 1), "M", "W", 67, 1, "IgG", "Kappa", "I", 7.16, "", 91, 12000, (4.0, 0.0, 0.0)),
    ("B2", "250003", D(2017, 2, 7), "F", "W", 75, 2, "IgA", "Kappa", "III", 8.90, "D", 92, 25000, None),
    ("B3", "724002", D(2017, 4, 4), "M", "W", 65, 1, "None", "Kappa", "II", 3.80, "D", 86, None, None),
    ("B4", "840006", D(2017, 9, 12), "M", "B", 70, 2, "None", "Lambda", "III", 4.90, "D", 110, None, None),
    ("B5", "840005", D(2016, 12, 13), "F", "W", 82, 2, "IgG", "Kappa", "III", 7.00, "", 130, None, (52.0, 6.0, 0.0)),
    ("B6", "724001", D(2017, 11, 21), "F", "A", 62, 1, "IgA", "Lambda", "I", 6.80, "", 150, None, None),
    ("C1", "840002", D(2017, 4, 13), "M", "W", 64, 0, "IgG", "Lambda", "I", 10.80, "", 175, 70000, (1.0, 0.0, 0.0)),
    ("C2", "250001", D(2017, 1, 17), "F", "W", 69, 1, "IgA", "Kappa", "I", 14.00, "D", 190, 95000, None),
    ("C3", "380001", D(2017, 6, 13), "M", "W", 73, 1, "IgG", "Kappa", "II", 9.50, "", 215, None, (6.0, 9.0, 0.0)),
    ("C4", "056001", D(2017, 3, 14), "F", "O", 77, 1, "None", "Lambda", "II", 13.10, "D", 245, None, None),
    ("C5", "276001", D(2017, 8, 8), "M", "W", 72, 1, "IgA", "Lambda", "II", 7.50, "", 200, 48000, None),
    ("C6", "250002", D(2016, 12, 1), "M", "W", 60, 1, "None", "Kappa", "UNK", 5.60, "D", 270, None, None),
    ("C7", "840003", D(2016, 11, 8), "F", "B", 56, 2, "None", "Lambda", "III", 16.50, "D", 310, None, (2.0, 55.0, 0.0)),
    ("D1", "250004", D(2017, 12, 12), "M", "W", 68, 0, "IgG", "Kappa", "I", 17.80, "D", 480, 185000, None),
    ("D2", "840004", D(2017, 10, 17), "F", "W", 74, 0, "IgA", "Kappa", "I", 11.60, "D", 565, 230000, (2.0, 3.0, 0.0)),
    ("D3", "380001", D(2017, 7, 11), "M", "W", 81, 0, "None", "Kappa", "I", 15.20, "D", 350, None, None),
    ("D4", "840001", D(2017, 11, 7), "F", "NR", 51, 1, "IgG", "Lambda", "II", 19.40, "", 420, 160000, (0.0, 1.0, 0.0)),
    ("D5", "276002", D(2017, 5, 9), "M", "W", 75, 1, "IgG", "Kappa", "III", 8.00, "", 380, None, None),
]
# Ages: <65 (8): A5 61, A7 58, A13 63, B6 62, C1 64, C6 60, C7 56, D4 51;
#   65-74 (14): 65 66 67 68 69 69 70 70 | 71 72 72 73 74 74 -> 16th/17th ordered ages 70 and 71;
#   >=75 (10): A4 78, A9 80, A10 84, A11 76, A12 79, B2 75, B5 82, C4 77, D3 81, D5 75.
# MM subtype: IgG 13, IgA 8, light chain only ("None") kappa 6 / lambda 5.  ISS I 12 / II 9 /
# III 10 / unknown 1 (C6: beta-2 microglobulin not done).  ECOG 0/1/2/3 = 5/16/10/1.
# FISH done in 13: del(17p) >= 10 % in A11, A12, B5; t(4;14) >= 15 % in A9, A12, C7; 8 standard risk.
# Years from diagnosis: 16th/17th ordered values A3 7.08 and B1 7.16 (median 7.1), min A13 1.2,
# max D4 19.4; "D" = day of diagnosis unknown (only for patients far from the median).

RACE = {"W": "White", "B": "Black or African American", "A": "Asian", "O": "Other", "NR": "Not reported"}

# --------------------------------------------------------------------------------------------
# Course on isatuximab.  ndose = number of infusions (doses follow the schedule C1D1, C1D8,
# C1D15, C1D22, C2D1, C2D15, C3D1, ...).  rs = investigator responses at day-1 visits.
# eot = (study-day offset from first dose, reason, response assessed at the EOT visit or None).
# shift = visit-date deviations in days (not cumulative).  dex = protocol dexamethasone start.
# death = (study day = date - first dose + 1, cause) or None (alive at cut-off).
# --------------------------------------------------------------------------------------------
def _rs(*pairs: str) -> list[tuple[str, str]]:
    out = []
    for p in pairs:
        folder, resp = p.split(":")
        out.append((folder, resp))
    return out


def _sd_cycles(first: int, last: int, resp: str = "SD") -> list[str]:
    return [f"C{c}D1:{resp}" for c in range(first, last + 1)]


PD_, AE_, WD_, PHY_ = "Progressive disease", "Adverse event", "Withdrawal by subject", "Physician decision"
DPROG, DAE = "Disease progression", "Adverse event"

COURSE: dict[str, dict] = {
    # --- washout < 12 weeks
    "A1": dict(ndose=10, rs=_rs(*_sd_cycles(2, 4), "C5D1:PD"), eot=(119, PD_, "PD"), dex="C3D1",
               shift={"C3D1": 1}, death=None),
    "A2": dict(ndose=7, rs=_rs("C2D1:SD", "C3D1:SD", "C4D1:PD"), eot=(91, PD_, "PD"), dex="C3D1",
               shift={"C3D1": 1}, death=(640, DPROG)),
    "A3": dict(ndose=7, rs=_rs("C2D1:SD", "C3D1:SD", "C4D1:SD"), eot=(96, PD_, "PD"), dex=None,
               shift={"C3D1": 1}, death=(578, DPROG)),
    "A4": dict(ndose=7, rs=_rs("C2D1:SD", "C3D1:SD"), eot=(63, AE_, "SD"), dex=None,
               shift={"C3D1": 1}, death=(97, DAE)),
    "A5": dict(ndose=5, rs=_rs("C2D1:SD"), eot=(35, PD_, "PD"), dex=None, shift={}, death=(262, DPROG)),
    "A6": dict(ndose=5, rs=_rs("C2D1:SD"), eot=(42, PD_, "PD"), dex=None, shift={}, death=(280, DPROG)),
    "A7": dict(ndose=6, rs=_rs("C2D1:SD"), eot=(48, PD_, "PD"), dex=None, shift={}, death=(297, DPROG)),
    "A8": dict(ndose=7, rs=_rs("C2D1:PD", "C3D1:PD"), eot=(70, PD_, "PD"), dex="C3D1", shift={},
               death=(326, DPROG)),
    "A9": dict(ndose=4, rs=_rs("C2D1:PD"), eot=(35, PD_, "PD"), dex=None, shift={}, death=(138, DPROG)),
    "A10": dict(ndose=4, rs=_rs("C2D1:PD"), eot=(36, PD_, "PD"), dex=None, shift={}, death=(160, DPROG)),
    "A11": dict(ndose=3, rs=[], eot=(15, PD_, "PD"), dex=None, shift={}, death=(45, DPROG)),
    "A12": dict(ndose=3, rs=[], eot=(21, PD_, "PD"), dex=None, shift={}, death=(71, DPROG)),
    "A13": dict(ndose=4, rs=_rs("C2D1:PD"), eot=(38, PD_, "PD"), dex=None, shift={}, death=(189, DPROG)),
    "A14": dict(ndose=5, rs=_rs("C2D1:NE"), eot=(40, AE_, None), dex=None, shift={}, death=None),
    # --- washout 12 - <24 weeks
    "B1": dict(ndose=12, rs=_rs(*_sd_cycles(2, 5), "C6D1:PD"), eot=(147, PD_, "PD"), dex="C3D1",
               shift={"C3D1": 1}, death=(700, DPROG)),
    "B2": dict(ndose=4, rs=_rs("C2D1:PD"), eot=(34, PD_, "PD"), dex=None, shift={}, death=(205, DPROG)),
    "B3": dict(ndose=6, rs=_rs("C2D1:SD"), eot=(48, PD_, "PD"), dex=None, shift={}, death=(326, DPROG)),
    "B4": dict(ndose=4, rs=_rs("C2D1:PD"), eot=(35, PD_, "PD"), dex=None, shift={}, death=(305, DPROG)),
    "B5": dict(ndose=4, rs=[], eot=(23, PD_, "PD"), dex=None, shift={}, death=(110, DPROG)),
    "B6": dict(ndose=1, rs=[], eot=(14, WD_, None), dex=None, shift={}, death=None),
    # --- washout 24 - <48 weeks
    "C1": dict(ndose=18, rs=_rs(*_sd_cycles(2, 8), "C9D1:PD"), eot=(231, PD_, "PD"), dex="C5D1",
               shift={"C3D1": 1}, death=None),
    "C2": dict(ndose=12, rs=_rs(*_sd_cycles(2, 5), "C6D1:PD"), eot=(147, PD_, "PD"), dex="C3D1",
               shift={"C3D1": 1}, death=(745, DPROG)),
    "C3": dict(ndose=7, rs=_rs("C2D1:SD", "C3D1:SD"), eot=(66, PHY_, "SD"), dex=None,
               shift={"C3D1": 1}, death=(455, DPROG)),
    "C4": dict(ndose=7, rs=_rs("C2D1:SD", "C3D1:SD"), eot=(69, WD_, "SD"), dex=None,
               shift={"C3D1": 1}, death=(512, DPROG)),
    "C5": dict(ndose=7, rs=_rs("C2D1:PD", "C3D1:PD"), eot=(70, PD_, "PD"), dex="C3D1", shift={},
               death=(360, DPROG)),
    "C6": dict(ndose=6, rs=_rs("C2D1:SD", "C3D1:PD"), eot=(63, PD_, "PD"), dex=None, shift={"C2D15": 4},
               death=(318, DPROG)),
    "C7": dict(ndose=4, rs=_rs("C2D1:PD"), eot=(35, PD_, "PD"), dex=None, shift={}, death=(231, DPROG)),
    # --- washout >= 48 weeks
    "D1": dict(ndose=24, rs=_rs("C2D1:SD", "C3D1:SD", *_sd_cycles(4, 11, "MR"), "C12D1:PD"),
               eot=(315, PD_, "PD"), dex="C3D1", shift={"C3D1": 1}, death=None),
    "D2": dict(ndose=39, rs=_rs(*_sd_cycles(2, 19)), eot=(518, PD_, "PD"), dex="C5D1",
               shift={"C3D1": 1}, death=None),
    "D3": dict(ndose=14, rs=_rs(*_sd_cycles(2, 6), "C7D1:PD"), eot=(175, PD_, "PD"), dex="C5D1",
               shift={"C3D1": 1}, death=None),
    "D4": dict(ndose=7, rs=_rs("C2D1:SD", "C3D1:PD"), eot=(70, PD_, "PD"), dex="C3D1", shift={},
               death=(401, DPROG)),
    "D5": dict(ndose=4, rs=_rs("C2D1:PD"), eot=(35, PD_, "PD"), dex=None, shift={}, death=(243, DPROG)),
}

# --------------------------------------------------------------------------------------------
# Prior anticancer regimens, chronological.  (agents, best response, flag[, daratumumab days])
# Agent codes: see common.WHODRUG (V bortezomib, K carfilzomib, I ixazomib, R lenalidomide,
# P pomalidomide, T thalidomide, D daratumumab, E elotuzumab, MEL melphalan (high dose + ASCT),
# C cyclophosphamide, B bendamustine, PAN panobinostat, DOX liposomal doxorubicin,
# d dexamethasone, pred prednisone).
# Roles: A13 refractory to neither PI nor IMiD (2 lines, no alkylator); A10 never had an IMiD;
# B3 thalidomide-exposed but not IMiD-refractory; A6, A12, B5, C6, D5 IMiD- but not
# PI-refractory; quad(RPVK)-refractory: A5, A8, A11, C1, C2, C4, C7, D1, D4.
# --------------------------------------------------------------------------------------------
REGIMENS: dict[str, list[tuple]] = {
    "A1": [("V+R+d+MEL", "VGPR", "N"), ("R", "VGPR", "R"), ("K+d", "PR", "R"), ("P+C+d", "PR", "R"),
           ("I+R+d", "SD", "R"), ("D+P+d", "VGPR", "R", 260)],
    "A2": [("V+C+d+MEL", "VGPR", "N"), ("R", "PR", "R"), ("K+P+d", "PR", "R"), ("D", "PR", "R", 175)],
    "A3": [("V+T+d+MEL", "VGPR", "N"), ("T", "VGPR", "L"), ("R+d", "PR", "R"), ("V+C+d", "PR", "W"),
           ("K+d", "SD", "R"), ("B+d", "SD", "R"), ("D+R+d", "VGPR", "R", 300)],
    "A4": [("V+R+d+MEL", "VGPR", "N"), ("R", "VGPR", "R"), ("V+d", "PR", "R"), ("P+d", "PR", "R"),
           ("D", "MR", "R", 160)],
    "A5": [("V+T+d+MEL", "VGPR", "N"), ("R", "PR", "R"), ("V+C+d", "PR", "R"), ("K+d", "PR", "R"),
           ("P+d", "SD", "R"), ("E+P+d", "SD", "R"), ("PAN+V+d", "SD", "R"), ("D+P+d", "PR", "R", 240)],
    "A6": [("V+R+d+MEL", "VGPR", "N"), ("R", "VGPR", "R"), ("P+C+d", "PR", "R"), ("D", "SD", "R", 120)],
    "A7": [("V+R+d+MEL", "VGPR", "N"), ("K+R+d", "PR", "R"), ("D", "SD", "R", 135)],
    "A8": [("V+C+d+MEL", "PR", "N"), ("R", "PR", "R"), ("V+d", "SD", "R"), ("K+d", "PR", "R"),
           ("P+d", "PR", "R"), ("B+V+d", "SD", "R"), ("E+R+d", "SD", "R"), ("I+P+d", "SD", "R"),
           ("D+V+d", "PR", "R", 210)],
    "A9": [("V+R+d+MEL", "VGPR", "N"), ("R", "VGPR", "R"), ("K+d", "PR", "R"), ("D+d", "PR", "R", 170)],
    "A10": [("V+C+d+MEL", "VGPR", "N"), ("K+d", "PR", "R"), ("D", "PD", "R", 95)],
    "A11": [("V+T+d+MEL", "VGPR", "N"), ("R", "VGPR", "L"), ("V+R+d", "PR", "R"), ("K+d", "PR", "R"),
            ("P+d", "PR", "R"), ("C+pred", "SD", "R"), ("PAN+V+d", "SD", "R"), ("B+d", "SD", "R"),
            ("E+P+d", "SD", "R"), ("D+P+d", "PR", "R", 330)],
    "A12": [("V+C+d+MEL", "VGPR", "N"), ("R", "VGPR", "R"), ("P+d", "PR", "R"), ("E+R+d", "SD", "R"),
            ("D", "SD", "R", 150)],
    "A13": [("V+R+d", "VGPR", "L"), ("D", "PD", "R", 88)],
    "A14": [("V+C+d+MEL", "VGPR", "N"), ("K+R+d", "PR", "R"), ("D", "PD", "R", 92)],
    "B1": [("V+R+d+MEL", "VGPR", "N"), ("R", "VGPR", "R"), ("K+d", "PR", "R"), ("V+C+d", "PR", "R"),
           ("B+d", "SD", "R"), ("E+R+d", "SD", "R"), ("D+d", "PR", "R", 200)],
    "B2": [("V+T+d+MEL", "VGPR", "N"), ("R", "PR", "R"), ("V+d", "PR", "R"), ("P+d", "PR", "R"),
           ("I+R+d", "SD", "R"), ("PAN+V+d", "SD", "R"), ("B+d", "SD", "R"), ("D+R+d", "VGPR", "R", 280)],
    "B3": [("V+T+d+MEL", "VGPR", "N"), ("K+d", "PR", "R"), ("D", "PD", "R", 110)],
    "B4": [("V+R+d+MEL", "VGPR", "N"), ("R", "PR", "R"), ("K+d", "PR", "R"), ("D", "SD", "R", 126)],
    "B5": [("V+R+d+MEL", "VGPR", "N"), ("R", "VGPR", "R"), ("P+C+d", "PR", "R"), ("E+P+d", "SD", "R"),
           ("D+P+d", "PR", "R", 250), ("B+d", "SD", "R")],
    "B6": [("V+R+d+MEL", "VGPR", "N"), ("R", "VGPR", "R"), ("D", "PR", "L", 150), ("K+d", "PR", "R"),
           ("D+P+d", "PR", "R", 190), ("B+d", "SD", "R")],
    "C1": [("V+R+d+MEL", "CR", "N"), ("R", "CR", "L"), ("V+R+d", "PR", "R"), ("K+d", "PR", "R"),
           ("P+d", "PR", "R"), ("PAN+V+d", "SD", "R"), ("D+P+d", "CR", "R", 420), ("B+d", "SD", "R"),
           ("K+C+d", "SD", "R")],
    "C2": [("V+T+d+MEL", "VGPR", "N"), ("T", "VGPR", "L"), ("R+d", "PR", "R"), ("V+C+d", "PR", "R"),
           ("K+d", "PR", "R"), ("P+d", "PR", "R"), ("E+R+d", "SD", "R"), ("PAN+V+d", "SD", "R"),
           ("D+P+d", "VGPR", "R", 230), ("B+d", "SD", "R"), ("V+DOX+d", "SD", "R")],
    "C3": [("V+R+d+MEL", "VGPR", "N"), ("R", "VGPR", "R"), ("V+d", "PR", "R"), ("D", "VGPR", "L", 250),
           ("P+d", "PR", "R"), ("D+P+d", "SD", "R", 120), ("I+R+d", "SD", "R"), ("B+d", "SD", "R")],
    "C4": [("V+C+d+MEL", "VGPR", "N"), ("R", "VGPR", "R"), ("V+R+d", "PR", "R"), ("K+d", "PR", "R"),
           ("P+d", "PR", "R"), ("E+R+d", "SD", "W"), ("D+V+d", "PR", "R", 270), ("PAN+V+d", "SD", "R"),
           ("B+d", "SD", "R"), ("C+pred", "SD", "R")],
    "C5": [("V+R+d+MEL", "VGPR", "N"), ("R", "PR", "R"), ("K+d", "PR", "R"), ("V+C+d", "PR", "R"),
           ("E+R+d", "SD", "R"), ("B+d", "SD", "R"), ("D+d", "MR", "R", 140)],
    "C6": [("V+R+d+MEL", "VGPR", "N"), ("R", "VGPR", "R"), ("D", "SD", "R", 98), ("P+C+d", "SD", "R")],
    "C7": [("V+T+d+MEL", "VGPR", "N"), ("R", "VGPR", "L"), ("V+R+d", "PR", "R"), ("K+d", "PR", "R"),
           ("P+d", "PR", "R"), ("D", "PR", "L", 120), ("E+P+d", "SD", "R"), ("PAN+V+d", "SD", "R"),
           ("D+P+d", "SD", "R", 160), ("B+d", "SD", "R"), ("C+pred", "SD", "R"), ("V+DOX+d", "SD", "R")],
    "D1": [("V+T+d+MEL", "CR", "N"), ("T", "CR", "L"), ("R+d", "VGPR", "R"), ("V+C+d", "PR", "R"),
           ("K+d", "PR", "R"), ("D", "CR", "L", 500), ("P+d", "PR", "R"), ("D+P+d", "VGPR", "R", 300),
           ("E+R+d", "SD", "R"), ("PAN+V+d", "SD", "R"), ("D+V+d", "PR", "R", 150), ("B+d", "SD", "R"),
           ("V+DOX+d", "SD", "R")],
    "D2": [("V+R+d+MEL", "CR", "N"), ("R", "CR", "L"), ("V+d", "PR", "R"), ("K+R+d", "VGPR", "R"),
           ("D+R+d", "CR", "R", 400), ("E+R+d", "SD", "W"), ("PAN+V+d", "SD", "R"), ("B+d", "SD", "R"),
           ("C+pred", "SD", "R")],
    "D3": [("V+R+d+MEL", "VGPR", "N"), ("R", "VGPR", "R"), ("V+d", "PR", "R"), ("P+d", "PR", "R"),
           ("D", "VGPR", "L", 350), ("I+R+d", "SD", "R"), ("D+P+d", "PR", "R", 200), ("E+P+d", "SD", "R"),
           ("PAN+V+d", "SD", "R"), ("B+d", "SD", "R"), ("C+pred", "SD", "R")],
    "D4": [("V+T+d+MEL", "VGPR", "N"), ("T", "VGPR", "L"), ("R+d", "PR", "R"), ("V+C+d", "PR", "R"),
           ("K+d", "PR", "R"), ("P+d", "PR", "R"), ("E+R+d", "SD", "R"), ("PAN+V+d", "SD", "R"),
           ("B+d", "SD", "R"), ("D+P+d", "VGPR", "R", 310), ("I+R+d", "SD", "R"), ("C+pred", "SD", "R"),
           ("V+DOX+d", "SD", "R"), ("K+C+d", "SD", "R")],
    "D5": [("V+R+d+MEL", "VGPR", "N"), ("R", "VGPR", "R"), ("P+d", "PR", "R"), ("E+P+d", "SD", "R"),
           ("B+d", "SD", "R"), ("D", "SD", "R", 115), ("C+pred", "SD", "R")],
}

# Infusion reactions (all grade 1-2, at C1D1); the first five interrupted the infusion.
IR = {"A1": 2, "A7": 1, "B1": 2, "C3": 1, "D3": 2, "C6": 1}
IR_INTERRUPTED = ("A1", "A7", "B1", "C3", "D3")
# Grade >= 3 TEAE (16 patients): (LLT, grade, start offset or None = random in window,
#                                  action, serious)
G3 = {
    "A2": ("Pneumonia", 3, 62, "Drug interrupted", "Yes"),
    "A3": ("Low platelets", 3, 66, "Drug interrupted", "No"),
    "A4": ("Sepsis", 5, 60, "Drug withdrawn", "Yes"),
    "A5": ("Anaemia", 3, None, "Dose not changed", "No"),
    "A8": ("Acute kidney injury", 3, None, "Dose not changed", "Yes"),
    "A9": ("Pneumonia", 3, None, "Dose not changed", "Yes"),
    "A11": ("Anemia", 3, None, "Not applicable", "No"),
    "A12": ("Fatigue", 3, None, "Not applicable", "No"),
    "B1": ("Neutropenia", 3, None, "Dose not changed", "No"),
    "B2": ("Thrombocytopenia", 3, None, "Dose not changed", "No"),
    "C1": ("Hyperglycaemia", 3, 125, "Dose not changed", "No"),   # after dexamethasone (C5D1)
    "C2": ("Anaemia", 3, None, "Dose not changed", "No"),
    "C7": ("Pneumonia", 3, None, "Not applicable", "Yes"),
    "D1": ("Neutropenia", 3, None, "Dose not changed", "No"),
    "D2": ("Chest infection", 3, None, "Dose not changed", "Yes"),
    "D5": ("Acute renal failure", 3, None, "Not applicable", "Yes"),
}
# Patients without any treatment-emergent adverse event (4).  A10 has a pre-treatment AE only.
NO_TEAE = ("A10", "A13", "B4", "B6")
# Non-DCR patient whose AE led to discontinuation (grade 2).
AE_DISCONT = {"A14": ("Shingles", 2, 30)}


# --------------------------------------------------------------------------------------------
@dataclass
class Regimen:
    line: int
    agents: list[str]
    bestresp: str
    flag: str
    start: dt.date
    end: dt.date
    pd: dt.date | None
    start_unk: str = ""
    end_unk: str = ""

    @property
    def reasstop(self) -> str:
        if self.flag == "L" and "D" in self.agents:      # daratumumab course stopped without progression
            return "Other"
        return {"R": "Progressive disease", "W": "Toxicity", "L": "Completed", "N": "Completed"}[self.flag]


@dataclass
class Patient:
    key: str
    site: str
    subject: str
    trtsdt: dt.date
    sex: str
    race: str
    ethnic: str
    age: int
    ecog: int
    hctype: str
    lctype: str
    iss: str
    years_dx: float
    dx_unknown: str
    diag: dt.date
    washout: int
    cd38: int | None
    fish: tuple | None
    course: dict
    regimens: list[Regimen] = field(default_factory=list)
    consent: dt.date | None = None
    birth: dt.date | None = None


def visit_offset(folder: str) -> int:
    """Planned days from first dose for CnDd folders."""
    c, d = folder[1:].split("D")
    return 28 * (int(c) - 1) + int(d) - 1


def dose_folders(n: int) -> list[str]:
    out = ["C1D1", "C1D8", "C1D15", "C1D22"]
    c = 2
    while len(out) < n:
        out += [f"C{c}D1", f"C{c}D15"]
        c += 1
    return out[:n]


def _base_duration(agents: list[str], line: int) -> float:
    if "MEL" in agents:
        return 240.0
    if agents in (["R"], ["T"]):
        return 420.0 if line <= 3 else 250.0
    return 150.0


def layout_regimens(p: Patient, specs: list[tuple], rng: np.random.Generator) -> list[Regimen]:
    """Place the regimens between diagnosis and the first isatuximab dose.

    The last daratumumab regimen ends ``washout`` days before the first dose; regimens after it
    share the washout window; earlier ones share the time from diagnosis (+3-5 weeks) to the
    start of that regimen.  Gaps: after R/W progression 10-20 days, after L (late progression)
    the PD date is 95-150 days after the end and the next line starts 10-25 days later, after N
    (planned end) 7-30 days.
    """
    n = len(specs)
    dara_idx = [i for i, s in enumerate(specs) if "D" in s[0].split("+")]
    j = dara_idx[-1]
    t = p.trtsdt
    dara_end = t - dt.timedelta(days=p.washout)

    def gap_after(flag: str) -> tuple[int, int]:
        """(days from end to PD, days from end to next start)."""
        if flag == "R":
            g = int(rng.integers(10, 21))
            return 0, g
        if flag == "W":
            pdd = int(rng.integers(20, 46))
            return pdd, pdd + int(rng.integers(7, 15))
        if flag == "L":
            pdd = int(rng.integers(95, 151))
            return pdd, pdd + int(rng.integers(10, 26))
        return -1, int(rng.integers(7, 31))

    starts: list[dt.date] = [None] * n   # type: ignore[list-item]
    ends: list[dt.date] = [None] * n     # type: ignore[list-item]
    pds: list[dt.date | None] = [None] * n

    def fill(idx: list[int], win_start: dt.date, win_end: dt.date) -> None:
        """Lay regimens idx consecutively in [win_start, win_end] (win_end = end of the last one).

        Free (non-daratumumab) regimens share the window in proportion to typical durations,
        stretched at most 1.5x (maintenance up to 6.5 years); time left over becomes longer
        treatment-free intervals (first after late progressions, then between lines).
        """
        gaps = [list(gap_after(specs[i][2])) for i in idx]
        fixed = {i: specs[i][3] for i in idx if len(specs[i]) > 3}
        free = [i for i in idx if i not in fixed]
        total = (win_end - win_start).days + 1
        inner = list(range(len(idx) - 1))                  # gaps inside the window
        avail = total - sum(gaps[k][1] for k in inner) - sum(fixed.values())
        base = {i: _base_duration(specs[i][0].split("+"), i + 1) for i in free}
        maint = [i for i in free if specs[i][0] in ("R", "T")]
        scale = avail / sum(base.values())
        if scale < 0.25:
            raise ValueError(f"{p.key}: regimens do not fit ({avail} days for {len(free)})")
        if scale <= 1.5 or not inner:
            dur = {i: max(28, int(round(base[i] * scale))) for i in free}
        else:
            dur = {i: int(round(base[i] * 1.5)) for i in free}
            for i in maint:
                extra = avail - sum(dur.values())
                dur[i] = min(2400, dur[i] + max(0, extra))
            slack = avail - sum(dur.values())
            # slack goes before any daratumumab course (daratumumab was approved in 2015)
            first_d = min([k for k in range(len(idx)) if idx[k] in fixed], default=len(idx))
            early = [k for k in inner if k < first_d] or inner
            late = [k for k in early if specs[idx[k]][2] == "L"]
            for k in late:                                   # longer remissions after late PD
                add = min(slack // len(late), 1500)
                gaps[k][0] += add
                gaps[k][1] += add
            slack = total - sum(dur.values()) - sum(fixed.values()) - sum(gaps[k][1] for k in inner)
            for k in early:                                  # then longer intervals between lines
                gaps[k][1] += slack // len(early)
        # consecutive layout: sum(durations) + sum(inner gaps) = window length + (n - 1)
        diff = total + len(idx) - 1 - sum(dur.values()) - sum(fixed.values()) - sum(gaps[k][1] for k in inner)
        k = max(free, key=lambda i: dur[i])
        dur[k] += diff                                       # absorb rounding
        dur.update(fixed)
        cur = win_start
        for pos, i in enumerate(idx):
            starts[i] = cur
            ends[i] = cur + dt.timedelta(days=dur[i] - 1)
            pd_off, nxt = gaps[pos]
            if specs[i][2] != "N":
                pds[i] = ends[i] + dt.timedelta(days=pd_off)
            cur = ends[i] + dt.timedelta(days=nxt)

    # regimen j (last daratumumab) is anchored on its end date
    dur_j = specs[j][3]
    start_j = dara_end - dt.timedelta(days=dur_j - 1)
    first_start = p.diag + dt.timedelta(days=int(rng.integers(21, 36)))
    if j > 0:
        # regimens 1..j-1 fill the time from the first treatment to the start of regimen j;
        # the last of them ends so that its own gap (PD / next start) leads into start_j
        before = list(range(j))
        gaps_prev = gap_after(specs[j - 1][2])
        win_end = start_j - dt.timedelta(days=gaps_prev[1])
        fill(before, first_start, win_end)
        # recompute PD of regimen j-1 consistently with the actual gap
        if specs[j - 1][2] != "N":
            pds[j - 1] = ends[j - 1] + dt.timedelta(days=gaps_prev[0])
    starts[j], ends[j] = start_j, dara_end
    pds[j] = dara_end if specs[j][2] == "R" else None
    if specs[j][2] == "L":
        pds[j] = dara_end + dt.timedelta(days=int(rng.integers(95, 151)))
    if j < n - 1:
        after = list(range(j + 1, n))
        g0 = int(rng.integers(10, 21))
        win_start = dara_end + dt.timedelta(days=g0)
        if pds[j] is not None and pds[j] > dara_end:
            win_start = pds[j] + dt.timedelta(days=int(rng.integers(10, 21)))
        win_end = t - dt.timedelta(days=int(rng.integers(21, 36)))
        fill(after, win_start, win_end)
    regs = []
    for i, s in enumerate(specs):
        regs.append(Regimen(line=i + 1, agents=s[0].split("+"), bestresp=s[1], flag=s[2],
                            start=starts[i], end=ends[i], pd=pds[i]))
    return regs


def build_cohort(rng: np.random.Generator) -> list[Patient]:
    """Materialise the 32 patients (dates, regimens) from the tables above."""
    patients: list[Patient] = []
    site_count: dict[str, int] = {}
    for row in sorted(_BASE, key=lambda r: r[2]):          # enrolment order = first dose order
        (key, site, t, sex, race, age, ecog, hc, lc, iss, yrs, dxunk, wash, cd38, fish) = row
        site_count[site] = site_count.get(site, 0) + 1
        subject = f"{site}-{site_count[site]:03d}"
        ethnic = "Not Hispanic or Latino"
        if key in ("C4", "B4"):
            ethnic = "Hispanic or Latino"
        if race == "NR":
            ethnic = "Not reported"
        diag = t - dt.timedelta(days=int(round(yrs * 365.25)))
        p = Patient(key=key, site=site, subject=subject, trtsdt=t, sex="Male" if sex == "M" else "Female",
                    race=RACE[race], ethnic=ethnic, age=age, ecog=ecog, hctype=hc, lctype=lc, iss=iss,
                    years_dx=yrs, dx_unknown=dxunk, diag=diag, washout=wash, cd38=cd38, fish=fish,
                    course=COURSE[key])
        p.consent = t - dt.timedelta(days=int(rng.integers(7, 28)))
        # birth: day unknown (imputed to the 1st); choose a month, then the year giving `age`
        bm = int(rng.integers(1, 13))
        by = p.consent.year - age
        if (bm, 1) > (p.consent.month, p.consent.day):
            by -= 1
        p.birth = dt.date(by, bm, 1)
        p.regimens = layout_regimens(p, REGIMENS[key], rng)
        # a few partial prior-therapy dates (first line only, never a daratumumab regimen)
        if key in ("A5", "B2", "C2", "D1", "D4", "C7") and "D" not in p.regimens[0].agents:
            p.regimens[0].start_unk = "D"
            r0, r1 = p.regimens[0], p.regimens[1]
            # an end date with unknown day only where the next line starts in a later month
            if key in ("D1", "D4") and (r1.start.year, r1.start.month) > (r0.end.year, r0.end.month):
                r0.end_unk = "D"
        patients.append(p)
    return patients


def death_date(p: Patient) -> dt.date | None:
    d = p.course["death"]
    return None if d is None else p.trtsdt + dt.timedelta(days=d[0] - 1)


assert all(k in COURSE and k in REGIMENS for k, *_ in _BASE)
assert DATA_CUTOFF.year == 2019
