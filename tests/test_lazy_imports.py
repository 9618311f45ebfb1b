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


SERVER_ONLY = ("pygls", "lsprotocol", "cattrs", "rnnlint.server", "flake8", "rnnlint.flake8_plugin")


def test_linting_never_loads_the_language_server_or_flake8(tmp_path):
    (tmp_path / "model.py").write_text("from keras.layers import LSTM\nout, h, c = LSTM(8)(x)\n")
    modules = imported("--no-cache", "--fix", str(tmp_path / "model.py"), cwd=tmp_path)
    assert "rnnlint.fixes" in modules and "return_state=True" in (tmp_path / "model.py").read_text()  # linted and fixed
    assert loaded(modules, SERVER_ONLY) == []


def _frame(message: dict) -> bytes:
    import json

    body = json.dumps(message).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_the_language_server_never_loads_tensorflow_or_keras(tmp_path):
    import pytest

    pytest.importorskip("pygls", reason="the lsp extra (pygls) is not installed")
    model = tmp_path / "model.py"
    text = "import keras\nfrom keras.layers import LSTM\nout, h, c = LSTM(8)(keras.Input((5, 3)))\n"
    model.write_text(text)
    uri = model.as_uri()
    document = {"uri": uri, "languageId": "python", "version": 1, "text": text}
    session = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": document}},
        {"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {"textDocument": {"uri": uri}, "position": {"line": 2, "character": 13}}},
        {"jsonrpc": "2.0", "id": 3, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "rnnlint", "server"],
        input=b"".join(_frame(m) for m in session),
        capture_output=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, stderr[-2000:]
    assert b'"result": {"contents": {"kind": "markdown", "value": "`LSTM(8)` returns 1 tensor' in done.stdout
    modules = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", stderr, flags=re.MULTILINE))
    assert "pygls" in modules and "rnnlint.analysis.interpret" in modules  # the server did lint and hover
    assert loaded(modules, ("tensorflow", "keras", "tf_keras")) == []
