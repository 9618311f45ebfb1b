"""A walk's candidate files taken from git: the index and the untracked files `.gitignore` keeps.

In a git work tree, `git ls-files` already knows which files exist and which `.gitignore`
rules hide them; asking it costs a few milliseconds where matching every entry of a large
tree against nested ignore files costs most of a cold run.  The answer must equal the walk
(`rnnlint.discovery._walk`) file for file and in the same order, so this module only answers
when it can: whenever the listing holds something whose walk depends on more than names (a
nested repository or submodule with files, a symlink to a directory, a tracked file that is
now a directory) or git cannot be asked, it returns None and the caller walks as before.

git runs with a hardened environment: no system, global or XDG configuration and no GIT_*
variable of the caller (a pre-commit hook sets GIT_INDEX_FILE), no fsmonitor hook (a
repository's own configuration could name a program to run), case-sensitive matching, and
only the per-directory `.gitignore` files, which are what the walk reads (not
`.git/info/exclude` nor `core.excludesFile`).
"""

from __future__ import annotations

import os
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

_LINK_MODE = "120000"
_GITLINK_MODE = "160000"  # a submodule's commit
_TIMEOUT = 60.0  # seconds; a git that hangs (a dead network mount) must not hang the run
_COMMON = [
    "-c", "core.quotepath=off",
    "-c", "core.fsmonitor=false",
    "-c", "core.ignorecase=false",
    "-c", "core.untrackedCache=false",
    "ls-files", "-z",
]  # fmt: skip
_PER_DIRECTORY = "--exclude-per-directory=.gitignore"


def repository_root(directory: str | Path) -> str | None:
    """The nearest directory at or above `directory` holding a `.git` (a directory or a worktree's
    file), as the walk's .gitignore chain finds it; None outside any repository (git is not started)."""
    current = os.path.abspath(directory)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _same_place(directory: str, root: str) -> bool:
    """Whether git, which sees real paths, finds `directory` where the walk does: at the same place below
    the same repository. A path through a symlink to another repository (or out of this one) is walked."""
    lexical = os.path.relpath(os.path.abspath(directory), root)
    return os.path.relpath(os.path.realpath(directory), os.path.realpath(root)) == lexical


def git_environment(root: str) -> dict[str, str]:
    """The caller's environment without git's variables, with no configuration but the repository's,
    and discovery stopped above `root` so git answers for the repository the walk found or fails."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    environment.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        GIT_CEILING_DIRECTORIES=os.path.dirname(os.path.realpath(root)),
        XDG_CONFIG_HOME=os.devnull,  # its git/ignore and git/config
        LC_ALL="C",
    )
    return environment


def _list(directory: str, environment: dict[str, str]) -> tuple[bytes, bytes, bytes] | None:
    """The raw listings, asked concurrently: the index with modes, the untracked files not ignored,
    and the tracked files an ignore rule matches (the walk skips those; `--cached` alone lists them)."""
    commands = (
        ["git", *_COMMON, "--stage"],
        ["git", *_COMMON, "--others", _PER_DIRECTORY],
        ["git", *_COMMON, "--cached", "--ignored", _PER_DIRECTORY],
    )
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for command in commands:
            processes.append(
                subprocess.Popen(
                    command,
                    cwd=directory,
                    env=environment,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            )
        outputs = []
        deadline = time.monotonic() + _TIMEOUT
        for process in processes:
            output, _ = process.communicate(timeout=max(0.0, deadline - time.monotonic()))
            if process.returncode != 0:
                return None
            outputs.append(output)
    except (OSError, ValueError, subprocess.SubprocessError):  # git missing, not runnable, or hung
        return None
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return outputs[0], outputs[1], outputs[2]


def _names(output: bytes) -> list[str]:
    return [os.fsdecode(name) for name in output.split(b"\0") if name]


def listing(directory: str) -> dict[str, str] | None:
    """The files under `directory` that git tracks or would add, relative to it with `/`, each with its
    index mode ("" for an untracked file; an untracked nested repository is a name ending in `/`);
    None when there is no repository above, git is missing or fails."""
    root = repository_root(directory)
    if root is None or not _same_place(directory, root):
        return None
    raw = _list(directory, git_environment(root))
    if raw is None:
        return None
    staged, others, ignored = raw
    entries: dict[str, str] = {}
    for line in staged.split(b"\0"):
        if line:
            meta, _, name = line.partition(b"\t")
            entries[os.fsdecode(name)] = os.fsdecode(meta.split(b" ", 1)[0])  # stages 1-3 of a conflict: one
    for name in _names(ignored):
        entries.pop(name, None)
    for name in _names(others):
        entries.setdefault(name, "")
    return entries


def git_walk(
    directory: Path,
    suffixes: tuple[str, ...],
    exclude_spec,  # a pathspec spec or None, as the walk takes it
    root: Path,
    default_excludes: frozenset[str],
) -> list[str] | None:
    """What `discovery._walk` would yield for the same arguments with .gitignore respected, from git's
    listing; None when only the walk can say (the caller then walks)."""
    base = str(directory)
    relative_base = _relative_base(base, root, exclude_spec)
    if ".git" not in default_excludes and _walk_finds_in_git_directory(base, suffixes, exclude_spec, relative_base):
        return None
    entries = listing(base)
    if entries is None:
        return None
    prefix = "" if base == os.curdir else os.path.join(base, "")
    skipped = _directory_filter(default_excludes, exclude_spec, relative_base)
    kept: list[str] = []
    for name, mode in entries.items():
        directory_part, _, file_name = name.rstrip("/").rpartition("/")
        if directory_part and skipped(directory_part):
            continue
        full = prefix + name.rstrip("/")
        if name.endswith("/") or mode == _GITLINK_MODE:  # a nested repository or a submodule
            if not skipped(name.rstrip("/")) and _has_entries(full):
                return None
            continue
        if not file_name.endswith(suffixes):
            if (mode in ("", _LINK_MODE)) and _is_directory_link(full) and not skipped(name):
                return None
            continue
        kind = _kind(full)
        if kind == "directory":
            if not skipped(name):
                return None
            continue
        if kind is None:
            continue
        if exclude_spec is not None and exclude_spec.match_file(_join(relative_base, name)):
            continue
        kept.append(name)
    kept.sort(key=_walk_order)
    if os.sep != "/":  # git names files with `/` everywhere; the walk with the system's separator
        return [prefix + name.replace("/", os.sep) for name in kept]
    return [prefix + name for name in kept]


def _relative_base(base: str, root: Path, exclude_spec) -> str:
    """The walked directory relative to the exclude root, computed as the walk computes each entry's."""
    if exclude_spec is None:
        return "."
    return os.path.relpath(os.path.abspath(base) if root.is_absolute() else base, root)


