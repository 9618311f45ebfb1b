"""What the interpreter did not run: a walk over statements, after the interpretation.

Construction rules judge a call expression, not a flow, so a construction is a
construction wherever it is written.  The interpreter runs almost every
statement (functions, methods, lambdas and class bodies are analysed with
unknown arguments); this module finds the few it did not run, so that they are
run too (with the names of the functions around them unknown), and the imports, which are facts of the text
whether or not they run (`from keras.layers import CuDNNLSTM` fails under
Keras 3 wherever it is written).

Only statements are walked (cheap).  Statements the interpreter proved dead (the branch of an `if` whose
test it folded, code after a `return`) are not searched: code known not to run
reports nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

# Exception names whose handler makes a `try` body version-compatibility code for imports.
_IMPORT_GUARDS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class ImportSite:
    """`from module import name`: the alias node, and whether a `try` that catches ImportError holds it."""

    qualified: str
    alias: ast.alias
    statement: ast.stmt
    guarded: bool


@dataclass
class Survey:
    imports: list[ImportSite] = field(default_factory=list)
    # Statements that did not run, each with the names its enclosing functions and classes bind
    # (which shadow the module's names there).
    unreached: list[tuple[ast.stmt, frozenset[str]]] = field(default_factory=list)


def survey(tree: ast.Module, executed: set[int], dead: set[int]) -> Survey:
    """The module's imports, and the statements neither run nor known dead."""
    found = Survey()
    # (statement, enclosing scopes, guarded by an ImportError handler)
    stack: list[tuple[ast.stmt, tuple[ast.AST, ...], bool]] = [(s, (), False) for s in reversed(tree.body)]
    while stack:
        statement, enclosing, guarded = stack.pop()
        if id(statement) in dead:
            continue
        if isinstance(statement, ast.ImportFrom):
            found.imports.extend(_import_sites(statement, guarded))
        elif id(statement) not in executed:
            found.unreached.append((statement, _shadowed(enclosing)))
            continue  # run whole by the interpreter, nested statements included
        inner = enclosing + (statement,) if isinstance(statement, _SCOPES) else enclosing
        for name, block in _blocks(statement):
            block_guarded = guarded or (name == "body" and isinstance(statement, ast.Try) and _guards_imports(statement))
            stack.extend((child, inner, block_guarded) for child in reversed(block))
    return found


def _blocks(statement: ast.stmt) -> Iterator[tuple[str, list]]:
    for name in ("body", "orelse", "finalbody"):
        block = getattr(statement, name, None)
        if block:
            yield name, block
    for handler in getattr(statement, "handlers", ()):
        yield "handler", handler.body
    for case in getattr(statement, "cases", ()):
        yield "case", case.body


def _guards_imports(statement: ast.Try) -> bool:
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


def _import_sites(statement: ast.ImportFrom, guarded: bool) -> Iterator[ImportSite]:
    if statement.level or not statement.module:
        return  # relative: a module of the project, not Keras
    for alias in statement.names:
        if alias.name != "*":
            yield ImportSite(f"{statement.module}.{alias.name}", alias, statement, guarded)


def _shadowed(enclosing: tuple[ast.AST, ...]) -> frozenset[str]:
    """Names bound in the functions and classes around a statement: they are not the module's there."""
    names: set[str] = set()
    for scope in enclosing:
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            spec = scope.args
            names.update(a.arg for a in spec.posonlyargs + spec.args + spec.kwonlyargs)
            names.update(a.arg for a in (spec.vararg, spec.kwarg) if a is not None)
        for statement in scope.body:  # type: ignore[attr-defined]
            for node in ast.walk(statement):
                if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                    names.add(node.id)
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.add(node.name)
                elif isinstance(node, ast.alias):
                    names.add((node.asname or node.name).split(".")[0])
    return frozenset(names)
