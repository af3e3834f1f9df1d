"""Fixtures for the ADaM dataset tests: the real specs and study parameters."""

from __future__ import annotations

import pytest

from trialflow.adam.common import Params
from trialflow.metadata import load_specs

from ..conftest import ROOT


@pytest.fixture(scope="session")
def specs():
    return load_specs(ROOT / "specs")


@pytest.fixture(scope="session")
def params(specs):
    return Params.of(specs)