def _join(relative_base: str, name: str) -> str:
    return name if relative_base == "." else os.path.normpath(os.path.join(relative_base, name))


def _directory_filter(default_excludes: frozenset[str], exclude_spec, relative_base: str) -> Callable[[str], bool]:
    """Whether the walk would not enter a directory (relative to the walked one, `/`-separated): it or a
    directory above it is a default exclude by name or matches an exclude pattern. Cached per directory."""
    cache: dict[str, bool] = {}

    def skipped(directory: str) -> bool:
        answer = cache.get(directory)
        if answer is None:
            parent, _, name = directory.rpartition("/")
            answer = (
                (bool(parent) and skipped(parent))
                or name in default_excludes
                or (exclude_spec is not None and bool(exclude_spec.match_file(_join(relative_base, directory) + "/")))
            )
            cache[directory] = answer
        return answer

    return skipped


def _walk_finds_in_git_directory(base: str, suffixes: tuple[str, ...], exclude_spec, relative_base: str) -> bool:
    """Whether the walk, its default excludes replaced by a configuration's `exclude`, would yield a file
    from the repository's own `.git` directory (git never lists it) or follow a link out of it there."""
    git_directory = os.path.join(base, ".git")
    if not os.path.isdir(git_directory) or os.path.islink(git_directory):
        return os.path.islink(git_directory)
    if exclude_spec is not None and exclude_spec.match_file(_join(relative_base, ".git") + "/"):
        return False
    for current, subdirectories, files in os.walk(git_directory):
        if any(name.endswith(suffixes) for name in files):
            return True
        if any(os.path.islink(os.path.join(current, name)) for name in subdirectories):
            return True
    return False


def _has_entries(path: str) -> bool:
    """Whether a directory holds anything (a submodule never initialised is an empty directory)."""
    try:
        with os.scandir(path) as entries:
            return next(entries, None) is not None
    except OSError:
        return False


def _is_directory_link(path: str) -> bool:
    return os.path.islink(path) and os.path.isdir(path)


def _kind(path: str) -> str | None:
    """Whether the walk yields it ("file": a regular file, a link to one, a broken link or a loop, which
    the reader reports), enters it ("directory") or skips it (None: gone, a FIFO, a socket)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None  # tracked but deleted
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "directory"
    if not stat.S_ISLNK(mode):
        return None
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return "file"
    if stat.S_ISDIR(mode):
        return "directory"
    return "file" if stat.S_ISREG(mode) else None


def _walk_order(name: str) -> tuple[tuple[int, str], ...]:
    """The walk's order: a directory's files by name, then its subdirectories by name, depth first."""
    parts = name.split("/")
    return (*((1, part) for part in parts[:-1]), (0, parts[-1]))
