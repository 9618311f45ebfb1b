"""Mask what IPython accepts in a notebook cell and Python does not, keeping every line where it was.

IPython rewrites a cell before Python compiles it (IPython 8's `inputtransformer2`):

- a cell whose first non-blank line starts with `%%` is a cell magic: its body
  is handed to the magic, and is Python only for `%%time` and `%%capture`;
- at the start of a logical line, after the indentation: `%magic`, `!shell`,
  `!!shell`, `?name`, `??name`, and the autocall escapes `,` `;` `/` (one
  physical line, plus the lines a trailing backslash continues it onto);
- `targets = %magic ...` and `targets = !shell ...` (the first `=` outside brackets);
- a one-line logical line that ends with `name?` or `name??` (help).

Each of those lines is replaced here, and every other line is left exactly as
it is, so rows and columns of the Python code do not move:

- a statement becomes `pass` at its own indentation (a block whose body is a
  magic still has a body);
- an assignment keeps its targets and gets an unknown value, so the names lose
  whatever they held before, as they do when the cell runs;
- `%time STATEMENT` becomes `pass; STATEMENT`: the statement runs in the
  notebook's namespace, so it is analysed (`%timeit` keeps its own namespace:
  it is masked whole);
- continuation lines and skipped cells become comment lines.

Every masked line ends with MARK, so the masked lines can be found again in an
edited program and given back their original text (see `restore`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

MARK = "# rnnlint: ipython"
# A value the analysis cannot know (no notebook defines it).
UNKNOWN_VALUE = "__rnnlint_ipython__"
# Cell magics whose body is Python run in the notebook's namespace.
PYTHON_BODY_CELL_MAGICS = frozenset({"time", "capture"})
_ESCAPES = frozenset("!%?,;/")
_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|\Z)")
_TIME = re.compile(r"%time(?=\s+\S)")
_CELL_MAGIC_NAME = re.compile(r"%%(\w*)")
# What IPython accepts before a trailing `?`: a name, attributes, literal indexes.
_HELP_TARGET = re.compile(r"%{0,2}(?!\d)[\w*]+(?:\.(?!\d)[\w*]+|\[-?[0-9]+\])*\?\??$")


@dataclass(frozen=True)
class Masked:
    """One masked line: its 0-based row in the cell, its original and masked text (without line ending)."""

    row: int
    original: str
    masked: str
    # For `%time STATEMENT`: the length of the masked prefix (`pass;`) before live code.
    prefix: int = 0


@dataclass
class MaskedCell:
    text: str  # the cell with IPython lines masked; the same number of lines as the cell
    masked: list[Masked] = field(default_factory=list)
    # The cell magic that makes the whole cell something other than Python ("bash", "writefile"...).
    cell_magic: str | None = None


def split_lines(text: str) -> list[tuple[str, str]]:
    """(content, line ending) pairs; line endings as Python's tokenizer sees them."""
    pairs = []
    for match in _LINE.finditer(text):
        if match.group(1) or match.group(2):
            pairs.append((match.group(1), match.group(2)))
    return pairs


def mask_cell(text: str, *, time_as_python: bool = True) -> MaskedCell:
    """Mask the IPython-only lines of one cell.  `time_as_python=False` masks `%time` lines whole."""
    lines = split_lines(text)
    result = MaskedCell("")
    out: list[str] = []

    def mask(row: int, masked: str, prefix: int = 0) -> None:
        content, ending = lines[row]
        masked = f"{masked}  {MARK}" if masked.strip() else f"{masked}{MARK}"
        result.masked.append(Masked(row, content, masked, prefix))
        out.append(masked + ending)

    first = next((row for row, (content, _) in enumerate(lines) if content.strip()), None)
    start = 0
    if first is not None and lines[first][0].lstrip().startswith("%%"):
        name = _CELL_MAGIC_NAME.match(lines[first][0].lstrip()).group(1)  # type: ignore[union-attr]
        if name not in PYTHON_BODY_CELL_MAGICS:
            return mask_all(text, cell_magic=name or "%%")
        out.extend(content + ending for content, ending in lines[:first])
        mask(first, "")
        start = first + 1

    state = _Scanner()
    row = start
    while row < len(lines):
        content, ending = lines[row]
        if not state.at_logical_start() or not content.strip() or content.lstrip().startswith("#"):
            state.scan(content)
            out.append(content + ending)
            row += 1
            continue
        indent = content[: len(content) - len(content.lstrip())]
        code = content[len(indent) :]
        replacement = _replacement(indent, code, time_as_python)
        if replacement is None:
            state.scan(content)
            out.append(content + ending)
            row += 1
            continue
        masked, prefix = replacement
        mask(row, masked, prefix)
        # An IPython line runs on through trailing backslashes; Python starts afresh after it.
        while content.endswith("\\") and row + 1 < len(lines):
            row += 1
            content = lines[row][0]
            mask(row, "")
        state = _Scanner()
        row += 1
    result.text = "".join(out)
    return result


