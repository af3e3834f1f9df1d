"""Command line: trialflow simulate | sdtm | adam | tlf | validate | run | specs.

Exit codes: 0 ok, 1 validation failed, 2 bad input or usage. Errors print as one line;
the traceback only with --debug.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from . import __version__
from .errors import TrialflowError
from .study import Study


class Context:
    def __init__(self, study_dir: Path, debug: bool, jobs: int):
        from .pipeline import usable_cpus

        self.study = Study(study_dir)
        self.debug = debug
        self.jobs = jobs or usable_cpus()


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--study-dir", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="Study folder holding specs/, raw/, sdtm/, adam/, tlf/.")
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, envvar="TRIALFLOW_JOBS", show_envvar=True,
              help="Steps run at once, each in its own process (0: one per usable CPU; 1: one at a time, "
                   "in this process).")
@click.version_option(__version__, prog_name="trialflow")
@click.pass_context
def cli(ctx: click.Context, study_dir: Path, debug: bool, jobs: int) -> None:
    """trialflow: raw CRF extracts -> SDTM -> ADaM -> validated tables, listings and figures."""
    ctx.obj = Context(study_dir, debug, jobs)


def _run_layer(ctx: Context, layer: str, targets: tuple[str, ...], force: bool) -> None:
    from .pipeline import execute

    _summary(layer, execute(ctx.study, layer, targets, force, jobs=ctx.jobs))


def _summary(layer: str, ran: list[str]) -> None:
    click.echo(f"{layer}: {len(ran)} step(s) ran" + (f" ({', '.join(ran)})" if ran else " (all up to date)"))


@cli.command()
@click.option("--subjects", type=click.IntRange(min=1), default=None,
              help="Write a scale study of N subjects (realistic, not calibrated).")
@click.option("--seed", type=int, default=None, help="Random seed (default: the committed study's seed).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to write the raw CSVs to (default: <study-dir>/raw).")
@pass_ctx
def simulate(ctx: Context, subjects: int | None, seed: int | None, out: Path | None) -> None:
    """Write the synthetic raw CRF extracts (raw/*.csv)."""
    from .simulate import simulate as run_simulation

    target = out if out is not None else ctx.study.raw
    rows = run_simulation(target, n_subjects=subjects, seed=seed)
    click.echo(f"simulate: {len(rows)} forms, {sum(rows.values())} rows -> {target}")


def _layer_command(layer: str, what: str, doc: str):
    @click.argument("targets", nargs=-1)
    @click.option("--force", is_flag=True, help="Rebuild the named targets even when up to date.")
    @pass_ctx
    def command(ctx: Context, targets: tuple[str, ...], force: bool) -> None:
        _run_layer(ctx, layer, targets, force)

    command.__doc__ = doc
    command.__name__ = layer
    return cli.command(name=layer, help=f"{doc}\n\nTARGETS: {what} names (default: all).")(command)


_layer_command("sdtm", "domain", "Map raw CRF forms to SDTM domains (sdtm/*.xpt).")
_layer_command("adam", "dataset", "Derive ADaM datasets from SDTM (adam/*.xpt).")
_layer_command("tlf", "output id", "Build analysis results and render TLFs (tlf/).")


@cli.command()
@pass_ctx
def validate(ctx: Context) -> None:
    """Validate datasets against specs and rules, TLFs against shells and the publication."""
    _run_layer(ctx, "validate", (), force=True)


@cli.command()
@pass_ctx
def run(ctx: Context) -> None:
    """Run sdtm -> adam -> tlf -> validate on the study's raw/ (a step starts as soon as the steps
    it reads from are done)."""
    from .pipeline import LAYERS, run_all

    ran = run_all(ctx.study, jobs=ctx.jobs)
    for layer in LAYERS:
        _summary(layer, [n for n in ran if n.startswith(f"{layer}:")])


@cli.group()
def specs() -> None:
    """Check or export the study specs."""


@specs.command("check")
@pass_ctx
def specs_check(ctx: Context) -> None:
    """Load every spec and report problems (file and key)."""
    from .sdtm.engine import check_maps
    from .tlf.shell import load_shells

    s = ctx.study.specs
    ops, shells = check_maps(s), load_shells(s)
    click.echo(f"specs ok: {len(s.sdtm)} SDTM ({ops} mapping operations), {len(s.adam)} ADaM datasets, "
               f"{len(s.codelists)} codelists, {len(shells)} TLF shells")


@specs.command("export")
@click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False, path_type=Path), default=Path("specs/specs.xlsx"),
              show_default=True, help="Spec workbook to write (inside the study folder).")
@click.option("--define/--no-define", default=True, show_default=True,
              help="Also write sdtm/define.xml and adam/define.xml.")
@pass_ctx
def specs_export(ctx: Context, xlsx: Path, define: bool) -> None:
    """Write the Pinnacle-21-style spec workbook and define.xml 2.1 from the specs."""
    from .metadata.define import write_define, write_workbook

    study = ctx.study
    target = study.inside(xlsx if xlsx.is_absolute() else study.root / xlsx)
    click.echo(f"workbook -> {write_workbook(study.specs, target)}")
    if define:
        for standard, folder in (("SDTM", study.sdtm), ("ADaM", study.adam)):
            click.echo(f"define.xml -> {write_define(study.specs, standard, folder / 'define.xml', study.cutoff)}")


def _print_traceback(exc: BaseException) -> None:
    """The traceback; for a step run in its own process, the one it had there."""
    child = getattr(exc, "child_traceback", None)
    if child:
        click.echo(child, err=True, nl=False)
    else:
        traceback.print_exc()


def main(argv: list[str] | None = None) -> int:
    """Console entry point: one clear line on error, traceback only with --debug."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="trialflow", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        return 2
    except click.ClickException as exc:
        exc.show()
        return 2
    except TrialflowError as exc:
        if debug:
            _print_traceback(exc)
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except Exception as exc:  # an internal error: still one line unless --debug
        if debug:
            _print_traceback(exc)
        click.echo(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", err=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
