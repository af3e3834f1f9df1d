"""The step registry: each step declares what it reads and writes.

Staleness: a step is stale when one of its outputs is missing, or when the content hash of its
inputs (files it reads, its spec files, and trialflow's own code) differs from the hash recorded
when it last ran (`.trialflow/state.json` in the study folder, not committed). `trialflow adam adrs`
therefore rebuilds ADRS and whatever stale step it depends on, and nothing more.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import io
import json
import os
import pickle
import select as io_select
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import click

from . import __version__
from .errors import InputError, SpecError
from .study import Study

LAYERS = ("sdtm", "adam", "tlf", "validate")
RACY_NS = 2_000_000_000


@dataclass
class Step:
    layer: str
    target: str
    run: Callable[[], object]
    inputs: list[Path] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    deps: list[str] = field(default_factory=list)  # names of steps whose outputs this one reads
    imports: tuple[str, ...] = ()  # slow-loading modules it uses: loaded before forking, shared

    @property
    def name(self) -> str:
        return f"{self.layer}:{self.target}"


def layer_steps(study: Study, layer: str) -> list[Step]:
    return importlib.import_module(f"trialflow.{layer}.steps").steps(study)


def all_steps(study: Study, upto: str) -> dict[str, Step]:
    steps: dict[str, Step] = {}
    for layer in LAYERS[: LAYERS.index(upto) + 1]:
        for step in layer_steps(study, layer):
            steps[step.name] = step
    return steps


@functools.cache
def _code_digest() -> bytes:
    """Hash of trialflow's own code and templates: a code change makes every step stale."""
    h = hashlib.sha256(__version__.encode())
    root = Path(__file__).parent
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".j2", ".yaml")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.digest()


