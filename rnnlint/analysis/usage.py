"""What the code does with a call's result, and whether every call of a layer object was seen.

Two syntactic questions, answered from one walk over the module:

- `kept(call, count)`: for each item a call returns, may the code use it?  An
  item is *discarded* only on positive evidence: it is bound to a name that
  nothing in the module ever reads (`_`, or a forgotten variable), left out of a
  literal index or slice, or the call is a bare statement.  Anything else (a
  name that is read somewhere, an attribute, a return, an argument) counts as
  kept.
- `unexplained_reference(layer, explained)`: does any read of a name the layer
  object was bound to happen where the interpreter did not follow it (inside a
  comprehension or lambda, as an argument to unknown code, as `model.decoder`
  from outside the class, ...)?  Then the calls the interpreter recorded may not
  be all the calls the object receives, and "every call discards" cannot be
  claimed.  Matching by name only widens what counts as a reference, so it can
  only make the answer more cautious.
"""

from __future__ import annotations

import ast
from collections import defaultdict

# Calls that read variables by name at run time: any name may be used.
DYNAMIC_ACCESS = frozenset({"locals", "vars", "globals", "eval", "exec"})


class ModuleUsage:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self._indexed = False
        self.parents: dict[int, ast.AST] = {}
        self.loaded: set[str] = set()
        self.references: dict[str, list[ast.AST]] = defaultdict(list)
        self.dynamic = False

    def _index(self) -> None:
        if self._indexed:
            return
        self._indexed = True
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                self.loaded.add(node.id)
                self.references[node.id].append(node)
                if node.id in DYNAMIC_ACCESS:
                    self.dynamic = True
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                self.references[node.attr].append(node)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                self.loaded.update(node.names)
        self.loaded.update(_exported_names(self.tree))

    # --- what happens to a result -------------------------------------------------------
    def kept(self, call: ast.AST, count: int) -> tuple[bool, ...]:
        """Per item of the result of `call` (which returns `count` items): False when certainly discarded."""
        self._index()
        everything = (True,) * count
        parent = self.parents.get(id(call))
        if isinstance(parent, ast.Expr):
            return (False,) * count
        if isinstance(parent, ast.Assign) and parent.value is call:
            kept = [False] * count
            for target in parent.targets:
                kept = [a or b for a, b in zip(kept, self.target_keeps(target, count))]
            return tuple(kept)
        if isinstance(parent, ast.AnnAssign) and parent.value is call:
            return self.target_keeps(parent.target, count)
        if isinstance(parent, ast.Subscript) and parent.value is call and count > 1:
            chosen = _literal_selection(parent.slice, count)
            return everything if chosen is None else tuple(i in chosen for i in range(count))
        return everything

    def target_keeps(self, target: ast.expr, count: int) -> tuple[bool, ...]:
        everything = (True,) * count
        if isinstance(target, ast.Name):
            return (not self.dead(target.id),) * count
        if not isinstance(target, (ast.Tuple, ast.List)):
            return everything
        names = target.elts
        star = next((i for i, e in enumerate(names) if isinstance(e, ast.Starred)), None)
        if star is None:
            if len(names) != count:
                return everything  # a wrong unpacking is another rule's business
            return tuple(self.element_keeps(e) for e in names)
        after = len(names) - star - 1
        if count < len(names) - 1:
            return everything
        starred = names[star]
        assert isinstance(starred, ast.Starred)
        middle = count - star - after
        return (
            tuple(self.element_keeps(e) for e in names[:star])
            + (self.element_keeps(starred.value),) * middle
            + tuple(self.element_keeps(e) for e in names[star + 1 :])
        )

    def element_keeps(self, target: ast.expr) -> bool:
        return not (isinstance(target, ast.Name) and self.dead(target.id))

    def dead(self, name: str) -> bool:
        """True when nothing in the module ever reads `name`."""
        self._index()
        return not self.dynamic and name not in self.loaded

    # --- are all calls of an object known ------------------------------------------------
    def unexplained_reference(self, names: set[str], explained: set[int]) -> bool:
        self._index()
        return any(id(node) not in explained for name in names for node in self.references.get(name, ()))


def _literal_selection(index: ast.expr, count: int) -> set[int] | None:
    """The items `result[index]` selects, when the index is a literal int or slice."""
    single = _literal_int(index)
    if single is not None:
        position = single + count if single < 0 else single
        return {position} if 0 <= position < count else None
    if isinstance(index, ast.Slice):
        bounds = [None if bound is None else _literal_int(bound) for bound in (index.lower, index.upper, index.step)]
        given = [bound for bound in (index.lower, index.upper, index.step) if bound is not None]
        if sum(b is not None for b in bounds) != len(given) or bounds[2] == 0:
            return None
        return set(range(count)[slice(*bounds)])
    return None


def _literal_int(node: ast.expr) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _literal_int(node.operand)
        return None if inner is None else -inner
    return None


def _exported_names(tree: ast.Module) -> set[str]:
    """Names listed in a literal `__all__`: other modules may read them."""
    names: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and stmt.value is not None:
                for node in ast.walk(stmt.value):
                    if isinstance(node, ast.Constant) and isinstance(node.value, str):
                        names.add(node.value)
    return names
