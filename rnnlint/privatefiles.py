"""Reading and writing rnnlint's own files (the caches) without following a planted symbolic link.

A cache directory sits inside the repository being linted, and a repository is
untrusted input: a clone may commit `.rnnlint_cache` (or a file inside it) as a
symbolic link, dangling or pointing at a user's file.  So every write here:

- goes through a file descriptor of the directory, opened with O_NOFOLLOW (the
  directory itself must not be a symbolic link);
- creates a temporary file with a random name, O_CREAT | O_EXCL | O_NOFOLLOW
  (an existing name, link or not, is never opened for writing), fills it and
  renames it over the final name (a rename replaces a link, it never writes
  through it); the temporary file is removed on any failure, Ctrl-C included;
- creates a file meant to be written once (`.gitignore`) only if no entry of
  that name exists, a dangling link included.

Reads open the file with O_NOFOLLOW and accept only a regular file, with a size
bound: a cache that is a link to `/dev/zero` or to a FIFO is refused, not read.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)
# Descriptor-relative calls are missing on some platforms (Windows): there, paths with O_EXCL are used.
_RELATIVE = os.open in os.supports_dir_fd and os.rename in os.supports_dir_fd and bool(_NOFOLLOW)


class UnsafePath(OSError):
    """A path rnnlint will not write through (a symbolic link, or not a directory): the message says which."""


def _refuse_link(path: Path, what: str) -> None:
    if path.is_symlink():
        raise UnsafePath(f"{what} {path} is a symbolic link; rnnlint does not write through links")


@contextlib.contextmanager
def directory(path: Path, *, create: bool = True):  # noqa: ANN201 - yields a descriptor (or None) and the path
    """The directory `path` (created if asked), opened without following a link as its last component.

    Yields a descriptor for descriptor-relative calls (None where the platform has none).
    """
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)  # a cache is private to its user, like the 0600 files in it
    _refuse_link(path, "directory")
    if not path.is_dir():
        raise UnsafePath(f"{path} is not a directory")
    if not _RELATIVE:
        yield None
        return
    handle = os.open(path, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC)
    try:
        yield handle
    finally:
        os.close(handle)


def _open(name: str, flags: int, mode: int, directory_fd: int | None, directory_path: Path) -> int:
    if directory_fd is None:
        return os.open(directory_path / name, flags, mode)
    return os.open(name, flags, mode, dir_fd=directory_fd)


def create_once(directory_path: Path, name: str, text: str, *, mode: int = 0o644) -> bool:
    """Create `directory_path/name` holding `text` unless an entry of that name exists (even a dangling link)."""
    with directory(directory_path) as handle:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | _BINARY
        try:
            fd = _open(name, flags, mode, handle, directory_path)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as stream:
            stream.write(text.encode("utf-8"))
        return True


def replace(directory_path: Path, name: str, data: bytes, *, mode: int = 0o600) -> None:
    """Write `data` to `directory_path/name` atomically, through a fresh randomly named temporary file."""
    with directory(directory_path) as handle:
        temporary = f".tmp-{os.urandom(8).hex()}-{name}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | _BINARY
        fd = _open(temporary, flags, mode, handle, directory_path)
        try:
            with os.fdopen(fd, "wb") as stream:
                stream.write(data)
            if handle is None:
                os.replace(directory_path / temporary, directory_path / name)
            else:
                os.replace(temporary, name, src_dir_fd=handle, dst_dir_fd=handle)
        except BaseException:
            with contextlib.suppress(OSError):
                if handle is None:
                    os.unlink(directory_path / temporary)
                else:
                    os.unlink(temporary, dir_fd=handle)
            raise


def read(path: Path, *, limit: int) -> bytes:
    """The bytes of a regular file that is not a symbolic link, at most `limit` of them (else UnsafePath).

    FileNotFoundError when there is no such entry.
    """
    if path.is_symlink():
        raise UnsafePath(f"{path} is a symbolic link; ignoring it")
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC | _BINARY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as stream:
        status = os.fstat(stream.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise UnsafePath(f"{path} is not a regular file; ignoring it")
        if status.st_size > limit:
            raise UnsafePath(f"{path} is larger than {limit} bytes; ignoring it")
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise UnsafePath(f"{path} is larger than {limit} bytes; ignoring it")
    return data
