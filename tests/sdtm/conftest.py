"""Fixtures of the SDTM tests: the small hand-made study of helpers.py."""

from __future__ import annotations

import pytest

from trialflow.study import Study

from .helpers import _rows, make_study


@pytest.fixture
def mini(tmp_path) -> Study:
    return make_study(tmp_path)


@pytest.fixture
def rows():
    return _rows()
