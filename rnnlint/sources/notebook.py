"""Jupyter notebooks: the code cells as one program, its rows mapped back to cells, and edits written back.

A notebook runs its code cells in order in one namespace, so they are analysed
as one program: each code cell's text, IPython-only lines masked (see
`sources.ipython`), followed by a boundary comment line.  Masking keeps every
line, so a cell's rows sit at a fixed offset in the program, and columns are
untouched.  Findings are made in program coordinates (where `# noqa` comments
in cells work unchanged) and moved into cell coordinates for output: `cell` is
the cell's 1-based position among all the notebook's cells (markdown included),
as Jupyter and VS Code count them, and rows are relative to that cell.

A cell that does not parse is left out of the program (IPython would not run
any of it either) and reported as RNN001 with its cell.

Writing back (`write_back`) changes only the edited cells' `source` values in
the JSON text; every other byte (indentation, key order, escapes, outputs,
metadata, the trailing newline) stays as it was, and a source stored as a list
of lines keeps its unchanged lines as they were written.

The notebook's JSON is read with the standard library; nbformat is not needed.
"""

from __future__ import annotations

import ast
import bisect
import codecs
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from rnnlint.diagnostics import Diagnostic, Edit, Fix, Location, unreadable
from rnnlint.keras.catalogue import RECURRENT_WORDS
from rnnlint.settings import Settings
from rnnlint.sources.ipython import MARK, MaskedCell, mask_all, mask_cell, restore, split_lines
from rnnlint.sources.notebook_json import source_spans

if TYPE_CHECKING:
    from rnnlint.api import FileResult
    from rnnlint.fix import FileFix
    from rnnlint.suppress import NoqaOutcome

NBFORMAT = 4
# Ends each cell in the program, so an edited program can be cut back into cells.
BOUNDARY = "# rnnlint: end of cell {}"
_LINE_REFERENCE = re.compile(r"\(line (\d+)((?:, column \d+)?)\)")


# --- the prefilter ---------------------------------------------------------------

# The byte search for recurrent words (api.may_build_recurrent) reads a notebook's
# JSON as it is.  JSON can hide a word from it in two ways: a letter written as an
# escape (`\u004c` for L), or a source list cut inside the word (`"LS", "TM"`;
# the format allows it, though writers cut after line endings).  When either may
# have happened, the notebook is decoded and its code cells searched.  Both
# checks are linear scans, cheaper than the word search itself.
_LETTER_ESCAPE = re.compile(rb"\\u00[4-7][0-9a-fA-F]")
# From one string's closing quote to the next one's opening quote (empty strings between allowed).
_ITEM_BREAK = re.compile(rb'"(?:[ \t\r\n]*,[ \t\r\n]*"")*[ \t\r\n]*,[ \t\r\n]*"')
_LETTER_PAIRS = frozenset(pair for word in RECURRENT_WORDS for pair in zip(word.encode(), word.encode()[1:]))


def may_build_recurrent(data: bytes) -> bool:
    """For a notebook the plain byte search found no recurrent word in: False only when none can hide in it."""
    if not _LETTER_ESCAPE.search(data) and not _cut_inside_a_word(data):
        return False
    try:
        notebook = Notebook.from_bytes(data)
    except NotebookError:
        return True  # reported when it is linted
    return _may_build_recurrent_text(notebook.code())


def _cut_inside_a_word(data: bytes) -> bool:
    for match in _ITEM_BREAK.finditer(data):
        start, end = match.start(), match.end()
        if start and end < len(data) and (data[start - 1], data[end]) in _LETTER_PAIRS:
            return True
    return False


# --- reading -------------------------------------------------------------------------


class NotebookError(Exception):
    """Why a notebook cannot be read: one line, reported as RNN001."""

    def __init__(self, message: str, location: Location | None = None, cell: int | None = None) -> None:
        super().__init__(message)
        self.location = location or Location(1, 1)
        self.cell = cell

    def diagnostic(self, filename: str) -> Diagnostic:
        return unreadable(filename, str(self), self.location, self.cell)


class WriteBackError(Exception):
    """Why edits cannot be written into the notebook: one line."""


