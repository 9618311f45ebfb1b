from __future__ import annotations

from collections.abc import Iterator

from rnnlint.analysis.facts import LayerSummary
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._common import keyword_node
from rnnlint.rules._waste import call_lines, discarded_at_every_call


class DiscardedStates(Rule):
    """
    ## What it does
    Finds `return_state=True` on a layer object whose states are thrown away at
    **every** call: unpacked into `_` or into names nothing reads, or left out of
    an index (`layer(x)[0]`).  One call that keeps them is enough to stay
    silent, so the classic seq2seq decoder, trained with `out, _, _ =
    decoder(...)` and reused for step-by-step inference with its states kept,
    is not reported.

    The analysis must see every call of the object: a layer that reaches code
    it does not follow (a comprehension, a lambda, another module through an
    argument or an attribute such as `model.decoder`, a list) is not reported,
    and neither is any layer of a module that fetches layers back from a model
    (`model.layers[2]`, `model.get_layer("decoder")`).

    ## Why is this bad?
    It is dead weight: the names unpacking the states make the code look as if
    the states mattered, and a reader goes looking for where they are used.

    ## Example
    ```python
    encoded, _, _ = keras.layers.LSTM(64, return_state=True)(x)
    ```

    ## Use instead
    ```python
    encoded = keras.layers.LSTM(64)(x)
    ```

    ## Fix safety
    No fix: every call's unpacking has to change with the flag.
    """

    code = "RNN502"
    name = "discarded-states"
    severity = Severity.HINT
    summary = "return_state=True whose states are discarded at every call"
    facts = (LayerSummary,)

    valid = [
        "from keras.layers import LSTM\nout, h, c = LSTM(8, return_state=True)(x)\nuse(h, c)\n",
        # The seq2seq decoder: states discarded in training, kept for inference.
        "from keras import Input, Model\nfrom keras.layers import LSTM\n_, h0, c0 = LSTM(8, return_state=True)(x)\n"
        "decoder = LSTM(8, return_sequences=True, return_state=True)\n"
        "out, _, _ = decoder(y, initial_state=[h0, c0])\nstates = [Input(shape=(8,)), Input(shape=(8,))]\n"
        "out2, h, c = decoder(y, initial_state=states)\nmodel = Model([y, *states], [out2, h, c])\n",
        "from keras.layers import GRU\nenc = GRU(8, return_state=True)\nout, _ = enc(x)\nhelper(enc)\n",
        "from keras.layers import GRU\nenc = GRU(8, return_state=True)\nout, _ = enc(x)\nouts = [enc(t) for t in xs]\n",
        "from keras.layers import LSTM\nstates = LSTM(8, return_state=True)(x)[1:]\n",
        "from keras.layers import LSTM\ndef f(x, rs):\n    out, _, _ = LSTM(8, return_state=rs)(x)\n    return out\n",
    ]
    invalid = [
        Invalid("from keras.layers import LSTM\nencoded, _, _ = LSTM(8, return_state=True)(x)\nuse(encoded)\n"),
        Invalid(
            "import tensorflow as tf\n\nclass Encoder(tf.keras.Model):\n    def __init__(self):\n        super().__init__()\n"
            "        self.gru = tf.keras.layers.GRU(8, return_sequences=True, return_state=True)\n\n"
            "    def call(self, x):\n        output, _ = self.gru(x)\n        return output\n"
        ),
        Invalid("from keras.layers import LSTM\nout = LSTM(8, return_state=True)(x)[0]\nuse(out)\n"),
        Invalid(
            "from keras.layers import LSTM, Bidirectional\n"
            "layer = Bidirectional(LSTM(8, return_sequences=True, return_state=True))\n"
            "seq, *unused = layer(x)\nuse(seq)\nseq2, *unused = layer(x2)\nuse(seq2)\n"
        ),
    ]

    def check(self, fact: LayerSummary, fixes: FixBuilder) -> Iterator[Finding]:
        layers = fact.layers
        if not all(layer.flag("return_state") is True for layer in layers):
            return
        if not all(discarded_at_every_call(layer, states=True) for layer in layers):
            return
        layer = layers[0]
        keyword = keyword_node(layer, "return_state")
        if keyword is None:
            return
        message = (
            f"{layer.label_text} has return_state=True, but every call discards its states ({call_lines(layer)}); "
            "drop return_state=True"
        )
        yield Finding(keyword, message)
