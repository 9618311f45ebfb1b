from __future__ import annotations

from collections.abc import Iterator

from rnnlint.analysis.facts import Unpacked
from rnnlint.analysis.values import Outputs, Tensor
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._common import count_with_state, returns_phrase


class UnpackArity(Rule):
    """
    ## What it does
    Checks that the result of calling a recurrent layer is unpacked into as many
    names as the layer returns: 1 tensor without `return_state`, 3 for an LSTM
    with it (output, h, c), 2 for a GRU or SimpleRNN, 5 or 3 for a Bidirectional
    LSTM or GRU.

    ## Why is this bad?
    Unpacking a single tensor iterates over its first axis.  On symbolic
    tensors Keras raises a confusing error far from the cause; in eager code
    the batch axis is unpacked silently and `h` and `c` are rows of the batch.

    ## Example
    ```python
    encoder = keras.layers.LSTM(64)
    output, h, c = encoder(x)
    ```

    ## Use instead
    ```python
    encoder = keras.layers.LSTM(64, return_state=True)
    output, h, c = encoder(x)
    ```

    ## Fix safety
    When the number of names is what `return_state=True` would return, the fix
    adds `return_state=True` to the layer's construction.  It is safe when that
    layer object is called once; when it is called in several places the fix
    changes every call and is marked unsafe.  No fix is offered otherwise.
    A layer built in another module is unknown to the analysis: no finding is
    reported for it, so no fix edits another file.
    """

    code = "RNN101"
    name = "unpack-arity"
    severity = Severity.ERROR
    summary = "recurrent layer output unpacked into the wrong number of names"
    facts = (Unpacked,)

    valid = [
        "from keras.layers import LSTM\nout, h, c = LSTM(8, return_state=True)(x)\n",
        "from keras.layers import LSTM\nout, *states = LSTM(8, return_state=True)(x)\n",
        "from keras.layers import GRU\nout, h = GRU(8, return_state=True)(x)\n",
        "from keras.layers import LSTM, Bidirectional\n"
        "out, fh, fc, bh, bc = Bidirectional(LSTM(8, return_state=True))(x)\n",
        "from keras.layers import LSTM\ndef make(x, flag):\n    a, b, c = LSTM(8, return_state=flag)(x)\n    return a\n",
        "from keras.layers import LSTM, Bidirectional\nfwd, bwd = Bidirectional(LSTM(8), merge_mode=None)(x)\n",
        "from mylib import LSTM\nout, h, c = LSTM(8)(x)\n",
        # The branch for the other class is known not to run.
        "from keras.layers import LSTM\nREC = LSTM\nif REC == LSTM:\n    out, h, c = REC(8, return_state=True)(x)\n"
        "else:\n    out, h = REC(8, return_state=True)(x)\n",
        "from keras.layers import GRU, LSTM\nlayer = GRU(8, return_state=True)\n"
        "if isinstance(layer, LSTM):\n    out, h, c = layer(x)\n",
        "from keras.layers import LSTM\nCELL = 'gru'\nif CELL in ('lstm', 'LSTM'):\n    out, h = LSTM(8, return_state=True)(x)\n",
    ]
    invalid = [
        Invalid(
            "from keras.layers import LSTM\nout, h, c = LSTM(8)(x)\n",
            fixed="from keras.layers import LSTM\nout, h, c = LSTM(8, return_state=True)(x)\n",
        ),
        Invalid("import tensorflow as tf\nout, h, c = tf.keras.layers.GRU(8, return_state=True)(x)\n"),
        Invalid(
            "from keras import layers\nencoder = layers.LSTM(8)\nresult = encoder(x)\nout, h = result\n",
        ),
        Invalid(
            "from keras.layers import LSTM, Bidirectional\n"
            "out, h, c = Bidirectional(LSTM(8, return_state=True))(x)\n"
        ),
        Invalid("from keras.layers import GRU\nout, a, b, *rest = GRU(4, return_state=True)(x)\n"),
    ]

    def check(self, fact: Unpacked, fixes: FixBuilder) -> Iterator[Finding]:
        value = fact.value
        if isinstance(value, Outputs):
            layer, returned = value.producer, len(value.items)
        elif isinstance(value, Tensor) and value.direct and value.producer is not None and value.state is None:
            layer, returned = value.producer, 1
        else:
            return
        if layer.returned_count != returned:
            return
        wanted = fact.targets - 1 if fact.starred else fact.targets
        if (fact.starred and wanted <= returned) or (not fact.starred and wanted == returned):
            return
        message = f"{layer.label_text} {returns_phrase(layer)} but is unpacked into {fact.targets} names"
        fix = None
        if layer.flag("return_state") is False and not fact.starred and count_with_state(layer) == fact.targets:
            message += "; add return_state=True"
            fix = fixes.keyword_fix(layer, "return_state", "True")
        yield Finding(fact.node, message, fix)
