"""Reading a file named by the user or a repository, refusing what is not a regular file.

A FIFO blocks its reader until a writer comes (forever, in CI); `/dev/zero` and
`/dev/urandom` never end.  A path named on the command line, `--config` or
`--baseline` may be any of them, so each is opened without blocking and checked
on the open descriptor (no window between the check and the read) before one
byte is read.
"""

from __future__ import annotations

import errno
import os
import stat

_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFile(OSError):
    """The path is a FIFO, a device or a socket: one line says which."""


def kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def check_regular(mode: int) -> None:
    if stat.S_ISDIR(mode):  # what open() would have said
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
    if not stat.S_ISREG(mode):
        raise NotRegularFile(0, f"not a regular file ({kind(mode)})")


def read_regular(path: str | os.PathLike) -> bytes:
    """The bytes of a regular file; NotRegularFile (an OSError whose strerror says why) for anything else."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        check_regular(os.fstat(descriptor).st_mode)
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(descriptor)


def refuse_irregular(path: str | os.PathLike) -> None:
    """Raise NotRegularFile if `path` exists and is not a regular file (about to be replaced by a write)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    check_regular(mode)
