from __future__ import annotations

from collections.abc import Iterator

from rnnlint.analysis.facts import Consumed, Role
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._common import describe_tensor
from rnnlint.rules._states import given_states, kind_mismatch, needed_states


class StateWidthMismatch(Rule):
    """
    ## What it does
    Checks that the states given as `initial_state` are as wide as the
    receiving layer's `units`.  A state's width is its producer's `units`
    (`filters` for ConvLSTM), the `shape=(units,)` of a `keras.Input`
    placeholder, a Dense's `units`, or the sum of the parts of a concatenation
    along the last axis (a Bidirectional encoder's forward and backward states
    concatenated are twice as wide).  Units are followed through literals,
    module and function constants and simple arithmetic (`2 * UNITS`,
    `UNITS // 2`, `int(...)`, `max(...)`).

    When neither width is known, their ratio may be: `LSTM(units)` given the
    concatenated states of a `Bidirectional(LSTM(units))` (`2 * units` wide),
    where `units` is the same name, not assigned in between (a function's
    parameter, say), is reported whatever `units` holds.

    It runs only when the number of states is right (else RNN301 or RNN303
    reports) and when both widths, or their ratio, are known.

    ## Why is this bad?
    Keras builds the model and fails when it runs, inside a matrix
    multiplication (`Matrix size-incompatible: In[0]: [32,256], In[1]:
    [128,512]`), far from the line that chose the widths.

    ## Example
    ```python
    _, h, c = keras.layers.LSTM(256, return_state=True)(source)
    y = keras.layers.LSTM(128)(target, initial_state=[h, c])
    ```

    ## Use instead
    ```python
    _, h, c = keras.layers.LSTM(256, return_state=True)(source)
    y = keras.layers.LSTM(256)(target, initial_state=[h, c])
    ```

    ## Fix safety
    No fix: either side's width may be the intended one.
    """

    code = "RNN302"
    name = "state-width-mismatch"
    severity = Severity.ERROR
    summary = "states whose width differs from the receiving layer's units"
    facts = (Consumed,)

    valid = [
        "from keras.layers import LSTM\nUNITS = 64\n_, h, c = LSTM(UNITS, return_state=True)(x)\n"
        "y = LSTM(UNITS)(z, initial_state=[h, c])\n",
        "import keras\nh = keras.Input(shape=(64,))\nc = keras.Input(shape=(64,))\n"
        "y = keras.layers.LSTM(64)(z, initial_state=[h, c])\n",
        "from keras.layers import LSTM, Bidirectional, Concatenate\nU = 32\n"
        "_, fh, fc, bh, bc = Bidirectional(LSTM(U, return_state=True))(x)\n"
        "h = Concatenate()([fh, bh])\nc = Concatenate()([fc, bc])\ny = LSTM(2 * U)(z, initial_state=[h, c])\n",
        "from keras.layers import LSTM\ndef f(x, z, units):\n    _, h, c = LSTM(64, return_state=True)(x)\n"
        "    return LSTM(units)(z, initial_state=[h, c])\n",
        "import tensorflow as tf\nfrom tensorflow.keras.layers import GRU, Bidirectional\n"
        "_, fh, bh = Bidirectional(GRU(16, return_state=True))(x)\n"
        "y = GRU(32)(z, initial_state=tf.concat([fh, bh], axis=-1))\n",
        # Added, not concatenated: the width stays 16.
        "from keras.layers import GRU, Bidirectional, Add\n"
        "_, fh, bh = Bidirectional(GRU(16, return_state=True))(x)\ny = GRU(16)(z, initial_state=Add()([fh, bh]))\n",
        # Unknown widths in a known ratio that agrees; or two unrelated names, whose values nobody knows.
        "from keras import layers\ndef build(x, z, units):\n"
        "    _, fh, fc, bh, bc = layers.Bidirectional(layers.LSTM(units, return_state=True))(x)\n"
        "    h, c = layers.concatenate([fh, bh]), layers.concatenate([fc, bc])\n"
        "    return layers.LSTM(2 * units)(z, initial_state=[h, c])\n",
        "from keras import layers\ndef build(x, z, units, decoder_units):\n"
        "    _, h, c = layers.LSTM(units, return_state=True)(x)\n"
        "    return layers.LSTM(decoder_units)(z, initial_state=[h, c])\n",
    ]
    invalid = [
        Invalid(
            "from keras.layers import LSTM\n_, h, c = LSTM(256, return_state=True)(x)\ny = LSTM(128)(z, initial_state=[h, c])\n"
        ),
        Invalid("import keras\nh = keras.Input(shape=(32,))\ny = keras.layers.GRU(64)(z, initial_state=[h])\n"),
        Invalid(
            "from keras.layers import LSTM, Bidirectional, Concatenate\nU = 32\n"
            "_, fh, fc, bh, bc = Bidirectional(LSTM(U, return_state=True))(x)\n"
            "h = Concatenate()([fh, bh])\nc = Concatenate()([fc, bc])\ny = LSTM(U)(z, initial_state=[h, c])\n"
        ),
        Invalid(
            "from keras.layers import GRU\nUNITS = 64\n\ndef build(x, z):\n    _, h = GRU(UNITS // 2, return_state=True)(x)\n"
            "    return GRU(UNITS)(z, initial_state=h)\n"
        ),
        # Neither width is known; their ratio is.
        Invalid(
            "from keras import layers\ndef build(x, z, units):\n"
            "    _, fh, fc, bh, bc = layers.Bidirectional(layers.LSTM(units, return_state=True))(x)\n"
            "    h, c = layers.concatenate([fh, bh]), layers.concatenate([fc, bc])\n"
            "    return layers.LSTM(units)(z, initial_state=[h, c])\n"
        ),
    ]

    def check(self, fact: Consumed, fixes: FixBuilder) -> Iterator[Finding]:
        if fact.role is not Role.INITIAL_STATE or fact.consumer is None:
            return
        receiver = fact.consumer
        units, units_of = receiver.state_units, receiver.state_units_of
        given = given_states(fact.value)
        if (units is None and units_of is None) or given is None or len(given) != needed_states(receiver):
            return
        if kind_mismatch(receiver, given) is not None:
            return
        for state in given:
            if state.time is not False:
                continue
            if units is not None and state.width is not None and state.width != units:
                expected, found = str(units), str(state.width)
            elif units_of is not None and units_of.same_base(state.width_of) and state.width_of != units_of:
                # Neither size is known, but their ratio is: `LSTM(units)` given `2 * units`-wide states.
                expected, found = f"`{units_of}`", f"`{state.width_of}`"
            else:
                continue
            message = (
                f"{receiver.label_text} has {expected} units, but its initial state, {describe_tensor(state)}, "
                f"is {found} wide; states must be as wide as the receiver's units"
            )
            yield Finding(fact.node, message)
            return
