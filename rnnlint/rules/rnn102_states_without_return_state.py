from __future__ import annotations

from collections.abc import Iterator

from rnnlint.analysis.facts import Consumed, Indexed, Role
from rnnlint.analysis.values import Tensor
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._states import needed_states


class StatesWithoutReturnState(Rule):
    """
    ## What it does
    Finds code that reads the final states of a recurrent layer built without
    `return_state=True`: `lstm(x)[1]`, `lstm(x)[1:]`, `initial_state=encoder(x)`
    where the receiver needs more than one state (an LSTM, a Bidirectional) or
    the encoder returns a sequence.  A last-step output passed as the one state
    of a GRU or SimpleRNN is left alone: the last output is the final h, and
    Keras accepts it (the "thought vector" pattern).
    A result computed from concrete data (`layer(np.ones(...))`, as tests do) is
    an array whose rows are meant when it is indexed, so it is left alone.

    ## Why is this bad?
    Without `return_state` the call returns one tensor, so indexing it selects
    rows of the batch, not states.  Keras raises at best (`initial_state` gets a
    tensor of the wrong shape); in eager code the wrong values flow on silently.

    ## Example
    ```python
    encoder = keras.layers.LSTM(64)
    states = encoder(x)[1:]
    ```

    ## Use instead
    ```python
    encoder = keras.layers.LSTM(64, return_state=True)
    states = encoder(x)[1:]
    ```

    ## Fix safety
    The fix adds `return_state=True` to the layer's construction.  Every other
    use of that call's result then receives a list instead of a tensor, so the
    fix is safe only when the layer object is called once and that call's
    result is used only here; otherwise it is unsafe.
    A layer built in another module is unknown to the analysis: no finding is
    reported for it, so no fix edits another file.
    """

    code = "RNN102"
    name = "states-without-return-state"
    severity = Severity.ERROR
    summary = "states read from a recurrent layer built without return_state"
    facts = (Indexed, Consumed)

    valid = [
        "from keras.layers import LSTM\nh = LSTM(8, return_state=True)(x)[1]\n",
        "from keras.layers import LSTM\nout = LSTM(8)(x)[0]\n",
        "from keras.layers import LSTM\nlast = LSTM(8, return_sequences=True)(x)[:, -1]\n",
        "from keras.layers import LSTM\nout, h, c = LSTM(8, return_state=True)(x)\ny = LSTM(8)(z, initial_state=[h, c])\n",
        "from keras.layers import LSTM\ndef f(x, rs):\n    return LSTM(8, return_state=rs)(x)[1:]\n",
        # The thought vector: a GRU's last output is its final h, the one state a GRU receiver needs.
        "from keras.layers import GRU\nencoder = GRU(8)\ndecoder = GRU(8)\ny = decoder(z, initial_state=encoder(x))\n",
        "from keras.layers import LSTM, SimpleRNN\ny = SimpleRNN(8)(z, initial_state=[LSTM(8)(x)])\n",
        "import numpy as np\nfrom keras.layers import GRU\n"
        "out = GRU(2, return_sequences=True)(np.ones((2, 4, 3)).astype('float32'))\n"
        "first, second = out[0], out[1]\n",
    ]
    invalid = [
        Invalid(
            "from keras.layers import LSTM\nstates = LSTM(8)(x)[1:]\n",
            fixed="from keras.layers import LSTM\nstates = LSTM(8, return_state=True)(x)[1:]\n",
        ),
        Invalid("import keras\nenc = keras.layers.GRU(8)\nh = enc(x)[1]\n"),
        Invalid(
            "from keras.layers import LSTM\nencoder = LSTM(8)\ndecoder = LSTM(8)\n"
            "y = decoder(z, initial_state=encoder(x))\n",
        ),
        Invalid(
            "from keras.layers import GRU\nencoder = GRU(8, return_sequences=True)\ndecoder = GRU(8)\n"
            "y = decoder(z, initial_state=encoder(x))\n",
        ),
        Invalid(
            "from keras.layers import GRU, Bidirectional\nencoder = GRU(8)\ndecoder = Bidirectional(GRU(8))\n"
            "y = decoder(z, initial_state=encoder(x))\n",
        ),
    ]

    def check(self, fact: Indexed | Consumed, fixes: FixBuilder) -> Iterator[Finding]:
        if isinstance(fact, Indexed):
            reads_states = (fact.is_slice and (fact.slice_start or 0) >= 1) or (
                not fact.is_slice and fact.index not in (None, 0)
            )
            # Eager results are arrays: code indexing them (tests comparing rows) means batch rows.
            eager = isinstance(fact.value, Tensor) and fact.value.eager
            if reads_states and not eager:
                yield from self.report(fact.value, fact.node, "is indexed as if it returned states", fixes)
        elif fact.role is Role.INITIAL_STATE and _more_than_the_output(fact):
            yield from self.report(fact.value, fact.node, "is passed as `initial_state`", fixes)

    def report(self, value: object, node, what: str, fixes: FixBuilder) -> Iterator[Finding]:  # noqa: ANN001
        if not (isinstance(value, Tensor) and value.direct and value.state is None and value.producer is not None):
            return
        layer = value.producer
        if layer.flag("return_state") is not False or layer.returned_count != 1:
            return
        message = f"the output of {layer.label_text} {what}, but the layer has no return_state; add return_state=True"
        yield Finding(node, message, fixes.keyword_fix(layer, "return_state", "True"))


def _more_than_the_output(fact: Consumed) -> bool:
    """Whether the receiver cannot take the one output as its states.

    The last-step output of a layer is its final h: a GRU or SimpleRNN receiver,
    which needs just h, accepts it (the "thought vector" of many tutorials).  A
    sequence output, or a receiver needing several states (LSTM: h and c;
    Bidirectional: one set per direction), does not.
    """
    value = fact.value
    if isinstance(value, Tensor) and value.time is True:
        return True
    needed = needed_states(fact.consumer) if fact.consumer is not None else None
    return needed is not None and needed > 1
