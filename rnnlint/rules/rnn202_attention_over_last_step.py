from __future__ import annotations

from collections.abc import Iterator

from rnnlint.analysis.facts import Consumed, Role
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._common import recurrent_output


class AttentionOverLastStep(Rule):
    """
    ## What it does
    Finds attention (`Attention`, `AdditiveAttention`, `MultiHeadAttention`, or
    a class of your own named `...Attention`) whose value or key is the last-step
    output of a recurrent encoder built without `return_sequences=True`.

    ## Why is this bad?
    Attention is meant to weigh the encoder's steps.  Over a 2-D last-step output
    there is a single "step" to attend to, so the weights are all 1 and the layer
    degenerates into a copy of the final state.  Keras accepts it silently.

    ## Example
    ```python
    encoder_out = keras.layers.LSTM(64)(source)
    context = keras.layers.Attention()([decoder_out, encoder_out])
    ```

    ## Use instead
    ```python
    encoder_out = keras.layers.LSTM(64, return_sequences=True)(source)
    context = keras.layers.Attention()([decoder_out, encoder_out])
    ```

    ## Fix safety
    The fix adds `return_sequences=True` to the encoder.  It is safe when the
    encoder is called once and its output is used only by this attention.
    A layer built in another module is unknown to the analysis: no finding is
    reported for it, so no fix edits another file.
    """

    code = "RNN202"
    name = "attention-over-last-step"
    severity = Severity.WARNING
    summary = "attention over an encoder that returns only its last step"
    facts = (Consumed,)

    valid = [
        "from keras.layers import LSTM, Attention\n"
        "enc = LSTM(8, return_sequences=True)(src)\ndec = LSTM(8, return_sequences=True)(tgt)\n"
        "ctx = Attention()([dec, enc])\n",
        "from keras.layers import LSTM, MultiHeadAttention\n"
        "enc = LSTM(8, return_sequences=True)(src)\nq = LSTM(8)(tgt)\nctx = MultiHeadAttention(2, 4)(q, enc)\n",
        "from keras.layers import LSTM, Layer\nclass BahdanauAttention(Layer):\n    pass\n"
        "enc, h, c = LSTM(8, return_sequences=True, return_state=True)(src)\n"
        "ctx = BahdanauAttention()(h, enc)\n",
    ]
    invalid = [
        Invalid(
            "from keras.layers import LSTM, Attention\n"
            "enc = LSTM(8)(src)\ndec = LSTM(8, return_sequences=True)(tgt)\nctx = Attention()([dec, enc])\n",
            fixed="from keras.layers import LSTM, Attention\n"
            "enc = LSTM(8, return_sequences=True)(src)\ndec = LSTM(8, return_sequences=True)(tgt)\n"
            "ctx = Attention()([dec, enc])\n",
        ),
        Invalid(
            "import keras\nenc = keras.layers.GRU(8)(src)\n"
            "ctx = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(query=q, value=enc)\n"
        ),
        Invalid(
            "from keras.layers import LSTM, Layer\nclass BahdanauAttention(Layer):\n    pass\n"
            "enc, h, c = LSTM(8, return_state=True)(src)\nctx = BahdanauAttention()(h, enc)\n"
        ),
    ]

    def check(self, fact: Consumed, fixes: FixBuilder) -> Iterator[Finding]:
        if fact.role not in (Role.ATTENTION_VALUE, Role.ATTENTION_KEY):
            return
        produced = recurrent_output(fact.value)
        if produced is None or produced.time is not False or produced.spatial_dims != 0:
            return
        encoder = produced.producer
        assert encoder is not None
        attention = fact.consumer.label_text if fact.consumer is not None else "the attention layer"
        message = (
            f"{attention} attends over the {fact.role.value} from {encoder.label_text}, which returns only its last "
            f"step: there is one step to attend to; add return_sequences=True to the encoder"
        )
        yield Finding(fact.node, message, fixes.keyword_fix(encoder, "return_sequences", "True"))
