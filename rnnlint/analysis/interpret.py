"""The interpreter: walks a module in order, binds names to abstract values, records facts.

It runs on the standard library's `ast`, which parses an order of magnitude
faster than libcst; libcst is used where its lossless tree pays off, to write
fixes (see rnnlint/fix.py).  Names are resolved with our own light pass (imports
and assignments are just bindings of `Ref` values), not with scope providers.

Soundness stance: whatever the interpreter does not understand becomes
`UNKNOWN`, and rules never report from `UNKNOWN`.  Two paths that disagree
(if/else, loop iterations, try/except) are joined, keeping only what both agree on.
"""

from __future__ import annotations

import ast
import difflib
import operator
from collections.abc import Callable, Iterator
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Protocol

from rnnlint.analysis.facts import (
    Consumed,
    Fact,
    Imported,
    Indexed,
    LayerBuilt,
    LayerCalled,
    LayerSummary,
    Merged,
    ModelBuilt,
    Role,
    ScopeEntered,
    SequentialBuilt,
    Unpacked,
)
from rnnlint.analysis.inert import Inertness
from rnnlint.analysis.reach import bound_names, guards_imports, unreached
from rnnlint.analysis.usage import ModuleUsage
from rnnlint.analysis.values import (
    DYNAMIC,
    UNKNOWN,
    BoundMethod,
    ClassValue,
    Const,
    Function,
    Instance,
    Layer,
    LayerCall,
    Multiple,
    Outputs,
    Ref,
    Sequence,
    SequentialModel,
    Tensor,
    Value,
    item_value,
    join,
    plausible_size,
    not_known,
    passed_through,
)
from rnnlint.keras import catalogue
from rnnlint.keras.catalogue import Effect, Needs
from rnnlint.keras.signatures import SUGGEST_CUTOFF

if TYPE_CHECKING:
    from rnnlint.sources.python import LineIndex


class ProjectImports(Protocol):
    """What the interpreter asks of the project index (analysis/project.py, which sits above this module)
    about an import: bind the imported names when they name modules of the project."""

    def bind_import(self, alias: ast.alias, scope: Scope) -> bool: ...

    def bind_from(self, statement: ast.ImportFrom, scope: Scope) -> bool: ...

MAX_INLINE_DEPTH = 6
MAX_UNROLL = 16
# Total statements executed per module; past it loops stop unrolling and helper
# calls stop being inlined (their results become UNKNOWN), so time stays bounded.
WORK_BUDGET = 200_000
# Constant folding: the largest integer folded (wider ones become unknown) and the folds per module.
MAX_FOLD_BITS = 64
MAX_FOLDS = 100_000

FLAG_KEYWORDS = ("return_sequences", "return_state", "go_backwards", "stateful")
# Decorators that leave a function's behaviour as written.
TRANSPARENT_DECORATORS = frozenset({"staticmethod", "classmethod", "function", "wraps", "cache", "lru_cache"})
# Calls that concatenate a list of tensors, outside keras.layers, and where their axis
# argument is (position, keyword, default; None: required).
MERGE_OPS = {"tensorflow.concat": (1, "axis", None)}
# Calls that make concrete data, not symbolic tensors: what a layer computes from
# them is eager (see Tensor.eager).
EAGER_DATA_PREFIXES = ("numpy.", "tensorflow.random.", "tensorflow.experimental.numpy.")
EAGER_DATA_CALLS = frozenset(
    {"tensorflow.constant", "tensorflow.convert_to_tensor", "tensorflow.ones", "tensorflow.zeros", "tensorflow.range"}
)
CONCAT_AXIS = {"ops.concatenate": (1, "axis", 0), "backend.concatenate": (1, "axis", -1)}
# Calls that reverse a tensor along the axes they are given: (position, keyword) of the axes.
REVERSE_OPS = {"tensorflow.reverse": (1, "axis")}
REVERSE_KERAS = {"ops.flip": (1, "axis"), "ops.numpy.flip": (1, "axis"), "backend.reverse": (1, "axes")}
# Builtins folded over constants (units written `int(UNITS / 2)`, `max(64, n)`).
_FOLDABLE_BUILTINS = {"int": int, "min": min, "max": max, "round": round, "abs": abs}
# Attributes of a model that hand out its layer objects.
DYNAMIC_LAYER_ACCESS = frozenset({"layers", "get_layer", "submodules", "_flatten_layers"})
MUTATING_LIST_METHODS = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "reverse", "sort"})

_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}
_COMPARES = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


