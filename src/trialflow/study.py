"""A Study: its root folder, its specs, and where each step reads and writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from .errors import InputError
from .metadata import Specs, load_specs, validate
from .xpt import read_xpt, write_xpt


@dataclass
class Study:
    root: Path

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()

    @cached_property
    def specs(self) -> Specs:
        return load_specs(self.root / "specs")

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def sdtm(self) -> Path:
        return self.root / "sdtm"

    @property
    def adam(self) -> Path:
        return self.root / "adam"

    @property
    def tlf(self) -> Path:
        return self.root / "tlf"

    @property
    def cutoff(self) -> dt.date:
        """Data cut-off: also the fixed timestamp of every XPT header (byte-identical reruns)."""
        value = self.specs.study.get("data_cutoff")
        if not isinstance(value, dt.date):
            raise InputError("study.yaml needs data_cutoff as a date (YYYY-MM-DD)",
                             file=self.root / "specs" / "study.yaml", field="data_cutoff", value=value)
        return value

    def inside(self, path: Path) -> Path:
        """Refuse an output path that leaves the study folder."""
        resolved = Path(path).resolve()
        if not resolved.is_relative_to(self.root):
            raise InputError("output path leaves the study folder", value=str(path))
        return resolved

    def xpt_path(self, name: str) -> Path:
        spec = self.specs.dataset(name)
        folder = self.sdtm if spec.standard == "SDTM" else self.adam
        return folder / f"{spec.name.lower()}.xpt"

    def write_dataset(self, df: pd.DataFrame, name: str) -> Path:
        """Validate df by the pandera schema built from its spec, then write its XPT atomically."""
        return self.write_validated(validate(df, self.specs.dataset(name), self.specs), name)

    def write_validated(self, frame: pd.DataFrame, name: str) -> Path:
        """Write a frame that already passed its schema (metadata.validate) as <layer>/<name>.xpt."""
        spec = self.specs.dataset(name)
        return write_xpt(frame, spec, self.inside(self.xpt_path(name)), self.cutoff)

    def read_dataset(self, name: str) -> pd.DataFrame:
        path = self.xpt_path(name)
        if not path.exists():
            raise InputError(f"{name} has not been built yet (run the step that writes it)", file=path)
        return read_xpt(path)[0]
