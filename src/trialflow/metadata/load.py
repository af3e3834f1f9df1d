"""Load specs/ into typed objects and check the specs themselves.

Specs are data: read with yaml.safe_load only. Every problem names its file and key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import SpecError
from .model import Codelist, DatasetSpec, Specs, Term, Variable

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same safe subset, faster
NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")
VARIABLE_KEYS = {"name", "label", "type", "length", "format", "codelist", "origin", "core",
                 "derivation", "source", "map", "role"}
DATASET_KEYS = {"dataset", "label", "class", "structure", "keys", "variables", "options"}
ORIGINS = {"Collected", "Derived", "Assigned", "Protocol", "Predecessor"}
CORES = {"Req", "Exp", "Perm", "Cond"}


def read_yaml(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise SpecError(f"YAML syntax error: {getattr(exc, 'problem', exc)}", file=path, row=row) from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"spec is not UTF-8 ({exc.reason})", file=path) from None


def _ascii_label(label: Any, path: Path, key: str) -> str:
    if not isinstance(label, str) or not label:
        raise SpecError("label missing or not text", file=path, field=key, value=label)
    if len(label) > 40:
        raise SpecError(f"label longer than 40 characters ({len(label)})", file=path, field=key, value=label)
    if not label.isascii():
        raise SpecError("label is not ASCII", file=path, field=key, value=label)
    return label


def _text(value: Any, path: Path, key: str) -> str:
    if not isinstance(value, str):
        # YAML 1.1 turns unquoted Yes/No/On into booleans: make the author quote them.
        raise SpecError("expected quoted text", file=path, field=key, value=value)
    return value


def load_codelists(path: Path) -> dict[str, Codelist]:
    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        raise SpecError("codelists file must be a mapping of codelist id -> codelist", file=path)
    out = {}
    for cid, body in data.items():
        if not isinstance(body, dict) or not isinstance(body.get("terms"), list):
            raise SpecError("codelist needs a 'terms' list", file=path, field=cid)
        terms, seen = [], set()
        for i, t in enumerate(body["terms"]):
            key = f"{cid}.terms[{i}]"
            if not isinstance(t, dict) or "value" not in t:
                raise SpecError("term needs a 'value'", file=path, field=key)
            value = _text(t["value"], path, f"{key}.value")
            if value in seen:
                raise SpecError("duplicate term", file=path, field=key, value=value)
            seen.add(value)
            terms.append(Term(value=value, decode=_text(t.get("decode", value), path, f"{key}.decode"),
                              nci_code=t.get("nci_code"),
                              synonyms=tuple(_text(s, path, f"{key}.synonyms") for s in t.get("synonyms", ()))))
        out[cid] = Codelist(id=cid, name=body.get("name", cid), nci_code=body.get("nci_code"),
                            extensible=bool(body.get("extensible", False)), terms=tuple(terms),
                            datatype=body.get("datatype", "text"))
    return out


def load_dataset(path: Path, standard: str, codelists: dict[str, Codelist]) -> DatasetSpec:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise SpecError("dataset spec must be a mapping", file=path)
    unknown = set(data) - DATASET_KEYS
    if unknown:
        raise SpecError("unknown dataset key", file=path, field=sorted(unknown)[0])
    name = data.get("dataset")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise SpecError("dataset name must be 1-8 upper-case letters/digits", file=path, field="dataset", value=name)
    if path.stem.upper() != name:
        raise SpecError("file name does not match dataset name", file=path, field="dataset", value=name)
    label = _ascii_label(data.get("label"), path, "label")
    variables, seen = [], set()
    for i, v in enumerate(data.get("variables") or []):
        key = f"variables[{i}]"
        if not isinstance(v, dict):
            raise SpecError("variable must be a mapping", file=path, field=key)
        vname = v.get("name")
        key = f"variables.{vname}" if vname else key
        bad = set(v) - VARIABLE_KEYS
        if bad:
            raise SpecError("unknown variable key", file=path, field=f"{key}.{sorted(bad)[0]}")
        if not isinstance(vname, str) or len(vname) > 8 or not NAME_RE.match(vname):
            raise SpecError("variable name must be 1-8 upper-case letters/digits/underscore",
                            file=path, field=key, value=vname)
        if vname in seen:
            raise SpecError("duplicate variable", file=path, field=key, value=vname)
        seen.add(vname)
        vtype = v.get("type")
        if vtype not in ("Char", "Num"):
            raise SpecError("type must be Char or Num", file=path, field=f"{key}.type", value=vtype)
        length = v.get("length")
        if vtype == "Char" and (not isinstance(length, int) or not 1 <= length <= 200):
            raise SpecError("Char variable needs a length 1-200", file=path, field=f"{key}.length", value=length)
        codelist = v.get("codelist")
        if codelist is not None and codelist not in codelists:
            raise SpecError("unknown codelist", file=path, field=f"{key}.codelist", value=codelist)
        origin = v.get("origin")
        if origin is not None and origin not in ORIGINS:
            raise SpecError(f"origin must be one of {sorted(ORIGINS)}", file=path, field=f"{key}.origin", value=origin)
        core = v.get("core", "Perm")
        if core not in CORES:
            raise SpecError(f"core must be one of {sorted(CORES)}", file=path, field=f"{key}.core", value=core)
        variables.append(Variable(
            name=vname, label=_ascii_label(v.get("label"), path, f"{key}.label"), type=vtype,
            length=length if vtype == "Char" else 8, format=v.get("format"), codelist=codelist,
            origin=origin, core=core, derivation=v.get("derivation"), source=v.get("source"),
            map=v.get("map"), role=v.get("role")))
    if not variables:
        raise SpecError("dataset has no variables", file=path, field="variables")
    keys = tuple(data.get("keys") or ())
    for k in keys:
        if k not in seen:
            raise SpecError("key is not a variable of the dataset", file=path, field="keys", value=k)
    return DatasetSpec(name=name, label=label, cls=str(data.get("class", "")),
                       structure=str(data.get("structure", "")), keys=keys, variables=tuple(variables),
                       path=path, standard=standard, options=data.get("options") or {})


def instantiate_supp(group: dict[str, DatasetSpec]) -> dict[str, DatasetSpec]:
    """SUPP-- datasets from one template: specs/sdtm/SUPPQUAL.yaml (options.template: true) is not a
    dataset itself; each domain whose spec lists options.supp (QNAM, QLABEL, ...) gets SUPP<DOMAIN>
    with the template's variables. QNAM and QLABEL are stated once, in the parent spec."""
    tmpl = group.get("SUPPQUAL")
    if tmpl is None or not tmpl.options.get("template"):
        return group
    out = {k: v for k, v in group.items() if k != "SUPPQUAL"}
    for name, ds in group.items():
        quals = ds.options.get("supp")
        if name == "SUPPQUAL" or not quals:
            continue
        for i, q in enumerate(quals):
            key = f"options.supp[{i}]"
            if not isinstance(q, dict):
                raise SpecError("supplemental qualifier must be a mapping", file=ds.path, field=key)
            qnam = q.get("qnam")
            if not isinstance(qnam, str) or not NAME_RE.match(qnam):
                raise SpecError("QNAM must be 1-8 upper-case letters/digits", file=ds.path, field=f"{key}.qnam",
                                value=qnam)
            _ascii_label(q.get("qlabel"), ds.path, f"{key}.qlabel")
        sname = f"SUPP{name}"
        if len(sname) > 8:
            raise SpecError("SUPP dataset name longer than 8", file=ds.path, field="options.supp", value=sname)
        out[sname] = DatasetSpec(
            name=sname, label=_ascii_label(f"Supplemental Qualifiers for {name}", ds.path, "label"),
            cls=tmpl.cls, structure=tmpl.structure, keys=tmpl.keys, variables=tmpl.variables, path=tmpl.path,
            standard=tmpl.standard, options={**{k: v for k, v in tmpl.options.items() if k != "template"},
                                             "parent": name, "qnams": [q["qnam"] for q in quals]})
    return dict(sorted(out.items()))


def load_specs(specs_dir: str | Path) -> Specs:
    root = Path(specs_dir)
    if not (root / "study.yaml").exists():
        raise SpecError("no specs/study.yaml here (use --study-dir)", file=root / "study.yaml")
    study = read_yaml(root / "study.yaml") or {}
    codelists = load_codelists(root / "codelists.yaml") if (root / "codelists.yaml").exists() else {}
    groups = {}
    for sub, standard in (("sdtm", "SDTM"), ("adam", "ADaM")):
        groups[sub] = {}
        for path in sorted((root / sub).glob("*.yaml")):
            ds = load_dataset(path, standard, codelists)
            groups[sub][ds.name] = ds
    groups["sdtm"] = instantiate_supp(groups["sdtm"])
    tlf = {}
    for path in sorted((root / "tlf").glob("*.yaml")):
        shell = read_yaml(path)
        if not isinstance(shell, dict) or "id" not in shell:
            raise SpecError("TLF shell needs an 'id'", file=path, field="id")
        tlf[shell["id"]] = {**shell, "_path": path}
    return Specs(root=root, study=study, codelists=codelists, sdtm=groups["sdtm"], adam=groups["adam"], tlf=tlf)
