from __future__ import annotations

from collections.abc import Iterator

from rnnlint.analysis.facts import LayerCalled
from rnnlint.analysis.values import DYNAMIC, Const, Tensor
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._common import keyword_node

# Above this many steps an unrolled graph is reported as long.  Keras documents
# unrolling as "only suitable for short sequences" without a number; the graph
# holds one copy of the cell per step, so memory and compile time grow with it.
LONG_SEQUENCE = 100


class UnrollLongSequence(Rule):
    """
    ## What it does
    Finds `unroll=True` on a recurrent layer whose input's time dimension is
    declared `None` (variable length) or is longer than 100 steps.  The time
    dimension is followed from `keras.Input(shape=(steps, ...))`, a
    `Sequential`'s `input_shape=`, an Embedding's `input_length=`, and
    `RepeatVector(n)`, through the layers in between.

    An input whose length the analysis cannot see is not reported.

    ## Why is this bad?
    Unrolling copies the cell once per time step into the graph.  A variable
    length cannot be unrolled: Keras 2 raises `Unrolling requires a fixed number
    of timesteps` when the model is built, Keras 3 `Cannot unroll a RNN if the
    time dimension is undefined` whenever the length is unknown as the graph is
    traced.  With a long sequence the graph, its memory and its compile time
    grow with every step for little or no speed-up.  Keras documents unrolling as "only suitable for short
    sequences".

    ## Example
    ```python
    inputs = keras.Input(shape=(None, 16))
    outputs = keras.layers.LSTM(32, unroll=True)(inputs)
    ```

    ## Use instead
    ```python
    inputs = keras.Input(shape=(None, 16))
    outputs = keras.layers.LSTM(32)(inputs)
    ```

    ## Fix safety
    No fix: whether the sequences can be shortened, or padded to a fixed
    length, is the author's call.
    """

    code = "RNN404"
    name = "unroll-long-sequence"
    severity = Severity.HINT
    summary = "unroll=True on an input whose time dimension is variable or long"
    facts = (LayerCalled,)

    valid = [
        "import keras\nx = keras.Input(shape=(12, 8))\ny = keras.layers.LSTM(8, unroll=True)(x)\n",
        "import keras\nx = keras.Input(shape=(None, 8))\ny = keras.layers.LSTM(8)(x)\n",
        "import keras\ndef f(x):\n    return keras.layers.GRU(8, unroll=True)(x)\n",
        "import keras\nmodel = keras.Sequential([keras.layers.LSTM(8, unroll=True)])\n",
    ]
    invalid = [
        Invalid("import keras\nx = keras.Input(shape=(None, 8))\ny = keras.layers.LSTM(8, unroll=True)(x)\n"),
        Invalid("import keras\nx = keras.Input(shape=(500, 8))\ny = keras.layers.GRU(8, unroll=True)(x)\n"),
        Invalid(
            "from tensorflow import keras\nmodel = keras.Sequential([\n"
            "    keras.layers.Embedding(1000, 16, input_length=400),\n"
            "    keras.layers.Bidirectional(keras.layers.LSTM(8, unroll=True)),\n])\n"
        ),
    ]

    def check(self, fact: LayerCalled, fixes: FixBuilder) -> Iterator[Finding]:
        layer = fact.layer
        core = layer.core
        inputs = fact.inputs
        if core is None or core.mutated or not isinstance(inputs, Tensor) or inputs.steps is None:
            return
        unroll = core.keywords.get("unroll")
        if not (isinstance(unroll, Const) and unroll.value is True):
            return
        if inputs.steps == DYNAMIC:
            why = (
                "its input's time dimension is None (variable length), and unrolling needs a fixed number of "
                "steps (Keras raises when the length is unknown as the graph is traced)"
            )
        elif inputs.steps > LONG_SEQUENCE:
            why = f"its input has {inputs.steps} time steps; the unrolled graph holds one cell per step"
        else:
            return
        keyword = keyword_node(layer, "unroll")
        if keyword is not None:
            yield Finding(keyword, f"{layer.label_text} has unroll=True, but {why}; drop unroll")
