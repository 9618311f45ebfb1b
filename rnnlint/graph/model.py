"""The graph of a file's recurrent data flow, built from the analysis' facts and nothing else.

One `Graph` per model the analysis saw: each `Sequential` stack, and the
functional code of each scope (the module, a function, a subclassed model's
`call`) with the outputs of any `keras.Model(inputs, outputs)` built there.
Layers are nodes (one per call); values are edges, found by identity: the very
object a layer call returned is the one another layer received.  What the
analysis does not know stays unknown here: a dashed edge from a `?` source.

Findings come with the fact their rule was checking (`rnnlint.api.Report`), so
each one lands on the edge that carries the offending value, or on the layer.
"""

from __future__ import annotations

import ast
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rnnlint.analysis.facts import (
    Consumed,
    Indexed,
    LayerBuilt,
    LayerCalled,
    ModelBuilt,
    Role,
    ScopeEntered,
    SequentialBuilt,
    Unpacked,
)
from rnnlint.analysis.values import ORIGIN, UNKNOWN, Layer, Outputs, Sequence, SequentialModel, Tensor, Value
from rnnlint.diagnostics import Diagnostic
from rnnlint.graph.describe import layer_details, layer_title, value_label

if TYPE_CHECKING:
    from rnnlint.api import Analysis, Report

_ROLE_PREFIX = {
    Role.INITIAL_STATE: "initial_state: ",
    Role.ATTENTION_QUERY: "query: ",
    Role.ATTENTION_VALUE: "value: ",
    Role.ATTENTION_KEY: "key: ",
    Role.ARITHMETIC: "operand: ",
}
# Where each attention role sits in `MultiHeadAttention(query, value, key)` / `Attention([q, v, k])`.
_ATTENTION_POSITION = {Role.ATTENTION_QUERY: 0, Role.ATTENTION_VALUE: 1, Role.ATTENTION_KEY: 2}


class NodeKind(enum.Enum):
    RECURRENT = "recurrent"  # LSTM, GRU, Bidirectional(...), RNN(cell)
    LAYER = "layer"  # any other Keras layer
    INPUT = "input"  # a tensor that enters the graph (keras.Input, a value from elsewhere)
    OUTPUT = "output"  # what a keras.Model or a Sequential hands back
    UNKNOWN = "unknown"  # a value the analysis cannot determine
    OPERATION = "operation"  # an operator, tf.concat, a user's attention class
    STOP = "stop"  # an unpacking or subscript the value does not survive
    NOTE = "note"  # findings that no node or edge of the graph shows


@dataclass
class Node:
    id: str
    kind: NodeKind
    title: str
    details: tuple[str, ...] = ()
    line: int | None = None
    findings: list[Diagnostic] = field(default_factory=list)
    called: int | None = None  # the line of the call, for a layer built elsewhere
    # id() of the call a layer node stands for: how a helper's graph is recognised as a copy.
    site: int | None = field(default=None, repr=False, compare=False)
    # The display paths of the modules `line` and `called` are in, when another module of the
    # project (rnnlint/analysis/project.py): a layer `encoders.py` builds, called in this file.
    line_module: str | None = None
    called_module: str | None = None

    @property
    def where(self) -> str | None:
        """`line 7`, or `line 7, called line 8` for `encoder = LSTM(...)` then `encoder(x)`;
        `seq2seq/encoders.py:5, called line 9` for a layer another module of the project built."""
        if self.line is None:
            return None
        built = f"{self.line_module}:{self.line}" if self.line_module else f"line {self.line}"
        if self.called is not None and (self.called, self.called_module) != (self.line, self.line_module):
            called = f"{self.called_module}:{self.called}" if self.called_module else f"line {self.called}"
            return f"{built}, called {called}"
        return built


@dataclass
class Edge:
    source: str
    target: str
    label: str
    known: bool = True  # False when the value is unknown: drawn dashed
    findings: list[Diagnostic] = field(default_factory=list)


