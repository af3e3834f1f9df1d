"""SAS transport (XPT version 5) strictly by the dataset spec.

pyreadstat does the encoding; this module adds what it lacks: it refuses bad names, labels and
values *before* anything is written (pyreadstat truncates labels silently, never enforces
character length and leaves a broken file on a refused name), sets every character width to
the spec length, writes dates as SAS dates with DATE9., replaces the write time stamped into
the headers by a fixed stamp (so identical input gives identical bytes) and writes atomically.

Speed: pyreadstat inserts values one at a time through Python (about a microsecond per cell), so
the common case -- version 5, plain names, ASCII text, DATE-like formats, at least one row -- is
encoded here with numpy instead: the same header records and NAMESTR layout ReadStat writes, the
TS-140 IEEE -> IBM conversion vectorised, rows written in chunks. The output is byte-identical to
pyreadstat's (tests/test_xpt.py compares them); anything outside the fast path still goes through
pyreadstat unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .io import atomic_path
from .metadata.model import DatasetSpec

SAS_EPOCH = pd.Timestamp("1960-01-01")
# Byte offsets of the 16-byte created/modified datetimes in the library and member headers.
STAMP_OFFSETS = (144, 160, 464, 480)
MAX_CHAR = 200


def sas_stamp(when: dt.date | dt.datetime) -> bytes:
    """A header datetime as SAS writes it: 16 bytes, e.g. b'31OCT19:00:00:00'."""
    when = pd.Timestamp(when)
    return when.strftime("%d%b%y:%H:%M:%S").upper().encode("ascii")


def _check(df: pd.DataFrame, spec: DatasetSpec) -> dict[str, np.ndarray | None]:
    """Refuse bad names, labels and values; return each Char column as fixed-width bytes (None
    where the column is left to pyreadstat)."""
    where = spec.path
    if len(spec.name) > 8:
        raise InputError("dataset name longer than 8", file=where, field="dataset", value=spec.name)
    if len(spec.label) > 40 or not spec.label.isascii():
        raise InputError("dataset label over 40 characters or not ASCII", file=where, field="label", value=spec.label)
    if list(df.columns) != spec.names:
        raise InputError(f"{spec.name}: columns differ from the spec order", file=where,
                         value=[c for c in df.columns if c not in spec.names] or list(df.columns))
    texts: dict[str, np.ndarray | None] = {}
    for var in spec.variables:
        if len(var.name) > 8:
            raise InputError("variable name longer than 8", file=where, field=var.name, value=var.name)
        if len(var.label) > 40 or not var.label.isascii():
            raise InputError("variable label over 40 characters or not ASCII", file=where, field=var.name,
                             value=var.label)
        if not var.is_char:
            continue
        col = df[var.name]
        limit = min(var.length, MAX_CHAR)
        texts[var.name] = _ascii_bytes(col, spec, var.name, limit)
    return texts


def _ascii_bytes(col: pd.Series, spec: DatasetSpec, name: str, limit: int) -> np.ndarray | None:
    """The column as a fixed-width bytes array (one C pass, no Python per value), after the
    non-ASCII and length checks; None (after the same checks, value by value) for what the fast
    encoder leaves to pyreadstat: non-text values, NUL characters."""
    values = col.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=False) not in ("string", "empty"):
        _check_text_slow(col, spec, name, limit)
        return None
    codes, distinct = pd.factorize(values)  # text repeats: encode and check each distinct value once
    if len(distinct) * 2 > len(values):
        codes, distinct = None, values
    try:
        data = distinct.astype("S")  # ASCII-encodes each value; raises on anything else
    except UnicodeEncodeError:
        _check_text_slow(col, spec, name, limit)  # names the row
        return None
    lengths = np.strings.str_len(data)
    if data.dtype.itemsize > limit and (lengths > limit).any():
        too_long = lengths > limit if codes is None else (lengths > limit)[codes]
        row = col.index[int(np.argmax(too_long))]
        raise InputError(f"{spec.name}.{name}: value longer than {limit}", file=spec.path, row=row,
                         field=name, value=col[row])
    if data.dtype.itemsize > limit or np.count_nonzero(data.view(np.uint8)) != lengths.sum():
        _check_text_slow(col, spec, name, limit)  # NUL characters: C strings end there
        return None
    return data if codes is None else data[codes]


def _check_text_slow(col: pd.Series, spec: DatasetSpec, name: str, limit: int) -> None:
    nonascii = ~col.map(str.isascii)
    if nonascii.any():
        row = nonascii.idxmax()
        raise InputError(f"{spec.name}.{name}: non-ASCII text", file=spec.path, row=row, field=name,
                         value=col[row])
    too_long = col.str.len() > limit
    if too_long.any():
        row = too_long.idxmax()
        raise InputError(f"{spec.name}.{name}: value longer than {limit}", file=spec.path, row=row,
                         field=name, value=col[row])


def write_xpt(df: pd.DataFrame, spec: DatasetSpec, path: str | Path, stamp: dt.date | dt.datetime) -> Path:
    """Write df (already conformed to spec) as XPT v5 at path; return the path."""
    path = Path(path)
    texts = _check(df, spec)
    stamp_bytes = sas_stamp(stamp)
    with atomic_path(path) as tmp:
        if _fast_ok(df, spec, texts):
            _write_fast(df, spec, texts, tmp, stamp_bytes)
        else:
            _write_pyreadstat(df, spec, tmp, stamp_bytes)
    return path


def _sas_days(col: pd.Series) -> pd.Series:
    return ((pd.to_datetime(col) - SAS_EPOCH).dt.days).astype("float64")


def _write_pyreadstat(df: pd.DataFrame, spec: DatasetSpec, tmp: str, stamp_bytes: bytes) -> None:
    import pyreadstat

    out = {}
    for var in spec.variables:
        col = df[var.name]
        if var.is_date:
            out[var.name] = _sas_days(col)
        elif var.is_char:
            vals = col.astype(object).to_numpy(copy=True)
            if len(vals):  # the widest value sets the storage width: pad one value to the spec length
                vals[0] = str(vals[0]).ljust(var.length)
            out[var.name] = vals
        else:
            out[var.name] = col.astype("float64")
    frame = pd.DataFrame(out)
    formats = {v.name: v.format.rstrip(".") for v in spec.variables if v.format}
    pyreadstat.write_xport(frame, tmp, file_format_version=5, table_name=spec.name,
                           file_label=spec.label, column_labels=[v.label for v in spec.variables],
                           variable_format=formats)
    with open(tmp, "r+b") as fh:
        for offset in STAMP_OFFSETS:
            fh.seek(offset)
            fh.write(stamp_bytes)


# ---- the numpy encoder -------------------------------------------------------------------------

RECORD = 80
NAMESTR = 140
CHUNK_ROWS = 65536
_SAS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,7}\Z")
_FORMAT = re.compile(r"([A-Za-z]{1,8})([0-9]{1,3})\Z")  # e.g. DATE9 (the spec's "DATE9." less its dot)


def _fast_ok(df: pd.DataFrame, spec: DatasetSpec, texts: dict) -> bool:
    """The cases the numpy encoder reproduces byte for byte; the rest goes to pyreadstat."""
    if len(df) == 0 or not _SAS_NAME.match(spec.name):
        return False
    for var in spec.variables:
        if not _SAS_NAME.match(var.name) or (var.format and not _FORMAT.match(var.format.rstrip("."))):
            return False
        if var.is_char and (texts.get(var.name) is None or not 1 <= var.length <= MAX_CHAR):
            return False
    return True


def _record(text: str) -> bytes:
    return text.encode("ascii").ljust(RECORD, b" ")[:RECORD]


def _header(name: str, counts: str = "0" * 30) -> bytes:
    return _record(f"HEADER RECORD*******{name:<8}HEADER RECORD!!!!!!!{counts}")


def _namestr(i: int, var, width: int, offset: int) -> bytes:
    rec = bytearray(NAMESTR)
    rec[0:8] = np.array([2 if var.is_char else 1, 0, width, i + 1], dtype=">i2").tobytes()
    rec[8:16] = var.name.encode("ascii").ljust(8)
    rec[16:56] = var.label.encode("ascii").ljust(40)
    fmt = _FORMAT.match(var.format.rstrip(".")) if var.format else None
    name, fw = (fmt.group(1).encode("ascii"), int(fmt.group(2))) if fmt else (b"", 0)
    rec[56:64] = name.ljust(8)
    # nfl, nfd, nfj (ReadStat right-justifies numbers), nfill; informat blank, nifl = nifd = 0
    rec[64:70] = np.array([fw, 0, 0 if var.is_char else 1], dtype=">i2").tobytes()
    rec[72:80] = b" " * 8
    rec[84:88] = np.array([offset], dtype=">i4").tobytes()
    return bytes(rec)


def _headers(spec: DatasetSpec, widths: list[int], stamp: bytes) -> bytes:
    ts = stamp.decode("ascii")
    parts = [
        _header("LIBRARY"),
        _record(f"{'SAS':<8}{'SAS':<8}{'SASLIB':<8}{'6.06':<8}{'bsd4.2':<8}{'':<24}{ts:>16}"),
        _record(ts),
        _header("MEMBER", "00000" * 3 + "00160" + "00000" + "00140"),
        _header("DSCRPTR"),
        _record(f"{'SAS':<8}{spec.name:<8}{'SASDATA':<8}{'6.06':<8}{'bsd4.2':<8}{'':<24}{ts:>16}"),
        _record(f"{ts:>16}{'':>16}{spec.label:<40}{'':<8}"),
        _header("NAMESTR", "00000" + f"{len(widths):05d}" + "00000" * 4),
    ]
    offset, names = 0, []
    for i, (var, width) in enumerate(zip(spec.variables, widths)):
        names.append(_namestr(i, var, width, offset))
        offset += width
    block = b"".join(names)
    parts += [block + b" " * (-len(block) % RECORD), _header("OBS")]
    return b"".join(parts)


def ibm_double(values: np.ndarray) -> np.ndarray:
    """float64 -> 8-byte IBM hexadecimal floats (big-endian), as SAS TS-140's ieee2xpt does it:
    exact (the 53-bit IEEE fraction fits the 56-bit IBM one), NaN -> missing '.', overflow ->
    the largest IBM magnitude, underflow and zero -> 0. Returns an (n, 8) uint8 array."""
    x = np.ascontiguousarray(values, dtype="<f8")
    bits = x.view(np.uint64)
    hi = (bits >> np.uint64(32)).astype(np.int64)
    lo = (bits & np.uint64(0xFFFFFFFF)).astype(np.int64)
    exp = ((hi >> 20) & 0x7FF) - 1023
    shift = exp & 3
    frac_hi = ((hi & 0x000FFFFF) | 0x00100000) << shift
    frac_hi |= lo >> (32 - shift)  # the bits shifted in from the low word (none when shift is 0)
    frac_lo = (lo << shift) & 0xFFFFFFFF
    sign = (hi >> 24) & 0x80
    word_hi = ((((exp >> 2) + 65) | sign) << 24 | frac_hi) & 0xFFFFFFFF
    word_hi = np.where(exp < -260, 0, np.where(exp > 248, (0x7F | sign) << 24 | 0xFFFFFF, word_hi))
    word_lo = np.where(exp < -260, 0, np.where(exp > 248, 0xFFFFFFFF, frac_lo))
    zero = (hi == 0) & (lo == 0)
    word_hi = np.where(zero, 0, word_hi)
    word_lo = np.where(zero, 0, word_lo)
    missing = np.isnan(x)
    word_hi = np.where(missing, 0x2E000000, word_hi)
    word_lo = np.where(missing, 0, word_lo)
    out = np.empty((len(x), 2), dtype=">u4")
    out[:, 0] = word_hi
    out[:, 1] = word_lo
    return out.view(np.uint8).reshape(len(x), 8)


def _write_fast(df: pd.DataFrame, spec: DatasetSpec, texts: dict, tmp: str, stamp: bytes) -> None:
    n = len(df)
    columns, widths = [], []
    for var in spec.variables:
        if var.is_char:
            columns.append(texts[var.name])
            widths.append(var.length)  # pyreadstat pads one value to the spec length: max width
        else:
            col = df[var.name]
            values = _sas_days(col) if var.is_date else col.astype("float64")
            columns.append(values.to_numpy(dtype="float64", na_value=np.nan))
            widths.append(8)
    row_len = sum(widths)
    buffer = np.empty((min(CHUNK_ROWS, n), row_len), dtype=np.uint8)  # reused: no page faults per chunk
    with open(tmp, "wb") as fh:
        fh.write(_headers(spec, widths, stamp))
        for start in range(0, n, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, n)
            block = buffer[:stop - start]
            block.fill(32)  # text is blank-padded
            offset = 0
            for values, width in zip(columns, widths):
                part = values[start:stop]
                if values.dtype.kind == "f":
                    block[:, offset:offset + 8] = ibm_double(part)
                else:  # fixed-width bytes, NUL-padded: copy the bytes, leave the padding blank
                    size = values.dtype.itemsize
                    raw = part.view(np.uint8).reshape(len(part), size)
                    np.copyto(block[:, offset:offset + size], raw, where=raw != 0)
                offset += width
            fh.write(block)
        tail = (n * row_len) % RECORD
        if tail:
            fh.write(b" " * (RECORD - tail))


@dataclass
class XptMeta:
    name: str
    label: str
    labels: dict[str, str]
    lengths: dict[str, int]
    formats: dict[str, str]
    types: dict[str, str]


# Decoded datasets of this process by content, most recently used last: steps of one command read
# the same datasets again (DM and SE for every SDTM domain, ADSL for every ADaM dataset).
_READ_CACHE: OrderedDict[tuple[str, bytes], tuple[pd.DataFrame, XptMeta, int]] = OrderedDict()
READ_CACHE_BYTES = 256 * 2 ** 20  # cell arrays held (8 bytes a cell), whatever the file size
READ_CACHE_FILE = 32 * 2 ** 20  # files larger than this are not cached


def read_xpt(path: str | Path) -> tuple[pd.DataFrame, XptMeta]:
    """Read an XPT: data (dates as datetime64, Char missing as '') plus its metadata.

    The same bytes read again by this process are not decoded again: the caller gets its own
    frame (copy-on-write: changing it leaves the cached one as it was) and metadata."""
    path = Path(path)
    data = path.read_bytes()
    if len(data) > READ_CACHE_FILE:  # big datasets: decoded each time, not hashed
        fast = _read_fast(data)
        return fast if fast is not None else _read_pyreadstat(path)
    key = (str(path.resolve()), hashlib.sha1(data).digest())
    hit = _READ_CACHE.get(key)
    if hit is None:
        fast = _read_fast(data)
        df, meta = fast if fast is not None else _read_pyreadstat(path)
        _READ_CACHE[key] = hit = (df, meta, int(df.memory_usage(index=False, deep=False).sum()))
        while sum(v[2] for v in _READ_CACHE.values()) > READ_CACHE_BYTES:
            _READ_CACHE.popitem(last=False)
    _READ_CACHE.move_to_end(key)
    df, meta, _ = hit
    return df.copy(deep=False), replace(meta, labels=dict(meta.labels), lengths=dict(meta.lengths),
                                        formats=dict(meta.formats), types=dict(meta.types))


def _read_pyreadstat(path: str | Path) -> tuple[pd.DataFrame, XptMeta]:
    import pyreadstat

    df, meta = pyreadstat.read_xport(str(path))
    formats = {k: v for k, v in (meta.original_variable_types or {}).items() if v}
    for name, fmt in formats.items():
        if fmt.upper().startswith("DATE") and name in df:
            df[name] = pd.to_datetime(df[name]).astype("datetime64[us]")
    for name, kind in meta.readstat_variable_types.items():
        if kind == "string":
            df[name] = df[name].fillna("").astype(str)
    return df, XptMeta(name=meta.table_name, label=meta.file_label or "",
                       labels=dict(meta.column_names_to_labels), lengths=dict(meta.variable_storage_width),
                       formats=formats, types={k: ("Char" if v == "string" else "Num")
                                               for k, v in meta.readstat_variable_types.items()})


def from_ibm_double(raw: np.ndarray) -> np.ndarray:
    """(n, 8) uint8 IBM hexadecimal floats -> float64 (TS-140's xpt2ieee, vectorised); a missing
    value ('.', '.A'-'.Z', '._': a non-zero first byte and seven zero bytes) -> NaN."""
    words = np.ascontiguousarray(raw).view(">u4").reshape(len(raw), 2).astype(np.int64)
    hi, lo = words[:, 0], words[:, 1]
    shift = np.where(hi & 0x00800000, 3, np.where(hi & 0x00400000, 2, np.where(hi & 0x00200000, 1, 0)))
    frac_hi = (hi & 0x00FFFFFF) >> shift
    frac_lo = ((lo >> shift) | ((hi & 7) << (32 - shift))) & 0xFFFFFFFF
    frac_lo = np.where(shift == 0, lo, frac_lo)
    exp = ((((hi >> 24) & 0x7F) - 65) << 2) + shift + 1023
    out_hi = ((frac_hi & 0xFFEFFFFF) | (exp << 20) | (hi & 0x80000000)) & 0xFFFFFFFF
    out = ((out_hi.astype(np.uint64) << np.uint64(32)) | frac_lo.astype(np.uint64)).view(np.float64)
    out = np.where((hi == 0) & (lo == 0), 0.0, out)
    out = np.where(((hi & 0x7FFFFFFF) == 0x7FFFFFFF) & (lo == 0xFFFFFFFF), np.copysign(np.inf, -(hi >> 31) | 1), out)
    missing = ((hi & 0x00FFFFFF) == 0) & (lo == 0) & (hi != 0)
    return np.where(missing, np.nan, out)


def _text(buf: bytes) -> str | None:
    return buf.decode("ascii").rstrip(" ") if buf.isascii() and b"\0" not in buf else None


def _read_fast(data: bytes) -> tuple[pd.DataFrame, XptMeta] | None:
    """The files write_xpt's fast path makes (version 5, one member, DATE formats or none, ASCII
    text); None for anything else, which pyreadstat then reads."""
    if len(data) < 8 * RECORD or len(data) % RECORD:
        return None
    if data[:RECORD] != _header("LIBRARY") or data[3 * RECORD:4 * RECORD] != _header(
            "MEMBER", "00000" * 3 + "00160" + "00000" + "00140") or data[4 * RECORD:5 * RECORD] != _header("DSCRPTR"):
        return None
    head = data[7 * RECORD:8 * RECORD]
    if not head.startswith(b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!"):
        return None
    try:
        nvars = int(head[54:58])
    except ValueError:
        return None
    member, label_rec = data[5 * RECORD:6 * RECORD], data[6 * RECORD:7 * RECORD]
    name, label = _text(member[8:16]), _text(label_rec[32:72])
    start = 8 * RECORD
    end = start + nvars * NAMESTR
    obs = end + (-end % RECORD)
    if nvars < 1 or name is None or label is None or len(data) < obs + RECORD or \
            data[obs:obs + RECORD] != _header("OBS"):
        return None
    variables = []
    offset = 0
    for i in range(nvars):
        rec = data[start + i * NAMESTR:start + (i + 1) * NAMESTR]
        ntype, _, width, number = np.frombuffer(rec[0:8], dtype=">i2").tolist()
        vname, vlabel, form = _text(rec[8:16]), _text(rec[16:56]), _text(rec[56:64])
        fl, fd = np.frombuffer(rec[64:68], dtype=">i2").tolist()
        pos = int(np.frombuffer(rec[84:88], dtype=">i4")[0])
        if vname is None or not vname or not vlabel or form not in ("", "DATE") or number != i + 1 or \
                pos != offset or ntype not in (1, 2) or (ntype == 1 and width != 8) or width < 1 or \
                (form == "DATE" and (ntype != 1 or fl < 1 or fd != 0)):
            return None
        variables.append((vname, vlabel, ntype == 2, width, offset, f"DATE{fl}" if form else None))
        offset += width
    row_len = offset
    body = data[obs + RECORD:]
    n = _row_count(body, row_len)
    rows = np.frombuffer(body, dtype=np.uint8, count=n * row_len).reshape(n, row_len)
    out = {}
    for vname, _, is_char, width, off, fmt in variables:
        field = rows[:, off:off + width]
        if is_char:
            text = _decode_text(field)
            if text is None:
                return None  # non-ASCII or NUL bytes: let pyreadstat decide
            out[vname] = pd.Series(text, dtype="str")
        else:
            values = from_ibm_double(field)
            if fmt:
                finite = values[~np.isnan(values)]
                if len(finite) and (np.any(finite != np.floor(finite)) or finite.min() < -700_000
                                    or finite.max() > 2_900_000):
                    return None  # fractional days or beyond the years 1-9999: pyreadstat's conversion
                days = np.where(np.isnan(values), np.iinfo(np.int64).min, values).astype(np.int64)
                stamps = np.where(np.isnan(values), np.datetime64("NaT", "us"),
                                  np.datetime64("1960-01-01", "us") + days.astype("timedelta64[D]"))
                out[vname] = pd.Series(stamps.astype("datetime64[us]"))
            else:
                out[vname] = pd.Series(values)
    df = pd.DataFrame(out, index=pd.RangeIndex(n))
    meta = XptMeta(name=name, label=label, labels={v[0]: v[1] for v in variables},
                   lengths={v[0]: v[3] for v in variables},
                   formats={v[0]: v[5] for v in variables if v[5]},
                   types={v[0]: ("Char" if v[2] else "Num") for v in variables})
    return df, meta


def _distinct_rows(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and first-occurrence row of each distinct row of a (n, w) uint8 array: rows hashed to
    64 bits and factorised, then every row compared with its representative (exact; a collision
    falls back to sorting)."""
    n, width = raw.shape
    padded = np.zeros((n, width + (-width % 8)), dtype=np.uint8)
    padded[:, :width] = raw
    words = padded.view(np.uint64)
    key = words[:, 0].copy()
    for j in range(1, words.shape[1]):  # FNV-style mixing, one column of 8 bytes at a time
        key = (key ^ words[:, j]) * np.uint64(0x100000001B3)
        key ^= key >> np.uint64(29)
    codes, uniques = pd.factorize(key)
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(n - 1, -1, -1)
    if words.shape[1] > 1:
        for start in range(0, n, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, n)
            if not np.array_equal(words[start:stop], words[first[codes[start:stop]]]):
                rows = np.ascontiguousarray(raw).view(f"V{width}").ravel()
                _, first, codes = np.unique(rows, return_index=True, return_inverse=True)
                return codes.ravel(), first
    return codes, first


