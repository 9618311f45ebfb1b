"""A real editor: headless Neovim, with its built-in LSP client, shows rnnlint's diagnostics for a buggy file.

The client is configured the way docs/editors.md tells users: `vim.lsp.config`
on Neovim 0.11+, `vim.lsp.start` on 0.8-0.10, and on older releases (Debian 12
ships 0.7.2) `vim.lsp.start_client` with `vim.lsp.buf_attach_client`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the lsp extra (pygls) is not installed")

ROOT = Path(__file__).resolve().parent.parent
NVIM = shutil.which("nvim")

BUGGY = """\
import keras
from keras import layers

inputs = keras.Input(shape=(20, 8))
encoder = layers.LSTM(64)
out, h, c = encoder(inputs)
"""

SCRIPT = r"""
local python, file, result = os.getenv("RNNLINT_PYTHON"), os.getenv("RNNLINT_FILE"), os.getenv("RNNLINT_RESULT")
local cmd = { python, "-m", "rnnlint", "server" }
local root = vim.fn.fnamemodify(file, ":h")
local how
if vim.lsp.config and vim.lsp.enable then
  how = "vim.lsp.config"
  vim.lsp.config("rnnlint", { cmd = cmd, filetypes = { "python" }, root_markers = { "pyproject.toml" } })
  vim.lsp.enable("rnnlint")
  vim.cmd("edit " .. vim.fn.fnameescape(file))
elseif vim.lsp.start then
  how = "vim.lsp.start"
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  vim.lsp.start({ name = "rnnlint", cmd = cmd, root_dir = root })
else
  how = "vim.lsp.start_client"
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local id = vim.lsp.start_client({ name = "rnnlint", cmd = cmd, root_dir = root })
  vim.lsp.buf_attach_client(0, id)
end
local buffer = vim.api.nvim_get_current_buf()
local shown = vim.wait(90000, function() return #vim.diagnostic.get(buffer) > 0 end, 50)
local found = {}
for _, d in ipairs(vim.diagnostic.get(buffer)) do
  local lsp = d.user_data and d.user_data.lsp or {}
  table.insert(found, {
    lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, severity = d.severity,
    message = d.message, source = d.source, code = d.code or lsp.code,
  })
end
vim.fn.writefile({ vim.fn.json_encode({ how = how, shown = shown, diagnostics = found }) }, result)
vim.cmd("qa!")
"""


def _version() -> tuple[int, ...]:
    assert NVIM is not None
    first = subprocess.run([NVIM, "--version"], capture_output=True, text=True, timeout=60).stdout.splitlines()[0]
    match = re.search(r"v(\d+)\.(\d+)\.(\d+)", first)
    return tuple(int(n) for n in match.groups()) if match else ()


@pytest.mark.skipif(NVIM is None, reason="Neovim is not installed (Debian package `neovim`; .ci/run installs it)")
def test_neovim_shows_the_diagnostics(tmp_path: Path) -> None:
    if _version() < (0, 6, 0):
        pytest.skip(f"Neovim {_version()} has no vim.diagnostic API (0.6 or newer is needed)")
    (tmp_path / "pyproject.toml").write_text("[tool.rnnlint]\n")
    model = tmp_path / "model.py"
    model.write_text(BUGGY)
    script = tmp_path / "rnnlint.lua"
    script.write_text(SCRIPT)
    result = tmp_path / "result.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "RNNLINT_PYTHON": sys.executable,
        "RNNLINT_FILE": str(model),
        "RNNLINT_RESULT": str(result),
        "XDG_STATE_HOME": str(tmp_path / "state"),  # Neovim's LSP log goes there, not into the user's home
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    done = subprocess.run(
        [NVIM, "--headless", "--clean", "-c", f"luafile {script}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.exists(), f"Neovim wrote no result (exit {done.returncode}): {done.stderr[-2000:]}"
    report = json.loads(result.read_text())
    assert report["shown"] is True, report
    assert report["how"] in ("vim.lsp.config", "vim.lsp.start", "vim.lsp.start_client")
    [diagnostic] = report["diagnostics"]
    assert diagnostic["code"] == "RNN101"
    assert diagnostic["source"] == "rnnlint"
    assert (diagnostic["lnum"], diagnostic["col"]) == (5, 0)  # line 6, 0-based
    assert diagnostic["severity"] == 1  # vim.diagnostic.severity.ERROR
    assert diagnostic["message"].startswith("LSTM 'encoder' (line 5) returns 1 tensor")
