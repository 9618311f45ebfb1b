from __future__ import annotations

from collections.abc import Iterator

from rnnlint.analysis.facts import SequentialBuilt
from rnnlint.analysis.values import Layer
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._common import returns_phrase


class MultiOutputInSequential(Rule):
    """
    ## What it does
    Finds a layer that returns several tensors (`return_state=True`, or a
    Bidirectional with `merge_mode=None`) inside a `Sequential` with another
    layer after it.

    ## Why is this bad?
    A `Sequential` passes one tensor from layer to layer.  The next layer
    receives a list and Keras fails when the model is built.  (As the last layer
    Keras 3 accepts it and the model returns a list, so that is not reported.)

    ## Example
    ```python
    model = keras.Sequential([
        keras.layers.LSTM(64, return_state=True),
        keras.layers.Dense(10),
    ])
    ```

    ## Use instead
    ```python
    model = keras.Sequential([
        keras.layers.LSTM(64),
        keras.layers.Dense(10),
    ])
    ```

    ## Fix safety
    No fix: dropping `return_state` may not be what the author wanted; the
    states may be needed, which takes the functional API.
    """

    code = "RNN104"
    name = "multi-output-in-sequential"
    severity = Severity.ERROR
    summary = "a layer returning several tensors in the middle of a Sequential"
    facts = (SequentialBuilt,)

    valid = [
        "from keras import Sequential\nfrom keras.layers import LSTM, Dense\n"
        "model = Sequential([LSTM(8), Dense(2)])\n",
        "from keras import Sequential\nfrom keras.layers import LSTM, Dense\n"
        "model = Sequential([Dense(8), LSTM(8, return_state=True)])\n",
        "from keras import Sequential\nfrom keras.layers import LSTM, Dense\n"
        "def build(rs):\n    return Sequential([LSTM(8, return_state=rs), Dense(2)])\n",
    ]
    invalid = [
        Invalid(
            "from keras import Sequential\nfrom keras.layers import LSTM, Dense\n"
            "model = Sequential([LSTM(8, return_state=True), Dense(2)])\n"
        ),
        Invalid(
            "import keras\nmodel = keras.Sequential()\n"
            "model.add(keras.layers.Bidirectional(keras.layers.GRU(8), merge_mode=None))\n"
            "model.add(keras.layers.Dense(2))\n"
        ),
    ]

    def check(self, fact: SequentialBuilt, fixes: FixBuilder) -> Iterator[Finding]:
        entries = list(zip(fact.model.layers, fact.model.placements))
        for (layer, place), (following, _) in zip(entries, entries[1:]):
            if not isinstance(layer, Layer) or not layer.is_recurrent:
                continue
            count = layer.returned_count
            if count is None or count <= 1:
                continue
            after = following.label_text if isinstance(following, Layer) else "another layer"
            message = (
                f"{layer.label_text} {returns_phrase(layer)} inside a Sequential, and {after} receives that list; "
                "a Sequential passes one tensor between layers"
            )
            yield Finding(place, message)
