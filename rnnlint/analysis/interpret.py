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
import operator
from collections.abc import Iterator
from collections import Counter
from dataclasses import dataclass, field, replace

from rnnlint.analysis.facts import (
    Consumed,
    Fact,
    Indexed,
    LayerBuilt,
    LayerCalled,
    ModelBuilt,
    Role,
    SequentialBuilt,
    Unpacked,
)
from rnnlint.analysis.values import (
    UNKNOWN,
    BoundMethod,
    ClassValue,
    Const,
    Function,
    Instance,
    Layer,
    LayerCall,
    Outputs,
    Ref,
    Sequence,
    SequentialModel,
    Tensor,
    Value,
    item_value,
    join,
    passed_through,
)
from rnnlint.keras import catalogue
from rnnlint.keras.catalogue import Effect

MAX_INLINE_DEPTH = 6
MAX_UNROLL = 16
# Total statements executed per module; past it loops stop unrolling and helper
# calls stop being inlined (their results become UNKNOWN), so time stays bounded.
WORK_BUDGET = 200_000

FLAG_KEYWORDS = ("return_sequences", "return_state", "go_backwards", "stateful")
# Decorators that leave a function's behaviour as written.
TRANSPARENT_DECORATORS = frozenset({"staticmethod", "classmethod", "function", "wraps", "cache", "lru_cache"})
# Calls that merge a list of tensors along an axis, outside keras.layers.
MERGE_OPS = frozenset({"tensorflow.concat", "keras.ops.concatenate", "keras.backend.concatenate"})
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

    def get(self, index: int, keyword: str) -> Value | None:
        if keyword in self.keywords:
            return self.keywords[keyword]
        if index < len(self.positional) and not self.star:
            return self.positional[index]
        return None


