"""Small hand-made SDTM frames shaped like the real datasets (as read back from XPT)."""

from __future__ import annotations

import pandas as pd

STUDYID = "TCD14079"


def usubjid(subject: str) -> str:
    return f"{STUDYID}-840001-{subject}"


def frame(specs, name: str, records: list[dict]) -> pd.DataFrame:
    """An SDTM dataset as read back from XPT: every spec variable, Char missing "", Num NaN.

    Records give USUBJID as the 3-digit subject ("001"); --SEQ is numbered per subject when
    not given; STUDYID and DOMAIN are filled in.
    """
    spec = specs.dataset(name)
    rows = []
    for rec in records:
        row = {v.name: ("" if v.is_char else float("nan")) for v in spec.variables}
        row.update({k: v for k, v in rec.items() if k != "USUBJID"})
        row["STUDYID"] = STUDYID
        if "DOMAIN" in row:
            row["DOMAIN"] = name
        if "RDOMAIN" in row:
            row["RDOMAIN"] = name[4:]
        row["USUBJID"] = usubjid(rec["USUBJID"]) if "USUBJID" in rec else ""
        rows.append(row)
    df = pd.DataFrame(rows, columns=spec.names)
    seq = f"{name}SEQ"
    if seq in df and df[seq].isna().any():
        df[seq] = df.groupby("USUBJID").cumcount().add(1).astype("float64")
    for v in spec.variables:
        df[v.name] = df[v.name].astype("str") if v.is_char else df[v.name].astype("float64")
    return df


def supp(specs, parent: pd.DataFrame, name: str, quals: list[tuple[int, str, str]]) -> pd.DataFrame:
    """SUPP-- records (row index of parent, QNAM, QVAL) pointing at the parent's --SEQ."""
    seq = f"{name}SEQ"
    recs = [{"USUBJID": parent.at[i, "USUBJID"][-3:], "IDVAR": seq,
             "IDVARVAL": str(int(parent.at[i, seq])), "QNAM": q, "QLABEL": q, "QVAL": v,
             "QORIG": "Collected"} for i, q, v in quals]
    return frame(specs, f"SUPP{name}", recs)
