"""What rnnlint knows about Keras, as data.

Everything the engine needs to know about a Keras class lives here: which
qualified names denote it, what a recurrent layer returns for each flag
combination (the table in RULES.md), how many states it takes, and what rank a
consumer layer needs.  The engine and the rules read this module; neither
spells a Keras class name of its own.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass

from rnnlint import prefilter

# Module paths under which Keras publishes its public API.  A qualified name is
# reduced to the part after one of these ("keras.layers.LSTM" -> "layers.LSTM").
KERAS_ROOTS: tuple[str, ...] = (
    "tensorflow.compat.v1.keras",
    "tensorflow.compat.v2.keras",
    "tensorflow.python.keras",
    "tensorflow.keras",
    "keras._tf_keras.keras",
    "keras.api._v2.keras",
    "keras.api",
    "keras.src",
    "keras",
    "tf_keras.src",
    "tf_keras",
)

# Private sub-packages that re-export layers (keras.layers.recurrent.LSTM in
# Keras 2, keras.src.layers.rnn.lstm.LSTM in Keras 3): any module below
# `layers` resolves to the class of the same name.
LAYERS_PACKAGE = "layers"
MODELS_PACKAGES = ("models", "engine", "engine.sequential", "engine.training", "models.sequential", "models.model")


class StateKind(enum.Enum):
    """The states a recurrent cell carries; LSTM's are (h, c), the others' just h.

    Each value starts with the label, so GRU and SimpleRNN (both just h) stay two
    members rather than one member and an alias.
    """

    LSTM = ("LSTM", ("h", "c"))
    GRU = ("GRU", ("h",))
    SIMPLE_RNN = ("SimpleRNN", ("h",))

    @property
    def names(self) -> tuple[str, ...]:
        return self.value[1]

    @property
    def count(self) -> int:
        return len(self.names)

    @property
    def label(self) -> str:
        return self.value[0]


@dataclass(frozen=True)
class RecurrentClass:
    """A recurrent layer class: the kind of state it carries, and its spatial rank.

    `spatial_dims` is 0 for LSTM/GRU/SimpleRNN (input (batch, time, features)) and
    n for ConvLSTMnD (input (batch, time, *n spatial axes, channels)).
    """

    name: str
    states: StateKind
    spatial_dims: int = 0
    removed_in_keras3: bool = False


@dataclass(frozen=True)
class CellClass:
    name: str
    states: StateKind


class Needs(enum.Enum):
    """What a consumer needs of its input's time axis."""

    SEQUENCE = "sequence"  # (batch, time, ...): recurrent layers, Conv1D, pooling over time
    STEP = "step"  # (batch, features): RepeatVector


class Effect(enum.Enum):
    """What a consumer does to the time axis of what it receives."""

    KEEP = "keep"  # Dense, Dropout, normalisation: same axes out as in
    DROP_TIME = "drop_time"  # global pooling, Flatten: the time axis is gone
    ADD_TIME = "add_time"  # RepeatVector, Embedding: a time axis appears
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ConsumerClass:
    name: str
    needs: Needs | None
    effect: Effect
    # Layers whose call takes a list of tensors (merge layers, Attention).
    takes_list: bool = False


RECURRENT_CLASSES: dict[str, RecurrentClass] = {
    c.name: c
    for c in (
        RecurrentClass("LSTM", StateKind.LSTM),
        RecurrentClass("GRU", StateKind.GRU),
        RecurrentClass("SimpleRNN", StateKind.SIMPLE_RNN),
        RecurrentClass("ConvLSTM1D", StateKind.LSTM, spatial_dims=1),
        RecurrentClass("ConvLSTM2D", StateKind.LSTM, spatial_dims=2),
        RecurrentClass("ConvLSTM3D", StateKind.LSTM, spatial_dims=3),
        RecurrentClass("CuDNNLSTM", StateKind.LSTM, removed_in_keras3=True),
        RecurrentClass("CuDNNGRU", StateKind.GRU, removed_in_keras3=True),
    )
}