@dataclass
class Graph:
    id: str
    title: str
    scope: str  # "" for the module, "build", "Seq2Seq.call"
    line: int = 0  # where the model starts in the file: graphs are listed in source order
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    @property
    def sites(self) -> frozenset[int]:
        return frozenset(n.site for n in self.nodes if n.site is not None)


class NoGraph(Exception):
    """Nothing to draw: no model in the file, or none in the function asked for."""


def build_graphs(analysis: Analysis, function: str | None = None) -> list[Graph]:
    """The graphs of one analysed file (`rnnlint.api.Analysis`), in source order.

    With `function`, only the scopes named so: `build`, `Seq2Seq` (every method),
    `Seq2Seq.call`, `call`.  Without it, a function whose layers were all drawn
    already (a helper inlined where it is called) is left out.
    """
    facts = analysis.facts
    reports: dict[int, list[Report]] = {}
    for report in analysis.reports:
        reports.setdefault(id(report.fact), []).append(report)
    names = _assigned_names(analysis.tree) if analysis.tree is not None else {}
    candidates: list[Graph] = []
    for scope, scope_facts in _split_by_scope(facts):
        if function is not None and not _scope_matches(scope.name, function):
            continue
        candidates.extend(_ScopeBuilder(scope, scope_facts, reports, names).graphs())
    if function is None:
        candidates = _without_inlined_copies(candidates)
    if not candidates:
        raise NoGraph(_nothing_message(facts, function))
    candidates.sort(key=lambda graph: graph.line)
    for number, graph in enumerate(candidates, start=1):
        graph.id = f"g{number}"
    return candidates


def scope_names(facts: Iterable[object]) -> list[str]:
    """The names `--function` accepts in a file: scopes where a layer is called."""
    found: list[str] = []
    for scope, scope_facts in _split_by_scope(list(facts)):
        if scope.name and any(isinstance(f, (LayerCalled, SequentialBuilt)) for f in scope_facts):
            found.append(scope.name)
    return found


# --- one scope ----------------------------------------------------------------------------


