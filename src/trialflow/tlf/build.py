"""Build one output: ADaM -> ARD (tlf/ard/<id>.json) -> RTF / HTML / XLSX (tables, listings)
or PNG / SVG / RTF / HTML (figures); and the index (tlf/index.html, tlf/tlf.xlsx, ard/ard.csv,
published.csv). Rendering reads only the ARD and the shell; every file is written atomically.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..io import atomic_write, write_csv
from ..study import Study
from .ard import Ard
from .display import build_display
from .engine import analyse
from .published import compare_published, verdict_index
from .render_html import index_html, output_html
from .render_rtf import figure_rtf, source_line, table_rtf
from .render_xlsx import table_xlsx, workbook_of
from .shell import Shell, load_shells, parse_shell


def shell_of(study: Study, output: str) -> Shell:
    raw = study.specs.tlf.get(output)
    if raw is None:
        raise InputError(f"no shell specs/tlf/{output}.yaml", value=output)
    return parse_shell(raw, raw.get("_path"))


def output_files(study: Study, shell: Shell) -> dict[str, Path]:
    """Every file one output writes, by kind."""
    base = study.tlf
    files = {"ard": base / "ard" / f"{shell.id}.json", "rtf": base / f"{shell.id}.rtf",
             "html": base / f"{shell.id}.html"}
    if shell.type == "figure":
        files |= {"png": base / f"{shell.id}.png", "svg": base / f"{shell.id}.svg"}
    else:
        files["xlsx"] = base / f"{shell.id}.xlsx"
    return files


def _links(shell: Shell) -> list[tuple[str, str]]:
    kinds = ["rtf", "png", "svg"] if shell.type == "figure" else ["rtf", "xlsx"]
    return [(f"{shell.id}.{k}", k.upper()) for k in kinds]


def render(study: Study, shell: Shell, ard: Ard) -> dict[str, Path]:
    """Write every rendered file of one output from its ARD."""
    files = output_files(study, shell)
    source = source_line(shell.id)
    results = compare_published(shell, ard)
    disp = build_display(shell, ard, verdict_index(results))
    if shell.type == "figure":
        from .figures import draw  # matplotlib (a slow import) only where a figure is drawn

        png, svg, (w, h) = draw(shell, ard)
        atomic_write(files["png"], png)
        atomic_write(files["svg"], svg)
        summary = [f"{r.label}: {r.cells[0].text}" for r in disp.rows if not r.header]  # under the figure
        atomic_write(files["rtf"], figure_rtf(disp, png, source, summary, w, h))
        atomic_write(files["html"], output_html(disp, source, _links(shell), figure=f"{shell.id}.svg"))
    else:
        atomic_write(files["rtf"], table_rtf(disp, source))
        atomic_write(files["xlsx"], table_xlsx(disp, ard, source))
        atomic_write(files["html"], output_html(disp, source, _links(shell)))
    return files


def build_output(study: Study, output: str, load=None) -> dict[str, Path]:
    """ADaM -> ARD -> rendered files for one output id (``load``: ADaM reader, default the study's XPTs)."""
    shell = shell_of(study, output)
    ard = analyse(shell, load if load is not None else study.read_dataset)
    files = output_files(study, shell)
    atomic_write(study.inside(files["ard"]), ard.to_json())
    return render(study, shell, ard)


def read_ard(study: Study, output: str) -> Ard:
    path = study.tlf / "ard" / f"{output}.json"
    if not path.exists():
        raise InputError(f"no analysis results for {output} (run 'trialflow tlf {output}')", file=path)
    return Ard.from_json(path.read_bytes())


def index_files(study: Study) -> list[Path]:
    return [study.tlf / "index.html", study.tlf / "tlf.xlsx", study.tlf / "ard" / "ard.csv",
            study.tlf / "published.csv"]


def build_index(study: Study) -> list[Path]:
    """tlf/index.html (links every output), tlf/tlf.xlsx (a sheet per table/listing),
    tlf/ard/ard.csv (all ARD records) and tlf/published.csv (every published cell compared)."""
    shells = load_shells(study.specs)
    outputs, tables, frames, compared = [], [], [], []
    for sid, shell in shells.items():
        ard = read_ard(study, sid)
        results = compare_published(shell, ard)
        compared.extend(results)
        counts: dict[str, int] = {}
        for r in results:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        files = [(f"{sid}.html", "HTML"), *_links(shell), (f"ard/{sid}.json", "ARD")]
        outputs.append({"id": sid, "title": " — ".join(shell.title), "files": files,
                        "verdicts": sorted(counts.items())})
        if shell.type != "figure":
            tables.append((build_display(shell, ard), source_line(sid)))
        frames.append(ard.to_frame())
    paths = index_files(study)
    atomic_write(paths[0], index_html(study.specs.study.get("studyid", ""), outputs))
    atomic_write(paths[1], workbook_of(tables))
    ard_all = pd.concat(frames, ignore_index=True).astype(object) if frames else pd.DataFrame()
    write_csv(paths[2], ard_all)
    cols = ["output", "row", "label", "column", "target", "published", "printed", "compare", "produced", "status",
            "expected_irreproducible", "message"]
    pub = pd.DataFrame([{**r, "compare": " ".join(r["compare"])} for r in compared], columns=cols)
    write_csv(paths[3], pub)
    return paths
