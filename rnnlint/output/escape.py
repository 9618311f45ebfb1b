"""Text from the linted code and from file names, made safe to print.

A layer's `name=`, a comment shown by --show-source, a file name: all are
written by whoever wrote the repository.  Printed raw, an ESC sequence retitles
or clears the terminal, a newline starts a line of its own (in GitHub Actions,
a line beginning `::` is a workflow command: `::add-mask::`, `::error ...`),
and a control character makes JUnit's XML ill-formed.  `printable` writes every
such character as a visible escape, the way Python's repr would:

- C0 controls (tab excepted), DEL and the C1 controls (U+0080-U+009F, CSI among
  them): `\\n`, `\\r`, `\\x1b`, `\\x9b`;
- line and paragraph separators, and the bidirectional overrides that make text
  read differently from how it is stored ("Trojan Source"): `\\u2028`, `\\u202e`;
- the non-characters U+FFFE/U+FFFF (forbidden in XML 1.0);
- a byte of a file name that is not UTF-8 (read with surrogate escapes):
  `\\xff`; any other lone surrogate: `\\udc00`.

`no_command_lines` then makes sure no line of a report begins (after blanks)
with `::`: a file named `::error::x.py` cannot start a workflow command either.
"""

from __future__ import annotations

import re

_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff\ufeff\ufffe\uffff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    named = _NAMED.get(character)
    if named is not None:
        return named
    code = ord(character)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the byte the name really holds
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control, invisible-direction and unencodable character written as an escape."""
    if _UNPRINTABLE.search(text) is None:
        return text
    return _UNPRINTABLE.sub(_escape, text)


def safe_path(filename: str) -> str:
    """A file name to start a report line with: printable, and never beginning with `:` (a relative name
    gets `./`, which names the same file)."""
    shown = printable(filename)
    if shown.lstrip().startswith(":"):
        return "./" + shown
    return shown


# The Actions runner trims a line's leading white space (any Unicode blank) before looking for `::`.
_COMMAND_LINE = re.compile(r"^([^\S\n]*)::", re.MULTILINE)


def no_command_lines(report: str) -> str:
    """`report` with the `::` that would begin a line (after blanks) written `\\x3a:`."""
    return _COMMAND_LINE.sub(lambda match: f"{match.group(1)}\\x3a:", report)
