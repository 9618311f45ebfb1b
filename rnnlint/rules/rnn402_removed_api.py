from __future__ import annotations

import ast
from collections.abc import Iterator

from rnnlint.analysis.facts import Imported, LayerBuilt
from rnnlint.analysis.values import Layer
from rnnlint.diagnostics import Severity
from rnnlint.fixes import FixBuilder
from rnnlint.keras import catalogue
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._common import class_name_node


class RemovedApi(Rule):
    """
    ## What it does
    Finds recurrent-layer APIs that the targeted Keras (`--target-keras`,
    default 3) no longer has, and names the replacement:

    - classes: `CuDNNLSTM` / `CuDNNGRU` (use `LSTM` / `GRU`, which pick the
      cuDNN kernel themselves), `AbstractRNNCell`;
    - keywords Keras 2 accepted and Keras 3 rejects: `time_major`,
      `batch_input_shape`, `batch_size`, `input_length`, `weights` (except on
      Bidirectional), `implementation` (on SimpleRNN, ConvLSTM, RNN and
      Bidirectional; LSTM and GRU still accept it), `dynamic`, and tf-keras
      internals (`enable_caching_device`, `rng_type`, ...).

    Importing a removed class fails by itself (`from keras.layers import
    CuDNNLSTM`), so the import is reported too, also inside an `if`; an import
    inside a `try` whose handler catches `ImportError` is version-compatibility
    code and is left alone.  Constructions are reported wherever they are
    written (static methods, lambdas, class bodies, default values), except in a
    branch the analysis knows does not run.

    The lists are not kept by hand: they are the difference between the
    signatures `scripts/gen_signatures.py` generates from Keras 3 and tf-keras 2.
    Under `--target-keras 2` the rule reports `CuDNNLSTM`/`CuDNNGRU` reached
    through the TF2 API (`tf.keras.layers`, `tf_keras.layers`), where they no
    longer exist (`tf.compat.v1.keras.layers` still has them); reached through
    the standalone `keras` package they are left alone, since multi-backend
    Keras 2 (up to 2.3) has them; keywords that only Keras 3 knows are RNN401's.

    ## Why is this bad?
    Keras 3 raises when the layer is built: `module 'keras.layers' has no
    attribute 'CuDNNLSTM'`, `Unrecognized keyword arguments passed to LSTM:
    {'time_major': True}`.

    ## Example
    ```python
    layer = tf.keras.layers.CuDNNLSTM(64, return_sequences=True)
    ```

    ## Use instead
    ```python
    layer = keras.layers.LSTM(64, return_sequences=True)
    ```

    ## Fix safety
    For `CuDNNLSTM`/`CuDNNGRU` reached as an attribute (`layers.CuDNNLSTM`), the
    fix replaces the class name with `LSTM`/`GRU`, which compute the same thing
    with the same defaults.  It is offered only when every keyword of the call
    exists on the replacement in the targeted Keras, when the positional
    arguments land on parameters of the same names (only `units`: the later
    positional parameters differ), and not through `tf.compat.v1`; it is safe.  Removed keywords get no fix: dropping
    `time_major` or `batch_input_shape` changes what the model reads.
    """

    code = "RNN402"
    name = "removed-api"
    severity = Severity.WARNING
    summary = "a recurrent-layer class or keyword the targeted Keras no longer has"
    facts = (LayerBuilt, Imported)

    valid = [
        "from keras.layers import LSTM\nLSTM(8, return_sequences=True)\n",
        "import keras\nkeras.layers.Bidirectional(keras.layers.LSTM(8), weights=None)\n",
        "import keras\nkeras.layers.LSTM(8, implementation=2)\n",
        "import keras\nkeras.Input(batch_shape=(4, 10, 8))\n",
        "from mylib import CuDNNLSTM\nCuDNNLSTM(8)\n",
        # Version-compatibility code: the import is expected to fail under Keras 3.
        "try:\n    from keras.layers import CuDNNLSTM as LSTM\nexcept ImportError:\n    from keras.layers import LSTM\n",
        # A branch known not to run reports nothing.
        "from keras import layers\nUSE_CUDNN = False\nif USE_CUDNN:\n    layers.CuDNNLSTM(8)\n",
    ]
    invalid = [
        Invalid(
            "import tensorflow as tf\nlayer = tf.keras.layers.CuDNNLSTM(64, return_sequences=True)\n",
            fixed="import tensorflow as tf\nlayer = tf.keras.layers.LSTM(64, return_sequences=True)\n",
        ),
        Invalid(
            "import tensorflow as tf\nlayer = tf.compat.v1.keras.layers.CuDNNGRU(64)\n",
        ),
        # `unit_forget_bias` is the second positional parameter of CuDNNLSTM, not of LSTM.
        Invalid("from tensorflow.keras import layers\nlayers.CuDNNLSTM(64, 'glorot_uniform')\n"),
        # The import fails first under Keras 3; the construction is reported too.
        Invalid("from tensorflow.compat.v1.keras.layers import CuDNNLSTM\nCuDNNLSTM(64)\n", count=2),
        Invalid("import keras\nkeras.layers.LSTM(8, time_major=True)\n"),
        Invalid("import keras\nkeras.layers.LSTM(8, stateful=True, batch_input_shape=(4, 10, 8))\n"),
        Invalid("import keras\nkeras.layers.SimpleRNN(8, implementation=1, input_length=10)\n", count=2),
        Invalid("from keras.layers import Dense, CuDNNLSTM\n"),
        Invalid(
            "import tensorflow as tf\nfrom keras.layers import LSTM\n"
            "if tf.config.list_physical_devices('GPU'):\n    from keras.layers import CuDNNLSTM as LSTM\n"
        ),
        Invalid(
            "from keras.layers import Bidirectional\nfrom tensorflow.compat.v1.keras import layers\n"
            "class Model:\n    @staticmethod\n    def create(units):\n"
            "        return Bidirectional(layers.CuDNNLSTM(units, return_sequences=True))\n"
        ),
    ]

    def check(self, fact: LayerBuilt | Imported, fixes: FixBuilder) -> Iterator[Finding]:
        from rnnlint.keras.signatures import other_target, signatures

        target = self.settings.target_keras
        if isinstance(fact, Imported):
            name = fact.canonical.removeprefix("layers.")
            if not fact.guarded and self.is_removed(name, fact.qualified):
                yield Finding(fact.node, _removed_message(name, target, ", so this import fails"))
            return
        layer = fact.layer
        signature = signatures(target).get(layer.class_name)
        other = signatures(other_target(target)).get(layer.class_name)
        if self.is_removed(layer.class_name, layer.qualified):
            yield from self.removed_class(layer, target, fixes)
        elif signature is not None and other is not None and target == 3:
            for keyword in layer.node.keywords:
                name = keyword.arg
                if name is None or name in signature.keywords or name not in other.keywords:
                    continue
                advice = catalogue.REMOVED_KEYWORD_ADVICE.get(name, "drop it")
                message = f"{layer.label_text}: Keras 3 removed the keyword argument '{name}'; {advice}"
                yield Finding(keyword, message)

    def is_removed(self, class_name: str, qualified: str | None) -> bool:
        """Whether the targeted Keras lacks the class reached through `qualified`."""
        from rnnlint.keras.signatures import other_target, signatures

        target = self.settings.target_keras
        signature = signatures(target).get(class_name)
        if signature is None:
            return signatures(other_target(target)).get(class_name) is not None
        if target == 2 and (qualified or "").split(".")[0] == "keras":
            return False  # multi-backend Keras 2 (up to 2.3) has keras.layers.CuDNNLSTM; tf.keras does not
        return target == 2 and "v2" not in signature.namespaces and not catalogue.is_v1_path(qualified)

    def removed_class(self, layer: Layer, target: int, fixes: FixBuilder) -> Iterator[Finding]:
        node = class_name_node(layer.node)
        message = _removed_message(layer.class_name, target)
        yield Finding(node, message, self.replacement_fix(layer, target, node, fixes))

    def replacement_fix(self, layer: Layer, target: int, node: ast.AST, fixes: FixBuilder):  # noqa: ANN201
        from rnnlint.keras.signatures import signatures

        replacement = catalogue.REMOVED_CLASS_REPLACEMENT.get(layer.class_name)
        call = layer.node
        if replacement is None or not isinstance(call.func, ast.Attribute) or catalogue.is_v1_path(layer.qualified):
            return None
        accepted = signatures(target).get(replacement)
        original = signatures(2).get(layer.class_name) or signatures(3).get(layer.class_name)
        if accepted is None or original is None or any(isinstance(a, ast.Starred) for a in call.args):
            return None
        given = len(call.args)
        if original.positional[:given] != accepted.positional[:given]:
            return None  # a positional argument would land on another parameter
        if any(k.arg is None or k.arg not in accepted.keywords for k in call.keywords):
            return None
        return fixes.replace_name_fix(
            node, layer.class_name, replacement, f"Replace `{layer.class_name}` with `{replacement}`"
        )


def _removed_message(name: str, target: int, consequence: str = "") -> str:
    where = "Keras 3" if target == 3 else "the TF2 API of Keras 2 (only tf.compat.v1.keras.layers has it)"
    advice = catalogue.REMOVED_CLASS_ADVICE.get(name, "it has no direct replacement")
    return f"{name} does not exist in {where}{consequence}; {advice}"