@dataclass
class CodeCell:
    number: int  # 1-based position among all the notebook's cells
    source: str  # as stored (a list of lines joined)
    masked: MaskedCell | None = None
    # Why the cell is left out of the program: (message, location in the cell).
    error: tuple[str, Location] | None = None


@dataclass
class Notebook:
    cells: list[CodeCell]
    # The kernel's language when the notebook says it is not Python.
    other_language: str | None = None

    @classmethod
    def from_bytes(cls, data: bytes) -> Notebook:
        document = _load(data)
        if not isinstance(document, dict):
            raise NotebookError("invalid notebook: the JSON document is not an object")
        version = document.get("nbformat")
        if version is None:
            raise NotebookError('invalid notebook: no "nbformat" version')
        if version != NBFORMAT or isinstance(version, bool):
            raise NotebookError(
                f"unsupported notebook format: nbformat {version!r} (rnnlint reads nbformat 4; "
                "convert with `jupyter nbconvert --to notebook --nbformat 4`)"
            )
        cells = document.get("cells")
        if not isinstance(cells, list):
            raise NotebookError('invalid notebook: no "cells" list')
        code_cells = []
        for number, cell in enumerate(cells, 1):
            if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
                raise NotebookError(f'invalid notebook: cell {number} is not an object with a "cell_type"', cell=number)
            if cell["cell_type"] != "code":
                continue
            source = cell.get("source")
            if isinstance(source, list) and all(isinstance(line, str) for line in source):
                source = "".join(source)
            elif not isinstance(source, str):
                raise NotebookError(
                    f"invalid notebook: the source of cell {number} is not a string or a list of strings", cell=number
                )
            code_cells.append(CodeCell(number, source))
        return cls(code_cells, _other_language(document.get("metadata")))

    def code(self) -> str:
        return "\n".join(cell.source for cell in self.cells)


def _load(data: bytes) -> object:
    try:
        text = _decode(data)
    except UnicodeDecodeError as error:
        raise NotebookError(f"invalid notebook: not UTF-8 text ({error.reason} at byte {error.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(
            f"invalid notebook: not valid JSON: {error.msg}", Location(error.lineno, error.colno)
        ) from None
    except RecursionError:
        raise NotebookError("invalid notebook: JSON nested too deeply to read") from None


def _decode(data: bytes) -> str:
    return data[len(codecs.BOM_UTF8) :].decode("utf-8") if data.startswith(codecs.BOM_UTF8) else data.decode("utf-8")


def _other_language(metadata: object) -> str | None:
    """The kernel language the notebook declares, when it is not Python (no declaration: Python)."""
    if not isinstance(metadata, dict):
        return None
    for section, key in (("kernelspec", "language"), ("language_info", "name")):
        info = metadata.get(section)
        if isinstance(info, dict) and isinstance(info.get(key), str) and info[key].strip():
            language = info[key].strip()
            return None if language.lower().startswith(("python", "ipython")) else language
    return None


# --- the program ---------------------------------------------------------------------


def prepare(cell: CodeCell) -> MaskedCell:
    """Mask the cell's IPython lines; a cell that still does not parse is masked whole (and `error` set)."""
    masked = mask_cell(cell.source)
    if masked.cell_magic is not None:
        return masked
    error = _parse_error(masked.text)
    if error is not None and any(m.prefix for m in masked.masked):
        # `%time STATEMENT` analysed as a statement did not parse: mask it whole instead.
        plain = mask_cell(cell.source, time_as_python=False)
        if _parse_error(plain.text) is None:
            return plain
    if error is not None:
        cell.error = error
        return mask_all(cell.source)
    return masked


def _parse_error(text: str) -> tuple[str, Location] | None:
    try:
        ast.parse(text)
    except SyntaxError as error:
        row = error.lineno or 1
        column = (error.offset or 1) if error.lineno else 1
        return f"syntax error: {error.msg}", Location(row, max(column, 1))
    except RecursionError:
        return "cannot parse: nested too deeply for Python's parser", Location(1, 1)
    except (ValueError, MemoryError) as error:
        return f"cannot parse: {type(error).__name__}: {error}", Location(1, 1)
    return None


