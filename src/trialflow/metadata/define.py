"""define.xml 2.1 from the specs (datasets, variables, codelists, methods, origins), and the
Pinnacle-21-style spec workbook (Datasets, Variables, Codelists, Methods sheets)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jinja2

from .. import __version__
from ..io import atomic_write
from ..xlsx import Style, Workbook
from .model import Specs, Variable

IG = {"SDTM": {"name": "SDTMIG", "version": "3.4"}, "ADaM": {"name": "ADaMIG", "version": "1.3"}}
CT_VERSION = "2019-09-27"  # the CDISC CT package current at the study's data cut-off


def _datatype(v: Variable) -> str:
    if v.is_char:
        return "datetime" if v.name.endswith("DTC") else "text"
    return "integer" if v.is_date or v.name.endswith(("SEQ", "DY", "NUM", "FL", "N")) else "float"


def render_define(specs: Specs, standard: str, created: dt.date) -> str:
    datasets = list((specs.sdtm if standard == "SDTM" else specs.adam).values())
    used = sorted({v.codelist for ds in datasets for v in ds.variables if v.codelist})
    env = jinja2.Environment(loader=jinja2.PackageLoader("trialflow.metadata", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=False, keep_trailing_newline=True)
    return env.get_template("define.xml.j2").render(
        study=specs.study, standard=standard, ig=IG[standard], ct_version=CT_VERSION, version=__version__,
        created=f"{created.isoformat()}T00:00:00", datasets=datasets,
        codelists=[specs.codelists[c] for c in used], datatype=_datatype,
        purpose="Tabulation" if standard == "SDTM" else "Analysis")


def write_define(specs: Specs, standard: str, path: Path, created: dt.date) -> Path:
    return atomic_write(path, render_define(specs, standard, created).encode("utf-8"))


def write_workbook(specs: Specs, path: Path) -> Path:
    """Pinnacle-21-style spec workbook: Datasets, Variables, Codelists, Methods."""
    datasets = [*specs.sdtm.values(), *specs.adam.values()]
    sheets = {
        "Datasets": (["Standard", "Dataset", "Label", "Class", "Structure", "Key Variables", "Location"],
                     [[d.standard, d.name, d.label, d.cls, d.structure, ", ".join(d.keys), f"{d.name.lower()}.xpt"]
                      for d in datasets]),
        "Variables": (["Dataset", "Order", "Variable", "Label", "Data Type", "Length", "Format", "Codelist",
                       "Origin", "Core", "Source / Derivation"],
                      [[d.name, i, v.name, v.label, _datatype(v), v.length if v.is_char else 8, v.format or "",
                        v.codelist or "", v.origin or "", v.core, v.derivation or v.source or ""]
                       for d in datasets for i, v in enumerate(d.variables, 1)]),
        "Codelists": (["ID", "Name", "NCI Codelist Code", "Extensible", "Term", "NCI Term Code", "Decoded Value"],
                      [[c.id, c.name, c.nci_code or "", "Yes" if c.extensible else "No", t.value, t.nci_code or "",
                        t.decode] for c in specs.codelists.values() for t in c.terms]),
        "Methods": (["ID", "Name", "Type", "Description"],
                    [[f"MT.{d.name}.{v.name}", f"Algorithm to derive {d.name}.{v.name}", "Computation", v.derivation]
                     for d in datasets for v in d.variables if v.derivation]),
    }
    wb = Workbook()
    for title, (header, rows) in sheets.items():
        ws = wb.sheet(title)
        ws.append([(h, Style(bold=True)) for h in header])
        for row in rows:
            ws.append(row)
        ws.freeze_header = True
    return atomic_write(path, wb.to_bytes())
