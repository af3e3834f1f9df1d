"""End to end on the committed study:
the committed tlf/ equals a fresh render byte for byte, and Table 1 / Table S2 cells equal the
publication's printed values (format-aware, via validate.publication.judge) except the cells a
shell marks as known-irreproducible, which must be judged irreproducible."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from trialflow.study import Study
from trialflow.tlf.build import build_index, build_output, read_ard
from trialflow.tlf.published import compare_published
from trialflow.tlf.shell import load_shells, parse_shell

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ROOT.parent / "shared" / "publication" / "targets.yaml"



@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Study:
    """A fresh render of every output from the committed ADaM datasets into a scratch study folder."""
    root = tmp_path_factory.mktemp("study")
    shutil.copytree(ROOT / "specs", root / "specs")
    shutil.copytree(ROOT / "adam", root / "adam")
    study = Study(root)
    for sid in sorted(study.specs.tlf):
        build_output(study, sid)
    build_index(study)
    return study


def test_committed_tlf_equals_fresh_render(fresh):
    committed = sorted(p.relative_to(ROOT / "tlf") for p in (ROOT / "tlf").rglob("*") if p.is_file())
    produced = sorted(p.relative_to(fresh.tlf) for p in fresh.tlf.rglob("*") if p.is_file())
    mine = [p for p in committed if p.parts[0] != "validation" and not p.name.startswith("validation")]
    assert set(produced) <= set(committed), f"not committed: {sorted(set(produced) - set(committed))}"
    differ = [str(p) for p in produced if (ROOT / "tlf" / p).read_bytes() != (fresh.tlf / p).read_bytes()]
    assert not differ, f"committed tlf/ differs from a fresh render: {differ}"
    stale = [str(p) for p in mine if p not in set(produced) and p.suffix in {".json", ".rtf", ".html", ".xlsx",
                                                                              ".png", ".svg", ".csv"}]
    assert not stale, f"committed files no step produces: {stale}"


@pytest.mark.parametrize("output", ["t1", "ts2"])
def test_published_cells_reproduced(fresh, output):
    shell = load_shells(fresh.specs)[output]
    results = compare_published(shell, read_ard(fresh, output))
    assert results
    wrong = [f"{r['row']}: {r['message']}" for r in results
             if r["status"] != ("irreproducible" if r["expected_irreproducible"] else "reproduced")]
    assert not wrong, "\n".join(wrong)


def test_all_published_cells(fresh):
    """Every shell: reproduced, or expected-irreproducible and judged so (26.4 % in Table S3)."""
    bad = []
    for sid, shell in load_shells(fresh.specs).items():
        for r in compare_published(shell, read_ard(fresh, sid)):
            want = "irreproducible" if r["expected_irreproducible"] else "reproduced"
            if r["status"] != want:
                bad.append(f"{sid}.{r['row']}[{r['column']}] {r['target']}: {r['message']}")
    assert not bad, "\n".join(bad)


@pytest.mark.skipif(not TARGETS.exists(), reason="publication targets not available")
def test_shell_published_values_match_targets():
    """Transcription check: Table 1 cells are the targets' printed values verbatim; every target id exists."""
    targets = {t["id"]: t for t in yaml.safe_load(TARGETS.read_text())["targets"]}
    shells = {p.stem: parse_shell(yaml.safe_load(p.read_text()), p) for p in sorted((ROOT / "specs" / "tlf").glob("*.yaml"))}
    for sid, shell in shells.items():
        for row in shell.all_rows:
            for p in row.published:
                assert p.target in targets, f"{sid}.{row.key}: unknown target {p.target}"
                if p.target.startswith("T1_") and sid == "t1":
                    assert p.value == targets[p.target]["value_printed"], f"{sid}.{row.key}"
                if p.irreproducible:
                    assert targets[p.target]["status"] == "IRREPRODUCIBLE"