class Scope:
    """Names bound in one function (or the module), with a link to the enclosing scope."""

    def __init__(self, parent: Scope | None = None) -> None:
        self.parent = parent
        self.names: dict[str, Value] = {}
        # Module scope only: names bound more than once, whose value a function
        # body cannot know, and the Keras modules star-imported.
        self.unstable: frozenset[str] = frozenset()
        self.star_modules: list[str] = []
        self.opaque_star_import = False
        self.bindings: Counter[str] = Counter()

    def set(self, name: str, value: Value) -> None:
        self.names[name] = value
        self.bindings[name] += 1

    def lookup(self, name: str) -> Value:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                if scope is not self and name in scope.unstable:
                    return UNKNOWN
                return scope.names[name]
            if scope.parent is None:
                return scope.star_lookup(name)
            scope = scope.parent
        return UNKNOWN

    def read_inside(self, names: set[str]) -> Iterator[Value]:
        """What each of `names` that is bound means to a function defined in this scope (a name
        bound more than once at the module is unknown there; one bound nowhere, what a star import gives)."""
        scope: Scope | None = self
        while scope is not None:
            here = names & scope.names.keys()
            for name in here:
                yield UNKNOWN if name in scope.unstable else scope.names[name]
            names = names - here
            if scope.parent is None and scope.star_modules:
                yield from map(scope.star_lookup, names)
            scope = scope.parent

    def binding(self, name: str) -> tuple | None:
        """This binding of `name`: equal for two reads with no assignment to the name in between."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return (scope, name, scope.bindings[name])
            scope = scope.parent
        return None

    def is_bound(self, name: str) -> bool:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return True
            scope = scope.parent
        return False

    def star_lookup(self, name: str) -> Value:
        if self.opaque_star_import:
            return UNKNOWN
        for module in reversed(self.star_modules):
            if name in catalogue.LAYER_SYMBOLS or name in catalogue.TOP_LEVEL_SYMBOLS or name in ("layers", "models"):
                return Ref(f"{module}.{name}")
        return UNKNOWN


@dataclass
class Frame:
    """One function activation: what it returned."""

    returns: list[Value] = field(default_factory=list)
    returned: bool = False


@dataclass
class _Args:
    positional: list[Value]
    keywords: dict[str, Value]
    star: bool
    double_star: bool
    node: ast.Call
    scope: Scope | None = None

    def get(self, index: int, keyword: str) -> Value | None:
        if keyword in self.keywords:
            return self.keywords[keyword]
        if index < len(self.positional) and not self.star:
            return self.positional[index]
        return None


class Interpreter:
    folds = 0  # arithmetic folded so far (see MAX_FOLDS); counted per instance from the first fold

    def __init__(
        self, tree: ast.Module, target_keras: int = 3, project: ProjectImports | None = None, source: LineIndex | None = None
    ) -> None:
        self.tree = tree
        # The project index as this module sees it (analysis/project.py); None: project imports stay unknown.
        self.project = project
        # The few places where Keras 2 and Keras 3 read the same code differently ask this.
        self.target_keras = target_keras
        self.facts: list[Fact] = []
        self.uncertain = 0
        self.depth = 0
        self.work = 0
        self.sequentials: list[SequentialModel] = []
        self.pending: list[tuple[ast.AST, Scope, Instance | None]] = []
        self.analysed: set[int] = set()
        # The text the tree was parsed from, when given: functions that cannot hold a Keras value
        # are then not analysed on their own (analysis/inert.py), and cheap questions read it.
        self.source = source
        self.inertness = None if source is None else Inertness(source, Scope.read_inside, DYNAMIC_LAYER_ACCESS)
        self.usage = ModuleUsage(tree)
        self.layers: list[Layer] = []
        # Nodes where a layer object is read and followed: the callee of a recorded
        # call, a place in a Sequential, the argument of a wrapper.
        self.explained: set[int] = set()
        self.layers_reached_dynamically = False
        self.layer_scopes: dict[int, ScopeEntered | None] = {}
        # The helper calls being run with a caller's arguments, outermost first.
        self.inline_stack: list[ast.Call] = []
        # Where facts are being observed now, and where each Sequential was built
        # (its stack is simulated at the end, back in that scope).
        self.scope: ScopeEntered | None = None
        self.sequential_scopes: dict[int, ScopeEntered | None] = {}
        # What is being run: the module (None), or a function or class analysed on its own, whose
        # code runs at a time nobody knows.  A Sequential built in one of them and extended in
        # another gets its layer at an unknown place (`context_of`: the model's builder).
        self.context: ast.AST | None = None
        self.context_of: dict[int, ast.AST | None] = {}
        self.early_exits: dict[int, bool] = {}
        # Statements run, and statements known never to run (a folded branch, code after a return).
        self.executed: set[int] = set()
        self.dead: set[int] = set()
        self.comprehensions = 0  # how many comprehensions (or lambdas) the evaluation is inside
        self.import_guards = 0  # how many `try` bodies catching ImportError the execution is inside

    # --- entry point ------------------------------------------------------------------
    def run(self) -> list[Fact]:
        module = Scope()
        self.enter(ScopeEntered(self.tree, ""))
        self.exec_block(self.tree.body, module, Frame())
        # Functions are analysed after the module ran: a module name bound more than
        # once (or declared global somewhere) could hold any of its values by then.
        rebound = {name for name, count in module.bindings.items() if count > 1}
        # (No `global` statement without the word: the statements are walked only when the text has it.)
        text = self.source.text if self.source is not None else None
        plain = text is not None and text.isascii() and "global" not in text
        module.unstable = frozenset(rebound if plain else rebound | _declared_global(self.tree.body))
        self.analyse_pending()
        for model in self.sequentials:
            self.enter(self.sequential_scopes.get(id(model)))
            self.simulate_sequential(model)
        self.reach_the_rest(module)
        self.summarise_layers()
        return self.facts

    def reach_the_rest(self, module: Scope) -> None:
        """Run what did not run (with the names of the functions around it unknown): a construction is a
        construction wherever it is written."""
        missed = unreached(self.tree, self.executed, self.dead)
        if not missed:
            return
        self.enter(ScopeEntered(self.tree, ""))
        built_before = len(self.layers)
        for statement, shadowed in missed:
            scope = Scope(module)
            scope.names.update(dict.fromkeys(shadowed, UNKNOWN))
            self.uncertain += 1
            self.exec_stmt(statement, scope, Frame())
            self.uncertain -= 1
        self.analyse_pending()
        for layer in self.layers[built_before:]:
            layer.escaped = True  # built where nobody follows it: its calls are unknown

    def analyse_pending(self) -> None:
        """The functions, classes and lambdas defined so far, each analysed on its own."""
        while self.pending:
            node, scope, instance = self.pending.pop(0)
            self.context = node
            self.analyse_generically(node, scope, instance)
        self.context = None

    def summarise_layers(self) -> None:
        """Decide, per layer object, whether its recorded calls are all its calls; group objects by construction."""
        by_node: dict[int, list[Layer]] = {}
        for layer in self.layers:
            layer.all_calls_seen = partial(self.all_calls_seen, layer)
            by_node.setdefault(id(layer.node), []).append(layer)
        for group in by_node.values():
            # Recorded where the object is first called (else built), for tools that group facts by scope.
            self.enter(self.layer_scopes.get(id(group[0])))
            self.record(LayerSummary(group[0].node, tuple(group)))

    def all_calls_seen(self, layer: Layer) -> bool:
        return (
            not layer.escaped
            and not self.layers_reached_dynamically
            and not self.usage.unexplained_reference(layer.bound_names, self.explained)
        )

    @property
    def via(self) -> ast.Call | None:
        return self.inline_stack[0] if self.inline_stack else None

    def record(self, fact: Fact) -> None:
        if self.inline_stack and fact.via is None:
            fact = replace(fact, via=self.via)
        self.facts.append(fact)

    def enter(self, scope: ScopeEntered | None) -> None:
        if scope is not None and scope is not self.scope:
            self.scope = scope
            self.record(scope)

    @property
    def over_budget(self) -> bool:
        return self.work > WORK_BUDGET

    # --- functions and classes analysed once, with unknown arguments -------------------------
    def analyse_generically(self, node: ast.AST, scope: Scope, instance: Instance | None) -> None:
        if id(node) in self.analysed:
            return
        self.analysed.add(id(node))
        if isinstance(node, ast.ClassDef):
            self.analyse_class(node, scope)
            return
        title = "<lambda>" if isinstance(node, ast.Lambda) else node.name if instance is None else f"{instance.cls.name}.{node.name}"
        self.enter(ScopeEntered(node, title))
        if instance is None and self.inertness is not None and self.inertness.function(node, scope):
            return  # nothing in it can be Keras': run, it would find nothing
        local = Scope(scope)
        params = _parameter_names(node)
        for index, name in enumerate(params):
            local.names[name] = instance if (index == 0 and instance is not None) else UNKNOWN
        frame = Frame()
        if isinstance(node, ast.Lambda):
            self.comprehensions += 1  # like a comprehension's element: run any number of times
            frame.returns.append(self.eval(node.body, local))
            self.comprehensions -= 1
        else:
            assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            self.exec_block(node.body, local, frame)
        # Its callers are unknown: whatever it returns may be called anywhere.
        for value in frame.returns:
            _mark_escaped(value)

    def analyse_class(self, node: ast.ClassDef, scope: Scope) -> None:
        cls = scope.lookup(node.name)
        if not isinstance(cls, ClassValue) or cls.node is not node:
            cls = ClassValue(node, scope, _methods(node))
        volatile = frozenset(
            attr for name, method in cls.methods.items() if name != "__init__" for attr in _self_attributes(method)
        )
        # Layers assigned in the class body are class attributes: `self.rnn` reads them.
        instance = Instance(cls, attrs=dict(cls.attributes), volatile=volatile)
        order = ["__init__", "build"] + [name for name in cls.methods if name not in ("__init__", "build")]
        for name in order:
            method = cls.methods.get(name)
            if method is not None:
                # A static or class method has no instance: its parameters are all unknown.
                self.analyse_generically(method, scope, None if _is_static(method) else instance)

    # --- statements -------------------------------------------------------------------
    def exec_block(self, body: list[ast.stmt], scope: Scope, frame: Frame) -> None:
        for position, stmt in enumerate(body):
            if frame.returned:
                if position:
                    self.dead.update(id(s) for s in body[position:])  # after a return on every path: never runs
                return
            self.work += 1
            self.exec_stmt(stmt, scope, frame)

    def exec_stmt(self, stmt: ast.stmt, scope: Scope, frame: Frame) -> None:
        self.executed.add(id(stmt))
        handler = _STMT_HANDLERS.get(type(stmt))
        if handler is not None:
            handler(self, stmt, scope, frame)
        else:
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.expr):
                    self.eval(child, scope)

    def stmt_Expr(self, stmt: ast.Expr, scope: Scope, frame: Frame) -> None:
        self.eval(stmt.value, scope)

    def stmt_Assign(self, stmt: ast.Assign, scope: Scope, frame: Frame) -> None:
        value = self.eval(stmt.value, scope)
        for target in stmt.targets:
            self.bind(target, value, scope, stmt)

    def stmt_AnnAssign(self, stmt: ast.AnnAssign, scope: Scope, frame: Frame) -> None:
        if stmt.value is not None:
            self.bind(stmt.target, self.eval(stmt.value, scope), scope, stmt)

    def stmt_AugAssign(self, stmt: ast.AugAssign, scope: Scope, frame: Frame) -> None:
        current = self.eval(stmt.target, scope) if isinstance(stmt.target, ast.Name) else UNKNOWN
        value = self.binop(stmt.op, current, self.eval(stmt.value, scope), stmt)
        self.bind(stmt.target, value, scope, stmt)

    def stmt_Delete(self, stmt: ast.Delete, scope: Scope, frame: Frame) -> None:
        for target in stmt.targets:
            self.bind(target, UNKNOWN, scope, stmt)

    def stmt_Return(self, stmt: ast.Return, scope: Scope, frame: Frame) -> None:
        frame.returns.append(self.eval(stmt.value, scope) if stmt.value is not None else Const(None))
        frame.returned = True

    def stmt_Import(self, stmt: ast.Import, scope: Scope, frame: Frame) -> None:
        for alias in stmt.names:
            if self.project is not None and self.project.bind_import(alias, scope):
                continue
            if alias.asname:
                scope.set(alias.asname, Ref(alias.name))
            else:
                top = alias.name.split(".")[0]
                scope.set(top, Ref(top))

    def stmt_ImportFrom(self, stmt: ast.ImportFrom, scope: Scope, frame: Frame) -> None:
        if self.project is not None and self.project.bind_from(stmt, scope):
            return
        if stmt.level or not stmt.module:
            for alias in stmt.names:
                scope.set(alias.asname or alias.name, UNKNOWN)
            return
        for alias in stmt.names:
            canonical = catalogue.canonical_name(f"{stmt.module}.{alias.name}")
            if canonical is not None and canonical.startswith("layers."):
                # A fact of the text, wherever the import runs from (never tied to a caller's call).
                self.facts.append(Imported(canonical, f"{stmt.module}.{alias.name}", alias, self.import_guards > 0))
            if alias.name == "*":
                if catalogue.is_keras_module(stmt.module):
                    scope.star_modules.append(stmt.module)
                else:
                    scope.opaque_star_import = True
                continue
            scope.set(alias.asname or alias.name, Ref(f"{stmt.module}.{alias.name}"))

    def stmt_FunctionDef(self, stmt: ast.FunctionDef, scope: Scope, frame: Frame) -> None:
        # Decorators and default values are evaluated where the function is defined, once.
        self.define_time(stmt, scope)
        inlinable = all(_decorator_name(d) in TRANSPARENT_DECORATORS for d in stmt.decorator_list)
        scope.set(stmt.name, Function(stmt, scope, inlinable))
        self.pending.append((stmt, scope, None))

    stmt_AsyncFunctionDef = stmt_FunctionDef

    def define_time(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, scope: Scope) -> None:
        """What a `def` or `lambda` evaluates when it is defined: its decorators and default values."""
        spec = node.args
        expressions = [*getattr(node, "decorator_list", ()), *spec.defaults, *(d for d in spec.kw_defaults if d)]
        for expression in expressions:
            # A default is shared by every call the analysis cannot see: what it holds escapes.
            _mark_escaped(self.eval(expression, scope))

    def stmt_ClassDef(self, stmt: ast.ClassDef, scope: Scope, frame: Frame) -> None:
        for expression in [*stmt.decorator_list, *stmt.bases, *(k.value for k in stmt.keywords)]:
            self.eval(expression, scope)
        cls = ClassValue(stmt, scope, _methods(stmt))
        # The class body runs now, in a namespace of its own; its methods are analysed later, with `self`.
        body = Scope(scope)
        for child in stmt.body:
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.exec_stmt(child, body, Frame())
            elif not isinstance(child, ast.ClassDef):
                self.executed.add(id(child))  # defined now; analysed with the class
                self.define_time(child, body)
        cls.attributes = {name: value for name, value in body.names.items() if isinstance(value, Layer)}
        scope.set(stmt.name, cls)
        self.pending.append((stmt, scope, None))

    def stmt_If(self, stmt: ast.If, scope: Scope, frame: Frame) -> None:
        test = self.eval(stmt.test, scope)
        if isinstance(test, Const):
            live, dead = (stmt.body, stmt.orelse) if test.value else (stmt.orelse, stmt.body)
            self.dead.update(id(s) for s in dead)
            self.exec_block(live, scope, frame)
            return
        self.branches([stmt.body, stmt.orelse], scope, frame)

    def stmt_Match(self, stmt: ast.Match, scope: Scope, frame: Frame) -> None:
        self.eval(stmt.subject, scope)
        self.branches([case.body for case in stmt.cases] + [[]], scope, frame)

    def stmt_Try(self, stmt: ast.Try, scope: Scope, frame: Frame) -> None:
        guarded = guards_imports(stmt)
        self.import_guards += guarded
        self.exec_block(stmt.body, scope, frame)
        self.import_guards -= guarded
        self.exec_block(stmt.orelse, scope, frame)
        for handler in stmt.handlers:
            if handler.name:
                scope.set(handler.name, UNKNOWN)
        if stmt.handlers:
            self.branches([[]] + [handler.body for handler in stmt.handlers], scope, frame)
        self.exec_block(stmt.finalbody, scope, frame)

    stmt_TryStar = stmt_Try

    def stmt_With(self, stmt: ast.With, scope: Scope, frame: Frame) -> None:
        for item in stmt.items:
            self.eval(item.context_expr, scope)
            if item.optional_vars is not None:
                self.bind(item.optional_vars, UNKNOWN, scope, stmt)
        self.exec_block(stmt.body, scope, frame)

    stmt_AsyncWith = stmt_With

    def stmt_For(self, stmt: ast.For, scope: Scope, frame: Frame) -> None:
        elements = self.unrollable_elements(stmt, scope)
        if elements is not None:
            for element in elements:
                self.bind(stmt.target, element, scope, stmt)
                self.exec_block(stmt.body, scope, frame)
            self.exec_block(stmt.orelse, scope, frame)
            return
        self.eval(stmt.iter, scope)
        self.unknown_loop(stmt.body, scope, frame, target=stmt.target)
        self.exec_block(stmt.orelse, scope, frame)

    stmt_AsyncFor = stmt_For

    def stmt_While(self, stmt: ast.While, scope: Scope, frame: Frame) -> None:
        self.eval(stmt.test, scope)
        self.unknown_loop(stmt.body, scope, frame)
        self.exec_block(stmt.orelse, scope, frame)

    def branches(self, bodies: list[list[ast.stmt]], scope: Scope, frame: Frame) -> None:
        """Run each body from the same state, then keep what they all agree on."""
        before = dict(scope.names)
        outcomes: list[dict[str, Value]] = []
        returned = []
        self.uncertain += 1
        for body in bodies:
            scope.names = dict(before)
            frame.returned = False
            self.exec_block(body, scope, frame)
            returned.append(frame.returned)
            if not frame.returned:
                outcomes.append(scope.names)
        self.uncertain -= 1
        frame.returned = all(returned)
        scope.names = _join_envs(outcomes) if outcomes else before

    def unknown_loop(self, body: list[ast.stmt], scope: Scope, frame: Frame, target: ast.expr | None = None) -> None:
        """A loop run an unknown number of times: zero, one, or more.

        The body runs twice, the second time from the join of the states before and
        after the first (a value carried from one iteration to the next is seen).
        Past the work budget it runs once, then every name it binds is unknown:
        two passes per loop cost 2 ** depth passes for nested loops."""
        before = dict(scope.names)
        self.uncertain += 1
        passes = 1 if self.over_budget else 2
        for _ in range(passes):
            if target is not None:
                self.bind(target, UNKNOWN, scope, None)
            self.exec_block(body, scope, frame)
            frame.returned = False
            scope.names = _join_envs([before, scope.names])
        if passes == 1:
            for name in bound_names(body):
                if name in scope.names:
                    scope.names[name] = UNKNOWN
        self.uncertain -= 1

    def unrollable_elements(self, stmt: ast.For, scope: Scope) -> list[Value] | None:
        """The loop's elements when the loop is `range(<literal>)` or a literal list, and small."""
        if self.over_budget:
            return None
        iterable = stmt.iter
        # The loop's shape first, its body (a walk) only for loops that could unroll.
        if isinstance(iterable, (ast.List, ast.Tuple)) and not any(isinstance(e, ast.Starred) for e in iterable.elts):
            if len(iterable.elts) <= MAX_UNROLL and not self.exits_early(stmt):
                return [self.eval(e, scope) for e in iterable.elts]
            return None
        if (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Name)
            and iterable.func.id == "range"
            and not scope.is_bound("range")
            and not iterable.keywords
            and not self.exits_early(stmt)
        ):
            bounds = [self.eval(a, scope) for a in iterable.args]
            if all(isinstance(b, Const) and type(b.value) is int for b in bounds) and 1 <= len(bounds) <= 3:
                try:
                    numbers = range(*(b.value for b in bounds))  # type: ignore[misc]
                except ValueError:
                    return None
                if len(numbers) <= MAX_UNROLL:
                    return [Const(n) for n in numbers]
        return None

    def exits_early(self, stmt: ast.For) -> bool:
        """Whether the loop's body holds a `break` or `continue` (walked once per loop, then remembered)."""
        known = self.early_exits.get(id(stmt))
        if known is None:
            # The body's statements, and those nested in them but not in a loop, function or class
            # within them (a statement of the body itself is entered, whatever it is: cautious).
            inner = [nested for statement in stmt.body for nested in _inner_statements(statement)]
            walked = (*stmt.body, *_statements(inner, _LOOPS_AND_SCOPES))
            known = self.early_exits[id(stmt)] = any(isinstance(s, (ast.Break, ast.Continue)) for s in walked)
        return known

    # --- binding ------------------------------------------------------------------------
    def bind(self, target: ast.expr, value: Value, scope: Scope, stmt: ast.AST | None) -> None:
        if isinstance(target, ast.Name):
            scope.set(target.id, value)
            if isinstance(value, Layer):
                if value.label is None:
                    value.label = target.id
                value.bound_names.add(target.id)
            elif isinstance(value, Sequence):
                _mark_escaped(value)  # a list of layers: its elements are not followed one by one
        elif isinstance(target, ast.Attribute):
            owner = self.eval(target.value, scope)
            if isinstance(owner, Instance):
                self.set_attribute(owner, target.attr, value)
            elif isinstance(owner, Layer):
                owner.mutated = True
            else:
                _mark_escaped(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.unpack(target, value, scope, stmt)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, UNKNOWN, scope, stmt)
        elif isinstance(target, ast.Subscript):
            self.eval(target.value, scope)
            _mark_escaped(value)

    def set_attribute(self, owner: Instance, name: str, value: Value) -> None:
        if name in owner.volatile:
            owner.attrs[name] = UNKNOWN
            return
        if self.uncertain:
            value = join(owner.attrs.get(name, UNKNOWN), value)
        owner.attrs[name] = value
        if isinstance(value, Layer):
            if value.label is None:
                value.label = name
            value.bound_names.add(name)
        elif isinstance(value, Sequence):
            _mark_escaped(value)

    def unpack(self, target: ast.Tuple | ast.List, value: Value, scope: Scope, stmt: ast.AST | None) -> None:
        names = target.elts
        star = next((i for i, e in enumerate(names) if isinstance(e, ast.Starred)), None)
        if isinstance(value, (Outputs, Tensor)) and stmt is not None:
            self.record(Unpacked(value, len(names), star is not None, stmt))
        items = value.items if isinstance(value, (Outputs, Sequence)) else None
        if items is not None and star is None and len(items) == len(names):
            for name, item in zip(names, items):
                self.bind(name, item, scope, None)
        elif items is not None and star is not None and len(items) >= len(names) - 1:
            after = len(names) - star - 1
            for name, item in zip(names[:star], items[:star]):
                self.bind(name, item, scope, None)
            starred = names[star]
            assert isinstance(starred, ast.Starred)
            self.bind(starred.value, Sequence(tuple(items[star : len(items) - after])), scope, None)
            for name, item in zip(names[star + 1 :], items[len(items) - after :]):
                self.bind(name, item, scope, None)
        else:
            for name in names:
                self.bind(name, UNKNOWN, scope, None)

    # --- expressions --------------------------------------------------------------------
    def eval(self, node: ast.expr, scope: Scope) -> Value:
        handler = _EXPR_HANDLERS.get(type(node))
        if handler is not None:
            return handler(self, node, scope)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.eval(child, scope)
        return UNKNOWN

    def expr_Lambda(self, node: ast.Lambda, scope: Scope) -> Value:
        """A lambda is analysed later, like a function, with unknown arguments."""
        self.define_time(node, scope)
        self.pending.append((node, scope, None))
        return UNKNOWN

    def expr_ListComp(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, scope: Scope) -> Value:
        """A comprehension runs its element any number of times, with targets the analysis does not know."""
        local = Scope(scope)
        self.uncertain += 1
        self.comprehensions += 1
        for index, generator in enumerate(node.generators):
            # The first iterable is evaluated in the enclosing scope; the rest see the targets.
            self.eval(generator.iter, scope if index == 0 else local)
            self.bind(generator.target, UNKNOWN, local, None)
            for condition in generator.ifs:
                self.eval(condition, local)
        elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        for element in elements:
            _mark_escaped(self.eval(element, local))
        self.comprehensions -= 1
        self.uncertain -= 1
        return UNKNOWN

    expr_SetComp = expr_GeneratorExp = expr_DictComp = expr_ListComp

    def expr_Constant(self, node: ast.Constant, scope: Scope) -> Value:
        return Const(node.value)

    def expr_Name(self, node: ast.Name, scope: Scope) -> Value:
        return scope.lookup(node.id)

    def expr_Attribute(self, node: ast.Attribute, scope: Scope) -> Value:
        owner = self.eval(node.value, scope)
        if isinstance(owner, Ref):
            return owner.attribute(node.attr)
        if node.attr in DYNAMIC_LAYER_ACCESS:
            # `model.layers[2]`, `model.get_layer("decoder")`: any layer may be reached and
            # called there, so no layer's calls are all known.
            self.layers_reached_dynamically = True
        if isinstance(owner, Instance):
            if node.attr in owner.attrs:
                return owner.attrs[node.attr]
            if node.attr in owner.cls.methods:
                return BoundMethod(owner, node.attr)
            return UNKNOWN
        if isinstance(owner, (SequentialModel, Sequence)) or (isinstance(owner, Tensor) and owner.eager):
            return BoundMethod(owner, node.attr)
        return UNKNOWN

    def expr_Tuple(self, node: ast.Tuple | ast.List, scope: Scope) -> Value:
        items = [self.eval(e.value if isinstance(e, ast.Starred) else e, scope) for e in node.elts]
        if any(isinstance(e, ast.Starred) for e in node.elts):
            return UNKNOWN
        return Sequence(tuple(items))

    expr_List = expr_Tuple

    def expr_NamedExpr(self, node: ast.NamedExpr, scope: Scope) -> Value:
        value = self.eval(node.value, scope)
        self.bind(node.target, value, scope, None)
        return value

    def expr_IfExp(self, node: ast.IfExp, scope: Scope) -> Value:
        test = self.eval(node.test, scope)
        body, orelse = self.eval(node.body, scope), self.eval(node.orelse, scope)
        if isinstance(test, Const):
            return body if test.value else orelse
        return join(body, orelse)

    def expr_UnaryOp(self, node: ast.UnaryOp, scope: Scope) -> Value:
        operand = self.eval(node.operand, scope)
        if isinstance(operand, Const):
            try:
                if isinstance(node.op, ast.Not):
                    return Const(not operand.value)
                if isinstance(node.op, ast.USub) and type(operand.value) in (int, float):
                    return Const(-operand.value)  # type: ignore[operator]
            except Exception:  # noqa: BLE001 - folding a user's constant must never fail the analysis
                return UNKNOWN
        return UNKNOWN

    def expr_BoolOp(self, node: ast.BoolOp, scope: Scope) -> Value:
        values = [self.eval(v, scope) for v in node.values]
        if all(isinstance(v, Const) for v in values):
            result = values[0]
            for value in values[1:]:
                truthy = bool(result.value)  # type: ignore[union-attr]
                if isinstance(node.op, ast.And) and not truthy or isinstance(node.op, ast.Or) and truthy:
                    break
                result = value
            return result
        return UNKNOWN

    def expr_Compare(self, node: ast.Compare, scope: Scope) -> Value:
        """A comparison of known constants or known classes (`REC == LSTM`, `mode in ("lstm", "gru")`)."""
        left = self.eval(node.left, scope)
        outcome = True
        for op, comparator in zip(node.ops, node.comparators):
            right = self.eval(comparator, scope)
            if outcome:
                result = _compare(op, left, right)
                outcome = False if result is False else outcome if result is True else None  # type: ignore[assignment]
            left = right
        return Const(outcome) if outcome is not None else UNKNOWN

    def expr_BinOp(self, node: ast.BinOp, scope: Scope) -> Value:
        return self.binop(node.op, self.eval(node.left, scope), self.eval(node.right, scope), node)

    def binop(self, op: ast.operator, left: Value, right: Value, node: ast.AST) -> Value:
        if isinstance(left, Const) and isinstance(right, Const):
            fold = _BINOPS.get(type(op))
            if fold is not None and _is_number(left.value) and _is_number(right.value) and self.folds < MAX_FOLDS:
                self.folds += 1
                try:
                    folded = fold(left.value, right.value)
                except (ArithmeticError, ValueError):
                    return UNKNOWN
                return Const(folded) if _is_number(folded) else UNKNOWN
            return UNKNOWN
        lists = (Sequence, Outputs)
        if isinstance(op, ast.Add) and isinstance(left, lists) and isinstance(right, lists):
            return Sequence(tuple(left.items) + tuple(right.items))
        for operand, other in ((left, right), (right, left)):
            if isinstance(operand, Outputs) and not isinstance(other, lists):
                self.record(Consumed(operand, None, Role.ARITHMETIC, node))
        if isinstance(left, Tensor) and isinstance(right, Tensor) and not isinstance(op, ast.MatMult):
            # Element-wise arithmetic between two tensors combines them step by step, like Add.
            return self.merge(None, Sequence((left, right)), node, concatenates=False)
        return UNKNOWN

    def expr_Subscript(self, node: ast.Subscript, scope: Scope) -> Value:
        base = self.eval(node.value, scope)
        index = node.slice
        if isinstance(index, ast.Slice):
            bounds = [self.eval(b, scope) if b is not None else Const(None) for b in (index.lower, index.upper, index.step)]
            if not all(isinstance(b, Const) and (b.value is None or type(b.value) is int) for b in bounds):
                return UNKNOWN
            lower, upper, step = (b.value for b in bounds)  # type: ignore[union-attr]
            if _indexable(base):
                self.record(Indexed(base, None, lower, True, node))  # type: ignore[arg-type]
            if isinstance(base, (Outputs, Sequence)) and step in (None, 1):
                return Sequence(tuple(base.items[lower:upper]))  # type: ignore[misc]
            return UNKNOWN
        if isinstance(base, Tensor) and _reverses_time(index):
            return _flipped(base) if base.time is True else UNKNOWN
        key = self.eval(index, scope)
        if not (isinstance(key, Const) and type(key.value) is int):
            return UNKNOWN
        if _indexable(base):
            self.record(Indexed(base, key.value, None, False, node))
        if isinstance(base, (Outputs, Sequence)) and -len(base.items) <= key.value < len(base.items):
            return base.items[key.value]
        return UNKNOWN

    # --- calls --------------------------------------------------------------------------
    def expr_Call(self, node: ast.Call, scope: Scope) -> Value:
        func = self.eval(node.func, scope)
        args = _Args([], {}, False, False, node, scope)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.eval(arg.value, scope)
                args.star = True
            else:
                args.positional.append(self.eval(arg, scope))
        for keyword in node.keywords:
            value = self.eval(keyword.value, scope)
            if keyword.arg is None:
                args.double_star = True
            else:
                args.keywords[keyword.arg] = value
        result = self.call(func, args, scope)
        if result is None:
            self.escape(node, args, scope)
            return UNKNOWN
        return result

    def call(self, func: Value, args: _Args, scope: Scope) -> Value | None:
        """The result of a call, or None when the callee is opaque to the analysis."""
        if isinstance(func, Ref):
            return self.call_ref(func, args)
        if isinstance(func, Layer):
            return self.call_layer(func, args)
        if isinstance(func, Function):
            return self.inline(func, args, None)
        if isinstance(func, BoundMethod):
            return self.call_method(func, args, scope)
        if isinstance(func, ClassValue):
            return Instance(func)
        if isinstance(func, Instance):
            if func.cls.name.endswith("Attention"):
                self.user_attention(func, args)
            return UNKNOWN
        node = args.node
        if isinstance(node.func, ast.Name) and node.func.id in _FOLDABLE_BUILTINS and not scope.is_bound(node.func.id):
            folded = _fold_builtin(node.func.id, args)
            if folded is not None:
                return folded
        if isinstance(node.func, ast.Name) and node.func.id in ("isinstance", "issubclass") and not scope.is_bound(node.func.id):
            if len(args.positional) == 2 and not (args.star or args.keywords):
                known = _class_test(node.func.id, *args.positional)
                if known is not None:
                    return Const(known)
        if isinstance(node.func, ast.Name) and node.func.id in ("list", "tuple") and not scope.is_bound(node.func.id):
            only = args.positional[0] if len(args.positional) == 1 and not args.keywords else None
            if isinstance(only, (Sequence, Outputs)):
                return Sequence(tuple(only.items))
        return None

    def escape(self, node: ast.Call, args: _Args, scope: Scope) -> None:
        """Values handed to code we cannot see may be changed, or called, by it."""
        for value in list(args.positional) + list(args.keywords.values()):
            if isinstance(value, SequentialModel):
                self.add_to_sequential(value, UNKNOWN, node, certain=False)
            _mark_escaped(value)

    def call_method(self, method: BoundMethod, args: _Args, scope: Scope) -> Value | None:
        receiver = method.receiver
        if isinstance(receiver, Tensor):
            return Tensor(eager=True)  # `np.arange(24).reshape(...)`: still concrete data
        if isinstance(receiver, SequentialModel):
            if method.name == "add":
                added = args.get(0, "layer")
                place = args.node.args[0] if args.node.args else args.node
                self.add_to_sequential(receiver, added if added is not None else UNKNOWN, place, certain=True)
                return Const(None)
            if method.name == "pop":
                receiver.layers[:] = [UNKNOWN]
                receiver.placements[:] = [args.node]
                receiver.vias[:] = [self.via]
            return UNKNOWN
        if isinstance(receiver, Instance):
            function = receiver.cls.methods.get(method.name)
            if function is None or _is_static(function):
                return None
            return self.inline(Function(function, receiver.cls.scope), args, receiver)
        if isinstance(receiver, Sequence) and method.name in MUTATING_LIST_METHODS:
            owner = args.node.func
            if isinstance(owner, ast.Attribute) and isinstance(owner.value, ast.Name):
                scope.set(owner.value.id, UNKNOWN)
            return UNKNOWN
        return None

    def inline(self, func: Function, args: _Args, receiver: Instance | None) -> Value | None:
        """Run a helper's body with the call's arguments to learn what it returns."""
        node = func.node
        if (
            not func.inlinable
            or isinstance(node, ast.AsyncFunctionDef)
            or self.depth >= MAX_INLINE_DEPTH
            or self.over_budget
            or args.star
            or args.double_star
        ):
            return None
        local = Scope(func.scope)  # type: ignore[arg-type]
        spec = node.args
        positional_params = [a.arg for a in spec.posonlyargs + spec.args]
        given = ([receiver] if receiver is not None else []) + list(args.positional)
        if len(given) > len(positional_params) and spec.vararg is None:
            return None
        defaults = dict(zip(positional_params[len(positional_params) - len(spec.defaults) :], spec.defaults))
        defaults.update({a.arg: d for a, d in zip(spec.kwonlyargs, spec.kw_defaults) if d is not None})
        for name in positional_params + [a.arg for a in spec.kwonlyargs]:
            local.names[name] = UNKNOWN
        for name, value in zip(positional_params, given):
            local.names[name] = value
        for name in positional_params[len(given) :] + [a.arg for a in spec.kwonlyargs]:
            if name in args.keywords:
                local.names[name] = args.keywords[name]
            elif name in defaults:
                local.names[name] = self.eval(defaults[name], func.scope)  # type: ignore[arg-type]
        for name, value in local.names.items():
            if isinstance(value, Layer):
                value.bound_names.add(name)
        frame = Frame()
        self.depth += 1
        self.inline_stack.append(args.node)
        try:
            self.exec_block(node.body, local, frame)
        finally:
            self.depth -= 1
            self.inline_stack.pop()
        results = list(frame.returns)
        if not node.body or not isinstance(node.body[-1], (ast.Return, ast.Raise)):
            results.append(Const(None))
        if not results:
            return UNKNOWN  # every path raises
        result = results[0]
        for other in results[1:]:
            result = join(result, other)
        return result

    def call_ref(self, ref: Ref, args: _Args) -> Value | None:
        name = ref.keras_name
        operand = args.positional[0] if args.positional and not args.star else None
        if isinstance(operand, Outputs) and catalogue.takes_one_tensor(ref.qualified, name):
            self.record(Consumed(operand, None, Role.OPERAND, args.node))
        if name is None:
            if ref.qualified in MERGE_OPS:
                position, keyword, default = MERGE_OPS[ref.qualified]
                axis = args.get(position, keyword) or (Const(default) if default is not None else UNKNOWN)
                return self.merge(None, args.get(0, "values"), args.node, concatenates=True, axis=axis)
            if ref.qualified in REVERSE_OPS:
                return self.reverse(args, *REVERSE_OPS[ref.qualified])
            if ref.qualified.startswith(EAGER_DATA_PREFIXES) or ref.qualified in EAGER_DATA_CALLS:
                return Tensor(eager=True)
            return None
        if name.startswith("layers."):
            symbol = name[len("layers.") :]
            if symbol in ("Input", "InputLayer"):
                return self.input_tensor(args)
            if symbol in catalogue.MERGE_FUNCTIONS:
                result = self.merge(
                    None, args.get(0, "inputs"), args.node, concatenates=symbol == "concatenate", axis=args.get(1, "axis") or Const(-1)
                )
                return UNKNOWN if symbol == "dot" else result
            return self.construct(symbol, args, ref.qualified)
        if name == catalogue.INPUT:
            return self.input_tensor(args)
        if name == catalogue.SEQUENTIAL:
            return self.sequential(args)
        if name == catalogue.MODEL:
            inputs = args.get(0, "inputs")
            outputs = args.get(1, "outputs")
            self.record(ModelBuilt(inputs or UNKNOWN, outputs or UNKNOWN, args.node))
            return UNKNOWN
        if name in CONCAT_AXIS:
            position, keyword, default = CONCAT_AXIS[name]
            tensors = args.get(0, "xs" if name.startswith("ops") else "tensors")
            return self.merge(None, tensors, args.node, concatenates=True, axis=args.get(position, keyword) or Const(default))
        if name in REVERSE_KERAS:
            return self.reverse(args, *REVERSE_KERAS[name])
        return None

    def reverse(self, args: _Args, position: int, keyword: str) -> Value:
        """`tf.reverse(x, [1])`, `keras.ops.flip(x, axis=1)`, `K.reverse(x, 1)`: the time order flips."""
        value = args.get(0, "x") or args.get(0, "tensor")
        if not isinstance(value, Tensor) or value.time is not True:
            return UNKNOWN
        axis = args.get(position, keyword)
        if isinstance(axis, Sequence) and len(axis.items) == 1:
            axis = axis.items[0]
        if not (isinstance(axis, Const) and axis.value in (1, -2 if value.spatial_dims == 0 else 1)):
            return UNKNOWN  # other axes (or all of them) are reversed too: no longer a plain time flip
        return _flipped(value)

    def input_tensor(self, args: _Args) -> Value:
        """keras.Input / InputLayer: the declared shape, batch size and time steps."""
        batch_shape = args.keywords.get("batch_shape") or args.keywords.get("batch_input_shape")
        if batch_shape is not None:
            dims = _literal_dims(batch_shape)
            if dims is None or not dims:
                return Tensor(reversed=False)
            return _declared_tensor(dims[1:], _dimension(dims[0]))
        shape = args.get(0, "shape") or args.keywords.get("input_shape")
        batch = args.keywords.get("batch_size")
        dims = _literal_dims(shape) if shape is not None else None
        if dims is None:
            return Tensor(reversed=False)
        if batch is None or isinstance(batch, Const) and batch.value is None:
            size = None if args.double_star else DYNAMIC
        else:
            size = batch.value if isinstance(batch, Const) and type(batch.value) is int else None
        return _declared_tensor(dims, size)

    def declared_input(self, layer: Layer) -> Value:
        """What the first layer of a Sequential declares it receives (`input_shape=`, `batch_input_shape=`, ...)."""
        keywords = layer.keywords
        if any(k.arg is None for k in layer.node.keywords):
            return UNKNOWN  # **kwargs may declare anything
        if "batch_input_shape" in keywords or "batch_shape" in keywords:
            dims = _literal_dims(keywords.get("batch_input_shape") or keywords["batch_shape"])
            return _declared_tensor(dims[1:], _dimension(dims[0])) if dims else UNKNOWN
        batch = keywords.get("batch_size")
        size = DYNAMIC if batch is None else (batch.value if isinstance(batch, Const) and type(batch.value) is int else None)
        if "input_shape" in keywords:
            dims = _literal_dims(keywords["input_shape"])
            return _declared_tensor(dims, size) if dims is not None else UNKNOWN
        dim = layer.int_argument(-1, "input_dim")
        if dim is not None and layer.class_name != "Embedding":
            if layer.is_recurrent:
                length = keywords.get("input_length", Const(None))
                if not isinstance(length, Const):
                    return UNKNOWN
                return _declared_tensor((length.value, dim), size)
            return _declared_tensor((dim,), size)
        if layer.class_name == "Embedding" and "input_length" in keywords:
            length = keywords["input_length"]
            if self.target_keras != 2:
                # Keras 3 ignores the deprecated input_length: no input is declared, and the
                # Sequential is built from the first batch, batch size included.
                size = None
            return _declared_tensor((length.value,), size) if isinstance(length, Const) else UNKNOWN
        return UNKNOWN

    def construct(self, symbol: str, args: _Args, qualified: str | None = None) -> Value:
        layer = Layer(
            symbol,
            args.node,
            keywords=dict(args.keywords),
            positional=() if args.star else tuple(args.positional),
            qualified=qualified,
            via=self.via,
        )
        self.layers.append(layer)
        self.layer_scopes[id(layer)] = self.scope
        for flag in FLAG_KEYWORDS:
            setattr(layer, flag, _flag(args, flag))
        for flag, value in self.misspelt_flags(symbol, args).items():
            # `return_sequence=True` is RNN401's finding; what follows is read as if it were spelled
            # right, so that one mistake makes one finding.
            setattr(layer, flag, value.value if isinstance(value, Const) and isinstance(value.value, bool) else None)
        units_keyword = "filters" if symbol.startswith("ConvLSTM") else "units"
        units = args.get(0, units_keyword)
        layer.units = plausible_size(units.value) if isinstance(units, Const) and type(units.value) is int else None
        if layer.units is None and units is not None:
            layer.units_of = _multiple(_argument_node(args.node, 0, units_keyword), args.scope)
        name = args.keywords.get("name")
        if isinstance(name, Const) and isinstance(name.value, str):
            layer.label = name.value
        if symbol in (catalogue.BIDIRECTIONAL, catalogue.TIME_DISTRIBUTED, catalogue.GENERIC_RNN, catalogue.STACKED_CELLS):
            # The wrapped layer or cells are followed through the wrapper.
            for argument in list(args.node.args) + [k.value for k in args.node.keywords]:
                self.explained.add(id(argument))
                if isinstance(argument, (ast.List, ast.Tuple)):
                    self.explained.update(id(element) for element in argument.elts)
        if symbol in (catalogue.BIDIRECTIONAL, catalogue.TIME_DISTRIBUTED):
            inner = args.get(0, "layer")
            layer.wrapped = inner if isinstance(inner, Layer) else None
            layer.units = None
            if symbol == catalogue.BIDIRECTIONAL:
                merge = args.get(1, "merge_mode")
                if merge is None:
                    layer.merge_mode_none, layer.merge_mode = (None, None) if args.double_star else (False, "concat")
                elif isinstance(merge, Const):
                    layer.merge_mode_none = merge.value is None
                    layer.merge_mode = merge.value if isinstance(merge.value, str) else None
                else:
                    layer.merge_mode_none, layer.merge_mode = None, None
        elif symbol in (catalogue.GENERIC_RNN, catalogue.STACKED_CELLS):
            cells = args.get(0, "cells" if symbol == catalogue.STACKED_CELLS else "cell")
            layer.units = None
            if isinstance(cells, Layer):
                layer.cells = (cells,)
            elif isinstance(cells, Sequence) and cells.items and all(isinstance(c, Layer) for c in cells.items):
                layer.cells = tuple(cells.items)  # type: ignore[arg-type]
                if symbol == catalogue.GENERIC_RNN:
                    layer.cells = (Layer(catalogue.STACKED_CELLS, args.node, cells=layer.cells),)
        self.record(LayerBuilt(layer))
        return layer

    def misspelt_flags(self, symbol: str, args: _Args) -> dict[str, Value]:
        """Flags given under a misspelt keyword (`return_sequence=True`): RNN401 suggests the flag for it.

        No keyword a recurrent class accepts is as close to a flag as RNN401's cutoff
        (tests/test_reach.py checks the generated signatures), so the signatures need not be read.
        """
        if symbol not in catalogue.RECURRENT_CLASSES:
            return {}
        found: dict[str, Value] = {}
        for keyword, value in args.keywords.items():
            if keyword in FLAG_KEYWORDS:
                continue
            # get_close_matches tries the cheap upper bounds of the ratio first.
            close = difflib.get_close_matches(keyword, FLAG_KEYWORDS, n=1, cutoff=SUGGEST_CUTOFF)
            if close and close[0] not in args.keywords:
                found[close[0]] = value
        return found

    def call_layer(self, layer: Layer, args: _Args) -> Value:
        node = args.node
        if self.comprehensions:
            layer.escaped = True  # called any number of times, the results collected: the hints stay silent
        if not layer.calls:
            self.layer_scopes[id(layer)] = self.scope
        self.explained.add(id(node.func))
        inputs = args.get(0, "inputs")
        if inputs is None:
            inputs = args.get(0, "sequences") or UNKNOWN
        initial_state = None
        keeps = not_known
        if layer.is_recurrent:
            self.record(Consumed(inputs, layer, Role.INPUT, node))
            initial_state = args.keywords.get("initial_state")
            if isinstance(initial_state, Const) and initial_state.value is None:
                initial_state = None  # `initial_state=None` is the default: zeros
            if initial_state is not None:
                self.record(Consumed(initial_state, layer, Role.INITIAL_STATE, node))
            base = _order_base(inputs, args) if layer.flag("return_sequences") else None
            result = self.recurrent_result(layer, node, inputs, base)
            count = layer.returned_count
            if count is not None:
                keeps = partial(self.usage.kept, node, count)
        elif layer.is_attention:
            result = self.attention(layer, args)
        elif layer.consumer is not None and layer.consumer.takes_list:
            axis = layer.argument(0, "axis") if layer.class_name == "Concatenate" else None
            concatenates = layer.class_name == "Concatenate"
            result = self.merge(layer, inputs, node, concatenates=concatenates, axis=axis or Const(-1))
        elif layer.consumer is not None:
            self.record(Consumed(inputs, layer, Role.INPUT, node))
            result = self.consumer_result(layer, inputs)
        else:
            result = UNKNOWN
        layer.calls.append(LayerCall(node, result, inputs, initial_state, keeps))
        self.record(LayerCalled(layer, node, inputs, result))
        return result

    def recurrent_result(self, layer: Layer, node: ast.AST, source: Value = UNKNOWN, base: object = None) -> Value:
        items = layer.returned_items()
        kinds = layer.state_kinds
        if items is None or kinds is None:
            return UNKNOWN
        values: list[Value] = []
        per_cell = list(kinds) if isinstance(kinds, tuple) else None
        for item in items:
            if per_cell is not None and (isinstance(item, tuple) or item.is_state):
                values.append(item_value(item, layer, node, per_cell.pop(0), source, base))
            else:
                kind = kinds if not isinstance(kinds, tuple) else kinds[0]
                values.append(item_value(item, layer, node, kind, source, base))
        if len(values) == 1:
            return values[0]
        return Outputs(tuple(values), layer, node)

    def consumer_result(self, layer: Layer, inputs: Value) -> Value:
        consumer = layer.consumer
        assert consumer is not None
        if not isinstance(inputs, Tensor):
            if consumer.effect is Effect.ADD_TIME:
                return Tensor(time=True, spatial_dims=0)
            return UNKNOWN
        if consumer.effect is Effect.KEEP:
            if consumer.needs is Needs.SEQUENCE and layer.class_name not in catalogue.STEP_PRESERVING:
                inputs = replace(inputs, steps=None)  # strides, pooling, cropping, padding
            if layer.class_name == "Dense":
                return passed_through(inputs, width=layer.units, keep_width=False, projection=layer)
            if layer.class_name == catalogue.TIME_DISTRIBUTED:
                inner_units = layer.wrapped.units if layer.wrapped is not None else None
                return passed_through(inputs, width=inner_units, keep_width=False, projection=layer)
            return passed_through(inputs)
        if consumer.effect is Effect.DROP_TIME:
            return Tensor(time=False, spatial_dims=0, batch=inputs.batch)
        if layer.class_name == "RepeatVector":
            # Every step is the same vector: the sequence has no time order to get wrong.
            return Tensor(time=True, spatial_dims=0, width=inputs.width, batch=inputs.batch, steps=layer.units)
        if layer.class_name == "Embedding":
            return self.embedded(layer, inputs)
        if consumer.effect is Effect.ADD_TIME:
            return Tensor(time=True, spatial_dims=0, batch=inputs.batch)
        return UNKNOWN

    def embedded(self, layer: Layer, tokens: Tensor) -> Tensor:
        """Embedding: (batch, steps) token ids -> (batch, steps, output_dim)."""
        steps = layer.int_argument(-1, "input_length")  # Keras 2 declares the length on the layer
        if tokens.shape is not None and len(tokens.shape) == 1:
            steps = _dimension(tokens.shape[0])
        return Tensor(
            time=True,
            spatial_dims=0,
            width=layer.int_argument(1, "output_dim"),
            batch=tokens.batch,
            steps=steps,
            vocabulary=layer.int_argument(0, "input_dim"),
            reversed=tokens.reversed,
            reversed_by=tokens.reversed_by,
        )

    def merge(
        self,
        layer: Layer | None,
        inputs: Value | None,
        node: ast.AST,
        *,
        concatenates: bool,
        axis: Value | None = None,
    ) -> Value:
        """Concatenate / Add / tf.concat over a list: each item is consumed; widths add up along the last axis."""
        if not isinstance(inputs, (Sequence, Outputs)):
            return UNKNOWN
        for item in inputs.items:
            self.record(Consumed(item, layer, Role.MERGED, node))
        self.record(Merged(tuple(inputs.items), layer, node))
        tensors = [i for i in inputs.items if isinstance(i, Tensor)]
        if len(tensors) != len(inputs.items) or not tensors:
            return UNKNOWN
        first = tensors[0]
        same_time = all(t.time == first.time for t in tensors)
        spatial = first.spatial_dims if all(t.spatial_dims == first.spatial_dims for t in tensors) else None
        widths = [t.width for t in tensors]
        width = widths[0] if len(set(widths)) == 1 else None
        base = first.width_of
        related = base is not None and all(base.same_base(t.width_of) for t in tensors)
        width_of = base if related and all(t.width_of == base for t in tensors) else None
        batch, steps = _agreed(t.batch for t in tensors), _agreed(t.steps for t in tensors)
        if concatenates:
            along_features = _is_last_axis(axis, first.time if same_time else None, spatial)
            if along_features:
                width = sum(widths) if None not in widths else None  # type: ignore[arg-type]
                # `concatenate([h_fwd, h_bwd])` of `units`-wide states is 2 * units wide.
                width_of = replace(base, factor=sum(t.width_of.factor for t in tensors)) if related else None  # type: ignore[union-attr, type-var]
            else:
                # Joined along the batch or the time axis (or an axis we cannot tell).
                batch = steps = None
                if along_features is None:
                    width, width_of = None, None
        states = {t.state for t in tensors}
        kinds = {t.state_kind for t in tensors}
        return Tensor(
            time=first.time if same_time else None,
            spatial_dims=spatial,
            width=width,
            width_of=width_of,
            state=states.pop() if len(states) == 1 else None,
            state_kind=kinds.pop() if len(kinds) == 1 else None,
            batch=batch,  # type: ignore[arg-type]
            steps=steps,  # type: ignore[arg-type]
            reversed=_agreed(t.reversed for t in tensors),  # type: ignore[arg-type]
            reversed_by=first.reversed_by if all(t.reversed_by is first.reversed_by for t in tensors) else None,
        )

    def attention(self, layer: Layer, args: _Args) -> Value:
        if layer.class_name in ("Attention", "AdditiveAttention"):
            inputs = args.get(0, "inputs")
            roles = (Role.ATTENTION_QUERY, Role.ATTENTION_VALUE, Role.ATTENTION_KEY)
            items = inputs.items if isinstance(inputs, Sequence) else ()
            pairs = list(zip(items, roles))
        else:
            pairs = [
                (args.get(0, "query"), Role.ATTENTION_QUERY),
                (args.get(1, "value"), Role.ATTENTION_VALUE),
                (args.get(2, "key"), Role.ATTENTION_KEY),
            ]
        query: Value = UNKNOWN
        for value, role in pairs:
            if value is None:
                continue
            self.record(Consumed(value, layer, role, args.node))
            if role is Role.ATTENTION_QUERY:
                query = value
        if "return_attention_scores" in args.keywords or args.double_star or not isinstance(query, Tensor):
            return UNKNOWN
        return Tensor(time=query.time, spatial_dims=query.spatial_dims)

    def user_attention(self, instance: Instance, args: _Args) -> None:
        """A user's attention layer: the memory is the second positional or a value-like keyword."""
        if not args.star and len(args.positional) >= 2:
            for value in args.positional[1:]:
                self.record(Consumed(value, None, Role.ATTENTION_VALUE, args.node))
        for keyword in ("value", "values", "key", "keys", "memory"):
            if keyword in args.keywords:
                self.record(Consumed(args.keywords[keyword], None, Role.ATTENTION_VALUE, args.node))

    # --- Sequential ---------------------------------------------------------------------
    def sequential(self, args: _Args) -> Value:
        model = SequentialModel(args.node)
        self.sequentials.append(model)
        self.sequential_scopes[id(model)] = self.scope
        self.context_of[id(model)] = self.context
        initial = args.get(0, "layers")
        if isinstance(initial, Sequence):
            for item, place in zip(initial.items, _sequence_nodes(args.node)):
                self.add_to_sequential(model, item, place, certain=True)
        elif initial is not None and not (isinstance(initial, Const) and initial.value is None):
            self.add_to_sequential(model, UNKNOWN, args.node, certain=False)
        self.record(SequentialBuilt(model))
        return model

    def add_to_sequential(self, model: SequentialModel, item: Value, place: ast.AST, *, certain: bool) -> None:
        if self.uncertain or not certain or self.context_of.get(id(model)) is not self.context:
            _mark_escaped(item)
            item = UNKNOWN
        model.layers.append(item)
        model.placements.append(place)
        self.explained.add(id(place))
        model.vias.append(self.via)

    def simulate_sequential(self, model: SequentialModel) -> None:
        """Feed each layer of the stack the previous one's output, as Keras will."""
        flowing: Value = UNKNOWN
        for position, (item, place, via) in enumerate(zip(model.layers, model.placements, model.vias)):
            if isinstance(item, Tensor):
                flowing = item
                continue
            if not isinstance(item, Layer):
                flowing = UNKNOWN
                continue
            if position == 0:
                flowing = self.declared_input(item)
            if item.is_recurrent or item.consumer is not None:
                self.record(Consumed(flowing, item, Role.INPUT, place, in_sequential=True, via=via))
            if item.is_recurrent:
                result = self.recurrent_result(item, place, flowing)
            elif item.consumer is not None and not item.consumer.takes_list:
                result = self.consumer_result(item, flowing)
            else:
                result = UNKNOWN
            if not item.calls:
                self.layer_scopes[id(item)] = self.scope
            # What one layer returns flows into the next (or out of the model): it is used.
            kept = (True,) * len(result.items) if isinstance(result, Outputs) else (True,)
            item.calls.append(LayerCall(place, result, flowing, None, partial(tuple, kept)))  # known already: a place in a stack
            self.record(LayerCalled(item, place, flowing, result, via=via))
            # A multi-tensor output mid-stack is RNN104's finding; what follows sees an unknown.
            flowing = result if not isinstance(result, Outputs) else UNKNOWN


