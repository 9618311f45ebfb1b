"""Abstract values: what the interpreter knows a name or an expression holds.

Every value is immutable except the few that model mutable Python objects
(a layer object collects its call sites; a Sequential collects its layers; an
instance collects its attributes).  `UNKNOWN` is the bottom of precision: a rule
that meets it reports nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Union

from rnnlint.keras import catalogue
from rnnlint.keras.catalogue import ReturnedItem, StateKind


class Unknown:
    """A value the analysis cannot determine."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()

# The attribute analysis/project.py sets on every node of a module read for an importer:
# that module (its `path` and its `display` path).  Absent on the analysed file's own nodes.
ORIGIN = "_rnnlint_origin"

# A dimension the code declares as None (`keras.Input(shape=(None, 8))`): known
# to be dynamic, which is not the same as not knowing it.
DYNAMIC = -1


@dataclass(frozen=True)
class Const:
    """A literal (or a constant folded from literals)."""

    value: object


@dataclass(frozen=True)
class Ref:
    """A module or a symbol reached through an import: `tensorflow.keras.layers`."""

    qualified: str

    @property
    def keras_name(self) -> str | None:
        return catalogue.canonical_name(self.qualified)

    def attribute(self, name: str) -> Ref:
        return Ref(f"{self.qualified}.{name}")


@dataclass(frozen=True)
class Multiple:
    """A size known only relative to an unknown value: `factor` times what `base` holds.

    `base` is one binding of a name (see `Scope.binding`), `name` its spelling for
    messages.  `LSTM(units)` and `LSTM(2 * units)` in one function have widths in a
    known ratio whatever `units` is.
    """

    factor: int
    base: object
    name: str

    def times(self, factor: int) -> Multiple:
        return Multiple(self.factor * factor, self.base, self.name)

    def same_base(self, other: Multiple | None) -> bool:
        return other is not None and (other.base is self.base or other.base == self.base)

    def __str__(self) -> str:
        return self.name if self.factor == 1 else f"{self.factor} * {self.name}"


def not_known() -> None:
    """The answer to a question nobody can answer (see `LayerCall.keeps`)."""
    return None


@dataclass(eq=False)
class LayerCall:
    """One place where a layer object is called (or stacked in a Sequential).

    `kept` says, per item of the result, whether the code may use it: False only
    when the item is certainly thrown away (bound to a name nothing reads, left
    out of an unpacking or an index, or the whole call is a bare statement).
    It is answered on first use (by `keeps`): the answer takes a walk over the
    whole module, and only the hint rules RNN501/502 ask.
    """

    node: ast.AST
    result: Value
    inputs: Value = None  # type: ignore[assignment]
    initial_state: Value | None = None
    keeps: Callable[[], tuple[bool, ...] | None] = field(default=not_known, repr=False)

    @cached_property
    def kept(self) -> tuple[bool, ...] | None:
        return self.keeps()


# Sizes past int64 (a 5,000-digit `units` literal) are no layer's: they count as unknown, so no rule
# reports on them (and no message has to print a number `str()` refuses past 4,300 digits).
MAX_SIZE = 2**63 - 1
_SIZE_FIELDS = ("units", "width", "batch", "steps", "vocabulary")


def plausible_size(value: object) -> object:
    """`value`, or None when it is an int too large to be the size of anything."""
    if type(value) is int and not -MAX_SIZE <= value <= MAX_SIZE:
        return None
    return value


def _plausible_shape(shape: tuple | None) -> tuple | None:
    if shape is None or all(plausible_size(item) is item for item in shape):
        return shape
    return None


