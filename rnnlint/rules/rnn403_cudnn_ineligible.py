from __future__ import annotations

from collections.abc import Iterator

from rnnlint.analysis.facts import LayerBuilt
from rnnlint.analysis.values import Const, Ref, Value
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.keras import catalogue
from rnnlint.rules._base import Finding, Invalid, Rule


class CudnnIneligible(Rule):
    """
    ## What it does
    Finds arguments that keep an `LSTM` or `GRU` off the fused cuDNN kernel.
    The Keras and TensorFlow documentation of both layers lists what the kernel
    needs ("The requirements to use the cuDNN implementation are: ..."):
    `activation` tanh, `recurrent_activation` sigmoid, `recurrent_dropout` 0,
    `unroll` False, `use_bias` True, and for GRU `reset_after` True.  The
    message names the argument that breaks the rule.

    Values must be known (literals, module constants, `keras.activations.relu`,
    `tf.nn.relu`); a layer with `use_cudnn=False` (Keras 3) has opted out and is
    not reported.  The documentation's two run-time conditions (masks strictly
    right-padded, eager execution in the outermost context) are not checked.

    ## Why is this bad?
    On a GPU the layer silently falls back to the generic implementation, which
    is several times slower.  That can be a deliberate trade (recurrent dropout
    regularises), so this is a hint, off by default.

    ## Example
    ```python
    keras.layers.LSTM(256, recurrent_dropout=0.2)
    ```

    ## Use instead
    ```python
    keras.layers.LSTM(256, dropout=0.2)
    ```

    ## Fix safety
    No fix: these arguments change what the model computes.
    """

    code = "RNN403"
    name = "cudnn-ineligible"
    severity = Severity.HINT
    summary = "arguments that keep LSTM/GRU off the fused cuDNN kernel"
    facts = (LayerBuilt,)

    valid = [
        "import keras\nkeras.layers.LSTM(8, dropout=0.2, activation='tanh', recurrent_activation='sigmoid')\n",
        "import keras\nkeras.layers.GRU(8, reset_after=True, recurrent_dropout=0.0)\n",
        "import keras\nkeras.layers.LSTM(8, activation=keras.activations.tanh)\n",
        "import keras\nkeras.layers.LSTM(8, recurrent_dropout=0.2, use_cudnn=False)\n",
        "import keras\ndef f(act):\n    return keras.layers.LSTM(8, activation=act)\n",
        "import keras\nkeras.layers.SimpleRNN(8, activation='relu')\n",
    ]
    invalid = [
        Invalid("import keras\nkeras.layers.LSTM(8, recurrent_dropout=0.2)\n"),
        Invalid("import keras\nkeras.layers.GRU(8, reset_after=False, use_bias=False)\n", count=2),
        Invalid("import tensorflow as tf\ntf.keras.layers.LSTM(8, activation=tf.nn.relu)\n"),
        Invalid("import keras\nkeras.layers.LSTM(8, recurrent_activation='hard_sigmoid', unroll=True)\n", count=2),
        Invalid("import keras\nkeras.layers.Bidirectional(keras.layers.GRU(8, activation=None))\n"),
    ]

    def check(self, fact: LayerBuilt, fixes: FixBuilder) -> Iterator[Finding]:
        layer = fact.layer
        if layer.class_name not in catalogue.CUDNN_CLASSES:
            return
        opt_out = layer.keywords.get("use_cudnn")
        if opt_out is not None and not (isinstance(opt_out, Const) and opt_out.value in (True, "auto")):
            return
        requirements = dict(catalogue.CUDNN_REQUIREMENTS)
        if layer.class_name == "GRU":
            requirements.update(catalogue.CUDNN_GRU_REQUIREMENTS)
        for keyword in layer.node.keywords:
            if keyword.arg not in requirements:
                continue
            needed, accepted = requirements[keyword.arg]
            given = _known_value(layer.keywords.get(keyword.arg))
            if given is _UNKNOWN or given in accepted:
                continue
            message = (
                f"{layer.label_text}: {keyword.arg}={given!r} keeps it off the fused cuDNN kernel, which needs "
                f"{keyword.arg}={needed}; on a GPU it runs the generic implementation, several times slower"
            )
            yield Finding(keyword, message)


_UNKNOWN = object()


def _known_value(value: Value | None) -> object:
    """A literal, or an activation function's name; `_UNKNOWN` otherwise."""
    if isinstance(value, Const) and (value.value is None or isinstance(value.value, (bool, int, float, str))):
        return value.value
    if isinstance(value, Ref):
        name = catalogue.activation_name(value.qualified)
        return name if name is not None else _UNKNOWN
    return _UNKNOWN