def _dispatch_table(prefix: str) -> dict[type, Callable]:
    """{ast.Call: Interpreter.expr_Call, ...}: every `expr_X` / `stmt_X` method, keyed by node type.

    One dict lookup per node instead of formatting a method name and a getattr
    (measured: the dispatch was the interpreter's largest single cost).
    """
    table: dict[type, Callable] = {}
    for name in dir(Interpreter):
        if name.startswith(prefix):
            node_type = getattr(ast, name[len(prefix) :], None)
            if isinstance(node_type, type):
                table[node_type] = getattr(Interpreter, name)
    return table


_STMT_HANDLERS = _dispatch_table("stmt_")
_EXPR_HANDLERS = _dispatch_table("expr_")


# --- helpers --------------------------------------------------------------------------------


def interpret(
    tree: ast.Module, target_keras: int = 3, project: ProjectImports | None = None, source: LineIndex | None = None
) -> list[Fact]:
    """All facts about one module, read as the targeted Keras reads it (its project imports through `project`).

    `source`, the text `tree` was parsed from (by lines), lets the interpreter skip functions that cannot
    hold a Keras value (analysis/inert.py): what the rules find is the same without it.
    """
    return Interpreter(tree, target_keras, project, source).run()


def _mark_escaped(value: Value) -> None:
    """Layers inside `value` reached code the analysis does not follow: their calls are no longer all known."""
    if isinstance(value, Layer):
        value.escaped = True
        if value.wrapped is not None:
            value.wrapped.escaped = True
    elif isinstance(value, Sequence):
        for item in value.items:
            _mark_escaped(item)