@dataclass(eq=False)
class Layer:
    """A Keras layer object built in the analysed file.

    Flags are True/False when known, None when unknown (a variable, `**kwargs`).
    Identity matters: two names bound to the same Layer are the same object.
    """

    class_name: str
    node: ast.Call
    label: str | None = None
    units: int | None = None
    # When `units` is not known: a multiple of a name's value (`LSTM(2 * latent_dim)`).
    units_of: Multiple | None = None
    return_sequences: bool | None = False
    return_state: bool | None = False
    go_backwards: bool | None = False
    stateful: bool | None = False
    # Bidirectional / TimeDistributed / RNN(cell): the layer or cell inside.
    wrapped: Layer | None = None
    merge_mode_none: bool | None = False
    merge_mode: str | None = "concat"
    # RNN([cells]) and StackedRNNCells: the cells' state kinds, in order.
    cells: tuple[Layer, ...] | None = None
    keywords: dict[str, Value] = field(default_factory=dict)
    positional: tuple[Value, ...] = ()
    # The import path the class was reached through (`tensorflow.compat.v1.keras.layers.CuDNNLSTM`).
    qualified: str | None = None
    calls: list[LayerCall] = field(default_factory=list)
    # Set when code assigns attributes on the object: its flags can no longer be trusted.
    mutated: bool = False
    # Names and attributes the object was bound to, and whether it reached code the
    # analysis cannot follow (an opaque call, a container, a return to unknown callers).
    bound_names: set[str] = field(default_factory=set)
    escaped: bool = False
    # True when `calls` is every call the object can receive in this module (see
    # analysis/usage.py).  Decided on first use, after the whole module is analysed:
    # the answer takes a walk over the whole module, and only the hint rules ask.
    all_calls_seen: Callable[[], bool] = field(default=lambda: False, repr=False)
    # Built while running a helper for a caller: the caller's (outermost) call.
    via: ast.AST | None = None

    def __repr__(self) -> str:
        return f"Layer({self.class_name}@{self.node.lineno})"

    @cached_property
    def calls_known(self) -> bool:
        return self.all_calls_seen()

    # --- what kind of layer is this -------------------------------------------------
    @property
    def recurrent(self) -> catalogue.RecurrentClass | None:
        return catalogue.RECURRENT_CLASSES.get(self.class_name)

    @property
    def cell(self) -> catalogue.CellClass | None:
        return catalogue.CELL_CLASSES.get(self.class_name)

    @property
    def is_bidirectional(self) -> bool:
        return self.class_name == catalogue.BIDIRECTIONAL

    @property
    def consumer(self) -> catalogue.ConsumerClass | None:
        return catalogue.CONSUMER_CLASSES.get(self.class_name)

    @property
    def is_attention(self) -> bool:
        return self.class_name in catalogue.ATTENTION_CLASSES

    @property
    def core(self) -> Layer | None:
        """The recurrent layer doing the work: self, or the one a wrapper holds."""
        if self.recurrent is not None or self.class_name in (catalogue.GENERIC_RNN,):
            return self
        if self.is_bidirectional and self.wrapped is not None:
            return self.wrapped.core
        return None

    @property
    def is_recurrent(self) -> bool:
        return self.state_kinds is not None

    @property
    def state_kinds(self) -> StateKind | tuple[StateKind, ...] | None:
        """LSTM -> StateKind.LSTM; RNN([cells]) -> one kind per cell; None if not recurrent/unknown."""
        if self.recurrent is not None:
            return self.recurrent.states
        if self.class_name in (catalogue.GENERIC_RNN, catalogue.STACKED_CELLS):
            if self.cells is None:
                return None
            kinds = []
            for cell in self.cells:
                if cell.cell is not None:
                    kinds.append(cell.cell.states)
                elif cell.class_name == catalogue.STACKED_CELLS and cell.cells is not None:
                    inner = cell.state_kinds
                    if not isinstance(inner, tuple):
                        return None
                    kinds.extend(inner)
                else:
                    return None
            if self.class_name == catalogue.GENERIC_RNN and len(kinds) == 1 and self.cells[0].cell is not None:
                return kinds[0]
            return tuple(kinds)
        if self.is_bidirectional and self.wrapped is not None:
            inner = self.wrapped.state_kinds
            return inner if isinstance(inner, StateKind) else None
        return None

    @property
    def spatial_dims(self) -> int:
        core = self.core
        if core is not None and core.recurrent is not None:
            return core.recurrent.spatial_dims
        return 0

    # --- flags, looking through wrappers ---------------------------------------------
    def flag(self, name: str) -> bool | None:
        if self.mutated:
            return None
        if self.is_bidirectional:
            if self.wrapped is None or self.wrapped.mutated:
                return None
            return getattr(self.wrapped, name)
        return getattr(self, name)

    @property
    def state_units(self) -> int | None:
        core = self.core
        if core is None or core.mutated:
            return None
        if core.units is not None:
            return core.units
        if core.cells is not None and len(core.cells) == 1:
            return core.cells[0].units
        return None

    @property
    def state_units_of(self) -> Multiple | None:
        """The units as a multiple of an unknown value, when `state_units` is not known."""
        core = self.core
        if core is None or core.mutated or core.units is not None:
            return None
        if core.units_of is not None:
            return core.units_of
        if core.cells is not None and len(core.cells) == 1:
            return core.cells[0].units_of
        return None

    @property
    def label_text(self) -> str:
        """How messages name the layer: `LSTM 'encoder' (line 4)`; built in another module of the
        project: `LSTM 'encoder' built in seq2seq/encoders.py:4`."""
        origin = getattr(self.node, ORIGIN, None)
        if origin is not None:
            place = f"{self.display_class}{self._quoted_label} built in {origin.display}:{self.node.lineno}"
            return place if self.via is None else f"{place} (made by the call on line {self.via.lineno})"
        if self.via is not None:
            return f"{self.display_class}{self._quoted_label} (line {self.node.lineno}, made by the call on line {self.via.lineno})"
        if self.label:
            return f"{self.display_class} '{self.label}' (line {self.node.lineno})"
        # Unnamed layers often share a line (Sequential([LSTM(8), LSTM(8)])): the column tells them apart.
        return f"{self.display_class} (line {self.node.lineno}, column {self.node.col_offset + 1})"

    @property
    def _quoted_label(self) -> str:
        return f" '{self.label}'" if self.label else ""

    @property
    def display_class(self) -> str:
        if self.is_bidirectional and self.wrapped is not None:
            return f"Bidirectional({self.wrapped.display_class})"
        if self.class_name == catalogue.GENERIC_RNN and self.cells:
            return f"RNN({', '.join(c.class_name for c in self.cells)})"
        return self.class_name

    def returned_items(self) -> tuple[ReturnedItem | tuple[ReturnedItem, ...], ...] | None:
        """What calling this layer returns, or None when a flag is unknown."""
        kinds = self.state_kinds
        return_state = self.flag("return_state")
        if kinds is None or return_state is None:
            return None
        merge_none = self.merge_mode_none if self.is_bidirectional else False
        if merge_none is None:
            return None
        return catalogue.returned_items(
            kinds, return_state=return_state, bidirectional=self.is_bidirectional, merge_mode_none=merge_none
        )

    @property
    def returned_count(self) -> int | None:
        items = self.returned_items()
        return None if items is None else len(items)

    def call_at(self, node: ast.AST | None) -> LayerCall | None:
        """The recorded call of this object at `node`."""
        return next((call for call in self.calls if call.node is node), None)

    def argument(self, index: int, keyword: str) -> Value | None:
        """A construction argument given by keyword or at a position, as the interpreter saw it."""
        if keyword in self.keywords:
            return self.keywords[keyword]
        if 0 <= index < len(self.positional):
            return self.positional[index]
        return None

    def int_argument(self, index: int, keyword: str) -> int | None:
        value = self.argument(index, keyword)
        return value.value if isinstance(value, Const) and type(value.value) is int else None


