"""The modules of rnnlint import one another downward only: the import graph has no cycle.

Every import counts, including those inside functions (a lazy import still
makes a circle a reader has to untangle) and those under `if TYPE_CHECKING:`
(which name what a module depends on).  Parsed with `ast`: nothing is imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "rnnlint"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, modules: set[str]) -> set[str]:
    """The rnnlint modules `path` imports, anywhere in it."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # `from rnnlint.sources import notebook` imports the module rnnlint.sources.notebook.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            # `import rnnlint.a.b` runs rnnlint.a.b; the packages on the way only hold their __init__.
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and target.startswith("rnnlint"):
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(path) for path in paths}
    return {module_name(path): imports(path, modules) for path in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for successor in sorted(graph.get(node, ())):
            if state.get(successor) == 1:
                return path[path.index(successor) :] + [successor]
            if successor not in state:
                cycle = visit(successor)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None




def test_the_import_graph_is_read_in_full():
    graph = import_graph()
    # Lazy (function-level) and TYPE_CHECKING imports count: these edges exist only as such.
    assert "rnnlint.analysis.interpret" in graph["rnnlint.api"]
    assert "rnnlint.suppress" in graph["rnnlint.api"]
    assert "rnnlint.sources.notebook" in graph["rnnlint.api"]  # `from rnnlint.sources import notebook`
    assert "rnnlint.api" in graph["rnnlint.runner"]


def test_the_modules_of_rnnlint_import_one_another_without_a_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_sources_only_convert():
    """rnnlint.sources turns bytes into analysable text and back: it uses no stage of the linter."""
    graph = import_graph()
    stages = {"rnnlint.api", "rnnlint.fix", "rnnlint.fixes", "rnnlint.suppress", "rnnlint.runner", "rnnlint.cli"}
    for module, targets in graph.items():
        if module.startswith("rnnlint.sources"):
            assert not targets & stages, module
            assert not any(t.startswith(("rnnlint.analysis", "rnnlint.rules")) for t in targets), module