def _compare(op: ast.cmpop, left: Value, right: Value) -> bool | None:
    """The outcome of one comparison, or None when the analysis cannot know it."""
    if isinstance(op, (ast.In, ast.NotIn)):
        if not isinstance(right, Sequence):
            return None
        found = [_same(left, item) for item in right.items]
        inside = True if True in found else (False if all(f is False for f in found) else None)
        return inside if inside is None or isinstance(op, ast.In) else not inside
    if isinstance(op, (ast.Is, ast.IsNot)):
        # Only identity the language guarantees: None, True, False, and a class with itself.
        if isinstance(left, Const) and isinstance(right, Const) and (left.value in (None, True, False) or right.value in (None, True, False)):
            same: bool | None = left.value is right.value
        else:
            same = _same(left, right) if isinstance(left, Ref) and isinstance(right, Ref) else None
        return same if same is None or isinstance(op, ast.Is) else not same
    if isinstance(op, (ast.Eq, ast.NotEq)):
        same = _same(left, right)
        return same if same is None or isinstance(op, ast.Eq) else not same
    fold = _COMPARES.get(type(op))
    if fold is not None and isinstance(left, Const) and isinstance(right, Const):
        if _is_number(left.value) and _is_number(right.value):
            return fold(left.value, right.value)
    return None


