"""SAS transport (XPT version 5) strictly by the dataset spec.

pyreadstat does the encoding; this module adds what it lacks: it refuses bad names, labels and
values *before* anything is written (pyreadstat truncates labels silently, never enforces
character length and leaves a broken file on a refused name), sets every character width to
the spec length, writes dates as SAS dates with DATE9., replaces the write time stamped into
the headers by a fixed stamp (so identical input gives identical bytes) and writes atomically.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyreadstat

from .errors import InputError
from .metadata.model import DatasetSpec

SAS_EPOCH = pd.Timestamp("1960-01-01")
# Byte offsets of the 16-byte created/modified datetimes in the library and member headers.
STAMP_OFFSETS = (144, 160, 464, 480)
MAX_CHAR = 200


def sas_stamp(when: dt.date | dt.datetime) -> bytes:
    """A header datetime as SAS writes it: 16 bytes, e.g. b'31OCT19:00:00:00'."""
    when = pd.Timestamp(when)
    return when.strftime("%d%b%y:%H:%M:%S").upper().encode("ascii")


def _check(df: pd.DataFrame, spec: DatasetSpec) -> None:
    where = spec.path
    if len(spec.name) > 8:
        raise InputError("dataset name longer than 8", file=where, field="dataset", value=spec.name)
    if len(spec.label) > 40 or not spec.label.isascii():
        raise InputError("dataset label over 40 characters or not ASCII", file=where, field="label", value=spec.label)
    if list(df.columns) != spec.names:
        raise InputError(f"{spec.name}: columns differ from the spec order", file=where,
                         value=[c for c in df.columns if c not in spec.names] or list(df.columns))
    for var in spec.variables:
        if len(var.name) > 8:
            raise InputError("variable name longer than 8", file=where, field=var.name, value=var.name)
        if len(var.label) > 40 or not var.label.isascii():
            raise InputError("variable label over 40 characters or not ASCII", file=where, field=var.name,
                             value=var.label)
        if not var.is_char:
            continue
        col = df[var.name]
        nonascii = ~col.map(str.isascii)
        if nonascii.any():
            row = nonascii.idxmax()
            raise InputError(f"{spec.name}.{var.name}: non-ASCII text", file=where, row=row, field=var.name,
                             value=col[row])
        limit = min(var.length, MAX_CHAR)
        too_long = col.str.len() > limit
        if too_long.any():
            row = too_long.idxmax()
            raise InputError(f"{spec.name}.{var.name}: value longer than {limit}", file=where, row=row,
                             field=var.name, value=col[row])


def write_xpt(df: pd.DataFrame, spec: DatasetSpec, path: str | Path, stamp: dt.date | dt.datetime) -> Path:
    """Write df (already conformed to spec) as XPT v5 at path; return the path."""
    path = Path(path)
    _check(df, spec)
    out = {}
    for var in spec.variables:
        col = df[var.name]
        if var.is_date:
            out[var.name] = ((pd.to_datetime(col) - SAS_EPOCH).dt.days).astype("float64")
        elif var.is_char:
            vals = col.astype(object).to_numpy(copy=True)
            if len(vals):  # the widest value sets the storage width: pad one value to the spec length
                vals[0] = str(vals[0]).ljust(var.length)
            out[var.name] = vals
        else:
            out[var.name] = col.astype("float64")
    frame = pd.DataFrame(out)
    formats = {v.name: v.format.rstrip(".") for v in spec.variables if v.format}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pyreadstat.write_xport(frame, tmp, file_format_version=5, table_name=spec.name,
                               file_label=spec.label, column_labels=[v.label for v in spec.variables],
                               variable_format=formats)
        stamp_bytes = sas_stamp(stamp)
        with open(tmp, "r+b") as fh:
            for offset in STAMP_OFFSETS:
                fh.seek(offset)
                fh.write(stamp_bytes)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; datasets are shared files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@dataclass
class XptMeta:
    name: str
    label: str
    labels: dict[str, str]
    lengths: dict[str, int]
    formats: dict[str, str]
    types: dict[str, str]


def read_xpt(path: str | Path) -> tuple[pd.DataFrame, XptMeta]:
    """Read an XPT: data (dates as datetime64, Char missing as '') plus its metadata."""
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
