"""Apply fixes to source text: non-overlapping edits per pass, re-lint, repeat to a fixed point."""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rnnlint.diagnostics import Applicability, Diagnostic, Edit, Fix
from rnnlint.settings import Settings
from rnnlint.sources.python import LineIndex

MAX_PASSES = 10


@dataclass
class FixResult:
    text: str
    # Diagnostics whose fix was applied, across all passes.
    applied: list[Diagnostic]
    # What is left after the last pass.
    remaining: list[Diagnostic]
    # False when fixes still applied after MAX_PASSES passes (the text is what the last good pass left).
    converged: bool = True


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    if fix is None:
        return False
    return fix.applicability is Applicability.SAFE or (unsafe and fix.applicability is Applicability.UNSAFE)


def apply_fixes(text: str, diagnostics: Sequence[Diagnostic], *, unsafe: bool = False) -> tuple[str, list[Diagnostic]]:
    """Apply every applicable fix that does not overlap an earlier one; return the text and what was applied.

    Identical edits (two findings asking for the same change to one
    construction, or two class replacements sharing an import edit) are merged
    and applied once.
    """
    index = LineIndex(text)
    chosen: list[tuple[int, int, str]] = []
    applied: list[Diagnostic] = []
    for diagnostic in diagnostics:
        if not applicable(diagnostic.fix, unsafe):
            continue
        assert diagnostic.fix is not None
        if any(edit.cell is not None for edit in diagnostic.fix.edits):
            continue  # relative to a notebook cell: not a place in this text (notebooks fix their program)
        # Edits another fix already plans (the same import, the same keyword) are merged;
        # the rest must not overlap anything planned.
        spans = [span for span in (_span(index, edit) for edit in diagnostic.fix.edits) if span not in chosen]
        if any(_overlaps(span, other) for span in spans for other in chosen):
            continue  # left for the next pass, after re-linting
        chosen.extend(spans)
        applied.append(diagnostic)
    for start, end, content in sorted(chosen, reverse=True):
        text = text[:start] + content + text[end:]
    return text, applied


def _span(index: LineIndex, edit: Edit) -> tuple[int, int, str]:
    return (index.offset(edit.location), index.offset(edit.end_location), edit.content)


def _overlaps(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    if a[0] == a[1] == b[0] == b[1]:
        return True  # two insertions at one point: their order would matter
    return a[0] < b[1] and b[0] < a[1]


def fix_text(
    text: str,
    lint: Callable[[str], list[Diagnostic]],
    *,
    unsafe: bool = False,
    diagnostics: list[Diagnostic] | None = None,
) -> FixResult:
    """Fix to a fixed point.  `lint` re-lints a text (str -> list[Diagnostic]); `diagnostics`, when
    given, are lint(text) already computed.  A pass whose result no longer parses is dropped."""
    diagnostics = lint(text) if diagnostics is None else diagnostics
    applied: list[Diagnostic] = []
    for _ in range(MAX_PASSES):
        new_text, done = apply_fixes(text, diagnostics, unsafe=unsafe)
        if not done or new_text == text:
            return FixResult(text, applied, diagnostics)
        if not parses(new_text):
            return FixResult(text, applied, diagnostics)  # never hand back code that does not parse
        text = new_text
        applied.extend(done)
        diagnostics = lint(text)
    converged = not any(applicable(d.fix, unsafe) for d in diagnostics)
    return FixResult(text, applied, diagnostics, converged)


def parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


@dataclass
class FileFix:
    """The outcome of fixing one file's bytes (nothing is written here)."""

    name: str
    original: bytes
    # The bytes to write; None when nothing changes.
    fixed: bytes | None
    applied: list[Diagnostic]
    remaining: list[Diagnostic]
    failed: bool = False
    # One line for the user when fixes were held back (no fixed point, unencodable text).
    problem: str | None = None
    # Lines about a file skipped on purpose (api.FileResult.notices).
    notices: list[str] = field(default_factory=list)


def fix_bytes(data: bytes, name: str, settings: Settings, *, unsafe: bool = False) -> FileFix:
    """Fix a file's content to a fixed point, keeping its encoding, BOM and line endings."""
    from rnnlint.api import lint_bytes, lint_source
    from rnnlint.sources import is_notebook
    from rnnlint.sources.python import SourceText

    if is_notebook(name):
        from rnnlint.sources.notebook import fix_notebook

        return fix_notebook(data, name, settings, unsafe=unsafe)  # the cells' sources, not the JSON text

    result = lint_bytes(data, name, settings)
    if result.failed or not any(applicable(d.fix, unsafe) for d in result.diagnostics):
        return FileFix(name, data, None, [], result.diagnostics, failed=result.failed)
    source = SourceText.from_bytes(data)
    outcome = fix_text(source.text, lambda text: lint_source(text, name, settings), unsafe=unsafe, diagnostics=result.diagnostics)
    problem = None if outcome.converged else f"fixes did not reach a fixed point after {MAX_PASSES} passes"
    if outcome.text == source.text:
        return FileFix(name, data, None, [], result.diagnostics, problem=problem)
    try:
        fixed = source.to_bytes(outcome.text)
    except UnicodeEncodeError as error:
        problem = f"not fixed: the fixed text cannot be encoded as {source.encoding}: {error.reason}"
        return FileFix(name, data, None, [], result.diagnostics, problem=problem)
    return FileFix(name, data, fixed, outcome.applied, outcome.remaining, problem=problem)
