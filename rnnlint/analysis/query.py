"""Questions an editor asks of one file's analysis: what is at this place, and which layer made it.

The answers are read from the facts the interpreter recorded (LayerBuilt,
LayerCalled and the values they carry); nothing here evaluates code.  A place
the facts say nothing certain about gets no answer: a name bound more than once
in its scope, a call analysed twice with different results, an unknown flag.

Used by the language server (hover, relatedInformation); it names no rule and
imports nothing from the front ends.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rnnlint.analysis.facts import Consumed, Fact, Indexed, LayerBuilt, LayerCalled, LayerSummary, Merged, Unpacked
from rnnlint.analysis.values import DYNAMIC, Layer, Outputs, Tensor, Value
from rnnlint.keras.catalogue import ReturnedItem

_SPATIAL_AXES = {1: ("rows",), 2: ("rows", "cols"), 3: ("depth", "rows", "cols")}


@dataclass(frozen=True)
class Answer:
    """What to show for a place: markdown text, and the node it is about (its span is the hover's range)."""

    text: str
    node: ast.AST


# --- which layer produced what a finding is about ------------------------------------------


def producing_layer(fact: Fact) -> Layer | None:
    """The layer a finding's fact is about: the one built or called, or the one whose output was used."""
    if isinstance(fact, (LayerBuilt, LayerCalled)):
        return fact.layer
    if isinstance(fact, (Consumed, Unpacked, Indexed)):
        return _producer(fact.value)
    if isinstance(fact, Merged):
        return next((layer for layer in map(_producer, fact.values) if layer is not None), None)
    if isinstance(fact, LayerSummary) and len(fact.layers) == 1:
        return fact.layers[0]
    return None


def _producer(value: Value) -> Layer | None:
    if isinstance(value, (Tensor, Outputs)):
        return value.producer
    return None


# --- hover ------------------------------------------------------------------------------


class Index:
    """The facts of one analysis arranged by syntax node, built once per analysis and asked many times."""

    def __init__(self, tree: ast.Module, facts: Iterable[Fact]) -> None:
        self.tree = tree
        self.built: dict[int, list[Layer]] = {}
        self.called: dict[int, list[LayerCalled]] = {}
        self.inputs: dict[int, list[Value]] = {}
        for fact in facts:
            if isinstance(fact, LayerBuilt):
                self.built.setdefault(id(fact.layer.node), []).append(fact.layer)
            elif isinstance(fact, LayerCalled):
                self.called.setdefault(id(fact.node), []).append(fact)
                argument = _input_argument(fact.node)
                if argument is not None:
                    self.inputs.setdefault(id(argument), []).append(fact.inputs)
        self.parents: dict[int, ast.AST] = {}
        self.scopes: dict[int, ast.AST] = {}
        # Names some function declares global or nonlocal: rebound from elsewhere, never a single binding.
        self.declared: set[str] = set()
        self._link(tree, tree)

    def _link(self, node: ast.AST, scope: ast.AST) -> None:
        # An explicit stack: deeply nested expressions must not exhaust Python's recursion limit.
        stack = [(node, scope)]
        while stack:
            current, owner = stack.pop()
            self.scopes[id(current)] = owner
            inner = current if isinstance(current, _SCOPES) else owner
            if isinstance(current, (ast.Global, ast.Nonlocal)):
                self.declared.update(current.names)
            for child in ast.iter_child_nodes(current):
                self.parents[id(child)] = current
                stack.append((child, inner))

    # -- the entry point --

    def hover(self, row: int, column: int) -> Answer | None:
        """What is known at a 1-based row and 0-based UTF-8 byte column (as `ast` counts), innermost first."""
        for node in _enclosing(self.tree, row, column):
            answer = self._about(node)
            if answer is not None:
                return answer
        return None

    def _about(self, node: ast.AST) -> Answer | None:
        if isinstance(node, ast.Call):
            layers = self.built.get(id(node))
            if layers:
                text = _same(describe_layer(layer) for layer in layers)
                return Answer(text, node) if text else None
            calls = self.called.get(id(node))
            if calls:
                text = _same(describe_call(call) for call in calls)
                return Answer(text, node) if text else None
            return None
        if isinstance(node, ast.Name):
            text = self._name(node)
            return Answer(f"`{node.id}`: {text}", node) if text else None
        return None

    # -- names --

    def _name(self, node: ast.Name) -> str | None:
        # Passed to a layer call: the fact says what arrived there.
        arrived = self.inputs.get(id(node))
        if arrived:
            return _same(describe_value(value) for value in arrived)
        if isinstance(node.ctx, ast.Store):
            return self._bound(node)
        # A use: answered from the binding, when the name has exactly one in its scope.
        if node.id in self.declared:
            return None
        bindings = list(self._bindings(node.id, self.scopes.get(id(node))))
        if len(bindings) != 1 or _position(bindings[0]) > _position(node):
            return None
        return self._bound(bindings[0])

    def _bindings(self, name: str, scope: ast.AST | None) -> Iterator[ast.AST]:
        """Every place `name` is bound in `scope` (assignment targets, loop variables, parameters, imports...)."""
        if scope is None:
            return
        for candidate in _walk_scope(scope):
            if (
                isinstance(candidate, ast.Name)
                and candidate.id == name
                and isinstance(candidate.ctx, (ast.Store, ast.Del))
            ):
                yield candidate
            elif isinstance(candidate, ast.arg) and candidate.arg == name:
                yield candidate
            elif isinstance(candidate, (ast.Global, ast.Nonlocal)) and name in candidate.names:
                yield candidate
                yield candidate  # bound elsewhere: never a single binding
            elif isinstance(candidate, (ast.Import, ast.ImportFrom)) and any(
                (alias.asname or alias.name.split(".")[0]) == name for alias in candidate.names
            ):
                yield candidate
            elif (
                isinstance(candidate, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and candidate.name == name
            ):
                yield candidate

    def _bound(self, target: ast.AST) -> str | None:
        """What a plain assignment `target = <value>` or `a, b = <value>` bound to `target`."""
        if not isinstance(target, ast.Name):
            return None
        path: list[int] = []
        node: ast.AST = target
        parent = self.parents.get(id(node))
        while isinstance(parent, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in parent.elts):
            path.append(parent.elts.index(node))
            node, parent = parent, self.parents.get(id(parent))
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and parent.targets[0] is node:
            value_node = parent.value
        elif isinstance(parent, ast.AnnAssign) and parent.target is node and parent.value is not None:
            value_node = parent.value
        else:
            return None
        layers = self.built.get(id(value_node))
        if layers and not path:
            return _same(describe_layer(layer) for layer in layers)
        calls = self.called.get(id(value_node))
        if not calls:
            return None
        return _same(describe_value(_item(call.result, list(reversed(path)))) for call in calls)


def _item(value: Value, path: list[int]) -> Value:
    for index in path:
        if not isinstance(value, Outputs) or index >= len(value.items):
            return None
        value = value.items[index]
    return value


def _input_argument(call: ast.AST) -> ast.AST | None:
    if not isinstance(call, ast.Call):
        return None
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg == "inputs"), None)


