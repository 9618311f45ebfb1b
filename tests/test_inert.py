"""Functions skipped on their own because nothing in them can be Keras' (rnnlint/analysis/inert.py).

The skip must change nothing the rules say: every fixture and every rule example is
analysed with the skip (the source text given) and without it, and the findings, fixes
included, are compared.  The judgement itself is checked on functions written the way
projects write them, each with a look-alike that must still be analysed.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from rnnlint.analysis.interpret import Interpreter
from rnnlint.api import _apply_rules
from rnnlint.rules import all_rules
from rnnlint.settings import Selection, Settings
from rnnlint.sources.python import LineIndex, SourceError, SourceText

FIXTURES = Path(__file__).parent / "fixtures"
ALL = Settings(selection=Selection(select=("ALL",)))


def judged(source: str) -> dict[str, bool]:
    """Per function of `source`: whether its analysis on its own was skipped."""
    source = textwrap.dedent(source)
    tree = ast.parse(source)
    interpreter = Interpreter(tree, source=LineIndex(source))
    interpreter.run()
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return {f.name: not any(id(s) in interpreter.executed for s in f.body) for f in functions}


HEADER = """\
import argparse
import json
import numpy as np
import keras
from keras import callbacks, layers

ENCODER = layers.LSTM(8)
WIDTH = 16
"""


@pytest.mark.parametrize(
    "body",
    [
        "def parse(argv):\n    parser = argparse.ArgumentParser()\n    parser.add_argument('--epochs', type=int)\n    return parser.parse_args(argv)\n",
        "def windows(series, size=WIDTH):\n    rows = [series[i : i + size] for i in range(len(series) - size)]\n    return np.asarray(rows)[..., None]\n",
        "def save(history, path):\n    with open(path, 'w') as out:\n        json.dump({k: list(v) for k, v in history.items()}, out)\n",
        "def train(model, data):\n    stop = callbacks.EarlyStopping(patience=3)\n    return model.fit(data, callbacks=[stop])\n",
        "def helper(x):\n    return x + 1\n\ndef caller(x):\n    return helper(x) * 2\n",
    ],
)
def test_a_function_with_nothing_of_keras_in_it_is_skipped(body: str) -> None:
    found = judged(HEADER + body)
    assert found and all(found.values()), found


@pytest.mark.parametrize(
    "body",
    [
        # Keras itself, directly or through a module-level layer, a helper, a star import.
        "def build(x):\n    return layers.GRU(8)(x)\n",
        "def encode(x):\n    return ENCODER(x)\n",
        "def make():\n    return keras.Sequential()\n",
        "def block(x):\n    return layers.GRU(8)(x)\n\ndef caller(x):\n    return block(x)\n",
        # The model's layers reached by name: any layer object may be called there.
        "def freeze(model):\n    for layer in model.layers:\n        layer.trainable = False\n",
        "def pick(model):\n    return model.get_layer('encoder')\n",
        # What the test cannot see: an import, a global rebound, a class defined inside.
        "def late(x):\n    from keras.layers import LSTM\n    return LSTM(4)(x)\n",
        "def rebind():\n    global WIDTH\n    WIDTH = 32\n",
        "def factory():\n    class Attention:\n        pass\n    return Attention()\n",
        # A name Python reads as `keras` (NFKC), and two functions calling each other.
        "def odd(x):\n    return \uff4b\uff45\uff52\uff41\uff53.layers.GRU(8)(x)\n",
        "def ping(n):\n    return pong(n - 1)\n\ndef pong(n):\n    return ping(n - 1)\n",
    ],
)
def test_a_function_that_may_hold_a_keras_value_is_analysed(body: str) -> None:
    found = judged(HEADER + body)
    assert not all(found.values()), found


def test_a_function_naming_itself_is_judged_by_the_rest_of_its_body() -> None:
    found = judged(HEADER + "def parse_args(argv):\n    return argparse.ArgumentParser().parse_args(argv)\n"
                   "\ndef depth(tree):\n    return 1 + max((depth(c) for c in tree), default=0)\n"
                   "\ndef grow(x):\n    return grow(layers.Dense(4)(x))\n")
    assert found == {"parse_args": True, "depth": True, "grow": False}


def test_a_word_in_a_string_is_read_as_a_name_cautiously() -> None:
    # The text test reads more than the code does: a builder's name in a string keeps a
    # function analysed (never the reverse).
    found = judged(HEADER + "def build():\n    return layers.GRU(8)\n\ndef describe():\n    return 'build'\n")
    assert found == {"build": False, "describe": False}


def test_without_the_source_text_nothing_is_skipped() -> None:
    source = HEADER + "def parse(argv):\n    return argparse.ArgumentParser().parse_args(argv)\n"
    tree = ast.parse(source)
    interpreter = Interpreter(tree)
    interpreter.run()
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
    assert id(function.body[0]) in interpreter.executed


def _examples() -> list[tuple[str, str]]:
    """Every fixture and every rule example that parses."""
    cases = []
    for path in sorted(FIXTURES.rglob("*.py")):
        try:
            cases.append((str(path.relative_to(FIXTURES)), SourceText.from_bytes(path.read_bytes()).text))
        except SourceError:
            continue
    for rule in all_rules():
        examples = [*rule.valid, *(invalid.code for invalid in rule.invalid)]
        cases.extend((f"{rule.code} example {i}", code) for i, code in enumerate(examples))
    return [(name, text) for name, text in cases if _parses(text)]


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


EXAMPLES = _examples()


@pytest.mark.parametrize(("name", "source"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_skipping_changes_no_finding(name: str, source: str) -> None:
    """Findings and fixes are the same with the skip (the source text given) and without it."""

    def findings(*, skipping: bool) -> list[tuple]:
        tree = ast.parse(source)
        lines = LineIndex(source)
        facts = Interpreter(tree, ALL.target_keras, source=lines if skipping else None).run()
        analysis = _apply_rules(tree, facts, lines, "model.py", ALL, every_rule=True)
        return sorted((d.code, d.location, d.message, repr(d.fix)) for d in analysis.diagnostics)

    assert findings(skipping=True) == findings(skipping=False)
