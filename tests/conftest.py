"""Shared fixtures: the repository root and a minimal spec folder for unit tests."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Steps run in this process (fault-injection tests patch functions the step calls); the tests that
# exercise forked steps pass --jobs / jobs= explicitly.
os.environ["TRIALFLOW_JOBS"] = "1"


@pytest.fixture
def mini_specs(tmp_path: Path) -> Path:
    """A study folder with study.yaml, the real codelists and one small dataset spec (XX)."""
    specs = tmp_path / "specs"
    (specs / "sdtm").mkdir(parents=True)
    (specs / "adam").mkdir()
    shutil.copy(ROOT / "specs" / "codelists.yaml", specs / "codelists.yaml")
    (specs / "study.yaml").write_text("studyid: TEST01\ndata_cutoff: 2019-10-31\n")
    (specs / "sdtm" / "XX.yaml").write_text(textwrap.dedent("""\
        dataset: XX
        label: Example Domain
        class: EVENTS
        structure: One record per subject per event
        keys: [USUBJID, XXSEQ]
        variables:
          - {name: USUBJID, label: Unique Subject Identifier, type: Char, length: 20, core: Req, origin: Derived}
          - {name: XXSEQ, label: Sequence Number, type: Num, core: Req, origin: Derived}
          - {name: SEX, label: Sex, type: Char, length: 1, codelist: SEX, core: Exp, origin: Collected}
          - {name: XXTERM, label: Reported Term, type: Char, length: 12, core: Perm, origin: Collected}
          - {name: XXVAL, label: Value, type: Num, core: Perm, origin: Collected}
          - {name: XXDT, label: Event Date, type: Num, format: DATE9., core: Perm, origin: Derived}
        """))
    return tmp_path