class _ScopeBuilder:
    def __init__(
        self, scope: ScopeEntered, facts: list, reports: dict[int, list[Report]], names: dict[int, str]
    ) -> None:
        self.scope = scope
        self.facts = facts
        self.reports = reports
        self.names = names
        self.placed: set[int] = set()  # id() of the reports some graph shows
        self.sequentials = [f.model for f in facts if isinstance(f, SequentialBuilt)]
        placements = {id(p) for model in self.sequentials for p in model.placements}
        self.calls = [f for f in facts if isinstance(f, LayerCalled) and id(f.node) not in placements]
        self.stack_calls = {(id(f.layer), id(f.node)): f for f in facts if isinstance(f, LayerCalled)}
        self.consumed: dict[tuple[int, int], list[Consumed]] = {}
        self.layer_reports: dict[int, list[Report]] = {}
        for fact in facts:
            if isinstance(fact, Consumed) and fact.consumer is not None:
                self.consumed.setdefault((id(fact.consumer), id(fact.node)), []).append(fact)
            elif isinstance(fact, (LayerBuilt, LayerCalled)):
                self.layer_reports.setdefault(id(fact.layer), []).extend(self.reports.get(id(fact), []))

    def graphs(self) -> list[Graph]:
        drawings = [self.sequential(model) for model in self.sequentials]
        models = [f for f in self.facts if isinstance(f, ModelBuilt)]
        if models or any(_is_recurrent(call.layer) for call in self.calls):
            drawings.append(self.functional(models))
        drawings = [d for d in drawings if d.graph.nodes]
        if drawings:  # a finding no node or edge shows still belongs in the picture
            for fact in self.facts:
                for report in self.reports.get(id(fact), []):
                    if id(report) not in self.placed:
                        self.place_on_nodes(report, [drawings[-1].note()])
        return [d.graph for d in drawings]

    # --- a Sequential: the stack in order, each layer fed the previous one's output -------
    def sequential(self, model: SequentialModel) -> _Drawing:
        name = self.names.get(id(model.node))
        title = f"Sequential '{name}'" if name else "Sequential"
        drawing = _Drawing(
            Graph("", f"{title} (line {model.node.lineno}){self.where}", self.scope.name, model.node.lineno)
        )
        previous: tuple[str, Value, ast.AST] | None = None  # node, its output, its placement
        leaving: dict[int, Edge] = {}  # id(placement) -> the edge out of the layer placed there
        for item, place in zip(model.layers, model.placements):
            entering: list[Consumed] = []
            if isinstance(item, Layer):
                call = self.stack_calls.get((id(item), id(place)))
                node = self.layer_node(drawing, item, place)
                value = call.result if call is not None else UNKNOWN
                entering = self.consumed.get((id(item), id(place)), [])
            elif isinstance(item, Tensor):
                node = drawing.add(NodeKind.INPUT, "Input", line=getattr(place, "lineno", None))
                value = item
            else:
                node = drawing.add(NodeKind.UNKNOWN, "?", ("a layer the analysis cannot see",))
                value = UNKNOWN
            if previous is not None:
                edge = drawing.connect(previous[0], node.id, value_label(previous[1]), previous[1] is not UNKNOWN)
                leaving[id(previous[2])] = edge
                for fact in entering:
                    self.mark(fact, [edge])
            previous = (node.id, value, place)
        if previous is not None and isinstance(model.layers[-1], Layer):
            output = drawing.add(NodeKind.OUTPUT, "output")
            leaving[id(previous[2])] = drawing.connect(
                previous[0], output.id, value_label(previous[1]), previous[1] is not UNKNOWN
            )
        for fact in self.facts:
            if isinstance(fact, SequentialBuilt) and fact.model is model:
                for report in self.reports.get(id(fact), []):
                    if id(report.node) in leaving:
                        self.place_on_edges(report, [leaving[id(report.node)]])
        return drawing

    # --- functional code: calls linked by the identity of the values they pass ----------
    def functional(self, models: list[ModelBuilt]) -> _Drawing:
        titles = [self.model_title(m) for m in models]
        if titles:
            title = ", ".join(titles) + self.where
        else:
            title = f"{self.scope.name}()" if self.scope.name else "module level"
        first = min((getattr(c.node, "lineno", 0) for c in self.calls), default=0)
        drawing = _Drawing(Graph("", title, self.scope.name, getattr(self.scope.node, "lineno", first)))
        calls = {id(c.node) for c in self.calls}
        for fact in self.facts:
            if isinstance(fact, LayerCalled) and id(fact.node) in calls:
                self.draw_call(drawing, fact)
            elif isinstance(fact, Consumed) and fact.consumer is None:
                node = drawing.operation(fact.node)
                self.mark(fact, drawing.feed(fact.value, node.id, fact.role, _argument(fact.node, fact.role)))
            elif isinstance(fact, Unpacked) and not _unpacks_cleanly(fact):
                title = f"unpacked into {fact.targets} names"
                stop = drawing.keyed(fact.node, NodeKind.STOP, title, (_targets_text(fact.node),))
                self.mark(fact, drawing.feed(fact.value, stop.id, Role.INPUT, None))
            elif isinstance(fact, Indexed) and isinstance(fact.value, Tensor):
                stop = drawing.keyed(fact.node, NodeKind.STOP, f"indexed [{_text(fact.node.slice)}]", ())
                self.mark(fact, drawing.feed(fact.value, stop.id, Role.INPUT, None))
            elif isinstance(fact, ModelBuilt):
                name = self.names.get(id(fact.node))
                title = f"outputs of '{name}'" if name else "outputs of keras.Model"
                output = drawing.add(NodeKind.OUTPUT, title, (), fact.node.lineno)
                drawing.feed(fact.outputs, output.id, Role.INPUT, _model_outputs(fact.node))
        return drawing

    def draw_call(self, drawing: _Drawing, call: LayerCalled) -> None:
        if (id(call.layer), id(call.node)) in drawing.call_nodes:  # the same call analysed again (a loop)
            drawing.produced(call.result, drawing.call_nodes[id(call.layer), id(call.node)].id)
            return
        entering = self.consumed.get((id(call.layer), id(call.node)))
        if entering:
            inputs = [(fact, fact.value, fact.role) for fact in entering]
        else:  # a layer the catalogue does not know: its first argument is its input
            inputs = [(None, call.inputs, Role.INPUT)]
        # Sources first, so that nodes are numbered in the order data flows.
        sources = [(fact, drawing.sources(value, role, _argument(call.node, role))) for fact, value, role in inputs]
        node = self.layer_node(drawing, call.layer, call.node)
        for fact, found in sources:
            edges = [drawing.connect(source, node.id, label, known) for source, label, known in found]
            if fact is not None:
                self.mark(fact, edges)
        drawing.produced(call.result, node.id)

    def layer_node(self, drawing: _Drawing, layer: Layer, at: ast.AST) -> Node:
        node = drawing.layer_node(layer, at)
        for report in self.layer_reports.get(id(layer), []):
            self.place_on_nodes(report, [node])
        return node

    # --- findings -----------------------------------------------------------------------
    def mark(self, fact: object, edges: list[Edge]) -> None:
        for report in self.reports.get(id(fact), []):
            self.place_on_edges(report, edges)

    def place_on_edges(self, report: Report, edges: list[Edge]) -> None:
        diagnostic = report.diagnostic
        for edge in edges:
            if not any(d is diagnostic for d in edge.findings):
                edge.findings.append(diagnostic)
            self.placed.add(id(report))

    def place_on_nodes(self, report: Report, nodes: list[Node]) -> None:
        diagnostic = report.diagnostic
        for node in nodes:
            if not any(d is diagnostic for d in node.findings):
                node.findings.append(diagnostic)
            self.placed.add(id(report))

    # --- names --------------------------------------------------------------------------
    @property
    def where(self) -> str:
        return f" in {self.scope.name}()" if self.scope.name else ""

    def model_title(self, model: ModelBuilt) -> str:
        name = self.names.get(id(model.node))
        return f"keras.Model '{name}' (line {model.node.lineno})" if name else f"keras.Model (line {model.node.lineno})"