_SCALARS = (int, float, bool, str, bytes, type(None))


def _same(left: Value, right: Value) -> bool | None:
    """Whether two values are equal: constants of plain types, or Keras classes reached through imports."""
    if isinstance(left, Const) and isinstance(right, Const):
        if isinstance(left.value, _SCALARS) and isinstance(right.value, _SCALARS):
            return left.value == right.value
        return None
    if isinstance(left, Ref) and isinstance(right, Ref):
        a, b = _recurrent_class(left), _recurrent_class(right)
        if a is None or b is None:
            return True if left.qualified == right.qualified else None
        return a == b
    return None


def _recurrent_class(value: Value) -> str | None:
    """`LSTM` for a reference to keras.layers.LSTM (any spelling); None for anything else."""
    name = value.keras_name if isinstance(value, Ref) else None
    if name is None or not name.startswith("layers."):
        return None
    symbol = name[len("layers.") :]
    return symbol if symbol in catalogue.RECURRENT_CLASSES else None


def _class_test(function: str, subject: Value, classes: Value) -> bool | None:
    """`isinstance(layer, LSTM)` / `issubclass(REC, GRU)` over concrete recurrent classes (none derives from another)."""
    if function == "isinstance":
        if not isinstance(subject, Layer) or subject.class_name not in catalogue.RECURRENT_CLASSES:
            return None
        actual: str | None = subject.class_name
    else:
        actual = _recurrent_class(subject)
    candidates = classes.items if isinstance(classes, Sequence) else (classes,)
    named = [_recurrent_class(c) for c in candidates]
    if actual is None:
        return None
    if actual in named:
        return True
    return False if None not in named else None


