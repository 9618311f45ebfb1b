"""Write a fixed file back: atomically, only if it did not change meanwhile, never outside the linted tree.

The new content goes to a temporary file in the target's own directory (same
file system, so the rename is atomic), takes the original's owner, group, mode
bits (setuid/setgid included) and extended attributes (POSIX ACLs among them),
and replaces the original with `os.replace`: a reader sees the old file or the
new one, never half of one, even when rnnlint is killed mid-write.

What a replacement cannot keep is refused with one line rather than lost: a
file with several hard links (the new file would have one name, and the other
names would keep the old content), an owner or group that cannot be given to
the new file, mode bits or an extended attribute that cannot be set on it.
docs/write-back.md explains each choice.

The file is re-checked (size, modification time, content) immediately before
the rename: an edit another process made after rnnlint read the file is never
overwritten.  The temporary file is removed on any exception, Ctrl-C and
SIGTERM included; only SIGKILL can leave it behind
(`.NAME.PID.XXXXXXXX.rnnlint-tmp`, PID being the writer's), and the next run
that writes NAME removes those whose writer is gone.  A symlink is written
through (the link stays a link), but only when its target lies inside the tree
being linted.
"""

from __future__ import annotations

import os
import re
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

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
    status = _unchanged_status(target, original)
    if not writable(status):
        # Replacing a file needs only its directory to be writable: a file its owner made read-only
        # would be replaced all the same, so it is refused here, as an editor would refuse it.
        raise WriteRefused("not written: the file is read-only")
    if status.st_nlink > 1:
        raise WriteRefused(
            f"not written: it has {status.st_nlink} hard links, which replacing it would split "
            "(apply the fix with --diff and a patch instead)"
        )
    directory, name = os.path.split(target)
    _remove_abandoned_temporaries(directory, name)
    try:
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.{os.getpid()}.", suffix=TEMPORARY_SUFFIX)
    except OSError as error:
        raise WriteRefused(f"not written: cannot create a temporary file: {error.strerror or error}") from None
    with _removed_unless_renamed(temporary):
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(new)
                handle.flush()
                os.fsync(handle.fileno())
            _keep_attributes(target, temporary, status)
            _unchanged_status(target, original, status)  # as late as it can be: just before the rename
            os.replace(temporary, target)
        except OSError as error:
            raise WriteRefused(f"not written: {error.strerror or error}") from None


def writable(status: os.stat_result) -> bool:
    """Whether the file's mode bits let the process write it, decided from its owner and group.

    Not `os.access`: for root it always says yes, and a 0444 file would be
    replaced.  Root counts as the owner of every file.
    """
    mode = status.st_mode
    user = os.geteuid() if hasattr(os, "geteuid") else None
    if user is None:  # Windows: only the read-only attribute
        return bool(mode & stat.S_IWRITE)
    if user == 0 or user == status.st_uid:
        return bool(mode & stat.S_IWUSR)
    if status.st_gid == os.getegid() or status.st_gid in os.getgroups():
        return bool(mode & stat.S_IWGRP)
    return bool(mode & stat.S_IWOTH)


def _unchanged_status(target: str, original: bytes, earlier: os.stat_result | None = None) -> os.stat_result:
    """The file's status, after checking that it still holds `original` (and, given `earlier`, that its
    size, modification time and inode are still those); raises WriteRefused otherwise."""
    try:
        with open(target, "rb") as handle:
            status = os.fstat(handle.fileno())
            current = handle.read()
    except OSError as error:
        raise WriteRefused(f"not written: cannot read it back: {error.strerror or error}") from None
    moved = earlier is not None and (status.st_size, status.st_mtime_ns, status.st_ino) != (
        earlier.st_size,
        earlier.st_mtime_ns,
        earlier.st_ino,
    )
    if moved or current != original:
        when = "while it was being fixed" if earlier is not None else "since it was read"
        raise WriteRefused(f"not written: the file changed on disk {when}")
    return status


def _keep_attributes(target: str, temporary: str, status: os.stat_result) -> None:
    """Give the temporary file the original's owner, group, mode bits and extended attributes, or refuse."""
    created = os.stat(temporary)
    if hasattr(os, "chown"):
        if (status.st_uid, status.st_gid) != (created.st_uid, created.st_gid):
            try:
                os.chown(temporary, status.st_uid, status.st_gid)
            except OSError as error:
                raise WriteRefused(
                    f"not written: its owner or group cannot be kept ({error.strerror or error})"
                ) from None
    # After chown, which clears the setuid and setgid bits.
    wanted = stat.S_IMODE(status.st_mode)
    os.chmod(temporary, wanted)
    if stat.S_IMODE(os.stat(temporary).st_mode) != wanted:
        raise WriteRefused(f"not written: its mode bits {wanted:o} cannot be kept")
    _copy_extended_attributes(target, temporary)


def _copy_extended_attributes(target: str, temporary: str) -> None:
    if not hasattr(os, "listxattr"):
        return  # not Linux: the platform gives no portable access to them
    try:
        names = os.listxattr(target)
    except OSError:
        return  # the file system keeps none
    for name in names:
        try:
            os.setxattr(temporary, name, os.getxattr(target, name))
        except OSError as error:
            raise WriteRefused(
                f"not written: its extended attribute {name} cannot be kept ({error.strerror or error})"
            ) from None


class _Terminated(BaseException):
    """SIGTERM (or SIGHUP) arrived while a temporary file existed: unwind, remove it, then die of the signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def _removed_unless_renamed(temporary: str) -> Iterator[None]:
    """Remove `temporary` when the block does not complete (any exception, Ctrl-C, SIGTERM, SIGHUP).

    Ctrl-C raises KeyboardInterrupt already; SIGTERM and SIGHUP would end the
    process without unwinding, so while the block runs they raise instead, and
    are delivered again (to the handler they had) once the file is removed.
    """
    previous = _catch_termination()
    try:
        yield
    except BaseException as error:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        _restore(previous)
        if isinstance(error, _Terminated):
            _deliver(error.signum, previous.get(error.signum))
            # Its handler returned: the program goes on, without this file.
            raise WriteRefused(f"not written: interrupted by signal {error.signum}") from None
        raise
    _restore(previous)


_TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def _catch_termination() -> dict:
    if threading.current_thread() is not threading.main_thread():
        return {}  # only the main thread may set handlers; a server's worker thread is stopped otherwise

    def raise_terminated(signum: int, frame: object) -> None:
        raise _Terminated(signum)

    previous = {}
    for signum in _TERMINATING:
        handler = signal.getsignal(signum)
        if handler is signal.SIG_IGN or handler is None:
            continue  # ignored (or set outside Python): nothing would interrupt the write
        previous[signum] = signal.signal(signum, raise_terminated)
    return previous


def _restore(previous: dict) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def _deliver(signum: int, handler: object) -> None:
    """Let the signal do what it would have done had it not waited for the clean-up."""
    if callable(handler):
        handler(signum, None)
    else:
        os.kill(os.getpid(), signum)


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
