"""Spec layer: load + check specs, pandera schemas, define.xml and the spec workbook."""

from .load import load_specs
from .model import Codelist, DatasetSpec, Specs, Term, Variable
from .schema import conform, schema_for, validate

__all__ = ["load_specs", "Codelist", "DatasetSpec", "Specs", "Term", "Variable", "conform", "schema_for", "validate"]