def _fold_builtin(name: str, args: _Args) -> Value | None:
    if args.star or args.double_star or args.keywords or not args.positional:
        return None
    if not all(isinstance(a, Const) and _is_number(a.value) for a in args.positional):
        return None
    try:
        return Const(_FOLDABLE_BUILTINS[name](*(a.value for a in args.positional)))  # type: ignore[union-attr]
    except (TypeError, ValueError, ArithmeticError):
        return None


def _dimension(value: object) -> int | None:
    """A declared dimension: an int, DYNAMIC for None, None when not a literal."""
    if value is None:
        return DYNAMIC
    return value if type(value) is int else None


def _literal_dims(value: Value) -> tuple | None:
    if isinstance(value, Const) and type(value.value) is int:
        return (value.value,)
    if isinstance(value, Sequence) and all(isinstance(d, Const) for d in value.items):
        return tuple(d.value for d in value.items)  # type: ignore[union-attr]
    return None


def _declared_tensor(dims: tuple, batch: int | None) -> Tensor:
    """A tensor of shape (batch, *dims) that the code declares: an Input, or a Sequential's first layer."""
    rank = len(dims)
    width = dims[-1] if dims and type(dims[-1]) is int else None
    return Tensor(
        time=rank >= 2,
        width=width,
        shape=dims,
        batch=batch,
        steps=_dimension(dims[0]) if rank >= 2 else None,
        vocabulary=width if rank >= 2 else None,
        reversed=False,
    )


