"""Step registry: dependency order and content-hash staleness."""

import hashlib
import os
import signal
import time

import pytest

from trialflow import pipeline
from trialflow.errors import InputError
from trialflow.pipeline import Step, execute
from trialflow.study import Study


@pytest.fixture
def fake_layers(tmp_path, monkeypatch):
    """raw/a.csv -> sdtm:A -> adam:B ; sdtm:C independent. Each run appends its name to `log`."""
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.csv").write_text("x\n1\n")
    log = []

    def writer(name, src, dst):
        def run():
            log.append(name)
            dst.parent.mkdir(exist_ok=True)
            dst.write_text(src.read_text() + name)
        return run

    a_out, b_out, c_out = tmp_path / "sdtm" / "a.xpt", tmp_path / "adam" / "b.xpt", tmp_path / "sdtm" / "c.xpt"
    layers = {
        "sdtm": [Step("sdtm", "A", writer("A", tmp_path / "raw" / "a.csv", a_out), [tmp_path / "raw" / "a.csv"], [a_out]),
                 Step("sdtm", "C", writer("C", tmp_path / "raw" / "a.csv", c_out), [tmp_path / "raw" / "a.csv"], [c_out])],
        "adam": [Step("adam", "B", writer("B", a_out, b_out), [a_out], [b_out], deps=["sdtm:A"])],
    }
    monkeypatch.setattr(pipeline, "layer_steps", lambda study, layer: layers.get(layer, []))
    return Study(tmp_path), log


def test_builds_upstream_then_skips_fresh(fake_layers):
    study, log = fake_layers
    assert execute(study, "adam", ("b",)) == ["sdtm:A", "adam:B"]
    assert log == ["A", "B"]
    assert execute(study, "adam", ("B",)) == []  # nothing stale
    assert execute(study, "adam", ("B",), force=True) == ["adam:B"]  # force rebuilds only the named target


def test_changed_input_makes_downstream_stale(fake_layers):
    study, log = fake_layers
    execute(study, "adam")
    execute(study, "sdtm")
    (study.raw / "a.csv").write_text("x\n2\n")
    assert execute(study, "adam", ("B",)) == ["sdtm:A", "adam:B"]  # C is not upstream of B: left alone
    assert execute(study, "sdtm") == ["sdtm:C"]


def test_missing_output_is_stale(fake_layers):
    study, _ = fake_layers
    execute(study, "sdtm")
    (study.sdtm / "c.xpt").unlink()
    assert execute(study, "sdtm") == ["sdtm:C"]


def test_unknown_target_is_a_clear_error(fake_layers):
    study, _ = fake_layers
    with pytest.raises(InputError, match="unknown sdtm target 'zz'; choose from A, C"):
        execute(study, "sdtm", ("zz",))


def test_output_path_cannot_leave_study(tmp_path):
    study = Study(tmp_path)
    assert study.inside(tmp_path / "sdtm" / "x.xpt") == (tmp_path / "sdtm" / "x.xpt").resolve()
    with pytest.raises(InputError, match="leaves the study folder"):
        study.inside(tmp_path / ".." / "elsewhere.xpt")


def test_corrupt_state_file_reruns_everything(fake_layers, capsys):
    study, log = fake_layers
    execute(study, "sdtm")
    (study.root / ".trialflow" / "state.json").write_text("{not json")
    assert execute(study, "sdtm") == ["sdtm:A", "sdtm:C"]
    assert "unreadable" in capsys.readouterr().err


# --------------------------------------------------------------------------- steps in forked processes
def test_forked_steps_respect_dependencies(fake_layers):
    study, log = fake_layers
    assert execute(study, "adam", jobs=2) == ["sdtm:A", "adam:B"]
    assert log == []  # the steps ran in child processes, not here
    assert (study.adam / "b.xpt").read_text() == "x\n1\nAB"  # B ran after A and read A's output
    assert execute(study, "sdtm", jobs=2) == ["sdtm:C"]  # state recorded by the parent: A is fresh
    assert execute(study, "adam", jobs=2) == []


