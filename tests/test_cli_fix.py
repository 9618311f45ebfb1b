"""The CLI as users run it (a subprocess on this checkout): --fix, --diff, --fix-only, --show-fixes,
--unsafe-fixes, --add-noqa, configuration files and --show-settings."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest

from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
GOLDENS = Path(__file__).parent / "fixtures" / "fix"

BROKEN = (
    "import keras\n"
    "from keras import layers\n"
    "\n"
    "inputs = keras.Input(shape=(None, 8))\n"
    "encoder = layers.LSTM(16)  # forgot return_state\n"
    "out, h, c = encoder(inputs)\n"
    "shared = layers.GRU(4)\n"
    "a, b = shared(inputs)\n"
    "other = shared(keras.Input(shape=(None, 8)))\n"
)
# Line 6: RNN101 with a safe fix.  Line 8: RNN101 whose fix is unsafe (`shared` is called twice).


def rnnlint(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return run_cli(*args, cwd=cwd, stdin=stdin, env={"NO_COLOR": "1"})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "model.py").write_text(BROKEN)
    return tmp_path


def test_check_reports_fixability(project: Path):
    result = rnnlint(".", cwd=project)
    assert result.returncode == 1
    assert "model.py:6:1: RNN101 [*]" in result.stdout
    assert "model.py:8:1: RNN101 GRU" in result.stdout  # unsafe: no [*]
    assert "[*] 1 fixable with the `--fix` option." in result.stdout
    assert "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)" in result.stdout


def test_fix_writes_safe_fixes_and_reports_what_remains(project: Path):
    (project / "model.py").chmod(0o640)
    result = rnnlint("--fix", ".", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "Found 2 errors (1 fixed, 1 remaining)." in result.stdout
    assert "model.py:8:1: RNN101" in result.stdout
    text = (project / "model.py").read_text()
    assert "encoder = layers.LSTM(16, return_state=True)  # forgot return_state\n" in text
    assert "shared = layers.GRU(4)\n" in text
    assert text.replace(", return_state=True", "") == BROKEN
    assert stat.S_IMODE((project / "model.py").stat().st_mode) == 0o640
    assert sorted(p.name for p in project.iterdir()) == ["model.py"]
    # Idempotent: a second run fixes nothing more.
    again = rnnlint("--fix", ".", cwd=project)
    assert "fixed" not in again.stdout
    assert (project / "model.py").read_text() == text


def test_unsafe_fixes(project: Path):
    result = rnnlint("--fix", "--unsafe-fixes", ".", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Found 2 errors (2 fixed, 0 remaining)." in result.stdout
    assert "shared = layers.GRU(4, return_state=True)\n" in (project / "model.py").read_text()


def test_unsafe_fixes_mark_findings_fixable(project: Path):
    result = rnnlint("--unsafe-fixes", ".", cwd=project)
    assert "model.py:8:1: RNN101 [*]" in result.stdout
    assert "[*] 2 fixable with the `--fix` option." in result.stdout
    assert "hidden" not in result.stdout


def test_diff_writes_nothing_and_exits_1(project: Path):
    result = rnnlint("--diff", ".", cwd=project)
    assert result.returncode == 1
    assert (project / "model.py").read_text() == BROKEN
    assert "--- model.py\n+++ model.py\n" in result.stdout  # no ./ when linting .
    assert "-encoder = layers.LSTM(16)  # forgot return_state\n" in result.stdout
    assert "+encoder = layers.LSTM(16, return_state=True)  # forgot return_state\n" in result.stdout
    assert "Would fix 1 error." in result.stderr


def test_diff_on_clean_code_exits_0(tmp_path: Path):
    (tmp_path / "ok.py").write_text("from keras.layers import LSTM\nout, h, c = LSTM(8, return_state=True)(x)\n")
    result = rnnlint("--diff", ".", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == ""


def test_fix_only_reports_only_what_was_fixed(project: Path):
    result = rnnlint("--fix-only", "--show-fixes", ".", cwd=project)
    assert result.returncode == 0
    assert "RNN101 GRU" not in result.stdout  # remaining findings are not listed
    assert "Fixed 1 error:\n- model.py:\n    1 × RNN101 (unpack-arity)\n" in result.stdout
    assert "Fixed 1 error.\n" in result.stdout


def test_show_fixes_without_fix_lists_available_fixes(project: Path):
    result = rnnlint("--show-fixes", ".", cwd=project)
    assert "  fix (safe): Set `return_state=True` on LSTM (line 5)" in result.stdout
    assert "  fix (unsafe): Set `return_state=True` on GRU (line 7)" in result.stdout


def test_fix_from_stdin_prints_the_fixed_source(tmp_path: Path):
    result = rnnlint("--fix", "-", cwd=tmp_path, stdin=BROKEN)
    assert result.stdout == BROKEN.replace("layers.LSTM(16)", "layers.LSTM(16, return_state=True)")
    assert "RNN101" in result.stderr  # the report goes to stderr


def test_fix_keeps_crlf_bom_and_latin1_files(tmp_path: Path):
    for name in ("crlf_line_endings", "utf8_bom", "latin1_coding"):
        (tmp_path / f"{name}.py").write_bytes((GOLDENS / f"{name}.before.py").read_bytes())
    result = rnnlint("--fix", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("crlf_line_endings", "utf8_bom", "latin1_coding"):
        assert (tmp_path / f"{name}.py").read_bytes() == (GOLDENS / f"{name}.after.py").read_bytes()


def test_fix_leaves_an_unparsable_file_alone(tmp_path: Path):
    broken = "from keras.layers import LSTM\nout, h, c = LSTM(8)(x\n"
    (tmp_path / "bad.py").write_text(broken)
    result = rnnlint("--fix", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "RNN001" in result.stdout
    assert (tmp_path / "bad.py").read_text() == broken


def test_json_output_carries_fixes(project: Path):
    result = rnnlint("--output-format", "json", ".", cwd=project)
    data = json.loads(result.stdout)
    fixes = {d["location"]["row"]: d["fix"] for d in data}
    safe, unsafe = fixes[6], fixes[8]
    assert safe["applicability"] == "safe" and unsafe["applicability"] == "unsafe"
    assert safe["message"] == "Set `return_state=True` on LSTM (line 5)"
    assert safe["edits"] == [
        {"content": ", return_state=True", "location": {"row": 5, "column": 25}, "end_location": {"row": 5, "column": 25}}
    ]


def test_add_noqa_then_check_is_clean(project: Path):
    result = rnnlint("--add-noqa", ".", cwd=project)
    assert result.returncode == 0
    assert "Added 2 noqa directives." in result.stderr
    text = (project / "model.py").read_text()
    assert "out, h, c = encoder(inputs)  # noqa: RNN101\n" in text
    assert rnnlint(".", cwd=project).returncode == 0
    # RNN002 agrees the new directives are used.
    assert rnnlint("--extend-select", "RNN002", ".", cwd=project).returncode == 0
    assert rnnlint("--add-noqa", ".", cwd=project).stderr.startswith("Added 0 noqa directives.")


# --- configuration through the CLI ----------------------------------------------------------


def test_unknown_key_is_a_one_line_error(project: Path):
    (project / "pyproject.toml").write_text('[tool.rnnlint]\nselect = ["RNN1"]\nretrun-state = true\n')
    result = rnnlint(".", cwd=project)
    assert result.returncode == 2
    assert result.stderr == "rnnlint: error: pyproject.toml: [tool.rnnlint]: unknown key 'retrun-state' (known keys: " + (
        "select, extend-select, ignore, per-file-ignores, exclude, extend-exclude, respect-gitignore, "
        "target-keras, output-format, fix, unsafe-fixes, file-timeout, max-file-size)\n"
    )
    assert result.stdout == ""


def test_wrong_type_in_a_nested_config_stops_the_run_before_writing(project: Path):
    (project / "sub").mkdir()
    (project / "sub" / "rnnlint.toml").write_text("unsafe-fixes = \"yes\"\n")
    (project / "sub" / "m.py").write_text(BROKEN)
    result = rnnlint("--fix", ".", cwd=project)
    assert result.returncode == 2
    assert "sub/rnnlint.toml: key 'unsafe-fixes' must be true or false, got a string" in result.stderr
    assert "Traceback" not in result.stderr
    assert (project / "model.py").read_text() == BROKEN
    assert (project / "sub" / "m.py").read_text() == BROKEN


def test_config_file_then_command_line(project: Path):
    (project / "pyproject.toml").write_text('[tool.rnnlint]\nignore = ["RNN101"]\noutput-format = "json"\n')
    assert json.loads(rnnlint(".", cwd=project).stdout) == []
    result = rnnlint("--extend-select", "RNN101", "--output-format", "text", ".", cwd=project)
    assert "RNN101" in result.stdout and result.returncode == 1
    assert rnnlint("--isolated", "--output-format", "text", ".", cwd=project).returncode == 1


def test_fix_and_unsafe_fixes_from_the_config(project: Path):
    (project / "pyproject.toml").write_text("[tool.rnnlint]\nfix = true\nunsafe-fixes = true\n")
    assert rnnlint("--no-fix", ".", cwd=project).returncode == 1
    assert (project / "model.py").read_text() == BROKEN
    result = rnnlint(".", cwd=project)
    assert "(2 fixed, 0 remaining)" in result.stdout


def test_per_file_ignores_and_exclude(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.rnnlint]\nextend-exclude = ["generated"]\n[tool.rnnlint.per-file-ignores]\n"tests/*" = ["RNN101"]\n'
    )
    for folder in ("src", "tests", "generated"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "m.py").write_text(BROKEN)
    result = rnnlint(".", cwd=tmp_path)
    assert "src/m.py:6:1: RNN101" in result.stdout
    assert "tests/m.py" not in result.stdout
    assert "generated" not in result.stdout
    # A file named explicitly is linted even when excluded (as in ruff); per-file-ignores still apply.
    assert "generated/m.py:6:1" in rnnlint("generated/m.py", cwd=tmp_path).stdout
    assert rnnlint("tests/m.py", cwd=tmp_path).returncode == 0


def test_show_settings_says_where_each_value_came_from(project: Path):
    (project / "pyproject.toml").write_text(
        '[project]\nname = "p"\ndependencies = ["tensorflow<2.16"]\n[tool.rnnlint]\nselect = ["RNN1"]\n'
    )
    result = rnnlint("--show-settings", "--ignore", "RNN104", "model.py", cwd=project)
    assert result.returncode == 0
    out = result.stdout
    assert "Configuration file: pyproject.toml [tool.rnnlint]" in out
    assert 'select            = ["RNN1"]                 # pyproject.toml [tool.rnnlint]' in out
    assert 'ignore            = ["RNN104"]               # command line' in out
    assert "target-keras      = 2                        # inferred from pyproject.toml:3: tensorflow<2.16" in out
    assert "Enabled rules: RNN001, RNN101, RNN102, RNN103\n" in out


def test_explicit_config_path(project: Path):
    (project / "strict.toml").write_text('select = ["RNN2"]\n')
    assert rnnlint("--config", "strict.toml", ".", cwd=project).returncode == 0
    missing = rnnlint("--config", "nope.toml", ".", cwd=project)
    assert missing.returncode == 2 and "nope.toml: cannot read" in missing.stderr
