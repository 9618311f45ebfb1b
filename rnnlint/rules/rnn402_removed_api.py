from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from rnnlint.analysis.facts import Imported, LayerBuilt
from rnnlint.analysis.values import Layer
from rnnlint.diagnostics import Applicability, Edit, Fix, Severity
from rnnlint.fixes import FixBuilder
from rnnlint.keras import catalogue
from rnnlint.rules._base import Finding, Invalid, Rule
from rnnlint.rules._common import class_name_node

if TYPE_CHECKING:
    from rnnlint.keras.signatures import ClassSignature


# The public layers packages of tf.keras 2 (`tf.keras.layers`, `tf_keras.layers`).
_TF2_LAYERS = frozenset({"tensorflow.keras.layers", "tf_keras.layers"})


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

    - Keras-1 keyword names, under either target: `output_dim` (now `units`),
      `init` / `inner_init` (`kernel_initializer` / `recurrent_initializer`),
      `inner_activation` (`recurrent_activation`), `W_regularizer` /
      `U_regularizer` / `b_regularizer`, `dropout_W` / `dropout_U` (`dropout` /
      `recurrent_dropout`), `consume_less` (`implementation`),
      `forget_bias_init` (`unit_forget_bias`), and ConvLSTM2D's `nb_filter`,
      `nb_row`/`nb_col`, `subsample`, `border_mode`, `dim_ordering`, `bias`.
      Multi-backend Keras 2 (up to 2.3) converted them with a warning; tf.keras,
      tf-keras and Keras 3 reject them (under `--target-keras 2`, layers reached
      through the standalone `keras` package may be multi-backend Keras, and are
      left alone).  Keras 3 still accepts `input_dim=` and
      `input_shape=` on a layer: no finding for those.

    Importing a removed class fails by itself (`from keras.layers import
    CuDNNLSTM`), so the import is reported too, also inside an `if`; an import
    inside a `try` whose handler catches `ImportError` is version-compatibility
    code and is left alone.  Constructions are reported wherever they are
    written (static methods, lambdas, class bodies, default values), except in a
    branch the analysis knows does not run.

    The lists are not kept by hand: the removed keywords and classes are the
    difference between the signatures `scripts/gen_signatures.py` generates from
    Keras 3 and tf-keras 2; the Keras-1 names are the conversion table of keras
    2.3.1's `keras/legacy/interfaces.py`, read by `scripts/gen_renames.py`
    (`rnnlint/keras/renames_k1.json`).
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

    A Keras-1 name is renamed to its current keyword when Keras 2 passed the
    value on unchanged (`output_dim=32` -> `units=32`), the current keyword
    exists on the class in the targeted Keras, and it is not given already (by
    keyword or position).  A conversion that mapped values is fixed only for a
    literal value with a mapping that is not deprecated (`consume_less='gpu'`
    -> `implementation=2`, `dim_ordering='tf'` -> `data_format='channels_last'`;
    not `consume_less='cpu'`, which Keras 2 turned into the deprecated
    `implementation=0`).  Conversions Keras made by code (`forget_bias_init`,
    `nb_row`/`nb_col`) get no fix.  All these fixes are safe: the call raised
    before, and afterwards passes what Keras 2 passed.
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
        # Keras 3 still accepts input_dim= and input_shape= on a layer.
        "import keras\nkeras.layers.LSTM(8, input_dim=4)\n",
        "import keras\nkeras.layers.GRU(8, recurrent_activation='hard_sigmoid', kernel_initializer='orthogonal')\n",
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
        # Keras-1 names.
        Invalid(
            "import keras\nkeras.layers.LSTM(output_dim=8, inner_activation='hard_sigmoid', dropout_U=0.1)\n",
            fixed="import keras\nkeras.layers.LSTM(units=8, recurrent_activation='hard_sigmoid', recurrent_dropout=0.1)\n",
            count=3,
        ),
        Invalid(
            "from keras.layers import GRU\nGRU(8, consume_less='gpu')\n",
            fixed="from keras.layers import GRU\nGRU(8, implementation=2)\n",
        ),
        # Keras 2 turned the value into another one by code: no fix.
        Invalid("from tensorflow.keras.layers import LSTM\nLSTM(8, forget_bias_init='one')\n"),
        # units is given by position already: renaming would repeat it.
        Invalid("import keras\nkeras.layers.SimpleRNN(8, output_dim=8)\n"),
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
        elif signature is not None:
            for keyword in layer.node.keywords:
                name = keyword.arg
                if name is None or name in signature.keywords:
                    continue
                if other is not None and target == 3 and name in other.keywords:
                    advice = catalogue.REMOVED_KEYWORD_ADVICE.get(name, "drop it")
                    message = f"{layer.label_text}: Keras 3 removed the keyword argument '{name}'; {advice}"
                    yield Finding(keyword, message)
                elif not self.maybe_multi_backend(layer.qualified):
                    yield from self.keras1_name(layer, keyword, signature, fixes)

    def maybe_multi_backend(self, qualified: str | None) -> bool:
        """Under Keras 2, a layer reached through the standalone `keras` package may be multi-backend
        Keras (up to 2.3), which still converts the Keras-1 names (with a warning) and has CuDNNLSTM."""
        return self.settings.target_keras == 2 and (qualified or "").split(".")[0] == "keras"

    def keras1_name(
        self, layer: Layer, keyword: ast.keyword, signature: ClassSignature, fixes: FixBuilder
    ) -> Iterator[Finding]:
        """A Keras-1 keyword (`output_dim`, `inner_activation`, ...): tf.keras never had the converters."""
        from rnnlint.keras.signatures import keras1_names

        legacy = keras1_names(layer.class_name)
        old = keyword.arg
        name = legacy.names.get(old) if legacy is not None and old is not None else None
        if name is None or legacy is None:
            return
        new = name.new
        head = f"{layer.label_text}: '{old}' is a Keras 1 name, which Keras >= 2.4 rejects"
        if new not in signature.keywords:
            gone = f"its Keras 2 successor '{new}' is gone too in Keras {self.settings.target_keras}: drop it"
            yield Finding(keyword, f"{head}; {gone}")
            return
        if not name.renamed:
            yield Finding(keyword, f"{head}; use '{new}' instead (Keras 2 converted the value, it is not a plain rename)")
            return
        message = f"{head}; it is now '{new}'"
        fix = None
        call = layer.node
        # The new name given too (by keyword, position or unpacking) would repeat an argument.
        collides = (
            any(k.arg in (new, None) for k in call.keywords)
            or new in signature.positional[: len(call.args)]
            or any(isinstance(a, ast.Starred) for a in call.args)
        )
        if name.values:
            value = _literal(keyword.value)
            mapped = next((n for o, n in name.values if type(o) is type(value) and o == value), _MISSING)
            if mapped is _MISSING:
                message += f" ({', '.join(f'{o!r} -> {n!r}' for o, n in name.values)})"
            elif legacy.deprecates(new, "*"):
                message += f" (which Keras 2 already ignored on {layer.class_name}: drop the argument)"
            elif legacy.deprecates(new, mapped):
                message += f" (Keras 2 turned {value!r} into {new}={mapped!r}, which it already deprecated: drop it)"
            else:
                message += f" ({value!r} is {new}={mapped!r})"
                if not collides:
                    fix = self.rename_with_value(keyword, old, new, mapped, fixes)
        elif not collides:
            fix = fixes.replace_name_fix(keyword, old, new, f"Rename `{old}` to `{new}`")
        yield Finding(keyword, message, fix)

    def rename_with_value(self, keyword: ast.keyword, old: str, new: str, value: object, fixes: FixBuilder) -> Fix:
        rename = fixes.replace_name_fix(keyword, old, new, "")
        text = repr(value)
        source = fixes.index.text[fixes.index.offset(fixes.start(keyword.value)) :]
        if isinstance(value, str) and source.startswith('"') and '"' not in value:
            text = f'"{value}"'
        edit = Edit(fixes.start(keyword.value), fixes.end(keyword.value), text)
        return Fix(f"Replace `{old}=` with `{new}={text}`", Applicability.SAFE, (*rename.edits, edit))

    def is_removed(self, class_name: str, qualified: str | None) -> bool:
        """Whether the targeted Keras lacks the class reached through `qualified`."""
        from rnnlint.keras.signatures import other_target, signatures

        target = self.settings.target_keras
        signature = signatures(target).get(class_name)
        if signature is None:
            return signatures(other_target(target)).get(class_name) is not None
        if target != 2 or "v2" in signature.namespaces:
            return False
        # Only the TF2 API of tf.keras lacks it: multi-backend Keras 2 has keras.layers.CuDNNLSTM (see
        # maybe_multi_backend), tf.compat.v1.keras.layers has it, and so do the library's own modules.
        return (qualified or "").rpartition(".")[0] in _TF2_LAYERS

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


_MISSING = object()


def _literal(node: ast.expr) -> object:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _MISSING
