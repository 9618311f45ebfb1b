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
        [sys.executable, "-m", "rnnlint", *args],
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


# --- item 19: what still raised a traceback ---------------------------------------------------


def no_traceback(result: subprocess.CompletedProcess) -> str:
    output = (result.stdout + result.stderr).decode("utf-8", "backslashreplace")
    assert "Traceback" not in output and "internal error" not in output, output
    return output


def test_a_five_thousand_digit_version_in_dependencies(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "x"\ndependencies = ["tensorflow<2.{"1" * 5000}", "keras<{"0" * 5000}3"]\n'
    )
    (tmp_path / "bug.py").write_text(BUGGY)
    result = rnnlint("--show-settings", ".", cwd=tmp_path)
    assert result.returncode == 0
    assert "target-keras      = 2" in no_traceback(result)  # keras<0...03 is keras<3, zeros and all
    result = rnnlint(".", cwd=tmp_path)
    assert result.returncode == 1 and b"RNN101" in result.stdout, no_traceback(result)


@pytest.mark.parametrize("occurrence", ["1e400", "1.5", "true", '"x"', "[]"])
def test_a_baseline_entry_whose_occurrence_is_no_count(tmp_path: Path, occurrence: str) -> None:
    (tmp_path / "bug.py").write_text(BUGGY)
    (tmp_path / "baseline.json").write_text(
        '{"version": 1, "entries": [{"file": "bug.py", "code": "RNN101", "fingerprint": "x", '
        f'"occurrence": {occurrence}}}]}}'
    )
    result = rnnlint("--baseline", "baseline.json", "bug.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "malformed baseline entry" in one_line(result.stderr)


def test_write_baseline_with_a_lone_surrogate_in_a_layer_name(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(
        'from keras.layers import LSTM\nout, h, c = LSTM(8, name="\\udcff\\ud800")(x)\n', encoding="utf-8"
    )
    result = rnnlint("--write-baseline", "--baseline", "baseline.json", "model.py", cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 0
    json.loads((tmp_path / "baseline.json").read_bytes().decode("utf-8"))  # strict UTF-8 and JSON
    result = rnnlint("--baseline", "baseline.json", "model.py", cwd=tmp_path)
    assert result.returncode == 0, no_traceback(result)


def test_write_baseline_with_an_undecodable_file_name(tmp_path: Path) -> None:
    name = b"model\xff.py"
    try:
        with open(os.path.join(os.fsencode(tmp_path), name), "w") as handle:
            handle.write(BUGGY)
    except (OSError, ValueError):
        pytest.skip("the file system refuses names that are not UTF-8")
    result = rnnlint("--write-baseline", "--baseline", "baseline.json", ".", cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 0
    recorded = json.loads((tmp_path / "baseline.json").read_bytes().decode("utf-8"))
    assert [entry["file"] for entry in recorded["entries"]] == ["model\udcff.py"]
    result = rnnlint("--baseline", "baseline.json", ".", cwd=tmp_path)
    assert result.returncode == 0, no_traceback(result)  # the entry matches the file it came from
    assert rnnlint(".", cwd=tmp_path).returncode == 1


@pytest.mark.parametrize("entry", [{"raised": 5}, [], {"setup_error": "x"}, {"confirmations": [1]}, "x", None])
def test_a_malformed_confirm_cache_entry_is_run_again_not_judged(tmp_path: Path, entry: object) -> None:
    from rnnlint.confirm.runner import CACHE_FILE, CACHE_FORMAT, Cache

    (tmp_path / CACHE_FILE).write_text(json.dumps({"format": CACHE_FORMAT, "entries": {"key": entry}}))
    assert Cache(tmp_path).get("key") is None
    good = {"id": 1, "setup_error": None, "raised": {"type": "ValueError", "message": "m"}, "confirmations": []}
    (tmp_path / CACHE_FILE).write_text(json.dumps({"format": CACHE_FORMAT, "entries": {"key": good}}))
    assert Cache(tmp_path).get("key") == good


@pytest.mark.parametrize("document", ["[]", "5", '"x"', "null"])
def test_a_confirm_cache_that_is_not_an_object_is_ignored(tmp_path: Path, document: str) -> None:
    from rnnlint.confirm.runner import CACHE_FILE, Cache

    (tmp_path / CACHE_FILE).write_text(document)
    assert Cache(tmp_path).entries == {}


@pytest.mark.parametrize("seconds", ["inf", "1e308", "1e10"])
def test_a_file_timeout_too_long_for_the_timer_is_no_limit(tmp_path: Path, seconds: str) -> None:
    (tmp_path / "bug.py").write_text(BUGGY)
    result = rnnlint("--file-timeout", seconds, "bug.py", cwd=tmp_path)
    assert result.returncode == 1 and b"bug.py:2:1: RNN101" in result.stdout, no_traceback(result)
    (tmp_path / "rnnlint.toml").write_text(f"file-timeout = {seconds}\n")
    result = rnnlint("bug.py", cwd=tmp_path)
    assert result.returncode == 1 and b"bug.py:2:1: RNN101" in result.stdout, no_traceback(result)


def test_a_five_thousand_digit_units_literal_is_an_unknown_size(tmp_path: Path) -> None:
    huge = "0x" + "F" * 5120
    (tmp_path / "model.py").write_text(
        "from keras.layers import LSTM, Input, Dense\n"
        f"inp = Input(shape=({huge}, 8))\n"
        "out, h, c = LSTM(8, return_state=True)(inp)\n"
        f"y = LSTM({huge}, unroll=True)(inp, initial_state=[h, c])\n"
        f"d = Dense({huge})(y)\n"
        f"z = LSTM({huge}, return_state=True)(inp)\n"
        "bad_h, bad_c = z\n"
    )
    result = rnnlint("--select", "ALL", "model.py", cwd=tmp_path)
    output = no_traceback(result)
    assert "RNN302" not in output  # an impossible size is not known: no width to compare
    assert "model.py:7:1: RNN101" in output  # and the rest of the file is still analysed


def test_graph_of_an_expression_thousands_deep(tmp_path: Path) -> None:
    deep = "+".join(["a"] * 2900)
    (tmp_path / "model.py").write_text(f"from keras.layers import LSTM\ny = LSTM(8, return_sequences=True)({deep})\n")
    result = rnnlint("graph", "model.py", cwd=tmp_path)
    assert result.returncode == 0, no_traceback(result)
    assert b"nested too deeply to show" in result.stdout
