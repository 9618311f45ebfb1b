"""Resource bounds (issue 15, items 9 and 24): constant folding, file size, and applying many fixes.

No timing assertions: each bound is checked by what it changes (a value left
unknown, a file skipped with one line, the number of comparisons made, the peak
memory of a real run).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import rnnlint.fix
from rnnlint.analysis import interpret as interpreter
from rnnlint.analysis.facts import LayerBuilt
from rnnlint.api import fix_bytes, lint_bytes, lint_source
from rnnlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location, Severity
from rnnlint.fix import apply_fixes
from rnnlint.settings import Settings
from tests.helpers import ROOT, run_cli


def _units(source: str) -> list[int | None]:
    facts = interpreter.interpret(ast.parse(source))
    return [f.layer.units for f in facts if isinstance(f, LayerBuilt)]


# --- item 9: constant folding ------------------------------------------------------------


def test_folding_stops_at_64_bit_integers():
    """`u = u * u` repeated doubles the digits each time: past 64 bits the value is unknown, not computed."""
    squarings = "u = 3\n" + "u = u * u\n" * 12 + "from keras.layers import LSTM\nLSTM(u)\n"
    assert _units(squarings) == [None]
    assert _units("from keras.layers import LSTM\nu = 2\nu = u * 32\nLSTM(u + 1)\n") == [65]
    big = 2**63
    assert _units(f"from keras.layers import LSTM\nLSTM({big} + {big})\n") == [None]


def test_a_huge_literal_is_not_folded():
    assert _units(f"from keras.layers import LSTM\nLSTM({10**200} // {10**190})\n") == [None]


def test_the_number_of_folds_per_module_is_bounded(monkeypatch):
    monkeypatch.setattr(interpreter, "MAX_FOLDS", 2)
    source = "from keras.layers import LSTM\na = 1 + 1\nb = a + 1\nLSTM(b)\nc = b + 1\nLSTM(c)\n"
    assert _units(source) == [3, None]


def test_repeated_squaring_in_a_real_run_is_analysed_not_timed_out(tmp_path: Path):
    """The reported case (a hundred squarings took 30 s and 2.8 GB): now a plain, clean run."""
    target = tmp_path / "model.py"
    target.write_text("from keras.layers import LSTM\nu = 3\n" + "u = u * u\n" * 100 + "x = LSTM(u)(y)\n")
    result = run_cli(str(target), "--no-cache", "--file-timeout", "60")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "RNN001" not in result.stdout


# --- items 9 and 24: the size limit --------------------------------------------------------


BUGGY = "from keras.layers import LSTM\nout, h, c = LSTM(8)(x)\n"


def test_a_file_over_the_size_limit_is_skipped_with_one_line_before_parsing(monkeypatch):
    data = (BUGGY + "# padding\n" * 200).encode()
    parsed = []
    monkeypatch.setattr(ast, "parse", lambda *a, **k: parsed.append(1))  # never reached
    result = lint_bytes(data, "big.py", Settings(max_file_size=1000))
    assert parsed == []
    (line,) = result.diagnostics
    assert line.code == "RNN001" and result.failed
    assert line.message == f"skipped: {len(data):,} bytes of source is over the size limit of 1,000 bytes (max-file-size)"
    monkeypatch.undo()
    assert [d.code for d in lint_bytes(data, "big.py", Settings()).diagnostics] == ["RNN101"]
    assert [d.code for d in lint_bytes(data, "big.py", Settings(max_file_size=0)).diagnostics] == ["RNN101"]


def test_fix_and_text_linting_honour_the_limit_too():
    data = (BUGGY + "# padding\n" * 200).encode()
    small = Settings(max_file_size=1000)
    assert fix_bytes(data, "big.py", small).fixed is None
    assert [d.message.startswith("skipped:") for d in lint_source(data.decode(), "big.py", small)] == [True]


def test_a_notebook_is_measured_by_its_code_not_its_outputs():
    outputs = [{"output_type": "stream", "name": "stdout", "text": ["x" * 5000]}]
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": outputs, "source": BUGGY}]
    notebook = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}).encode()
    assert len(notebook) > 5000
    assert [d.code for d in lint_bytes(notebook, "nb.ipynb", Settings(max_file_size=1000)).diagnostics] == ["RNN101"]
    cells[0]["source"] = BUGGY + "# padding\n" * 200
    notebook = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}).encode()
    (line,) = lint_bytes(notebook, "nb.ipynb", Settings(max_file_size=1000)).diagnostics
    assert line.code == "RNN001" and "max-file-size" in line.message


def test_the_limit_is_set_from_the_command_line_and_pyproject(tmp_path: Path):
    target = tmp_path / "model.py"
    target.write_text(BUGGY + "# padding\n" * 200)
    result = run_cli(str(target), "--no-cache", "--max-file-size", "1KB")
    assert result.returncode == 2
    assert "skipped:" in result.stdout and "size limit of 1,000 bytes (max-file-size)" in result.stdout
    (tmp_path / "pyproject.toml").write_text('[tool.rnnlint]\nmax-file-size = "1KiB"\n')
    result = run_cli(str(target), "--no-cache", cwd=tmp_path)
    assert "size limit of 1,024 bytes" in result.stdout
    (tmp_path / "pyproject.toml").write_text("[tool.rnnlint]\nmax-file-size = -1\n")
    result = run_cli(str(target), "--no-cache", cwd=tmp_path)
    assert result.returncode == 2 and "max-file-size" in result.stderr
    assert "Traceback" not in result.stderr
    assert run_cli(str(target), "--max-file-size", "lots").returncode == 2


@pytest.mark.skipif(sys.platform != "linux", reason="peak memory read from getrusage (Linux: kilobytes)")
def test_a_50_mb_file_is_skipped_without_parsing_it(tmp_path: Path):
    """Parsing a 50 MB file took 10.7 GB (outside the time limit): it is skipped first, in bounded memory."""
    target = tmp_path / "generated.py"
    line = b"x = LSTM(8)(y)\n"
    with open(target, "wb") as handle:
        for _ in range(50_000_000 // (len(line) * 10_000)):
            handle.write(line * 10_000)
    code = (
        "import resource, runpy, sys\n"
        "sys.argv = ['rnnlint', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('rnnlint', run_name='__main__')\n"
        "finally:\n    print('peak', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(target), "--no-cache"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert "skipped:" in result.stdout and "(max-file-size)" in result.stdout
    peak_mb = int(result.stderr.rsplit("peak ", 1)[1])
    print(f"50 MB file: peak RSS {peak_mb} MB")
    assert peak_mb < 400  # measured: about 65 MB (the file read once, never parsed)


# --- item 24: applying many fixes -----------------------------------------------------------


def _many_fixes(count: int) -> tuple[str, list[Diagnostic]]:
    text = "".join(f"f{n}(a)\n" for n in range(count))
    diagnostics = []
    for n in range(count):
        column = len(f"f{n}(a") + 1
        edit = Edit(Location(n + 1, column), Location(n + 1, column), ", k=1")
        diagnostics.append(
            Diagnostic("RNN999", "m", "x.py", edit.location, edit.location, Severity.ERROR,
                       fix=Fix("f", Applicability.SAFE, (edit,)))
        )
    # The order findings come in is not the order of their edits.
    return text, diagnostics[1::2] + diagnostics[::2]


def test_choosing_edits_compares_each_with_its_neighbours_only(monkeypatch):
    """13,000 fixes in one file took half a minute: every new edit was compared with every chosen one."""
    calls = 0
    real = rnnlint.fix._overlaps

    def counted(a, b):
        nonlocal calls
        calls += 1
        return real(a, b)

    monkeypatch.setattr(rnnlint.fix, "_overlaps", counted)
    count = 4000
    text, diagnostics = _many_fixes(count)
    fixed, applied = apply_fixes(text, diagnostics)
    assert len(applied) == count
    assert fixed == "".join(f"f{n}(a, k=1)\n" for n in range(count))
    assert calls <= 4 * count  # not count² / 2


def test_overlaps_are_still_found_among_many_edits():
    text, diagnostics = _many_fixes(50)
    clash = diagnostics[7].fix.edits[0]
    wider = Edit(Location(clash.location.row, 1), Location(clash.location.row, 3), "g")
    extra = Diagnostic("RNN999", "m", "x.py", wider.location, wider.location, Severity.ERROR,
                       fix=Fix("f", Applicability.SAFE, (wider,)))
    same_point = Diagnostic("RNN999", "m", "x.py", clash.location, clash.location, Severity.ERROR,
                            fix=Fix("f", Applicability.SAFE, (Edit(clash.location, clash.location, ", j=2"),)))
    _, applied = apply_fixes(text, [*diagnostics, extra, same_point])
    assert len(applied) == 51  # the wider edit does not touch the insertion; the second insertion there waits
    assert extra in applied and same_point not in applied


def test_a_notebook_with_many_fixed_cells_is_written_once(monkeypatch):
    """The notebook's JSON text is assembled once (it was copied once per replacement: 97 s for 3,000)."""
    from rnnlint.sources import notebook as notebook_module

    cells = [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["from keras.layers import LSTM\n", f"out, h, c = LSTM({n + 1})(x)\n"]}
        for n in range(300)
    ]
    data = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}, indent=1).encode()
    builds = []
    real = notebook_module.Program.build.__func__

    def counted(cls, notebook):
        builds.append(1)
        return real(cls, notebook)

    monkeypatch.setattr(notebook_module.Program, "build", classmethod(counted))
    outcome = fix_bytes(data, "nb.ipynb", Settings())
    assert outcome.fixed is not None and len(outcome.applied) == 300
    written = json.loads(outcome.fixed)
    assert all("return_state=True" in cell["source"][1] for cell in written["cells"])
    assert len(builds) == 2  # the program read, and the written notebook read back: not rebuilt to write
