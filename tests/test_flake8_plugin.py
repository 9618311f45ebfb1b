"""The flake8 plugin, run by real flake8 in a subprocess.

Two ways in: flake8's `local-plugins` configuration (always possible, and it
loads this checkout's plugin), and the installed `flake8.extension` entry point
(present once rnnlint is installed from this checkout with `pip install -e .`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from rnnlint import api
from rnnlint.settings import Settings

pytest.importorskip("flake8", reason="flake8 is not installed (the test extra)")

ROOT = Path(__file__).resolve().parent.parent
BUGGY = """\
import keras
from keras import layers

inputs = keras.Input(shape=(20, 8))
encoder = layers.LSTM(64)
out, h, c = encoder(inputs)
x = layers.GRU(16)(inputs)
y = layers.RepeatVector(3)(x)
attention = layers.Attention()([x, x])
"""


def _flake8(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "flake8", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def _local_plugin(tmp_path: Path) -> None:
    """Point flake8 at this checkout's plugin, unless the installed entry point already loads it (twice would
    report everything twice)."""
    if _entry_point() is not None:
        return
    (tmp_path / ".flake8").write_text(
        f"[flake8:local-plugins]\nextension =\n    RNN = rnnlint.flake8_plugin:Plugin\npaths = {ROOT}\n"
    )


def _expected(path: Path, text: str) -> list[str]:
    """What flake8 should print: rnnlint's findings in flake8's `path:row:col: CODE message` form."""
    return [
        f"{path.name}:{d.location.row}:{d.location.column}: {d.code} {d.message}"
        for d in api.lint_source(text, str(path), Settings())
    ]


def test_flake8_reports_the_rnn_codes(tmp_path: Path) -> None:
    _local_plugin(tmp_path)
    (tmp_path / "model.py").write_text(BUGGY)
    expected = _expected(tmp_path / "model.py", BUGGY)
    assert len(expected) >= 2 and expected[0].startswith("model.py:6:1: RNN101 LSTM 'encoder' (line 5)")
    result = _flake8(tmp_path, "--select", "RNN", "model.py")
    assert result.stderr == ""
    assert result.stdout.splitlines() == expected
    assert result.returncode == 1


def test_flake8_conventions_select_ignore_and_noqa(tmp_path: Path) -> None:
    _local_plugin(tmp_path)
    text = BUGGY.replace("out, h, c = encoder(inputs)", "out, h, c = encoder(inputs)  # noqa: RNN101")
    (tmp_path / "model.py").write_text(text)
    codes = [line.split()[1] for line in _flake8(tmp_path, "--select", "RNN", "model.py").stdout.splitlines()]
    assert codes and "RNN101" not in codes  # flake8's own noqa handling (and ours) silences it
    (tmp_path / "model.py").write_text(BUGGY)
    codes = [line.split()[1] for line in _flake8(tmp_path, "--select", "RNN", "--extend-ignore", "RNN101", "model.py").stdout.splitlines()]
    assert codes and "RNN101" not in codes
    # Selected alongside flake8's own codes (pyflakes: `h` and `c` are never used... at module level they are
    # not reported, so add an unused import), ours keep their place in its output.
    (tmp_path / "model.py").write_text("import os\n" + BUGGY)
    both = _flake8(tmp_path, "--select", "RNN,F", "model.py").stdout.splitlines()
    assert both[0] == "model.py:1:1: F401 'os' imported but unused"
    assert both[1:] == _expected(tmp_path / "model.py", "import os\n" + BUGGY)


def test_the_project_configuration_applies_under_flake8(tmp_path: Path) -> None:
    _local_plugin(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.rnnlint]\nignore = ["RNN101"]\n')
    (tmp_path / "model.py").write_text(BUGGY)
    lines = _flake8(tmp_path, "--select", "RNN", "model.py").stdout.splitlines()
    assert lines and not any(" RNN101 " in line for line in lines)


def test_clean_code_and_other_files_are_silent(tmp_path: Path) -> None:
    _local_plugin(tmp_path)
    (tmp_path / "clean.py").write_text(BUGGY.replace("LSTM(64)", "LSTM(64, return_state=True)").split("x = ")[0])
    (tmp_path / "plain.py").write_text("import os\nprint(os.getcwd())\n")
    result = _flake8(tmp_path, "--select", "RNN", "clean.py", "plain.py")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def _entry_point() -> metadata.EntryPoint | None:
    found = [ep for ep in metadata.entry_points(group="flake8.extension") if ep.name == "RNN"]
    return found[0] if found else None


@pytest.mark.skipif(
    _entry_point() is None or _entry_point().value != "rnnlint.flake8_plugin:Plugin",
    reason="the flake8.extension entry point RNN is not installed (pip install -e . registers it)",
)
def test_the_installed_entry_point(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(BUGGY)
    result = _flake8(tmp_path, "--select", "RNN", "model.py")
    assert result.stdout.splitlines() == _expected(tmp_path / "model.py", BUGGY)
    versions = _flake8(tmp_path, "--version").stdout
    assert "rnnlint" in versions
