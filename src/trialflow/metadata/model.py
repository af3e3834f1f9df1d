"""Typed metadata objects: the single source of truth for datasets, variables and codelists."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Term:
    value: str  # submission value
    decode: str
    nci_code: str | None = None
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Codelist:
    id: str
    name: str
    nci_code: str | None
    extensible: bool
    terms: tuple[Term, ...]
    datatype: str = "text"

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(t.value for t in self.terms)

    def lookup(self) -> dict[str, str]:
        """Upper-cased submission value, decode and synonyms -> submission value."""
        out: dict[str, str] = {}
        for t in self.terms:
            for key in (t.value, t.decode, *t.synonyms):
                out[str(key).strip().upper()] = t.value
        return out

    def decode(self, value: str) -> str:
        return {t.value: t.decode for t in self.terms}.get(value, "")


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    type: str  # "Char" | "Num"
    length: int | None = None
    format: str | None = None  # display format, e.g. DATE9.
    codelist: str | None = None
    origin: str | None = None  # Collected | Derived | Assigned | Protocol | Predecessor
    core: str = "Perm"  # Req | Exp | Perm (SDTM) / Req | Cond | Perm (ADaM)
    derivation: str | None = None  # derivation text as define.xml shows it
    source: str | None = None  # predecessor / raw source text
    map: dict[str, Any] | None = None  # SDTM mapping operation (algorithm + raw fields)
    role: str | None = None

    @property
    def is_char(self) -> bool:
        return self.type == "Char"

    @property
    def is_date(self) -> bool:
        return self.type == "Num" and (self.format or "").upper().startswith("DATE")

    @property
    def required(self) -> bool:
        return self.core == "Req"


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    label: str
    cls: str
    structure: str
    keys: tuple[str, ...]
    variables: tuple[Variable, ...]
    path: Path
    standard: str  # "SDTM" | "ADaM"
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]

    def var(self, name: str) -> Variable:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(f"{self.name}.{name}")


@dataclass
class Specs:
    root: Path
    study: dict[str, Any]
    codelists: dict[str, Codelist]
    sdtm: dict[str, DatasetSpec]
    adam: dict[str, DatasetSpec]
    tlf: dict[str, dict[str, Any]]

    def dataset(self, name: str) -> DatasetSpec:
        name = name.upper()
        for group in (self.sdtm, self.adam):
            if name in group:
                return group[name]
        raise KeyError(name)
