"""ADaM steps: what each step reads and depends on, and the end-to-end build.

The end-to-end test copies specs/ and the committed sdtm/ (no raw/: ADaM reads SDTM only) into a
temporary study, marks the SDTM steps up to date, runs `trialflow adam`, checks every dataset
against its schema and rules, and compares the files with the committed adam/*.xpt byte for byte.
"""

from __future__ import annotations

import shutil


from trialflow.adam import MODULES
from trialflow.adam import steps as adam_steps
from trialflow.adam.common import Params, check_rules
from trialflow.cli import main
from trialflow.metadata import validate
from trialflow.pipeline import State, all_steps, plan
from trialflow.study import Study
from trialflow.xpt import read_xpt

from ..conftest import ROOT

NAMES = ["ADSL", "ADRS", "ADTTE", "ADAE", "ADEX"]


def test_one_step_per_dataset_with_inputs_and_deps():
    study = Study(ROOT)
    steps = {s.target: s for s in adam_steps.steps(study)}
    assert list(steps) == NAMES
    adsl = steps["ADSL"]
    assert adsl.layer == "adam" and adsl.outputs == [study.adam / "adsl.xpt"]
    assert "sdtm:CM" in adsl.deps and "sdtm:SUPPCM" not in adsl.deps  # SUPPCM comes from CM's step
    assert study.sdtm / "suppcm.xpt" in adsl.inputs and study.sdtm / "dm.xpt" in adsl.inputs
    assert ROOT / "specs" / "adam" / "ADSL.yaml" in adsl.inputs
    assert ROOT / "specs" / "study.yaml" in adsl.inputs
    assert not any("raw" in p.parts for s in steps.values() for p in s.inputs)
    assert steps["ADRS"].deps == ["sdtm:RS", "sdtm:CM", "adam:ADSL"]
    assert steps["ADTTE"].deps == ["adam:ADSL", "adam:ADRS"]
    assert {d for s in steps.values() for d in s.deps} <= set(all_steps(study, "adam"))


def test_modules_are_registered_in_dependency_order():
    assert [m.NAME for m in MODULES] == NAMES
    built = set()
    for m in MODULES:
        assert set(m.ADAM) <= built
        built.add(m.NAME)


def test_trialflow_adam_end_to_end(tmp_path):
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    shutil.copytree(ROOT / "sdtm", tmp_path / "sdtm")
    study = Study(tmp_path)
    steps = all_steps(study, "adam")
    state = State(study)
    for step in plan(steps, [n for n in steps if n.startswith("adam:")]):
        if step.layer == "sdtm":
            state.record(step, state.digest(step))  # the committed SDTM is the input; no raw/
    assert main(["--study-dir", str(tmp_path), "adam"]) == 0
    specs, params = study.specs, Params.of(study.specs)
    for module in MODULES:
        path = study.xpt_path(module.NAME)
        df, meta = read_xpt(path)
        assert meta.name == module.NAME and len(df) > 0
        validate(df, specs.dataset(module.NAME), specs)
        check_rules(df, module.NAME, module.RULES)
        committed = ROOT / "adam" / path.name
        assert committed.exists(), f"adam/{path.name} is not committed"
        assert path.read_bytes() == committed.read_bytes(), f"adam/{path.name} differs from a fresh build"
    adsl = read_xpt(study.xpt_path("ADSL"))[0]
    assert adsl["USUBJID"].is_unique and params.get("studyid") == adsl["STUDYID"].iloc[0]