@dataclass(frozen=True)
class Tensor:
    """A tensor with what is known of its axes and where it came from.

    `time` is True for (batch, time, ...), False for (batch, ...) with no time
    axis, None if unknown.  `producer` is the recurrent layer whose output (or
    state) this is, kept through layers that do not change the axes (Dropout,
    Dense, normalisation) so messages can name it; `direct` is True only for the
    very object the layer call returned.
    """

    time: bool | None = None
    spatial_dims: int | None = None
    width: int | None = None
    # When `width` is not known: a multiple of a name's value (see Multiple).
    width_of: Multiple | None = None
    producer: Layer | None = None
    call: ast.AST | None = None
    direct: bool = False
    state: str | None = None  # "h" / "c" for a state tensor
    state_kind: StateKind | None = None
    direction: str = ""
    # For keras.Input: the declared shape without the batch axis, when literal.
    shape: tuple | None = None
    # Static batch size and number of time steps (DYNAMIC when declared None).
    batch: int | None = None
    steps: int | None = None
    # For a sequence read from tokens: how many distinct tokens a step can be
    # (an Embedding's input_dim, or the last dimension of a keras.Input).
    vocabulary: int | None = None
    # Time order of a sequence: False forward, True reversed, None unknown; and the
    # go_backwards layer that reversed it.
    reversed: bool | None = None
    reversed_by: Layer | None = None
    # When the time order is unknown, it may still be known relative to another tensor:
    # `order_base` stands for the sequence some recurrent layers read (the same value, or
    # the same binding of a name), and `backwards_by` is the go_backwards layer that
    # reversed this one relative to it (None: same order as the base).
    order_base: object = None
    backwards_by: Layer | None = None
    # The Dense / TimeDistributed whose output this is (kept through layers that
    # keep the axes, such as Activation or Dropout).
    projection: Layer | None = None
    # Computed from concrete data (a numpy array, tf.constant): eager code, whose
    # results are real arrays; indexing one selects rows of the batch, as tests do.
    eager: bool = False

    def __post_init__(self) -> None:
        # Sizes past int64 are no sizes (a 5,000-digit literal): unknown.  Most tensors carry no size at all.
        if self.width is self.batch is self.steps is self.vocabulary is self.shape is None:
            return
        for name in _SIZE_FIELDS[1:]:
            value = getattr(self, name)
            if plausible_size(value) is not value:
                object.__setattr__(self, name, None)
        if self.shape is not None and _plausible_shape(self.shape) is None:
            object.__setattr__(self, "shape", None)


