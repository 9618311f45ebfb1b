"""What a run imports: `--version` and a run whose files are all filtered out load neither libcst nor the analysis.

Measured in a real `python -X importtime -m rnnlint` process of this checkout,
so a top-level import added anywhere on these paths fails here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("libcst", "rnnlint.analysis", "rnnlint.rules", "rnnlint.fixes", "tensorflow", "keras")
PARALLEL = ("multiprocessing", "concurrent.futures")


def imported(*args: str, cwd: Path) -> set[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "rnnlint", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", done.stderr, flags=re.MULTILINE))


def loaded(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


def test_version_imports_only_the_cli(tmp_path):
    modules = imported("--version", cwd=tmp_path)
    assert "rnnlint.cli" in modules
    assert loaded(modules, HEAVY + PARALLEL + ("rnnlint.api",)) == []


def test_a_run_where_every_file_is_filtered_out_does_not_load_the_analysis(tmp_path):
    (tmp_path / "plain.py").write_text("import os\n\nprint(os.getcwd())\n")
    (tmp_path / "notes.py").write_text("# coding: latin-1\nnom = 'Søren'\n", encoding="latin-1")
    modules = imported(str(tmp_path), cwd=tmp_path)
    assert "rnnlint.prefilter" in modules
    assert loaded(modules, HEAVY + PARALLEL) == []


def test_a_clean_keras_file_loads_the_analysis_but_not_libcst(tmp_path):
    (tmp_path / "model.py").write_text(
        "import keras\nx = keras.layers.LSTM(8, return_sequences=True)(keras.Input((5, 3)))\n"
    )
    modules = imported("--no-cache", str(tmp_path / "model.py"), cwd=tmp_path)
    assert "rnnlint.analysis.interpret" in modules  # the check above is not vacuous
    assert loaded(modules, ("libcst", "tensorflow", "keras") + PARALLEL) == []