class _Drawing:
    """A graph under construction: nodes, edges, and which node produced which value."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.values: dict[int, str] = {}  # id(value) -> the node that produced it
        self.by_call: dict[int, str] = {}  # id(call node) -> the node of that call
        self.call_nodes: dict[tuple[int, int], Node] = {}
        self.keyed_nodes: dict[int, Node] = {}
        self.edge_keys: dict[tuple[str, str, str], Edge] = {}
        self._note: Node | None = None

    def add(self, kind: NodeKind, title: str, details: tuple[str, ...] = (), line: int | None = None) -> Node:
        node = Node(f"n{len(self.graph.nodes) + 1}", kind, title, details, line)
        self.graph.nodes.append(node)
        return node

    def keyed(self, at: ast.AST, kind: NodeKind, title: str, details: tuple[str, ...]) -> Node:
        """One node per syntax node `at`, however often the analysis passed there."""
        if id(at) not in self.keyed_nodes:
            node = self.keyed_nodes[id(at)] = self.add(kind, title, details, getattr(at, "lineno", None))
            node.line_module = _module_of(at)
        return self.keyed_nodes[id(at)]

    def layer_node(self, layer: Layer, at: ast.AST) -> Node:
        """The node of one call of `layer` (made once, even if the call was analysed twice)."""
        key = (id(layer), id(at))
        if key not in self.call_nodes:
            kind = NodeKind.RECURRENT if _is_recurrent(layer) else NodeKind.LAYER
            node = self.add(kind, layer_title(layer), layer_details(layer), layer.node.lineno)
            node.called = getattr(at, "lineno", None)
            node.line_module, node.called_module = _module_of(layer.node), _module_of(at)
            node.site = id(at)
            self.call_nodes[key] = node
            self.by_call.setdefault(id(at), node.id)
        return self.call_nodes[key]

    def operation(self, at: ast.AST) -> Node:
        if isinstance(at, ast.Call):
            title = f"{_text(at.func)}(...)"
        elif isinstance(at, (ast.BinOp, ast.AugAssign)):
            title = f"operator {_OPERATORS.get(type(at.op), '?')}"
        else:
            title = _text(at)
        return self.keyed(at, NodeKind.OPERATION, title, ())

    def note(self) -> Node:
        if self._note is None:
            self._note = self.add(NodeKind.NOTE, "also found here")
        return self._note

    def produced(self, value: Value, node_id: str) -> None:
        """Remember that `value` (and each tensor inside it) comes out of `node_id`."""
        if isinstance(value, (Tensor, Outputs)):
            self.values.setdefault(id(value), node_id)
        if isinstance(value, (Outputs, Sequence)):
            for item in value.items:
                self.produced(item, node_id)

    def connect(self, source: str, target: str, label: str, known: bool = True) -> Edge:
        key = (source, target, label)
        if key not in self.edge_keys:
            self.edge_keys[key] = Edge(source, target, label, known)
            self.graph.edges.append(self.edge_keys[key])
        return self.edge_keys[key]

    def feed(self, value: Value, target: str, role: Role, expression: ast.expr | None) -> list[Edge]:
        """Edges carrying `value` into `target`."""
        return [
            self.connect(source, target, label, known) for source, label, known in self.sources(value, role, expression)
        ]

    def sources(self, value: Value, role: Role, expression: ast.expr | None) -> list[tuple[str, str, bool]]:
        """Where `value` comes from, as (node, label, known); a list the code built goes item by item."""
        prefix = _ROLE_PREFIX.get(role, "")
        if isinstance(value, Outputs) and id(value) not in self.values and value.call is not None:
            producer = self.by_call.get(id(value.call))
            if producer is not None:
                return [(producer, prefix + value_label(value), True)]
        if isinstance(value, Sequence):
            found: list[tuple[str, str, bool]] = []
            for item, part in zip(value.items, _parts(expression, len(value.items))):
                found.extend(self.sources(item, role, part))
            return found
        source, known = self.source(value, expression)
        return [(source, prefix + value_label(value), known)]

    def source(self, value: Value, expression: ast.expr | None) -> tuple[str, bool]:
        """The node a value comes from (its producer, an input, or an unknown) and whether it is known."""
        if isinstance(value, (Tensor, Outputs)):
            if id(value) in self.values:
                return self.values[id(value)], True
            if value.call is not None and id(value.call) in self.by_call:
                return self.by_call[id(value.call)], True
            name = _text(expression) if isinstance(expression, (ast.Name, ast.Attribute)) else None
            if isinstance(value, Tensor) and value.shape is not None:
                node = self.add(NodeKind.INPUT, f"Input '{name}'" if name else "Input")
            else:  # made in another scope, or on paths (loop, branch) that the analysis joined
                node = self.add(NodeKind.INPUT, f"'{name}'" if name else "tensor", ("not traced to one layer",))
            self.values[id(value)] = node.id
            return node.id, True
        title = _text(expression) if expression is not None else "?"
        return self.add(NodeKind.UNKNOWN, title, ("not known here",)).id, False


# --- scopes -------------------------------------------------------------------------------


def _split_by_scope(facts: list) -> list[tuple[ScopeEntered, list]]:
    """Facts grouped by the scope they were observed in, scopes in order of first entry."""
    groups: dict[int, tuple[ScopeEntered, list]] = {}
    current: ScopeEntered | None = None
    for fact in facts:
        if isinstance(fact, ScopeEntered):
            current = fact
            groups.setdefault(id(fact), (fact, []))
            continue
        if current is None:  # facts recorded before any scope was marked belong to the module
            current = ScopeEntered(ast.Module(body=[], type_ignores=[]), "")
            groups[id(current)] = (current, [])
        groups[id(current)][1].append(fact)
    return list(groups.values())


def _scope_matches(name: str, wanted: str) -> bool:
    if not name:
        return False
    owner, _, method = name.rpartition(".")
    return wanted in (name, method, owner)


def _without_inlined_copies(graphs: list[Graph]) -> list[Graph]:
    """Drop a function's graph when every layer call in it is drawn elsewhere (it was inlined there)."""
    order = sorted(range(len(graphs)), key=lambda i: (graphs[i].scope != "", -len(graphs[i].sites), i))
    kept: set[int] = set()
    drawn: set[int] = set()
    for index in order:
        keys = graphs[index].sites
        if graphs[index].scope and keys and keys <= drawn:
            continue
        kept.add(index)
        drawn |= keys
    return [g for i, g in enumerate(graphs) if i in kept]