@dataclass(frozen=True)
class Outputs:
    """The list a layer call returns when it returns several tensors."""

    items: tuple[Value, ...]
    producer: Layer
    call: ast.AST


@dataclass(frozen=True)
class Sequence:
    """A list or tuple the code builds itself (`[h, c]`, `states[1:]`)."""

    items: tuple[Value, ...]


@dataclass(eq=False)
class SequentialModel:
    """A keras.Sequential and the layers it holds, in order.

    An UNKNOWN entry stands for "maybe something here" (a layer added under a
    condition, or by code the analysis cannot see).
    """

    node: ast.Call
    layers: list[Value] = field(default_factory=list)
    placements: list[ast.AST] = field(default_factory=list)
    # For each placement: the caller's call when it happened inside a helper run for it.
    vias: list[ast.AST | None] = field(default_factory=list)


@dataclass(frozen=True)
class Function:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    scope: object  # the Scope it was defined in
    inlinable: bool = True


@dataclass(eq=False)
class ClassValue:
    node: ast.ClassDef
    scope: object
    methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    # Layer objects assigned in the class body (class attributes).
    attributes: dict[str, Value] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.node.name


@dataclass(eq=False)
class Instance:
    """`self` inside a class's methods, or an object made by calling a user class."""

    cls: ClassValue
    attrs: dict[str, Value] = field(default_factory=dict)
    # Attributes assigned outside __init__: their value depends on call order.
    volatile: frozenset[str] = frozenset()


@dataclass(frozen=True)
class BoundMethod:
    receiver: Value
    name: str


Value = Union[
    Unknown, Const, Ref, Layer, Tensor, Outputs, Sequence, SequentialModel, Function, ClassValue, Instance, BoundMethod
]


def join(a: Value, b: Value) -> Value:
    """The value that is true on both paths: equal parts kept, the rest unknown."""
    if a is b or a == b:
        return a
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return Tensor(
            time=a.time if a.time == b.time else None,
            spatial_dims=a.spatial_dims if a.spatial_dims == b.spatial_dims else None,
            width=a.width if a.width == b.width else None,
            width_of=a.width_of if a.width_of == b.width_of else None,
            producer=a.producer if a.producer is b.producer else None,
            call=a.call if a.call is b.call else None,
            direct=a.direct and b.direct and a.call is b.call,
            state=a.state if a.state == b.state else None,
            state_kind=a.state_kind if a.state_kind == b.state_kind else None,
            direction=a.direction if a.direction == b.direction else "",
            shape=a.shape if a.shape == b.shape else None,
            batch=a.batch if a.batch == b.batch else None,
            steps=a.steps if a.steps == b.steps else None,
            vocabulary=a.vocabulary if a.vocabulary == b.vocabulary else None,
            reversed=a.reversed if a.reversed == b.reversed else None,
            reversed_by=a.reversed_by if a.reversed_by is b.reversed_by else None,
            order_base=a.order_base if same_order(a, b) else None,
            backwards_by=a.backwards_by if same_order(a, b) else None,
            projection=a.projection if a.projection is b.projection else None,
        )
    if isinstance(a, Sequence) and isinstance(b, Sequence) and len(a.items) == len(b.items):
        return Sequence(tuple(join(x, y) for x, y in zip(a.items, b.items)))
    return UNKNOWN


def same_order(a: Tensor, b: Tensor) -> bool:
    """Whether two sequences are known to run in the same order relative to one base (or both have none)."""
    return a.backwards_by is b.backwards_by and (a.order_base is b.order_base or a.order_base == b.order_base)