@dataclass
class Segment:
    cell: CodeCell
    text: str  # the masked cell, ending with a line ending
    first_row: int  # the program row of the cell's first line
    rows: int
    added_newline: bool  # the cell's text did not end with one


@dataclass
class Program:
    text: str
    segments: list[Segment]
    _firsts: list[int] = field(default_factory=list, repr=False)

    @classmethod
    def build(cls, notebook: Notebook) -> Program:
        parts: list[str] = []
        segments: list[Segment] = []
        row = 1
        for cell in notebook.cells:
            if cell.masked is None:
                cell.masked = prepare(cell)
            text, added = _with_newline(cell.masked.text)
            rows = len(split_lines(text))
            segments.append(Segment(cell, text, row, rows, added))
            parts.append(text)
            parts.append(BOUNDARY.format(cell.number) + "\n")
            row += rows + 1
        program = cls("".join(parts), segments)
        program._firsts = [segment.first_row for segment in segments]
        return program

    # program coordinates -> cell coordinates

    def cell_of(self, row: int) -> tuple[int, int] | None:
        """(cell number, row in the cell) of a program row."""
        index = bisect.bisect_right(self._firsts, row) - 1
        if index < 0:
            return None
        segment = self.segments[index]
        # The boundary line after a cell counts as the cell's last line.
        return segment.cell.number, min(row - segment.first_row + 1, max(segment.rows, 1))

    def to_cells(self, diagnostic: Diagnostic) -> Diagnostic:
        """The diagnostic located in its cell (file-level ones, without a location, are left as they are)."""
        if diagnostic.cell is not None or _file_level(diagnostic):
            return diagnostic
        start = self.cell_of(diagnostic.location.row)
        if start is None:
            return diagnostic
        cell, row = start
        end = self.cell_of(diagnostic.end_location.row)
        end_location = (
            Location(end[1], diagnostic.end_location.column)
            if end is not None and end[0] == cell
            else Location(row, diagnostic.location.column)
        )
        return replace(
            diagnostic,
            location=Location(row, diagnostic.location.column),
            end_location=end_location,
            cell=cell,
            message=self.describe(diagnostic.message),
            fix=self._fix_to_cells(diagnostic.fix),
        )

    def describe(self, message: str) -> str:
        """Rewrite `(line 12)` / `(line 12, column 5)` program references as `(cell 3, line 4...)`."""

        def cell_reference(match: re.Match) -> str:
            found = self.cell_of(int(match.group(1)))
            if found is None:
                return match.group(0)
            return f"(cell {found[0]}, line {found[1]}{match.group(2)})"

        return _LINE_REFERENCE.sub(cell_reference, message)

    def _fix_to_cells(self, fix: Fix | None) -> Fix | None:
        if fix is None:
            return None
        edits = []
        for edit in fix.edits:
            start, end = self.cell_of(edit.location.row), self.cell_of(edit.end_location.row)
            if start is None or end is None or start[0] != end[0]:
                return None  # cannot be said in one cell's coordinates
            edits.append(
                Edit(
                    Location(start[1], edit.location.column),
                    Location(end[1], edit.end_location.column),
                    edit.content,
                    start[0],
                )
            )
        return replace(fix, message=self.describe(fix.message), edits=tuple(edits))

    # an edited program -> cell sources

    def edited_cells(self, text: str) -> dict[int, str]:
        """The new source of each cell the edited program `text` changes, by cell number."""
        changes: dict[int, str] = {}
        position = 0
        for segment in self.segments:
            boundary = BOUNDARY.format(segment.cell.number) + "\n"
            found = text.find(boundary, position)
            while found > position and text[found - 1] not in "\r\n":
                found = text.find(boundary, found + 1)
            if found < 0:
                raise WriteBackError(f"the edited program lost the end of cell {segment.cell.number}")
            new = text[position:found]
            position = found + len(boundary)
            if new == segment.text:
                continue
            assert segment.cell.masked is not None
            source = restore(segment.cell.masked, new)
            if source is None:
                raise WriteBackError(f"an edit touched an IPython line of cell {segment.cell.number}")
            if segment.added_newline:
                source = re.sub(r"(\r\n|\r|\n)\Z", "", source)
            # The new source must read back as exactly the program that was checked.
            again = CodeCell(segment.cell.number, source)
            remasked = prepare(again).text
            if again.error is not None or _without_marks(_with_newline(remasked)[0]) != _without_marks(new):
                raise WriteBackError(f"the edited cell {segment.cell.number} does not read back as it was checked")
            changes[segment.cell.number] = source
        if position != len(text):
            raise WriteBackError("the edited program has text after its last cell")
        return changes