_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def _walk_scope(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a scope, without descending into nested scopes (functions, lambdas, classes, comprehensions).

    A nested scope's own node is yielded (a `def` binds its name here); what is
    inside it is not, so a use inside a comprehension is never answered from an
    assignment outside it (conservatively: a missing answer, never a wrong one).
    """
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _SCOPES):
            stack.extend(ast.iter_child_nodes(node))


def _position(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _enclosing(tree: ast.AST, row: int, column: int) -> list[ast.AST]:
    """The expression nodes whose span holds the place, innermost first."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if _holds(child, row, column):
                found.append(child)
                stack.append(child)
            elif isinstance(child, (ast.stmt, ast.mod)) or not hasattr(child, "lineno"):
                stack.append(child)  # a statement around the place may not span it (decorators); look inside anyway
    holding = [n for n in found if isinstance(n, (ast.expr, ast.arg))]
    return holding[::-1]  # each node was found after the nodes around it


def _holds(node: ast.AST, row: int, column: int) -> bool:
    start = (getattr(node, "lineno", None), getattr(node, "col_offset", None))
    end = (getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None))
    if None in start or None in end:
        return False
    return start <= (row, column) <= end


def _same(texts: Iterable[str | None]) -> str | None:
    """The one description every analysis of a place agrees on; None when they differ or one does not know."""
    distinct = set(texts)
    if len(distinct) != 1:
        return None
    return distinct.pop()


# --- descriptions -------------------------------------------------------------------------


def describe_layer(layer: Layer) -> str | None:
    """`LSTM(64)`: what a call returns given its flags, and what the other flags would give."""
    core = layer.core
    if core is None or layer.mutated:
        return None
    sequences = layer.flag("return_sequences")
    states = layer.flag("return_state")
    items = layer.returned_items()
    if sequences is None or states is None or items is None:
        return None
    width = _output_width(layer)
    spatial = layer.spatial_dims
    head = f"`{_name(layer)}` returns {_count(items)}: " + ", ".join(
        _item_text(item, layer, sequences, width, spatial) for item in items
    )
    other = not sequences
    alternatives = [f"`return_sequences={other}` would give {_shape(other, width, spatial)}"]
    if not states:
        alternatives.append(f"`return_state=True` adds {_state_names(layer)}")
    return head + "; " + "; ".join(alternatives)


