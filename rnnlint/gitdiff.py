"""Which lines changed since a git revision: the changed-lines gate (--diff-base).

Merge-base semantics, as `git diff REV...`: the lines a branch added or changed
since it left REV, not the changes REV gained meanwhile.  The diff runs from the
merge base to the working tree, so its line numbers are those of the files
being linted (in CI the working tree is the commit, and this is exactly
`git diff REV...HEAD`); renamed files are followed (-M), and files git does not
track yet count as changed throughout.
"""

from __future__ import annotations

import codecs
import os
import re
import subprocess
from dataclasses import dataclass, field

from rnnlint.diagnostics import Diagnostic, Location

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


class GitError(Exception):
    """git cannot answer (not a checkout, unknown revision, git missing): one line, exit code 2."""


def _git(arguments: list[str], cwd: str) -> str:
    try:
        completed = subprocess.run(
            ["git", *arguments],
            cwd=cwd,
            capture_output=True,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
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

    def touches(self, diagnostic: Diagnostic) -> bool:
        """Whether the finding's span, the construction its fix would edit, or a producer in another
        module of the project (`related`), covers a changed line.

        The fix's edits count because a finding is often caused away from where it
        is reported: removing `return_sequences=True` from a layer breaks the
        consumer some lines below, and the change that did it is the construction.
        """
        path = os.path.realpath(diagnostic.filename)
        if path in self.untracked:
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
    diff = _git(
        [
            "-c", "core.quotePath=true",
            "diff", "--no-color", "--no-ext-diff", "--no-relative", "--unified=0", "--find-renames",
            "--src-prefix=a/", "--dst-prefix=b/", base, "--",
        ],
        root,
    )  # fmt: skip
    changes = parse_diff(diff, root)
    others = _git(["ls-files", "--others", "--exclude-standard", "-z"], root)
    changes.untracked = {os.path.realpath(os.path.join(root, name)) for name in others.split("\0") if name}
    return changes


def parse_diff(diff: str, root: str) -> ChangedLines:
    """Read a `git diff --unified=0` patch: for each new-side file, its added rows and deletion points."""
    changes = ChangedLines(root)
    current: str | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            name = _unquote(line[4:])
            current = os.path.realpath(os.path.join(root, name[2:])) if name.startswith("b/") else None
        elif line.startswith("@@") and current is not None:
            match = _HUNK.match(line)
            if match is None:
                continue
            start, count = int(match.group(1)), int(match.group(2) or 1)
            if count:
                changes.added.setdefault(current, set()).update(range(start, start + count))
            else:  # a pure deletion; `start` is the row before it
                changes.deletions.setdefault(current, set()).add(start)
    return changes


def _unquote(name: str) -> str:
    """git's C-style quoting of unusual paths ("b/na\\303\\257ve.py") undone."""
    name = name.rstrip("\t")
    if not (name.startswith('"') and name.endswith('"')):
        return name
    raw = codecs.escape_decode(name[1:-1].encode("utf-8", "surrogateescape"))[0]
    return raw.decode("utf-8", "surrogateescape")
