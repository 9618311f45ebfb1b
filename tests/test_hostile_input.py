"""A repository (or a command line) written by an attacker: what rnnlint reads, walks and prints stays safe.

Each test here failed before its fix (issue 15): an option-named file obeyed, a
FIFO or /dev/zero read forever, a symlink to `/` walked, control characters and
`::` workflow commands copied into the output, patterns that backtrack for
minutes, tracebacks instead of one line, git's user configuration deciding what
`--diff-base` gates.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

BUGGY = "from keras.layers import LSTM\nout, h, c = LSTM(8)(x)\n"
CLEAN = "from keras.layers import LSTM\nout, h, c = LSTM(8, return_state=True)(x)\n"


def rnnlint(*args: str | bytes, cwd: Path, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run this checkout's CLI; output kept as bytes (a hostile file name need not be UTF-8)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "rnnlint", "--no-cache", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=environment,
        timeout=timeout,
    )


def one_line(error: bytes) -> str:
    """stderr of a refused run: exactly one line, no traceback."""
    text = error.decode("utf-8", "backslashreplace")
    assert "Traceback" not in text, text
    assert len(text.strip().splitlines()) == 1, text
    return text


# --- item 16: every argument after `--` is a path ------------------------------------------


def test_an_option_named_file_after_double_dash_is_a_path(tmp_path: Path) -> None:
    victim = tmp_path / "victim.py"
    victim.write_text(CLEAN)
    (tmp_path / "--output-file=victim.py").write_text(BUGGY)
    result = rnnlint("--fix", "--", "--output-file=victim.py", "victim.py", cwd=tmp_path)
    assert victim.read_text() == CLEAN, result
    assert (tmp_path / "--output-file=victim.py").read_text() == CLEAN  # linted and fixed as the path it is
    # After a path too (argparse alone refuses `a.py -- -o x`): `-o` is a file that does not exist.
    result = rnnlint("victim.py", "--", "-o", cwd=tmp_path)
    assert result.returncode == 2, result
    assert result.stdout.startswith(b"-o:1:1: RNN001 cannot read file: No such file or directory\n"), result


def test_the_hook_entries_end_their_options() -> None:
    manifest = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    entries = [line.split(":", 1)[1].strip() for line in manifest.splitlines() if line.strip().startswith("entry:")]
    assert entries and all(entry.endswith(" --") for entry in entries), entries


# --- item 18: FIFOs and devices are refused in one line --------------------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    path = tmp_path / "pipe.py"
    os.mkfifo(path)
    return path


def test_a_fifo_named_on_the_command_line_is_refused(tmp_path: Path, fifo: Path) -> None:
    (tmp_path / "bug.py").write_text(BUGGY)
    result = rnnlint(fifo.name, "bug.py", cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert b"pipe.py:1:1: RNN001 cannot read file: not a regular file (a FIFO)" in result.stdout
    assert b"bug.py:2:1: RNN101" in result.stdout  # the run goes on


@pytest.mark.parametrize("option", ["--config", "--baseline"])
def test_a_fifo_or_device_as_config_or_baseline_is_refused(tmp_path: Path, fifo: Path, option: str) -> None:
    (tmp_path / "bug.py").write_text(BUGGY)
    for target, kind in ((str(fifo), "a FIFO"), ("/dev/zero", "a device")):
        if not os.path.exists(target):
            continue
        result = rnnlint(option, target, "bug.py", cwd=tmp_path, timeout=60)
        assert result.returncode == 2
        assert f"not a regular file ({kind})" in one_line(result.stderr)


def test_write_baseline_never_replaces_a_device(tmp_path: Path, fifo: Path) -> None:
    (tmp_path / "bug.py").write_text(BUGGY)
    result = rnnlint("--write-baseline", "--baseline", str(fifo), "bug.py", cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert "cannot write baseline: not a regular file (a FIFO)" in one_line(result.stderr)
    assert fifo.is_fifo()
