"""A reproduction: the smallest Keras program that checks one finding's claim.

A reproduction has three parts, run in order in one namespace by the worker:

- `setup` builds inputs and layers.  An exception here is *our* mistake (a
  placeholder Keras refuses), so it makes the finding "not checkable", never
  "confirmed".
- `trigger` does what the analysed code does with the layer's output.  Keras'
  exception here confirms an error finding; a silent misbehaviour is confirmed
  when the trigger calls `confirmed("what was observed")`.
- `aside` gathers extra observations (an eager run showing what unpacking
  iterated); its failures are ignored.

The `Sketch` writes the parts from what the analysis knows of a layer: its
class, literal flags and units.  Sizes the analysis does not know become small
named placeholders (`TIME = 5`) that the report lists.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass

from rnnlint.analysis.values import Layer, Multiple
from rnnlint.keras import catalogue

# Helpers every reproduction may call; the worker defines them exactly like this.
PRELUDE = '''\
import numpy as np


def shape(tensor):
    """The shape as a tuple (Keras 2 gives TensorShape, Keras 3 a tuple)."""
    return tuple(None if d is None else int(d) for d in tensor.shape)


def random_like(*inputs):
    """Random data for symbolic inputs: unknown axes become BATCH or TIME."""
    data = []
    for index, tensor in enumerate(inputs):
        dims = shape(tensor)
        dims = tuple((BATCH if i == 0 else TIME) if d is None else d for i, d in enumerate(dims))
        data.append(np.random.default_rng(index).random(dims, dtype="float32"))
    return data[0] if len(data) == 1 else data


def first(result):
    """The output tensor of a call that may return [output, *states]."""
    return result[0] if isinstance(result, (list, tuple)) else result
'''

# Keras' own answer to "may this LSTM/GRU run the fused cuDNN kernel?", leaving out whether a
# GPU is present (the worker has none).  RNN403's reproductions define it, and the tracer
# runs the same text.  Both Keras versions keep the test internal: tf-keras 2 computes
# `_could_use_gpu_kernel` in the constructor; Keras 3 tries the kernel in LSTM/GRU.inner_loop
# only when use_cudnn allows it and recurrent_dropout is 0, and then only when the TensorFlow
# backend's argument check passes (keras/src/backend/tensorflow/rnn.py: cudnn_ok).
CUDNN_CHECK = '''\
def cudnn_eligible(layer):
    """Whether Keras would run this LSTM/GRU on the fused cuDNN kernel given a GPU, and by which test."""
    if hasattr(layer, "_could_use_gpu_kernel"):
        return bool(layer._could_use_gpu_kernel), "tf-keras: the layer's _could_use_gpu_kernel"
    import importlib

    tensorflow_rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")
    cell = layer.cell
    if isinstance(layer, keras.layers.GRU):
        arguments = tensorflow_rnn._do_gru_arguments_support_cudnn(
            cell.activation, cell.recurrent_activation, layer.unroll, cell.use_bias, cell.reset_after
        )
    else:
        arguments = tensorflow_rnn._do_lstm_arguments_support_cudnn(
            cell.activation, cell.recurrent_activation, layer.unroll, cell.use_bias
        )
    allowed = layer.use_cudnn in ("auto", True) and not layer.recurrent_dropout
    return bool(arguments) and allowed, "Keras 3: the TensorFlow backend's cuDNN argument check, no recurrent_dropout"
'''

# Sizes every reproduction uses; reported only when the program uses them.
BASE_PLACEHOLDERS = {
    "BATCH": (2, "samples in the random batch"),
    "TIME": (5, "time steps"),
    "FEATURES": (4, "input features"),
}


class NotCheckable(Exception):
    """The analysis does not know enough to write the reproduction (the message says what)."""


@dataclass(frozen=True)
class Reproduction:
    setup: str
    trigger: str
    aside: str = ""
    # The finding claims Keras accepts the code silently: an exception is then
    # not the behaviour described, and the outcome is "not reproduced".
    expects_silence: bool = False
    # (NAME, value, what it stands for), in the order they are defined.
    placeholders: tuple[tuple[str, object, str], ...] = ()
    note: str = ""

    @property
    def constants(self) -> str:
        return "".join(f"{name} = {value!r}  # {meaning}\n" for name, value, meaning in self.placeholders)

    def text(self, keras_import: str = "import keras") -> str:
        """The program as a user could run it (the worker runs the same parts)."""
        parts = [
            keras_import + "\n" + PRELUDE,
            "def confirmed(observation):\n    print('confirmed:', observation)\n\n\n"
            "def observe(observation):\n    print(observation)\n",
            self.constants,
            "# setup\n" + self.setup,
            "# what the analysed code does\n" + self.trigger,
        ]
        if self.aside:
            parts.append("# observations only\n" + self.aside)
        return "\n".join(part.rstrip("\n") + "\n" for part in parts)

    def cache_key(self, keras_version: str, target_keras: int) -> str:
        text = "\0".join((str(target_keras), keras_version, self.text(), str(self.expects_silence)))
        return hashlib.sha256(text.encode()).hexdigest()

    def placeholder_summary(self) -> str:
        return ", ".join(f"{name}={value!r} ({meaning})" for name, value, meaning in self.placeholders)


# Constructor arguments for consumer layers whose own arguments are unknown or
# large; keep the models tiny.  A class not listed is built with no arguments.
_CONSUMER_ARGUMENTS = {
    "Dense": "DENSE_UNITS",
    "Conv1D": "4, 3, padding='same'",
    "SeparableConv1D": "4, 3, padding='same'",
    "Conv1DTranspose": "4, 3, padding='same'",
    "DepthwiseConv1D": "3, padding='same'",
    "MaxPooling1D": "2, padding='same'",
    "MaxPool1D": "2, padding='same'",
    "AveragePooling1D": "2, padding='same'",
    "AvgPool1D": "2, padding='same'",
    "Cropping1D": "0",
    "UpSampling1D": "2",
    "ZeroPadding1D": "1",
    "SpatialDropout1D": "0.1",
    "Dropout": "0.1",
    "RepeatVector": "REPEATS",
    "MultiHeadAttention": "num_heads=2, key_dim=4",
    "GroupedQueryAttention": "head_dim=4, num_query_heads=2, num_key_value_heads=1",
    "GroupQueryAttention": "head_dim=4, num_query_heads=2, num_key_value_heads=1",
}
_LARGEST_KEPT_UNITS = 64
# Units, state widths and declared axes above this are replaced by LARGE_n placeholders just above it:
# LSTM(20000) would make the worker build 1.6e9 weights (12 GB) to check a flag.
LARGEST_KEPT_SIZE = 256


class Sketch:
    """Writes a reproduction line by line, naming the placeholders it uses."""

    def __init__(self) -> None:
        self._setup: list[str] = []
        self._trigger: list[str] = []
        self._aside: list[str] = []
        self._placeholders: dict[str, tuple[object, str]] = {}
        self._taken: set[str] = set()
        self._large: dict[int, str] = {}
        self.notes: list[str] = []

    # --- writing ------------------------------------------------------------------------
    def setup(self, line: str) -> None:
        self._setup.append(line)

    def trigger(self, line: str) -> None:
        self._trigger.append(line)

    def aside(self, line: str) -> None:
        self._aside.append(line)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def name(self, base: str) -> str:
        """A variable name not used yet in this program."""
        candidate, number = base, 1
        while candidate in self._taken:
            number += 1
            candidate = f"{base}_{number}"
        self._taken.add(candidate)
        return candidate

    def placeholder(self, name: str, value: object = None, meaning: str = "") -> str:
        if name not in self._placeholders:
            if name in BASE_PLACEHOLDERS:
                value, meaning = BASE_PLACEHOLDERS[name]
            self._placeholders[name] = (value, meaning)
        return name

    def size(self, value: int | None) -> str:
        """A size (units, a state's width, an axis) as the program writes it, kept small.

        A size above LARGEST_KEPT_SIZE becomes a placeholder just above it; the same size always
        gets the same placeholder and different sizes different ones, so equal widths stay equal
        and unequal ones unequal.  A size the analysis does not know becomes UNITS.
        """
        if value is None:
            return self.placeholder("UNITS", 8, "units the analysis could not read")
        if value <= LARGEST_KEPT_SIZE:
            return str(value)
        if value not in self._large:
            name = f"LARGE_{len(self._large) + 1}"
            written = str(value) if value < 10**12 else f"a {len(str(value))}-digit size"
            self.placeholder(name, LARGEST_KEPT_SIZE + len(self._large) + 1, f"stands for {written} (kept small)")
            self._large[value] = name
            self.note(f"sizes above {LARGEST_KEPT_SIZE} are replaced by LARGE_n placeholders; a size Keras derives "
                      "from one (a Bidirectional's concatenation) is derived from the placeholder")
        return self._large[value]

    def reproduction(self, *, expects_silence: bool = False) -> Reproduction:
        # random_like() reads BATCH and TIME, so they are always defined.
        self.placeholder("BATCH")
        self.placeholder("TIME")
        return Reproduction(
            setup="\n".join(self._setup) + "\n",
            trigger="\n".join(self._trigger) + "\n",
            aside="\n".join(self._aside) + ("\n" if self._aside else ""),
            expects_silence=expects_silence,
            placeholders=tuple((n, v, m) for n, (v, m) in self._placeholders.items()),
            note="; ".join(self.notes),
        )

    # --- inputs and layers --------------------------------------------------------------
    def input_for(self, layer: Layer, base: str = "x") -> str:
        """A symbolic input of the rank `layer` takes (a sequence of features)."""
        name = self.name(base)
        dims = ["TIME"]
        if layer.spatial_dims:
            dims += [self.placeholder("SIDE", 3, "size of each spatial axis")] * layer.spatial_dims
        dims.append(self.placeholder("FEATURES"))
        self.placeholder("TIME")
        batch = ""
        core = layer.core
        if core is not None and core.stateful:
            batch = f", batch_size={self.placeholder('BATCH')}"
        self.setup(f"{name} = keras.Input(shape=({', '.join(dims)},){batch})")
        return name

    def build(self, layer: Layer, base: str) -> str:
        """Bind a fresh variable to the construction of `layer`; returns the variable."""
        name = self.name(base)
        self.setup(f"{name} = {self.layer(layer)}")
        return name

    def layer(self, layer: Layer, keywords: dict[str, str] | None = None) -> str:
        """A Keras expression building a layer like `layer`, from what the analysis knows.

        `keywords` (name -> code) are added to the recurrent layer doing the work
        (inside Bidirectional, the wrapped one).
        """
        if layer.mutated:
            raise NotCheckable(f"{layer.label_text} is changed after construction, so its flags are not known")
        cls = layer.class_name
        if layer.is_bidirectional:
            if layer.wrapped is None:
                raise NotCheckable("the layer inside Bidirectional is not known")
            if layer.merge_mode_none is None:
                raise NotCheckable(f"the merge_mode of {layer.label_text} is not known")
            merge = "None" if layer.merge_mode_none else repr(layer.merge_mode or "concat")
            return f"keras.layers.Bidirectional({self.layer(layer.wrapped, keywords)}, merge_mode={merge})"
        if cls == catalogue.TIME_DISTRIBUTED:
            inner = self.layer(layer.wrapped) if layer.wrapped is not None else self._dense(None)
            return f"keras.layers.TimeDistributed({inner})"
        if cls in (catalogue.GENERIC_RNN, catalogue.STACKED_CELLS):
            return with_keywords(self._generic_rnn(layer), keywords)
        if layer.recurrent is not None or layer.cell is not None:
            return with_keywords(self._recurrent(layer), keywords)
        return self._consumer(layer)

    def _units(self, layer: Layer) -> str:
        if layer.units is None and layer.units_of is not None:
            return self.multiple(layer.units_of)
        return self.size(layer.units)

    def multiple(self, size: Multiple) -> str:
        """A size known only as a multiple of a name's value: that multiple of a placeholder for it."""
        base = self.placeholder("UNITS", 8, f"the value of `{size.name}`, which the analysis could not read")
        return base if size.factor == 1 else f"{size.factor} * {base}"

    def _flags(self, layer: Layer) -> str:
        text = ""
        for flag in ("return_sequences", "return_state", "go_backwards", "stateful"):
            value = getattr(layer, flag)
            if value is None:
                self.note(f"{flag} of {layer.label_text} is not known; Keras' default is used")
            elif value:
                text += f", {flag}=True"
        return text

    def _recurrent(self, layer: Layer) -> str:
        cls = layer.class_name
        if layer.recurrent is not None and layer.recurrent.removed_in_keras3:
            raise NotCheckable(f"{cls} no longer exists in Keras 3")
        args = self._units(layer)
        if layer.spatial_dims:
            args += f", {self.placeholder('KERNEL', 3, 'convolution kernel size')}, padding='same'"
        if layer.cell is not None:
            return f"keras.layers.{cls}({args})"
        return f"keras.layers.{cls}({args}{self._flags(layer)})"

    def _generic_rnn(self, layer: Layer) -> str:
        if layer.cells is None:
            raise NotCheckable(f"the cells of {layer.label_text} are not known")
        cells = [self.layer(cell) for cell in layer.cells]
        inner = cells[0] if len(cells) == 1 else "[" + ", ".join(cells) + "]"
        if layer.class_name == catalogue.STACKED_CELLS:
            return f"keras.layers.StackedRNNCells({inner})"
        return f"keras.layers.RNN({inner}{self._flags(layer)})"

    def _dense(self, units: int | None) -> str:
        if units is not None and units <= _LARGEST_KEPT_UNITS:
            return f"keras.layers.Dense({units})"
        return f"keras.layers.Dense({self.placeholder('DENSE_UNITS', 4, 'units of a Dense layer (kept small)')})"

    def _consumer(self, layer: Layer) -> str:
        cls = layer.class_name
        if cls == "Dense":
            return self._dense(layer.units)
        if cls == "RepeatVector":
            repeats = _literal_argument(layer.node, 0, "n")
            if isinstance(repeats, int) and 0 < repeats <= _LARGEST_KEPT_UNITS:
                return f"keras.layers.RepeatVector({repeats})"
            self.placeholder("REPEATS", 3, "RepeatVector's count")
            return "keras.layers.RepeatVector(REPEATS)"
        if cls in ("MultiHeadAttention",):
            heads = _literal_argument(layer.node, 0, "num_heads")
            key_dim = _literal_argument(layer.node, 1, "key_dim")
            if isinstance(heads, int) and isinstance(key_dim, int) and heads * key_dim <= 256:
                return f"keras.layers.MultiHeadAttention(num_heads={heads}, key_dim={key_dim})"
        if cls not in catalogue.CONSUMER_CLASSES and cls not in catalogue.ATTENTION_CLASSES:
            raise NotCheckable(f"rnnlint does not know how to build a {cls}")
        return f"keras.layers.{cls}({_CONSUMER_ARGUMENTS.get(cls, '')})"


def with_keywords(expression: str, keywords: dict[str, str] | None) -> str:
    """`keras.layers.LSTM(8)` with `name=code` arguments added at the end of the call."""
    if not keywords:
        return expression
    assert expression.endswith(")")
    added = ", ".join(f"{name}={code}" for name, code in keywords.items())
    return f"{expression[:-1]}, {added})" if not expression.endswith("()") else f"{expression[:-1]}{added})"


def _literal_argument(call: ast.Call, index: int, keyword: str) -> object:
    """The literal value of an argument of the construction, or None."""
    node = next((k.value for k in call.keywords if k.arg == keyword), None)
    if node is None and index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        node = call.args[index]
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