def _flipped(value: Tensor) -> Tensor:
    """The same sequence with its time order reversed."""
    if value.reversed is None:
        order, by = None, None
    elif value.reversed:
        order, by = False, None
    else:
        order, by = True, None  # reversed by the code itself, not by a go_backwards layer
    # Relative to its base: a go_backwards output flipped back is aligned again; a sequence the
    # code reverses itself has no go_backwards layer to name, so the relation is dropped.
    base = value.order_base if value.backwards_by is not None else None
    return replace(value, direct=False, state=None, reversed=order, reversed_by=by, order_base=base, backwards_by=None)


def _argument_node(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    """The expression given for a parameter, by keyword or at a position."""
    given = next((k.value for k in call.keywords if k.arg == keyword), None)
    if given is None and index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        given = call.args[index]
    return given


def _multiple(node: ast.expr | None, scope: Scope | None) -> Multiple | None:
    """`units`, `2 * units`, `units * 2`: a size as a multiple of an unknown name's value."""
    factor = 1
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for name, number in ((node.left, node.right), (node.right, node.left)):
            if isinstance(number, ast.Constant) and type(number.value) is int and isinstance(name, ast.Name):
                node, factor = name, number.value
                break
    if not isinstance(node, ast.Name) or scope is None or factor <= 0:
        return None
    binding = scope.binding(node.id)
    return Multiple(factor, binding, node.id) if binding is not None else None


def _order_base(inputs: Value, args: _Args) -> object:
    """What stands for a recurrent layer's input when its time order is unknown (see Tensor.order_base).

    A known tensor stands for itself; an unknown one read through a name stands for
    that binding of the name (the same name, not rebound in between, is the same tensor).
    """
    if isinstance(inputs, Tensor):
        return inputs if inputs.reversed is None and inputs.order_base is None else None
    node = _argument_node(args.node, 0, "inputs")
    if inputs is UNKNOWN and isinstance(node, ast.Name) and args.scope is not None:
        return args.scope.binding(node.id)
    return None


def _reverses_time(index: ast.expr) -> bool:
    """`x[:, ::-1]` or `x[:, ::-1, :]`: every axis kept whole except the time axis, walked backwards."""
    if not isinstance(index, ast.Tuple) or len(index.elts) < 2:
        return False
    first, time, *rest = index.elts

    def whole(node: ast.expr) -> bool:
        return isinstance(node, ast.Slice) and node.lower is None and node.upper is None and node.step is None

    backwards = (
        isinstance(time, ast.Slice)
        and time.lower is None
        and time.upper is None
        and isinstance(time.step, ast.UnaryOp)
        and isinstance(time.step.op, ast.USub)
        and isinstance(time.step.operand, ast.Constant)
        and time.step.operand.value == 1
    )
    return whole(first) and backwards and all(whole(r) or (isinstance(r, ast.Constant) and r.value is Ellipsis) for r in rest)


def _is_last_axis(axis: Value | None, time: bool | None, spatial: int | None) -> bool | None:
    """Whether a concatenation runs along the features (last) axis; None when unknown."""
    if not (isinstance(axis, Const) and type(axis.value) is int):
        return None
    if axis.value == -1:
        return True
    if time is None or spatial is None:
        return None
    rank = 2 + (1 if time else 0) + spatial
    return axis.value == rank - 1


def _agreed(values: Iterator) -> object:
    """The value every item has, or None."""
    found = set(values)
    return found.pop() if len(found) == 1 else None


def _indexable(value: Value) -> bool:
    return isinstance(value, Outputs) or (isinstance(value, Tensor) and value.direct and value.producer is not None)


def _is_number(value: object) -> bool:
    """A number the analysis folds: a float, or an int of at most MAX_FOLD_BITS bits (no size is bigger;
    `u = u * u` repeated would otherwise double the digits each time, for minutes and gigabytes)."""
    kind = type(value)
    return kind is float or (kind in (int, bool) and value.bit_length() <= MAX_FOLD_BITS)  # type: ignore[union-attr]


def _flag(args: _Args, name: str) -> bool | None:
    if name in args.keywords:
        value = args.keywords[name]
        if isinstance(value, Const) and isinstance(value.value, bool):
            return value.value
        return None
    return None if args.double_star or args.star else False


def _join_envs(envs: list[dict[str, Value]]) -> dict[str, Value]:
    first, *rest = envs
    joined: dict[str, Value] = {}
    for name, value in first.items():
        for other in rest:
            value = join(value, other[name]) if name in other else UNKNOWN
        joined[name] = value
    for other in rest:
        for name in other:
            joined.setdefault(name, UNKNOWN)
    return joined


def _parameter_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    spec = node.args
    names = [a.arg for a in spec.posonlyargs + spec.args]
    if spec.vararg:
        names.append(spec.vararg.arg)
    names.extend(a.arg for a in spec.kwonlyargs)
    if spec.kwarg:
        names.append(spec.kwarg.arg)
    return names


def _methods(node: ast.ClassDef) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return {s.name: s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _is_static(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(_decorator_name(d) in ("staticmethod", "classmethod") for d in node.decorator_list)


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _self_attributes(method: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[str]:
    """Attribute names a method assigns on its first parameter (only statements assign attributes)."""
    params = method.args.posonlyargs + method.args.args
    if not params:
        return
    receiver = params[0].arg
    for statement in _statements(method.body, ()):
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, (ast.AugAssign, ast.AnnAssign)):
            targets = [statement.target]
        else:
            continue
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == receiver:
                    yield sub.attr


def _statements(body: list[ast.stmt], skipped: tuple[type, ...]) -> Iterator[ast.stmt]:
    """The statements of a block and of the blocks nested in it, not entering statements of the `skipped` kinds."""
    stack: list[ast.stmt] = list(body)
    while stack:
        statement = stack.pop()
        yield statement
        if not isinstance(statement, skipped):
            stack.extend(_inner_statements(statement))


def _inner_statements(statement: ast.stmt) -> list[ast.stmt]:
    """The statements of the blocks a statement holds (a simple statement holds none)."""
    if isinstance(statement, _SIMPLE_STATEMENTS):
        return []
    inner = [s for name in ("body", "orelse", "finalbody") for s in getattr(statement, name, ()) or ()]
    inner.extend(s for holder in (*getattr(statement, "handlers", ()), *getattr(statement, "cases", ())) for s in holder.body)
    return inner


# A loop's own `break` and `continue`: not those of a loop, function or class nested in it.
_LOOPS_AND_SCOPES = (ast.For, ast.While, ast.AsyncFor, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _sequence_nodes(call: ast.Call) -> list[ast.AST]:
    """The element expressions of Sequential([...])'s literal list, for locations."""
    literal = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "layers"), None)
    if isinstance(literal, (ast.List, ast.Tuple)):
        return list(literal.elts)
    return []


# Statements that hold no other statement: _declared_global need not look inside them.
_SIMPLE_STATEMENTS = (
    ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Import, ast.ImportFrom,
    ast.Pass, ast.Raise, ast.Assert, ast.Delete, ast.Break, ast.Continue, ast.Nonlocal,
)  # fmt: skip


def _declared_global(body: list[ast.stmt]) -> set[str]:
    """Names any function declares `global` (walking statements only: cheap)."""
    return {name for statement in _statements(body, ()) if isinstance(statement, ast.Global) for name in statement.names}