class State:
    """`.trialflow/state.json`: per step, the digest of the inputs it last ran on; per input file,
    its SHA-256 with the size, mtime, ctime and inode it had then. A file whose size, times (ns) and
    inode are unchanged is not read again: a 10,000-subject study's SDTM is 700 MB, read by many
    steps. A file changed less than two seconds before it was hashed is not remembered (file-system
    clocks tick coarsely: a second change in the same tick would keep the same times)."""

    def __init__(self, study: Study):
        self.root = study.root
        self.path = study.root / ".trialflow" / "state.json"
        self.steps: dict[str, str] = {}
        self.files: dict[str, list] = {}
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text())
                self.steps, self.files = dict(data["steps"]), dict(data["files"])
            except (ValueError, UnicodeDecodeError, KeyError, TypeError):
                click.echo(f"warning: unreadable {self.path}; every step counts as stale", err=True)

    def file_hash(self, path: Path) -> str:
        try:
            st = path.stat()
        except FileNotFoundError:
            return "<missing>"
        key, stamp = str(path), [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        known = self.files.get(key)
        if known is not None and known[:4] == stamp:
            return known[4]
        now = time.time_ns()
        with path.open("rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        if now - max(st.st_mtime_ns, st.st_ctime_ns) > RACY_NS:  # else a change in the same clock tick could hide
            self.files[key] = [*stamp, digest]
        return digest

    def digest(self, step: Step) -> str:
        """The content hash of a step's inputs (with trialflow's own code)."""
        h = hashlib.sha256(_code_digest())
        for path in sorted({Path(p) for p in step.inputs}):
            h.update(str(path.relative_to(self.root) if path.is_relative_to(self.root) else path).encode())
            h.update(self.file_hash(path).encode())
        return h.hexdigest()

    def fresh(self, step: Step, digest: str) -> bool:
        return all(p.exists() for p in step.outputs) and self.steps.get(step.name) == digest

    def record(self, step: Step, digest: str) -> None:
        """Record the digest of the inputs the step ran on (taken before it ran)."""
        self.steps[step.name] = digest
        self._save()

    def forget(self, step: Step) -> None:
        """A step about to run is stale until it ends well (it may rewrite some outputs and fail)."""
        if self.steps.pop(step.name, None) is not None:
            self._save()

    def _save(self) -> None:
        from .io import write_text
        write_text(self.path, json.dumps({"steps": self.steps, "files": self.files}, indent=1, sort_keys=True))


def plan(steps: dict[str, Step], wanted: Iterable[str]) -> list[Step]:
    """The wanted steps and everything upstream of them, in dependency order."""
    order: list[Step] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for dep in steps[name].deps:
            visit(dep)
        order.append(steps[name])

    for name in wanted:
        visit(name)
    return order


def select(study: Study, layer: str, targets: tuple[str, ...]) -> tuple[dict[str, Step], list[str]]:
    steps = all_steps(study, layer)
    mine = {s.target.upper(): s.name for s in steps.values() if s.layer == layer}
    if not targets:
        return steps, list(mine.values())
    unknown = [t for t in targets if t.upper() not in mine]
    if unknown:
        raise InputError(f"unknown {layer} target {unknown[0]!r}; choose from {', '.join(sorted(mine))}",
                         value=unknown[0])
    return steps, [mine[t.upper()] for t in targets]


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass
class _Running:
    """A step running in a forked process: what it sends back accumulates in ``received``."""
    step: Step
    digest: str
    pipe: int
    started: float
    received: bytearray = field(default_factory=bytearray)


def execute(study: Study, layer: str, targets: tuple[str, ...] = (), force: bool = False,
            jobs: int = 1, timings: dict[str, float] | None = None) -> list[str]:
    """Run the wanted steps of a layer (and stale upstream steps); return the names that ran, in
    dependency order (``timings``, when given, receives each one's wall seconds). ``force``
    reruns the named targets even when they are fresh."""
    steps, wanted = select(study, layer, targets)
    return run_steps(study, steps, wanted, forced=set(wanted) if force else set(), jobs=jobs, timings=timings,
                     label=layer)


def run_all(study: Study, jobs: int = 1, timings: dict[str, float] | None = None) -> list[str]:
    """`trialflow run`: every step of every layer as one plan, so a step starts as soon as the steps
    it reads from are done, whatever their layer (ADSL while the last SDTM domains are mapped, a
    table while other ADaM datasets are derived); the validate steps always run."""
    steps = all_steps(study, LAYERS[-1])
    forced = {name for name, s in steps.items() if s.layer == "validate"}
    return run_steps(study, steps, list(steps), forced=forced, jobs=jobs, timings=timings, label="run")


def run_steps(study: Study, steps: dict[str, Step], wanted: list[str], forced: set[str], jobs: int = 1,
              timings: dict[str, float] | None = None, label: str = "") -> list[str]:
    """Run the wanted steps and their stale upstream steps; return the names that ran, in
    dependency order.

    Freshness is decided when a step's turn comes, after its upstream steps ran; a step in
    ``forced`` runs even when fresh. Of the steps whose upstream steps are done, the one with the
    most input bytes goes first. With ``jobs`` > 1 up to that many run at once, each in a forked
    process (steps write disjoint files; the state file is written here only). After a failure no
    new step starts; the steps running finish, then the first failure is raised. On a terminal a
    progress bar counts the steps done."""
    order = plan(steps, wanted)
    state = State(study)
    timings = {} if timings is None else timings
    ran: set[str] = set()
    pending = list(order)  # in dependency order
    done: set[str] = set()
    running: dict[int, _Running] = {}  # by process id
    failure: BaseException | None = None
    parallel = jobs > 1 and hasattr(os, "fork")

    def finish(step: Step, digest: str) -> None:
        state.record(step, digest)
        ran.add(step.name)
        done.add(step.name)
        bar.update(1, step.name)

    with click.progressbar(length=len(order), label=label, file=sys.stderr, hidden=not sys.stderr.isatty(),
                           item_show_func=lambda s: s or "") as bar, _terminate_on_sigterm(parallel):
        try:
            while pending or running:
                ready = max((s for s in pending if all(d in done for d in s.deps if d in steps)), default=None,
                            key=_input_bytes)  # the most to read first (max keeps the first of equals)
                if failure is None and ready is not None and len(running) < max(jobs, 1):
                    pending.remove(ready)
                    digest = state.digest(ready)
                    if state.fresh(ready, digest) and ready.name not in forced:
                        done.add(ready.name)
                        bar.update(1, ready.name)
                        continue
                    state.forget(ready)  # until it ends well: half-rewritten outputs are never fresh
                    if parallel:
                        pid, pipe = _fork(ready)
                        running[pid] = _Running(ready, digest, pipe, time.perf_counter())
                    else:
                        started = time.perf_counter()
                        try:
                            ready.run()
                        finally:
                            timings[ready.name] = time.perf_counter() - started
                        finish(ready, digest)
                    continue
                if not running:
                    break
                job, error = _wait_one(running)
                timings[job.step.name] = time.perf_counter() - job.started
                if error is None:
                    finish(job.step, job.digest)
                elif failure is None:
                    failure = error
                else:  # reported after the first one, which ends the run
                    click.echo(f"error: {job.step.name}: {error}", err=True)
        except BaseException:
            _stop(running)  # Ctrl-C, SIGTERM or a failure here: no step is left running on its own
            raise
    if failure is not None:
        raise failure
    if pending:
        raise SpecError(f"steps whose upstream steps can never run (a dependency cycle): "
                        f"{', '.join(s.name for s in pending)}")
    return [s.name for s in order if s.name in ran]


def _input_bytes(step: Step) -> int:
    """What a step reads, in bytes: the scheduler's estimate of its work (big steps start first,
    so that the longest ones do not end up alone at the end)."""
    total = 0
    for path in step.inputs:
        try:
            total += os.stat(path).st_size
        except OSError:
            pass
    return total


def _fork(step: Step) -> tuple[int, int]:
    """Run a step in a forked process. What it prints and how it ended come back through a pipe,
    pickled; the parent prints each step's output whole, so concurrent steps never interleave."""
    for module in step.imports:  # imported once, here, rather than in every forked step
        importlib.import_module(module)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, report, exit without running the parent's clean-up
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.close(read)
        out, err = io.StringIO(), io.StringIO()
        sys.stdout, sys.stderr = out, err
        error = None
        try:
            step.run()
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            error = _portable(exc)
        try:
            with os.fdopen(write, "wb") as pipe:
                pipe.write(pickle.dumps((out.getvalue(), err.getvalue(), error)))
        finally:
            os._exit(0)
    os.close(write)
    return pid, read


def _portable(exc: BaseException) -> tuple[bytes, str]:
    """An exception, pickled, with its traceback text. Pickle keeps what an exception's own
    reduction keeps (TrialflowError's file, row, field, value; OSError's filename); one that does
    not survive a round trip travels as a RuntimeError carrying its type and message."""
    tb = "".join(traceback.format_exception(exc))
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)
    except Exception:  # noqa: BLE001 - an exception that does not pickle
        data = pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
    return data, tb


def _wait_one(running: dict[int, _Running]) -> tuple[_Running, BaseException | None]:
    """Read the children's pipes until one closes; reap that child, print its output and return it
    with its failure (None when it succeeded)."""
    while True:
        by_pipe = {job.pipe: pid for pid, job in running.items()}
        for pipe in io_select.select(list(by_pipe), [], [])[0]:
            pid = by_pipe[pipe]
            job = running[pid]
            chunk = os.read(pipe, 1 << 16)
            if chunk:
                job.received.extend(chunk)
                continue
            os.close(pipe)
            status = os.waitpid(pid, 0)[1]
            del running[pid]
            if not job.received:  # killed, or exited before reporting
                return job, RuntimeError(f"step {job.step.name} ended without a result "
                                         f"(exit status {os.waitstatus_to_exitcode(status)})")
            try:
                out, err, error = pickle.loads(bytes(job.received))
            except Exception:  # noqa: BLE001 - cut short: the child died while reporting
                return job, RuntimeError(f"step {job.step.name} ended with an unreadable result "
                                         f"(exit status {os.waitstatus_to_exitcode(status)})")
            sys.stdout.write(out)
            sys.stderr.write(err)
            if error is None:
                return job, None
            data, tb = error
            exc = pickle.loads(data)
            exc.child_traceback = tb
            return job, exc


def _stop(running: dict[int, _Running]) -> None:
    """End every running step (SIGTERM), reap it and close its pipe."""
    for pid in running:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    for pid, job in running.items():
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        with contextlib.suppress(OSError):
            os.close(job.pipe)
    running.clear()


@contextlib.contextmanager
def _terminate_on_sigterm(active: bool):
    """While steps run in child processes, SIGTERM (a CI time-out, `kill`) raises in the parent as
    Ctrl-C does, so the children are stopped too rather than left running on their own."""
    if not active or threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
