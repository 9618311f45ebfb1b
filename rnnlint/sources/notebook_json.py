"""Edit the cells' sources inside a notebook's JSON text and leave every other byte as it is.

Re-serialising the whole document would re-indent it, re-order or re-escape
it.  Instead, the spans of each cell's `source` value (and of each line of a
source stored as a list) are found in the text, and only the spans whose text
changes are replaced, in the file's own style: the list's separators, and
non-ASCII escaped only when the file is pure ASCII.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from json.decoder import scanstring


@dataclass
class SourceSpan:
    start: int  # the `source` value in the JSON text
    end: int
    # For a list of strings: each item's span and decoded value.
    items: list[tuple[int, int, str]] | None

    def replacements(self, text: str, source: str, ascii_only: bool) -> list[tuple[int, int, str]]:
        def dump(value: str) -> str:
            return json.dumps(value, ensure_ascii=ascii_only)

        if self.items is None:
            return [(self.start, self.end, dump(source))]
        items = self.items
        if not items:
            return [(self.start, self.end, "[" + ", ".join(dump(line) for line in source.splitlines(True)) + "]")]
        # Keep the unchanged whole lines at both ends as they are written.
        kept, offset = 0, 0
        while kept < len(items) and source.startswith(items[kept][2], offset):
            offset += len(items[kept][2])
            kept += 1
        while kept and not items[kept - 1][2].endswith(("\n", "\r")):
            kept -= 1
            offset -= len(items[kept][2])
        tail, end = 0, len(source)
        while tail < len(items) - kept:
            value = items[len(items) - 1 - tail][2]
            if end - len(value) < offset or source[end - len(value) : end] != value:
                break
            end -= len(value)
            tail += 1
        while tail and end > offset and source[end - 1] not in "\r\n":
            end += len(items[len(items) - tail][2])
            tail -= 1
        new_items = [dump(line) for line in source[offset:end].splitlines(True)]
        old = items[kept : len(items) - tail]
        if len(items) >= 2:
            separator = text[items[0][1] : items[1][0]]
        else:
            separator = "," + text[self.start + 1 : items[0][0]]
        if old and new_items:
            return [(old[0][0], old[-1][1], separator.join(new_items))]
        if new_items:  # lines inserted between kept ones
            if kept:
                at = items[kept - 1][1]
                return [(at, at, separator + separator.join(new_items))]
            at = items[0][0]
            return [(at, at, separator.join(new_items) + separator)]
        if old:  # lines deleted
            if kept:
                return [(items[kept - 1][1], old[-1][1], "")]
            if tail:
                return [(old[0][0], items[len(items) - tail][0], "")]
            return [(self.start + 1, self.end - 1, "")]
        return []


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _skip(text: str, index: int) -> int:
    return _WHITESPACE.match(text, index).end()  # type: ignore[union-attr]


def _value_end(text: str, index: int) -> int:
    return _DECODER.raw_decode(text, index)[1]


def _object(text: str, index: int, member: Callable[[str, int], int]) -> int:
    """Walk the object at `index`; `member(key, value_start)` returns the value's end."""
    index = _skip(text, index + 1)
    if text[index] == "}":
        return index + 1
    while True:
        key, index = scanstring(text, index + 1)
        index = _skip(text, _skip(text, index) + 1)  # past the colon
        index = _skip(text, member(key, index))
        if text[index] != ",":
            return index + 1
        index = _skip(text, index + 1)


def _array(text: str, index: int, item: Callable[[int], int]) -> int:
    """Walk the array at `index`; `item(value_start)` returns the value's end."""
    index = _skip(text, index + 1)
    if text[index] == "]":
        return index + 1
    while True:
        index = _skip(text, item(index))
        if text[index] != ",":
            return index + 1
        index = _skip(text, index + 1)


def source_spans(text: str) -> list[SourceSpan | None]:
    """Where each cell's `source` value is in the (valid) JSON text, by cell position."""
    cells: list[SourceSpan | None] = []

    def top_member(key: str, index: int) -> int:
        if key == "cells" and text[index] == "[":
            cells.clear()  # a repeated key: the last one counts, as in json.loads
            return _array(text, index, cell)
        return _value_end(text, index)

    def cell(index: int) -> int:
        if text[index] != "{":
            cells.append(None)
            return _value_end(text, index)
        found: list[SourceSpan] = []

        def cell_member(key: str, start: int) -> int:
            if key != "source":
                return _value_end(text, start)
            if text[start] != "[":
                end = _value_end(text, start)
                found.append(SourceSpan(start, end, None))
                return end
            items: list[tuple[int, int, str]] = []

            def line(item_start: int) -> int:
                value, item_end = _DECODER.raw_decode(text, item_start)
                items.append((item_start, item_end, value))
                return item_end

            end = _array(text, start, line)
            found.append(SourceSpan(start, end, items))
            return end

        end = _object(text, index, cell_member)
        cells.append(found[-1] if found else None)
        return end

    _object(text, _skip(text, 0), top_member)
    return cells
