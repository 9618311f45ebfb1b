"""Jupyter notebooks: code cells analysed as one program, IPython lines masked, findings in cell
coordinates, malformed notebooks reported in one line, and fixes written back into cell sources only."""

from __future__ import annotations

import difflib
import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from rnnlint.api import fix_bytes, lint_bytes, may_build_recurrent
from rnnlint.settings import Settings
from rnnlint.sources.ipython import mask_cell, restore, split_lines
from rnnlint.sources.notebook import Notebook, Program, WriteBackError, edit_program, write_back
from tests.helpers import run_cli

IMPORTS = "from keras.layers import LSTM, GRU, Dense, TimeDistributed, Input\n"
PYTHON_KERNEL = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "version": "3.11.0"},
}


def code(source: str, *, as_string: bool = False, outputs: list | None = None) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": outputs or [],
        "source": source if as_string else source.splitlines(True),
    }


def markdown(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source.splitlines(True)}


def notebook(*cells: dict, metadata: dict | None = None) -> dict:
    return {
        "cells": list(cells),
        "metadata": PYTHON_KERNEL if metadata is None else metadata,
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def dump(document: dict, **options) -> bytes:
    """As Jupyter writes it: indent 1, sorted keys, raw UTF-8, a trailing newline."""
    options = {"indent": 1, "sort_keys": True, "ensure_ascii": False, **options}
    return (json.dumps(document, **options) + "\n").encode("utf-8")


def lint(data: bytes, name: str = "nb.ipynb", settings: Settings | None = None):
    return lint_bytes(data, name, settings or Settings())


def found(result) -> list[tuple[str, int | None, int, int]]:
    return [(d.code, d.cell, d.location.row, d.location.column) for d in result.diagnostics]


# --- one program across cells ------------------------------------------------------


def test_a_layer_built_in_cell_2_and_misused_in_cell_7_is_reported_in_cell_7():
    data = dump(
        notebook(
            markdown("# Seq2seq\nThe encoder comes first."),
            code(IMPORTS + "encoder = LSTM(64)"),
            markdown("Some prose."),
            code("import numpy as np\nx = np.zeros((2, 5, 3))"),
            code("inputs = Input((5, 3))"),
            markdown("The decoder."),
            code("# project every step\nprojected = TimeDistributed(Dense(3))(encoder(inputs))"),
        )
    )
    result = lint(data)
    assert found(result) == [("RNN201", 7, 2, 13)]
    (diagnostic,) = result.diagnostics
    # Lines in the message name the cell too; the fix edits the construction, in cell 2.
    assert "LSTM 'encoder' (cell 2, line 2)" in diagnostic.message
    assert "TimeDistributed (cell 7, line 2, column 13)" in diagnostic.message
    (edit,) = diagnostic.fix.edits
    assert (edit.cell, edit.location.row, edit.location.column, edit.content) == (2, 2, 18, ", return_sequences=True")
    assert diagnostic.fix.message == "Set `return_sequences=True` on LSTM (cell 2, line 2)"
    assert result.failed is False


def test_cells_run_in_order_so_a_later_rebinding_wins():
    data = dump(
        notebook(
            code(IMPORTS + "layer = LSTM(8)"),
            code("layer = LSTM(8, return_state=True)"),
            code("out, h, c = layer(Input((5, 3)))"),
        )
    )
    assert found(lint(data)) == []


def test_an_empty_notebook_and_a_notebook_without_code_are_clean():
    assert found(lint(dump(notebook()))) == []
    assert found(lint(dump(notebook(markdown("LSTM notes"), code(""))))) == []


# --- IPython syntax ------------------------------------------------------------------

MAGIC_CELLS = [
    # (cell source, rows IPython rewrites (0-based), the line that must be found buggy afterwards)
    ("%matplotlib inline\nout, h, c = LSTM(8)(x)", {0}),
    ("!pip install keras\n!!ls\nout, h, c = LSTM(8)(x)", {0, 1}),
    ("files = !ls *.csv\nout, h, c = LSTM(8)(x)", {0}),
    ("listing: list = %sx ls\nout, h, c = LSTM(8)(x)", {0}),
    ("LSTM?\nLSTM.call??\n?LSTM\nout, h, c = LSTM(8)(x)", {0, 1, 2}),
    ("for i in range(3):\n    %time print(i)\nout, h, c = LSTM(8)(x)", {1}),
    ("if ready:\n    !nvidia-smi\nelse:\n    gpu = !echo none\nout, h, c = LSTM(8)(x)", {1, 3}),
    ("def f():\n    %who\n    return 1\nout, h, c = LSTM(8)(x)", {1}),
    ("%config InlineBackend.figure_format = \\\n    'retina'\nout, h, c = LSTM(8)(x)", {0, 1}),
    ("text = '''\n%not_a_magic\n'''\nout, h, c = LSTM(8)(x)", set()),
    ("value = (10\n% 3)\nout, h, c = LSTM(8)(x)", set()),
    ("%time out, h, c = LSTM(8)(x)", {0}),
    ("%%time\nout, h, c = LSTM(8)(x)", {0}),
    ("%%capture captured\nout, h, c = LSTM(8)(x)", {0}),
]


@pytest.mark.parametrize(("source", "masked_rows"), MAGIC_CELLS)
def test_ipython_lines_are_masked_in_place_and_the_rest_is_analysed(source, masked_rows):
    masked = mask_cell(source)
    assert {m.row for m in masked.masked} == masked_rows
    assert len(split_lines(masked.text)) == len(split_lines(source))  # every line kept
    data = dump(notebook(code(IMPORTS + "x = Input((5, 3))"), code(source)))
    result = lint(data)
    last_row = len(source.splitlines())
    column = source.splitlines()[-1].index("out") + 1
    assert found(result) == [("RNN101", 2, last_row, column)], result.diagnostics


def test_masked_rows_are_the_rows_ipython_itself_rewrites():
    """IPython's own transformer is the oracle: the lines it rewrites are the lines masked."""
    from IPython.core.inputtransformer2 import TransformerManager

    transformer = TransformerManager()
    cells = [source for source, _ in MAGIC_CELLS if not source.startswith("%%") and "\\\n" not in source] + [
        "x = 1 % 2\nprint('?')\ny = x == 2",
        "s = 'it''s'\n%who\nd = {'a': 1}\nd['a'] = !ls",
        "call(x)?\nvalue = 1?",  # not help for IPython: left alone, so Python reports them
        "print(x) ; !ls",
        "x = '''\n'''\n%who\nwhile x:\n    ??x",
        ",print a b\n/print 1\n;print c",
    ]
    for source in cells:
        ours = {m.row for m in mask_cell(source).masked}
        original = [content for content, _ in split_lines(source)]
        rewritten = [content for content, _ in split_lines(transformer.transform_cell(source))]
        assert len(rewritten) == len(original), source
        theirs = {row for row, (before, after) in enumerate(zip(original, rewritten)) if before != after}
        assert ours == theirs, source


def test_a_cell_magic_cell_is_skipped_whole():
    bash = "%%bash\nout, h, c = LSTM(8)(x)\necho done"
    data = dump(notebook(code(IMPORTS + "x = Input((5, 3))"), code(bash), code("\n\n%%writefile m.py\nLSTM(8)(x)[1]")))
    assert found(lint(data)) == []
    assert mask_cell(bash).cell_magic == "bash"


def test_a_shell_assignment_forgets_what_the_name_held():
    """`out = !ls` rebinds `out` when the cell runs: the old layer output must not be judged."""
    data = dump(notebook(code(IMPORTS + "x = Input((5, 3))\nout = LSTM(8)(x)"), code("out = !ls\na, b, c = out")))
    assert found(lint(data)) == []


def test_time_magic_statement_is_analysed_and_masked_whole_when_it_is_not_one_statement():
    data = dump(
        notebook(
            code(IMPORTS + "x = Input((5, 3))"),
            code("%time for i in range(2): print(i)\nout, h, c = LSTM(8)(x)"),
        )
    )
    assert found(lint(data)) == [("RNN101", 2, 2, 1)]


# --- a broken cell ----------------------------------------------------------------------


def test_a_broken_cell_is_reported_with_its_cell_and_the_rest_is_analysed():
    data = dump(
        notebook(
            code(IMPORTS + "encoder = LSTM(64)"),
            markdown("next"),
            code("x = Input((5, 3)\nprint('never closed')"),
            code("seq = TimeDistributed(Dense(3))(encoder(Input((5, 3))))"),
        )
    )
    result = lint(data)
    assert found(result) == [("RNN001", 3, 1, 10), ("RNN201", 4, 1, 7)]
    assert result.diagnostics[0].message == "syntax error: '(' was never closed (this cell is left out of the analysis)"
    assert result.failed is True


def test_a_broken_cell_via_the_cli_exits_2_with_cell_locations(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(dump(notebook(code(IMPORTS + "out, h, c = LSTM(8)(x)"), code("def broken(:\n    pass"))))
    result = run_cli(str(path), "--no-cache")
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{path}:cell 1:2:1: RNN101 [*] LSTM (cell 1, line 2, column 13) returns 1 tensor")
    assert lines[1].startswith(f"{path}:cell 2:1:12: RNN001 syntax error")
    assert "Traceback" not in result.stderr


# --- output ---------------------------------------------------------------------------------


def test_json_output_carries_the_cell_and_rows_relative_to_it(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(
        dump(notebook(markdown("intro"), code(IMPORTS + "x = Input((5, 3))"), code("\n\nout, h, c = LSTM(8)(x)")))
    )
    result = run_cli(str(path), "--no-cache", "--output-format", "json")
    assert result.returncode == 1
    (item,) = json.loads(result.stdout)
    assert item["code"] == "RNN101"
    assert item["cell"] == 3
    assert item["location"] == {"row": 3, "column": 1}
    assert item["end_location"] == {"row": 3, "column": 23}
    assert item["fix"]["edits"] == [
        {
            "content": ", return_state=True",
            "location": {"row": 3, "column": 19},
            "end_location": {"row": 3, "column": 19},
            "cell": 3,
        }
    ]


def test_text_output_and_source_lines_come_from_the_cell(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(dump(notebook(code(IMPORTS + "x = Input((5, 3))"), code("%who\nout, h, c = LSTM(8)(x)"))))
    result = run_cli(str(path), "--no-cache", "--show-source")
    assert result.stdout.startswith(f"{path}:cell 2:2:1: RNN101 [*] ")
    assert "2 | out, h, c = LSTM(8)(x)" in result.stdout


def test_directories_are_walked_for_notebooks_and_checkpoints_are_skipped(tmp_path):
    buggy = dump(notebook(code(IMPORTS + "out, h, c = LSTM(8)(x)")))
    (tmp_path / "nb.ipynb").write_bytes(buggy)
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "nb-checkpoint.ipynb").write_bytes(buggy)
    (tmp_path / "model.py").write_text(IMPORTS + "out, h, c = LSTM(8)(x)\n")
    result = run_cli(str(tmp_path), "--no-cache")
    reported = sorted(line.split(":")[0] for line in result.stdout.splitlines() if "RNN101" in line)
    assert reported == [str(tmp_path / "model.py"), str(tmp_path / "nb.ipynb")]


def test_cached_notebook_results_keep_their_cells(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(
        dump(notebook(code(IMPORTS + "x = Input((5, 3))\nencoder = LSTM(4)"), code("y = GRU(3)(encoder(x))")))
    )
    args = (str(path), "--output-format", "json", "--cache-dir", str(tmp_path / "cache"))
    first, second = run_cli(*args), run_cli(*args)
    assert first.stdout == second.stdout
    (item,) = json.loads(second.stdout)
    assert (item["cell"], item["fix"]["edits"][0]["cell"]) == (2, 1)


# --- other kernels and malformed notebooks --------------------------------------------------


def test_a_notebook_of_another_language_is_skipped_with_one_line(tmp_path):
    r_notebook = notebook(
        code("# an LSTM in R\nmodel <- keras_model_sequential() %>% layer_lstm(units = 32)"),
        metadata={"kernelspec": {"display_name": "R", "language": "R", "name": "ir"}, "language_info": {"name": "R"}},
    )
    path = tmp_path / "r.ipynb"
    path.write_bytes(dump(r_notebook))
    for _ in range(2):  # the second run must say it again (notices are not cached)
        result = run_cli(str(path), "--cache-dir", str(tmp_path / "cache"))
        assert result.returncode == 0
        assert result.stderr == f"rnnlint: {path}: skipped: not a Python notebook (kernel language 'R')\n"
        assert "All checks passed!" in result.stdout
    # Only language_info says it: still skipped.
    julia = notebook(code("LSTM(8)(x)[1]"), metadata={"language_info": {"name": "julia"}})
    assert lint(dump(julia)).notices == ["nb.ipynb: skipped: not a Python notebook (kernel language 'julia')"]


MALFORMED = [
    (
        b'{"cells": [], "nbformat": 4,, "LSTM": 1}',
        "invalid notebook: not valid JSON: Expecting property name enclosed in double quotes",
        (1, 29),
    ),
    (b'["LSTM"]', "invalid notebook: the JSON document is not an object", (1, 1)),
    (b'{"metadata": {"LSTM": 1}, "nbformat": 4, "nbformat_minor": 5}', 'invalid notebook: no "cells" list', (1, 1)),
    (b'{"cells": {"LSTM": 1}, "nbformat": 4}', 'invalid notebook: no "cells" list', (1, 1)),
    (b'{"cells": [], "metadata": {"LSTM": 1}}', 'invalid notebook: no "nbformat" version', (1, 1)),
    (
        b'{"worksheets": [{"cells": [{"input": "LSTM(8)"}]}], "nbformat": 3, "nbformat_minor": 0}',
        "unsupported notebook format: nbformat 3 (rnnlint reads nbformat 4",
        (1, 1),
    ),
    (
        b'{"cells": [{"cell_type": "code", "source": 42, "metadata": {"x": "LSTM"}}], "nbformat": 4}',
        "invalid notebook: the source of cell 1 is not a string or a list of strings",
        (1, 1),
    ),
    (
        b'{"cells": [{"cell_type": "markdown", "source": ""}, {"cell_type": "code", "source": ["LSTM", 7]}], "nbformat": 4}',
        "invalid notebook: the source of cell 2 is not a string or a list of strings",
        (1, 1),
    ),
    (b'{"cells": ["LSTM"], "nbformat": 4}', 'invalid notebook: cell 1 is not an object with a "cell_type"', (1, 1)),
    (
        b'{"cells": [], "nbformat": 4, "x": "LSTM \xff"}',
        "invalid notebook: not UTF-8 text (invalid start byte at byte 40)",
        (1, 1),
    ),
    (b"LSTM", "invalid notebook: not valid JSON: Expecting value", (1, 1)),
]


@pytest.mark.parametrize(("data", "message", "where"), MALFORMED)
def test_a_malformed_notebook_is_one_clear_line(data, message, where):
    result = lint(data)
    (diagnostic,) = result.diagnostics
    assert diagnostic.code == "RNN001"
    assert diagnostic.message.startswith(message)
    assert (diagnostic.location.row, diagnostic.location.column) == where
    assert result.failed is True


def test_malformed_notebooks_do_not_stop_the_run(tmp_path):
    for number, (data, _, _) in enumerate(MALFORMED):
        (tmp_path / f"bad_{number:02}.ipynb").write_bytes(data)
    (tmp_path / "zz_good.ipynb").write_bytes(dump(notebook(code(IMPORTS + "out, h, c = LSTM(8)(x)"))))
    result = run_cli(str(tmp_path), "--no-cache")
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert sum("RNN001" in line for line in lines) == len(MALFORMED)
    assert any(line.startswith(f"{tmp_path / 'zz_good.ipynb'}:cell 1:2:1: RNN101") for line in lines)
    assert "Traceback" not in result.stdout + result.stderr


# --- the prefilter -----------------------------------------------------------------------------


def test_the_prefilter_sees_words_that_json_escapes_or_list_items_hide():
    buggy = IMPORTS + "out, h, c = LSTM(8)(x)\n"
    plain = dump(notebook(code(buggy)), ensure_ascii=True)
    escaped = plain.replace(b"LSTM", b"\\u004cSTM").replace(b"GRU", b"G\\u0052U")
    cut = plain.replace(b"LSTM", b'LS", "TM')
    cut_around_empty_items = plain.replace(b"LSTM", b'L",\n "", "",\n "STM')
    for data in (escaped, cut, cut_around_empty_items):
        assert b"LSTM" not in data
        assert "".join(json.loads(data)["cells"][0]["source"]) == buggy
        assert may_build_recurrent(data, "nb.ipynb")
        assert found(lint(data)) == [("RNN101", 1, 2, 1)]
    # Nothing recurrent anywhere, however written: not read at all.
    quiet = dump(notebook(code("import numpy as np\nx = np.zeros(3)"), markdown("tags")), ensure_ascii=True)
    assert not may_build_recurrent(quiet, "nb.ipynb")
    assert not may_build_recurrent(quiet.replace(b'"np', b'"\\u006ep'), "nb.ipynb")  # escaped, but no word


def test_words_only_in_markdown_and_outputs_are_not_analysed():
    data = dump(
        notebook(
            markdown("An LSTM"), code("x = 1", outputs=[{"output_type": "stream", "name": "stdout", "text": ["GRU\n"]}])
        )
    )
    assert may_build_recurrent(data, "nb.ipynb")  # the bytes mention it
    assert found(lint(data)) == []


# --- writing fixes back ----------------------------------------------------------------------------


# A JSON text as tokens: strings, punctuation, whitespace runs, other literals.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\s+|[{}\[\],:]|[^\s{}\[\],:"]+')


def assert_only_sources_changed(before: bytes, after: bytes, cells: dict[int, str]) -> None:
    """`after` is `before` with the given cells' sources replaced, and the bytes differ only in source strings.

    The texts are compared token by token: every token that differs is a string
    holding source text (a whole source, or one of its lines) or a separator
    between such strings; keys, brackets, numbers and layout are untouched.
    """
    old, new = json.loads(before), json.loads(after)
    old_pieces, new_pieces = set(), set()
    for number, source in cells.items():
        cell = old["cells"][number - 1]
        previous = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        old_pieces |= {previous, *previous.splitlines(True)}
        new_pieces |= {source, *source.splitlines(True)}
        cell["source"] = source if isinstance(cell["source"], str) else source.splitlines(True)
    assert new == old  # the same document but for those sources
    old_tokens = _JSON_TOKEN.findall(before.decode())
    new_tokens = _JSON_TOKEN.findall(after.decode())
    assert "".join(old_tokens) == before.decode() and "".join(new_tokens) == after.decode()
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        changed = old_tokens[i1:i2] + new_tokens[j1:j2]
        assert any(token.startswith('"') for token in changed), changed  # no layout change on its own
        for tokens, pieces in ((old_tokens[i1:i2], old_pieces), (new_tokens[j1:j2], new_pieces)):
            for token in tokens:
                if token.startswith('"'):
                    assert json.loads(token) in pieces, token
                else:
                    assert token == "," or token.isspace(), token


def test_fix_round_trip_in_a_notebook_written_by_nbformat():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.v4.new_notebook(metadata=PYTHON_KERNEL)
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A model — with ünïcödé"),
        nbformat.v4.new_code_cell(IMPORTS + "%matplotlib inline\nencoder = LSTM(64)\nx = Input((5, 3))"),
        nbformat.v4.new_code_cell(
            "print('untouched')", outputs=[nbformat.v4.new_output("stream", name="stdout", text="untouched\n")]
        ),
        nbformat.v4.new_code_cell("!nvidia-smi\nstates = encoder(x)\nout, h, c = states"),
    ]
    before = nbformat.writes(nb).encode("utf-8")
    result = fix_bytes(before, "nb.ipynb", Settings())
    assert result.problem is None and result.remaining == []
    assert [d.code for d in result.applied] == ["RNN101"]
    fixed_cell = IMPORTS + "%matplotlib inline\nencoder = LSTM(64, return_state=True)\nx = Input((5, 3))"
    assert_only_sources_changed(before, result.fixed, {2: fixed_cell})
    # Exactly one line of the file changed, and the result is a valid notebook Jupyter reads.
    diff = [
        line
        for line in difflib.unified_diff(
            before.decode().splitlines(), result.fixed.decode().splitlines(), n=0, lineterm=""
        )
    ]
    assert diff[3:] == ['-    "encoder = LSTM(64)\\n",', '+    "encoder = LSTM(64, return_state=True)\\n",']
    nbformat.validate(nbformat.reads(result.fixed.decode("utf-8"), as_version=4))
    assert nbformat.writes(nbformat.reads(result.fixed.decode(), as_version=4)).encode() == result.fixed
    # Idempotent: nothing left to fix.
    assert fix_bytes(result.fixed, "nb.ipynb", Settings()).fixed is None


def test_fix_round_trip_keeps_an_unusual_layout_byte_for_byte():
    """Indent 2, keys unsorted, escapes for non-ASCII, a string source, CRLF inside a cell, no final newline."""
    document = {
        "nbformat_minor": 2,
        "nbformat": 4,
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}, "colab": {"provenance": []}},
        "cells": [
            {
                "metadata": {"id": "a"},
                "cell_type": "code",
                "source": IMPORTS + "x = Input((5, 3))\r\nencoder = GRU(4)  # café",
                "outputs": [],
            },
            {"cell_type": "markdown", "source": ["Ünïcödé \\u00e9\n", "LSTM notes"], "metadata": {}},
            {
                "cell_type": "code",
                "source": ["seq = TimeDistributed(Dense(3))(\n", "    encoder(x))\n", "%who\n", "print('é')"],
                "outputs": [{"output_type": "stream", "text": ["\u001b[31mred\u001b[0m\n"], "name": "stdout"}],
                "execution_count": 3,
                "metadata": {},
            },
        ],
    }
    before = json.dumps(document, indent=2).encode()  # ensure_ascii: the file is pure ASCII
    assert before.isascii() and not before.endswith(b"\n")
    result = fix_bytes(before, "nb.ipynb", Settings())
    assert result.problem is None and result.remaining == []
    fixed_source = IMPORTS + "x = Input((5, 3))\r\nencoder = GRU(4, return_sequences=True)  # café"
    assert_only_sources_changed(before, result.fixed, {1: fixed_source})
    assert result.fixed.isascii()  # non-ASCII still written as escapes
    assert result.fixed == before.replace(b"encoder = GRU(4)", b"encoder = GRU(4, return_sequences=True)")


def test_write_back_keeps_unchanged_list_items_as_written_and_resplits_edited_lines():
    source = ["a = 1\n", "b = (LSTM,\n", "     2)\n", "c = 3"]
    data = b'{"cells": [{"cell_type": "code", "source": [\n   "a = 1\\n",\n   "b = (LSTM,\\n",\n   "     2)\\n",\n   "c = 3"]}],\n "nbformat": 4}'
    assert json.loads(data)["cells"][0]["source"] == source
    program = Program.build(Notebook.from_bytes(data))
    # Replace line 2 by two lines, keep the rest.
    edited = program.text.replace("b = (LSTM,\n", "b = (LSTM,\n    1,\n")
    after = write_back(data, edited)
    assert after == data.replace(b'"b = (LSTM,\\n",', b'"b = (LSTM,\\n",\n   "    1,\\n",')
    # Remove the last line.
    after = write_back(data, program.text.replace("\nc = 3\n", "\n"))
    # (the cell did not end with a line ending, and still does not)
    assert json.loads(after)["cells"][0]["source"] == [*source[:2], "     2)"]
    assert after == data.replace(b'"     2)\\n",\n   "c = 3"]', b'"     2)"]')


def test_write_back_refuses_edits_to_ipython_lines():
    data = dump(notebook(code("!ls\nx = 1")))
    program = Program.build(Notebook.from_bytes(data))
    masked_line = program.text.splitlines()[0]
    with pytest.raises(WriteBackError, match="IPython line of cell 1"):
        write_back(data, program.text.replace(masked_line, "pass"))
    with pytest.raises(WriteBackError, match="lost the end of cell 1"):
        write_back(data, "x = 1\n")
    assert write_back(data, program.text) == data  # nothing edited: the very same bytes


def test_time_magic_line_can_be_fixed_and_keeps_its_magic():
    data = dump(notebook(code(IMPORTS + "x = Input((5, 3))"), code("%time out, h, c = LSTM(8)(x)")))
    result = fix_bytes(data, "nb.ipynb", Settings())
    assert result.problem is None
    assert json.loads(result.fixed)["cells"][1]["source"] == ["%time out, h, c = LSTM(8, return_state=True)(x)"]


def test_a_broken_cell_is_left_as_it_is_while_the_others_are_fixed():
    data = dump(notebook(code(IMPORTS + "out, h, c = LSTM(8)(x)"), code("def broken(:\n")))
    result = fix_bytes(data, "nb.ipynb", Settings())
    assert result.failed is True
    assert [(d.code, d.cell) for d in result.remaining] == [("RNN001", 2)]
    assert_only_sources_changed(data, result.fixed, {1: IMPORTS + "out, h, c = LSTM(8, return_state=True)(x)"})


def test_unreadable_notebooks_are_not_fixed():
    result = fix_bytes(b'{"cells": 1, "LSTM": 2}', "nb.ipynb", Settings())
    assert result.fixed is None and result.failed is True


def test_edit_program_applies_a_text_edit_to_the_cells():
    """The hook for whole-program edits such as --add-noqa: edit the program text, get notebook bytes."""
    data = dump(notebook(code(IMPORTS + "out, h, c = LSTM(8)(x)"), code("%who")))
    after = edit_program(data, lambda text: text.replace("LSTM(8)(x)", "LSTM(8)(x)  # noqa: RNN101"))
    assert json.loads(after)["cells"][0]["source"][-1] == "out, h, c = LSTM(8)(x)  # noqa: RNN101"
    assert_only_sources_changed(data, after, {1: IMPORTS + "out, h, c = LSTM(8)(x)  # noqa: RNN101"})


# --- suppression -------------------------------------------------------------------------------


def test_noqa_comments_in_cells_suppress_findings_on_their_rows():
    cells = (
        code(IMPORTS + "x = Input((5, 3))"),
        code("%who\nout, h, c = LSTM(8)(x)  # noqa: RNN101\na, b, c = GRU(4)(x)"),
    )
    assert found(lint(dump(notebook(*cells)))) == [("RNN101", 2, 3, 1)]
    # The same rows without the comment: both reported.
    bare = (cells[0], code("%who\nout, h, c = LSTM(8)(x)\na, b, c = GRU(4)(x)"))
    assert found(lint(dump(notebook(*bare)))) == [("RNN101", 2, 2, 1), ("RNN101", 2, 3, 1)]
    # A file-level directive in any cell silences the notebook.
    silenced = (*bare, markdown("x"), code("# rnnlint: noqa"))
    assert found(lint(dump(notebook(*silenced)))) == []


def test_unused_noqa_in_a_cell_is_reported_there_and_fixed_there():
    from rnnlint.settings import Selection

    settings = Settings(selection=Selection(extend_select=("RNN002",)))
    source = "out = LSTM(8)(x)  # noqa: RNN101\nprint(out)"
    data = dump(notebook(code(IMPORTS + "x = Input((5, 3))"), markdown("m"), code(source)))
    (diagnostic,) = lint(data, settings=settings).diagnostics
    assert (diagnostic.code, diagnostic.cell, diagnostic.location.row, diagnostic.location.column) == (
        "RNN002",
        3,
        1,
        19,
    )
    result = fix_bytes(data, "nb.ipynb", settings)
    assert result.remaining == [] and [d.code for d in result.applied] == ["RNN002"]
    assert_only_sources_changed(data, result.fixed, {3: "out = LSTM(8)(x)\nprint(out)"})


# --- the command line: --fix, --diff, --add-noqa ----------------------------------------------------


@pytest.fixture
def buggy_notebook(tmp_path: Path) -> Path:
    path = tmp_path / "nb.ipynb"
    path.write_bytes(
        dump(
            notebook(
                markdown("# Encoder"),
                code(
                    IMPORTS + "x = Input((5, 3))\nencoder = LSTM(64)",
                    outputs=[{"output_type": "stream", "name": "stdout", "text": ["ok\n"]}],
                ),
                code(
                    "!nvidia-smi\nfor step in range(2):\n    %time print(step)\nseq = TimeDistributed(Dense(3))(encoder(x))"
                ),
                code("%time out, h = GRU(4)(x)"),
            )
        )
    )
    return path


def test_cli_fix_rewrites_only_the_cell_sources(buggy_notebook: Path):
    before = buggy_notebook.read_bytes()
    result = run_cli("--fix", str(buggy_notebook))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Found 2 errors (2 fixed, 0 remaining)." in result.stdout
    after = buggy_notebook.read_bytes()
    assert_only_sources_changed(
        before,
        after,
        {
            2: IMPORTS + "x = Input((5, 3))\nencoder = LSTM(64, return_sequences=True)",
            4: "%time out, h = GRU(4, return_state=True)(x)",
        },
    )
    assert run_cli("--fix", str(buggy_notebook)).returncode == 0
    assert buggy_notebook.read_bytes() == after  # idempotent


def test_cli_diff_shows_each_changed_cells_code_and_writes_nothing(buggy_notebook: Path):
    """As ruff: one diff per changed cell, of its code, headed NAME:cell N; not a diff of the JSON."""
    before = buggy_notebook.read_bytes()
    result = run_cli("--diff", str(buggy_notebook))
    assert result.returncode == 1
    assert buggy_notebook.read_bytes() == before
    name = str(buggy_notebook)
    assert f"--- {name}:cell 2\n+++ {name}:cell 2\n" in result.stdout
    assert "\n-encoder = LSTM(64)\n+encoder = LSTM(64, return_sequences=True)\n" in result.stdout
    assert f"--- {name}:cell 4\n+++ {name}:cell 4\n" in result.stdout
    assert "\n-%time out, h = GRU(4)(x)\n+%time out, h = GRU(4, return_state=True)(x)\n" in result.stdout
    assert '"source"' not in result.stdout and '    "' not in result.stdout  # no JSON
    assert ":cell 3" not in result.stdout  # an unchanged cell is not shown


def test_cli_show_fixes_names_cells(buggy_notebook: Path):
    result = run_cli("--show-fixes", "--no-cache", str(buggy_notebook))
    assert "fix (safe): Set `return_sequences=True` on LSTM (cell 2, line 3)" in result.stdout


def test_cli_add_noqa_writes_comments_into_the_cells(buggy_notebook: Path):
    before = buggy_notebook.read_bytes()
    result = run_cli("--add-noqa", str(buggy_notebook))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Added 2 noqa directives." in result.stderr
    assert_only_sources_changed(
        before,
        buggy_notebook.read_bytes(),
        {
            3: "!nvidia-smi\nfor step in range(2):\n    %time print(step)\n"
            "seq = TimeDistributed(Dense(3))(encoder(x))  # noqa: RNN201",
            4: "%time out, h = GRU(4)(x)  # noqa: RNN101",
        },
    )
    assert run_cli("--no-cache", "--extend-select", "RNN002", str(buggy_notebook)).returncode == 0


def test_fixture_notebook_layout_survives_a_real_file_round_trip(tmp_path):
    """Through the file system: bytes read, fixed, and written as the CLI's --fix will."""
    path = tmp_path / "nb.ipynb"
    path.write_bytes(dump(notebook(code(IMPORTS + "out, h, c = LSTM(8)(x)"))))
    before = path.read_bytes()
    result = fix_bytes(before, str(path), Settings())
    path.write_bytes(result.fixed)
    assert found(lint(Path(path).read_bytes(), str(path))) == []


def test_fix_from_stdin_with_a_notebook_name_prints_the_fixed_notebook():
    data = dump(notebook(code(IMPORTS + "out, h, c = LSTM(8)(x)")))
    result = run_cli("--fix", "--stdin-filename", "nb.ipynb", "-", stdin=data.decode())
    assert result.stdout.encode() == data.replace(b"LSTM(8)(x)", b"LSTM(8, return_state=True)(x)")
    assert "1 fixed" in result.stderr


# --- properties ----------------------------------------------------------------------------------

LINE_POOL = [
    "x = 1",
    "encoder = LSTM(64)",
    "%matplotlib inline",
    "!pip install keras",
    "files = !ls",
    "LSTM?",
    "for i in range(2):",
    "    %time print(i)",
    "    y = i",
    "s = '''",
    "%inside_a_string",
    "'''",
    "%config A = \\",
    "   1",
    "value = (1,",
    "%2)",
    "%time z = 3",
    "# a comment",
    "",
    "  ",
    "t = 'a' # ?",
]


@given(st.lists(st.sampled_from(LINE_POOL), max_size=12), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_masking_keeps_every_line_and_restores_exactly(lines, newline, final_newline):
    text = newline.join(lines) + (newline if final_newline and lines else "")
    masked = mask_cell(text)
    assert len(split_lines(masked.text)) == len(split_lines(text))
    kept = {row for row in range(len(split_lines(text)))} - {m.row for m in masked.masked}
    for row in kept:  # lines that are not masked are untouched
        assert split_lines(masked.text)[row] == split_lines(text)[row]
    assert restore(masked, masked.text) == text


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["code", "markdown", "raw"]),
            st.lists(st.sampled_from(LINE_POOL), max_size=6),
            st.booleans(),  # source stored as a string
        ),
        max_size=6,
    ),
    st.sampled_from(
        [{"indent": 1, "sort_keys": True}, {"indent": 2}, {"indent": None}, {"indent": "\t", "ensure_ascii": True}]
    ),
)
def test_write_back_edits_exactly_one_cell_whatever_the_layout(cells, layout):
    target = code(IMPORTS + "encoder = LSTM(64)\ny = 'é'")
    built = [
        (code if kind == "code" else markdown)("\n".join(lines), **({"as_string": as_string} if kind == "code" else {}))
        for kind, lines, as_string in cells
    ]
    for cell, (kind, _, _) in zip(built, cells):
        cell["cell_type"] = kind
    built.append(target)
    data = (json.dumps(notebook(*built), **{"ensure_ascii": False, **layout})).encode()
    program = Program.build(Notebook.from_bytes(data))
    assert write_back(data, program.text) == data
    edited = program.text.replace(
        IMPORTS + "encoder = LSTM(64)\n", IMPORTS + "encoder = LSTM(64, return_sequences=True)\n"
    )
    after = write_back(data, edited)
    assert_only_sources_changed(
        data, after, {len(built): IMPORTS + "encoder = LSTM(64, return_sequences=True)\ny = 'é'"}
    )


