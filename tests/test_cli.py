import subprocess
import sys

import pytest
from click.testing import CliRunner

from trialflow.cli import cli, main

COMMANDS = ["simulate", "sdtm", "adam", "tlf", "validate", "run", "specs"]


def test_help_lists_commands():
    out = CliRunner().invoke(cli, ["--help"])
    assert out.exit_code == 0
    for name in COMMANDS:
        assert name in out.output


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_has_help(name):
    out = CliRunner().invoke(cli, [name, "--help"])
    assert out.exit_code == 0 and "Usage:" in out.output


def test_usage_error_exits_2(capsys):
    assert main(["sdtm", "--no-such-option"]) == 2


def test_missing_study_is_one_line_exit_2(tmp_path, capsys):
    assert main(["--study-dir", str(tmp_path), "specs", "check"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: no specs/study.yaml here")
    assert "Traceback" not in "".join(err)


def test_console_script_exit_code(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "trialflow.cli", "--study-dir", str(tmp_path), "adam"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