def _nothing_message(facts: list, function: str | None) -> str:
    if function is None:
        return "no Keras model or recurrent layer call found"
    available = scope_names(facts)
    listed = ", ".join(available) if available else "none"
    return f"no function or class named {function!r} calls a layer (functions that do: {listed})"


# --- small readers of syntax (names for what the analysis leaves unnamed) ----------------------

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@", ast.FloorDiv: "//"}


def _is_recurrent(layer: Layer) -> bool:
    return layer.is_recurrent or layer.core is not None


def _unpacks_cleanly(fact: Unpacked) -> bool:
    """True when each name receives one item (the items then flow on to their consumers)."""
    if not isinstance(fact.value, (Outputs, Sequence)):
        return False
    count = len(fact.value.items)
    return count >= fact.targets - 1 if fact.starred else count == fact.targets


def _assigned_names(tree: ast.Module) -> dict[int, str]:
    """id(call) -> the name it is assigned to (`model = keras.Sequential(...)`)."""
    names: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(value, ast.Call) and isinstance(target, (ast.Name, ast.Attribute)):
            names[id(value)] = _text(target)
    return names


def _argument(call: ast.AST, role: Role) -> ast.expr | None:
    """The argument expression of `call` that carries the value in `role` (to name unknowns)."""
    if not isinstance(call, ast.Call):
        return None
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    if role is Role.INITIAL_STATE:
        return keywords.get("initial_state")
    if role in _ATTENTION_POSITION:
        position = _ATTENTION_POSITION[role]
        if len(call.args) == 1 and isinstance(call.args[0], (ast.List, ast.Tuple)):
            items = call.args[0].elts
            return items[position] if position < len(items) else None
        names = ("query", "value", "key")
        if position < len(call.args):
            return call.args[position]
        return keywords.get(names[position])
    if call.args:
        return call.args[0]
    return keywords.get("inputs")