CELL_CLASSES: dict[str, CellClass] = {
    c.name: c
    for c in (
        CellClass("LSTMCell", StateKind.LSTM),
        CellClass("GRUCell", StateKind.GRU),
        CellClass("SimpleRNNCell", StateKind.SIMPLE_RNN),
    )
}

GENERIC_RNN = "RNN"
STACKED_CELLS = "StackedRNNCells"
BIDIRECTIONAL = "Bidirectional"
TIME_DISTRIBUTED = "TimeDistributed"
SEQUENTIAL = "Sequential"
MODEL = "Model"
INPUT = "Input"

# Attention layers and the call roles in which they read the encoder's memory.
ATTENTION_CLASSES: frozenset[str] = frozenset(
    {"Attention", "AdditiveAttention", "MultiHeadAttention", "GroupedQueryAttention", "GroupQueryAttention"}
)

_SEQ = Needs.SEQUENCE
_KEEP = Effect.KEEP

CONSUMER_CLASSES: dict[str, ConsumerClass] = {
    c.name: c
    for c in (
        # Need a time axis.
        ConsumerClass("TimeDistributed", _SEQ, _KEEP),
        ConsumerClass("Conv1D", _SEQ, _KEEP),
        ConsumerClass("SeparableConv1D", _SEQ, _KEEP),
        ConsumerClass("DepthwiseConv1D", _SEQ, _KEEP),
        ConsumerClass("Conv1DTranspose", _SEQ, _KEEP),
        ConsumerClass("MaxPooling1D", _SEQ, _KEEP),
        ConsumerClass("MaxPool1D", _SEQ, _KEEP),
        ConsumerClass("AveragePooling1D", _SEQ, _KEEP),
        ConsumerClass("AvgPool1D", _SEQ, _KEEP),
        ConsumerClass("GlobalMaxPooling1D", _SEQ, Effect.DROP_TIME),
        ConsumerClass("GlobalMaxPool1D", _SEQ, Effect.DROP_TIME),
        ConsumerClass("GlobalAveragePooling1D", _SEQ, Effect.DROP_TIME),
        ConsumerClass("GlobalAvgPool1D", _SEQ, Effect.DROP_TIME),
        ConsumerClass("SpatialDropout1D", _SEQ, _KEEP),
        ConsumerClass("Cropping1D", _SEQ, _KEEP),
        ConsumerClass("UpSampling1D", _SEQ, _KEEP),
        ConsumerClass("ZeroPadding1D", _SEQ, _KEEP),
        # Need a single step.
        ConsumerClass("RepeatVector", Needs.STEP, Effect.ADD_TIME),
        # Work on the last axis and keep the others.
        ConsumerClass("Dense", None, _KEEP),
        ConsumerClass("Dropout", None, _KEEP),
        ConsumerClass("AlphaDropout", None, _KEEP),
        ConsumerClass("GaussianDropout", None, _KEEP),
        ConsumerClass("GaussianNoise", None, _KEEP),
        ConsumerClass("BatchNormalization", None, _KEEP),
        ConsumerClass("LayerNormalization", None, _KEEP),
        ConsumerClass("UnitNormalization", None, _KEEP),
        ConsumerClass("Activation", None, _KEEP),
        ConsumerClass("ReLU", None, _KEEP),
        ConsumerClass("LeakyReLU", None, _KEEP),
        ConsumerClass("PReLU", None, _KEEP),
        ConsumerClass("ELU", None, _KEEP),
        ConsumerClass("Softmax", None, _KEEP),
        ConsumerClass("Masking", None, _KEEP),
        ConsumerClass("ActivityRegularization", None, _KEEP),
        ConsumerClass("Flatten", None, Effect.DROP_TIME),
        ConsumerClass("Embedding", None, Effect.ADD_TIME),
        ConsumerClass("Reshape", None, Effect.UNKNOWN),
        ConsumerClass("Permute", None, Effect.UNKNOWN),
        ConsumerClass("Lambda", None, Effect.UNKNOWN),
        # Merge layers take a list.
        ConsumerClass("Concatenate", None, Effect.UNKNOWN, takes_list=True),
        ConsumerClass("Add", None, Effect.UNKNOWN, takes_list=True),
        ConsumerClass("Subtract", None, Effect.UNKNOWN, takes_list=True),
        ConsumerClass("Multiply", None, Effect.UNKNOWN, takes_list=True),
        ConsumerClass("Average", None, Effect.UNKNOWN, takes_list=True),
        ConsumerClass("Maximum", None, Effect.UNKNOWN, takes_list=True),
        ConsumerClass("Minimum", None, Effect.UNKNOWN, takes_list=True),
        ConsumerClass("Dot", None, Effect.UNKNOWN, takes_list=True),
        ConsumerClass("Attention", None, Effect.UNKNOWN, takes_list=True),
        ConsumerClass("AdditiveAttention", None, Effect.UNKNOWN, takes_list=True),
    )
}

