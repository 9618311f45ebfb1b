"""Apply fixes to source text: non-overlapping edits per pass, re-lint, repeat to a fixed point."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

from rnnlint.diagnostics import Applicability, Diagnostic, Edit, Fix
from rnnlint.sources.python import LineIndex

MAX_PASSES = 10


@dataclass
class FixResult:
    text: str
    # Diagnostics whose fix was applied, across all passes.
    applied: list[Diagnostic]
    # What is left after the last pass.
    remaining: list[Diagnostic]


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    if fix is None:
        return False
    return fix.applicability is Applicability.SAFE or (unsafe and fix.applicability is Applicability.UNSAFE)


def apply_fixes(text: str, diagnostics: Sequence[Diagnostic], *, unsafe: bool = False) -> tuple[str, list[Diagnostic]]:
    """Apply every applicable fix that does not overlap an earlier one; return the text and what was applied.

    Identical edits (two findings asking for the same change to one
    construction) are merged and applied once.
    """
    index = LineIndex(text)
    chosen: list[tuple[int, int, str]] = []
    applied: list[Diagnostic] = []
    for diagnostic in diagnostics:
        if not applicable(diagnostic.fix, unsafe):
            continue
        assert diagnostic.fix is not None
        spans = [_span(index, edit) for edit in diagnostic.fix.edits]
        if all(span in chosen for span in spans):
            applied.append(diagnostic)  # the same change is already planned
            continue
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


def fix_text(text: str, lint, *, unsafe: bool = False) -> FixResult:  # noqa: ANN001 - lint: str -> list[Diagnostic]
    """Fix to a fixed point.  `lint` re-lints a text.  A pass whose result no longer parses is dropped."""
    diagnostics = lint(text)
    applied: list[Diagnostic] = []
    for _ in range(MAX_PASSES):
        new_text, done = apply_fixes(text, diagnostics, unsafe=unsafe)
        if not done or new_text == text:
            break
        try:
            ast.parse(new_text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            break  # never hand back code that does not parse
        text = new_text
        applied.extend(done)
        diagnostics = lint(text)
    return FixResult(text, applied, diagnostics)
