"""Write a fixed file back: atomically, only if it did not change meanwhile, never outside the linted tree.

The new content goes to a temporary file in the target's own directory (same
file system, so the rename is atomic), takes the original's mode bits, and
replaces the original with `os.replace`: a reader sees the old file or the new
one, never half of one, even when rnnlint is killed mid-write.  A kill can leave
the temporary file behind (`.NAME.PID.XXXXXXXX.rnnlint-tmp`, PID being the
writer's); the next run that writes NAME removes those whose writer is gone.
A symlink is written through (the link stays a link), but only when its target
lies inside the tree being linted.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile

TEMPORARY_SUFFIX = ".rnnlint-tmp"


class WriteRefused(Exception):
    """Why a file was not written: one line, shown to the user; the run goes on."""


def inside(path: str, root: str) -> bool:
    """Whether `path`, symlinks resolved, lies under `root` (symlinks resolved)."""
    real, real_root = os.path.realpath(path), os.path.realpath(root)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def write_if_unchanged(path: str, original: bytes, new: bytes, *, root: str | None = None) -> None:
    """Replace the content of `path` (read earlier as `original`) by `new`, or raise WriteRefused."""
    target = os.path.realpath(path)
    if root is not None and not inside(path, root):
        raise WriteRefused(f"not written: it is a symlink to {target}, outside the linted tree {root}")
    try:
        with open(target, "rb") as handle:
            current = handle.read()
        status = os.stat(target)
    except OSError as error:
        raise WriteRefused(f"not written: cannot read it back: {error.strerror or error}") from None
    if current != original:
        raise WriteRefused("not written: the file changed on disk since it was read")
    # Replacing a file needs only its directory to be writable: a file its owner made read-only
    # would be replaced all the same, so it is refused here, as an editor would refuse it.
    if not os.access(target, os.W_OK):
        raise WriteRefused("not written: the file is read-only")
    directory, name = os.path.split(target)
    _remove_abandoned_temporaries(directory, name)
    try:
        prefix = f".{name}.{os.getpid()}."
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=TEMPORARY_SUFFIX)
    except OSError as error:
        raise WriteRefused(f"not written: cannot create a temporary file: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(new)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, stat.S_IMODE(status.st_mode))
        if hasattr(os, "chown"):
            try:
                os.chown(temporary, status.st_uid, status.st_gid)
            except OSError:
                pass  # only root may give a file away; the mode bits are what matter
        os.replace(temporary, target)
    except OSError as error:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise WriteRefused(f"not written: {error.strerror or error}") from None


def _remove_abandoned_temporaries(directory: str, name: str) -> None:
    """Delete the temporary files a killed run left for `name` (their writer process no longer exists)."""
    # mkstemp's names: the prefix, 8 random characters, the suffix.
    ours = re.compile(rf"\.{re.escape(name)}\.(\d+)\.[a-z0-9_]{{8}}{re.escape(TEMPORARY_SUFFIX)}")
    try:
        entries = [(e, m) for e in os.scandir(directory or os.curdir) if (m := ours.fullmatch(e.name))]
    except OSError:
        return
    for entry, match in entries:
        pid = int(match.group(1))
        if pid != os.getpid() and not _alive(pid):
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def _alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # os.kill(pid, 0) is no probe on Windows (signal 0 is CTRL_C_EVENT there)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else: keep its file
        return True
    return True