# Consumers of a sequence that keep its number of time steps (convolutions, pooling,
# cropping and padding along time change it).
STEP_PRESERVING: frozenset[str] = frozenset({"TimeDistributed", "SpatialDropout1D"})

# Functions (not classes) under the layers package that merge a list of tensors.
MERGE_FUNCTIONS: frozenset[str] = frozenset(
    {"concatenate", "add", "subtract", "multiply", "average", "maximum", "minimum", "dot"}
)

# Functions whose first argument is one tensor, so that the list a layer returns with
# return_state=True fails there (Keras 3: `'tuple' object has no attribute 'shape'`) or
# is stacked into one tensor (eager TensorFlow).  Keras' own: every `keras.ops` and
# `keras.activations` function but those taking several tensors or anything at all;
# the Keras 2 backend (`K`) and TensorFlow: the common element-wise and reduction ops.
_LIST_OR_ANYTHING_OPS = frozenset({
    "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack", "meshgrid", "einsum", "cond",
    "switch", "while_loop", "fori_loop", "scan", "associative_scan", "map", "vectorized_map",
    "convert_to_tensor", "convert_to_numpy", "is_tensor", "shape", "dtype", "ndim", "size", "stop_gradient",
    "custom_gradient", "cast", "saturate_cast", "broadcast_shapes", "result_type", "add_n", "amax", "amin",
})  # fmt: skip
_ONE_TENSOR_FUNCTIONS = frozenset({
    "reduce_mean", "reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "mean", "sum", "max", "min", "prod",
    "tanh", "sigmoid", "relu", "softmax", "exp", "log", "sqrt", "square", "abs", "transpose", "reshape",
    "squeeze", "expand_dims", "permute_dimensions", "l2_normalize", "flatten", "batch_flatten", "matmul",
    "dot", "batch_dot", "argmax", "argmin", "tile", "repeat", "repeat_elements", "reverse", "cumsum",
})  # fmt: skip


def takes_one_tensor(qualified: str, canonical: str | None) -> bool:
    """Whether the function named `qualified` (its Keras name `canonical`) reads its first argument as one tensor."""
    if canonical is not None:
        package, _, function = canonical.rpartition(".")
        if package in ("ops", "ops.numpy", "ops.nn", "ops.math", "activations"):
            return function not in _LIST_OR_ANYTHING_OPS
        return package == "backend" and function in _ONE_TENSOR_FUNCTIONS
    package, _, function = qualified.rpartition(".")
    return package in ("tensorflow", "tensorflow.math", "tensorflow.nn") and function in _ONE_TENSOR_FUNCTIONS


