"""define.xml 2.1 and the spec workbook are generated from the specs, well-formed and deterministic."""

import xml.etree.ElementTree as ET

from openpyxl import load_workbook

from trialflow.cli import main
from trialflow.metadata import load_specs
from trialflow.metadata.define import render_define

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}


def test_define_structure(mini_specs):
    import datetime as dt

    specs = load_specs(mini_specs / "specs")
    root = ET.fromstring(render_define(specs, "SDTM", dt.date(2019, 10, 31)).encode())
    mdv = root.find("odm:Study/odm:MetaDataVersion", NS)
    assert mdv.get(f"{{{NS['def']}}}DefineVersion") == "2.1.0"
    ig = mdv.find("odm:ItemGroupDef[@Name='XX']", NS)
    assert ig.find("odm:Description/odm:TranslatedText", NS).text == "Example Domain"
    refs = ig.findall("odm:ItemRef", NS)
    assert [r.get("ItemOID") for r in refs][:2] == ["IT.XX.USUBJID", "IT.XX.XXSEQ"]
    assert refs[0].get("KeySequence") == "1" and refs[0].get("Mandatory") == "Yes"
    item = mdv.find("odm:ItemDef[@OID='IT.XX.XXTERM']", NS)
    assert item.get("Length") == "12" and item.get("DataType") == "text"
    assert item.find("def:Origin", NS).get("Type") == "Collected"
    assert mdv.find("odm:ItemDef[@OID='IT.XX.XXDT']", NS).get(f"{{{NS['def']}}}DisplayFormat") == "DATE9."
    sex = mdv.find("odm:CodeList[@OID='CL.SEX']", NS)
    assert sex.find("odm:Alias", NS).get("Name") == "C66731"
    assert [i.get("CodedValue") for i in sex.findall("odm:CodeListItem", NS)] == ["F", "M", "U"]
    # only codelists used by the standard's datasets
    assert mdv.find("odm:CodeList[@OID='CL.NY']", NS) is None


def test_specs_export_command(mini_specs):
    assert main(["--study-dir", str(mini_specs), "specs", "export", "--xlsx", "specs/out.xlsx"]) == 0
    first = (mini_specs / "specs" / "out.xlsx").read_bytes()
    define = (mini_specs / "sdtm" / "define.xml").read_bytes()
    assert main(["--study-dir", str(mini_specs), "specs", "export", "--xlsx", "specs/out.xlsx"]) == 0
    assert (mini_specs / "specs" / "out.xlsx").read_bytes() == first  # deterministic bytes
    assert (mini_specs / "sdtm" / "define.xml").read_bytes() == define
    wb = load_workbook(mini_specs / "specs" / "out.xlsx")
    assert wb.sheetnames == ["Datasets", "Variables", "Codelists", "Methods"]
    rows = list(wb["Variables"].iter_rows(min_row=2, values_only=True))
    assert rows[2][:6] == ("XX", 3, "SEX", "Sex", "text", 1) and rows[2][7] == "SEX"


def test_export_refuses_path_outside_study(mini_specs, capsys):
    assert main(["--study-dir", str(mini_specs), "specs", "export", "--xlsx", "../evil.xlsx"]) == 2
    assert "leaves the study folder" in capsys.readouterr().err
