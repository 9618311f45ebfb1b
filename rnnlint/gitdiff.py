"""Which lines changed since a git revision: the changed-lines gate (--diff-base).

Merge-base semantics, as `git diff REV...`: the lines a branch added or changed
since it left REV, not the changes REV gained meanwhile.  The diff runs from the
merge base to the working tree, so its line numbers are those of the files
being linted (in CI the working tree is the commit, and this is exactly
`git diff REV...HEAD`); renamed files are followed (-M), and files git does not
track yet count as changed throughout.

What counts as a changed line must not depend on anyone's git configuration (a
pull request can commit a `.gitattributes`; a developer has their own
`~/.gitconfig`): no external diff, no textconv filter, no binary attribute
hiding a file's lines, no hunks merged across unchanged lines, no pager.  A
changed submodule is followed into: its own diff since the commit the base
recorded (a submodule added since counts as changed throughout); when that
commit is not there to compare with, one line says the submodule is not gated.
"""

from __future__ import annotations

import codecs
import os
import re
import subprocess
from dataclasses import dataclass, field

from rnnlint.diagnostics import Diagnostic, Location

_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class GitError(Exception):
    """git cannot answer (not a checkout, unknown revision, git missing): one line, exit code 2."""


# Environment variables through which git would run someone else's program or options.
_UNSET = ("GIT_EXTERNAL_DIFF", "GIT_DIFF_OPTS", "GIT_PAGER", "PAGER", "GIT_CONFIG_PARAMETERS")
# Configuration that changes which lines a diff marks changed, set back to git's defaults.
_NEUTRAL_CONFIG = (
    "core.quotePath=true",
    "diff.interHunkContext=0",
    "diff.noprefix=false",
    "diff.mnemonicPrefix=false",
    "diff.relative=false",
    "diff.ignoreSubmodules=none",
    "diff.submodule=short",
    "color.ui=false",
)
SUBMODULE_DEPTH = 8


def _git(arguments: list[str], cwd: str) -> str:
    environment = {key: value for key, value in os.environ.items() if key not in _UNSET}
    environment.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_PAGER="cat")
    try:
        completed = subprocess.run(
            ["git", "--no-pager", *arguments],
            cwd=cwd,
            capture_output=True,
            check=False,
            env=environment,
        )
    except FileNotFoundError:
        raise GitError("git is not installed (needed by --diff-base)") from None
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"git {arguments[0]} failed")
    return completed.stdout.decode("utf-8", "surrogateescape")


