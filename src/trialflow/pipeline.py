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
import json
import sys
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


def execute(study: Study, layer: str, targets: tuple[str, ...] = (), force: bool = False) -> list[str]:
    """Run the wanted steps of a layer (and stale upstream steps); return the names that ran.

    Freshness is decided when a step's turn comes, after its upstream steps ran. On a terminal a
    progress bar names the step running."""
    steps, wanted = select(study, layer, targets)
    state = State(study)
    ran = []
    with click.progressbar(plan(steps, wanted), label=layer, file=sys.stderr, hidden=not sys.stderr.isatty(),
                           item_show_func=lambda s: s.name if s else "") as bar:
        for step in bar:
            digest = _digest(study, step)
            if state.fresh(step, digest) and not (force and step.name in wanted):
                continue
            step.run()
            state.record(step, digest)
            ran.append(step.name)
    return ran
