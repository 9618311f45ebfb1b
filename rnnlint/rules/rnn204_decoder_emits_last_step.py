from __future__ import annotations

from collections.abc import Iterator

from rnnlint.analysis.facts import Consumed, ModelBuilt, Role
from rnnlint.analysis.values import DYNAMIC, Layer, Outputs, Sequence, Tensor, Value
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.keras import catalogue
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._common import producing_call, recurrent_output
from rnnlint.rules._states import given_states


class DecoderEmitsLastStep(Rule):
    """
    ## What it does
    Finds a decoder (a recurrent layer called with `initial_state=`) that returns
    only its last step while its output feeds a per-step projection:

    - a `TimeDistributed` layer (this case is RNN201's too; RNN201 leaves
      decoders to this rule so one mistake gets one finding);
    - a `Dense` whose output is the model's token output in
      `keras.Model(inputs, outputs)`: its `units` equal the vocabulary the
      decoder reads (the `input_dim` of the Embedding in front of it, or the
      last dimension of a one-hot `keras.Input(shape=(None, tokens))`), the
      decoder's initial states come from another recurrent layer (an
      encoder), and its input is not a single step.

    The second case needs all of that to be known: a Dense of another width
    (a classifier over a conditioned encoding), states from placeholders or
    projections (an inference step model, an image-captioning init-inject
    model), or an input of length 1 are what a last-step decoder is for, and
    are not reported.

    ## Why is this bad?
    The model emits one vector where one per target step is expected.  Under
    `TimeDistributed` Keras raises when the model is built; as a plain `Dense`
    output Keras accepts it, and training fails later on the targets' shape or,
    with some losses, silently broadcasts.

    ## Example
    ```python
    _, h, c = keras.layers.LSTM(256, return_state=True)(encoder_inputs)
    decoded = keras.layers.LSTM(256)(decoder_inputs, initial_state=[h, c])
    tokens = keras.layers.Dense(num_tokens, activation="softmax")(decoded)
    model = keras.Model([encoder_inputs, decoder_inputs], tokens)
    ```

    ## Use instead
    ```python
    _, h, c = keras.layers.LSTM(256, return_state=True)(encoder_inputs)
    decoded = keras.layers.LSTM(256, return_sequences=True)(decoder_inputs, initial_state=[h, c])
    tokens = keras.layers.Dense(num_tokens, activation="softmax")(decoded)
    model = keras.Model([encoder_inputs, decoder_inputs], tokens)
    ```

    ## Fix safety
    The fix adds `return_sequences=True` to the decoder.  Before a
    `TimeDistributed` it is safe when the decoder is called once and its output
    used only there.  For a model output it is unsafe: the model's output
    shape changes, and its targets must be per step too.
    """

    code = "RNN204"
    name = "decoder-emits-last-step"
    severity = Severity.WARNING
    summary = "a decoder returning only its last step into a per-step projection"
    facts = (Consumed, ModelBuilt)

    valid = [
        "import keras\nfrom keras import layers\nx = keras.Input(shape=(None, 40))\ny = keras.Input(shape=(None, 40))\n"
        "_, h, c = layers.LSTM(64, return_state=True)(x)\n"
        "d = layers.LSTM(64, return_sequences=True)(y, initial_state=[h, c])\n"
        "model = keras.Model([x, y], layers.Dense(40, activation='softmax')(d))\n",
        # Inference step model: the states are placeholders, the output is one step.
        "import keras\nfrom keras import layers\ny = keras.Input(shape=(1, 40))\nh = keras.Input(shape=(64,))\n"
        "c = keras.Input(shape=(64,))\nout, h2, c2 = layers.LSTM(64, return_state=True)(y, initial_state=[h, c])\n"
        "model = keras.Model([y, h, c], [layers.Dense(40)(out), h2, c2])\n",
        # A classifier over a sequence conditioned on another: not a token output.
        "import keras\nfrom keras import layers\np = keras.Input(shape=(None, 300))\nq = keras.Input(shape=(None, 300))\n"
        "_, h, c = layers.LSTM(64, return_state=True)(p)\nd = layers.LSTM(64)(q, initial_state=[h, c])\n"
        "model = keras.Model([p, q], layers.Dense(3, activation='softmax')(d))\n",
        # Not a decoder: no initial_state (None is the default).  Under TimeDistributed the same
        # call is RNN201's (tests/fixtures/states/decoder_projection.py).
        "import keras\nfrom keras import layers\nx = keras.Input(shape=(None, 40))\n"
        "model = keras.Model(x, layers.Dense(40)(layers.LSTM(64)(x, initial_state=None)))\n",
        "import keras\nfrom keras import layers\nx = keras.Input(shape=(None, 40))\n"
        "model = keras.Model(x, layers.Dense(40)(layers.LSTM(64)(x)))\n",
        # Image captioning, init-inject: the states are projections of image features.
        "import keras\nfrom keras import layers\nimage = keras.Input(shape=(2048,))\nwords = keras.Input(shape=(30,))\n"
        "h = layers.Dense(256)(image)\nc = layers.Dense(256)(image)\ne = layers.Embedding(5000, 256)(words)\n"
        "d = layers.LSTM(256)(e, initial_state=[h, c])\n"
        "model = keras.Model([image, words], layers.Dense(5000, activation='softmax')(d))\n",
    ]
    invalid = [
        Invalid(
            "import keras\nfrom keras import layers\nx = keras.Input(shape=(None, 40))\ny = keras.Input(shape=(None, 40))\n"
            "_, h, c = layers.LSTM(64, return_state=True)(x)\nd = layers.LSTM(64)(y, initial_state=[h, c])\n"
            "out = layers.TimeDistributed(layers.Dense(40))(d)\n",
            fixed="import keras\nfrom keras import layers\nx = keras.Input(shape=(None, 40))\n"
            "y = keras.Input(shape=(None, 40))\n_, h, c = layers.LSTM(64, return_state=True)(x)\n"
            "d = layers.LSTM(64, return_sequences=True)(y, initial_state=[h, c])\n"
            "out = layers.TimeDistributed(layers.Dense(40))(d)\n",
        ),
        Invalid(
            "import keras\nfrom keras import layers\nx = keras.Input(shape=(None, 71))\ny = keras.Input(shape=(None, 93))\n"
            "_, h, c = layers.LSTM(256, return_state=True)(x)\n"
            "d, _, _ = layers.LSTM(256, return_state=True)(y, initial_state=[h, c])\n"
            "tokens = layers.Dense(93, activation='softmax')(d)\nmodel = keras.Model([x, y], tokens)\n",
            fixed="import keras\nfrom keras import layers\nx = keras.Input(shape=(None, 71))\n"
            "y = keras.Input(shape=(None, 93))\n_, h, c = layers.LSTM(256, return_state=True)(x)\n"
            "d, _, _ = layers.LSTM(256, return_state=True, return_sequences=True)(y, initial_state=[h, c])\n"
            "tokens = layers.Dense(93, activation='softmax')(d)\nmodel = keras.Model([x, y], tokens)\n",
            unsafe_fix=True,
        ),
        Invalid(
            "import keras\nfrom keras import layers\nVOCAB = 8000\nsrc = keras.Input(shape=(None,))\ntgt = keras.Input(shape=(None,))\n"
            "_, state = layers.GRU(128, return_state=True)(layers.Embedding(VOCAB, 64)(src))\n"
            "dec = layers.GRU(128)(layers.Embedding(VOCAB, 64)(tgt), initial_state=state)\n"
            "model = keras.Model([src, tgt], layers.Dense(VOCAB)(dec))\n",
            unsafe_fix=True,
        ),
    ]

    def check(self, fact: Consumed | ModelBuilt, fixes: FixBuilder) -> Iterator[Finding]:
        if isinstance(fact, Consumed):
            yield from self.check_time_distributed(fact, fixes)
        else:
            yield from self.check_model_output(fact, fixes)

    def check_time_distributed(self, fact: Consumed, fixes: FixBuilder) -> Iterator[Finding]:
        consumer = fact.consumer
        if fact.role is not Role.INPUT or consumer is None or consumer.class_name != catalogue.TIME_DISTRIBUTED:
            return
        decoded = _decoder_last_step(fact.value)
        if decoded is None:
            return
        producer = decoded.producer
        assert producer is not None
        message = (
            f"{producer.label_text} is a decoder (called with initial_state) that returns only its last step, "
            f"but {consumer.label_text} projects every step; Keras raises when it builds TimeDistributed; "
            f"add return_sequences=True to {producer.display_class}"
        )
        yield Finding(fact.node, message, fixes.keyword_fix(producer, "return_sequences", "True"))

    def check_model_output(self, fact: ModelBuilt, fixes: FixBuilder) -> Iterator[Finding]:
        outputs = fact.outputs.items if isinstance(fact.outputs, (Sequence, Outputs)) else (fact.outputs,)
        for output in outputs:
            if not isinstance(output, Tensor) or output.projection is None or output.projection.class_name != "Dense":
                continue
            decoded = _decoder_last_step(output)
            if decoded is None:
                continue
            call = producing_call(decoded)
            assert call is not None
            dense = output.projection
            if not (_states_from_an_encoder(call.initial_state) and _reads_tokens(call.inputs, dense)):
                continue
            producer = decoded.producer
            assert producer is not None
            message = (
                f"{producer.label_text} is a decoder (called with initial_state) that returns only its last step, "
                f"but {dense.label_text} turns it into the model's token output ({dense.units} tokens, the "
                f"vocabulary the decoder reads): the model emits one token, not one per step; "
                f"add return_sequences=True to {producer.display_class}"
            )
            node = next((c.node for c in dense.calls if c.result is output), fact.node)
            yield Finding(node, message, fixes.keyword_fix(producer, "return_sequences", "True", safe=False))


def _decoder_last_step(value: Value) -> Tensor | None:
    """The value, when it is the last-step output of a recurrent call that received initial_state."""
    produced = recurrent_output(value)
    if produced is None or produced.time is not False:
        return None
    call = producing_call(produced)
    if call is None or call.initial_state is None:
        return None
    return produced


def _states_from_an_encoder(initial_state: Value | None) -> bool:
    """True when every initial state is a state another recurrent layer returned (or a merge of such)."""
    states = given_states(initial_state) if initial_state is not None else None
    return bool(states) and all(s.state is not None for s in states)  # type: ignore[union-attr]


def _reads_tokens(inputs: Value, dense: Layer) -> bool:
    """True when the decoder reads a sequence of more than one step over the vocabulary the Dense predicts."""
    if not isinstance(inputs, Tensor) or inputs.vocabulary is None or dense.units is None:
        return False
    if inputs.steps is None or (inputs.steps != DYNAMIC and inputs.steps <= 1):
        return False
    return inputs.vocabulary == dense.units
