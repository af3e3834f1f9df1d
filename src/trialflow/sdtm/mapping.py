"""The SDTM mapping vocabulary: a small set of named, vectorised algorithms (like pharmaverse sdtm.oak).

Raw-record algorithms take a raw form frame (every column text, lineage columns ``_FORM`` and
``_ROW``) and return one value per raw row:

    assign_no_ct      collected text as is (trimmed)
    assign_ct         collected text through a codelist (submission value, decode or synonym,
                      case-insensitive; an optional ``recode`` maps CRF labels to terms)
    hardcode_no_ct    a fixed value
    hardcode_ct       a fixed value that must be a term of its codelist
    assign_datetime   'DD MON YYYY' (+ 'HH:MM') with UN/UNK parts -> ISO 8601, partial kept partial
    assign_num        collected numeric text -> float
    condition_add     a boolean mask restricting the next operation to some rows

Record-level derivations work on the mapped SDTM frame:

    derive_usubjid, derive_seq, derive_study_day, derive_epoch, derive_visit, derive_lobxfl,
    derive_age, subject_extreme (DM reference dates), convert_units, make_suppqual

Bad values raise InputError naming file, row (1-based data row of the CSV), field and value;
a value outside an *extensible* codelist is recorded as a data issue instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..metadata.model import Codelist
from ..rounding import round_half_up

ROW, FORM = "_ROW", "_FORM"
MONTHS = {m: f"{i:02d}" for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)}
UNKNOWN = {"UN", "UNK", "UNKN", "NK"}
DATE_RE = r"^\s*(?P<d>\d{1,2}|[A-Z]{2,4})\s+(?P<m>[A-Z]{3})\s+(?P<y>\d{4}|[A-Z]{2,4})\s*$"
TIME_RE = r"^\s*(?P<h>\d{1,2}):(?P<mi>\d{2})\s*$"


# --------------------------------------------------------------------------------------------
# data issues: problems worked around by a stated rule (sdtm/issues.csv)
# --------------------------------------------------------------------------------------------
@dataclass
class Issues:
    """Collects data issues; each names form, row, subject, field, value and the rule applied."""

    records: list[dict[str, Any]] = field(default_factory=list)
    domain: str = ""

    def add(self, raw: pd.DataFrame | None, mask, field_: str, values, rule: str) -> None:
        """Record one issue per row of raw where mask holds."""
        if raw is None:
            return
        mask = pd.Series(mask, index=raw.index) if not isinstance(mask, pd.Series) else mask
        if not mask.any():
            return
        sel = raw.loc[mask]
        vals = pd.Series(values, index=raw.index)[mask] if not np.isscalar(values) else values
        frame = pd.DataFrame({
            "DOMAIN": self.domain, "FORM": sel[FORM] if FORM in sel else "",
            "ROW": sel[ROW] if ROW in sel else np.nan,
            "SUBJECT": sel["SUBJECT"] if "SUBJECT" in sel else "",
            "FIELD": field_, "VALUE": vals, "RULE": rule})
        self.records.extend(frame.to_dict("records"))

    def frame(self) -> pd.DataFrame:
        cols = ["DOMAIN", "FORM", "ROW", "SUBJECT", "FIELD", "VALUE", "RULE"]
        return pd.DataFrame(self.records, columns=cols)


def _raise_first(raw: pd.DataFrame, bad: pd.Series, field_: str, values: pd.Series, message: str,
                 file=None) -> None:
    """Raise InputError for the first row where bad holds."""
    if not bad.any():
        return
    i = bad.idxmax()
    row = int(raw.at[i, ROW]) if ROW in raw else int(raw.index.get_loc(i)) + 1
    if file is None and FORM in raw:
        file = f"raw/{raw.at[i, FORM]}.csv"
    n = int(bad.sum())
    more = f" ({n} rows)" if n > 1 else ""
    raise InputError(message + more, file=file, row=row, field=field_, value=values[i])


def _text(raw: pd.DataFrame, field_: str, file=None) -> pd.Series:
    return on_distinct(_column(raw, field_, file), _clean)


def _file_of(raw: pd.DataFrame):
    if FORM in raw and len(raw):
        return f"raw/{raw[FORM].iloc[0]}.csv"
    return None


def on_distinct(col: pd.Series, fn):
    """fn(col) computed once per distinct value of col and spread back to every row.

    fn must work value by value (strip, upper, regular-expression extract, codelist lookup, date
    parsing ...): the result is then the same as fn(col), at the cost of one hash pass instead of
    Python work per row -- collected text repeats a lot (folders, dates, coded answers). fn may
    return a Series, a DataFrame or a tuple of them, indexed like its argument. Columns holding
    anything but text (missing values, numbers) go to fn as they are.
    """
    if len(col) < 64:
        return fn(col)
    values = col.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        return fn(col)
    codes, distinct = pd.factorize(values)
    if len(distinct) * 2 > len(col):
        return fn(col)
    return _spread(fn(pd.Series(distinct, dtype=col.dtype, name=col.name)), codes, col.index)


def _spread(result, codes: np.ndarray, index: pd.Index):
    if isinstance(result, tuple):
        return tuple(_spread(r, codes, index) for r in result)
    out = result.take(codes)
    out.index = index
    return out


def _clean(col: pd.Series) -> pd.Series:
    return col.astype(object).where(col.notna(), "").astype(str).str.strip()


def _column(raw: pd.DataFrame, field_: str, file=None) -> pd.Series:
    if field_ not in raw.columns:
        raise InputError("required column missing", file=file or _file_of(raw), field=field_)
    return raw[field_]


# --------------------------------------------------------------------------------------------
# raw-record algorithms
# --------------------------------------------------------------------------------------------
def condition_add(frame: pd.DataFrame, when: Mapping[str, Any] | None) -> pd.Series:
    """A boolean mask from a small condition language (all conditions must hold):

    {FIELD: "text"} equals (case-insensitive, trimmed) | {FIELD: [a, b]} one of |
    {FIELD: {not: x}} / {not: [..]} | {FIELD: {empty: true|false}} | {FIELD: {gt|ge|lt|le: n}} numeric
    """
    mask = pd.Series(True, index=frame.index)
    for name, cond in (when or {}).items():
        if name not in frame.columns:
            raise InputError("condition names a column that is not there", file=_file_of(frame), field=name)
        if isinstance(cond, Mapping):
            for op, arg in cond.items():
                if op not in ("not", "empty", "gt", "ge", "lt", "le"):
                    raise InputError(f"unknown condition operator {op!r}", field=name, value=arg)
        mask &= on_distinct(frame[name], lambda col, cond=cond: _holds(col, cond))
    return mask


def _holds(col: pd.Series, cond: Any) -> pd.Series:
    """One column's condition of condition_add, value by value."""
    mask = pd.Series(True, index=col.index)
    text = col.astype(object).where(col.notna(), "").astype(str).str.strip().str.upper()
    if isinstance(cond, Mapping):
        for op, arg in cond.items():
            if op == "not":
                args = arg if isinstance(arg, list) else [arg]
                mask &= ~text.isin([str(a).upper() for a in args])
            elif op == "empty":
                mask &= (text == "") if arg else (text != "")
            else:
                num = pd.to_numeric(col, errors="coerce")
                mask &= getattr(num, op)(float(arg)).fillna(False).astype(bool)
    elif isinstance(cond, list):
        mask &= text.isin([str(a).upper() for a in cond])
    else:
        mask &= text == str(cond).upper()
    return mask


