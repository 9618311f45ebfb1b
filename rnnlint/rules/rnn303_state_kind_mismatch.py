from __future__ import annotations

from collections.abc import Iterator

from rnnlint.analysis.facts import Consumed, Role
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.keras.catalogue import StateKind
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._states import given_states, kind_mismatch


class StateKindMismatch(Rule):
    """
    ## What it does
    Finds the complete states of one kind of recurrent layer given as the
    `initial_state` of another kind: an LSTM's `[h, c]` to a GRU or SimpleRNN,
    or a GRU's (or SimpleRNN's) `[h]` to an LSTM, including the Bidirectional
    versions.  It reports these instead of RNN301, whose count check they also
    fail, because the cause is the kind of layer, not a miscount.

    Passing only an LSTM's `h` to a GRU is a common, valid choice and is not
    reported.

    ## Why is this bad?
    A GRU given `[h, c]` silently ignores `c` in Keras 3 (the model trains, on
    half of what the author meant to hand over); a SimpleRNN raises; an LSTM
    given one state fails when the model runs.

    ## Example
    ```python
    _, h, c = keras.layers.LSTM(64, return_state=True)(source)
    y = keras.layers.GRU(64)(target, initial_state=[h, c])
    ```

    ## Use instead
    ```python
    _, h, c = keras.layers.LSTM(64, return_state=True)(source)
    y = keras.layers.LSTM(64)(target, initial_state=[h, c])
    ```

    ## Fix safety
    No fix: whether to change the decoder's kind or pass only `h` is a design choice.
    """

    code = "RNN303"
    name = "state-kind-mismatch"
    severity = Severity.ERROR
    summary = "LSTM states given to a GRU/SimpleRNN, or GRU/SimpleRNN states to an LSTM"
    facts = (Consumed,)

    valid = [
        "from keras.layers import GRU\n_, h = GRU(8, return_state=True)(x)\ny = GRU(8)(z, initial_state=[h])\n",
        "from keras.layers import LSTM, GRU\n_, h, c = LSTM(8, return_state=True)(x)\ny = GRU(8)(z, initial_state=[h])\n",
        "from keras.layers import GRU, SimpleRNN\n_, h = GRU(8, return_state=True)(x)\ny = SimpleRNN(8)(z, initial_state=h)\n",
        "from keras.layers import LSTM\n_, h, c = LSTM(8, return_state=True)(x)\ny = LSTM(8)(z, initial_state=[h, c])\n",
        "from keras.layers import LSTM\ndef f(z, kind):\n    _, h, c = LSTM(8, return_state=True)(z)\n    return kind(8)(z, initial_state=[h, c])\n",
    ]
    invalid = [
        Invalid(
            "from keras.layers import LSTM, GRU\n_, h, c = LSTM(8, return_state=True)(x)\ny = GRU(8)(z, initial_state=[h, c])\n"
        ),
        Invalid(
            "from keras.layers import LSTM, GRU\n_, h = GRU(8, return_state=True)(x)\ny = LSTM(8)(z, initial_state=[h])\n"
        ),
        Invalid(
            "from keras.layers import LSTM, SimpleRNN\nstates = LSTM(8, return_state=True)(x)[1:]\n"
            "y = SimpleRNN(8)(z, initial_state=states)\n"
        ),
        Invalid(
            "from keras.layers import LSTM, GRU, Bidirectional\n"
            "_, *states = Bidirectional(LSTM(8, return_state=True))(x)\n"
            "y = Bidirectional(GRU(8))(z, initial_state=states)\n"
        ),
    ]

    def check(self, fact: Consumed, fixes: FixBuilder) -> Iterator[Finding]:
        if fact.role is not Role.INITIAL_STATE or fact.consumer is None:
            return
        given = given_states(fact.value)
        found = kind_mismatch(fact.consumer, given) if given is not None else None
        if found is None:
            return
        producer, given_kind, needed_kind = found
        receiver = fact.consumer
        given_class = (producer.core or producer).display_class
        if needed_kind.count == 1:
            advice = "pass only the h states, or make the receiver an LSTM"
        else:
            advice = f"an LSTM needs both h and c: make {given_class} an LSTM, or the receiver a {given_class}"
        message = (
            f"{receiver.label_text} carries {_states(needed_kind)}{' per direction' if receiver.is_bidirectional else ''}, but initial_state holds the "
            f"{given_class} states ({', '.join(given_kind.names)}) of {producer.label_text}; {advice}"
        )
        yield Finding(fact.node, message)


def _states(kind: StateKind) -> str:
    return "one state (h)" if kind.count == 1 else f"{kind.count} states ({', '.join(kind.names)})"
