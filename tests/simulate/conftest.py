from __future__ import annotations

from pathlib import Path

import pytest

from trialflow.simulate import simulate

from ._derive import derive, load


@pytest.fixture(scope="session")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly simulated calibrated study (default seed)."""
    out = tmp_path_factory.mktemp("raw")
    simulate(out)
    return out


@pytest.fixture(scope="session")
def forms(raw_dir: Path):
    return load(raw_dir)


@pytest.fixture(scope="session")
def derived(raw_dir: Path) -> dict:
    return derive(raw_dir)
