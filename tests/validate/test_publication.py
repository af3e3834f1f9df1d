from decimal import Decimal

import pytest

from trialflow.validate.publication import (IRREPRODUCIBLE, REPRODUCED, DIFFERS, at_printed_precision,
                                            grim_counts, judge, matches, printed_numbers)


def test_printed_numbers_keep_precision_and_ranges():
    assert printed_numbers("13.07 (6–80.7)") == [(Decimal("13.07"), 2), (Decimal("6"), 0), (Decimal("80.7"), 1)]
    assert printed_numbers("1.6 (1–3.2)") == [(Decimal("1.6"), 1), (Decimal("1"), 0), (Decimal("3.2"), 1)]
    assert printed_numbers("8 (25.0)") == [(Decimal("8"), 0), (Decimal("25.0"), 1)]
    assert printed_numbers("-0.5") == [(Decimal("-0.5"), 1)]


@pytest.mark.parametrize("printed,values,ok", [
    ("8 (25.0)", [8, 25.0], True),
    ("10 (31.3)", [10, 31.25], True),            # half away from zero, not banker's 31.2
    ("0 (0)", [0, 0.0], True),
    ("32 (100)", [32, 100.0], True),
    ("70.5 (51–84)", [70.5, 51.0, 84.0], True),
    ("13.07 (6–80.7)", [13.0714285, 6.0, 80.714], True),
    ("8.3 (1–74)", [8.2857, 1.0, 74.0], True),
    ("1.6 (1–3.2)", [1.577, 0.986, 3.154], True),
    ("10.7 (8–19)", [10.7, 7.98, 20.99], False),   # upper limit 21 != 19
    ("37.5%", [37.5], True),
    ("26.4%", [25.0], False),
    ("5/257", [5, 257], True),
])
def test_format_aware_match(printed, values, ok):
    assert matches(printed, values) is ok


def test_at_printed_precision_keeps_punctuation():
    assert at_printed_precision("13.07 (6–80.7)", [13.0714, 6.0, 80.714]) == "13.07 (6–80.7)"
    assert at_printed_precision("10.7 (8–19)", [10.7, 7.98, 20.99]) == "10.7 (8–21)"


def test_grim_known_cases():
    assert grim_counts("58.3", 12) == [7]
    assert grim_counts("28.6", 14) == [4]
    assert grim_counts("72.7", 11) == [8]
    assert grim_counts("26.4", 20) == []                 # the publication's impossible figure
    assert grim_counts("31.3", 32) == [10]
    assert grim_counts("0", 32) == [0]


def test_verdicts():
    assert judge("58.3%", [58.333], pct=(0, 12)).status == REPRODUCED
    v = judge("26.4%", [25.0], pct=(0, 20))
    assert v.status == IRREPRODUCIBLE and "the data give 25.0%" in v.message
    # the impossible printed value does not excuse data that are wrong anyway
    assert judge("26.4%", [80.0], pct=(0, 20)).status == DIFFERS
    assert judge("26.4%", [30.0], pct=(0, 20)).status == IRREPRODUCIBLE  # 6/20, the other nearest value
    assert judge("26.4%", [25.0], pct=(0, 20), denominator=19).status == DIFFERS
    d = judge("28.6%", [35.714], pct=(0, 14))
    assert d.status == DIFFERS and d.produced == "35.7%"