def assign_no_ct(raw: pd.DataFrame, field_: str, *, upper: bool = False, prefix: str = "", file=None) -> pd.Series:
    """The collected text, trimmed (optionally upper-cased; a prefix is put before non-blank values,
    e.g. 'LINE ' + '3' -> 'LINE 3')."""
    def value(col: pd.Series) -> pd.Series:
        out = _clean(col)
        out = out.str.upper() if upper else out
        return (prefix + out).where(out != "", "") if prefix else out

    return on_distinct(_column(raw, field_, file), value)


def hardcode_no_ct(raw: pd.DataFrame, value: Any) -> pd.Series:
    """A fixed value on every row."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return pd.Series(float(value), index=raw.index, dtype="float64")
    return pd.Series(str(value), index=raw.index, dtype=object)


def hardcode_ct(raw: pd.DataFrame, value: str, codelist: Codelist) -> pd.Series:
    """A fixed value that must be a term of codelist (matched like assign_ct)."""
    term = codelist.lookup().get(str(value).strip().upper())
    if term is None:
        raise InputError(f"hardcoded value is not a term of codelist {codelist.id}", field=codelist.id,
                         value=value)
    return pd.Series(term, index=raw.index, dtype=object)


def assign_ct(raw: pd.DataFrame, field_: str, codelist: Codelist, *, recode: Mapping[str, str] | None = None,
              extract: str | None = None, issues: Issues | None = None, file=None) -> pd.Series:
    """Collected text through a codelist: submission value, decode or synonym, case-insensitively.

    recode: collected value -> codelist term (a study-CT 'collected value' column), applied first.
    extract: a regular expression whose first group is looked up (e.g. the digit of '1 - Restricted').
    Blank stays blank. A value outside the codelist raises InputError (file, row, field, value);
    for an extensible codelist it is kept (upper-cased) and recorded as a data issue.
    """
    lookup = codelist.lookup()
    rmap = {str(k).strip().upper(): str(v) for k, v in recode.items()} if recode else None

    def value(col: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
        text = _clean(col)
        key = text.str.upper()
        if rmap:
            key = key.map(rmap).fillna(key).str.upper()
        if extract:
            got = key.str.extract(extract, expand=True)[0]
            key = got.where(got.notna(), key).astype(str)
        return text, key, key.map(lookup)

    text, key, out = on_distinct(_column(raw, field_, file), value)
    bad = out.isna() & (key != "")
    if bad.any():
        if codelist.extensible:
            if issues is not None:
                issues.add(raw, bad, field_, text,
                           f"value outside extensible codelist {codelist.id}: kept upper-cased as collected")
            out = out.where(~bad, key)
        else:
            _raise_first(raw, bad, field_, text, f"value outside codelist {codelist.id} "
                         f"({', '.join(codelist.values)})", file)
    return out.fillna("").astype(object)


def check_range(raw, field_, lo=None, hi=None, file=None):
    def value(col: pd.Series) -> tuple[pd.Series, pd.Series]:
        text = _clean(col)
        num = pd.to_numeric(text.where(text != "", None), errors="coerce")
        bad = pd.Series(False, index=col.index)
        if lo is not None:
            bad |= num < float(lo)
        if hi is not None:
            bad |= num > float(hi)
        return text, bad.fillna(False)

    text, bad = on_distinct(_column(raw, field_, file), value)
    _raise_first(raw, bad, field_, text, f"value outside the possible range [{lo}, {hi}]", file)


def assign_num(raw: pd.DataFrame, field_: str, *, issues: Issues | None = None, file=None,
               strict: bool = True) -> pd.Series:
    """Collected numeric text -> float (blank -> NaN); non-numeric text -> InputError
    (or, with strict=False, NaN and a data issue)."""
    def value(col: pd.Series) -> tuple[pd.Series, pd.Series]:
        text = _clean(col)
        return text, pd.to_numeric(text.where(text != "", None), errors="coerce").astype("float64")

    text, num = on_distinct(_column(raw, field_, file), value)
    bad = num.isna() & (text != "")
    if bad.any():
        if strict:
            _raise_first(raw, bad, field_, text, "not a number", file)
        elif issues is not None:
            issues.add(raw, bad, field_, text, "non-numeric result: numeric standard result left missing")
    return num


def assign_datetime(raw: pd.DataFrame, date_field: str, time_field: str | None = None, *,
                    issues: Issues | None = None, file=None, complete: bool = False) -> pd.Series:
    """'DD MON YYYY' (unknown day UN, unknown month UNK) and optional 'HH:MM' -> ISO 8601.

    Partial dates stay partial: 'UN MAR 2018' -> '2018-03', 'UN UNK 1946' -> '1946'; a time is
    appended to complete dates only ('12 MAR 2018' + '09:30' -> '2018-03-12T09:30').
    An impossible date ('31 FEB 2018') or unreadable text raises InputError (file, row, field, value).
    """
    d = on_distinct(_column(raw, date_field, file), _date_values)
    text, present, full, iso = d["TEXT"], d["PRESENT"], d["FULL"], d["ISO"]
    _raise_first(raw, d["UNREADABLE"], date_field, text, "date is not 'DD MON YYYY' (unknown parts UN/UNK)", file)
    _raise_first(raw, d["BADTOKEN"], date_field, text, "date has an unknown day, month or year token", file)
    if complete:
        _raise_first(raw, present & ~full, date_field, text, "partial date where the CRF requires a complete date",
                     file)
    if issues is not None:
        issues.add(raw, d["MONTHUNK"], date_field, text, "day known but month unknown: kept as year only")
        issues.add(raw, d["YEARUNK"], date_field, text, "year unknown: date left missing")
    _raise_first(raw, d["IMPOSSIBLE"], date_field, text, "impossible date", file)
    if time_field is None:
        return iso
    t = on_distinct(_column(raw, time_field, file), _time_values)
    ttext, has_t = t["TEXT"], t["HAS"]
    _raise_first(raw, t["BAD"], time_field, ttext, "time is not a valid 'HH:MM'", file)
    if issues is not None:
        issues.add(raw, has_t & ~full & present, time_field, ttext, "time on a partial date: time dropped")
    return iso.mask(full & has_t, iso + "T" + t["HHMM"])


def _date_values(col: pd.Series) -> pd.DataFrame:
    """assign_datetime's date part, value by value: the ISO text and what is wrong with it."""
    text = _clean(col)
    up = text.str.upper()
    parts = up.str.extract(DATE_RE)
    present = up != ""
    unreadable = present & parts["y"].isna()
    d, m, y = parts["d"].fillna(""), parts["m"].fillna(""), parts["y"].fillna("")
    d_unk, m_unk, y_unk = d.isin(UNKNOWN), m.isin(UNKNOWN), y.isin(UNKNOWN)
    bad_token = present & ((~d_unk & ~d.str.isdigit()) | (~m_unk & ~m.isin(list(MONTHS))) |
                           (~y_unk & ~y.str.isdigit()))
    mm = m.map(MONTHS).fillna("")
    dd = d.str.zfill(2)
    iso = pd.Series("", index=col.index, dtype=object)
    full = present & ~d_unk & ~m_unk & ~y_unk
    iso = iso.mask(full, y + "-" + mm + "-" + dd)
    iso = iso.mask(present & d_unk & ~m_unk & ~y_unk, y + "-" + mm)
    iso = iso.mask(present & m_unk & ~y_unk, y)
    check = pd.to_datetime(iso.where(full, None), format="%Y-%m-%d", errors="coerce")  # impossible calendar dates
    return pd.DataFrame({"TEXT": text, "PRESENT": present, "UNREADABLE": unreadable, "BADTOKEN": bad_token,
                         "FULL": full, "ISO": iso, "MONTHUNK": present & m_unk & ~d_unk & ~y_unk,
                         "YEARUNK": present & y_unk, "IMPOSSIBLE": full & check.isna()}, index=col.index)


