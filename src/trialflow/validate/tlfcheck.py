"""TLF validation: every ARD against its shell (each displayed row and column has its analysis
results; every rendered file exists), and every published value against the produced one."""

from __future__ import annotations

from ..errors import InputError
from ..study import Study
from ..tlf.build import output_files, read_ard
from ..tlf.published import compare_published
from ..tlf.shell import load_shells


def tlf_checks(study: Study) -> list[dict]:
    """One record per check: output, row, column, target, published, produced, status, message."""
    out: list[dict] = []
    for sid, shell in load_shells(study.specs).items():
        try:
            ard = read_ard(study, sid)
        except InputError as exc:
            out.append(_structural(sid, "", "", f"{exc}"))
            continue
        for kind, path in output_files(study, shell).items():
            if not path.exists():
                out.append(_structural(sid, "", kind, f"rendered file {path.name} missing"))
        have = {(r.row, r.column) for r in ard.rows}
        groups = {c.group for c in shell.columns}
        for row in shell.all_rows:
            if row.stat is None or row.is_header:
                continue
            for g in groups:
                if not any(k[0] == row.key or k[0].startswith(f"{row.key}|") for k in have if k[1] == g):
                    out.append(_structural(sid, row.key, g, "shell row has no analysis results"))
        out += compare_published(shell, ard)
    return out


def _structural(output: str, row: str, column: str, message: str) -> dict:
    return {"output": output, "row": row, "label": "", "column": column, "target": None, "published": "",
            "printed": None, "compare": [], "produced": "", "status": "differs", "message": message,
            "expected_irreproducible": None}
