from __future__ import annotations

from collections.abc import Iterator

from rnnlint.analysis.facts import Consumed, Role
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.keras.catalogue import Needs
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._common import recurrent_output


class SequenceToStepConsumer(Rule):
    """
    ## What it does
    Finds the sequence output of a recurrent layer (3-D, from
    `return_sequences=True`) fed to a layer that needs one step per sample
    (2-D), such as `RepeatVector`.

    ## Why is this bad?
    `RepeatVector` repeats a vector; given a sequence Keras raises
    `Input 0 of layer "repeat_vector" is incompatible with the layer: expected
    ndim=2, found ndim=3`.  The encoder of an encoder-decoder should hand over
    its last step.

    ## Example
    ```python
    encoded = keras.layers.LSTM(64, return_sequences=True)(x)
    repeated = keras.layers.RepeatVector(10)(encoded)
    ```

    ## Use instead
    ```python
    encoded = keras.layers.LSTM(64)(x)
    repeated = keras.layers.RepeatVector(10)(encoded)
    ```

    ## Fix safety
    The fix sets `return_sequences=False` on the producer.  It is always unsafe:
    the sequence may have been meant for pooling that is missing.
    A layer built in another module is unknown to the analysis: no finding is
    reported for it, so no fix edits another file.
    """

    code = "RNN203"
    name = "sequence-to-step-consumer"
    severity = Severity.ERROR
    summary = "sequence (3-D) recurrent output fed to a layer that needs one step (2-D)"
    facts = (Consumed,)

    valid = [
        "from keras.layers import LSTM, RepeatVector\ny = RepeatVector(4)(LSTM(8)(x))\n",
        "from keras.layers import LSTM, RepeatVector, GlobalAveragePooling1D\n"
        "y = RepeatVector(4)(GlobalAveragePooling1D()(LSTM(8, return_sequences=True)(x)))\n",
    ]
    invalid = [
        Invalid(
            "from keras.layers import LSTM, RepeatVector\ny = RepeatVector(4)(LSTM(8, return_sequences=True)(x))\n",
            fixed="from keras.layers import LSTM, RepeatVector\ny = RepeatVector(4)(LSTM(8, return_sequences=False)(x))\n",
            unsafe_fix=True,
        ),
        Invalid(
            "from tensorflow import keras\nmodel = keras.Sequential([\n"
            "    keras.layers.Bidirectional(keras.layers.LSTM(8, return_sequences=True)),\n"
            "    keras.layers.RepeatVector(3),\n])\n"
        ),
    ]

    def check(self, fact: Consumed, fixes: FixBuilder) -> Iterator[Finding]:
        consumer = fact.consumer
        if fact.role is not Role.INPUT or consumer is None or consumer.consumer is None:
            return
        if consumer.consumer.needs is not Needs.STEP:
            return
        produced = recurrent_output(fact.value)
        if produced is None or produced.time is not True or produced.spatial_dims != 0:
            return
        producer = produced.producer
        assert producer is not None
        message = (
            f"{producer.label_text} returns a sequence (return_sequences=True), but {consumer.label_text} "
            f"needs one step per sample; drop return_sequences or pool over time first"
        )
        yield Finding(fact.node, message, fixes.keyword_fix(producer, "return_sequences", "False", safe=False))
