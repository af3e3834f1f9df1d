"""Scale benchmark (a script, not a test): simulate studies of 1,000 and 10,000 subjects, run the
whole pipeline on each, compare with an I/O floor measured in the same run, time the committed
32-subject study cold, and run a derivation microbenchmark on 100,000 rows. Writes
benchmarks/results.md.

    python benchmarks/run.py [--sizes 1000 10000] [--cold-runs 3] [--no-micro] [--keep]

Every command (`trialflow simulate | sdtm | adam | tlf | validate`) runs in its own process, with
trialflow's default of one step per usable CPU at a time: wall time from time.perf_counter around
it, peak memory as the larger of the biggest process's max RSS and the summed RSS of the process
tree (sampled). The time of every pipeline step (one SDTM domain, one ADaM dataset, one output)
is recorded too, so results.md shows where the time goes.

The I/O floor reads every raw CSV (pandas, all text) and writes the same rows as XPT with no
logic, by the same writer the pipeline uses (trialflow.xpt); the floor with pyreadstat as the
writer is shown as well. "raw -> TLF" is sdtm + adam + tlf; validate is reported beside it.
Simulated studies go to a temporary folder (deleted unless --keep); the microbenchmark's inputs go
to benchmarks/data/ (not committed) so the same data can be run through other tools.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
STEPS = ("simulate", "sdtm", "adam", "tlf", "validate")
RAW_TO_TLF = ("sdtm", "adam", "tlf")
TARGETS = {"floor_ratio": 3.0, "scaling": 12.0, "peak_mib": 2048.0, "cold_s": 5.0}


def python() -> str:
    """An interpreter that can import trialflow: this one, else the project's .venv."""
    probe = subprocess.run([sys.executable, "-c", "import trialflow"], capture_output=True)
    if probe.returncode == 0:
        return sys.executable
    venv = ROOT / ".venv" / "bin" / "python"
    if venv.exists():
        return str(venv)
    sys.exit("benchmarks/run.py: trialflow is not importable (run it with the project's .venv python)")


# Runs `trialflow <args>` in this process, recording the wall time of every pipeline step it runs
# (measured by the step runner itself, from the start of a step to its end, forked or not).
DRIVER = r"""
import json, sys, time
import trialflow.pipeline as pl
times, runs = [], []
_run_steps = pl.run_steps
def run_steps(*args, **kwargs):
    timings, t0 = {}, time.perf_counter()
    try:
        return _run_steps(*args, **{**kwargs, "timings": timings})
    finally:
        times.extend(timings.items())
        runs.append((kwargs.get("label", ""), time.perf_counter() - t0))
pl.run_steps = run_steps
from trialflow.cli import main
try:
    code = main(sys.argv[2:])
finally:
    with open(sys.argv[1], "w") as fh:
        json.dump({"steps": times, "runs": runs}, fh)
sys.exit(code)
"""


def tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants, summed (MiB). Pages a forked step
    still shares with its parent are counted in both, so this is an upper bound."""
    parents, rss = {}, {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == parent and p not in tree]
        tree.update(kids)
        frontier += kids
    return sum(rss.get(p, 0) for p in tree) / 2**20


def run_measured(py: str, args: list[str], cwd: Path, log: Path) -> dict:
    """Run `trialflow <args>` in a new process; wall seconds, peak memory (MiB), exit code, the
    steps that ran with their times, and the last line of its output. Peak memory is the larger of
    the biggest single process (os.wait4's max RSS) and the process tree's summed RSS sampled every
    50 ms (steps run two at a time in forked processes)."""
    times = log.with_suffix(".times.json")
    t0 = time.perf_counter()
    peak_tree = 0.0
    with open(log, "wb") as out:
        proc = subprocess.Popen([py, "-c", DRIVER, str(times), *args], cwd=cwd, stdout=out,
                                stderr=subprocess.STDOUT)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak_tree = max(peak_tree, tree_rss_mib(proc.pid))
            time.sleep(0.05)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    lines = log.read_text(errors="replace").strip().splitlines()
    recorded = json.loads(times.read_text()) if times.exists() else {"steps": [], "runs": []}
    if code not in (0, 1):
        print(f"  trialflow {' '.join(args)} failed ({code}): {' | '.join(lines[-3:])}", file=sys.stderr)
    return {"wall": wall, "rss": max(usage.ru_maxrss / 1024, peak_tree), "exit": code,
            "steps": recorded["steps"], "runs": recorded["runs"], "last": lines[-1] if lines else ""}


def run_plain(py: str, code: str, argv: list[str], cwd: Path) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.Popen([py, "-c", code, *argv], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"benchmark helper failed: {err[-2000:]}")
    return {"wall": wall, "rss": usage.ru_maxrss / 1024, "out": out}


# The I/O floor: read every raw CSV as text, write the same rows as XPT, no logic. argv[1] is the
# study folder, argv[2] "trialflow" (the pipeline's writer) or "pyreadstat".
IO_FLOOR = r"""
import datetime as dt, sys
from pathlib import Path
import pandas as pd
study, writer = Path(sys.argv[1]), sys.argv[2]
out = study / f"iofloor_{writer}"
out.mkdir(exist_ok=True)
for csv in sorted((study / "raw").glob("*.csv")):
    df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    names, seen = [], set()
    for c in df.columns:  # XPT v5 names: 8 characters, unique
        n, i = c[:8].upper(), 0
        while n in seen:
            i += 1
            n = c[:8 - len(str(i))].upper() + str(i)
        seen.add(n)
        names.append(n)
    df.columns = names
    name = csv.stem[:8].upper()
    if writer == "pyreadstat":
        import pyreadstat
        pyreadstat.write_xport(df, str(out / f"{csv.stem}.xpt"), file_format_version=5, table_name=name)
        continue
    from trialflow.metadata.model import DatasetSpec, Variable
    from trialflow.xpt import write_xpt
    width = {c: max(int(df[c].str.len().max()) if len(df) else 1, 1) for c in df.columns}
    for c in df.columns:  # XPT v5 text: at most 200 characters
        if width[c] > 200:
            df[c], width[c] = df[c].str.slice(0, 200), 200
    spec = DatasetSpec(name=name, label=name, cls="", structure="", keys=(), path=csv, standard="SDTM",
                       variables=tuple(Variable(name=c, label=c, type="Char", length=width[c]) for c in df.columns))
    try:
        write_xpt(df, spec, out / f"{csv.stem}.xpt", dt.date(2019, 10, 31))
    except Exception:  # non-ASCII text: replaced, as a floor needs no more
        df = df.apply(lambda s: s.str.encode("ascii", "replace").str.decode("ascii"))
        write_xpt(df, spec, out / f"{csv.stem}.xpt", dt.date(2019, 10, 31))
"""


def bench_study(py: str, n: int, workdir: Path) -> dict:
    study = workdir / f"study{n}"
    shutil.copytree(ROOT / "specs", study / "specs")
    logs = workdir / "logs"
    logs.mkdir(exist_ok=True)
    result = {"subjects": n, "steps": {}}
    for step in STEPS:
        args = ["--study-dir", str(study)] + (["simulate", "--subjects", str(n), "--seed", "7"]
                                              if step == "simulate" else [step])
        r = run_measured(py, args, study, logs / f"{n}_{step}.log")
        result["steps"][step] = r
        print(f"  n={n:>6} {step:<9} {r['wall']:8.1f} s {r['rss']:7.0f} MiB  exit {r['exit']}  "
              f"{len(r['steps'])} step(s)", flush=True)
    # the whole pipeline as one command, as users run it: a step starts when its inputs are done,
    # whatever its layer (on a copy of the same raw/ with no outputs and no state)
    whole = workdir / f"whole{n}"
    shutil.copytree(ROOT / "specs", whole / "specs")
    shutil.copytree(study / "raw", whole / "raw")
    r = run_measured(py, ["--study-dir", str(whole), "run"], whole, logs / f"{n}_run.log")
    result["run"] = r
    print(f"  n={n:>6} run (sdtm -> validate, one command) {r['wall']:6.1f} s {r['rss']:7.0f} MiB  exit {r['exit']}",
          flush=True)
    shutil.rmtree(whole, ignore_errors=True)
    for writer in ("trialflow", "pyreadstat"):
        r = run_plain(py, IO_FLOOR, [str(study), writer], study)
        result[f"floor_{writer}"] = r
        print(f"  n={n:>6} I/O floor ({writer}) {r['wall']:6.1f} s {r['rss']:7.0f} MiB", flush=True)
    raw = sorted((study / "raw").glob("*.csv"))
    result["raw_rows"] = sum(max(sum(1 for _ in open(p, "rb")) - 1, 0) for p in raw)
    result["raw_mb"] = sum(p.stat().st_size for p in raw) / 1e6
    result["sdtm_mb"] = sum(p.stat().st_size for p in (study / "sdtm").glob("*.xpt")) / 1e6
    result["adam_mb"] = sum(p.stat().st_size for p in (study / "adam").glob("*.xpt")) / 1e6
    return result


def cold_runs(py: str, workdir: Path, runs: int) -> list[dict]:
    """`trialflow run` on a fresh copy of the committed specs/ and raw/ (no state, no outputs)."""
    out = []
    for i in range(runs):
        dst = workdir / f"committed{i}"
        for name in ("specs", "raw"):
            shutil.copytree(ROOT / name, dst / name)
        r = run_measured(py, ["run"], dst, workdir / f"cold{i}.log")
        print(f"committed 32-subject `trialflow run`, cold #{i + 1}: {r['wall']:.2f} s, {r['rss']:.0f} MiB, "
              f"exit {r['exit']}", flush=True)
        out.append(r)
    return out


# Derivation microbenchmark: 100,000 records of 20,000 subjects. argv[1]: folder for the inputs.
MICRO = r"""
import sys, time
from pathlib import Path
import numpy as np, pandas as pd
from trialflow.adam.derive import derive_var_extreme_flag, derive_vars_dt
from trialflow.adam.events import CensorSource, EventSource, derive_param_tte
rng = np.random.default_rng(1)
n, subjects = 100_000, 20_000
ids = np.sort(rng.integers(0, subjects, n))
day = rng.integers(0, 900, n)
dtc = (pd.Timestamp("2017-01-01") + pd.to_timedelta(day, unit="D")).strftime("%Y-%m-%d").to_numpy(dtype=object)
cut = rng.random(n)  # 10% day unknown (YYYY-MM), 2% month unknown (YYYY)
dtc = np.where(cut < 0.10, pd.Series(dtc).str.slice(0, 7), np.where(cut < 0.12, pd.Series(dtc).str.slice(0, 4), dtc))
obs = pd.DataFrame({"STUDYID": "S", "USUBJID": pd.Series(ids).map("S-{:05d}".format), "SEQ": np.arange(1, n + 1),
                    "ADTC": dtc, "AVAL": rng.normal(size=n).round(3), "PD": np.where(rng.random(n) < 0.05, "Y", "N")})
first = obs.groupby(["STUDYID", "USUBJID"], as_index=False)["ADTC"].min()
adsl = pd.DataFrame({"STUDYID": first["STUDYID"], "USUBJID": first["USUBJID"],
                     "TRTSDT": pd.to_datetime(first["ADTC"].str.slice(0, 4) + "-01-01").astype("datetime64[us]")})
out = Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)
obs.to_csv(out / "micro_obs.csv", index=False)
adsl.to_csv(out / "micro_adsl.csv", index=False)

