"""Determinism and atomicity.

* The whole pipeline (`trialflow run`), run on two copies of the committed study in two different
  folders, writes byte-identical files under sdtm/, adam/ and tlf/; a rerun in place rebuilds
  nothing and changes no byte.
* A write interrupted midway (the XPT writer or the final rename failing, or Ctrl-C) leaves the
  previous file intact and no temporary file; the failed step is not recorded as up to date, so
  the next run rebuilds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
from pathlib import Path

import pyreadstat

import trialflow.xpt
import pytest

from trialflow.cli import main

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("sdtm", "adam", "tlf", "validate")
OUTPUT_DIRS = ("sdtm", "adam", "tlf")


def _main(root: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--study-dir", str(root), *args])
    return code, out.getvalue().replace(str(root), "<study>"), err.getvalue().replace(str(root), "<study>")


def fresh_copy(dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copytree(ROOT / "specs", dest / "specs")
    shutil.copytree(ROOT / "raw", dest / "raw")
    return dest


def run_pipeline(root: Path) -> tuple[int, str, str, list[str]]:
    """`trialflow run`; when a layer is not implemented yet, build layer by layer as far as
    possible. Returns exit code, stdout, stderr and the layers not implemented."""
    code, out, err = _main(root, "run")
    if "not implemented yet" not in err:
        return code, out, err, []
    missing: list[str] = []
    outs, errs = [], []
    for layer in LAYERS:
        if missing:  # a later layer reads the missing one's outputs
            missing.append(layer)
            continue
        code, out, err = _main(root, layer)
        if "not implemented yet" in err:
            missing.append(layer)
            code = 0
            continue
        outs.append(out)
        errs.append(err)
        if code != 0:
            break
    return code, "".join(outs), "".join(errs), missing


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file under sdtm/, adam/, tlf/, by path relative to the study."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for d in OUTPUT_DIRS if (root / d).exists()
            for p in sorted((root / d).rglob("*")) if p.is_file()}


def leftovers(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob("*.tmp")]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The pipeline run on two copies of the committed study, in folders of different depth."""
    a = fresh_copy(tmp_path_factory.mktemp("run_a") / "study")
    b = fresh_copy(tmp_path_factory.mktemp("run_b") / "deeper" / "copy of study")
    return {"a": (a, *run_pipeline(a)), "b": (b, *run_pipeline(b))}


# --------------------------------------------------------------------------------------------
# determinism
# --------------------------------------------------------------------------------------------
def test_two_runs_are_byte_identical(runs):
    (a, code_a, out_a, err_a, missing_a), (b, code_b, out_b, err_b, missing_b) = runs["a"], runs["b"]
    assert "Traceback" not in err_a + err_b
    assert code_a == 0, err_a
    assert (code_a, out_a, err_a, missing_a) == (code_b, out_b, err_b, missing_b)
    snap_a, snap_b = snapshot(a), snapshot(b)
    assert snap_a, "the pipeline wrote nothing"
    assert sorted(snap_a) == sorted(snap_b)
    differ = [p for p in snap_a if snap_a[p] != snap_b[p]]
    assert differ == [], f"outputs differ between two runs: {differ}"
    assert leftovers(a) == [] and leftovers(b) == []
    built = {d for d in OUTPUT_DIRS if any(p.startswith(d + os.sep) for p in snap_a)}
    assert built == set(OUTPUT_DIRS) and missing_a == []


def test_rerun_in_place_changes_nothing(runs, tmp_path):
    a = runs["a"][0]
    root = tmp_path / "study"
    shutil.copytree(a, root, symlinks=True)
    before = snapshot(root)
    code, out, err, missing = run_pipeline(root)
    assert (code, err) == (runs["a"][1], runs["a"][3])
    for layer in ("sdtm", "adam", "tlf"):
        if layer not in missing:
            assert f"{layer}: 0 step(s) ran (all up to date)" in out, out
    assert snapshot(root) == before
    assert leftovers(root) == []


