"""One rounding rule everywhere: half away from zero on the decimal reading of the value."""

import math

import pytest

from trialflow.rounding import round_half_up


@pytest.mark.parametrize("x,nd,expected", [
    (31.25, 1, 31.3), (6.25, 1, 6.3), (56.25, 1, 56.3), (81.25, 1, 81.3),  # Table 1 cells banker's gets wrong
    (1.005, 2, 1.01),   # float floor(x*100+0.5) gives 1.00: 1.005 is 1.00499999... in binary
    (2.675, 2, 2.68), (-2.5, 0, -3.0), (-0.04, 1, 0.0), (0.5, 0, 1.0),
])
def test_half_away_from_zero(x, nd, expected):
    got = round_half_up(x, nd)
    assert got == expected and math.copysign(1, got) == math.copysign(1, expected)


def test_missing_is_nan():
    assert math.isnan(round_half_up(None, 1)) and math.isnan(round_half_up(float("nan"), 1))
