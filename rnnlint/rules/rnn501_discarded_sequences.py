from __future__ import annotations

from collections.abc import Iterator

from rnnlint.analysis.facts import LayerSummary
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._common import keyword_node
from rnnlint.rules._waste import call_lines, discarded_at_every_call


class DiscardedSequences(Rule):
    """
    ## What it does
    Finds `return_sequences=True` on a layer object whose sequence output is
    thrown away at **every** call: `_, h, c = LSTM(64, return_sequences=True,
    return_state=True)(x)` when only the states are wanted, an output bound to
    a name nothing reads, or left out of an index (`layer(x)[1:]`).  One call
    that keeps the output is enough to stay silent.

    The analysis must see every call of the object: a layer that reaches code
    it does not follow (a comprehension, a lambda, another module through an
    argument or an attribute, a list) is not reported,
    and neither is any layer of a module that fetches layers back from a model
    (`model.layers[2]`, `model.get_layer("decoder")`).  Taking only the last
    step of a kept sequence (`seq[:, -1]`) is not treated as discarding it.

    ## Why is this bad?
    The layer builds and keeps a (batch, time, units) tensor nobody reads, and
    the flag tells a reader the sequence matters.

    ## Example
    ```python
    _, h, c = keras.layers.LSTM(64, return_sequences=True, return_state=True)(x)
    ```

    ## Use instead
    ```python
    _, h, c = keras.layers.LSTM(64, return_state=True)(x)
    ```

    ## Fix safety
    The fix sets `return_sequences=False`.  It is safe: only the output that
    every call discards changes shape, and the states are the same either way.
    """

    code = "RNN501"
    name = "discarded-sequences"
    severity = Severity.HINT
    summary = "return_sequences=True whose sequence output is discarded at every call"
    facts = (LayerSummary,)

    valid = [
        "from keras.layers import LSTM\nseq = LSTM(8, return_sequences=True)(x)\nuse(seq)\n",
        "from keras.layers import LSTM\nseq, h, c = LSTM(8, return_sequences=True, return_state=True)(x)\nuse(seq)\n",
        "from keras.layers import LSTM\nlayer = LSTM(8, return_sequences=True, return_state=True)\n"
        "_, h, c = layer(x)\nseq, _, _ = layer(y)\nuse(h, c, seq)\n",
        "from keras.layers import LSTM\ndef encode(x):\n    return LSTM(8, return_sequences=True)(x)\n",
        "from keras import Sequential\nfrom keras.layers import LSTM, Dense\n"
        "model = Sequential([LSTM(8, return_sequences=True), Dense(2)])\n",
    ]
    invalid = [
        Invalid(
            "from keras.layers import LSTM\n_, h, c = LSTM(8, return_sequences=True, return_state=True)(x)\nuse(h, c)\n",
            fixed="from keras.layers import LSTM\n_, h, c = LSTM(8, return_sequences=False, return_state=True)(x)\n"
            "use(h, c)\n",
        ),
        Invalid(
            "from keras.layers import GRU\nenc = GRU(8, return_sequences=True, return_state=True)\n"
            "state = enc(x)[1]\nuse(state)\n",
            fixed="from keras.layers import GRU\nenc = GRU(8, return_sequences=False, return_state=True)\n"
            "state = enc(x)[1]\nuse(state)\n",
        ),
    ]

    def check(self, fact: LayerSummary, fixes: FixBuilder) -> Iterator[Finding]:
        layers = fact.layers
        if not all(layer.flag("return_sequences") is True for layer in layers):
            return
        if not all(discarded_at_every_call(layer, states=False) for layer in layers):
            return
        layer = layers[0]
        keyword = keyword_node(layer, "return_sequences")
        if keyword is None:
            return
        message = (
            f"{layer.label_text} has return_sequences=True, but every call discards its sequence output "
            f"({call_lines(layer)}); drop return_sequences=True"
        )
        fix = fixes.keyword_fix(layer, "return_sequences", "False", whatever_the_uses=True)
        yield Finding(keyword, message, fix)
