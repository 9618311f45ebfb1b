"""The project index: what the other modules of a project offer to the file being analysed.

A file that imports from its own project (`from seq2seq.encoders import build_encoder`,
`from .blocks import SHARED`, `import pkg.mod as m` then `m.f`) gets, instead of
an unknown, the value the imported module binds at its top level: a layer object,
a constant, a function (run later with the caller's arguments by the interpreter's
helper inlining, in the scope it was defined in), a class, another module.

Nothing is imported or run.  A module is read, parsed and its top level
interpreted at most once per process (memoised by path, checked against its
size and modification time, and its content when those moved); its functions are
not analysed on their own here: that happens when the module itself is linted.
The facts recorded while a module's top level runs are dropped: a file reports
only about itself.  What an importer records while it runs an imported function
with its own arguments is its own, and points at its call.

Unknown stays unknown: a module in an import cycle, one deeper than
MAX_IMPORT_DEPTH imports, one that does not parse or cannot be read, a name the
module does not bind at its top level (or rebinds from a function: `global`), a
star import of such a module.  Modules outside the project (site-packages, the
standard library, Keras itself) are never looked up here.

Where modules are found (the project's roots, src layouts, namespace packages) is
rnnlint/projectfiles.py's business.

Values handed out are copies where the importer could change them (a layer
object collects the calls made on it; an instance its attributes), so what one
importer does never shows in another; an imported layer object is marked as
reachable elsewhere (other modules may call it), so no "every call discards"
claim is made about it.
"""

from __future__ import annotations

import ast
import copy
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rnnlint.analysis.values import (
    ORIGIN,
    UNKNOWN,
    ClassValue,
    Const,
    Function,
    Instance,
    Layer,
    Ref,
    Sequence,
    SequentialModel,
    Value,
)
from rnnlint.projectfiles import ProjectFiles

# Import chains longer than this are not followed (the deepest module stays unknown to
# the ones above it); the rule depends only on the chain, not on the order files are linted.
MAX_IMPORT_DEPTH = 24


def origin_of(node: object) -> ModuleRecord | None:
    """The module `node` belongs to, when it is not the file being analysed (values.ORIGIN)."""
    return getattr(node, ORIGIN, None)


@dataclass(frozen=True)
class ModuleRef(Ref):
    """A module (or package) of the project, reached by an import: its attributes are its top-level names."""

    path: str = ""  # the module's file (`x.py`, `x/__init__.py`) or a namespace package's directory
    index: ProjectIndex | None = field(default=None, compare=False, repr=False)

    @property
    def keras_name(self) -> str | None:
        return None

    def attribute(self, name: str) -> Value:  # type: ignore[override]
        assert self.index is not None
        return self.index.member(self, name)


@dataclass(eq=False)
class ModuleRecord:
    """One module of the project as read: its tree and, once its top level ran, the names it binds."""

    path: str
    display: str
    status: tuple[int, int]
    tree: ast.Module | None  # None: unreadable or does not parse
    text: str = ""
    digest: str = ""  # of the bytes read: what an importer's cached findings depend on
    imports: list[str] | None = None  # the project modules its top level imports (paths)
    names: _ForeignNames | None = None
    unknown_names: frozenset[str] = frozenset()
    cyclic: bool = False
    height: int | None = None
    # What a name the module does not bind resolves to through its star imports of Keras modules.
    star_lookup: Callable[[str], Value] | None = None
    # (rule code, position) of the findings the module's own analysis makes (computed by rnnlint/api.py on demand).
    own_findings: set[tuple] | None = None


class _ForeignNames(dict):
    """A module's top-level names, as seen from the code of an importer: reads are handed-out copies.

    Scope.lookup reads `scope.names[name]`: a function of an imported module that reads
    a global of its module, run by the importer's inlining, gets the importer's copy.
    """

    def __init__(self, names: dict[str, Value], index: ProjectIndex) -> None:
        super().__init__(names)
        self.index = index

    def __getitem__(self, name: str) -> Value:
        return self.index.hand_out(dict.__getitem__(self, name))


