"""`rnnlint server` on the command line: its help, and one clear line when the lsp extra is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )


def test_server_help() -> None:
    done = _run("import sys; from rnnlint.cli import main; sys.exit(main(['server', '--help']))")
    assert done.returncode == 0
    assert "usage: rnnlint server" in done.stdout and "rnnlint[lsp]" in done.stdout


def test_without_pygls_one_line_and_exit_code_2() -> None:
    # pygls made unimportable in this process only, as if the lsp extra were not installed.
    done = _run("import sys; sys.modules['pygls'] = None; from rnnlint.cli import main; sys.exit(main(['server']))")
    assert done.returncode == 2
    assert done.stderr == "rnnlint: error: `rnnlint server` needs pygls: pip install 'rnnlint[lsp]'\n"
    assert done.stdout == ""