def test_forked_failure_keeps_its_fields_and_the_other_steps_finish(tmp_path, monkeypatch, capsys):
    def fails():
        print("reading bad.csv")
        raise InputError("AESTDTC is not a date", file="raw/ae.csv", row=7, field="AESTDTC", value="2019-13-45")

    ok_out = tmp_path / "sdtm" / "ok.xpt"

    def ok():
        ok_out.parent.mkdir(exist_ok=True)
        ok_out.write_text("ok")

    layers = {"sdtm": [Step("sdtm", "BAD", fails, [], [tmp_path / "sdtm" / "bad.xpt"]),
                       Step("sdtm", "OK", ok, [], [ok_out])]}
    monkeypatch.setattr(pipeline, "layer_steps", lambda study, layer: layers.get(layer, []))
    study = Study(tmp_path)
    with pytest.raises(InputError) as err:
        execute(study, "sdtm", jobs=2)
    assert (err.value.file, err.value.row, err.value.field, err.value.value) == ("raw/ae.csv", 7, "AESTDTC",
                                                                                  "2019-13-45")
    assert str(err.value) == ("AESTDTC is not a date (file raw/ae.csv, row 7, field AESTDTC, value '2019-13-45')")
    assert "line" in err.value.child_traceback and "fails" in err.value.child_traceback
    assert capsys.readouterr().out == "reading bad.csv\n"  # the child's output, printed by the parent
    assert ok_out.read_text() == "ok"  # the independent step ran to the end and was recorded
    layers["sdtm"][0] = Step("sdtm", "BAD", lambda: None, [], [])
    assert execute(study, "sdtm", jobs=2) == ["sdtm:BAD"]


def test_unchanged_inputs_are_not_read_again(fake_layers, monkeypatch):
    study, _ = fake_layers
    raw = study.raw / "a.csv"
    monkeypatch.setattr(pipeline, "RACY_NS", 0)  # trust a file's stamp however recent
    execute(study, "sdtm")
    reads = []
    real = hashlib.file_digest
    monkeypatch.setattr(hashlib, "file_digest", lambda fh, alg: reads.append(fh.name) or real(fh, alg))
    assert execute(study, "sdtm") == []
    assert reads == []  # raw/a.csv was hashed once; its size, times and inode are remembered
    monkeypatch.setattr(pipeline, "RACY_NS", 2_000_000_000)
    raw.write_text("x\n2\n")  # same size, changed just now: not trusted to the clock, hashed at each use
    assert execute(study, "sdtm") == ["sdtm:A", "sdtm:C"]
    assert reads == [str(raw), str(raw)]


def test_failed_step_is_stale_until_it_succeeds(fake_layers, monkeypatch):
    study, log = fake_layers
    execute(study, "sdtm")
    layers = pipeline.layer_steps(study, "sdtm")
    good = layers[0].run

    def half_done():
        (study.sdtm / "a.xpt").write_text("partly rewritten")
        raise InputError("disk full")

    layers[0].run = half_done
    with pytest.raises(InputError):
        execute(study, "sdtm", ("A",), force=True)
    layers[0].run = good
    assert execute(study, "sdtm") == ["sdtm:A"]  # same inputs, but its last run did not end well


def test_run_all_is_one_plan_across_layers(fake_layers):
    study, _ = fake_layers
    assert pipeline.run_all(study, jobs=2) == ["sdtm:A", "sdtm:C", "adam:B"]
    assert (study.adam / "b.xpt").read_text() == "x\n1\nAB"
    assert pipeline.run_all(study, jobs=2) == []  # no validate step here: nothing forced, all fresh


def test_sigterm_stops_the_forked_steps(tmp_path, monkeypatch):
    """A CI time-out or `kill` on trialflow ends the steps it forked too: none is left running."""
    marker = tmp_path / "child.pid"

    def slow():
        marker.write_text(str(os.getpid()))
        os.kill(os.getppid(), signal.SIGTERM)
        time.sleep(60)

    layers = {"sdtm": [Step("sdtm", "SLOW", slow, [], [tmp_path / "never"])]}
    monkeypatch.setattr(pipeline, "layer_steps", lambda study, layer: layers.get(layer, []))
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        execute(Study(tmp_path), "sdtm", jobs=2)
    assert time.monotonic() - started < 30
    with pytest.raises(ProcessLookupError):  # stopped and reaped
        os.kill(int(marker.read_text()), 0)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is put back