def _decode_text(field: np.ndarray) -> np.ndarray | None:
    """(n, w) blank-padded ASCII bytes -> object array of str without the trailing blanks (each
    distinct value decoded once); None if a byte is not ASCII or is NUL."""
    n, width = field.shape
    if n == 0:
        return np.empty(0, dtype=object)
    used = np.zeros(width, dtype=np.uint8)  # the bytes any row uses: wide fields are mostly padding
    for start in range(0, n, CHUNK_ROWS):
        used |= np.bitwise_or.reduce(field[start:start + CHUNK_ROWS] ^ np.uint8(32), axis=0)
    width = int(np.flatnonzero(used)[-1]) + 1 if used.any() else 1
    field = field[:, :width]
    codes, first = _distinct_rows(field)
    distinct = np.ascontiguousarray(field[first])
    if distinct.max() > 127 or not distinct.all():
        return None
    text = np.strings.rstrip(distinct.view(f"S{width}").ravel(), b" ")
    size = max(int(np.strings.str_len(text).max()), 1)
    return text.astype(f"S{size}").astype(f"U{size}").astype(object)[codes]


def _row_count(body: bytes, row_len: int) -> int:
    """Rows in the data block as ReadStat counts them: whole rows, less the blank rows at the end
    (the padding to 80 bytes, and -- as ReadStat does -- any all-blank rows before it)."""
    n = len(body) // row_len
    if n == 0:
        return 0
    rows = np.frombuffer(body, dtype=np.uint8, count=n * row_len).reshape(n, row_len)
    tail = 64
    while True:  # look at the last rows first: the blank ones are at most a few
        start = max(n - tail, 0)
        filled = np.flatnonzero((rows[start:] != 32).any(axis=1))
        if len(filled):
            return start + int(filled[-1]) + 1
        if start == 0:
            return 0
        tail *= 8