class Interpreter:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.facts: list[Fact] = []
        self.uncertain = 0
        self.depth = 0
        self.work = 0
        self.sequentials: list[SequentialModel] = []
        self.pending: list[tuple[ast.AST, Scope, Instance | None]] = []
        self.analysed: set[int] = set()
        # The helper calls being run with a caller's arguments, outermost first.
        self.inline_stack: list[ast.Call] = []
        # What is being run: the module (None), or a function or class analysed on its own, whose
        # code runs at a time nobody knows.  A Sequential built in one of them and extended in
        # another gets its layer at an unknown place (`context_of`: the model's builder).
        self.context: ast.AST | None = None
        self.context_of: dict[int, ast.AST | None] = {}

    # --- entry point ------------------------------------------------------------------
    def run(self) -> list[Fact]:
        module = Scope()
        self.exec_block(self.tree.body, module, Frame())
        # Functions are analysed after the module ran: a module name bound more than
        # once (or declared global somewhere) could hold any of its values by then.
        rebound = {name for name, count in module.bindings.items() if count > 1}
        module.unstable = frozenset(rebound | _declared_global(self.tree.body))
        while self.pending:
            node, scope, instance = self.pending.pop(0)
            self.context = node
            self.analyse_generically(node, scope, instance)
        self.context = None
        for model in self.sequentials:
            self.simulate_sequential(model)
        return self.facts

    @property
    def via(self) -> ast.Call | None:
        return self.inline_stack[0] if self.inline_stack else None

    def record(self, fact: Fact) -> None:
        if self.inline_stack and fact.via is None:
            fact = replace(fact, via=self.via)
        self.facts.append(fact)

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
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        local = Scope(scope)
        params = _parameter_names(node)
        for index, name in enumerate(params):
            local.names[name] = instance if (index == 0 and instance is not None) else UNKNOWN
        self.exec_block(node.body, local, Frame())

    def analyse_class(self, node: ast.ClassDef, scope: Scope) -> None:
        cls = scope.lookup(node.name)
        if not isinstance(cls, ClassValue) or cls.node is not node:
            cls = ClassValue(node, scope, _methods(node))
        volatile = frozenset(
            attr for name, method in cls.methods.items() if name != "__init__" for attr in _self_attributes(method)
        )
        instance = Instance(cls, volatile=volatile)
        order = ["__init__", "build"] + [name for name in cls.methods if name not in ("__init__", "build")]
        for name in order:
            method = cls.methods.get(name)
            if method is not None and not _is_static(method):
                self.analyse_generically(method, scope, instance)

    # --- statements -------------------------------------------------------------------
    def exec_block(self, body: list[ast.stmt], scope: Scope, frame: Frame) -> None:
        for stmt in body:
            if frame.returned:
                return
            self.work += 1
            self.exec_stmt(stmt, scope, frame)

    def exec_stmt(self, stmt: ast.stmt, scope: Scope, frame: Frame) -> None:
        handler = getattr(self, f"stmt_{type(stmt).__name__}", None)
        if handler is not None:
            handler(stmt, scope, frame)
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
            if alias.asname:
                scope.set(alias.asname, Ref(alias.name))
            else:
                top = alias.name.split(".")[0]
                scope.set(top, Ref(top))

    def stmt_ImportFrom(self, stmt: ast.ImportFrom, scope: Scope, frame: Frame) -> None:
        if stmt.level or not stmt.module:
            for alias in stmt.names:
                scope.set(alias.asname or alias.name, UNKNOWN)
            return
        for alias in stmt.names:
            if alias.name == "*":
                if catalogue.is_keras_module(stmt.module):
                    scope.star_modules.append(stmt.module)
                else:
                    scope.opaque_star_import = True
                continue
            scope.set(alias.asname or alias.name, Ref(f"{stmt.module}.{alias.name}"))

    def stmt_FunctionDef(self, stmt: ast.FunctionDef, scope: Scope, frame: Frame) -> None:
        inlinable = all(_decorator_name(d) in TRANSPARENT_DECORATORS for d in stmt.decorator_list)
        scope.set(stmt.name, Function(stmt, scope, inlinable))
        self.pending.append((stmt, scope, None))

    stmt_AsyncFunctionDef = stmt_FunctionDef

    def stmt_ClassDef(self, stmt: ast.ClassDef, scope: Scope, frame: Frame) -> None:
        for base in stmt.bases:
            self.eval(base, scope)
        scope.set(stmt.name, ClassValue(stmt, scope, _methods(stmt)))
        self.pending.append((stmt, scope, None))

    def stmt_If(self, stmt: ast.If, scope: Scope, frame: Frame) -> None:
        test = self.eval(stmt.test, scope)
        if isinstance(test, Const):
            self.exec_block(stmt.body if test.value else stmt.orelse, scope, frame)
            return
        self.branches([stmt.body, stmt.orelse], scope, frame)

    def stmt_Match(self, stmt: ast.Match, scope: Scope, frame: Frame) -> None:
        self.eval(stmt.subject, scope)
        self.branches([case.body for case in stmt.cases] + [[]], scope, frame)

    def stmt_Try(self, stmt: ast.Try, scope: Scope, frame: Frame) -> None:
        self.exec_block(stmt.body, scope, frame)
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
            for name in _bound_names(body):
                if name in scope.names:
                    scope.names[name] = UNKNOWN
        self.uncertain -= 1

    def unrollable_elements(self, stmt: ast.For, scope: Scope) -> list[Value] | None:
        """The loop's elements when the loop is `range(<literal>)` or a literal list, and small."""
        if self.over_budget or any(isinstance(n, (ast.Break, ast.Continue)) for n in _walk_body(stmt.body)):
            return None
        iterable = stmt.iter
        if isinstance(iterable, (ast.List, ast.Tuple)) and not any(isinstance(e, ast.Starred) for e in iterable.elts):
            if len(iterable.elts) <= MAX_UNROLL:
                return [self.eval(e, scope) for e in iterable.elts]
            return None
        if (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Name)
            and iterable.func.id == "range"
            and not scope.is_bound("range")
            and not iterable.keywords
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

    # --- binding ------------------------------------------------------------------------
    def bind(self, target: ast.expr, value: Value, scope: Scope, stmt: ast.AST | None) -> None:
        if isinstance(target, ast.Name):
            scope.set(target.id, value)
            if isinstance(value, Layer) and value.label is None:
                value.label = target.id
        elif isinstance(target, ast.Attribute):
            owner = self.eval(target.value, scope)
            if isinstance(owner, Instance):
                self.set_attribute(owner, target.attr, value)
            elif isinstance(owner, Layer):
                owner.mutated = True
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.unpack(target, value, scope, stmt)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, UNKNOWN, scope, stmt)
        elif isinstance(target, ast.Subscript):
            self.eval(target.value, scope)

    def set_attribute(self, owner: Instance, name: str, value: Value) -> None:
        if name in owner.volatile:
            owner.attrs[name] = UNKNOWN
            return
        if self.uncertain:
            value = join(owner.attrs.get(name, UNKNOWN), value)
        owner.attrs[name] = value
        if isinstance(value, Layer) and value.label is None:
            value.label = name

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
        handler = getattr(self, f"expr_{type(node).__name__}", None)
        if handler is not None:
            return handler(node, scope)
        if not isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.eval(child, scope)
        return UNKNOWN

    def expr_Constant(self, node: ast.Constant, scope: Scope) -> Value:
        return Const(node.value)

    def expr_Name(self, node: ast.Name, scope: Scope) -> Value:
        return scope.lookup(node.id)

    def expr_Attribute(self, node: ast.Attribute, scope: Scope) -> Value:
        owner = self.eval(node.value, scope)
        if isinstance(owner, Ref):
            return owner.attribute(node.attr)
        if isinstance(owner, Instance):
            if node.attr in owner.attrs:
                return owner.attrs[node.attr]
            if node.attr in owner.cls.methods:
                return BoundMethod(owner, node.attr)
            return UNKNOWN
        if isinstance(owner, (SequentialModel, Sequence)):
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
        left = self.eval(node.left, scope)
        rights = [self.eval(c, scope) for c in node.comparators]
        if len(node.ops) == 1 and type(node.ops[0]) in _COMPARES and isinstance(left, Const):
            right = rights[0]
            if isinstance(right, Const) and _is_number(left.value) and _is_number(right.value):
                return Const(_COMPARES[type(node.ops[0])](left.value, right.value))
        return UNKNOWN

    def expr_BinOp(self, node: ast.BinOp, scope: Scope) -> Value:
        return self.binop(node.op, self.eval(node.left, scope), self.eval(node.right, scope), node)

    def binop(self, op: ast.operator, left: Value, right: Value, node: ast.AST) -> Value:
        if isinstance(left, Const) and isinstance(right, Const):
            fold = _BINOPS.get(type(op))
            if fold is not None and _is_number(left.value) and _is_number(right.value):
                try:
                    return Const(fold(left.value, right.value))
                except (ArithmeticError, ValueError):
                    return UNKNOWN
            return UNKNOWN
        lists = (Sequence, Outputs)
        if isinstance(op, ast.Add) and isinstance(left, lists) and isinstance(right, lists):
            return Sequence(tuple(left.items) + tuple(right.items))
        for operand, other in ((left, right), (right, left)):
            if isinstance(operand, Outputs) and not isinstance(other, lists):
                self.record(Consumed(operand, None, Role.ARITHMETIC, node))
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
        args = _Args([], {}, False, False, node)
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
        if isinstance(node.func, ast.Name) and node.func.id in ("list", "tuple") and not scope.is_bound(node.func.id):
            only = args.positional[0] if len(args.positional) == 1 and not args.keywords else None
            if isinstance(only, (Sequence, Outputs)):
                return Sequence(tuple(only.items))
        return None

    def escape(self, node: ast.Call, args: _Args, scope: Scope) -> None:
        """Values handed to code we cannot see may be changed by it."""
        for value in list(args.positional) + list(args.keywords.values()):
            if isinstance(value, SequentialModel):
                self.add_to_sequential(value, UNKNOWN, node, certain=False)

    def call_method(self, method: BoundMethod, args: _Args, scope: Scope) -> Value | None:
        receiver = method.receiver
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
        result = results[0]
        for other in results[1:]:
            result = join(result, other)
        return result

    def call_ref(self, ref: Ref, args: _Args) -> Value | None:
        name = ref.keras_name
        if name is None:
            if ref.qualified in MERGE_OPS:
                return self.merge(None, args.get(0, "values"), args.node)
            return None
        if name.startswith("layers."):
            symbol = name[len("layers.") :]
            if symbol in ("Input", "InputLayer"):
                return self.input_tensor(args)
            if symbol in catalogue.MERGE_FUNCTIONS:
                return self.merge(None, args.get(0, "inputs"), args.node)
            return self.construct(symbol, args)
        if name == catalogue.INPUT:
            return self.input_tensor(args)
        if name == catalogue.SEQUENTIAL:
            return self.sequential(args)
        if name == catalogue.MODEL:
            inputs = args.get(0, "inputs")
            outputs = args.get(1, "outputs")
            self.record(ModelBuilt(inputs or UNKNOWN, outputs or UNKNOWN, args.node))
            return UNKNOWN
        if name == "ops.concatenate" or name == "backend.concatenate":
            return self.merge(None, args.get(0, "xs"), args.node)
        return None

    def input_tensor(self, args: _Args) -> Value:
        shape = args.get(0, "shape")
        if isinstance(shape, Sequence) and all(isinstance(d, Const) for d in shape.items):
            dims = tuple(d.value for d in shape.items)  # type: ignore[union-attr]
            width = dims[-1] if dims and type(dims[-1]) is int else None
            return Tensor(time=len(dims) >= 2, width=width, shape=dims)
        return Tensor()

    def construct(self, symbol: str, args: _Args) -> Value:
        layer = Layer(symbol, args.node, keywords=dict(args.keywords), via=self.via)
        for flag in FLAG_KEYWORDS:
            setattr(layer, flag, _flag(args, flag))
        units = args.get(0, "filters" if symbol.startswith("ConvLSTM") else "units")
        layer.units = units.value if isinstance(units, Const) and type(units.value) is int else None
        name = args.keywords.get("name")
        if isinstance(name, Const) and isinstance(name.value, str):
            layer.label = name.value
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

    def call_layer(self, layer: Layer, args: _Args) -> Value:
        node = args.node
        inputs = args.get(0, "inputs")
        if inputs is None:
            inputs = args.get(0, "sequences") or UNKNOWN
        if layer.is_recurrent:
            self.record(Consumed(inputs, layer, Role.INPUT, node))
            initial_state = args.keywords.get("initial_state")
            if initial_state is not None:
                self.record(Consumed(initial_state, layer, Role.INITIAL_STATE, node))
            result = self.recurrent_result(layer, node)
        elif layer.is_attention:
            result = self.attention(layer, args)
        elif layer.consumer is not None and layer.consumer.takes_list:
            result = self.merge(layer, inputs, node)
        elif layer.consumer is not None:
            self.record(Consumed(inputs, layer, Role.INPUT, node))
            result = self.consumer_result(layer, inputs)
        else:
            result = UNKNOWN
        layer.calls.append(LayerCall(node, result))
        self.record(LayerCalled(layer, node, inputs, result))
        return result

    def recurrent_result(self, layer: Layer, node: ast.AST) -> Value:
        items = layer.returned_items()
        kinds = layer.state_kinds
        if items is None or kinds is None:
            return UNKNOWN
        values: list[Value] = []
        per_cell = list(kinds) if isinstance(kinds, tuple) else None
        for item in items:
            if per_cell is not None and (isinstance(item, tuple) or item.is_state):
                values.append(item_value(item, layer, node, per_cell.pop(0)))
            else:
                values.append(item_value(item, layer, node, kinds if not isinstance(kinds, tuple) else kinds[0]))
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
            if layer.class_name == "Dense":
                return passed_through(inputs, width=layer.units, keep_width=False)
            if layer.class_name == catalogue.TIME_DISTRIBUTED:
                inner_units = layer.wrapped.units if layer.wrapped is not None else None
                return passed_through(inputs, width=inner_units, keep_width=False)
            return passed_through(inputs)
        if consumer.effect is Effect.DROP_TIME:
            return Tensor(time=False, spatial_dims=0)
        if consumer.effect is Effect.ADD_TIME:
            width = inputs.width if layer.class_name == "RepeatVector" else None
            return Tensor(time=True, spatial_dims=0, width=width)
        return UNKNOWN

    def merge(self, layer: Layer | None, inputs: Value | None, node: ast.Call) -> Value:
        """Concatenate / Add / tf.concat over a list: each item is consumed; widths may add up."""
        if not isinstance(inputs, (Sequence, Outputs)):
            return UNKNOWN
        for item in inputs.items:
            self.record(Consumed(item, layer, Role.MERGED, node))
        tensors = [i for i in inputs.items if isinstance(i, Tensor)]
        if len(tensors) != len(inputs.items) or not tensors:
            return UNKNOWN
        first = tensors[0]
        same_time = all(t.time == first.time for t in tensors)
        concatenates = layer is None or layer.class_name == "Concatenate"
        widths = [t.width for t in tensors]
        width = None
        if None not in widths:
            width = sum(widths) if concatenates else (widths[0] if len(set(widths)) == 1 else None)  # type: ignore[arg-type]
        states = {t.state for t in tensors}
        kinds = {t.state_kind for t in tensors}
        return Tensor(
            time=first.time if same_time else None,
            spatial_dims=first.spatial_dims if all(t.spatial_dims == first.spatial_dims for t in tensors) else None,
            width=width,
            state=states.pop() if len(states) == 1 else None,
            state_kind=kinds.pop() if len(kinds) == 1 else None,
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
            item = UNKNOWN
        model.layers.append(item)
        model.placements.append(place)
        model.vias.append(self.via)

    def simulate_sequential(self, model: SequentialModel) -> None:
        """Feed each layer of the stack the previous one's output, as Keras will."""
        flowing: Value = UNKNOWN
        for item, place, via in zip(model.layers, model.placements, model.vias):
            if isinstance(item, Tensor):
                flowing = item
                continue
            if not isinstance(item, Layer):
                flowing = UNKNOWN
                continue
            if item.is_recurrent or item.consumer is not None:
                self.record(Consumed(flowing, item, Role.INPUT, place, in_sequential=True, via=via))
            if item.is_recurrent:
                result = self.recurrent_result(item, place)
            elif item.consumer is not None and not item.consumer.takes_list:
                result = self.consumer_result(item, flowing)
            else:
                result = UNKNOWN
            item.calls.append(LayerCall(place, result))
            self.record(LayerCalled(item, place, flowing, result, via=via))
            # A multi-tensor output mid-stack is RNN104's finding; what follows sees an unknown.
            flowing = result if not isinstance(result, Outputs) else UNKNOWN


# --- helpers --------------------------------------------------------------------------------


def interpret(tree: ast.Module) -> list[Fact]:
    """All facts about one module."""
    return Interpreter(tree).run()


def _indexable(value: Value) -> bool:
    return isinstance(value, Outputs) or (isinstance(value, Tensor) and value.direct and value.producer is not None)


def _is_number(value: object) -> bool:
    return type(value) in (int, float, bool)


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
    """Attribute names a method assigns on its first parameter."""
    params = method.args.posonlyargs + method.args.args
    if not params:
        return
    receiver = params[0].arg
    for node in ast.walk(method):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == receiver:
                    yield sub.attr


def _walk_body(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Nodes of a loop body, not descending into nested loops or functions."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.For, ast.While, ast.AsyncFor, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stack.append(child)


def _bound_names(body: list[ast.stmt]) -> set[str]:
    """Every name a block may bind, nested scopes included (more than it binds is fine: they become unknown)."""
    names: set[str] = set()
    for statement in body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                names.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
                names.add(node.name)
            elif isinstance(node, ast.MatchMapping) and node.rest:
                names.add(node.rest)
    return names


def _sequence_nodes(call: ast.Call) -> list[ast.AST]:
    """The element expressions of Sequential([...])'s literal list, for locations."""
    literal = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "layers"), None)
    if isinstance(literal, (ast.List, ast.Tuple)):
        return list(literal.elts)
    return []


def _declared_global(body: list[ast.stmt]) -> set[str]:
    """Names any function declares `global` (walking statements only: cheap)."""
    names: set[str] = set()
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Global):
            names.update(node.names)
        for field_name in ("body", "orelse", "finalbody", "handlers", "cases"):
            stack.extend(getattr(node, field_name, ()) or ())
    return names
