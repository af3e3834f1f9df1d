"""Compare produced numbers with a publication's printed values, format-aware, and test printed
percentages for consistency in the GRIM style (can any integer count give this percentage?).

Verdicts: ``reproduced`` (every printed number equals the produced one rounded half away from zero
to the printed precision), ``differs``, and ``irreproducible`` (the printed percentage cannot come
from any integer count over its denominator, so no data can reproduce it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ..tlf.stats import fmt_num

NUMBER = re.compile(r"(?<![\d.])-?\d+(?:\.\d+)?")
REPRODUCED, DIFFERS, IRREPRODUCIBLE = "reproduced", "differs", "irreproducible"


def printed_numbers(text: str) -> list[tuple[Decimal, int]]:
    """Numbers in a printed cell with their printed decimals: '13.07 (6–80.7)' -> 13.07/2, 6/0, 80.7/1.

    A dash between two numbers is a range separator, never a minus sign.
    """
    text = str(text).replace("−", "-").replace(",", "")
    text = re.sub(r"(?<=\d)\s*[-–—]\s*(?=\d)", " – ", text)
    out = []
    for m in NUMBER.finditer(text):
        token = m.group()
        out.append((Decimal(token), len(token.split(".")[1]) if "." in token else 0))
    return out


def at_printed_precision(printed: str, values: list[float | None]) -> str:
    """The produced values written with the printed cell's punctuation and precision."""
    nums = printed_numbers(printed)
    if len(nums) != len(values):
        return " / ".join("NE" if v is None else str(v) for v in values)
    pieces = iter(fmt_num(v, d) for v, (_, d) in zip(values, nums))
    norm = re.sub(r"(?<=\d)\s*[-–—]\s*(?=\d)", "–", str(printed).replace(",", ""))
    return NUMBER.sub(lambda m: next(pieces), norm)


def matches(printed: str, values: list[float | None]) -> bool:
    nums = printed_numbers(printed)
    if len(nums) != len(values):
        return False
    return all(v is not None and Decimal(fmt_num(v, d)) == p for v, (p, d) in zip(values, nums))


def grim_counts(printed_pct: str | float, denom: int) -> list[int]:
    """Every integer k in 0..denom whose k/denom percentage prints as ``printed_pct``."""
    (pct, digits), = printed_numbers(str(printed_pct))[:1] or [(None, 0)]
    if pct is None or denom <= 0:
        return []
    return [k for k in range(denom + 1) if Decimal(fmt_num(100 * k / denom, digits)) == pct]


@dataclass(frozen=True)
class Verdict:
    status: str
    produced: str
    message: str


def judge(printed: str, values: list[float | None], pct: tuple[int, int] | None = None,
          denominator: int | None = None) -> Verdict:
    """Judge one published cell against produced values.

    ``pct`` = (index of the percentage among the printed numbers, the publication's denominator)
    enables the consistency check. A printed percentage that no k/denominator can give is
    ``irreproducible`` only when the data agree with everything the publication does fix: the
    produced group size (``denominator``, when given) equals the publication's, and the produced
    percentage is one of the two achievable values nearest the printed one. Otherwise ``differs``.
    """
    produced = at_printed_precision(printed, values)
    if matches(printed, values):
        return Verdict(REPRODUCED, produced, f"{printed!r} reproduced")
    if pct is not None:
        index, denom = pct
        nums = printed_numbers(printed)
        if index < len(nums) and not grim_counts(f"{nums[index][0]:.{nums[index][1]}f}", denom):
            p, digits = nums[index]
            got = values[index] if index < len(values) else None
            k_lo = int(p * denom // 100)
            nearest = {100 * k / denom for k in (k_lo, k_lo + 1) if 0 <= k <= denom}
            if denominator is not None and denominator != denom:
                return Verdict(DIFFERS, produced, f"printed {p}% implies a group of {denom}; the data have "
                                                  f"{denominator} (produced {produced})")
            if got is not None and any(abs(got - q) < 1e-9 for q in nearest):
                return Verdict(IRREPRODUCIBLE, produced,
                               f"printed {p}% cannot be k/{denom} for any integer k (rounded half up to "
                               f"{digits} dp); the data give {produced}")
            return Verdict(DIFFERS, produced, f"published {printed!r} (itself impossible for k/{denom}), "
                                              f"produced {produced!r}, not a nearest achievable value")
    return Verdict(DIFFERS, produced, f"published {printed!r}, produced {produced!r}")
