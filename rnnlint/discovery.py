"""Which files a run looks at: the paths given, directories walked, excludes and .gitignore applied."""

from __future__ import annotations

import os
import stat
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


def is_named_source(path: str) -> bool:
    """Whether a file named on the command line is one to lint: a Python file or notebook by its suffix
    (.pyw too), a file without a suffix (a script), or one whose first line is a Python shebang.
    `rnnlint pyproject.toml` is not: parsing TOML as Python would only report a syntax error."""
    suffix = os.path.splitext(path)[1].lower()
    if not suffix or suffix in SOURCE_SUFFIXES or suffix == ".pyw":
        return True
    try:
        with open(path, "rb") as handle:
            first = handle.readline(200)
    except OSError:
        return True  # the reader says why it cannot be read
    return first.startswith(b"#!") and b"python" in first


def discover(
    paths: Iterable[str | Path],
    *,
    suffixes: tuple[str, ...] = SOURCE_SUFFIXES,
    respect_gitignore: bool = True,
    exclude: Iterable[str] = (),
    exclude_root: str | Path | None = None,
    default_excludes: frozenset[str] = DEFAULT_EXCLUDES,
) -> Iterator[str]:
    """Yield files to lint, each once, in a stable order.

    A file named explicitly is always linted; files found by walking a directory
    are filtered by suffix, the default excludes, `exclude` patterns and .gitignore.
    `exclude` patterns match paths relative to `exclude_root` (the configuration's
    directory; the walked directory by default); `default_excludes` are directory
    names always skipped (a configuration's `exclude` replaces them, as in ruff).
    A path that does not exist is yielded as is so the caller reports it; so are,
    in a walk, broken symlinks and symlink loops named like source files.  FIFOs,
    sockets and devices met in a walk are skipped: reading one could block forever.
    A symlink to a directory is followed only when its target lies inside the
    walked directory, after the real directories (a file reachable both ways is
    named by its real path), and no directory is walked twice: a link to `/` or
    to `..` does not make a walk lint the machine.
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
        root = Path(os.path.abspath(exclude_root)) if exclude_root is not None else None
        listed = _from_git(path, suffixes, exclude_spec, root or path, default_excludes) if respect_gitignore else None
        walked = listed if listed is not None else _walk(path, suffixes, ignores, exclude_spec, root or path, default_excludes)
        for found in walked:
            key = os.path.normpath(found)
            if key not in seen:
                seen.add(key)
                yield found


def _from_git(directory: Path, suffixes, exclude_spec, root: Path, default_excludes) -> list[str] | None:
    """The walk's answer from git's index where git can give it (rnnlint.gitfiles), else None."""
    from rnnlint.gitfiles import git_walk

    return git_walk(directory, suffixes, exclude_spec, root, default_excludes)


def _walk(directory: Path, suffixes, ignores, exclude_spec, root: Path, default_excludes=DEFAULT_EXCLUDES) -> Iterator[str]:
    # Strings, not Paths: this runs once per entry of the tree, and pathlib's parsing shows in a warm run.
    visited: set[tuple[int, int]] = set()
    absolute_root = root.is_absolute()
    tree = os.path.join(os.path.realpath(directory), "")  # with its separator: "/a/b/" does not hold "/a/bc"
    # Walking `.` names files `model.py`, not `./model.py` (as ruff and git print them).
    stack = [str(directory)]
    links: list[str] = []  # directory symlinks into the tree, walked once the real directories are
    while stack or links:
        if not stack:
            stack.append(links.pop(0))
        current = stack.pop()
        try:
            stat = os.stat(current)
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
        # The .gitignore files that apply here, gathered once for the whole directory.
        specs = ignores.specs_above(current) if ignores is not None else None
        subdirs: list[str] = []
        prefix = "" if current == os.curdir else os.path.join(current, "")
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:  # a symlink loop (or the entry vanished): the reader reports it
                is_dir = False
            if entry.name in default_excludes and is_dir:
                continue
            if exclude_spec is not None:  # (a relpath per entry costs more than the rest of the walk)
                relative = os.path.relpath(os.path.abspath(entry.path) if absolute_root else entry.path, root)
                if exclude_spec.match_file(relative + ("/" if is_dir else "")):
                    continue
            if specs and _GitIgnores.matches(specs, entry.path, is_dir):
                continue
            if is_dir and entry.is_symlink():
                if _inside(entry.path, tree):
                    links.append(prefix + entry.name)
            elif is_dir:
                subdirs.append(prefix + entry.name)
            elif entry.name.endswith(suffixes) and _readable_kind(entry):
                yield prefix + entry.name
        stack.extend(reversed(subdirs))


def _inside(link: str, tree: str) -> bool:
    """Whether the directory `link` resolves to lies in `tree` (a real path ending with its separator)."""
    target = os.path.join(os.path.realpath(link), "")
    return target.startswith(tree)


def _readable_kind(entry: os.DirEntry) -> bool:
    """A regular file, or a path whose reading fails with a message (a broken link, a loop); not a FIFO,
    socket or device."""
    try:
        return entry.is_file() or stat.S_ISREG(entry.stat().st_mode)
    except OSError:
        return True


def _compile(patterns: list[str]):
    """A gitignore-style spec whose matching time is linear in the path (rnnlint.linear_match): a
    `.gitignore` line or a per-file-ignores key from a pull request must not hang the run."""
    import pathspec

    from rnnlint.linear_match import collapse_stars, linearise

    spec = pathspec.GitIgnoreSpec.from_lines([collapse_stars(pattern) for pattern in patterns])
    linearise(spec)
    return spec


def pattern_error(pattern: str) -> str | None:
    """Why a gitignore-style pattern is invalid (`!` alone, a bad range like `[z-a]`), or None."""
    import re

    try:
        _compile([pattern])
    except (ValueError, re.error) as error:
        return str(error)
    return None


def _compile_leniently(lines: list[str]):
    """A .gitignore's patterns, skipping the ones that do not parse (as git does) instead of failing the run."""
    import re

    try:
        return _compile(lines)
    except (ValueError, re.error):
        return _compile([line for line in lines if pattern_error(line) is None])