def describe_call(call: LayerCalled) -> str | None:
    """A layer call: what this call returns (its flags are the layer's)."""
    if call.layer.core is not None:
        return describe_layer(call.layer)
    text = describe_value(call.result)
    return f"`{call.layer.display_class}(...)` returns {text}" if text else None


def describe_value(value: Value) -> str | None:
    """A tensor (kind, shape, where from), a list of a layer's outputs, or a layer object."""
    if isinstance(value, Layer):
        return describe_layer(value)
    if isinstance(value, Outputs):
        parts = [describe_tensor(item, origin=False) if isinstance(item, Tensor) else None for item in value.items]
        if any(part is None for part in parts):
            return None
        return f"{len(parts)} tensors [{'; '.join(parts)}] from {_where(value.producer)}"  # type: ignore[arg-type]
    if isinstance(value, Tensor):
        return describe_tensor(value)
    return None


def describe_tensor(tensor: Tensor, *, origin: bool = True) -> str | None:
    if tensor.state is not None:
        kind = f"state {tensor.state}"
        time = False
    elif tensor.time is None:
        return None
    else:
        kind = "sequence" if tensor.time else "last step"
        time = tensor.time
    if tensor.direction:
        kind = f"{kind} ({tensor.direction})"
    steps = tensor.steps if tensor.steps not in (None, DYNAMIC) else None
    batch = tensor.batch if tensor.batch not in (None, DYNAMIC) else None
    shape = _shape(time, tensor.width, tensor.spatial_dims or 0, steps=steps, batch=batch)
    text = f"{kind} {shape}"
    if not origin:
        return text
    if tensor.producer is None:
        return f"{text} from keras.Input" if tensor.shape is not None else text
    if tensor.direct:
        return f"{text} from {_where(tensor.producer)}"
    if tensor.projection is not None:
        return f"{text} from {_where(tensor.projection)}, over the output of {_where(tensor.producer)}"
    return f"{text} from {_where(tensor.producer)}, through layers that keep its axes"


def _where(layer: Layer) -> str:
    return f"{layer.display_class} line {layer.node.lineno}"


def _name(layer: Layer) -> str:
    if layer.is_bidirectional and layer.wrapped is not None:
        return f"Bidirectional({_name(layer.wrapped)})"
    core = layer.core
    units = core.units if core is not None else None
    return f"{layer.display_class}({units if units is not None else '...'})"


def _count(items: tuple) -> str:
    return "1 tensor" if len(items) == 1 else f"{len(items)} tensors"


def _item_text(item: ReturnedItem | tuple, layer: Layer, sequences: bool, width: int | None, spatial: int) -> str:
    if isinstance(item, tuple):
        return "[" + ", ".join(_item_text(i, layer, sequences, width, spatial) for i in item) + "]"
    direction = f" ({item.direction})" if item.direction else ""
    if item.role == "output":
        kind = "the whole sequence" if sequences else "the last step"
        # With merge_mode=None each direction's output has the wrapped layer's own width.
        own = layer.state_units if item.direction else width
        return f"{kind}{direction} {_shape(sequences, own, spatial)}"
    return f"state {item.role}{direction} {_shape(False, layer.state_units, spatial)}"


def _state_names(layer: Layer) -> str:
    items = layer.returned_items() if layer.flag("return_state") else None
    if items is None:
        from rnnlint.keras import catalogue

        kinds = layer.state_kinds
        if kinds is None:
            return "the final states"
        merge_none = bool(layer.merge_mode_none) if layer.is_bidirectional else False
        items = catalogue.returned_items(
            kinds, return_state=True, bidirectional=layer.is_bidirectional, merge_mode_none=merge_none
        )
    names = []
    for item in items:
        for one in item if isinstance(item, tuple) else (item,):
            if one.is_state:
                names.append(f"{one.role} ({one.direction})" if one.direction else one.role)
    return ", ".join(names)


def _output_width(layer: Layer) -> int | None:
    units = layer.state_units
    if units is None or not layer.is_bidirectional:
        return units
    if layer.merge_mode_none:
        return units
    return units * 2 if layer.merge_mode == "concat" else units if layer.merge_mode in ("sum", "mul", "ave") else None


def _shape(
    time: bool, width: int | None, spatial: int = 0, *, steps: int | None = None, batch: int | None = None
) -> str:
    axes = [str(batch) if batch is not None else "batch"]
    if time:
        axes.append(str(steps) if steps is not None else "time")
    axes.extend(_SPATIAL_AXES.get(spatial, ()))
    axes.append(str(width) if width is not None else "?")
    return "(" + ", ".join(axes) + ")"
