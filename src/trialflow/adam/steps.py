"""ADaM pipeline steps: one per dataset, writing adam/<name>.xpt.

A step's inputs are the SDTM/ADaM files it reads, its spec, study.yaml, the codelists and the
ADaM code it runs (so a changed derivation makes the dataset stale); its dependencies are the
SDTM steps writing those files (a SUPP-- dataset comes from its parent domain's step) and the
ADaM steps it reads.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from ..pipeline import Step
from ..study import Study
from . import MODULES, common, derive, events

LIBRARY = (common, derive, events)


def _sdtm_step(study: Study, name: str) -> str:
    spec = study.specs.sdtm.get(name)
    parent = spec.options.get("parent") if spec is not None else None
    return f"sdtm:{parent or name}"


def steps(study: Study) -> list[Step]:
    specs_dir = study.root / "specs"
    shared = [specs_dir / "study.yaml", specs_dir / "codelists.yaml",
              *(Path(m.__file__) for m in LIBRARY)]
    out = []
    for module in MODULES:
        reads = [study.xpt_path(n) for n in (*module.SDTM, *module.ADAM)]
        deps = [_sdtm_step(study, n) for n in module.SDTM] + [f"adam:{n}" for n in module.ADAM]
        out.append(Step(layer="adam", target=module.NAME, run=partial(common.run, study, module),
                        inputs=[*reads, study.specs.dataset(module.NAME).path, *shared,
                                Path(module.__file__)],
                        outputs=[study.xpt_path(module.NAME)], deps=list(dict.fromkeys(deps))))
    return out