class ProjectIndex:
    """Resolves a file's project imports to values, reading each module at most once per process."""

    def __init__(self, files: ProjectFiles | None = None, target_keras: int = 3) -> None:
        self.files = files or ProjectFiles()
        self.target_keras = target_keras
        self.records: dict[str, ModuleRecord] = {}
        self._in_progress: list[str] = []
        # Per analysed file: copies handed out (by id of the original), modules read, statuses checked.
        self._handed: dict[int, Value] = {}
        self.read: dict[str, ModuleRecord] = {}
        self._checked: set[str] = set()

    # --- per analysed file ------------------------------------------------------------------
    def begin(self, filename: str | None) -> FileContext:
        """Start analysing `filename` (the path on disk; None for text with no file)."""
        self._handed = {}
        self.read = {}
        self._checked = set()
        path = os.path.abspath(filename) if filename else None
        return self.context(path)

    def context(self, path: str | None) -> FileContext:
        return FileContext(self, path, self.files.search_roots(path))

    @contextmanager
    def aside(self) -> Iterator[None]:
        """Analyse another module in the middle of a file: the file's copies and dependencies are kept
        (the modules read meanwhile count as the file's dependencies too)."""
        handed, read, checked = self._handed, self.read, self._checked
        try:
            yield
        finally:
            read.update(self.read)
            self._handed, self.read, self._checked = handed, read, checked

    def find(self, roots: tuple[str, ...], dotted: str) -> str | None:
        return self.files.find(roots, dotted)

    # --- module values ----------------------------------------------------------------------------
    def module_ref(self, dotted: str, path: str) -> ModuleRef:
        return ModuleRef(dotted, path=path, index=self)

    def member(self, module: ModuleRef, name: str) -> Value:
        """`module.name`: a submodule of the package, else a top-level name of the module, else unknown.

        The submodule first: `from pkg import config` inside the package then needs only
        `pkg/config.py`, not `pkg/__init__.py` (which often imports the module asking: a cycle
        Python resolves, and this analysis would not).  An `__init__.py` that binds a name of
        one of its submodules to something else is rare enough to read wrong.
        """
        package = os.path.dirname(module.path) if module.path.endswith("__init__.py") else module.path
        if not package.endswith(".py"):
            sub = self.files.module_file(os.path.join(package, name))
            if sub is not None:
                return self.module_ref(f"{module.qualified}.{name}", sub)
        if module.path.endswith(".py"):
            names = self.names_of(module.path)
            if names is not None and name in names:
                return names[name]
            record = self.records.get(module.path)
            if names is not None and record is not None and record.star_lookup is not None:
                return record.star_lookup(name)  # `from keras.layers import *` in that module: its layer classes
        return UNKNOWN

    def names_of(self, path: str) -> _ForeignNames | None:
        """The names the module at `path` binds at its top level, or None when it stays unknown."""
        record = self.record(path)
        if record is None or record.tree is None:
            return None
        if path in self._in_progress:
            return None  # imported back while its own top level runs (a lazy import in a cycle)
        self.heights(record)
        if record.cyclic or (record.height or 0) > MAX_IMPORT_DEPTH:
            return None
        if record.names is None:
            self._run_top_level(record)
        return record.names

    def _run_top_level(self, record: ModuleRecord) -> None:
        from rnnlint.analysis.interpret import Frame, Interpreter, Scope, _declared_global

        assert record.tree is not None
        interpreter = Interpreter(record.tree, self.target_keras, project=self.context(record.path))
        module = Scope()
        self._in_progress.append(record.path)
        try:
            interpreter.exec_block(record.tree.body, module, Frame())
        finally:
            self._in_progress.pop()
        rebound = {name for name, count in module.bindings.items() if count > 1}
        module.unstable = frozenset(rebound | _declared_global(record.tree.body))
        # Names a function rebinds (`global X`) may hold anything when an importer reads them.
        globals_ = _declared_global(record.tree.body)
        names = {name: (UNKNOWN if name in globals_ else value) for name, value in module.names.items()}
        if module.opaque_star_import:
            record.unknown_names = frozenset({"*"})
        record.star_lookup = module.star_lookup
        foreign = _ForeignNames(names, self)
        module.names = foreign  # the module's own functions read their globals through it too
        record.names = foreign

    def hand_out(self, value: Value) -> Value:
        """What the importer gets for a value of another module: a copy of anything it could change.

        While a module's top level runs (to learn its names), the values it imports stay the
        originals: a name re-exported by several modules is one object, as in Python."""
        if isinstance(value, (Const, Ref, Function, ClassValue)) or value is UNKNOWN or self._in_progress:
            return value
        known = self._handed.get(id(value))
        if known is not None:
            return known
        handed: Value
        if isinstance(value, Layer):
            handed = copy.copy(value)
            handed.calls = []
            handed.bound_names = set()
            handed.escaped = True  # other modules may call it: its calls are never all known here
            handed.all_calls_seen = lambda: False
        elif isinstance(value, Instance):
            handed = self._handed[id(value)] = Instance(value.cls, {}, value.volatile)  # first: attributes may lead back to it
            handed.attrs.update({k: self.hand_out(v) for k, v in value.attrs.items()})
        elif isinstance(value, Sequence):
            handed = Sequence(tuple(self.hand_out(item) for item in value.items))
        elif isinstance(value, SequentialModel):
            handed = UNKNOWN  # its stack is simulated where it was built; another module adding to it is not followed
        else:
            handed = value  # tensors and outputs: immutable
        self._handed[id(value)] = handed
        return handed

    # --- reading modules ----------------------------------------------------------------------------
    def record(self, path: str) -> ModuleRecord | None:
        """The module at `path`, read and parsed (again only if its file changed since)."""
        record = self.records.get(path)
        if record is not None and path in self._checked:
            self.read[path] = record
            return record
        try:
            status = os.stat(path)
        except OSError:
            return None
        key = (status.st_size, status.st_mtime_ns)
        if record is not None and record.status != key:
            self.records.clear()  # a module changed under a long-lived process: every summary may depend on it
            record = None
        if record is None:
            record = self._read(path, key)
            self.records[path] = record
        self._checked.add(path)
        self.read[path] = record
        return record

    def _read(self, path: str, status: tuple[int, int]) -> ModuleRecord:
        from rnnlint.sources.python import SourceError, SourceText

        display = self.display_path(path)
        digest = ""
        try:
            with open(path, "rb") as handle:
                data = handle.read()
            digest = content_digest(data)
            text = SourceText.from_bytes(data).text
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text, filename=path)
        except (OSError, SourceError, SyntaxError, ValueError, RecursionError, MemoryError):
            return ModuleRecord(path, display, status, None, digest=digest)
        record = ModuleRecord(path, display, status, tree, text, digest)
        for node in ast.walk(tree):
            setattr(node, ORIGIN, record)
        return record

    def display_path(self, path: str) -> str:
        root = self.files.marker_root(os.path.dirname(path)) or os.getcwd()
        try:
            relative = os.path.relpath(path, root)
        except ValueError:  # another drive (Windows)
            relative = path
        return relative.replace(os.sep, "/")

    # --- the import graph: cycles and depth ---------------------------------------------------------
    def imports_of(self, record: ModuleRecord) -> list[str]:
        """The project modules the module's top level imports (not its functions': those run later)."""
        if record.imports is None:
            context = self.context(record.path)
            found: list[str] = []
            for statement in _top_level_imports(record.tree.body if record.tree else []):
                for target in context.targets(statement):
                    if target not in found and target.endswith(".py"):
                        found.append(target)
            record.imports = found
        return record.imports

    def heights(self, start: ModuleRecord) -> None:
        """Mark the modules reachable from `start` that sit in an import cycle, and each one's import depth (Tarjan)."""
        if start.height is not None or start.cyclic:
            return
        counter = [0]
        number: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()

        def visit(path: str) -> None:
            record = self.record(path)
            number[path] = low[path] = counter[0]
            counter[0] += 1
            stack.append(path)
            on_stack.add(path)
            targets = self.imports_of(record) if record is not None else []
            for target in targets:
                known = self.records.get(target)
                if known is not None and (known.height is not None or known.cyclic):
                    continue
                if target not in number:
                    visit(target)
                    low[path] = min(low[path], low[target])
                elif target in on_stack:
                    low[path] = min(low[path], number[target])
            if low[path] == number[path]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == path:
                        break
                cyclic = len(component) > 1 or path in targets
                for member in component:
                    member_record = self.records.get(member)
                    if member_record is None:
                        continue
                    member_record.cyclic = cyclic
                    if not cyclic:
                        below = [self.records[t] for t in targets if t in self.records]
                        member_record.height = 1 + max((b.height or 0 for b in below if not b.cyclic), default=-1)

        visit(start.path)


