"""What the code does with a call's result (analysis/usage.py), and the completeness of a layer's calls."""

from __future__ import annotations

import ast

import pytest

from rnnlint.analysis.facts import LayerSummary
from rnnlint.analysis.interpret import interpret
from rnnlint.analysis.usage import ModuleUsage


def kept(source: str, count: int) -> tuple[bool, ...]:
    tree = ast.parse(source)
    call = next(node for node in ast.walk(tree) if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "f")
    return ModuleUsage(tree).kept(call, count)


@pytest.mark.parametrize(
    ("source", "count", "expected"),
    [
        ("out, _, _ = f(x)\nuse(out)\n", 3, (True, False, False)),
        ("out, h, c = f(x)\nuse(out, c)\n", 3, (True, False, True)),
        ("out, *states = f(x)\nuse(out)\n", 3, (True, False, False)),
        ("out, *states = f(x)\nuse(states)\n", 3, (False, True, True)),
        ("f(x)\n", 2, (False, False)),
        ("y = f(x)[0]\n", 3, (True, False, False)),
        ("y = f(x)[-1]\n", 2, (False, True)),
        ("y = f(x)[1:]\n", 3, (False, True, True)),
        ("y = f(x)\n", 1, (False,)),
        ("y = f(x)\nprint(y)\n", 1, (True,)),
        ("self.y, _ = f(x)\n", 2, (True, False)),
        ("return_value = g(f(x))\n", 2, (True, True)),
        ("a, b = f(x)\n", 3, (True, True, True)),  # a wrong unpacking is another rule's business
        ("_, h = f(x)\nprint(locals())\n", 2, (True, True)),  # names read dynamically
        ("__all__ = ['h']\n_, h = f(x)\n", 2, (False, True)),
        ("y = f(x)[i]\n", 2, (True, True)),
    ],
)
def test_kept_items(source, count, expected):
    assert kept(source, count) == expected


def summary(source: str) -> dict[str, bool]:
    """Layer label -> whether all its calls are known."""
    facts = interpret(ast.parse(source))
    return {layer.label: layer.calls_known for f in facts if isinstance(f, LayerSummary) for layer in f.layers}


def test_calls_are_known_when_every_read_of_the_layer_is_followed():
    source = "from keras.layers import LSTM\ndec = LSTM(8, return_state=True)\na = dec(x)\nb = dec(y)\n"
    assert summary(source) == {"dec": True}


@pytest.mark.parametrize(
    "escape",
    [
        "outs = [dec(t) for t in ts]\n",
        "f = lambda t: dec(t)\n",
        "helper(dec)\n",
        "layers = [dec]\n",
        "registry['d'] = dec\n",
        "dec.trainable = False\n",
        "def make():\n    return dec\n",
        "model = build()\nsame = model.layers[1]\n",
        "model = build()\nsame = model.get_layer('dec')\n",
    ],
)
def test_calls_are_unknown_once_the_layer_escapes(escape):
    source = "from keras.layers import LSTM\ndec = LSTM(8, return_state=True)\na = dec(x)\n" + escape
    assert summary(source)["dec"] is False


def test_attribute_read_from_outside_the_class_makes_calls_unknown():
    source = (
        "import keras\nclass M(keras.Model):\n    def __init__(self):\n        super().__init__()\n"
        "        self.decoder = keras.layers.GRU(8, return_state=True)\n"
        "    def call(self, x):\n        out, _ = self.decoder(x)\n        return out\n"
        "model = M()\nout, state = model.decoder(x)\n"
    )
    assert summary(source)["decoder"] is False


def test_keras_layers_module_is_not_a_dynamic_layer_access():
    source = "import keras\ndec = keras.layers.LSTM(8, return_state=True)\na = dec(x)\nb = keras.layers.Dense(2)\n"
    assert summary(source)["dec"] is True


def test_the_module_is_walked_only_when_a_rule_asks():
    """The walk behind `kept` and `calls_known` is a quarter of the analysis: only the hint rules RNN501/502 need it."""
    from rnnlint.analysis.interpret import Interpreter

    source = "from keras.layers import LSTM\ndec = LSTM(8, return_state=True)\nout, h, c = dec(x)\nuse(out)\n"
    interpreter = Interpreter(ast.parse(source))
    facts = interpreter.run()
    assert not interpreter.usage._indexed
    [layer] = [layer for f in facts if isinstance(f, LayerSummary) for layer in f.layers]
    assert layer.calls_known and layer.calls[0].kept == (True, False, False)
    assert interpreter.usage._indexed
