"""Apply fixes to source text: non-overlapping edits per pass, re-lint, repeat to a fixed point.

Text in, text out: this module knows nothing of files, notebooks or how a text
is linted (the caller passes `lint`); the per-source orchestration is in
rnnlint/api.py.
"""

from __future__ import annotations

import bisect
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

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
    # False when fixes still applied after MAX_PASSES passes (the text is what the last good pass left).
    converged: bool = True


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


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    if fix is None:
        return False
    return fix.applicability is Applicability.SAFE or (unsafe and fix.applicability is Applicability.UNSAFE)


class _Plan:
    """The edits chosen for one pass: disjoint spans kept sorted, so a new one is checked against its neighbours.

    Chosen spans never overlap, so sorted by start their ends are sorted too, and
    a span can only overlap the planned ones next to where it would be inserted:
    choosing n edits costs O(n log n) comparisons, not n² (13,000 fixes in one
    generated file made the pairwise check take half a minute).
    """

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []
        self.contents: dict[tuple[int, int], str] = {}
        # (call, keyword) pairs a chosen fix sets: two fixes setting one keyword on one call would
        # write it twice (`return_sequence` renamed while `return_sequences=True` is added).
        self.claims: set[tuple] = set()

    def admits(self, spans: Sequence[tuple[int, int, str]], claims: Iterable[tuple]) -> bool:
        merged = all(self.contents.get((start, end)) == content for start, end, content in spans)
        if not merged and any(claim in self.claims for claim in claims):
            return False  # the keyword is set by another edit (a fix asking for the very same edit is merged)
        return not any(self._conflicts(start, end, content) for start, end, content in spans)

    def _conflicts(self, start: int, end: int, content: str) -> bool:
        planned = self.contents.get((start, end))
        if planned is not None:
            return planned != content  # the same edit is merged; another one at the same place conflicts
        index = bisect.bisect_left(self.spans, (start, end))
        return any(_overlaps((start, end), other) for other in self.spans[max(index - 2, 0) : index + 2])

    def add(self, spans: Sequence[tuple[int, int, str]], claims: Iterable[tuple]) -> None:
        for start, end, content in spans:
            if (start, end) not in self.contents:
                bisect.insort(self.spans, (start, end))
                self.contents[(start, end)] = content
        self.claims.update(claims)

    def apply(self, text: str) -> str:
        """The text with every planned edit made, built in one sweep."""
        parts: list[str] = []
        position = 0
        for start, end in self.spans:
            parts.append(text[position:start])
            parts.append(self.contents[(start, end)])
            position = end
        parts.append(text[position:])
        return "".join(parts)


def apply_fixes(text: str, diagnostics: Sequence[Diagnostic], *, unsafe: bool = False) -> tuple[str, list[Diagnostic]]:
    """Apply every applicable fix that does not overlap an earlier one; return the text and what was applied.

    Identical edits (two findings asking for the same change to one
    construction, or two class replacements sharing an import edit) are merged
    and applied once.  Two fixes that set the same keyword on one call are not
    applied in one pass: the later one waits for the re-lint, which sees the
    keyword already there and edits its value instead.
    """
    index = LineIndex(text)
    plan = _Plan()
    applied: list[Diagnostic] = []
    for diagnostic in diagnostics:
        fix = diagnostic.fix
        if not applicable(fix, unsafe):
            continue
        assert fix is not None
        if any(edit.cell is not None for edit in fix.edits):
            continue  # relative to a notebook cell: not a place in this text (notebooks fix their program)
        spans = [_span(index, edit) for edit in fix.edits]
        if not plan.admits(spans, fix.claims):
            continue  # left for the next pass, after re-linting
        plan.add(spans, fix.claims)
        applied.append(diagnostic)
    return plan.apply(text), applied


def _span(index: LineIndex, edit: Edit) -> tuple[int, int, str]:
    return (index.offset(edit.location), index.offset(edit.end_location), edit.content)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
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
    given, are lint(text) already computed.

    Every pass is checked with `compile()`, which also rejects what `ast.parse`
    lets through (a keyword given twice, `return` outside a function): a pass
    whose result does not compile (when its input did) is retried one fix at a
    time, and a fix that breaks the code on its own is never applied.
    """
    diagnostics = lint(text) if diagnostics is None else diagnostics
    applied: list[Diagnostic] = []
    strict = compiles(text)  # a text that does not compile as it is (top-level await in a notebook) must still parse
    for _ in range(MAX_PASSES):
        new_text, done = _checked_pass(text, diagnostics, unsafe, strict)
        if not done or new_text == text:
            return FixResult(text, applied, diagnostics)
        text = new_text
        applied.extend(done)
        diagnostics = lint(text)
    converged = not any(applicable(d.fix, unsafe) for d in diagnostics)
    return FixResult(text, applied, diagnostics, converged)


def _checked_pass(text: str, diagnostics: list[Diagnostic], unsafe: bool, strict: bool) -> tuple[str, list[Diagnostic]]:
    """One pass whose result compiles (or, when `text` did not, parses); what it applied.

    When the whole pass does not, the fixes are halved until a first part is
    valid (progress; the rest waits for the next pass) or one fix alone is not
    (it is dropped, and the search starts again): a few compiles, not one per fix.
    """
    valid = compiles if strict else parses
    candidates = list(diagnostics)
    for _ in range(_MAX_DROPPED + 1):
        new_text, done = apply_fixes(text, candidates, unsafe=unsafe)
        if not done or valid(new_text):
            return new_text, done
        part = done
        while len(part) > 1:
            part = part[: len(part) // 2]
            new_text, kept = apply_fixes(text, part, unsafe=unsafe)
            if valid(new_text):
                return new_text, kept
        candidates = [d for d in candidates if d is not part[0]]  # breaks the code on its own
    return text, []


# How many fixes that break the code one pass may drop before it gives up.
_MAX_DROPPED = 8


def _check(text: str, compiler: Callable[[str], object]) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the user's code's warnings (invalid escapes) are not ours
        try:
            compiler(text)
        except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError):
            return False
    return True


def parses(text: str) -> bool:
    """Whether `ast.parse` accepts the text."""
    import ast

    return _check(text, ast.parse)


def compiles(text: str) -> bool:
    """Whether Python compiles the text (no code is run): what `--fix` must write."""
    return _check(text, lambda source: compile(source, "<fixed>", "exec", dont_inherit=True))
