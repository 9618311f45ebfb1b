"""Which files a run looks at: the paths given, directories walked, excludes and .gitignore applied."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

DEFAULT_EXCLUDES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".env",
        "env",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".rnnlint_cache",
        "__pycache__",
        "build",
        "dist",
        "site-packages",
        "node_modules",
        ".ipynb_checkpoints",
        ".eggs",
    }
)
SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")


def discover(
    paths: Iterable[str | Path],
    *,
    suffixes: tuple[str, ...] = SOURCE_SUFFIXES,
    respect_gitignore: bool = True,
    exclude: Iterable[str] = (),
) -> Iterator[str]:
    """Yield files to lint, each once, in a stable order.

    A file named explicitly is always linted; files found by walking a directory
    are filtered by suffix, the default excludes, `exclude` patterns and .gitignore.
    A path that does not exist is yielded as is so the caller reports it.
    """
    seen: set[str] = set()
    exclude_spec = _compile(list(exclude)) if exclude else None
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            key = os.path.normpath(str(path))
            if key not in seen:
                seen.add(key)
                yield str(path)
            continue
        ignores = _GitIgnores(path) if respect_gitignore else None
        for found in _walk(path, suffixes, ignores, exclude_spec, path):
            key = os.path.normpath(found)
            if key not in seen:
                seen.add(key)
                yield found


def _walk(directory: Path, suffixes, ignores, exclude_spec, root: Path) -> Iterator[str]:
    visited: set[tuple[int, int]] = set()
    stack = [directory]
    while stack:
        current = stack.pop()
        try:
            stat = current.stat()
        except OSError:
            continue
        identity = (stat.st_dev, stat.st_ino)
        if identity in visited:  # a symlink loop
            continue
        visited.add(identity)
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            continue
        subdirs: list[Path] = []
        for entry in entries:
            relative = os.path.relpath(entry.path, root)
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if entry.name in DEFAULT_EXCLUDES and is_dir:
                continue
            if exclude_spec is not None and exclude_spec.match_file(relative + ("/" if is_dir else "")):
                continue
            if ignores is not None and ignores.ignored(Path(entry.path), is_dir):
                continue
            if is_dir:
                subdirs.append(Path(entry.path))
            elif entry.name.endswith(suffixes):
                yield entry.path
        stack.extend(reversed(subdirs))


def _compile(patterns: list[str]):
    import pathspec

    return pathspec.PathSpec.from_lines("gitwildmatch", patterns)


class _GitIgnores:
    """The .gitignore files between the walk's root (and its repository root) and each path."""

    def __init__(self, start: Path) -> None:
        self.cache: dict[Path, object | None] = {}
        start = start.absolute()
        self.repo_root = next((p for p in [start, *start.parents] if (p / ".git").exists()), start)

    def spec(self, directory: Path):
        if directory not in self.cache:
            ignore_file = directory / ".gitignore"
            spec = None
            if ignore_file.is_file():
                try:
                    lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
                except OSError:
                    lines = []
                spec = _compile(lines)
            self.cache[directory] = spec
        return self.cache[directory]

    def ignored(self, path: Path, is_dir: bool) -> bool:
        try:
            resolved = path.absolute()
            relative_to_repo = resolved.relative_to(self.repo_root)
        except ValueError:
            return False
        directory = self.repo_root
        for part in relative_to_repo.parts[:-1] + ("",):
            spec = self.spec(directory)
            if spec is not None:
                rel = os.path.relpath(resolved, directory) + ("/" if is_dir else "")
                if spec.match_file(rel):  # type: ignore[attr-defined]
                    return True
            if part:
                directory = directory / part
        return False