def _model_outputs(call: ast.Call) -> ast.expr | None:
    if len(call.args) >= 2:
        return call.args[1]
    return next((k.value for k in call.keywords if k.arg == "outputs"), None)


def _parts(expression: ast.expr | None, count: int) -> list[ast.expr | None]:
    """The item expressions of a literal list, else nothing to name the items by."""
    if isinstance(expression, (ast.List, ast.Tuple)) and len(expression.elts) == count:
        return list(expression.elts)
    if isinstance(expression, (ast.Name, ast.Attribute)):  # `states` -> `states[0]`, `states[1]`
        return [ast.Subscript(expression, ast.Constant(i)) for i in range(count)]
    return [None] * count


def _targets_text(node: ast.AST) -> str:
    targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
    return ", ".join(_text(t) for t in targets if t is not None)


def _text(node: ast.AST | None, limit: int = 40) -> str:
    if node is None:
        return "?"
    try:
        text = ast.unparse(node)
    except RecursionError:  # an expression nested thousands deep: the label says so instead of failing the drawing
        return f"({type(node).__name__} nested too deeply to show)"
    if isinstance(node, ast.Tuple) and text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _module_of(node: ast.AST) -> str | None:
    """The display path of the other module of the project `node` belongs to (None: this file)."""
    origin = getattr(node, ORIGIN, None)
    return origin.display if origin is not None else None