class _GitIgnores:
    """The .gitignore files between the walk's root (and its repository root) and each path."""

    def __init__(self, start: Path) -> None:
        self.cache: dict[Path, object | None] = {}
        self.chains: dict[str, list[tuple[Path, object]]] = {}
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
                spec = _compile_leniently(lines)
            self.cache[directory] = spec
        return self.cache[directory]

    @staticmethod
    def matches(specs: list[tuple[Path, object]], path: str, is_dir: bool) -> bool:
        """Whether `specs` (the chain above the path's directory, outermost first) ignore the path: as in
        git, the deepest .gitignore with a pattern matching it decides, so `!keep.py` below undoes `*.py` above."""
        if not specs:  # the common case: no .gitignore on the way, nothing to match
            return False
        resolved = os.path.abspath(path)
        for directory, spec in reversed(specs):
            rel = os.path.relpath(resolved, directory) + ("/" if is_dir else "")
            include = spec.check_file(rel).include  # type: ignore[attr-defined]
            if include is not None:
                return include
        return False

    def specs_above(self, parent: str) -> list[tuple[Path, object]]:
        """The .gitignore specs from the repository root down to `parent`, gathered once per directory."""
        specs = self.chains.get(parent)
        if specs is None:
            specs = []
            try:
                relative_to_repo = Path(parent).absolute().relative_to(self.repo_root)
            except ValueError:
                self.chains[parent] = specs
                return specs
            directory = self.repo_root
            for part in relative_to_repo.parts + ("",):
                spec = self.spec(directory)
                if spec is not None:
                    specs.append((directory, spec))
                if part:
                    directory = directory / part
            self.chains[parent] = specs
        return specs
