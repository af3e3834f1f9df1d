"""Scale benchmark (not a test): simulate studies of 1,000 and 10,000 subjects, run the whole
pipeline on each, and compare with an I/O floor measured in the same run; plus a derivation
microbenchmark on 100,000 rows. Writes benchmarks/results.md.

    python benchmarks/run.py [--sizes 1000 10000] [--keep]

Each pipeline step runs in its own process; wall time from time.perf_counter around it and peak
memory (max RSS) from os.wait4's resource usage for that process.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STEPS = ("simulate", "sdtm", "adam", "tlf", "validate")


def run_measured(args: list[str], cwd: Path) -> tuple[float, float, int]:
    """Run a command; return (wall seconds, peak RSS MiB, exit code)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace").strip()
    if proc.returncode not in (0, 1):
        print(f"  {' '.join(args[-3:])} failed ({proc.returncode}): {err[-500:]}", file=sys.stderr)
    return wall, usage.ru_maxrss / 1024, proc.returncode


IO_FLOOR = r"""
import sys, pandas as pd, pyreadstat
from pathlib import Path
study = Path(sys.argv[1]); out = study / "iofloor"; out.mkdir(exist_ok=True)
for csv in sorted((study / "raw").glob("*.csv")):
    df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    df.columns = [c[:8] for c in df.columns]
    pyreadstat.write_xport(df, str(out / (csv.stem[:8] + ".xpt")), file_format_version=5, table_name=csv.stem[:8].upper())
"""


def bench_study(n: int, workdir: Path) -> dict:
    study = workdir / f"study{n}"
    shutil.copytree(ROOT / "specs", study / "specs")
    cli = [sys.executable, "-m", "trialflow.cli", "--study-dir", str(study)]
    result = {"subjects": n, "steps": {}}
    for step in STEPS:
        args = cli + (["simulate", "--subjects", str(n), "--seed", "7"] if step == "simulate" else [step])
        wall, rss, code = run_measured(args, study)
        result["steps"][step] = {"wall": wall, "rss": rss, "exit": code}
        print(f"  n={n:>6} {step:<9} {wall:8.2f} s  {rss:8.0f} MiB  exit {code}")
    wall, rss, _ = run_measured([sys.executable, "-c", IO_FLOOR, str(study)], study)
    result["io_floor"] = {"wall": wall, "rss": rss}
    print(f"  n={n:>6} {'io floor':<9} {wall:8.2f} s  {rss:8.0f} MiB")
    result["raw_rows"] = sum(sum(1 for _ in open(p)) - 1 for p in (study / "raw").glob("*.csv"))
    return result


MICRO = r"""
import time, numpy as np, pandas as pd
from pathlib import Path
from trialflow.adam.derive import derive_vars_dt, derive_var_extreme_flag
from trialflow.adam.events import derive_param_tte, EventSource, CensorSource
rng = np.random.default_rng(1); n, subj = 100_000, 20_000
ids = np.sort(rng.integers(0, subj, n)); day = rng.integers(0, 900, n)
dates = pd.Timestamp("2017-01-01") + pd.to_timedelta(day, unit="D")
dtc = dates.strftime("%Y-%m-%d").to_numpy(dtype=object)
cut = rng.random(n); dtc = np.where(cut < 0.1, [d[:7] for d in dtc], np.where(cut < 0.12, [d[:4] for d in dtc], dtc))
df = pd.DataFrame({"STUDYID": "S", "USUBJID": [f"S-{i:05d}" for i in ids], "ADTC": dtc, "AVAL": rng.normal(size=n),
                   "PD": np.where(rng.random(n) < 0.05, "Y", "N")})
out = Path("benchmarks/data"); out.mkdir(parents=True, exist_ok=True); df.to_csv(out / "micro.csv", index=False)
t = {}
t0 = time.perf_counter(); df = derive_vars_dt(df, "A", "ADTC", highest_imputation="M", date_imputation="first"); t["derive_vars_dt"] = time.perf_counter() - t0
t0 = time.perf_counter(); derive_var_extreme_flag(df, new_var="LASTFL", by_vars=["USUBJID"], order=["ADT"], mode="last"); t["derive_var_extreme_flag"] = time.perf_counter() - t0
adsl = df.groupby(["STUDYID", "USUBJID"], as_index=False)["ADT"].min().rename(columns={"ADT": "TRTSDT"})
t0 = time.perf_counter()
derive_param_tte(adsl, {"obs": df}, start_date="TRTSDT",
                 event_conditions=[EventSource("obs", date="ADT", filter="PD == 'Y'", set_values_to={"EVNTDESC": "PD"})],
                 censor_conditions=[CensorSource("obs", date="ADT", set_values_to={"CNSDTDSC": "LAST"})],
                 set_values_to={"PARAMCD": "PFS"})
t["derive_param_tte"] = time.perf_counter() - t0
for k, v in t.items(): print(f"{k}\t{v:.3f}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--keep", action="store_true", help="keep the simulated studies")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="trialflow-bench-"))
    results = []
    try:
        cold = run_measured([sys.executable, "-m", "trialflow.cli", "run"], _fresh_copy(workdir))
        print(f"committed 32-subject `trialflow run` (fresh copy, cold): {cold[0]:.2f} s, {cold[1]:.0f} MiB")
        for n in args.sizes:
            results.append(bench_study(n, workdir))
        micro = subprocess.run([sys.executable, "-c", MICRO], cwd=ROOT, capture_output=True, text=True, check=True)
        micro_rows = [line.split("\t") for line in micro.stdout.strip().splitlines()]
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    write_results(cold, results, micro_rows)


def _fresh_copy(workdir: Path) -> Path:
    dst = workdir / "committed"
    for name in ("specs", "raw"):
        shutil.copytree(ROOT / name, dst / name)
    return dst


def write_results(cold, results, micro_rows) -> None:
    lines = ["# Benchmark results", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
             f"{platform.system()} {platform.release()}", "",
             f"Committed 32-subject `trialflow run`, fresh copy, cold: **{cold[0]:.2f} s** wall, "
             f"{cold[1]:.0f} MiB peak (target ≤ 5 s).", "",
             "| subjects | raw rows | " + " | ".join(STEPS) + " | raw→TLF total | I/O floor | total / floor | peak MiB |",
             "|---|---|" + "---|" * len(STEPS) + "---|---|---|---|"]
    for r in results:
        pipeline = sum(r["steps"][s]["wall"] for s in STEPS if s != "simulate")
        peak = max(v["rss"] for v in r["steps"].values())
        lines.append(f"| {r['subjects']:,} | {r['raw_rows']:,} | " + " | ".join(
            f"{r['steps'][s]['wall']:.2f}" for s in STEPS) + f" | {pipeline:.2f} | {r['io_floor']['wall']:.2f} | "
            f"{pipeline / r['io_floor']['wall']:.1f}× | {peak:.0f} |")
    if len(results) >= 2:
        a, b = results[0], results[-1]
        ta = sum(a["steps"][s]["wall"] for s in STEPS if s != "simulate")
        tb = sum(b["steps"][s]["wall"] for s in STEPS if s != "simulate")
        lines += ["", f"Scaling: time({b['subjects']:,}) / time({a['subjects']:,}) = **{tb / ta:.1f}** "
                  f"(target ≤ 12 for a 10× larger study)."]
    lines += ["", "Derivation microbenchmark (100,000 rows, 20,000 subjects; inputs in benchmarks/data/micro.csv):", "",
              "| derivation | seconds |", "|---|---|"] + [f"| {k} | {v} |" for k, v in micro_rows]
    (HERE / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
