from __future__ import annotations

from collections.abc import Iterator

from rnnlint.analysis.facts import Consumed, Role
from rnnlint.analysis.values import Outputs
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._common import tensors
from rnnlint.rules._states import given_states, kind_mismatch, needed_states, reads_output_without_return_state


class InitialStateCount(Rule):
    """
    ## What it does
    Checks that `initial_state=` holds as many tensors as the receiving layer
    carries states: 2 for an LSTM (h and c), 1 for a GRU or SimpleRNN, twice
    that for a Bidirectional layer.  The states are followed through unpacking
    (`out, h, c = encoder(x)`), slicing (`encoder(x)[1:]`), lists built in the
    code (`states = [h, c]`) and `keras.Input(shape=(units,))` placeholders.

    Receivers with stacked cells (`RNN([cell, cell])`, whose states nest one
    list per cell) and states the analysis cannot count (a parameter, the
    result of unknown code) are not checked.

    Two neighbours take precedence: the complete states of an LSTM given to a
    GRU (or the other way round) are RNN303's, with a sharper message, and the
    output of a layer without `return_state` passed as states is RNN102's.

    ## Why is this bad?
    Keras builds the model without complaint and fails when it runs (`list
    index out of range`, `Too few leaves for PyTreeSpec`), or, given more
    tensors than it carries states, silently reads the first ones: a GRU given
    an encoder's whole `[output, h]` takes the output as its state and ignores
    `h` (Keras 3; tf-keras raises).

    ## Example
    ```python
    encoded = keras.layers.LSTM(64, return_state=True)(x)
    y = keras.layers.LSTM(64)(z, initial_state=encoded)  # output, h, c: 3 tensors
    ```

    ## Use instead
    ```python
    encoded, h, c = keras.layers.LSTM(64, return_state=True)(x)
    y = keras.layers.LSTM(64)(z, initial_state=[h, c])
    ```

    ## Fix safety
    No fix: which tensors the author meant to pass is not always clear.
    """

    code = "RNN301"
    name = "initial-state-count"
    severity = Severity.ERROR
    summary = "initial_state holds a number of tensors different from the states the layer carries"
    facts = (Consumed,)

    valid = [
        "from keras.layers import LSTM\nout, h, c = LSTM(8, return_state=True)(x)\ny = LSTM(8)(z, initial_state=[h, c])\n",
        "from keras.layers import GRU\nout, h = GRU(8, return_state=True)(x)\ny = GRU(8)(z, initial_state=h)\n",
        "from keras.layers import LSTM\nstates = LSTM(8, return_state=True)(x)[1:]\ny = LSTM(8)(z, initial_state=states)\n",
        "import keras\nh = keras.Input(shape=(8,))\nc = keras.Input(shape=(8,))\n"
        "y = keras.layers.LSTM(8)(z, initial_state=[h, c])\n",
        "from keras.layers import LSTM, Bidirectional\n"
        "out, *states = Bidirectional(LSTM(8, return_state=True))(x)\n"
        "y = Bidirectional(LSTM(8))(z, initial_state=states)\n",
        # Unknown count: states from a parameter.
        "from keras.layers import LSTM\ndef decode(z, states):\n    return LSTM(8)(z, initial_state=states)\n",
        # An LSTM's h alone into a GRU is a common, valid choice.
        "from keras.layers import LSTM, GRU\nout, h, c = LSTM(8, return_state=True)(x)\ny = GRU(8)(z, initial_state=[h])\n",
    ]
    invalid = [
        Invalid(
            "from keras.layers import LSTM\nencoded = LSTM(8, return_state=True)(x)\n"
            "y = LSTM(8)(z, initial_state=encoded)\n"
        ),
        Invalid(
            "from keras.layers import LSTM\nout, h, c = LSTM(8, return_state=True)(x)\ny = LSTM(8)(z, initial_state=[h])\n"
        ),
        Invalid("import keras\nh = keras.Input(shape=(8,))\ny = keras.layers.LSTM(8)(z, initial_state=h)\n"),
        # Keras 3 runs this: the GRU takes the encoder's output as its state and ignores h.
        Invalid("from keras.layers import GRU\nencoded = GRU(8, return_state=True)(x)\ny = GRU(8)(z, initial_state=encoded)\n"),
        Invalid(
            "from keras.layers import LSTM, Bidirectional\nout, h, c = LSTM(8, return_state=True)(x)\n"
            "y = Bidirectional(LSTM(8))(z, initial_state=[h, c])\n"
        ),
    ]

    def check(self, fact: Consumed, fixes: FixBuilder) -> Iterator[Finding]:
        if fact.role is not Role.INITIAL_STATE or fact.consumer is None:
            return
        receiver = fact.consumer
        needed = needed_states(receiver)
        given = given_states(fact.value)
        if needed is None or given is None or len(given) == needed:
            return
        if reads_output_without_return_state(fact.value) or kind_mismatch(receiver, given) is not None:
            return
        kinds = receiver.state_kinds
        names = ", ".join(getattr(kinds, "names", ()))
        per_direction = " per direction" if receiver.is_bidirectional else ""
        message = (
            f"{receiver.label_text} carries {tensors(needed)} of state ({names}{per_direction}), "
            f"but initial_state holds {tensors(len(given))}"
        )
        if isinstance(fact.value, Outputs):
            message += f": the whole result of {fact.value.producer.label_text}, output included; pass its [1:]"
        yield Finding(fact.node, message)
