"""What the interpreter did not run: a walk over statements, after the interpretation.

Construction rules judge a call expression, not a flow, so a construction is a
construction wherever it is written.  The interpreter runs almost every
statement (functions, methods, lambdas and class bodies are analysed with
unknown arguments); this module finds the few it did not run (a class nested in
a class body, ...), so that they are run too, with the names of the functions
around them unknown.

The walk is cheap: it does not enter the body of a function that was defined,
since the interpreter analyses every such body.  Statements the interpreter
proved dead (the branch of an `if` whose test it folded, code after a
`return`) are not run: code known not to run reports nothing.
"""

from __future__ import annotations

import ast

# Exception names whose handler makes a `try` body version-compatibility code for imports.
_IMPORT_GUARDS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
# Statements with nothing in them to run.
_LEAVES = frozenset({ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal})


def unreached(tree: ast.Module, executed: set[int], dead: set[int]) -> list[tuple[ast.stmt, frozenset[str]]]:
    """Statements neither run nor known dead, each with the names the functions and classes around it bind."""
    found: list[tuple[ast.stmt, frozenset[str]]] = []
    stack: list[tuple[ast.stmt, tuple[ast.AST, ...]]] = [(s, ()) for s in reversed(tree.body)]
    while stack:
        statement, enclosing = stack.pop()
        kind = type(statement)
        if kind in _LEAVES or id(statement) in dead:
            continue
        if id(statement) not in executed:
            found.append((statement, _shadowed(enclosing)))
            continue  # run whole, nested statements included
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            continue  # its body is analysed on its own
        inner = enclosing + (statement,) if kind is ast.ClassDef else enclosing
        for block in _blocks(statement):
            stack.extend((child, inner) for child in reversed(block))
    return found


def _blocks(statement: ast.stmt) -> list[list[ast.stmt]]:
    blocks = [getattr(statement, name, None) or [] for name in ("body", "orelse", "finalbody")]
    blocks.extend(handler.body for handler in getattr(statement, "handlers", ()))
    blocks.extend(case.body for case in getattr(statement, "cases", ()))
    return blocks


def guards_imports(statement: ast.Try) -> bool:
    """A `try` whose handlers catch a failed import: version-compatibility code."""
    for handler in statement.handlers:
        if handler.type is None:
            return True
        types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        for node in types:
            name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
            if name in _IMPORT_GUARDS:
                return True
    return False


def _shadowed(enclosing: tuple[ast.AST, ...]) -> frozenset[str]:
    """Names bound in the functions and classes around a statement: they are not the module's there."""
    names: set[str] = set()
    for scope in enclosing:
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            spec = scope.args
            names.update(a.arg for a in spec.posonlyargs + spec.args + spec.kwonlyargs)
            names.update(a.arg for a in (spec.vararg, spec.kwarg) if a is not None)
        names |= bound_names(scope.body)  # type: ignore[attr-defined]
    return frozenset(names)


def bound_names(body: list[ast.stmt]) -> set[str]:
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
