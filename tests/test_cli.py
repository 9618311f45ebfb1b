"""The command line as users drive it: exit codes, formats, selection, stdin, discovery."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli

BUGGY = "from keras.layers import LSTM\nout, h, c = LSTM(8)(x)\n"
CLEAN = "from keras.layers import LSTM\nout, h, c = LSTM(8, return_state=True)(x)\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "buggy.py").write_text(BUGGY)
    (tmp_path / "pkg" / "clean.py").write_text(CLEAN)
    return tmp_path


def test_findings_exit_1_with_ruff_like_lines(tree):
    result = run_cli(str(tree / "pkg"))
    assert result.returncode == 1
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"{tree / 'pkg' / 'buggy.py'}:2:1: RNN101 [*] LSTM (line 2, column 13) returns 1 tensor")
    assert "Found 1 error." in result.stdout
    assert "\x1b[" not in result.stdout  # not a TTY: no colour


def test_clean_exit_0(tree):
    result = run_cli(str(tree / "pkg" / "clean.py"))
    assert result.returncode == 0, result.stdout
    assert "All checks passed!" in result.stdout


def test_exit_zero_and_quiet(tree):
    result = run_cli(str(tree), "--exit-zero", "--quiet")
    assert result.returncode == 0
    assert "Found" not in result.stdout
    assert "RNN101" in result.stdout


def test_json_output_is_shaped_like_ruffs(tree):
    result = run_cli(str(tree / "pkg" / "buggy.py"), "--output-format", "json")
    assert result.returncode == 1
    (item,) = json.loads(result.stdout)
    assert item["code"] == "RNN101"
    assert item["filename"].endswith("buggy.py")
    assert item["location"] == {"row": 2, "column": 1}
    assert item["end_location"] == {"row": 2, "column": 23}
    assert item["severity"] == "error"
    assert item["url"] == "https://rnnlint.github.io/rnnlint/rules/rnn101/"
    edit = item["fix"]["edits"][0]
    assert item["fix"]["applicability"] == "safe"
    assert edit == {"content": ", return_state=True", "location": {"row": 2, "column": 19}, "end_location": {"row": 2, "column": 19}}


def test_stdin_with_filename():
    result = run_cli("-", "--stdin-filename", "model.py", stdin=BUGGY)
    assert result.returncode == 1
    assert result.stdout.startswith("model.py:2:1: RNN101")


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ((), True),
        (("--ignore", "RNN101"), False),
        (("--ignore", "RNN1"), False),
        (("--select", "RNN2"), False),
        (("--select", "RNN2", "--extend-select", "RNN101"), True),
        (("--select", "ALL", "--ignore", "RNN1"), False),
        (("--ignore", "RNN1", "--extend-select", "RNN101"), True),
    ],
)
def test_selection(tree, flags, expected):
    result = run_cli(str(tree / "pkg" / "buggy.py"), *flags)
    assert ("RNN101" in result.stdout) is expected, result.stdout


def test_unknown_selector_is_a_usage_error(tree):
    result = run_cli(str(tree), "--select", "RNN999")
    assert result.returncode == 2
    assert "unknown rule selector 'RNN999'" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path_is_reported_and_the_run_goes_on(tree):
    result = run_cli(str(tree / "nope.py"), str(tree / "pkg"))
    assert result.returncode == 2
    assert f"{tree / 'nope.py'}:1:1: RNN001 cannot read file: No such file or directory" in result.stdout
    assert "buggy.py:2:1: RNN101" in result.stdout


def test_syntax_error_reported_and_run_continues(tree):
    (tree / "pkg" / "broken.py").write_text("from keras.layers import LSTM\nx = LSTM(8\n")
    result = run_cli(str(tree / "pkg"))
    assert result.returncode == 2
    assert "broken.py:2:9: RNN001 syntax error: '(' was never closed" in result.stdout
    assert "buggy.py:2:1: RNN101" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_statistics(tree):
    result = run_cli(str(tree), "--statistics")
    assert result.stdout.split("\t")[:2] == ["1", "RNN101"]


def test_show_source_draws_carets(tree):
    result = run_cli(str(tree / "pkg" / "buggy.py"), "--show-source")
    assert "2 | out, h, c = LSTM(8)(x)" in result.stdout
    assert "  | " + "^" * 22 in result.stdout


def test_default_excludes_and_gitignore(tree):
    for excluded in (".venv/lib", "build", "node_modules/x", "__pycache__", "ignored_dir"):
        (tree / excluded).mkdir(parents=True)
        (tree / excluded / "bad.py").write_text(BUGGY)
    (tree / ".git").mkdir()
    (tree / ".gitignore").write_text("ignored_dir/\n*_generated.py\n")
    (tree / "pkg" / "model_generated.py").write_text(BUGGY)
    result = run_cli(str(tree))
    reported = {line.split(":")[0] for line in result.stdout.splitlines() if "RNN101" in line}
    assert reported == {str(tree / "pkg" / "buggy.py")}


def test_explicit_file_is_linted_even_if_ignored(tree):
    (tree / ".gitignore").write_text("*.py\n")
    result = run_cli(str(tree / "pkg" / "buggy.py"))
    assert "RNN101" in result.stdout


def test_rule_command_prints_documentation():
    result = run_cli("rule", "RNN201")
    assert result.returncode == 0
    assert "# last-step-to-sequence-consumer (RNN201)" in result.stdout
    assert "## Why is this bad?" in result.stdout
    listing = run_cli("rule", "--all")
    assert "RNN101   unpack-arity" in listing.stdout
    unknown = run_cli("rule", "RNN999")
    assert unknown.returncode == 2


def test_version():
    from rnnlint import __version__

    result = run_cli("--version")
    assert result.stdout.strip() == f"rnnlint {__version__}"


def test_check_subcommand_is_the_default(tree):
    assert run_cli("check", str(tree)).stdout == run_cli(str(tree)).stdout


def test_linting_never_runs_the_code(tmp_path):
    marker = tmp_path / "marker"
    target = tmp_path / "side_effects.py"
    target.write_text(
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('ran')\n"
        "from keras.layers import LSTM\n"
        "out, h, c = LSTM(8)(x)\n"
    )
    result = run_cli(str(target))
    assert "RNN101" in result.stdout
    assert not marker.exists()


def test_plain_linting_imports_no_deep_learning_framework(tree):
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['rnnlint', {str(tree)!r}]\n"
        "try:\n    runpy.run_module('rnnlint', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras', 'torch', 'jax'))\n"
        "print('HEAVY', heavy)\n"
    )
    import subprocess

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr
