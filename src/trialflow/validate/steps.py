"""`trialflow validate`: datasets against specs and conformance rules, TLFs against their shells and
the publication; writes tlf/validation.json, tlf/validation.html and define.xml; prints one screen.

Three steps: DEFINE (define.xml from the specs), DATASETS (every XPT against its pandera schema
and the conformance rules: tlf/validation_datasets.json; it needs no TLF, so in `trialflow run`
it runs beside the TLF steps) and REPORT (the TLF checks, then the whole report).

Exit code 1 (ValidationFailed) when a dataset rule of severity error fails or a published value
that must be reproduced differs.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import click
import jinja2

from ..errors import InputError, ValidationFailed
from ..io import write_text
from ..metadata import validate as schema_validate
from ..metadata.define import write_define
from ..pipeline import Step, layer_steps
from ..study import Study
from ..xpt import read_xpt
from .rules import ERROR, Finding, Package, check_package
from .tlfcheck import tlf_checks


def _datasets(study: Study) -> Package:
    data, meta = {}, {}
    for spec in [*study.specs.sdtm.values(), *study.specs.adam.values()]:
        path = study.xpt_path(spec.name)
        if path.exists():
            data[spec.name], meta[spec.name] = read_xpt(path)
    return Package(study.specs, data, meta)


def dataset_findings(study: Study) -> list[Finding]:
    pkg = _datasets(study)
    out = []
    for name, df in sorted(pkg.data.items()):
        try:
            schema_validate(df, pkg.spec(name), study.specs)
        except InputError as exc:
            out.append(Finding("TF0000", ERROR, name, str(exc.field or ""), exc.row, "", str(exc.value or ""),
                               f"pandera schema: {exc.message}"))
    missing = [s.name for s in [*study.specs.sdtm.values(), *study.specs.adam.values()] if s.name not in pkg.data]
    out += [Finding("TF0012", ERROR, name, "", None, "", "", "dataset in specs but no XPT written") for name in missing]
    return out + check_package(pkg)


def findings_path(study: Study):
    return study.tlf / "validation_datasets.json"


def write_dataset_findings(study: Study) -> None:
    """The dataset half of the report (schemas and conformance rules), written on its own so that
    it runs beside the TLF steps, which it does not need."""
    findings = [{"kind": "dataset", **asdict(f)} for f in dataset_findings(study)]
    write_text(findings_path(study), json.dumps(findings, indent=1, sort_keys=True, default=str) + "\n")


def run_validation(study: Study) -> dict:
    findings = json.loads(findings_path(study).read_text())  # step DATASETS, which REPORT follows
    cells = tlf_checks(study)
    report = {"study": study.specs.study.get("studyid"), "datasets": findings, "tlf": cells,
              "summary": summarise(findings, cells)}
    study.tlf.mkdir(exist_ok=True)
    write_text(study.tlf / "validation.json", json.dumps(report, indent=1, sort_keys=True, default=str) + "\n")
    env = jinja2.Environment(loader=jinja2.PackageLoader("trialflow.validate", "templates"), autoescape=True)
    write_text(study.tlf / "validation.html", env.get_template("validation.html.j2").render(report=report))
    click.echo(console_summary(report))
    s = report["summary"]
    if s["dataset_errors"] or s["tlf_differs"]:
        raise ValidationFailed(f"validation failed: {s['dataset_errors']} dataset error(s), "
                               f"{s['tlf_differs']} published value(s) differ (see tlf/validation.html)")
    return report


def summarise(findings: list[dict], cells: list[dict]) -> dict:
    status = [c["status"] for c in cells]
    return {
        "datasets_checked": len({f["dataset"] for f in findings}) if findings else None,
        "dataset_errors": sum(f["severity"] == ERROR for f in findings),
        "dataset_warnings": sum(f["severity"] != ERROR for f in findings),
        "tlf_cells": len(cells),
        "tlf_reproduced": status.count("reproduced"),
        "tlf_differs": status.count("differs"),
        "tlf_irreproducible": status.count("irreproducible"),
    }


def console_summary(report: dict) -> str:
    s = report["summary"]
    lines = [f"datasets: {s['dataset_errors']} error(s), {s['dataset_warnings']} warning(s)",
             f"published values: {s['tlf_cells']} compared, {s['tlf_reproduced']} reproduced, "
             f"{s['tlf_differs']} differ, {s['tlf_irreproducible']} irreproducible in the publication"]
    for f in [f for f in report["datasets"] if f["severity"] == ERROR][:10]:
        lines.append(f"  ERROR {f['rule']} {f['dataset']}.{f['variable']} row {f['row']} {f['usubjid']} "
                     f"{f['value']!r}: {f['message']}")
    for c in [c for c in report["tlf"] if c["status"] != "reproduced"][:10]:
        lines.append(f"  {c['status'].upper()} {c['output']} [{c['row']}] {c['message']}")
    return "\n".join(lines)


def steps(study: Study) -> list[Step]:
    upstream = [s for layer in ("sdtm", "adam", "tlf") for s in layer_steps(study, layer)]
    specs_dir = study.root / "specs"
    spec_files = sorted(specs_dir.rglob("*.yaml"))

    def define() -> None:
        for standard, folder in (("SDTM", study.sdtm), ("ADaM", study.adam)):
            write_define(study.specs, standard, folder / "define.xml", study.cutoff)

    datasets = [s for s in upstream if s.layer != "tlf"]
    tlfs = [s for s in upstream if s.layer == "tlf"]
    return [
        Step("validate", "DEFINE", define, inputs=spec_files,
             outputs=[study.sdtm / "define.xml", study.adam / "define.xml"]),
        Step("validate", "DATASETS", lambda: write_dataset_findings(study),
             inputs=[*(p for s in datasets for p in s.outputs), *spec_files], outputs=[findings_path(study)],
             deps=[s.name for s in datasets]),
        Step("validate", "REPORT", lambda: run_validation(study),
             inputs=[*(p for s in tlfs for p in s.outputs), findings_path(study), *spec_files],
             outputs=[study.tlf / "validation.json", study.tlf / "validation.html"],
             deps=[*(s.name for s in tlfs), "validate:DATASETS"]),
    ]

