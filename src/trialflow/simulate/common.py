"""Shared pieces of the synthetic raw study: CRF form layouts, date formats, dictionaries, writers.

Everything here is *CRF-level*: the strings a site would type into the EDC (coded items as CRF
labels, dates as ``DD MON YYYY`` with ``UN``/``UNK`` for unknown parts, lab values as text in the
units the site used).  Nothing derived (ISS stage, refractoriness, line counts, best response...)
is ever written.

Dictionaries
------------
* ``MEDDRA`` — a small MedDRA-style dictionary (LLT -> PT -> HLT -> HLGT -> SOC, primary path,
  written as in MedDRA v21.0 to the best of our knowledge).  Verbatim terms map to an LLT; several
  LLTs map to the same PT (e.g. "Tiredness" -> Fatigue, "High blood pressure" -> Hypertension).
* ``WHODRUG`` — WHODrug-style preferred names (uppercase), ATC code and ATC class text
  (ATC versions contemporaneous with the study, e.g. bortezomib L01XX32).
* ``SITES`` — the 19 sites in the USA and Europe (the publication: "19 sites in the USA and
  Europe").  The SITE number is ISO 3166 numeric country code + 3-digit site number.
  US sites report local chemistry in conventional units (albumin g/dL, haemoglobin g/dL,
  creatinine mg/dL); European sites in SI-style units (albumin g/L, haemoglobin g/L,
  creatinine umol/L).  Myeloma markers (serum/urine M-protein, free light chains,
  beta-2 microglobulin) come from the central laboratory in g/dL, mg/24h, mg/L, mg/L everywhere;
  calcium in mg/dL everywhere.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd

from ..io import write_csv
from ..rounding import quantize_half_up

STUDY = "TCD14079"
DATA_CUTOFF = dt.date(2019, 10, 31)
DEFAULT_SEED = 20191031

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

KEYS = ["STUDY", "SITE", "SUBJECT", "FOLDER", "RECORDPOSITION"]

# Column order of every form after the 5 key columns (exactly as in the working contract).
FORMS: dict[str, list[str]] = {
    "dm": ["BRTHDAT", "SEX", "RACE", "ETHNIC", "COUNTRY"],
    "ic": ["ICDAT", "ENRLDAT", "PROTVER"],
    "mmdx": ["DIAGDAT", "HCTYPE", "LCTYPE"],
    "fish": ["FISHPERF", "FISHDAT", "PROBE", "PCTABN", "FISHND"],
    "prthx": ["LINENO", "AGENT", "CMDECOD", "ATCCODE", "ATCCLAS", "STDAT", "ENDAT", "BESTRESP",
              "PDFL", "PDDAT", "REASSTOP"],
    "prtx": ["TXDAT", "TXTYPE"],
    "mh": ["MHTERM", "MHLLT", "MHDECOD", "MHHLT", "MHHLGT", "MHSOC", "MHSTDAT", "MHONGO"],
    "lb": ["LBDAT", "LBTEST", "LBORRES", "LBORRESU", "LBND"],
    "ecog": ["ECOGDAT", "ECOG"],
    "cd38": ["CD38DAT", "CD38SPEC", "CD38RD"],
    "ex": ["EXSTDAT", "EXSTTIM", "EXENTIM", "EXDOSE", "WEIGHT", "EXINT", "EXINTRS"],
    "cm": ["CMTRT", "CMDECOD", "ATCCODE", "ATCCLAS", "CMINDC", "CMDOSE", "CMDOSU", "CMROUTE",
           "CMSTDAT", "CMENDAT", "CMONGO", "PROTDEX"],
    "ae": ["AETERM", "AELLT", "AEDECOD", "AEHLT", "AEHLGT", "AESOC", "AESTDAT", "AEENDAT", "AEONGO",
           "AETOXGR", "AESER", "AEREL", "AEACN", "AEOUT", "AEIR"],
    "rsp": ["RSDAT", "OVRLRESP"],
    "eot": ["EOTDAT", "EOTREAS"],
    "surv": ["SURVDAT", "SURVSTAT", "DTHDAT", "DTHCAUSE"],
    "sv": ["VISDAT"],
}

# Log forms (not tied to a visit) use FOLDER "LOG"; baseline history forms use "SCRN".
LOG_FOLDER = "LOG"

ECOG_LABELS = {
    0: "0 - Fully active",
    1: "1 - Restricted in physically strenuous activity",
    2: "2 - Ambulatory and capable of all self-care",
    3: "3 - Capable of only limited self-care",
    4: "4 - Completely disabled",
}

RESP_LABELS = {
    "sCR": "Stringent complete response", "CR": "Complete response",
    "VGPR": "Very good partial response", "PR": "Partial response", "MR": "Minimal response",
    "SD": "Stable disease", "PD": "Progressive disease", "NE": "Not evaluable", "UNK": "Unknown",
}

# (site number, country ISO3)
SITES: list[tuple[str, str]] = [
    ("840001", "USA"), ("840002", "USA"), ("840003", "USA"), ("840004", "USA"), ("840005", "USA"),
    ("840006", "USA"), ("840007", "USA"), ("840008", "USA"), ("840009", "USA"),
    ("250001", "FRA"), ("250002", "FRA"), ("250003", "FRA"), ("250004", "FRA"),
    ("724001", "ESP"), ("724002", "ESP"),
    ("276001", "DEU"), ("276002", "DEU"),
    ("380001", "ITA"),
    ("056001", "BEL"),
]
SITE_COUNTRY = dict(SITES)


def is_us(site: str) -> bool:
    return SITE_COUNTRY[site] == "USA"


# ----------------------------------------------------------------------------- dictionaries
# MedDRA-style: LLT -> (PT, HLT, HLGT, SOC)
_GEN = "General disorders and administration site conditions"
_GI = "Gastrointestinal disorders"
_RESP = "Respiratory, thoracic and mediastinal disorders"
_INF = "Infections and infestations"
_BLOOD = "Blood and lymphatic system disorders"
_MSK = "Musculoskeletal and connective tissue disorders"
_NERV = "Nervous system disorders"
_META = "Metabolism and nutrition disorders"
_PSY = "Psychiatric disorders"
_VASC = "Vascular disorders"
_REN = "Renal and urinary disorders"
_INJ = "Injury, poisoning and procedural complications"
_CARD = "Cardiac disorders"
_ENDO = "Endocrine disorders"

_PT: dict[str, tuple[str, str, str]] = {
    # PT: (HLT, HLGT, SOC)
    "Fatigue": ("Asthenic conditions", "General system disorders NEC", _GEN),
    "Pyrexia": ("Febrile disorders", "Body temperature conditions", _GEN),
    "Oedema peripheral": ("Oedema NEC", "General system disorders NEC", _GEN),
    "Nausea": ("Nausea and vomiting symptoms", "Gastrointestinal signs and symptoms", _GI),
    "Vomiting": ("Nausea and vomiting symptoms", "Gastrointestinal signs and symptoms", _GI),
    "Diarrhoea": ("Diarrhoea (excl infective)", "Gastrointestinal motility and defaecation conditions", _GI),
    "Constipation": ("Gastrointestinal atonic and hypomotility disorders NEC",
                     "Gastrointestinal motility and defaecation conditions", _GI),
    "Cough": ("Coughing and associated symptoms", "Respiratory disorders NEC", _RESP),
    "Dyspnoea": ("Breathing abnormalities", "Respiratory disorders NEC", _RESP),
    "Upper respiratory tract infection": ("Upper respiratory tract infections",
                                          "Infections - pathogen unspecified", _INF),
    "Pneumonia": ("Lower respiratory tract and lung infections", "Infections - pathogen unspecified", _INF),
    "Lower respiratory tract infection": ("Lower respiratory tract and lung infections",
                                          "Infections - pathogen unspecified", _INF),
    "Sepsis": ("Sepsis, bacteraemia, viraemia and fungaemia NEC", "Infections - pathogen unspecified", _INF),
    "Herpes zoster": ("Herpes viral infections", "Viral infectious disorders", _INF),
    "Back pain": ("Musculoskeletal and connective tissue pain and discomfort",
                  "Musculoskeletal and connective tissue disorders NEC", _MSK),
    "Arthralgia": ("Joint related signs and symptoms", "Joint disorders", _MSK),
    "Osteoporosis": ("Metabolic bone disorders", "Bone disorders (excl congenital and fractures)", _MSK),
    "Headache": ("Headaches NEC", "Headaches", _NERV),
    "Peripheral sensory neuropathy": ("Peripheral neuropathies NEC", "Peripheral neuropathies", _NERV),
    "Anaemia": ("Anaemias NEC", "Anaemias nonhaemolytic and marrow depression", _BLOOD),
    "Thrombocytopenia": ("Thrombocytopenias", "Platelet disorders", _BLOOD),
    "Neutropenia": ("Neutropenias", "White blood cell disorders", _BLOOD),
    "Acute kidney injury": ("Renal failure and impairment", "Renal disorders (excl nephropathies)", _REN),
    "Chronic kidney disease": ("Renal failure and impairment", "Renal disorders (excl nephropathies)", _REN),
    "Hypertension": ("Vascular hypertensive disorders NEC", "Vascular hypertensive disorders", _VASC),
    "Decreased appetite": ("Appetite disorders", "Appetite and general nutritional disorders", _META),
    "Hyperglycaemia": ("Hyperglycaemic conditions NEC",
                       "Glucose metabolism disorders (incl diabetes mellitus)", _META),
    "Type 2 diabetes mellitus": ("Diabetes mellitus (incl subtypes)",
                                 "Glucose metabolism disorders (incl diabetes mellitus)", _META),
    "Insomnia": ("Disturbances in initiating and maintaining sleep",
                 "Sleep disorders and disturbances", _PSY),
    "Depression": ("Depressive disorders", "Depressed mood disorders and disturbances", _PSY),
    "Infusion related reaction": ("Non-site specific procedural complications",
                                  "Procedural related injuries and complications NEC", _INJ),
    "Atrial fibrillation": ("Supraventricular arrhythmias", "Cardiac arrhythmias", _CARD),
    "Hypothyroidism": ("Thyroid hypofunction disorders", "Thyroid gland disorders", _ENDO),
}

# LLT: PT   (LLT == PT unless listed)
_LLT_TO_PT: dict[str, str] = {pt: pt for pt in _PT}
_LLT_TO_PT.update({
    "Tiredness": "Fatigue",
    "Fever": "Pyrexia",
    "High blood pressure": "Hypertension",
    "Chest infection": "Lower respiratory tract infection",
    "Shingles": "Herpes zoster",
    "Low back pain": "Back pain",
    "Anemia": "Anaemia",
    "Low platelets": "Thrombocytopenia",
    "Diarrhea": "Diarrhoea",
    "Shortness of breath": "Dyspnoea",
    "Acute renal failure": "Acute kidney injury",
    "Diabetes mellitus type 2": "Type 2 diabetes mellitus",
    "Infusion reaction": "Infusion related reaction",
    "Loss of appetite": "Decreased appetite",
    "Peripheral neuropathy sensory": "Peripheral sensory neuropathy",
    "Sleeplessness": "Insomnia",
    "Leg swelling": "Oedema peripheral",
})


def meddra(llt: str) -> dict[str, str]:
    """Full primary-path hierarchy for an LLT (raises KeyError for unknown terms)."""
    pt = _LLT_TO_PT[llt]
    hlt, hlgt, soc = _PT[pt]
    return {"LLT": llt, "PT": pt, "HLT": hlt, "HLGT": hlgt, "SOC": soc}


# WHODrug-style: code -> (preferred name, ATC code, ATC class text, verbatim variants)
WHODRUG: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "V": ("BORTEZOMIB", "L01XX32", "OTHER ANTINEOPLASTIC AGENTS", ("Bortezomib", "Velcade")),
    "K": ("CARFILZOMIB", "L01XX45", "OTHER ANTINEOPLASTIC AGENTS", ("Carfilzomib", "Kyprolis")),
    "I": ("IXAZOMIB", "L01XX50", "OTHER ANTINEOPLASTIC AGENTS", ("Ixazomib", "Ninlaro")),
    "R": ("LENALIDOMIDE", "L04AX04", "OTHER IMMUNOSUPPRESSANTS", ("Lenalidomide", "Revlimid")),
    "P": ("POMALIDOMIDE", "L04AX06", "OTHER IMMUNOSUPPRESSANTS", ("Pomalidomide", "Pomalyst", "Imnovid")),
    "T": ("THALIDOMIDE", "L04AX02", "OTHER IMMUNOSUPPRESSANTS", ("Thalidomide", "Thalomid")),
    "D": ("DARATUMUMAB", "L01XC24", "MONOCLONAL ANTIBODIES", ("Daratumumab", "Darzalex", "Dara")),
    "E": ("ELOTUZUMAB", "L01XC23", "MONOCLONAL ANTIBODIES", ("Elotuzumab", "Empliciti")),
    "MEL": ("MELPHALAN", "L01AA03", "NITROGEN MUSTARD ANALOGUES",
            ("High dose melphalan", "Melphalan", "Alkeran")),
    "C": ("CYCLOPHOSPHAMIDE", "L01AA01", "NITROGEN MUSTARD ANALOGUES", ("Cyclophosphamide", "Cytoxan")),
    "B": ("BENDAMUSTINE", "L01AA09", "NITROGEN MUSTARD ANALOGUES", ("Bendamustine", "Treanda")),
    "PAN": ("PANOBINOSTAT", "L01XX42", "OTHER ANTINEOPLASTIC AGENTS", ("Panobinostat", "Farydak")),
    "DOX": ("DOXORUBICIN", "L01DB01", "ANTHRACYCLINES AND RELATED SUBSTANCES",
            ("Pegylated liposomal doxorubicin", "Doxil")),
    "d": ("DEXAMETHASONE", "H02AB02", "GLUCOCORTICOIDS", ("Dexamethasone", "Dex")),
    "pred": ("PREDNISONE", "H02AB07", "GLUCOCORTICOIDS", ("Prednisone",)),
}

# Concomitant medications: CMTRT verbatim -> (CMDECOD, ATC code, ATC class, indication, dose, unit, route)
CONMEDS: dict[str, tuple[str, str, str, str, str, str, str]] = {
    "Acetaminophen": ("PARACETAMOL", "N02BE01", "ANILIDES", "Premedication", "650", "mg", "Oral"),
    "Diphenhydramine": ("DIPHENHYDRAMINE", "R06AA02", "AMINOALKYL ETHERS", "Premedication", "25", "mg",
                        "Intravenous"),
    "Ranitidine": ("RANITIDINE", "A02BA02", "H2-RECEPTOR ANTAGONISTS", "Premedication", "50", "mg",
                   "Intravenous"),
    "Methylprednisolone": ("METHYLPREDNISOLONE", "H02AB04", "GLUCOCORTICOIDS", "Premedication", "100", "mg",
                           "Intravenous"),
    "Acyclovir": ("ACICLOVIR", "J05AB01",
                  "NUCLEOSIDES AND NUCLEOTIDES EXCL. REVERSE TRANSCRIPTASE INHIBITORS",
                  "Herpes zoster prophylaxis", "400", "mg", "Oral"),
    "Allopurinol": ("ALLOPURINOL", "M04AA01", "PREPARATIONS INHIBITING URIC ACID PRODUCTION",
                    "Hyperuricaemia prophylaxis", "300", "mg", "Oral"),
    "Zoledronic acid": ("ZOLEDRONIC ACID", "M05BA08", "BISPHOSPHONATES", "Bone disease", "4", "mg",
                        "Intravenous"),
    "Pantoprazole": ("PANTOPRAZOLE", "A02BC02", "PROTON PUMP INHIBITORS", "Gastric protection", "40", "mg",
                     "Oral"),
    "Amlodipine": ("AMLODIPINE", "C08CA01", "DIHYDROPYRIDINE DERIVATIVES", "Hypertension", "5", "mg", "Oral"),
    "Metformin": ("METFORMIN", "A10BA02", "BIGUANIDES", "Type 2 diabetes mellitus", "500", "mg", "Oral"),
    "Levothyroxine": ("LEVOTHYROXINE SODIUM", "H03AA01", "THYROID HORMONES", "Hypothyroidism", "75", "ug",
                      "Oral"),
}
PROTDEX_CM = ("Dexamethasone", "DEXAMETHASONE", "H02AB02", "GLUCOCORTICOIDS", "Multiple myeloma", "Oral")


# ----------------------------------------------------------------------------- formatting
def fmt_date(d: dt.date | None) -> str:
    if d is None:
        return ""
    return f"{d.day:02d} {MONTHS[d.month - 1]} {d.year:04d}"


def fmt_partial(d: dt.date, unknown: str = "") -> str:
    """unknown: '' (full), 'D' (day unknown), 'DM' (day and month unknown)."""
    if unknown == "D":
        return f"UN {MONTHS[d.month - 1]} {d.year:04d}"
    if unknown == "DM":
        return f"UN UNK {d.year:04d}"
    return fmt_date(d)


def fmt_num(x: float, dp: int) -> str:
    """Fixed decimal formatting, half away from zero (deterministic across platforms)."""
    return str(quantize_half_up(Decimal(repr(float(x))), max(dp, 0)))


def fmt_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# ----------------------------------------------------------------------------- writing
def finalize(form: str, df: pd.DataFrame) -> pd.DataFrame:
    """Order columns, add RECORDPOSITION (1..n within subject/folder), sort deterministically."""
    cols = KEYS + FORMS[form]
    df = df.copy()
    df["STUDY"] = STUDY
    if "RECORDPOSITION" not in df.columns or df["RECORDPOSITION"].isna().all():
        df["_ord"] = range(len(df))
        df = df.sort_values(["SUBJECT", "_ord"], kind="stable")
        df["RECORDPOSITION"] = df.groupby(["SUBJECT", "FOLDER"], sort=False).cumcount() + 1
        df = df.drop(columns="_ord")
    for c in cols:
        if c not in df.columns:
            df[c] = ""
    df = df[cols].astype(str).fillna("")
    df["RECORDPOSITION"] = df["RECORDPOSITION"].astype(str)
    return df.reset_index(drop=True)


def write_csv_atomic(df: pd.DataFrame, path: Path) -> None:
    write_csv(path, df)