# Every symbol the engine gives a meaning to: used to resolve `from keras.layers import *`.
LAYER_SYMBOLS: frozenset[str] = frozenset(
    set(RECURRENT_CLASSES)
    | set(CELL_CLASSES)
    | set(CONSUMER_CLASSES)
    | set(ATTENTION_CLASSES)
    | MERGE_FUNCTIONS
    | {GENERIC_RNN, STACKED_CELLS, BIDIRECTIONAL, TIME_DISTRIBUTED, INPUT, "InputLayer"}
)
TOP_LEVEL_SYMBOLS: frozenset[str] = frozenset({SEQUENTIAL, MODEL, INPUT})

# Words whose absence from a file proves it builds no recurrent layer: every
# recurrent class, cell and wrapper name contains one of them (they live with the
# prefilter, which runs on every file and should not load this module).
RECURRENT_WORDS = prefilter.RECURRENT_WORDS


@functools.lru_cache(maxsize=4096)  # a pure function the engine asks about every attribute it follows
def canonical_name(qualified: str) -> str | None:
    """Reduce a fully qualified name to the Keras symbol it denotes.

    Returns "layers.LSTM", "Sequential", "Input", ... or None when the name is
    not part of Keras' public or private layer API.

    >>> canonical_name("tensorflow.keras.layers.LSTM")
    'layers.LSTM'
    >>> canonical_name("keras.src.layers.rnn.lstm.LSTM")
    'layers.LSTM'
    >>> canonical_name("tf_keras.models.Sequential")
    'Sequential'
    """
    for root in KERAS_ROOTS:
        if qualified == root:
            return ""
        if qualified.startswith(root + "."):
            rest = qualified[len(root) + 1 :]
            break
    else:
        return None
    package, _, symbol = rest.rpartition(".")
    if package == LAYERS_PACKAGE or package.startswith(LAYERS_PACKAGE + "."):
        if symbol in TOP_LEVEL_SYMBOLS - {INPUT}:
            return None
        return f"layers.{symbol}"
    if package == "" and symbol in TOP_LEVEL_SYMBOLS:
        return symbol
    if package in MODELS_PACKAGES and symbol in (SEQUENTIAL, MODEL):
        return symbol
    return rest


def is_keras_module(qualified: str) -> bool:
    """True for a module path under which layer classes can be looked up."""
    canonical = canonical_name(qualified)
    return canonical is not None and (canonical == "" or canonical.split(".")[0] in ("layers", "models"))


@dataclass(frozen=True)
class ReturnedItem:
    """One element of what a recurrent layer call returns.

    `role` is "output" or a state name ("h", "c"); `direction` is "forward" or
    "backward" for Bidirectional, else "".
    """

    role: str
    direction: str = ""

    @property
    def is_state(self) -> bool:
        return self.role != "output"


def returned_items(
    states: StateKind | tuple[StateKind, ...],
    *,
    return_state: bool,
    bidirectional: bool = False,
    merge_mode_none: bool = False,
) -> tuple[ReturnedItem | tuple[ReturnedItem, ...], ...]:
    """What calling a recurrent layer returns, item by item (RULES.md's table).

    `states` is one StateKind, or one per cell for RNN([cells]) / StackedRNNCells,
    whose LSTM cells contribute a nested [h, c] pair.
    """
    directions = ("forward", "backward") if bidirectional else ("",)
    outputs: list = [ReturnedItem("output", d) for d in (directions if merge_mode_none else directions[:1])]
    if bidirectional and not merge_mode_none:
        outputs = [ReturnedItem("output")]
    if not return_state:
        return tuple(outputs)
    if isinstance(states, tuple):
        per_cell: list = []
        for kind in states:
            items = tuple(ReturnedItem(name) for name in kind.names)
            per_cell.append(items if kind.count > 1 else items[0])
        return tuple(outputs + per_cell)
    state_items = [ReturnedItem(name, d) for d in directions for name in states.names]
    return tuple(outputs + state_items)


