"""Facts: what the interpreter observed, in the terms rules reason about.

A fact never judges.  "This value was unpacked into 3 names", "this value was
fed to that layer as its initial state": whether that is a bug is the rules'
business.

Every fact has `via`: when it was observed while running a helper function with
a caller's arguments, the outermost call (in the caller) that led there.  A
finding that exists only for those arguments is reported at that call.
"""

from __future__ import annotations

import ast
import enum
from dataclasses import dataclass

from rnnlint.analysis.values import Layer, SequentialModel, Value


class Role(enum.Enum):
    """How a consumer uses the value it receives."""

    INPUT = "input"  # the tensor a layer is called on
    INITIAL_STATE = "initial_state"
    ARITHMETIC = "arithmetic"  # an operand of +, -, *, /, @
    OPERAND = "operand"  # the tensor argument of a function over one tensor (keras.ops.tanh, tf.reduce_mean)
    ATTENTION_QUERY = "query"
    ATTENTION_VALUE = "value"
    ATTENTION_KEY = "key"
    MERGED = "merged"  # one of the tensors of a merge (Concatenate, concatenate, tf.concat)
    MODEL_OUTPUT = "model_output"


@dataclass(frozen=True)
class LayerBuilt:
    layer: Layer
    via: ast.AST | None = None


@dataclass(frozen=True)
class Imported:
    """`from <keras module> import <layer class>`: `canonical` is the Keras symbol (`layers.CuDNNLSTM`).

    `guarded` is True when a `try` whose handler catches ImportError holds the import
    (version-compatibility code).  Recorded whether or not the import runs.
    """

    canonical: str
    qualified: str
    node: ast.alias
    guarded: bool
    via: ast.AST | None = None


@dataclass(frozen=True)
class LayerCalled:
    layer: Layer
    node: ast.AST
    inputs: Value
    result: Value
    via: ast.AST | None = None


@dataclass(frozen=True)
class Consumed:
    """`value` reached `consumer` (a layer, or None for an operator) in `role`.

    `node` is where it happened: the consumer's call, or the consumer's place
    in a Sequential stack (`in_sequential`).
    """

    value: Value
    consumer: Layer | None
    role: Role
    node: ast.AST
    in_sequential: bool = False
    via: ast.AST | None = None


@dataclass(frozen=True)
class Unpacked:
    """`value` was unpacked into `targets` names (one of them starred if `starred`)."""

    value: Value
    targets: int
    starred: bool
    node: ast.AST
    via: ast.AST | None = None


@dataclass(frozen=True)
class Indexed:
    """`value[index]` or `value[start:stop]` with literal bounds."""

    value: Value
    index: int | None
    slice_start: int | None
    is_slice: bool
    node: ast.Subscript
    via: ast.AST | None = None


@dataclass(frozen=True)
class SequentialBuilt:
    model: SequentialModel
    via: ast.AST | None = None


@dataclass(frozen=True)
class Merged:
    """Several tensors combined step by step: a merge layer, `tf.concat`, or arithmetic (`a + b`).

    `consumer` is the merge layer, or None for a function or an operator.
    """

    values: tuple[Value, ...]
    consumer: Layer | None
    node: ast.AST
    via: ast.AST | None = None


@dataclass(frozen=True)
class LayerSummary:
    """Every layer object built at one construction, once the whole module is analysed.

    A construction runs once per call of the helper it sits in (and once more
    when the helper is analysed on its own), so it can stand for several objects;
    their `calls` are final here.
    """

    node: ast.Call
    layers: tuple[Layer, ...]
    via: ast.AST | None = None


@dataclass(frozen=True)
class ModelBuilt:
    """`keras.Model(inputs, outputs)`."""

    inputs: Value
    outputs: Value
    node: ast.Call
    via: ast.AST | None = None


@dataclass(frozen=True)
class ScopeEntered:
    """The facts recorded after this one, up to the next ScopeEntered, were observed in `node`.

    `node` is the module, or a function or method the interpreter analysed on its
    own (with unknown arguments).  A helper inlined at a call site stays in its
    caller's scope.  `name` is "" for the module, `build` for a function,
    `Seq2Seq.call` for a method.  No rule needs it; it lets tools group facts by
    where they happened (`rnnlint graph --function`).
    """

    node: ast.AST
    name: str
    via: ast.AST | None = None


Fact = (
    LayerBuilt
    | Imported
    | LayerCalled
    | Consumed
    | Unpacked
    | Indexed
    | SequentialBuilt
    | ModelBuilt
    | ScopeEntered
    | Merged
    | LayerSummary
)
