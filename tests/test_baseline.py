"""--baseline / --write-baseline: accept today's findings, gate only new ones."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent

LEGACY = (
    "from keras import layers\n"
    "\n"
    "encoder = layers.LSTM(8)\n"
    "out, h, c = encoder(x)\n"  # RNN101
    "decoder = layers.LSTM(8)\n"
    "y = layers.TimeDistributed(layers.Dense(3))(decoder(x))\n"  # RNN201
)
NEW_BUG = "gru = layers.GRU(4)\nz, state = gru(x)\n"  # RNN101 of another construction


def rnnlint(cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return run_cli("--output-format", "concise", *arguments, cwd=cwd)


def codes_and_rows(completed: subprocess.CompletedProcess[str]) -> list[str]:
    found = []
    for line in completed.stdout.splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[3].strip().startswith("RNN"):
            found.append(f"{Path(parts[0]).name}:{parts[1]} {parts[3].split()[0]}")
    return found


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "model.py").write_text(LEGACY, encoding="utf-8")
    (tmp_path / "src" / "other.py").write_text(LEGACY, encoding="utf-8")
    written = rnnlint(tmp_path, "--baseline", "rnnlint-baseline.json", "--write-baseline", "src")
    assert written.returncode == 0, written.stdout + written.stderr
    assert "wrote 4 baseline entries" in written.stderr
    return tmp_path


def test_writing_the_baseline_says_how_many_findings_it_recorded(project: Path) -> None:
    """Not "All checks passed!": the findings were accepted, not absent (issue 15, item 13)."""
    again = rnnlint(project, "--baseline", "rnnlint-baseline.json", "--write-baseline", "src")
    assert again.returncode == 0
    assert "All checks passed!" not in again.stdout
    assert again.stdout.splitlines()[-1] == (
        "Recorded 4 findings in the baseline rnnlint-baseline.json; only new findings are reported."
    )
    # A plain run against the baseline with nothing new does pass.
    assert "All checks passed!" in rnnlint(project, "--baseline", "rnnlint-baseline.json", "src").stdout


def test_the_baseline_file_is_reviewable(project: Path) -> None:
    text = (project / "rnnlint-baseline.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    entries = data["entries"]
    keys = [(e["file"], e["code"], e["fingerprint"], e["occurrence"]) for e in entries]
    assert keys == sorted(keys)
    assert {e["file"] for e in entries} == {"src/model.py", "src/other.py"}
    first = entries[0]
    assert set(first) >= {"file", "code", "fingerprint", "occurrence", "source", "message"}
    assert "line" not in first and "row" not in first  # positions are not part of the key
    rnn101 = next(e for e in entries if e["code"] == "RNN101")
    assert rnn101["source"] == "out, h, c = encoder(x)"


def test_a_clean_rerun_reports_nothing(project: Path) -> None:
    completed = rnnlint(project, "--baseline", "rnnlint-baseline.json", "src")
    assert completed.returncode == 0
    assert codes_and_rows(completed) == []
    assert completed.stderr == ""


def test_moving_lines_and_reformatting_keep_the_baseline_valid(project: Path) -> None:
    moved = '"""A docstring added on top."""\nimport os\n\n\n' + LEGACY.replace(
        "out, h, c = encoder(x)\n", "out, h, c = encoder(\n    x\n)\n"
    )
    (project / "src" / "model.py").write_text(moved, encoding="utf-8")
    assert codes_and_rows(rnnlint(project, "src")) == ["model.py:8 RNN101", "model.py:12 RNN201"] + [
        "other.py:4 RNN101",
        "other.py:6 RNN201",
    ]
    completed = rnnlint(project, "--baseline", "rnnlint-baseline.json", "src")
    assert codes_and_rows(completed) == []
    assert completed.returncode == 0


def test_a_new_finding_is_reported(project: Path) -> None:
    (project / "src" / "model.py").write_text("import os\n" + LEGACY + NEW_BUG, encoding="utf-8")
    completed = rnnlint(project, "--baseline", "rnnlint-baseline.json", "src")
    assert codes_and_rows(completed) == ["model.py:9 RNN101"]
    assert completed.returncode == 1


def test_a_duplicate_of_a_baselined_construction_is_new(project: Path) -> None:
    # A second, identical unpacking of the same layer: same code, same text, one more occurrence.
    (project / "src" / "model.py").write_text(LEGACY + "out, h, c = encoder(x)\n", encoding="utf-8")
    completed = rnnlint(project, "--baseline", "rnnlint-baseline.json", "src")
    assert codes_and_rows(completed) == ["model.py:7 RNN101"]


def test_entries_that_no_longer_occur_are_counted(project: Path) -> None:
    fixed = LEGACY.replace("layers.LSTM(8)\nout", "layers.LSTM(8, return_state=True)\nout")
    (project / "src" / "model.py").write_text(fixed, encoding="utf-8")
    completed = rnnlint(project, "--baseline", "rnnlint-baseline.json", "src")
    assert completed.returncode == 0
    assert "1 baseline entry no longer occurs" in completed.stderr
    # Linting only the other file says nothing about model.py's entries.
    only_other = rnnlint(project, "--baseline", "rnnlint-baseline.json", "src/other.py")
    assert only_other.stderr == ""
    # Rewriting prunes the entry and keeps the other file's.
    rnnlint(project, "--baseline", "rnnlint-baseline.json", "--write-baseline", "src/model.py")
    entries = json.loads((project / "rnnlint-baseline.json").read_text(encoding="utf-8"))["entries"]
    assert sorted((e["file"], e["code"]) for e in entries) == [
        ("src/model.py", "RNN201"),
        ("src/other.py", "RNN101"),
        ("src/other.py", "RNN201"),
    ]


def test_paths_are_relative_to_the_baseline_file(project: Path) -> None:
    completed = rnnlint(project / "src", "--baseline", "../rnnlint-baseline.json", ".")
    assert codes_and_rows(completed) == []
    assert completed.stderr == ""


def test_unreadable_files_are_never_baselined(project: Path) -> None:
    (project / "src" / "broken.py").write_text("from keras.layers import LSTM\nLSTM(8\n", encoding="utf-8")
    completed = rnnlint(project, "--baseline", "rnnlint-baseline.json", "--write-baseline", "src")
    assert codes_and_rows(completed) == ["broken.py:2 RNN001"]
    assert completed.returncode == 2
    assert "RNN001" not in (project / "rnnlint-baseline.json").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--baseline", "missing.json"], "no such baseline file"),
        (["--write-baseline"], "--write-baseline needs --baseline"),
        (["--baseline", "bad.json"], "not a JSON baseline file"),
        (["--baseline", "wrong.json"], "not an rnnlint baseline"),
        (["--baseline", "b.json", "--write-baseline", "--diff-base", "HEAD"], "cannot be combined"),
    ],
)
def test_bad_baseline_use_is_one_line_exit_2(project: Path, arguments: list[str], message: str) -> None:
    (project / "bad.json").write_text("{not json", encoding="utf-8")
    (project / "wrong.json").write_text('{"entries": []}', encoding="utf-8")
    completed = rnnlint(project, *arguments, "src")
    assert completed.returncode == 2
    assert message in completed.stderr
    assert completed.stderr.count("\n") == 1 and "Traceback" not in completed.stderr


def _notebook(*cells: str) -> str:
    return json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
                   "source": source} for i, source in enumerate(cells)],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    })


def test_notebook_entries_are_fingerprinted_on_their_cells_text(tmp_path: Path) -> None:
    header = "from keras import layers\n"
    first, second = "encoder = layers.LSTM(8)\nout, h, c = encoder(x)\n", "gru = layers.GRU(4)\nz, state = gru(x)\n"
    (tmp_path / "nb.ipynb").write_text(_notebook(header, first, second), encoding="utf-8")
    written = rnnlint(tmp_path, "--baseline", "b.json", "--write-baseline", "nb.ipynb")
    assert written.returncode == 0, written.stdout + written.stderr
    entries = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["entries"]
    assert sorted(e["source"] for e in entries) == ["out, h, c = encoder(x)", "z, state = gru(x)"]
    assert len({e["fingerprint"] for e in entries}) == 2
    # Cells moved around: still the same findings.
    (tmp_path / "nb.ipynb").write_text(_notebook(header, "import os\n", second, first), encoding="utf-8")
    assert codes_and_rows(rnnlint(tmp_path, "--baseline", "b.json", "nb.ipynb")) == []
    # One construction replaced by another with the same code: that one is new.
    third = "other = layers.LSTM(2)\na, b, c = other(x)\n"
    (tmp_path / "nb.ipynb").write_text(_notebook(header, third, second), encoding="utf-8")
    completed = rnnlint(tmp_path, "--baseline", "b.json", "nb.ipynb")
    assert completed.returncode == 1
    (finding,) = [line for line in completed.stdout.splitlines() if " RNN" in line]
    assert " RNN101 " in finding and "'other'" in finding
    assert "a, b, c = other(x)" not in (tmp_path / "b.json").read_text(encoding="utf-8")


def test_with_diff_base_entries_outside_the_diff_still_occur(project: Path) -> None:
    """Only the changed lines are gated; the baseline entries of unchanged code are not "no longer occurring"."""
    from tests.test_diff_base import git

    git(project, "-c", "init.defaultBranch=main", "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "legacy")
    (project / "src" / "other.py").write_text(LEGACY + NEW_BUG, encoding="utf-8")
    completed = rnnlint(project, "--baseline", "rnnlint-baseline.json", "--diff-base", "HEAD", "src")
    assert codes_and_rows(completed) == ["other.py:8 RNN101"]
    assert "no longer occur" not in completed.stderr, completed.stderr
    # A fixed finding inside the linted files is still counted, diff or not.
    (project / "src" / "model.py").write_text(LEGACY.replace("LSTM(8)\nout", "LSTM(8, return_state=True)\nout"))
    completed = rnnlint(project, "--baseline", "rnnlint-baseline.json", "--diff-base", "HEAD", "src")
    assert "1 baseline entry no longer occurs" in completed.stderr
