"""Rounding half away from zero (SAS ROUND), the study convention for every printed and derived
number: never Python's banker's ``round``. Values are read through their shortest repr, so 2.675
rounds to 2.68 and 1.005 to 1.01."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd


def quantize_half_up(d: Decimal, ndigits: int) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-ndigits), rounding=ROUND_HALF_UP)


def round_half_up(x, ndigits: int = 0) -> float:
    """Round ``x`` to ``ndigits`` decimals, halves away from zero. Missing gives NaN; -0.0 gives 0.0."""
    if x is None or pd.isna(x):
        return float("nan")
    return float(quantize_half_up(Decimal(repr(float(x))), ndigits)) + 0.0