def _time_values(col: pd.Series) -> pd.DataFrame:
    """assign_datetime's time part, value by value."""
    ttext = _clean(col)
    tparts = ttext.str.extract(TIME_RE)
    has_t = ttext != ""
    h = pd.to_numeric(tparts["h"], errors="coerce")
    mi = pd.to_numeric(tparts["mi"], errors="coerce")
    bad_t = has_t & (h.isna() | mi.isna() | (h > 23) | (mi > 59))
    hhmm = tparts["h"].fillna("").str.zfill(2) + ":" + tparts["mi"].fillna("")
    return pd.DataFrame({"TEXT": ttext, "HAS": has_t, "BAD": bad_t, "HHMM": hhmm}, index=col.index)


# --------------------------------------------------------------------------------------------
# derivations on the SDTM frame
# --------------------------------------------------------------------------------------------
def derive_usubjid(studyid: str, subject: pd.Series) -> pd.Series:
    """USUBJID = STUDYID-SUBJECT ('TCD14079' + '840001-001' -> 'TCD14079-840001-001')."""
    def value(col: pd.Series) -> pd.Series:
        col = col.astype(str).str.strip()
        return (studyid + "-" + col).where(col != "", "")

    return on_distinct(subject, value)


def derive_seq(df: pd.DataFrame, order: Sequence[str], by: str = "USUBJID") -> pd.Series:
    """--SEQ: 1..n within subject, in the order of the given variables (ties: raw form and row)."""
    if df.empty:
        return pd.Series(dtype="float64", index=df.index)
    keys = [by, *order, *[c for c in (FORM, ROW) if c in df.columns]]
    ordered = df.sort_values(keys, kind="mergesort")
    seq = ordered.groupby(by, sort=False).cumcount() + 1
    return seq.reindex(df.index).astype("float64")


