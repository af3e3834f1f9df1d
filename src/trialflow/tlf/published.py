"""Compare the cells a shell marks ``published:`` with the ARD, by the publication's printed precision.

Each published cell names the ARD statistics that correspond, in order, to the numbers printed
(``compare``; defaults by statistic kind and the count of printed numbers, e.g. count_pct with
'8 (25.0)' -> [n, pct], with '53.1%' -> [pct]). ``pct_denominator`` turns on the GRIM-style
consistency check, and ``irreproducible`` records that the shell expects the cell to differ
(with the reason) — the verdict is still computed, never assumed.
"""

from __future__ import annotations

from ..errors import SpecError
from ..validate.publication import judge, printed_numbers
from .ard import Ard
from .shell import DEFAULT_COMPARE, Shell


def compare_published(shell: Shell, ard: Ard) -> list[dict]:
    """One record per published cell: row, column, target, published, produced, status, message."""
    columns = {c.key: c for c in shell.columns}
    out = []
    for row in shell.all_rows:
        for p in row.published:
            n_printed = len(printed_numbers(p.value))
            names = list(p.compare) if p.compare else DEFAULT_COMPARE.get(row.stat, {}).get(n_printed)
            if not names:
                raise SpecError(f"cannot tell which statistics {p.value!r} prints; give 'compare'",
                                file=shell.path, field=f"{row.key}.published", value=p.value)
            group = columns[p.column].group
            values = [ard.value(row.key, group, s) for s in names]
            pct = None
            if p.pct_denominator is not None:
                if "pct" not in names:
                    raise SpecError("pct_denominator needs 'pct' among the compared statistics",
                                    file=shell.path, field=f"{row.key}.published", value=names)
                pct = (names.index("pct"), p.pct_denominator)
            n_data = ard.value(row.key, group, "N")
            v = judge(p.value, [None if x is None else float(x) for x in values], pct=pct,
                      denominator=None if n_data is None else int(n_data))
            out.append({
                "output": shell.id, "row": row.key, "label": row.label, "column": p.column, "target": p.target,
                "published": p.value, "printed": p.printed, "compare": names, "produced": v.produced,
                "status": v.status, "message": v.message, "expected_irreproducible": p.irreproducible,
            })
    return out


def verdict_index(results: list[dict]) -> dict[tuple[str, str], dict]:
    """(row key, column key) -> comparison, for the renderers; several cells on one: joined."""
    out: dict[tuple[str, str], dict] = {}
    for r in results:
        key = (r["row"], r["column"])
        if key in out:
            prev = out[key]
            out[key] = {**prev, "published": f"{prev['published']}; {r['published']}",
                        "status": prev["status"] if prev["status"] != "reproduced" else r["status"],
                        "message": f"{prev['message']}; {r['message']}"}
        else:
            out[key] = r
    return out