def best(f, k=3):
    times = []
    for _ in range(k):
        t0 = time.perf_counter(); r = f(); times.append(time.perf_counter() - t0)
    return min(times), r

t1, dated = best(lambda: derive_vars_dt(obs, "A", "ADTC", highest_imputation="M", date_imputation="first"))
t2, _ = best(lambda: derive_var_extreme_flag(dated, new_var="LASTFL", by_vars=["USUBJID"], order=["ADT", "SEQ"],
                                             mode="last"))
t3, tte = best(lambda: derive_param_tte(
    adsl, {"obs": dated}, start_date="TRTSDT",
    event_conditions=[EventSource("obs", date="ADT", filter="PD == 'Y'", set_values_to={"EVNTDESC": "PD"})],
    censor_conditions=[CensorSource("obs", date="ADT", set_values_to={"CNSDTDSC": "LAST ASSESSMENT"})],
    set_values_to={"PARAMCD": "PFS"}))
imputed = int((dated["ADTF"] != "").sum())
print(f"derive_vars_dt (highest_imputation M, {imputed:,} imputed, ADTF flags)\t{t1:.3f}\t{n}")
print(f"derive_var_extreme_flag (last per subject)\t{t2:.3f}\t{n}")
print(f"derive_param_tte (PFS: event PD, censor last)\t{t3:.3f}\t{n}")
"""


def machine() -> dict:
    info = {"platform": f"{platform.system()} {platform.release()} {platform.machine()}",
            "python": platform.python_version(), "cores": os.cpu_count(),
            "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()}
    try:
        cpu = [ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")]
        info["cpu"] = cpu[0] if cpu else platform.processor()
        mem = [ln for ln in open("/proc/meminfo") if ln.startswith("MemTotal")]
        info["ram_gib"] = int(mem[0].split()[1]) / 1024 ** 2 if mem else None
    except OSError:
        info["cpu"], info["ram_gib"] = platform.processor(), None
    return info


def versions(py: str) -> str:
    code = ("import pandas, numpy, pyreadstat, pandera; print(f'pandas {pandas.__version__}, numpy "
            "{numpy.__version__}, pyreadstat {pyreadstat.__version__}, pandera {pandera.__version__}')")
    return subprocess.run([py, "-c", code], capture_output=True, text=True).stdout.strip()


def git_state() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "src", "specs"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return f"{head}{' + uncommitted changes in src/ or specs/' if dirty else ''}"
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000], help="study sizes (none: skip)")
    parser.add_argument("--cold-runs", type=int, default=3, help="cold runs of the committed study (median)")
    parser.add_argument("--no-micro", action="store_true", help="skip the derivation microbenchmark")
    parser.add_argument("--keep", action="store_true", help="keep the simulated studies")
    parser.add_argument("--out", type=Path, default=HERE / "results.md")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite results.md from the last run (benchmarks/data/results.json)")
    args = parser.parse_args()
    if args.report_only:
        last = json.loads((DATA / "results.json").read_text())
        text = report(last["machine"], last["cold"], last["studies"], last["micro"])
        args.out.write_text(text)
        print(text)
        return
    py = python()
    workdir = Path(tempfile.mkdtemp(prefix="trialflow-bench-"))
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    load_before = os.getloadavg()
    print(f"work folder {workdir}", flush=True)
    try:
        cold = cold_runs(py, workdir, args.cold_runs) if args.cold_runs else []
        results = [bench_study(py, n, workdir) for n in args.sizes]
        micro = []
        if not args.no_micro:
            r = run_plain(py, MICRO, [str(DATA)], ROOT)
            micro = [line.split("\t") for line in r["out"].strip().splitlines()]
            for name, secs, rows in micro:
                print(f"  micro {name}: {float(secs):.3f} s", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    info = machine()
    info.update(started=started, load_before=load_before, load_after=os.getloadavg(), versions=versions(py),
                git=git_state(), bytecode="off (PYTHONDONTWRITEBYTECODE set)" if os.environ.get(
                    "PYTHONDONTWRITEBYTECODE") else "on")
    text = report(info, cold, results, micro)
    args.out.write_text(text)
    (DATA / "results.json").parent.mkdir(parents=True, exist_ok=True)
    (DATA / "results.json").write_text(json.dumps({"machine": info, "cold": cold, "studies": results,
                                                   "micro": micro}, indent=1, default=str))
    print(text)


def _total(r: dict, steps=RAW_TO_TLF) -> float:
    return sum(r["steps"][s]["wall"] for s in steps)


def _ok(flag: bool) -> str:
    return "met" if flag else "**not met**"


def report(info: dict, cold: list[dict], results: list[dict], micro: list[list[str]]) -> str:
    la, lb = info["load_before"], info["load_after"]
    lines = [
        "# Benchmark results", "",
        "Generated by `python benchmarks/run.py` (a script, not a test); the numbers below are from one run.", "",
        "## Machine", "",
        f"- {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
        + (f"{info['ram_gib']:.0f} GiB RAM" if info.get("ram_gib") else "RAM unknown"),
        f"- {info['platform']}, Python {info['python']}; {info['versions']}",
        f"- Python bytecode cache: {info['bytecode']}",
        f"- trialflow at {info['git']}; run started {info['started']}",
        f"- load average before / after the run: {la[0]:.2f} / {lb[0]:.2f} (1 min); the machine is shared, "
        "so wall times carry that noise", "",
    ]
    big = max(results, key=lambda r: r["subjects"]) if results else None
    small = min(results, key=lambda r: r["subjects"]) if results else None
    # ---- targets
    lines += ["## Targets", "", "| target | measured | |", "|---|---|---|"]
    if big:
        floor = big["floor_trialflow"]["wall"]
        ratio = _total(big) / floor
        lines.append(f"| {big['subjects']:,} subjects raw → TLF within {TARGETS['floor_ratio']:.0f}× the I/O floor "
                     f"| {_total(big):.1f} s / {floor:.1f} s = **{ratio:.1f}×** "
                     f"| {_ok(ratio <= TARGETS['floor_ratio'])} |")
    if big and "run" in big:
        whole = big["run"]["wall"]
        lines.append(f"| (for information) {big['subjects']:,} subjects, the whole `trialflow run` (sdtm → adam → tlf "
                     f"→ validate in one command, steps of different layers overlapping) | {whole:.1f} s / "
                     f"{big['floor_trialflow']['wall']:.1f} s = {whole / big['floor_trialflow']['wall']:.1f}× | |")
    if big:
        part = _total(big, ("sdtm", "adam"))
        lines.append(f"| (for information) {big['subjects']:,} subjects raw → ADaM (sdtm + adam) against the floor "
                     f"| {part:.1f} s / {big['floor_trialflow']['wall']:.1f} s = "
                     f"{part / big['floor_trialflow']['wall']:.1f}× | |")
    if big and small and big is not small:
        scale = _total(big) / _total(small)
        lines.append(f"| time({big['subjects']:,}) / time({small['subjects']:,}) ≤ {TARGETS['scaling']:.0f} "
                     f"(raw → TLF) | {_total(big):.1f} s / {_total(small):.1f} s = **{scale:.1f}** "
                     f"| {_ok(scale <= TARGETS['scaling'])} |")
    if results:
        measured = [(r["subjects"], k, v["rss"]) for r in results
                    for k, v in [*r["steps"].items(), ("run", r["run"])] if k != "simulate"]
        where = max(measured, key=lambda t: t[2])
        peak = where[2]
        lines.append(f"| peak memory ≤ 2 GB (any pipeline step) | **{peak:,.0f} MiB** ({where[1]}, "
                     f"{where[0]:,} subjects) | {_ok(peak <= TARGETS['peak_mib'])} |")
    if cold:
        med = statistics.median(r["wall"] for r in cold)
        each = ", ".join(f"{r['wall']:.2f}" for r in cold)
        lines.append(f"| committed 32-subject `trialflow run` within 5 s, cold | median **{med:.2f} s** of "
                     f"{len(cold)} runs ({each}) | {_ok(med <= TARGETS['cold_s'])} |")
    lines.append("")
    # ---- cold run breakdown
    if cold:
        lines += ["## Committed 32-subject study, cold", "",
                  "`trialflow run` (sdtm → adam → tlf → validate) on a fresh copy of `specs/` and `raw/` "
                  "(no state, no outputs), in a new process each time, two steps at a time, a step starting "
                  "as soon as the steps it reads from are done. The sum of each layer's step times (steps "
                  "overlap, so these add up to more than the wall time), and the run's wall time split into "
                  "start-up (interpreter, imports, loading the specs, planning) and running the steps "
                  "(median run):", ""]
        med_run = sorted(cold, key=lambda r: r["wall"])[len(cold) // 2]
        step_sum: dict[str, float] = {}
        for name, secs in med_run["steps"]:
            step_sum[name.split(":")[0]] = step_sum.get(name.split(":")[0], 0.0) + secs
        stepping = sum(secs for _, secs in med_run["runs"])
        lines += ["| | seconds |", "|---|---|"]
        lines += [f"| {k} steps (sum) | {v:.2f} |" for k, v in step_sum.items()]
        lines += [f"| all steps (sum) | {sum(step_sum.values()):.2f} |",
                  f"| wall: start-up | {med_run['wall'] - stepping:.2f} |",
                  f"| wall: running the steps | {stepping:.2f} |",
                  f"| **wall, total** | **{med_run['wall']:.2f}** (peak {med_run['rss']:.0f} MiB) |", ""]
    # ---- scale table
    if results:
        lines += ["## Scale", "", "Each command in its own process; wall seconds and peak RSS (MiB).", "",
                  "| subjects | raw rows (MB) | " + " | ".join(STEPS) + " | raw → TLF | I/O floor | ratio | "
                  "I/O floor (pyreadstat) | `trialflow run` | peak MiB |",
                  "|---|---|" + "---|" * len(STEPS) + "---|---|---|---|---|---|"]
        for r in results:
            floor, floor_p = r["floor_trialflow"]["wall"], r["floor_pyreadstat"]["wall"]
            peak = max(v["rss"] for k, v in r["steps"].items() if k != "simulate")
            cells = [f"{r['steps'][s]['wall']:.1f}"
                     + ("" if r["steps"][s]["exit"] == 0 else f" (exit {r['steps'][s]['exit']})") for s in STEPS]
            lines.append(f"| {r['subjects']:,} | {r['raw_rows']:,} ({r['raw_mb']:.0f}) | " + " | ".join(cells)
                         + f" | **{_total(r):.1f}** | {floor:.1f} | {_total(r) / floor:.1f}× | {floor_p:.1f} "
                         f"| {r['run']['wall']:.1f} | {max(peak, r['run']['rss']):,.0f} |")
        lines += ["", "Peak RSS by command (MiB): " + "; ".join(
            f"{r['subjects']:,}: " + ", ".join(f"{s} {r['steps'][s]['rss']:,.0f}" for s in STEPS)
            + f", run {r['run']['rss']:,.0f}" for r in results),
            "", "Output sizes: " + "; ".join(f"{r['subjects']:,} subjects: raw {r['raw_mb']:.0f} MB, SDTM XPT "
                                             f"{r['sdtm_mb']:.0f} MB, ADaM XPT {r['adam_mb']:.0f} MB" for r in results),
            ""]
        if big and small and big is not small:
            lines += ["Scaling by command, time(" + f"{big['subjects']:,}) / time({small['subjects']:,}): " + ", ".join(
                f"{s} {big['steps'][s]['wall'] / max(small['steps'][s]['wall'], 1e-9):.1f}" for s in STEPS)
                + f"; I/O floor {big['floor_trialflow']['wall'] / small['floor_trialflow']['wall']:.1f}.", ""]
        if any(r["steps"]["validate"]["exit"] == 1 for r in results):
            lines += ["`validate` exits 1 on the simulated studies: they are realistic but not calibrated to the "
                      "publication, so the published-value comparison reports differences (expected).", ""]
        # ---- where the time goes
        lines += ["## Where the time goes", "",
                  f"The slowest pipeline steps at {big['subjects']:,} subjects (each step's wall time, from its "
                  "start to its end as the step runner measures it; two steps run at once, so the shares of a "
                  "command add up to more than 100%):", "", "| step | seconds | share of its command's wall time |",
                  "|---|---|---|"]
        for layer in STEPS[1:]:
            r = big["steps"][layer]
            for name, secs in sorted(r["steps"], key=lambda t: -t[1])[:4]:
                lines.append(f"| {name} | {secs:.1f} | {secs / r['wall']:.0%} |")
        lines.append("")
    # ---- micro
    if micro:
        lines += ["## Derivation microbenchmark", "",
                  "100,000 records of 20,000 subjects (10% of the dates without a day, 2% without a month); "
                  "inputs in `benchmarks/data/micro_obs.csv` and `benchmarks/data/micro_adsl.csv` (not committed). "
                  "Best of 3.", "", "| derivation | seconds | records / s |", "|---|---|---|"]
        lines += [f"| {name} | {float(secs):.3f} | {int(rows) / float(secs):,.0f} |" for name, secs, rows in micro]
        lines.append("")
    notes = HERE / "NOTES.md"
    if notes.exists():
        lines += [notes.read_text().strip(), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
