from __future__ import annotations

import ast
from collections.abc import Iterator

from rnnlint.analysis.facts import Consumed, Role
from rnnlint.analysis.values import Outputs
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._common import consumer_name, returns_phrase


class StateListAsTensor(Rule):
    """
    ## What it does
    Finds the list returned by a recurrent layer with `return_state=True` (or a
    Bidirectional with `merge_mode=None`) used where one tensor is expected: fed
    to a layer, used in arithmetic, or passed to a function over one tensor
    (`keras.ops.tanh`, `keras.activations.relu`, `K.mean`, `tf.reduce_mean`).

    ## Why is this bad?
    With `return_state=True` the call returns `output, h, c` (a tuple in Keras 3,
    a list in Keras 2).  Feeding that to `Dense` or another recurrent layer
    raises deep inside Keras, far from the cause (tf-keras 2 says
    `int() argument must be ... not 'NoneType'` for a recurrent layer), and
    arithmetic on it works on the Python sequence: `* 2` repeats it silently.
    `keras.ops` functions fail while the model is built (`'tuple' object has
    no attribute 'shape'`); eager TensorFlow stacks the list into one tensor
    and computes on that, silently.

    ## Example
    ```python
    encoded = keras.layers.LSTM(64, return_state=True)(x)
    y = keras.layers.Dense(10)(encoded)
    ```

    ## Use instead
    ```python
    encoded, h, c = keras.layers.LSTM(64, return_state=True)(x)
    y = keras.layers.Dense(10)(encoded)
    ```

    ## Fix safety
    No fix: whether the states are wanted elsewhere is the author's call.
    """

    code = "RNN103"
    name = "state-list-as-tensor"
    severity = Severity.ERROR
    summary = "the list returned with return_state=True used as one tensor"
    facts = (Consumed,)

    valid = [
        "from keras.layers import LSTM, Dense\nout, h, c = LSTM(8, return_state=True)(x)\ny = Dense(4)(out)\n",
        "from keras.layers import LSTM, Concatenate\nres = LSTM(8, return_state=True)(x)\ny = Concatenate()(res)\n",
        "from keras.layers import LSTM, Dense\nres = LSTM(8, return_state=True)(x)\ny = Dense(4)(res[0])\n",
        # Keras 3 returns a tuple, Keras 2 a list: list() makes `+ [extra]` work on both.
        "from keras.layers import LSTM\nres = LSTM(8, return_state=True)(x)\nstates = list(res[1:]) + [extra]\n",
        # Functions over several tensors take the list as it is.
        "import keras\nres = keras.layers.LSTM(8, return_state=True)(x)\ny = keras.ops.concatenate(res, axis=-1)\n",
        "import tensorflow as tf\nres = tf.keras.layers.LSTM(8, return_state=True)(x)\ny = tf.stack(res)\n",
    ]
    invalid = [
        Invalid("from keras.layers import LSTM, Dense\nres = LSTM(8, return_state=True)(x)\ny = Dense(4)(res)\n"),
        Invalid("from keras.layers import GRU\nres = GRU(8, return_state=True)(x)\ny = res * 2\n"),
        Invalid(
            "from keras.layers import LSTM\nenc = LSTM(8, return_state=True)\ndec = LSTM(8)\ny = dec(enc(x))\n"
        ),
        Invalid("import keras\nres = keras.layers.LSTM(8, return_state=True)(x)\ny = keras.ops.tanh(res)\n"),
        Invalid("import tensorflow as tf\nres = tf.keras.layers.GRU(8, return_state=True)(x)\ny = tf.reduce_mean(res, axis=1)\n"),
    ]

    def check(self, fact: Consumed, fixes: FixBuilder) -> Iterator[Finding]:
        value = fact.value
        if not isinstance(value, Outputs):
            return
        if fact.role is Role.ARITHMETIC:
            use = "used in arithmetic"
        elif fact.role is Role.OPERAND and isinstance(fact.node, ast.Call):
            use = f"passed to {ast.unparse(fact.node.func)}(), which takes one tensor"
        elif fact.role is Role.INPUT and fact.consumer is not None:
            use = f"fed to {consumer_name(fact.consumer)}"
        else:
            return
        layer = value.producer
        message = (
            f"{layer.label_text} {returns_phrase(layer)}, and the whole list is {use}; "
            "unpack it or index [0] for the output"
        )
        yield Finding(fact.node, message)