# --- Keras 2 -> 3 (RNN402) ----------------------------------------------------------------
# *Which* classes and keywords Keras 3 removed is not listed here: it is the difference
# between the signature files generated from the real libraries (keras/signatures.py).
# Only the advice on what to write instead is knowledge of our own.
REMOVED_CLASS_REPLACEMENT: dict[str, str] = {"CuDNNLSTM": "LSTM", "CuDNNGRU": "GRU"}
REMOVED_CLASS_ADVICE: dict[str, str] = {
    "CuDNNLSTM": "use LSTM, which runs the cuDNN kernel by itself on a GPU when its arguments allow it",
    "CuDNNGRU": "use GRU, which runs the cuDNN kernel by itself on a GPU when its arguments allow it",
    "AbstractRNNCell": "subclass keras.layers.Layer and give it state_size and call(inputs, states)",
}
REMOVED_KEYWORD_ADVICE: dict[str, str] = {
    "time_major": "Keras 3 always reads (batch, time, features); transpose time-major data "
    "(keras.ops.transpose(x, (1, 0, 2))) and drop the argument",
    "batch_input_shape": "declare the batch on the input instead: keras.Input(batch_shape=(batch, ...))",
    "batch_size": "declare it on the input instead: keras.Input(shape=..., batch_size=...)",
    "input_length": "declare the time steps on the input instead: keras.Input(shape=(steps, features))",
    "weights": "call layer.set_weights(...) once the layer is built",
    "implementation": "it no longer selects a kernel; drop it",
    "dynamic": "drop it",
    "enable_caching_device": "drop it",
    "force_generator": "drop it; seed the layer with seed=",
    "rng_type": "drop it; seed the layer with seed=",
    "return_runtime": "drop it",
    "reverse_state_order": "drop it; Keras 3 keeps the cells' states in order",
}


def is_v1_path(qualified: str | None) -> bool:
    """True for a name reached through TensorFlow's v1 compatibility API (`tf.compat.v1.keras...`)."""
    return qualified is not None and (".compat.v1." in qualified or "._v1." in qualified)


# --- The fused cuDNN kernel (RNN403) ---------------------------------------------------------
# From the LSTM and GRU docstrings of Keras 3 and tf-keras 2 ("The requirements to use the
# cuDNN implementation are: ..."), and keras/src/backend/tensorflow/rnn.py:cudnn_ok.
# keyword -> (the value the kernel needs, as written in the message; the values that satisfy it)
CUDNN_CLASSES: frozenset[str] = frozenset({"LSTM", "GRU"})
CUDNN_REQUIREMENTS: dict[str, tuple[str, frozenset]] = {
    "activation": ("'tanh'", frozenset({"tanh"})),
    "recurrent_activation": ("'sigmoid'", frozenset({"sigmoid"})),
    "recurrent_dropout": ("0", frozenset({0})),  # 0.0 == 0
    "unroll": ("False", frozenset({False})),
    "use_bias": ("True", frozenset({True})),
}
CUDNN_GRU_REQUIREMENTS: dict[str, tuple[str, frozenset]] = {"reset_after": ("True", frozenset({True}))}
# Modules whose functions name an activation: `keras.activations.relu`, `tf.nn.relu`, `tf.tanh`, ...
ACTIVATION_MODULES: tuple[str, ...] = ("activations", "ops", "ops.nn", "backend")
TF_ACTIVATION_MODULES: tuple[str, ...] = ("tensorflow", "tensorflow.nn", "tensorflow.math", "tensorflow.keras.activations")


def activation_name(qualified: str) -> str | None:
    """`keras.activations.relu` -> "relu"; `tf.math.tanh` -> "tanh"; None when not an activation function."""
    module, _, function = qualified.rpartition(".")
    canonical = canonical_name(module)
    if canonical is not None and canonical in ACTIVATION_MODULES:
        return function
    if module in TF_ACTIVATION_MODULES:
        return function
    return None
