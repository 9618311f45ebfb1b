from __future__ import annotations

from collections.abc import Iterator

from rnnlint.analysis.facts import Consumed, Role
from rnnlint.analysis.values import Layer
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.keras.catalogue import TIME_DISTRIBUTED, Needs
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._common import is_decoder_output, recurrent_output


def needs_sequence(consumer: Layer) -> int | None:
    """The spatial rank of the sequence `consumer` needs, or None if it needs no time axis."""
    if consumer.is_recurrent:
        return consumer.spatial_dims
    if consumer.consumer is not None and consumer.consumer.needs is Needs.SEQUENCE:
        return 0
    return None


class LastStepToSequenceConsumer(Rule):
    """
    ## What it does
    Finds the last-step output of a recurrent layer (2-D, `(batch, units)`, the
    default) fed to a layer that needs a sequence (3-D): another recurrent layer,
    `Bidirectional`, `TimeDistributed`, `Conv1D`, 1-D pooling.  `Sequential`
    stacks are checked layer by layer.

    ## Why is this bad?
    Keras raises `Input 0 of layer "lstm_1" is incompatible with the layer:
    expected ndim=3, found ndim=2` when the model is built, naming the consumer
    rather than the producer that needs the change.

    ## Example
    ```python
    model = keras.Sequential([
        keras.layers.LSTM(64),
        keras.layers.LSTM(32),
    ])
    ```

    ## Use instead
    ```python
    model = keras.Sequential([
        keras.layers.LSTM(64, return_sequences=True),
        keras.layers.LSTM(32),
    ])
    ```

    A decoder (a layer called with `initial_state=`) feeding `TimeDistributed`
    is left to RNN204, which names it as a decoder: one mistake, one finding.

    ## Fix safety
    The fix adds `return_sequences=True` to the producing layer.  It is safe when
    that layer is called once and its output used only here; otherwise other
    uses would receive a sequence too, and the fix is unsafe.
    A layer built in another module is unknown to the analysis: no finding is
    reported for it, so no fix edits another file.
    """

    code = "RNN201"
    name = "last-step-to-sequence-consumer"
    severity = Severity.ERROR
    summary = "last-step (2-D) recurrent output fed to a layer that needs a sequence"
    facts = (Consumed,)

    valid = [
        "from keras import Sequential\nfrom keras.layers import LSTM\n"
        "model = Sequential([LSTM(8, return_sequences=True), LSTM(8)])\n",
        "from keras.layers import LSTM, Dense\ny = Dense(2)(LSTM(8)(x))\n",
        "from keras.layers import LSTM, RepeatVector\ny = LSTM(8)(RepeatVector(5)(LSTM(8)(x)))\n",
        "from keras.layers import LSTM\ndef block(x, seq):\n    return LSTM(8)(LSTM(8, return_sequences=seq)(x))\n",
        "from keras.layers import ConvLSTM2D, Conv2D\ny = Conv2D(4, 3)(ConvLSTM2D(8, 3)(x))\n",
        # One mistake, one finding: the misspelt flag is RNN401's, and is read as meant.
        "from keras.layers import LSTM\ny = LSTM(8)(LSTM(8, return_sequence=True)(x))\n",
    ]
    invalid = [
        Invalid(
            "from keras import Sequential\nfrom keras.layers import LSTM\nmodel = Sequential([LSTM(8), LSTM(8)])\n",
            fixed="from keras import Sequential\nfrom keras.layers import LSTM\n"
            "model = Sequential([LSTM(8, return_sequences=True), LSTM(8)])\n",
        ),
        Invalid(
            "import tensorflow as tf\nL = tf.keras.layers\nx = L.GRU(8)(x)\nx = L.Dropout(0.2)(x)\nx = L.Conv1D(4, 3)(x)\n",
            fixed="import tensorflow as tf\nL = tf.keras.layers\nx = L.GRU(8, return_sequences=True)(x)\n"
            "x = L.Dropout(0.2)(x)\nx = L.Conv1D(4, 3)(x)\n",
        ),
        Invalid(
            "from keras.layers import LSTM, Bidirectional\nx = LSTM(8)(x)\ny = Bidirectional(LSTM(4))(x)\n"
        ),
        Invalid(
            "from keras.layers import LSTM, TimeDistributed, Dense\n"
            "for units in [64, 32]:\n    x = LSTM(units)(x)\ny = TimeDistributed(Dense(3))(x)\n",
            count=2,
        ),
    ]

    def check(self, fact: Consumed, fixes: FixBuilder) -> Iterator[Finding]:
        if fact.role is not Role.INPUT or fact.consumer is None:
            return
        spatial = needs_sequence(fact.consumer)
        produced = recurrent_output(fact.value)
        if spatial is None or produced is None or produced.time is not False or produced.spatial_dims != spatial:
            return
        producer = produced.producer
        assert producer is not None
        if fact.consumer.class_name == TIME_DISTRIBUTED and is_decoder_output(produced):
            return  # RNN204: a decoder emitting its last step into a per-step projection
        where = "follows it in the Sequential" if fact.in_sequential else "receives it"
        consumer = fact.consumer.label_text
        if fact.consumer.node is producer.node and fact.consumer.via is producer.via:
            consumer = f"the next {fact.consumer.display_class} built by the same code (a loop)"
        message = (
            f"{producer.label_text} returns only its last step (no time axis), but {consumer} "
            f"{where} and needs a sequence; add return_sequences=True to {producer.display_class}"
        )
        yield Finding(fact.node, message, fixes.keyword_fix(producer, "return_sequences", "True"))
