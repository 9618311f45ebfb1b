from __future__ import annotations

from collections.abc import Iterator

from rnnlint.analysis.facts import LayerCalled
from rnnlint.analysis.values import DYNAMIC, Tensor
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._common import keyword_node


class StatefulWithoutBatchSize(Rule):
    """
    ## What it does
    Finds a recurrent layer built with `stateful=True` whose input is declared
    without a static batch size: a `keras.Input(shape=...)` without
    `batch_size=`/`batch_shape=`, or a `Sequential` whose first layer declares
    `input_shape=` without `batch_size=` (Keras 2: `batch_input_shape=`).  The
    batch size is followed from the input through the layers in between
    (Embedding, Dense, other recurrent layers).  An Embedding's `input_length=`
    declares the input only under `--target-keras 2`: Keras 3 ignores it and
    builds the model from the first batch, batch size included.

    An input whose declaration the analysis cannot see (a `Sequential` built
    without any input declaration, a tensor from a parameter) is not reported.

    ## Why is this bad?
    A stateful layer keeps one state per sample of the batch across calls, so
    it must know the batch size when it is built.  Keras raises `When using
    stateful=True in a RNN, the batch size must be static. Found dynamic batch
    size`.

    ## Example
    ```python
    inputs = keras.Input(shape=(None, 8))
    outputs = keras.layers.LSTM(32, stateful=True)(inputs)
    ```

    ## Use instead
    ```python
    inputs = keras.Input(batch_shape=(16, None, 8))
    outputs = keras.layers.LSTM(32, stateful=True)(inputs)
    ```

    ## Fix safety
    No fix: the batch size is the author's to choose.
    """

    code = "RNN304"
    name = "stateful-without-batch-size"
    severity = Severity.ERROR
    summary = "stateful=True on an input declared without a static batch size"
    facts = (LayerCalled,)

    valid = [
        "import keras\nx = keras.Input(batch_shape=(4, None, 8))\ny = keras.layers.LSTM(8, stateful=True)(x)\n",
        "import keras\nx = keras.Input(shape=(None, 8), batch_size=4)\ny = keras.layers.LSTM(8, stateful=True)(x)\n",
        "import keras\nx = keras.Input(shape=(None, 8))\ny = keras.layers.LSTM(8)(x)\n",
        "from tensorflow import keras\nmodel = keras.Sequential([\n"
        "    keras.layers.LSTM(8, stateful=True, batch_input_shape=(4, 10, 8)),\n])\n",
        # No input declared: the batch size comes from data the analysis cannot see.
        "import keras\nmodel = keras.Sequential([keras.layers.LSTM(8, stateful=True)])\n",
        "import keras\ndef f(x):\n    return keras.layers.LSTM(8, stateful=True)(x)\n",
        # Keras 3 ignores Embedding's input_length: the batch comes with the data (Keras 2 would raise).
        "from tensorflow import keras\nmodel = keras.Sequential()\n"
        "model.add(keras.layers.Embedding(100, 8, input_length=10))\nmodel.add(keras.layers.LSTM(8, stateful=True))\n",
    ]
    invalid = [
        Invalid("import keras\nx = keras.Input(shape=(None, 8))\ny = keras.layers.LSTM(8, stateful=True)(x)\n"),
        Invalid(
            "import keras\nmodel = keras.Sequential([\n    keras.Input(shape=(10, 8)),\n"
            "    keras.layers.GRU(8, stateful=True),\n])\n"
        ),
        Invalid(
            "from tensorflow import keras\nmodel = keras.Sequential()\n"
            "model.add(keras.layers.LSTM(8, input_shape=(10, 8), return_sequences=True))\n"
            "model.add(keras.layers.LSTM(8, stateful=True))\n"
        ),
        Invalid(
            "import keras\nx = keras.Input(shape=(None,))\ne = keras.layers.Embedding(100, 8)(x)\n"
            "h = keras.layers.LSTM(8, return_sequences=True)(e)\n"
            "y = keras.layers.Bidirectional(keras.layers.LSTM(8, stateful=True))(h)\n"
        ),
    ]

    def check(self, fact: LayerCalled, fixes: FixBuilder) -> Iterator[Finding]:
        layer = fact.layer
        if not layer.is_recurrent or layer.flag("stateful") is not True:
            return
        if not (isinstance(fact.inputs, Tensor) and fact.inputs.batch == DYNAMIC):
            return
        keyword = keyword_node(layer, "stateful")
        if keyword is None:
            return
        if self.settings.target_keras == 2:
            how = "give the Input batch_size= or batch_shape=, or the first layer batch_input_shape="
        else:
            how = "give keras.Input batch_size= or batch_shape=(batch, ...)"
        message = (
            f"{layer.label_text} is stateful, but its input is declared without a static batch size "
            f"and Keras raises when it builds the layer; {how}"
        )
        yield Finding(keyword, message)
