"""TLF steps: one per shell (target = output id) plus the index (target 'index').

An output step reads the ADaM datasets its shell names and the shell itself; it depends on the
ADaM steps that write them ('adam:ADSL', ...). The index reads every ARD and shell.
"""

from __future__ import annotations

from functools import partial

from ..errors import SpecError
from ..pipeline import Step
from ..study import Study
from .build import build_index, build_output, index_files, output_files
from .shell import load_shells

# what drawing a figure loads slowly (matplotlib): loaded once by the parent of forked steps
FIGURES = ("trialflow.tlf.figures",)


def _adam_xpt(study: Study, shell, name: str):
    """The XPT of an ADaM dataset a shell reads; TLFs read ADaM only."""
    if name.upper() not in study.specs.adam:
        raise SpecError("TLFs read ADaM only: not an ADaM dataset of specs/adam/", file=shell.path,
                        field="dataset", value=name)
    return study.xpt_path(name)


def steps(study: Study) -> list[Step]:
    shells = load_shells(study.specs)
    out = []
    for sid, shell in shells.items():
        datasets = shell.datasets()
        out.append(Step(
            layer="tlf", target=sid, run=partial(build_output, study, sid),
            inputs=[*(_adam_xpt(study, shell, d) for d in datasets), shell.path],
            outputs=list(output_files(study, shell).values()),
            deps=[f"adam:{d}" for d in datasets], imports=FIGURES if shell.type == "figure" else (),
        ))
    if shells:
        out.append(Step(
            layer="tlf", target="index", run=partial(build_index, study),
            inputs=[*(study.tlf / "ard" / f"{sid}.json" for sid in shells), *(s.path for s in shells.values())],
            outputs=index_files(study), deps=[f"tlf:{sid}" for sid in shells],
        ))
    return out
