"""What the machine-readable formats share: paths relative to the project root, and notebook fallbacks."""

from __future__ import annotations

import os
from pathlib import PurePath
from urllib.parse import quote

from rnnlint.diagnostics import Diagnostic, Location

# Structured formats cannot point inside a notebook cell, so a diagnostic in a
# cell is reported at the start of the file and says where it is in its message.
_FILE_START = Location(1, 1)


def relative_path(filename: str, root: str | None) -> str | None:
    """`filename` relative to `root` in POSIX form, or None when it lies outside `root`."""
    if root is None or filename == "-":
        return None
    absolute = os.path.abspath(filename)
    try:
        relative = os.path.relpath(absolute, os.path.abspath(root))
    except ValueError:  # another drive on Windows
        return None
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return PurePath(relative).as_posix()


def display_path(filename: str, root: str | None) -> str:
    """The path a CI system should show: relative to the project root when inside it."""
    return relative_path(filename, root) or PurePath(filename).as_posix()


def uri_reference(path: str) -> str:
    """A relative POSIX path as a URI reference (spaces and other specials percent-encoded)."""
    # A file name that is not valid UTF-8 reaches us with surrogate escapes: percent-encode its original bytes.
    return quote(path, safe="/", errors="surrogateescape")


def span(diagnostic: Diagnostic) -> tuple[Location, Location, str]:
    """Start, end and message, with a notebook cell's position folded into the message."""
    if diagnostic.cell is None:
        return diagnostic.location, diagnostic.end_location, diagnostic.message
    where = f"cell {diagnostic.cell}, line {diagnostic.location.row}, column {diagnostic.location.column}"
    return _FILE_START, _FILE_START, f"{where}: {diagnostic.message}"