def _with_newline(text: str) -> tuple[str, bool]:
    """The text ending with a line ending (so the boundary starts a line), and whether one was added."""
    if text and not text.endswith(("\n", "\r")):
        return text + "\n", True
    return text, False


def _without_marks(text: str) -> str:
    """The program without its masking marks (a comment added after a mark moves it; nothing else may)."""
    return text.replace("  " + MARK, "").replace(MARK, "")


def _file_level(diagnostic: Diagnostic) -> bool:
    """Diagnostics about the whole file, whose (1, 1) is no place in any cell."""
    return bool(diagnostic.extra.get("internal_error")) or diagnostic.message.startswith("skipped:")


def cell_problems(notebook: Notebook, filename: str) -> list[Diagnostic]:
    """RNN001 for each cell left out of the program."""
    problems = []
    for cell in notebook.cells:
        if cell.error is not None:
            message, location = cell.error
            problems.append(
                unreadable(filename, f"{message} (this cell is left out of the analysis)", location, cell.number)
            )
    return problems


# --- writing back ------------------------------------------------------------------


def write_back(data: bytes, program_text: str) -> bytes:
    """The notebook `data` with each cell's source replaced by its part of the edited program.

    Pure: old notebook bytes + edited program text -> new notebook bytes.  Only
    the `source` values of cells whose text changed are rewritten; raises
    WriteBackError when the edit cannot be expressed in the cells.
    """
    notebook = Notebook.from_bytes(data)
    changes = Program.build(notebook).edited_cells(program_text)
    if not changes:
        return data
    bom = data.startswith(codecs.BOM_UTF8)
    text = _decode(data)
    spans = source_spans(text)
    ascii_only = data.isascii()
    replacements: list[tuple[int, int, str]] = []
    for number, source in changes.items():
        span = spans[number - 1] if number - 1 < len(spans) else None
        if span is None:
            raise WriteBackError(f"cannot find the source of cell {number} in the notebook")
        replacements.extend(span.replacements(text, source, ascii_only))
    for start, end, content in sorted(replacements, reverse=True):
        text = text[:start] + content + text[end:]
    return (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")


def edit_program(data: bytes, edit: Callable[[str], str]) -> bytes:
    """Apply a text edit to the notebook's program and write it back (for --add-noqa and the like)."""
    notebook = Notebook.from_bytes(data)
    program = Program.build(notebook)
    return write_back(data, edit(program.text))


# --- linting, fixing, adding noqa ------------------------------------------------------


@dataclass
class _Linted:
    result: FileResult  # what is reported: cell coordinates
    notebook: Notebook | None = None
    program: Program | None = None
    found: list[Diagnostic] = field(default_factory=list)  # program coordinates

    @property
    def unreadable(self) -> bool:
        """The notebook itself cannot be read (not one of its cells)."""
        return self.notebook is None and self.result.failed


def _lint(data: bytes, name: str, settings: Settings) -> _Linted:
    from rnnlint.api import FileResult, lint_source

    try:
        notebook = Notebook.from_bytes(data)
    except NotebookError as error:
        return _Linted(FileResult(name, [error.diagnostic(name)], failed=True))
    if notebook.other_language is not None:
        notice = f"{name}: skipped: not a Python notebook (kernel language {notebook.other_language!r})"
        return _Linted(FileResult(name, notices=[notice]))
    if not _may_build_recurrent_text(notebook.code(), name):
        return _Linted(FileResult(name))
    program = Program.build(notebook)
    found = lint_source(program.text, name, settings)  # analysis and suppression comments, on the program's rows
    diagnostics = sorted(cell_problems(notebook, name) + [program.to_cells(d) for d in found], key=Diagnostic.sort_key)
    result = FileResult(name, diagnostics, failed=any(d.code == "RNN001" for d in diagnostics))
    return _Linted(result, notebook, program, found)


def lint_notebook(data: bytes, name: str, settings: Settings) -> FileResult:
    """Lint a notebook's bytes: findings in cell coordinates, one RNN001 line for an unreadable notebook."""
    return _lint(data, name, settings).result


def _may_build_recurrent_text(code: str, name: str = "") -> bool:
    """Whether the notebook's code names a recurrent layer, or (given the notebook's path) imports a
    module of its project that does (rnnlint/projectfiles.py)."""
    from rnnlint.api import imports_recurrent, may_build_recurrent

    data = code.encode("utf-8", "surrogatepass")
    return may_build_recurrent(data) or bool(name) and imports_recurrent(data, name)


def fix_notebook(data: bytes, name: str, settings: Settings, *, unsafe: bool = False) -> FileFix:
    """Fix a notebook to a fixed point in program coordinates, then write the edited cells back.

    Cells that do not parse are never touched, so the others are fixed even
    when one is broken (its RNN001 stays in `remaining`, and `failed` is set).
    """
    from rnnlint.api import lint_source
    from rnnlint.fix import MAX_PASSES, FileFix, applicable, fix_text

    linted = _lint(data, name, settings)
    result = linted.result
    unchanged = FileFix(name, data, None, [], result.diagnostics, failed=result.failed, notices=result.notices)
    if linted.program is None or not any(applicable(d.fix, unsafe) for d in result.diagnostics):
        return unchanged
    program = linted.program
    outcome = fix_text(
        program.text, lambda text: lint_source(text, name, settings), unsafe=unsafe, diagnostics=linted.found
    )
    problem = None if outcome.converged else f"fixes did not reach a fixed point after {MAX_PASSES} passes"
    if outcome.text == program.text:
        unchanged.problem = problem
        return unchanged
    try:
        fixed = write_back(data, outcome.text)
        written = Notebook.from_bytes(fixed)
        written_program = Program.build(written)
    except (WriteBackError, NotebookError) as error:
        unchanged.problem = f"not fixed: {error}"
        return unchanged
    if _without_marks(written_program.text) != _without_marks(outcome.text):
        unchanged.problem = "not fixed: the written notebook does not read back as the fixed program"
        return unchanged
    remaining = cell_problems(written, name) + [written_program.to_cells(d) for d in outcome.remaining]
    applied = [program.to_cells(d) for d in outcome.applied]
    return FileFix(name, data, fixed, applied, sorted(remaining, key=Diagnostic.sort_key), result.failed, problem)


def add_noqa_to_notebook(data: bytes, name: str, settings: Settings) -> NoqaOutcome:
    """--add-noqa for a notebook: the comments go into the cells, on the findings' rows."""
    from rnnlint.suppress import UNSUPPRESSABLE, UNUSED_NOQA, NoqaOutcome, add_noqa

    linted = _lint(data, name, settings)
    findings = [d for d in linted.found if d.code not in (*UNSUPPRESSABLE, UNUSED_NOQA)]
    if linted.program is None or not findings:
        return NoqaOutcome(None, 0, [], failed=linted.result.failed)
    program = linted.program
    outcome = add_noqa(program.text, findings)
    skipped = [program.to_cells(d) for d in outcome.skipped]
    try:
        fixed = write_back(data, outcome.text)
    except WriteBackError:
        return NoqaOutcome(None, 0, [program.to_cells(d) for d in findings], failed=linted.result.failed)
    if fixed == data:
        return NoqaOutcome(None, 0, skipped, failed=linted.result.failed)
    return NoqaOutcome(fixed, outcome.added, skipped, failed=linted.result.failed)


def cell_lines(data: bytes) -> dict[int, list[str]]:
    """Each code cell's lines by cell number (for showing source); empty when the notebook is unreadable."""
    try:
        notebook = Notebook.from_bytes(data)
    except NotebookError:
        return {}
    return {cell.number: [content for content, _ in split_lines(cell.source)] for cell in notebook.cells}