# --- the other commands and formats meeting a notebook -----------------------------------------


@pytest.mark.parametrize("output_format", ["github", "sarif", "gitlab", "junit"])
def test_structured_formats_name_the_cell(tmp_path, output_format):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(dump(notebook(markdown("m"), code(IMPORTS + "x = Input((5, 3))\nout, h, c = LSTM(8)(x)"))))
    result = run_cli(str(path), "--no-cache", "--output-format", output_format, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "cell 2, line 3, column 1: LSTM (cell 2, line 3, column 13) returns 1 tensor" in result.stdout


def test_diff_base_reports_a_changed_notebooks_findings(tmp_path):
    import subprocess

    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x.invalid",
    }

    def git(*arguments):
        subprocess.run(["git", *arguments], cwd=tmp_path, check=True, capture_output=True, env={**os.environ, **env})

    legacy = notebook(code(IMPORTS + "x = Input((5, 3))\nout, h, c = LSTM(8)(x)"))
    (tmp_path / "nb.ipynb").write_bytes(dump(legacy))
    (tmp_path / "same.ipynb").write_bytes(dump(legacy))
    git("-c", "init.defaultBranch=main", "init", "-q")
    git("add", "-A")
    git("commit", "-qm", "legacy")
    git("checkout", "-qb", "feature")
    changed = notebook(*legacy["cells"], markdown("a note"))
    (tmp_path / "nb.ipynb").write_bytes(dump(changed))
    git("commit", "-qam", "note")
    result = run_cli("--diff-base", "main", "--no-cache", ".", cwd=tmp_path)
    # The cell's rows are not the JSON's rows: a changed notebook reports its findings, an unchanged one does not.
    assert [line.split(":")[0] for line in result.stdout.splitlines() if "RNN101" in line] == ["nb.ipynb"]


def test_graph_of_a_notebook_is_one_clear_line(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(dump(notebook(code(IMPORTS + "out = LSTM(8)(Input((5, 3)))"))))
    result = run_cli("graph", str(path))
    assert result.returncode == 2
    assert result.stderr == (
        f"rnnlint: error: {path}: `rnnlint graph` draws Python files; export the notebook first (jupyter nbconvert --to script)\n"
    )


def test_fix_mode_also_says_a_notebook_of_another_language_was_skipped(tmp_path):
    path = tmp_path / "r.ipynb"
    path.write_bytes(dump(notebook(code("# LSTM\nx <- 1"), metadata={"kernelspec": {"language": "R"}})))
    result = run_cli("--fix", str(path))
    assert result.returncode == 0
    assert f"rnnlint: {path}: skipped: not a Python notebook (kernel language 'R')\n" in result.stderr
