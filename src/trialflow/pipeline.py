"""The step registry: each step declares what it reads and writes.

Staleness: a step is stale when one of its outputs is missing, or when the content hash of its
inputs (files it reads, its spec files, and trialflow's own code) differs from the hash recorded
when it last ran (`.trialflow/state.json` in the study folder, not committed). `trialflow adam adrs`
therefore rebuilds ADRS and whatever stale step it depends on, and nothing more.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import io
import json
import os
import pickle
import select as io_select
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import click

from . import __version__
from .errors import InputError
from .study import Study

LAYERS = ("sdtm", "adam", "tlf", "validate")


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


def _digest(study: Study, step: Step) -> str:
    h = hashlib.sha256(_code_digest())
    for path in sorted({Path(p) for p in step.inputs}):
        h.update(str(path.relative_to(study.root) if path.is_relative_to(study.root) else path).encode())
        h.update(path.read_bytes() if path.exists() else b"<missing>")
    return h.hexdigest()


class State:
    def __init__(self, study: Study):
        self.path = study.root / ".trialflow" / "state.json"
        self.data = {}
        if self.path.exists():
            try:
                self.data = json.loads(self.path.read_text())
            except (ValueError, UnicodeDecodeError):
                click.echo(f"warning: unreadable {self.path}; every step counts as stale", err=True)

    def fresh(self, step: Step, digest: str) -> bool:
        return all(p.exists() for p in step.outputs) and self.data.get(step.name) == digest

    def record(self, step: Step, digest: str) -> None:
        """Record the digest of the inputs the step ran on (taken before it ran)."""
        self.data[step.name] = digest
        from .io import write_text
        write_text(self.path, json.dumps(self.data, indent=1, sort_keys=True))


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


def execute(study: Study, layer: str, targets: tuple[str, ...] = (), force: bool = False,
            jobs: int = 1) -> list[str]:
    """Run the wanted steps of a layer (and stale upstream steps); return the names that ran, in
    dependency order.

    Freshness is decided when a step's turn comes, after its upstream steps ran. With ``jobs`` > 1
    up to that many steps whose upstream steps are done run at once, each in a forked process
    (steps write disjoint files; the state file is written here only). After a failure no new
    step starts; the steps running finish, then the first failure is raised. On a terminal a
    progress bar counts the steps done."""
    steps, wanted = select(study, layer, targets)
    order = plan(steps, wanted)
    state = State(study)
    ran: list[str] = []
    pending = list(order)  # in dependency order: the first ready step starts first
    done: set[str] = set()
    running: dict[int, tuple[Step, str, int, bytearray]] = {}  # pid -> step, digest, pipe, bytes read
    failure: BaseException | None = None
    parallel = jobs > 1 and hasattr(os, "fork")
    jobs = max(jobs, 1)
    with click.progressbar(length=len(order), label=layer, file=sys.stderr, hidden=not sys.stderr.isatty(),
                           item_show_func=lambda s: s or "") as bar:
        while pending or running:
            ready = next((s for s in pending if all(d in done for d in s.deps if d in steps)), None)
            if failure is None and ready is not None and len(running) < jobs:
                pending.remove(ready)
                digest = _digest(study, ready)
                if state.fresh(ready, digest) and not (force and ready.name in wanted):
                    done.add(ready.name)
                    bar.update(1, ready.name)
                elif not parallel:
                    ready.run()
                    _finish(state, ready, digest, ran, done, bar)
                else:
                    pid, fd = _fork(ready)
                    running[pid] = (ready, digest, fd, bytearray())
                continue
            if not running:  # a failure, or nothing startable (cannot happen with a valid plan)
                break
            step, digest, error = _wait_one(running)
            if error is None:
                _finish(state, step, digest, ran, done, bar)
            elif failure is None:
                failure = error
    if failure is not None:
        raise failure
    rank = {s.name: i for i, s in enumerate(order)}
    return sorted(ran, key=rank.__getitem__)


def _finish(state: State, step: Step, digest: str, ran: list[str], done: set[str], bar) -> None:
    state.record(step, digest)
    ran.append(step.name)
    done.add(step.name)
    bar.update(1, step.name)


def _fork(step: Step) -> tuple[int, int]:
    """Run a step in a forked process. What it prints and how it ended come back through a pipe,
    pickled; the parent prints each step's output whole, so concurrent steps never interleave."""
    for module in step.imports:  # imported once, here, rather than in every forked step
        importlib.import_module(module)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, report, exit without running the parent's clean-up
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


def _portable(exc: BaseException) -> tuple:
    """An exception as (class, args, attributes, traceback text): TrialflowError's file, row,
    field and value survive pickling; one that does not pickle travels as a RuntimeError."""
    tb = "".join(traceback.format_exception(exc))
    state = (type(exc), exc.args, dict(vars(exc)), tb)
    try:
        pickle.dumps(state)
        return state
    except Exception:  # noqa: BLE001 - an unpicklable value in the exception
        return (RuntimeError, (f"{type(exc).__name__}: {exc}",), {}, tb)


def _wait_one(running: dict) -> tuple[Step, str, BaseException | None]:
    """Read the children's pipes until one closes; reap that child, print its output and return
    its step, digest and failure (None when it succeeded)."""
    while True:
        fds = {entry[2]: pid for pid, entry in running.items()}
        for fd in io_select.select(list(fds), [], [])[0]:
            pid = fds[fd]
            step, digest, _, buf = running[pid]
            chunk = os.read(fd, 1 << 16)
            if chunk:
                buf.extend(chunk)
                continue
            os.close(fd)
            status = os.waitpid(pid, 0)[1]
            del running[pid]
            if not buf:  # killed, or exited before reporting
                return step, digest, RuntimeError(
                    f"step {step.name} ended without a result (exit status {os.waitstatus_to_exitcode(status)})")
            out, err, error = pickle.loads(bytes(buf))
            sys.stdout.write(out)
            sys.stderr.write(err)
            if error is None:
                return step, digest, None
            cls, args, attrs, tb = error
            exc = cls.__new__(cls)
            exc.args = args
            exc.__dict__.update(attrs, child_traceback=tb)
            return step, digest, exc