def item_value(
    item: ReturnedItem | tuple[ReturnedItem, ...],
    layer: Layer,
    call: ast.AST,
    kind: StateKind,
    source: Value = UNKNOWN,
    base: object = None,
) -> Value:
    """The abstract tensor for one element of a recurrent call's result.

    `source` is the input sequence; `base` stands for it when its time order is
    unknown (see `Tensor.order_base`).
    """
    if isinstance(item, tuple):
        return Sequence(tuple(item_value(sub, layer, call, kind, source, base) for sub in item))
    units, units_of = layer.state_units, layer.state_units_of
    batch = source.batch if isinstance(source, Tensor) else None
    eager = isinstance(source, Tensor) and source.eager
    if item.is_state:
        return Tensor(
            time=False,
            spatial_dims=layer.spatial_dims,
            width=units,
            width_of=units_of,
            producer=layer,
            call=call,
            direct=True,
            state=item.role,
            state_kind=kind,
            direction=item.direction,
            batch=batch,
            eager=eager,
        )
    width, width_of = units, units_of
    if layer.is_bidirectional and not item.direction:
        factor = {"concat": 2, "sum": 1, "ave": 1, "mul": 1}.get(layer.merge_mode or "")
        width = factor * units if factor is not None and units is not None else None
        width_of = units_of.times(factor) if factor is not None and units_of is not None else None
    sequence = layer.flag("return_sequences")
    order, reversed_by = (time_order(layer, source) if sequence else (None, None))
    order_base, backwards_by = relative_order(layer, source, base) if sequence and order is None else (None, None)
    return Tensor(
        time=sequence,
        spatial_dims=layer.spatial_dims,
        width=width,
        width_of=width_of,
        producer=layer,
        call=call,
        direct=True,
        direction=item.direction,
        batch=batch,
        steps=source.steps if sequence and isinstance(source, Tensor) else None,
        reversed=order,
        reversed_by=reversed_by,
        order_base=order_base,
        backwards_by=backwards_by,
        eager=eager,
    )


def opposite_sequences(values: tuple[Value, ...]) -> tuple[Tensor, Tensor, Layer] | None:
    """Among merged values, a go_backwards sequence and one running forwards: (backwards, forwards, reversing layer).

    Known absolutely (the input's order is known), or relative to one base: both
    computed from the same sequence, whatever its order.
    """
    sequences = [v for v in values if isinstance(v, Tensor) and v.time is True]
    backwards = next((t for t in sequences if t.reversed is True and t.reversed_by is not None), None)
    forwards = next((t for t in sequences if t.reversed is False), None)
    if backwards is not None and forwards is not None:
        return backwards, forwards, backwards.reversed_by  # type: ignore[return-value]
    for backwards in sequences:
        if backwards.order_base is None or backwards.backwards_by is None:
            continue
        for forwards in sequences:
            if forwards.backwards_by is None and forwards.order_base is not None and (
                forwards.order_base is backwards.order_base or forwards.order_base == backwards.order_base
            ):
                return backwards, forwards, backwards.backwards_by
    return None


def relative_order(layer: Layer, source: Value, base: object) -> tuple[object, Layer | None]:
    """A sequence output's time order relative to what the layer read, when the absolute order is unknown.

    Two layers reading the same tensor, one with go_backwards=True, return sequences
    that run opposite ways, whatever that tensor is.
    """
    if isinstance(source, Tensor) and source.order_base is not None:
        base, backwards_by = source.order_base, source.backwards_by
    else:
        backwards_by = None
    if base is None:
        return None, None
    if layer.is_bidirectional:
        return base, backwards_by  # the backward half is flipped back
    backwards = layer.flag("go_backwards")
    if backwards is None:
        return None, None
    if backwards:
        return base, (layer if backwards_by is None else None)
    return base, backwards_by


def time_order(layer: Layer, source: Value) -> tuple[bool | None, Layer | None]:
    """Whether a recurrent layer's sequence output runs backwards in time, and which layer reversed it.

    A `go_backwards` layer reads its input from the end and returns its outputs
    in that reversed order; `Bidirectional` flips its backward half back, so its
    output keeps the input's order.
    """
    if not isinstance(source, Tensor) or source.reversed is None:
        return None, None
    if layer.is_bidirectional:
        return source.reversed, source.reversed_by
    backwards = layer.flag("go_backwards")
    if backwards is None:
        return None, None
    if backwards and not source.reversed:
        return True, layer
    if not backwards and source.reversed:
        return True, source.reversed_by
    return False, None


def passed_through(
    value: Value, *, width: int | None = None, keep_width: bool = True, projection: Layer | None = None
) -> Value:
    """What a layer that keeps the axes (Dropout, Dense, ...) makes of a tensor.

    `projection` is the Dense (or TimeDistributed) doing it, when it changes the features.
    """
    if not isinstance(value, Tensor):
        return UNKNOWN
    return replace(
        value,
        direct=False,
        state=None,
        width=value.width if keep_width else width,
        width_of=value.width_of if keep_width else None,
        call=value.call,
        projection=projection if projection is not None else value.projection,
        vocabulary=value.vocabulary if projection is None else None,
    )