def toplevel(cwd: str = ".") -> str | None:
    """The root of the git checkout holding `cwd`, or None outside one (or without git)."""
    try:
        return os.path.realpath(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    except GitError:
        return None


@dataclass
class ChangedLines:
    """Per file (real absolute path): rows added or changed, and where lines were deleted."""

    root: str
    added: dict[str, set[int]] = field(default_factory=dict)
    # Row r here means lines were deleted between rows r and r + 1 of the new file.
    deletions: dict[str, set[int]] = field(default_factory=dict)
    untracked: set[str] = field(default_factory=set)
    # Submodules added since the base: every file in them is new.
    new_trees: set[str] = field(default_factory=set)
    # Submodules whose changes could not be read: one line each for the user.
    notes: list[str] = field(default_factory=list)

    def touches(self, diagnostic: Diagnostic) -> bool:
        """Whether the finding's span, the construction its fix would edit, or a producer in another
        module of the project (`related`), covers a changed line.

        The fix's edits count because a finding is often caused away from where it
        is reported: removing `return_sequences=True` from a layer breaks the
        consumer some lines below, and the change that did it is the construction.
        """
        path = os.path.realpath(diagnostic.filename)
        if path in self.untracked or any(path.startswith(tree + os.sep) for tree in self.new_trees):
            return True
        if diagnostic.cell is not None:
            # Rows in a notebook cell are not rows of the file's JSON: any change to the notebook counts.
            return bool(self.added.get(path) or self.deletions.get(path))
        spans = [(diagnostic.location, diagnostic.end_location)]
        if diagnostic.fix is not None:
            spans.extend((edit.location, edit.end_location) for edit in diagnostic.fix.edits)
        if any(self._span_touches(path, start, end) for start, end in spans):
            return True
        # A producer in another module of the project (a helper that builds the layer) changed.
        return any(self._related_touches(related) for related in diagnostic.extra.get("related", ()))

    def _related_touches(self, related: dict) -> bool:
        try:
            path = os.path.realpath(related["filename"])
            start, end = Location(int(related["row"]), 1), Location(int(related["end_row"]), 2)
        except (KeyError, TypeError, ValueError):
            return False
        return path in self.untracked or self._span_touches(path, start, end)

    def _span_touches(self, path: str, start: Location, end: Location) -> bool:
        first, last = start.row, end.row
        if last > first and end.column == 1:
            last -= 1  # the span ends at the very start of its last row
        if any(first <= row <= last for row in self.added.get(path, ())):
            return True
        return any(first <= row < last for row in self.deletions.get(path, ()))

    def is_inside(self, filename: str) -> bool:
        path = os.path.realpath(filename)
        return path == self.root or path.startswith(self.root.rstrip(os.sep) + os.sep)


def changed_lines(revision: str, cwd: str = ".") -> ChangedLines:
    root = toplevel(cwd)
    if root is None:
        raise GitError(f"--diff-base needs a git checkout, and {os.path.abspath(cwd)} is not inside one")
    try:
        _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"], root)
    except GitError:
        raise GitError(f"--diff-base: unknown revision {revision!r} in {root} (fetch it first?)") from None
    try:
        base = _git(["merge-base", revision, "HEAD"], root).strip()
    except GitError:
        raise GitError(f"--diff-base: {revision!r} and HEAD have no common ancestor in {root}") from None
    changes = ChangedLines(root)
    _collect(changes, root, base, root, depth=0)
    return changes


def _diff(base: str, checkout: str) -> str:
    """The working tree's changes since `base`, as git's defaults (not anyone's configuration) see them."""
    neutral = [argument for setting in _NEUTRAL_CONFIG for argument in ("-c", setting)]
    return _git(
        [
            *neutral,
            "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--text", "--no-relative", "--unified=0",
            "--inter-hunk-context=0", "--find-renames", "--ignore-submodules=none", "--submodule=short",
            "--src-prefix=a/", "--dst-prefix=b/", base, "--",
        ],
        checkout,
    )  # fmt: skip


def _collect(changes: ChangedLines, checkout: str, base: str, top: str, depth: int) -> None:
    """Add `checkout`'s changes since `base` (and its untracked files), then those of its changed submodules."""
    submodules: dict[str, str | None] = {}
    _parse_into(changes, _diff(base, checkout), checkout, submodules)
    others = _git(["ls-files", "--others", "--exclude-standard", "-z"], checkout)
    changes.untracked.update(os.path.realpath(os.path.join(checkout, name)) for name in others.split("\0") if name)
    for path, recorded in sorted(submodules.items()):
        shown = os.path.relpath(path, top)
        if recorded is None:  # added since the base: all of it is new
            changes.new_trees.add(path)
            continue
        if not os.path.isdir(path) or depth >= SUBMODULE_DEPTH:
            changes.notes.append(f"--diff-base: submodule {shown} changed, and its files are not gated (not checked out)")
            continue
        try:
            _collect(changes, path, recorded, top, depth + 1)
        except GitError as error:
            changes.notes.append(f"--diff-base: submodule {shown} changed, and its files are not gated ({error})")


def parse_diff(diff: str, root: str) -> ChangedLines:
    """Read a `git diff --unified=0` patch: for each new-side file, its added rows and deletion points."""
    changes = ChangedLines(root)
    _parse_into(changes, diff, root, {})
    return changes


_SUBPROJECT = re.compile(r"^([-+])Subproject commit ([0-9a-f]{40,64})")


def _parse_into(changes: ChangedLines, diff: str, root: str, submodules: dict[str, str | None]) -> None:
    """Parse a patch into `changes`; a submodule's lines (`-Subproject commit X`) go to `submodules`:
    its path and the commit the base recorded (None for a submodule added since).

    A hunk's body is consumed by the counts in its header, so an added line that reads like a header
    (`++ b/other.py` is valid Python, and appears as `+++ b/other.py`) never switches files."""
    current: str | None = None
    gitlink = False
    old_left = new_left = 0  # lines of the current hunk's body still to come
    for line in diff.split("\n"):  # git ends lines with \n only; str.splitlines would also split at \f
        if old_left > 0 or new_left > 0:
            sign = line[:1]
            if sign in ("-", " "):
                old_left -= 1
            if sign in ("+", " "):
                new_left -= 1
            if gitlink and current is not None and (subproject := _SUBPROJECT.match(line)):
                if subproject.group(1) == "-":
                    submodules[current] = subproject.group(2)
                else:
                    submodules.setdefault(current, None)
            continue
        if line.startswith("diff --git "):
            current, gitlink = None, False
        elif line.startswith(("index ", "new file mode ", "deleted file mode ")) and line.endswith(" 160000"):
            gitlink = True  # a submodule's recorded commit
        elif line.startswith("+++ "):
            name = _unquote(line[4:])
            current = os.path.realpath(os.path.join(root, name[2:])) if name.startswith("b/") else None
        elif line.startswith("@@") and current is not None:
            match = _HUNK.match(line)
            if match is None:
                continue
            old_left, new_left = int(match.group(1) or 1), int(match.group(3) or 1)
            start, count = int(match.group(2)), new_left
            if count:
                changes.added.setdefault(current, set()).update(range(start, start + count))
            else:  # a pure deletion; `start` is the row before it
                changes.deletions.setdefault(current, set()).add(start)


def _unquote(name: str) -> str:
    """git's C-style quoting of unusual paths ("b/na\\303\\257ve.py") undone."""
    name = name.rstrip("\t")
    if not (name.startswith('"') and name.endswith('"')):
        return name
    raw = codecs.escape_decode(name[1:-1].encode("utf-8", "surrogateescape"))[0]
    return raw.decode("utf-8", "surrogateescape")