@dataclass
class FileContext:
    """The index as one module sees it: its path and the roots its absolute imports search."""

    index: ProjectIndex
    path: str | None
    roots: tuple[str, ...]

    def targets(self, statement: ast.Import | ast.ImportFrom) -> list[str]:
        """The project modules a statement imports (for the import graph)."""
        found = []
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                target = self.index.find(self.roots, alias.name)
                if target is not None:
                    found.append(target)
            return found
        module = self.module_of(statement)
        if module is None:
            return found
        path = module[1]
        package = os.path.dirname(path) if path.endswith("__init__.py") else path
        for alias in statement.names:
            # A submodule is all `from pkg import sub` needs (see ProjectIndex.member).
            sub = self.index.files.module_file(os.path.join(package, alias.name)) if not package.endswith(".py") and alias.name != "*" else None
            if sub is not None:
                found.append(sub)
            elif path not in found:
                found.append(path)
        return found

    def module_of(self, statement: ast.ImportFrom) -> tuple[str, str] | None:
        """(dotted name, path) of the project module a `from ... import` statement reads, if it is one."""
        if statement.level:
            if self.path is None:
                return None
            path = self.index.files.find_relative(self.path, statement.level, statement.module)
            dotted = "." * statement.level + (statement.module or "")
        else:
            path = self.index.find(self.roots, statement.module or "")
            dotted = statement.module or ""
        return (dotted, path) if path is not None else None

    # --- the interpreter's hooks ---------------------------------------------------------------
    def bind_import(self, alias: ast.alias, scope: object) -> bool:
        """`import pkg.mod [as m]`: bind it if `pkg.mod` is a project module; False to leave it to the interpreter."""
        path = self.index.find(self.roots, alias.name)
        if path is None:
            return False
        if alias.asname:
            scope.set(alias.asname, self.index.module_ref(alias.name, path))  # type: ignore[attr-defined]
            return True
        top = alias.name.split(".")[0]
        top_path = self.index.find(self.roots, top)
        if top_path is None:
            return False
        scope.set(top, self.index.module_ref(top, top_path))  # type: ignore[attr-defined]
        return True

    def bind_from(self, statement: ast.ImportFrom, scope: object) -> bool:
        """`from pkg.mod import a, b as c` / `from . import x` / `from .mod import *`: bind the names if
        the module is the project's; False to leave the statement to the interpreter."""
        module = self.module_of(statement)
        if module is None:
            return False
        ref = self.index.module_ref(*module)
        for alias in statement.names:
            if alias.name == "*":
                self._bind_star(ref, scope)
            else:
                scope.set(alias.asname or alias.name, self.index.member(ref, alias.name))  # type: ignore[attr-defined]
        return True

    def _bind_star(self, ref: ModuleRef, scope: object) -> None:
        names = self.index.names_of(ref.path) if ref.path.endswith(".py") else None
        record = self.index.records.get(ref.path)
        if names is None or record is None or record.unknown_names:
            scope.opaque_star_import = True  # type: ignore[attr-defined]
            return
        exported = _all_names(record.tree) if record.tree is not None else None
        for name in exported if exported is not None else [n for n in names if not n.startswith("_")]:
            # (not names.get: dict.get would bypass the copy _ForeignNames.__getitem__ hands out)
            scope.set(name, names[name] if name in names else UNKNOWN)  # type: ignore[attr-defined]  # noqa: SIM401


def content_digest(data: bytes) -> str:
    """What the persistent cache compares a module read for an importer against (rnnlint/cache.py)."""
    import hashlib

    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _top_level_imports(body: list[ast.stmt]) -> Iterable[ast.Import | ast.ImportFrom]:
    """Import statements run when the module is imported: at top level, in if/try/with blocks and class bodies."""
    for statement in body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            yield statement
        elif not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(statement, name, None)
                if isinstance(inner, list):
                    yield from _top_level_imports(inner)
            for part in getattr(statement, "handlers", []) + getattr(statement, "cases", []):
                yield from _top_level_imports(part.body)


def _all_names(tree: ast.Module) -> list[str] | None:
    """The module's `__all__` when it is one literal list or tuple of strings."""
    for statement in tree.body:
        if (
            isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in statement.targets)
            and isinstance(statement.value, (ast.List, ast.Tuple))
            and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in statement.value.elts)
        ):
            return [e.value for e in statement.value.elts]  # type: ignore[union-attr]
    return None
