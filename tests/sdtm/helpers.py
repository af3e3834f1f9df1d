"""Helpers: a small hand-made study (two subjects) with the real SDTM specs, for hand-worked expectations.

Subject 840001-001 (USA) is treated: consent 01 MAR 2018, infusions 12 MAR 2018 09:30 and
19 MAR 2018 (interrupted), end of treatment 10 APR 2018 (progression), alive at 10 MAY 2018.
Subject 250001-001 (France) consented on 10 JAN 2018 and was never dosed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from trialflow.simulate.common import FORMS, KEYS  # the raw form layout, stated once
from trialflow.study import Study

ROOT = Path(__file__).resolve().parents[2]
A, B = "840001-001", "250001-001"
SOC = "Nervous system disorders"


def _rows():
    """form -> list of (SUBJECT, FOLDER, {item: value})."""
    return {
        "dm": [(A, "SCRN", dict(BRTHDAT="UN MAR 1950", SEX="Male", RACE="White", ETHNIC="Not Hispanic or Latino",
                                COUNTRY="USA")),
               (B, "SCRN", dict(BRTHDAT="UN UNK 1946", SEX="Female", RACE="Asian", ETHNIC="Not reported",
                                COUNTRY="FRA"))],
        "ic": [(A, "SCRN", dict(ICDAT="01 MAR 2018", ENRLDAT="05 MAR 2018", PROTVER="Amended protocol 03")),
               (B, "SCRN", dict(ICDAT="10 JAN 2018", ENRLDAT="", PROTVER="Amended protocol 03"))],
        "mmdx": [(A, "SCRN", dict(DIAGDAT="UN MAR 2015", HCTYPE="IgG", LCTYPE="Kappa")),
                 (B, "SCRN", dict(DIAGDAT="12 JUN 2016", HCTYPE="None", LCTYPE="Lambda"))],
        "fish": [(A, "SCRN", dict(FISHPERF="Yes", FISHDAT="02 MAR 2018", PROBE=p, PCTABN=v, FISHND=""))
                 for p, v in (("del(17p)", "12"), ("t(4;14)", "0"), ("t(14;16)", "3"))]
        + [(B, "SCRN", dict(FISHPERF="No", FISHDAT="", PROBE="", PCTABN="", FISHND="Insufficient plasma cells"))],
        "prthx": [(A, "SCRN", dict(LINENO="1", AGENT=ag, CMDECOD=dec, ATCCODE=atc, ATCCLAS=cls, STDAT="UN MAR 2015",
                                   ENDAT="20 DEC 2015", BESTRESP="Very good partial response", PDFL="No", PDDAT="",
                                   REASSTOP="Completed"))
                  for ag, dec, atc, cls in (("Velcade", "BORTEZOMIB", "L01XX32", "OTHER ANTINEOPLASTIC AGENTS"),
                                            ("Dexamethasone", "DEXAMETHASONE", "H02AB02", "GLUCOCORTICOIDS"))]
        + [(A, "SCRN", dict(LINENO="2", AGENT="Dara", CMDECOD="DARATUMUMAB", ATCCODE="L01XC24",
                            ATCCLAS="MONOCLONAL ANTIBODIES", STDAT="05 JUN 2017", ENDAT="10 JAN 2018",
                            BESTRESP="Partial response", PDFL="Yes", PDDAT="10 JAN 2018",
                            REASSTOP="Progressive disease"))],
        "prtx": [(A, "SCRN", dict(TXDAT="15 SEP 2015", TXTYPE="Autologous"))],
        "mh": [(A, "SCRN", dict(MHTERM="High blood pressure", MHLLT="High blood pressure", MHDECOD="Hypertension",
                                MHHLT="Vascular hypertensive disorders NEC", MHHLGT="Vascular hypertensive disorders",
                                MHSOC="Vascular disorders", MHSTDAT="UN UNK 1946", MHONGO="Yes"))],
        "lb": [(A, "SCRN", dict(LBDAT="02 MAR 2018", LBTEST="Albumin", LBORRES="35", LBORRESU="g/L", LBND="")),
               (A, "SCRN", dict(LBDAT="02 MAR 2018", LBTEST="Creatinine", LBORRES="88.4", LBORRESU="umol/L", LBND="")),
               (A, "C1D1", dict(LBDAT="12 MAR 2018", LBTEST="Albumin", LBORRES="3.6", LBORRESU="g/dL", LBND="")),
               (A, "C1D1", dict(LBDAT="12 MAR 2018", LBTEST="Serum M-protein", LBORRES="", LBORRESU="g/dL",
                                LBND="Sample not collected")),
               (A, "EOT", dict(LBDAT="10 APR 2018", LBTEST="Albumin", LBORRES="30", LBORRESU="g/L", LBND=""))],
        "ecog": [(A, "SCRN", dict(ECOGDAT="02 MAR 2018", ECOG="1 - Restricted in physically strenuous activity")),
                 (A, "EOT", dict(ECOGDAT="10 APR 2018", ECOG="2 - Ambulatory and capable of all self-care"))],
        "cd38": [(A, "SCRN", dict(CD38DAT="02 MAR 2018", CD38SPEC="Bone marrow aspirate", CD38RD="4500"))],
        "ex": [(A, "C1D1", dict(EXSTDAT="12 MAR 2018", EXSTTIM="09:30", EXENTIM="11:00", EXDOSE="20", WEIGHT="70.0",
                                EXINT="No", EXINTRS="")),
               (A, "C1D8", dict(EXSTDAT="19 MAR 2018", EXSTTIM="9:05", EXENTIM="10:30", EXDOSE="20", WEIGHT="",
                                EXINT="Yes", EXINTRS="Infusion related reaction"))],
        "cm": [(A, "LOG", dict(CMTRT="Acetaminophen", CMDECOD="PARACETAMOL", ATCCODE="N02BE01", ATCCLAS="ANILIDES",
                               CMINDC="Premedication", CMDOSE="650", CMDOSU="mg", CMROUTE="Oral",
                               CMSTDAT="12 MAR 2018", CMENDAT="19 MAR 2018", CMONGO="No", PROTDEX="No")),
               (A, "LOG", dict(CMTRT="Dexamethasone", CMDECOD="DEXAMETHASONE", ATCCODE="H02AB02",
                               ATCCLAS="GLUCOCORTICOIDS", CMINDC="Multiple myeloma", CMDOSE="40", CMDOSU="mg",
                               CMROUTE="Oral", CMSTDAT="19 MAR 2018", CMENDAT="", CMONGO="Yes", PROTDEX="Yes"))],
        "ae": [(A, "LOG", dict(AETERM=t, AELLT=t, AEDECOD=t, AEHLT="Headaches NEC", AEHLGT="Headaches", AESOC=SOC,
                               AESTDAT=st, AEENDAT=en, AEONGO=og, AETOXGR=g, AESER="No", AEREL="Not related",
                               AEACN="Not applicable", AEOUT=out, AEIR="No"))
               for t, st, en, og, g, out in (("Headache", "11 MAR 2018", "11 MAR 2018", "No", "1", "Recovered/resolved"),
                                             ("Dizziness", "12 MAR 2018", "13 MAR 2018", "No", "2", "Recovered/resolved"),
                                             ("Tremor", "11 APR 2018", "", "Yes", "1", "Not recovered/not resolved"))],
        "rsp": [(A, "EOT", dict(RSDAT="10 APR 2018", OVRLRESP="Progressive disease"))],
        "eot": [(A, "EOT", dict(EOTDAT="10 APR 2018", EOTREAS="Progressive disease"))],
        "surv": [(A, "FU1", dict(SURVDAT="10 MAY 2018", SURVSTAT="Alive", DTHDAT="", DTHCAUSE=""))],
        "sv": [(A, f, dict(VISDAT=d)) for f, d in (("SCRN", "02 MAR 2018"), ("C1D1", "12 MAR 2018"),
                                                  ("C1D8", "19 MAR 2018"), ("EOT", "10 APR 2018"),
                                                  ("FU1", "10 MAY 2018"))]
        + [(B, "SCRN", dict(VISDAT="11 JAN 2018"))],
    }


def csv_text(form: str, rows) -> str:
    cols = KEYS + FORMS[form]
    lines = [",".join(cols)]
    pos: dict[tuple[str, str], int] = {}
    for subject, folder, items in rows:
        pos[(subject, folder)] = pos.get((subject, folder), 0) + 1
        vals = ["TCD14079", subject.split("-")[0], subject, folder, str(pos[(subject, folder)])]
        vals += [items.get(c, "") for c in FORMS[form]]
        lines.append(",".join(vals))
    return "\n".join(lines) + "\n"


def make_study(root: Path, rows=None) -> Study:
    specs = root / "specs"
    (specs / "adam").mkdir(parents=True, exist_ok=True)
    (specs / "tlf").mkdir(exist_ok=True)
    shutil.copytree(ROOT / "specs" / "sdtm", specs / "sdtm", dirs_exist_ok=True)
    for f in ("codelists.yaml", "study.yaml"):
        shutil.copy(ROOT / "specs" / f, specs / f)
    raw = root / "raw"
    raw.mkdir(exist_ok=True)
    for form, rs in (rows or _rows()).items():
        (raw / f"{form}.csv").write_text(csv_text(form, rs))
    return Study(root)


def rows():
    return _rows()
