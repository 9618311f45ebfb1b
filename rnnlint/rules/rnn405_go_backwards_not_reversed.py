from __future__ import annotations

import ast
from collections.abc import Iterator

from rnnlint.analysis.facts import Merged
from rnnlint.analysis.values import Tensor, opposite_sequences
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._common import consumer_name


class BackwardsSequenceNotReversed(Rule):
    """
    ## What it does
    Finds the sequence output of a `go_backwards=True` layer combined step by
    step with a sequence that runs forwards in time: concatenated or merged
    (`Concatenate`, `Add`, `concatenate`, `tf.concat`, ...) or in arithmetic
    (`fwd + bwd`), without being reversed back first.

    The time order is followed through the layers: a `go_backwards` layer
    returns its outputs last step first; reversing it with
    `keras.ops.flip(x, axis=1)`, `tf.reverse(x, [1])`, `K.reverse(x, 1)` or
    `x[:, ::-1]`, or feeding it through a second `go_backwards` layer, restores
    the order; `Bidirectional` restores it itself.  A last-step output (no
    `return_sequences`) has no order and is never reported: concatenating the
    final states of a forward and a backward layer is the classic manual
    bidirectional layer.  Orders the analysis cannot see (a `Lambda`, a
    helper from another module) are unknown and not reported.

    When the input's order is unknown (a function's parameter, the output of
    a CNN and a `Reshape` in a CRNN, `inputs` in a custom layer's `call`), a
    forward layer and a `go_backwards` layer that read the *same* tensor (the
    same value, or the same name not assigned in between) still return
    sequences running opposite ways, and merging them is reported.

    ## Why is this bad?
    Step t of the backward output belongs to input step T-1-t, so every merged
    step pairs the wrong positions.  Keras accepts it silently; the model
    trains worse and per-step predictions are misaligned.

    ## Example
    ```python
    forward = keras.layers.LSTM(64, return_sequences=True)(x)
    backward = keras.layers.LSTM(64, return_sequences=True, go_backwards=True)(x)
    merged = keras.layers.Concatenate()([forward, backward])
    ```

    ## Use instead
    ```python
    forward = keras.layers.LSTM(64, return_sequences=True)(x)
    backward = keras.layers.LSTM(64, return_sequences=True, go_backwards=True)(x)
    merged = keras.layers.Concatenate()([forward, keras.ops.flip(backward, axis=1)])
    ```
    or `keras.layers.Bidirectional(keras.layers.LSTM(64, return_sequences=True))(x)`.

    ## Fix safety
    No fix: where to reverse (or whether to use Bidirectional) is the author's call.
    """

    code = "RNN405"
    name = "go-backwards-not-reversed"
    severity = Severity.WARNING
    summary = "a go_backwards sequence merged with forward-time data without being reversed back"
    facts = (Merged,)

    valid = [
        "import keras\nfrom keras import layers\n"
        "f = layers.LSTM(8, return_sequences=True)(x)\nb = layers.LSTM(8, return_sequences=True, go_backwards=True)(x)\n"
        "m = layers.Concatenate()([f, keras.ops.flip(b, axis=1)])\n",
        "import tensorflow as tf\nfrom tensorflow.keras import layers\nx = tf.keras.Input(shape=(10, 4))\n"
        "f = layers.LSTM(8, return_sequences=True)(x)\nb = layers.LSTM(8, return_sequences=True, go_backwards=True)(x)\n"
        "m = layers.Concatenate()([f, tf.reverse(b, [1])])\n",
        # Last steps have no order: the manual bidirectional layer.
        "import keras\nfrom keras import layers\nx = keras.Input(shape=(10, 4))\n"
        "f = layers.LSTM(8)(x)\nb = layers.LSTM(8, go_backwards=True)(x)\nm = layers.Concatenate()([f, b])\n",
        "import keras\nfrom keras import layers\nx = keras.Input(shape=(10, 4))\n"
        "f = layers.LSTM(8, return_sequences=True)(x)\nb = layers.Bidirectional(layers.LSTM(4, return_sequences=True))(x)\n"
        "m = layers.Add()([f, b])\n",
        # Two backward passes: back in forward order.
        "import keras\nfrom keras import layers\nx = keras.Input(shape=(10, 4))\n"
        "b = layers.GRU(8, return_sequences=True, go_backwards=True)(x)\n"
        "bb = layers.GRU(8, return_sequences=True, go_backwards=True)(b)\n"
        "m = layers.Concatenate()([x, bb])\n",
        "import keras\nfrom keras import layers\nx = keras.Input(shape=(10, 4))\n"
        "b = layers.LSTM(4, return_sequences=True, go_backwards=True)(x)\nm = layers.Add()([b, x[:, ::-1]])\n",
        # Unknown inputs: two different tensors have no known relation.
        "from keras import layers\ndef block(a, b):\n    f = layers.GRU(8, return_sequences=True)(a)\n"
        "    r = layers.GRU(8, return_sequences=True, go_backwards=True)(b)\n    return layers.add([f, r])\n",
        # The name is assigned again in between: not the same tensor.
        "from keras import layers\ndef block(x):\n    f = layers.GRU(8, return_sequences=True)(x)\n"
        "    x = layers.Dense(8)(x)\n    r = layers.GRU(8, return_sequences=True, go_backwards=True)(x)\n"
        "    return layers.add([f, r])\n",
    ]
    invalid = [
        Invalid(
            "import keras\nfrom keras import layers\nx = keras.Input(shape=(10, 4))\n"
            "f = layers.LSTM(8, return_sequences=True)(x)\n"
            "b = layers.LSTM(8, return_sequences=True, go_backwards=True)(x)\nm = layers.Concatenate()([f, b])\n"
        ),
        Invalid(
            "import tensorflow as tf\nx = tf.keras.Input(shape=(None, 4))\n"
            "f = tf.keras.layers.GRU(8, return_sequences=True)(x)\n"
            "b = tf.keras.layers.GRU(8, return_sequences=True, go_backwards=True)(x)\n"
            "m = tf.concat([f, tf.keras.layers.Dropout(0.1)(b)], axis=-1)\n"
        ),
        Invalid(
            "import keras\nfrom keras import layers\nx = keras.Input(shape=(10, 4))\n"
            "f = layers.LSTM(8, return_sequences=True)(x)\n"
            "b = layers.LSTM(8, return_sequences=True, go_backwards=True)(x)\ns = f + b\n"
        ),
        # The CRNN pattern: the time order after the CNN is unknown, but both layers read the same tensor.
        Invalid(
            "from keras import layers\ndef crnn(images):\n    x = layers.Conv2D(32, 3)(images)\n"
            "    x = layers.Reshape((-1, 64))(x)\n    f = layers.LSTM(64, return_sequences=True)(x)\n"
            "    b = layers.LSTM(64, return_sequences=True, go_backwards=True)(x)\n    return layers.add([f, b])\n"
        ),
        Invalid(
            "from keras import layers\nclass Block(layers.Layer):\n    def __init__(self):\n        super().__init__()\n"
            "        self.f = layers.GRU(8, return_sequences=True)\n"
            "        self.b = layers.GRU(8, return_sequences=True, go_backwards=True)\n"
            "    def call(self, inputs):\n        return layers.Concatenate()([self.f(inputs), self.b(inputs)])\n"
        ),
    ]

    def check(self, fact: Merged, fixes: FixBuilder) -> Iterator[Finding]:
        found = opposite_sequences(fact.values)
        if found is None:
            return
        backwards, forwards, layer = found
        if isinstance(fact.node, ast.BinOp):
            where = "in arithmetic"
        elif fact.consumer is None and isinstance(fact.node, ast.Call):
            where = f"by {ast.unparse(fact.node.func)}()"
        elif fact.consumer is None:
            where = "by a concatenation"
        else:
            where = f"by {consumer_name(fact.consumer)}"
        message = (
            f"the sequence output of {layer.label_text} runs backwards in time (go_backwards=True), but it is merged "
            f"{where} with {_forward_phrase(forwards)}, which runs forwards; reverse it back along the time "
            "axis first (keras.ops.flip(x, axis=1)), or use Bidirectional"
        )
        yield Finding(fact.node, message)


def _forward_phrase(tensor: Tensor) -> str:
    if tensor.producer is not None:
        return f"the output of {tensor.producer.label_text}"
    if tensor.shape is not None:
        return f"the input of shape {tensor.shape}"
    return "a sequence"
