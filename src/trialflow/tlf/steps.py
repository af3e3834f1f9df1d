"""TLF steps: one per shell (target = output id) plus the index (target 'index').

An output step reads the ADaM datasets its shell names and the shell itself; it depends on the
ADaM steps that write them ('adam:ADSL', ...). The index reads every ARD and shell.
"""

from __future__ import annotations

from functools import partial

from ..pipeline import Step
from ..study import Study
from .build import build_index, build_output, index_files, output_files
from .shell import load_shells


def _xpt(study: Study, name: str):
    try:
        return study.xpt_path(name)
    except KeyError:  # spec not loaded yet: the conventional place
        return study.adam / f"{name.lower()}.xpt"


def steps(study: Study) -> list[Step]:
    shells = load_shells(study.specs)
    out = []
    for sid, shell in shells.items():
        datasets = shell.datasets()
        out.append(Step(
            layer="tlf", target=sid, run=partial(build_output, study, sid),
            inputs=[*(_xpt(study, d) for d in datasets), shell.path],
            outputs=list(output_files(study, shell).values()),
            deps=[f"adam:{d}" for d in datasets],
        ))
    if shells:
        out.append(Step(
            layer="tlf", target="index", run=partial(build_index, study),
            inputs=[*(study.tlf / "ard" / f"{sid}.json" for sid in shells), *(s.path for s in shells.values())],
            outputs=index_files(study), deps=[f"tlf:{sid}" for sid in shells],
        ))
    return out