# --------------------------------------------------------------------------------------------
# atomicity: an interrupted write
# --------------------------------------------------------------------------------------------
@pytest.fixture
def study(runs, tmp_path) -> Path:
    """A copy of run A whose ae.csv has changed (AE is stale and its new XPT would differ)."""
    root = tmp_path / "study"
    shutil.copytree(runs["a"][0], root, symlinks=True)
    path = root / "raw" / "ae.csv"
    data = path.read_bytes()
    assert data.count(b",Fatigue,Fatigue,Fatigue,") >= 1
    path.write_bytes(data.replace(b",Fatigue,Fatigue,Fatigue,", b",Tiredness,Fatigue,Fatigue,", 1))
    return root


def _fail_replace_of(monkeypatch, name: str, exc: BaseException) -> list[str]:
    """os.replace raises exc when it would put a file named `name` in place (once)."""
    real = os.replace
    hits: list[str] = []

    def replace(src, dst, *args, **kwargs):
        if Path(dst).name == name and not hits:
            hits.append(str(dst))
            raise exc
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    return hits


def _fail_xport_midway(monkeypatch, exc: BaseException) -> list[str]:
    """The XPT encoder (pyreadstat or the numpy fast path) writes part of the file, then raises exc."""
    hits: list[str] = []

    def write_xport(df, path, *args, **kwargs):
        hits.append(str(path))
        with open(path, "wb") as fh:
            fh.write(b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!" + b"\0" * 100)
        raise exc

    monkeypatch.setattr(pyreadstat, "write_xport", write_xport)
    monkeypatch.setattr(trialflow.xpt, "_write_fast", lambda df, spec, texts, path, stamp: write_xport(df, path))
    return hits


DISK_FULL = OSError(28, "No space left on device")


@pytest.mark.parametrize("how, target", [
    ("xport", "ae.xpt"),            # the XPT writer dies half way through the temporary file
    ("replace", "ae.xpt"),          # the rename of the finished XPT fails
    ("replace", "ae.csv"),          # the lineage CSV (io.atomic_write) rename fails, after ae.xpt
])
def test_interrupted_write_keeps_previous_file(study, monkeypatch, how, target):
    before = snapshot(study)
    victim = "sdtm/ae.xpt" if target == "ae.xpt" else "sdtm/lineage/ae.csv"
    hits = (_fail_xport_midway(monkeypatch, DISK_FULL) if how == "xport"
            else _fail_replace_of(monkeypatch, target, DISK_FULL))
    code, out, err = _main(study, "sdtm", "AE")
    assert hits, "the fault was never triggered"
    assert code == 2 and len(err.strip().splitlines()) == 1 and "No space left on device" in err
    assert "Traceback" not in err
    after = snapshot(study)
    assert after[victim] == before[victim], "the previous file was damaged"
    if target == "ae.xpt":
        assert after == before
    assert leftovers(study) == []
    monkeypatch.undo()
    code, out, err = _main(study, "sdtm", "AE")  # the failed step was not recorded as done
    assert (code, err) == (0, "")
    assert "sdtm:AE" in out
    assert snapshot(study)["sdtm/ae.xpt"] != before["sdtm/ae.xpt"]


def test_ctrl_c_during_write_keeps_previous_file(study, monkeypatch):
    before = snapshot(study)
    _fail_xport_midway(monkeypatch, KeyboardInterrupt())
    code, out, err = _main(study, "sdtm", "AE")
    assert code == 2 and err.strip() == "aborted"
    assert snapshot(study) == before
    assert leftovers(study) == []


def test_interrupted_state_write_leaves_no_temp_file(study, monkeypatch):
    _fail_replace_of(monkeypatch, "state.json", DISK_FULL)
    code, out, err = _main(study, "sdtm", "AE")
    assert code == 2 and "No space left on device" in err
    assert leftovers(study) == []
