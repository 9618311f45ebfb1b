"""analysis/query.py: what the facts say at a place (the server's hover), and which layer a finding is about."""

from __future__ import annotations

import pytest

from rnnlint import api
from rnnlint.analysis.query import Index, producing_layer
from rnnlint.settings import Selection, Settings

MODEL = """\
import keras
from keras import layers

inputs = keras.Input(shape=(20, 8))
x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(inputs)
out, h, c = layers.LSTM(32, return_state=True)(x)
y = layers.Dense(10)(out)
pair = layers.Bidirectional(layers.GRU(8), merge_mode=None)(x)
conv = layers.ConvLSTM2D(16, 3)
"""


def _hover(text: str, row: int, word: str, occurrence: int = 0) -> str | None:
    analysis = api.analyse(text, "model.py", Settings())
    line = text.splitlines()[row - 1]
    column = -1
    for _ in range(occurrence + 1):
        column = line.index(word, column + 1)
    answer = Index(analysis.tree, analysis.facts).hover(row, column + 1)
    return answer.text if answer is not None else None


@pytest.mark.parametrize(
    ("row", "word", "expected"),
    [
        (
            5,
            "LSTM",
            "`LSTM(64)` returns 1 tensor: the whole sequence (batch, time, 64); `return_sequences=False` would give "
            "(batch, 64); `return_state=True` adds h, c",
        ),
        (
            5,
            "Bidirectional",
            "`Bidirectional(LSTM(64))` returns 1 tensor: the whole sequence (batch, time, 128); "
            "`return_sequences=False` would give (batch, 128); `return_state=True` adds h (forward), c (forward), "
            "h (backward), c (backward)",
        ),
        (5, "x", "`x`: sequence (batch, 20, 128) from Bidirectional(LSTM) line 5"),
        (
            6,
            "LSTM",
            "`LSTM(32)` returns 3 tensors: the last step (batch, 32), state h (batch, 32), state c (batch, 32); "
            "`return_sequences=True` would give (batch, time, 32)",
        ),
        (6, "c", "`c`: state c (batch, 32) from LSTM line 6"),
        (7, "out", "`out`: last step (batch, 32) from LSTM line 6"),
        (7, "y", "`y`: last step (batch, 10) from Dense line 7, over the output of LSTM line 6"),
        (
            8,
            "Bidirectional",
            "`Bidirectional(GRU(8))` returns 2 tensors: the last step (forward) (batch, 8), the last step (backward) "
            "(batch, 8); `return_sequences=True` would give (batch, time, 8); `return_state=True` adds "
            "h (forward), h (backward)",
        ),
        (
            9,
            "ConvLSTM2D",
            "`ConvLSTM2D(16)` returns 1 tensor: the last step (batch, rows, cols, 16); `return_sequences=True` would "
            "give (batch, time, rows, cols, 16); `return_state=True` adds h, c",
        ),
    ],
)
def test_hover_texts(row: int, word: str, expected: str) -> None:
    assert _hover(MODEL, row, word) == expected


def test_nothing_where_the_analysis_does_not_know() -> None:
    text = MODEL + "flag = bool(input())\nmaybe = layers.LSTM(8, return_sequences=flag)(inputs)\nz = maybe\nz = out\n"
    assert _hover(text, 11, "LSTM") is None  # a flag the analysis cannot read
    assert _hover(text, 12, "maybe") is None  # a tensor whose kind depends on that flag
    assert _hover(text, 12, "z") is None  # bound twice in its scope
    assert _hover(text, 4, "shape") is None  # a keyword, not a value
    assert _hover(text, 1, "keras") is None  # an import


def test_a_name_in_a_function_is_read_in_its_own_scope() -> None:
    text = """\
from keras import layers

seq = layers.GRU(16, return_sequences=True)

def build(x):
    seq = layers.GRU(16)(x)
    return layers.Dense(4)(seq)
"""
    assert _hover(text, 7, "seq") == "`seq`: last step (batch, 16) from GRU line 6"
    assert _hover(text, 3, "seq").startswith("`seq`: `GRU(16)` returns 1 tensor: the whole sequence")


def test_rebinding_elsewhere_silences_the_answer() -> None:
    text = """\
from keras import layers

seq = layers.GRU(16, return_sequences=True)(inputs)
last = [seq for seq in range(3)]
use(seq)

def reset():
    global seq
    seq = None
"""
    assert _hover(text, 4, "seq", occurrence=0) is None  # the comprehension's own variable
    assert _hover(text, 5, "seq") is None  # rebound by reset() through `global`


def test_producing_layer_of_a_finding() -> None:
    text = MODEL.replace("LSTM(32, return_state=True)", "LSTM(32)")
    analysis = api.analyse(text, "model.py", Settings(selection=Selection(select=("ALL",))))
    [finding] = [d for d in analysis.diagnostics if d.code == "RNN101"]
    layer = producing_layer(finding.origin[0])
    assert layer is not None and layer.class_name == "LSTM" and layer.node.lineno == 6 and layer.units == 32