def _date_part(dtc: pd.Series) -> pd.Series:
    """Complete dates (first 10 characters) as datetime64; partial or blank -> NaT."""
    def value(col: pd.Series) -> pd.Series:
        s = col.astype(str).str.slice(0, 10)
        return pd.to_datetime(s.where(s.str.len() == 10, None), format="%Y-%m-%d", errors="coerce")

    return on_distinct(dtc, value)


def derive_study_day(dtc: pd.Series, ref: pd.Series) -> pd.Series:
    """--DY: days from RFSTDTC, day 1 = reference day, no day 0 (the day before is -1)."""
    d, r = _date_part(dtc), _date_part(ref)
    diff = (d - r).dt.days.astype("float64")
    return diff.where(diff < 0, diff + 1)


def impute_bounds(dtc: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Earliest and latest possible calendar date of a full or partial ISO date."""
    return on_distinct(dtc, _bounds)


def _bounds(dtc: pd.Series) -> tuple[pd.Series, pd.Series]:
    s = dtc.astype(str).str.slice(0, 10)
    n = s.str.len()
    lo = s.where(n == 10, s.where(n != 7, s + "-01").where(n != 4, s + "-01-01"))
    lo = pd.to_datetime(lo.where(n.isin([4, 7, 10]), None), format="%Y-%m-%d", errors="coerce")
    hi = lo.copy()
    hi = hi.mask(n == 7, lo + pd.offsets.MonthEnd(0))
    hi = hi.mask(n == 4, lo + pd.offsets.YearEnd(0))
    return lo, hi


def derive_epoch(dtc: pd.Series, usubjid: pd.Series, se: pd.DataFrame) -> pd.Series:
    """EPOCH from the subject's elements (SE): the latest element that started on or before the date.

    Dates are compared as calendar days (SE is contiguous by day: TREATMENT starts on the first-dose
    day, FOLLOW-UP the day after end of treatment). Before the first element -> blank. A partial
    date gets an epoch only when its whole span (first to last possible day) lies in one element.
    """
    out = pd.Series("", index=dtc.index, dtype=object)
    if se is None or se.empty or dtc.empty:
        return out
    lo, hi = impute_bounds(dtc)
    start, _ = impute_bounds(se["SESTDTC"])
    elements = pd.DataFrame({"USUBJID": se["USUBJID"].astype(str).values, "EPOCH": se["EPOCH"].values,
                             "ORD": pd.to_numeric(se["TAETORD"]).values, "START": start.values})
    elements = elements[elements["START"].notna()]
    obs = pd.DataFrame({"USUBJID": usubjid.astype(str).values, "LO": lo.values, "HI": hi.values,
                        "_I": np.arange(len(dtc))})
    m = obs.merge(elements, on="USUBJID", how="inner").sort_values(["_I", "ORD"], kind="mergesort")

    def latest(day: str) -> pd.Series:
        hit = m.loc[m["START"] <= m[day]]
        return hit.groupby("_I")["EPOCH"].last()

    at_lo, at_hi = latest("LO"), latest("HI")
    both = pd.concat([at_lo.rename("A"), at_hi.rename("B")], axis=1, join="inner")
    both = both[both["A"] == both["B"]]
    vals = out.to_numpy(copy=True)
    vals[both.index.to_numpy(dtype=int)] = both["A"].to_numpy()
    return pd.Series(vals, index=dtc.index, dtype=object)


def visit_from_folder(folder: pd.Series, raw: pd.DataFrame | None = None, field_: str = "FOLDER",
                      file=None) -> tuple[pd.Series, pd.Series]:
    """VISITNUM / VISIT from the EDC folder OID (contract): SCRN=1 'SCREENING'; CnDd = n*100+d
    'CYCLE n DAY d'; EOT=9000 'END OF TREATMENT'; FUk = 9000+k 'FOLLOW-UP k'; LOG (log forms) -> none.
    Any other folder raises InputError naming the row."""
    num, txt, unknown = on_distinct(folder, _visit_values)
    if raw is not None:
        _raise_first(raw, unknown, field_, folder, "unknown visit folder", file)
    return num, txt


def _visit_values(folder: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    f = folder.astype(str).str.strip().str.upper()
    num = pd.Series(np.nan, index=f.index, dtype="float64")
    txt = pd.Series("", index=f.index, dtype=object)
    num = num.mask(f == "SCRN", 1.0)
    txt = txt.mask(f == "SCRN", "SCREENING")
    cyc = f.str.extract(r"^C(\d+)D(\d+)$").astype("float64")
    is_c = cyc[0].notna()
    num = num.mask(is_c, cyc[0] * 100 + cyc[1])
    txt = txt.mask(is_c, "CYCLE " + cyc[0].fillna(0).astype(int).astype(str) + " DAY "
                   + cyc[1].fillna(0).astype(int).astype(str))
    num = num.mask(f == "EOT", 9000.0)
    txt = txt.mask(f == "EOT", "END OF TREATMENT")
    fu = f.str.extract(r"^FU(\d+)$")[0].astype("float64")
    num = num.mask(fu.notna(), 9000 + fu)
    txt = txt.mask(fu.notna(), "FOLLOW-UP " + fu.fillna(0).astype(int).astype(str))
    unknown = num.isna() & ~f.isin(["", "LOG"]) & ~f.str.startswith("LOG")
    return num, txt, unknown


def derive_lobxfl(df: pd.DataFrame, dtc: str, by: Sequence[str], ref: pd.Series, result: str,
                  when: pd.Series | None = None) -> pd.Series:
    """--LOBXFL = 'Y' on the last record with a non-missing result on or before the reference
    date (RFXSTDTC, compared as calendar days), per subject and by-group."""
    flag = pd.Series("", index=df.index, dtype=object)
    if df.empty:
        return flag
    d = _date_part(df[dtc])
    r = _date_part(ref)
    res = df[result]
    has = res.notna() & (res.astype(str).str.strip() != "") if res.dtype == object else res.notna()
    ok = has & d.notna() & r.notna() & (d <= r)
    if when is not None:
        ok &= when
    cand = df.loc[ok, ["USUBJID", *by]].assign(_D=d[ok], _S=df.loc[ok, dtc])
    cand["_ORDER"] = np.arange(len(cand))
    last = cand.sort_values(["USUBJID", *by, "_D", "_S", "_ORDER"], kind="mergesort") \
        .groupby(["USUBJID", *by], sort=False).tail(1)
    flag.loc[last.index] = "Y"
    return flag


def derive_age(birth: pd.Series, ref: pd.Series) -> pd.Series:
    """Completed years from birth (unknown day -> 1st, unknown month -> January) to ref date."""
    b, _ = impute_bounds(birth)
    r = _date_part(ref)
    years = r.dt.year - b.dt.year
    before = (r.dt.month < b.dt.month) | ((r.dt.month == b.dt.month) & (r.dt.day < b.dt.day))
    return (years - before.astype(int)).astype("float64").where(b.notna() & r.notna())


def subject_extreme(values: pd.DataFrame, how: str) -> pd.DataFrame:
    """Per SUBJECT the first ('min') or last ('max') non-blank ISO value of column VALUE.

    ISO 8601 strings of the same precision sort as text; a longer value of the same day sorts later.
    """
    v = values.loc[values["VALUE"].astype(str) != "", ["SUBJECT", "VALUE"]]
    v = v.sort_values(["SUBJECT", "VALUE"], kind="mergesort")
    pick = v.groupby("SUBJECT", sort=False).head(1) if how == "min" else v.groupby("SUBJECT", sort=False).tail(1)
    return pick.set_index("SUBJECT")["VALUE"]


def format_number(num: pd.Series, decimals: int = 6) -> pd.Series:
    """Char form of a numeric result: shortest text of the rounded value ('3.5', '35', '0.125')."""
    r = num.round(decimals)
    txt = r.astype(str).str.replace(r"\.0$", "", regex=True)
    return txt.where(r.notna(), "").astype(object)


def convert_units(value: pd.Series, unit: pd.Series, target: pd.Series, test: pd.Series,
                  conversions: Sequence[Mapping[str, Any]]) -> tuple[pd.Series, pd.Series]:
    """Standard numeric result: value * factor for (unit -> target), test-specific factors first.

    conversions: [{from: g/L, to: g/dL, factor: 0.1}, {test: CREAT, from: umol/L, to: mg/dL,
    factor: 0.011312, decimals: 2}, ...]; same unit -> factor 1. Results are rounded half away from
    zero to the conversion's `decimals` (default 6, which only removes binary noise: 35 x 0.1 = 3.5).
    Returns (converted, ok) where ok is False for a present value whose unit pair has no conversion.
    """
    table = pd.DataFrame([{"TEST": c.get("test", ""), "FROM": str(c["from"]), "TO": str(c["to"]),
                           "FACTOR": float(c["factor"]), "DEC": float(c.get("decimals", np.nan))}
                          for c in conversions], columns=["TEST", "FROM", "TO", "FACTOR", "DEC"])
    key = pd.DataFrame({"TEST": test.astype(str).values, "FROM": unit.astype(str).values,
                        "TO": target.astype(str).values, "_I": np.arange(len(value))})
    specific = key.merge(table[table["TEST"] != ""], on=["TEST", "FROM", "TO"], how="left")
    generic = key.merge(table[table["TEST"] == ""].drop(columns="TEST"), on=["FROM", "TO"], how="left")
    specific = specific.sort_values("_I").drop_duplicates("_I")
    generic = generic.sort_values("_I").drop_duplicates("_I")
    factor = specific["FACTOR"].to_numpy()
    use_specific = ~np.isnan(factor)
    factor = np.where(use_specific, factor, generic["FACTOR"].to_numpy())
    dec = np.where(use_specific, specific["DEC"].to_numpy(), generic["DEC"].to_numpy())
    same = (key["FROM"] == key["TO"]).to_numpy()
    factor = np.where(same, 1.0, factor)
    dec = np.where(same | np.isnan(dec), 6, dec)  # a conversion's 'decimals' rounds its results
    factor = pd.Series(factor, index=value.index)
    out = (value * factor).astype("float64")
    # half away from zero (SAS ROUND) on the decimal reading of each value, once per distinct pair
    pairs = pd.DataFrame({"v": out, "d": dec.astype(int)}, index=value.index)
    uniq = pairs.drop_duplicates().dropna()
    uniq["r"] = [round_half_up(v, d) for v, d in zip(uniq["v"], uniq["d"])]
    out = pairs.merge(uniq, on=["v", "d"], how="left")["r"].set_axis(value.index)
    ok = ~(value.notna() & factor.isna())
    return out.astype("float64"), ok


def _qual_value(col: pd.Series) -> tuple[pd.Series, pd.Series]:
    val = col.astype(object).where(col.notna(), "").astype(str)
    return val, val.str.strip() != ""


def _id_text(col: pd.Series) -> pd.Series:
    """IDVARVAL text of a numeric identifier (3.0 -> '3'), once per distinct number."""
    codes, distinct = pd.factorize(col.to_numpy(), use_na_sentinel=False)
    if len(distinct) * 2 > len(col):
        return col.astype("Int64").astype(str)
    out = pd.Series(distinct, name=col.name).astype("Int64").astype(str).take(codes)
    out.index = col.index
    return out


def make_suppqual(parent: pd.DataFrame, rdomain: str, idvar: str, quals: Sequence[Mapping[str, Any]],
                  studyid: str) -> pd.DataFrame:
    """SUPP-- records for non-blank qualifier columns of parent (one record per QNAM per parent record).

    quals: [{qnam, qlabel, qorig, qeval}] naming columns of parent holding the values.
    Keeps the parent's lineage columns.
    """
    cols = ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG", "QEVAL"]
    frames = []
    for q in quals:
        val, keep = on_distinct(parent[q["qnam"]], _qual_value)
        sub = parent.loc[keep]
        idval = _id_text(sub[idvar]) if idvar else pd.Series("", index=sub.index)
        frames.append(pd.DataFrame({
            "STUDYID": studyid, "RDOMAIN": rdomain, "USUBJID": sub["USUBJID"],
            "IDVAR": idvar or "", "IDVARVAL": idval, "QNAM": q["qnam"], "QLABEL": q["qlabel"],
            "QVAL": val[keep], "QORIG": q.get("qorig", "CRF"), "QEVAL": q.get("qeval", ""),
            FORM: sub[FORM] if FORM in sub else "", ROW: sub[ROW] if ROW in sub else np.nan}))
    if not frames:
        return pd.DataFrame(columns=[*cols, FORM, ROW])
    out = pd.concat(frames, ignore_index=True)
    order = {q["qnam"]: i for i, q in enumerate(quals)}
    out["_QORD"] = on_distinct(out["QNAM"], lambda q: q.map(order))
    out["_ID"] = on_distinct(out["IDVARVAL"], lambda v: pd.to_numeric(v, errors="coerce"))
    out = out.sort_values(["USUBJID", "_ID", "_QORD"], kind="mergesort").drop(columns=["_QORD", "_ID"])
    return out.reset_index(drop=True)