def mask_all(text: str, *, cell_magic: str | None = None) -> MaskedCell:
    """Every line masked: a cell that is not Python (a cell magic's body) or does not parse."""
    result = MaskedCell("", cell_magic=cell_magic)
    out = []
    for row, (content, ending) in enumerate(split_lines(text)):
        result.masked.append(Masked(row, content, MARK))
        out.append(MARK + ending)
    result.text = "".join(out)
    return result


def _replacement(indent: str, code: str, time_as_python: bool) -> tuple[str, int] | None:
    """What replaces a logical line that starts with `code`, or None when it is Python."""
    if code[0] in _ESCAPES:
        if time_as_python and _TIME.match(code) and _plain_python_tail(code):
            return indent + "pass;" + code[len("%time") :], len(indent) + len("pass;")
        return indent + "pass", 0
    equals = _assignment_to_escape(code)
    if equals is not None:
        return f"{indent}{code[: equals + 1]} {UNKNOWN_VALUE}", 0
    if _ends_with_help(code):
        return indent + "pass", 0
    return None


def _plain_python_tail(code: str) -> bool:
    """Whether `%time` is followed by one line of Python that closes every bracket and string."""
    if code.endswith("\\"):
        return False
    state = _Scanner()
    state.scan(code[len("%time") :])
    return state.at_logical_start()


def _assignment_to_escape(code: str) -> int | None:
    """The index of the `=` in `targets = %magic` / `targets = !shell`, else None."""
    state = _Scanner()
    for index, char in state.code_chars(code):
        if char != "=" or state.depth:
            continue
        before = code[index - 1] if index else ""
        after = code[index + 1 : index + 2]
        if before in "=!<>:+-*/%&|^@" or after == "=":
            continue  # a comparison or an augmented assignment, not `=`
        rest = code[index + 1 :].lstrip()
        if rest.startswith("!") or (rest.startswith("%") and rest[1:2].isidentifier()):
            return index
        return None  # IPython looks at the first `=` only
    return None


def _ends_with_help(code: str) -> bool:
    state = _Scanner()
    last = None
    for index, char in state.code_chars(code):
        if not char.isspace():
            last = index
    if last is None or code[last] != "?" or state.comment or not state.at_logical_start():
        return False
    return _HELP_TARGET.search(code[: last + 1]) is not None  # else IPython says it is a syntax error


class _Scanner:
    """Follows brackets, strings and continuations line by line, enough to know where logical lines start."""

    def __init__(self) -> None:
        self.depth = 0
        self.string: str | None = None  # the quote that closes the open string
        self.continued = False  # the last line ended with a backslash
        self.comment = False  # the last line scanned ended in a comment

    def at_logical_start(self) -> bool:
        return self.depth == 0 and self.string is None and not self.continued

    def scan(self, line: str) -> None:
        for _ in self.code_chars(line):
            pass

    def code_chars(self, line: str) -> Iterator[tuple[int, str]]:
        """Yield (index, char) for the characters of `line` outside strings and comments, tracking state."""
        self.comment = False
        self.continued = False
        index = 0
        if self.string is not None:
            index = self._close_string(line, 0)
        while index < len(line):
            char = line[index]
            if char == "#":
                self.comment = True
                return
            if char in "\"'":
                quote = char * 3 if line.startswith(char * 3, index) else char
                self.string = quote
                yield index, char
                index = self._close_string(line, index + len(quote))
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(self.depth - 1, 0)
            elif char == "\\" and index == len(line) - 1:
                self.continued = True
            yield index, char
            index += 1

    def _close_string(self, line: str, index: int) -> int:
        quote = self.string
        assert quote is not None
        while index < len(line):
            if line[index] == "\\":
                index += 2
                continue
            if line.startswith(quote, index):
                self.string = None
                return index + len(quote)
            index += 1
        if len(quote) == 1 and index == len(line):
            self.string = None  # an unterminated one-line string: Python will say so
        return len(line)


def restore(masked_cell: MaskedCell, new_text: str) -> str | None:
    """The cell text for an edited masked text: each masked line given back its original text.

    Masked lines are found by their MARK, in order.  None when that is not
    possible (a masked line was edited, or MARKs appeared or disappeared).
    """
    lines = split_lines(new_text)
    marked = [row for row, (content, _) in enumerate(lines) if MARK in content]
    if len(marked) != len(masked_cell.masked):
        return None
    restored = [content + ending for content, ending in lines]
    for row, masked in zip(marked, masked_cell.masked):
        content, ending = lines[row]
        if masked.prefix:
            # `pass; STATEMENT  # rnnlint: ipython`: the statement may have been edited, and a
            # comment added after the mark (--add-noqa); the mark goes, the magic comes back.
            head = masked.masked[: masked.prefix]
            if not content.startswith(head) or content.count(MARK) != 1:
                return None
            live = content[masked.prefix :].replace("  " + MARK, "", 1)
            restored[row] = masked.original[: masked.prefix] + live + ending
        elif content == masked.masked:
            restored[row] = masked.original + ending
        else:
            return None
    return "".join(restored)
