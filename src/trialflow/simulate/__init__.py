"""Synthetic raw CRF study for TCD14079 (NCT02514668 Part B): isatuximab after daratumumab.

``simulate(out_dir)`` writes the calibrated 32-patient study (cohort.py + forms.py): one CSV per
CRF form laid out as in the working contract, whose honest derivation reproduces the published
numbers.  ``simulate(out_dir, n_subjects=N)`` writes a study of N subjects with the same forms and
realistic, *not calibrated*, distributions (scale.py), for performance tests.

The data is synthetic.  Output is deterministic: same arguments -> byte-identical files
(seeded ``numpy.random.Generator``, fixed row order, fixed number formatting, ``\\n`` line
endings, UTF-8, each file written atomically via a temporary file and ``os.replace``).
"""
from __future__ import annotations

from pathlib import Path

from .common import DATA_CUTOFF, DEFAULT_SEED, FORMS, KEYS, STUDY, write_csv_atomic

__all__ = ["simulate", "DEFAULT_SEED", "DATA_CUTOFF", "FORMS", "KEYS", "STUDY", "CALIBRATED_N"]

CALIBRATED_N = 32


def simulate(out_dir: str | Path, n_subjects: int | None = None, seed: int | None = None) -> dict[str, int]:
    """Write the raw study to ``out_dir``; return {form: number of rows written}.

    n_subjects None or 32 -> the calibrated 32-patient study (cohort.py, forms.py).
    Any other n_subjects -> scale study of that many subjects (scale.py; not calibrated).
    seed None -> DEFAULT_SEED.  For the calibrated study the seed only changes non-calibrated
    detail (lab noise, times, filler AEs); all published numbers are reproduced for any seed.
    """
    seed = DEFAULT_SEED if seed is None else int(seed)
    if n_subjects is None or int(n_subjects) == CALIBRATED_N:
        from .forms import render
        frames = render(seed)
    else:
        n = int(n_subjects)
        if n < 1:
            raise ValueError("n_subjects must be >= 1")
        from .scale import render_scale
        frames = render_scale(n, seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for form in FORMS:
        df = frames[form]
        write_csv_atomic(df, out / f"{form}.csv")
        counts[form] = len(df)
    return counts
