"""Turn a file's bytes into text the analysis can read, and edited text back into bytes.

Nothing is normalised on the way: line endings, the BOM and the declared
encoding are kept, so a file written back differs only where a fix edited it.
"""

from __future__ import annotations

import codecs
import io
import re
import tokenize
from dataclasses import dataclass
from itertools import accumulate

from rnnlint.diagnostics import Location

# Python's tokenizer ends lines at \r\n, \r and \n, and at nothing else
# (str.splitlines would also split at \f, \x1c, \u2028, ...).
_LINE_END = re.compile(r"\r\n|\r|\n")


class SourceError(Exception):
    """The file's bytes cannot be decoded as Python source."""


@dataclass
class SourceText:
    text: str
    encoding: str = "utf-8"
    bom: bool = False

    @classmethod
    def from_bytes(cls, data: bytes) -> SourceText:
        if b"\x00" in data:
            raise SourceError("file contains NUL bytes (binary file?)")
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as error:
            raise SourceError(str(error)) from None
        bom = data.startswith(codecs.BOM_UTF8)
        if bom:
            data = data[len(codecs.BOM_UTF8) :]
            encoding = "utf-8"
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as error:
            raise SourceError(f"cannot decode as {encoding}: {error}") from None
        return cls(text, encoding, bom)

    def to_bytes(self, text: str | None = None) -> bytes:
        data = (self.text if text is None else text).encode(self.encoding)
        return codecs.BOM_UTF8 + data if self.bom else data


class LineIndex:
    """Converts between the parser's (line, UTF-8 byte column) and character locations and offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        # Each line's start: after the previous line and its ending (`\r\n`, `\r` or `\n`).
        if "\r" in text:
            self.starts = [0, *(match.end() for match in _LINE_END.finditer(text))]
        else:
            self.starts = [0, *accumulate(len(line) + 1 for line in text.split("\n")[:-1])]
        # Per row, whether it is ASCII (or its UTF-8 bytes): a long generated line holding many
        # findings is converted once, not once per location.
        self._converted: dict[int, bool | bytes] = {}

    def line(self, row: int) -> str:
        """The text of a 1-based line, without its line ending."""
        if row < 1 or row > len(self.starts):
            return ""
        start = self.starts[row - 1]
        end = self.starts[row] if row < len(self.starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def lines(self, first: int, last: int) -> str:
        """The text of lines `first` to `last` (1-based, both included), with their line endings."""
        end = self.starts[last] if last < len(self.starts) else len(self.text)
        return self.text[self.starts[first - 1] : end]

    def location(self, row: int, byte_column: int) -> Location:
        converted = self._converted.get(row)
        if converted is None:
            line = self.line(row)
            converted = self._converted[row] = True if line.isascii() else line.encode("utf-8")
        if converted is True:
            return Location(row, byte_column + 1)
        return Location(row, len(converted[:byte_column].decode("utf-8", "replace")) + 1)

    def offset(self, location: Location) -> int:
        row = min(max(location.row, 1), len(self.starts))
        return self.starts[row - 1] + location.column - 1
