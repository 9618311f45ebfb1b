"""scripts/bench.py still runs end to end (tiny trees, one repetition): the benchmark cannot rot unnoticed.

No timing is asserted: this is a smoke test of the script, not a performance test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_quick_runs_and_writes_its_report(tmp_path):
    results = tmp_path / "results"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "bench.py"),
            "--quick",
            "--repeat=1",
            "--latency-repeat=1",
            "--mixed-limit=30",
            "--keras-files=8",
            "--sizes=4,8",
            "--server-rounds=2",
            "--project-modules=12",
            "--zoo-files=60",
            "--tools=ruff",  # pylint takes seconds per run; its rows go through the same code
            f"--work-dir={tmp_path / 'work'}",
            f"--results={results}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = (results / "report.md").read_text()
    for heading in (
        "## Targets",
        "## (a) Mixed tree",
        "## (b) All-Keras tree",
        "## (d) Multi-module project",
        "## Single-file latency",
        "## Scaling",
    ):
        assert heading in report
    assert "| rnnlint --no-cache (cold) |" in report
    if find_spec("pygls") is not None:  # the server scenario: a real LSP session against `rnnlint server`
        assert "## Editor latency: `rnnlint server`" in report
        assert "| diagnostics after a change (2 changes) |" in report
    assert "| python -m rnnlint --version |" in report
    if shutil.which("git") is not None:  # the model-zoo checkout (issue 19) is a real git repository
        assert "## (e) Model-zoo checkout" in report
        assert "| model-zoo checkout, cold: rnnlint / ruff E9 --no-cache (issue 19) |" in report
    # The generated files' planted bugs are what rnnlint finds (and none hidden by a .gitignore): the
    # benchmark times real work.
    assert report.count("(as planted)") == (4 if shutil.which("git") else 3), report
    samples = json.loads((results / "samples.json").read_text())
    cold = next(r for r in samples["scenarios"]["keras"]["results"] if r["label"] == "rnnlint --no-cache (cold)")
    assert len(cold["samples"]) == 1 and cold["samples"][0]["returncode"] == 1 and cold["samples"][0]["cpu"] > 0
    assert sorted(samples["scenarios"]["scaling"]["points"]) == ["4", "8"]
    assert (results / "scaling.md").exists()
    assert not (tmp_path / "work").exists()  # the corpora are cleaned up
