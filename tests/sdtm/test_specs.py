"""The SDTM specs themselves: SUPP-- datasets from the one SUPPQUAL template, and map operations
checked without data (unknown algorithm, bad CT term) with errors naming file and key."""

import pytest

from trialflow.errors import SpecError
from trialflow.metadata import load_specs
from trialflow.sdtm.engine import check_maps

from .helpers import make_study


def test_supp_datasets_come_from_one_template(mini):
    specs = mini.specs
    assert "SUPPQUAL" not in specs.sdtm
    assert {"SUPPAE", "SUPPCM", "SUPPEX", "SUPPMH"} <= set(specs.sdtm)
    supp = specs.sdtm["SUPPAE"]
    assert supp.label == "Supplemental Qualifiers for AE" and supp.options["parent"] == "AE"
    assert supp.names == ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG",
                          "QEVAL"]
    assert specs.sdtm["SUPPCM"].options["qnams"] == ["LINENUM", "BESTRESP", "PDFL", "PDDTC", "RSNSTOP"]


def _edit(study, name, old, new):
    p = study.root / "specs" / "sdtm" / f"{name}.yaml"
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new, 1))
    return p


def test_bad_qnam_names_file_and_key(tmp_path):
    study = make_study(tmp_path)
    p = _edit(study, "AE", "qnam: AEIR,", "qnam: aeir_flag,")
    with pytest.raises(SpecError, match="QNAM") as err:
        load_specs(study.root / "specs")
    assert err.value.file == str(p) and err.value.field == "options.supp[0].qnam"


@pytest.mark.parametrize("old,new,message", [
    ("{algorithm: assign_ct, raw: ae.AESER}", "{algorithm: assign_cts, raw: ae.AESER}", "unknown mapping algorithm"),
    ("{algorithm: hardcode_ct, value: INTRAVENOUS}", "{algorithm: hardcode_ct, value: INTRAVENUS}", "not a term"),
    ("{algorithm: study_day, dtc: AESTDTC}", "{algorithm: study_day, dtc: AESTDTX}", "does not have"),
])
def test_map_operations_are_checked(tmp_path, old, new, message):
    study = make_study(tmp_path)
    name = "EX" if "INTRAVEN" in old else "AE"
    p = _edit(study, name, old, new)
    with pytest.raises(SpecError, match=message) as err:
        check_maps(load_specs(study.root / "specs"))
    assert err.value.file == str(p) and err.value.field.startswith("variables.")
