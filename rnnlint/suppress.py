"""Suppression comments: `# noqa`, `# noqa: RNN101,RNN2` and the file-level `# rnnlint: noqa`.

The syntax is flake8's and ruff's: a bare `# noqa` silences every finding on
its line, `# noqa: CODES` the findings whose code starts with one of the codes
(so `RNN2` covers RNN201..RNN204).  A finding whose span covers several lines
may carry its comment on the first or on the last line.  `# rnnlint: noqa`
anywhere in a file silences the whole file (or, with codes, those codes).

Comments are found with `tokenize`, so `"# noqa"` inside a string does not
count.  Tokenizing costs time, so it is done only for a file that has
findings (or RNN002 to check) and whose text mentions `noqa` at all.

This stage also produces RNN002 (a `# noqa` naming rnnlint codes that
suppresses nothing) and writes suppressions for `--add-noqa`.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rnnlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location
from rnnlint.sources.python import LineIndex

_CODE = r"[A-Za-z]+[0-9]+"
_CODES = rf"(?P<codes>{_CODE}(?:[,\s]+{_CODE})*)"
# The word noqa after a hash, in any case, optionally a colon and codes; a colon with no code
# after it makes a bare directive (as in flake8).
_LINE_NOQA = re.compile(rf"#\s*noqa(?:\s*:\s*{_CODES})?", re.IGNORECASE)
_FILE_NOQA = re.compile(rf"#\s*rnnlint\s*:\s*noqa(?:\s*:\s*{_CODES})?", re.IGNORECASE)
_SPLIT = re.compile(r"[,\s]+")
OUR_PREFIX = "RNN"
UNUSED_NOQA = "RNN002"
# A file that cannot be parsed cannot carry trustworthy comments.
UNSUPPRESSABLE = ("RNN001",)


@dataclass(frozen=True)
class Directive:
    """One suppression comment.  Columns are 0-based character offsets in the line."""

    row: int
    start: int  # the directive's `#`
    end: int  # just after its last code (or after `noqa`)
    codes: tuple[str, ...] | None  # None: every code
    codes_start: int | None = None
    codes_end: int | None = None
    file_level: bool = False

    def covers(self, code: str) -> bool:
        return self.codes is None or any(code.startswith(c) for c in self.codes)


@dataclass
class Comments:
    """What tokenizing a file tells this stage: the directives, and where a comment may be added."""

    lines: dict[int, list[Directive]] = field(default_factory=dict)
    file: list[Directive] = field(default_factory=list)
    # Rows whose end is outside any string or backslash continuation, and the
    # column where each row's code (or existing comment) ends.
    commentable: set[int] = field(default_factory=set)
    comment_end: dict[int, int] = field(default_factory=dict)


def read_comments(text: str, *, for_editing: bool = False) -> Comments:
    """The suppression directives of `text` (and, `for_editing`, where comments can go)."""
    comments = Comments()
    if not for_editing and "noqa" not in text.lower():
        return comments  # nothing to find: skip the (slow) tokenizer
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            row, column = token.start
            if token.type == tokenize.COMMENT:
                comments.commentable.add(row)
                comments.comment_end[row] = token.end[1]
                _parse_comment(token.string, row, column, comments)
            elif token.type in (tokenize.NEWLINE, tokenize.NL):
                comments.commentable.add(row)
    except (tokenize.TokenError, SyntaxError):
        pass  # keep what was found before the tokenizer gave up
    return comments


def _parse_comment(comment: str, row: int, column: int, comments: Comments) -> None:
    file_match = _FILE_NOQA.search(comment)
    if file_match is not None:
        comments.file.append(_directive(file_match, row, column, file_level=True))
        return
    match = _LINE_NOQA.search(comment)
    if match is not None:
        comments.lines.setdefault(row, []).append(_directive(match, row, column))


def _directive(match: re.Match, row: int, column: int, *, file_level: bool = False) -> Directive:
    raw = match.group("codes")
    if raw is None:
        return Directive(row, column + match.start(), column + match.end(), None, file_level=file_level)
    codes = tuple(code.upper() for code in _SPLIT.split(raw.strip()) if code)
    return Directive(
        row,
        column + match.start(),
        column + match.end(),
        codes,
        codes_start=column + match.start("codes"),
        codes_end=column + match.end("codes"),
        file_level=file_level,
    )


def _rows(diagnostic: Diagnostic) -> tuple[int, ...]:
    """The rows where a comment may suppress `diagnostic`: its first and its last."""
    first, last = diagnostic.location.row, diagnostic.end_location.row
    return (first,) if first == last else (first, last)


def suppressing(diagnostic: Diagnostic, comments: Comments) -> list[Directive]:
    if diagnostic.code in UNSUPPRESSABLE:
        return []
    found = [d for d in comments.file if d.covers(diagnostic.code)]
    for row in _rows(diagnostic):
        found.extend(d for d in comments.lines.get(row, ()) if d.covers(diagnostic.code))
    return found


def apply_noqa(
    text: str,
    filename: str,
    reported: Sequence[Diagnostic],
    *,
    would_report: Sequence[Diagnostic] | None = None,
    known_codes: Iterable[str] = (),
) -> list[Diagnostic]:
    """Drop the suppressed diagnostics of `reported`.

    With `would_report` (what every rule, enabled or not, finds in the file), also
    report RNN002 for each directive naming rnnlint codes that match none of it.
    """
    if not reported and would_report is None:
        return []
    comments = read_comments(text)
    if not comments.lines and not comments.file:
        return list(reported)
    kept = [d for d in reported if not suppressing(d, comments)]
    if would_report is not None:
        unused = unused_noqa(text, filename, comments, would_report, set(known_codes))
        kept.extend(d for d in unused if not suppressing(d, comments))
    return kept


# --- RNN002 --------------------------------------------------------------------------


def unused_noqa(
    text: str, filename: str, comments: Comments, would_report: Sequence[Diagnostic], known_codes: set[str]
) -> list[Diagnostic]:
    """RNN002 for every rnnlint code in a directive that matches no finding.

    Codes are judged against what every rule would report, enabled or not: a
    `# noqa: RNN501` kept for a hint rule this run does not select still has a
    finding to silence, and is not stale.  Bare `# noqa` and other tools' codes
    are not ours to judge; nor is RNN002 itself (it would judge its own report).
    """
    from rnnlint.rules.rnn002_unused_noqa import UnusedNoqa

    index = LineIndex(text)
    by_row: dict[int, list[str]] = {}
    for diagnostic in would_report:
        for row in _rows(diagnostic):
            by_row.setdefault(row, []).append(diagnostic.code)
    everywhere = [d.code for d in would_report]
    results = []
    directives = [d for ds in comments.lines.values() for d in ds] + comments.file
    for directive in sorted(directives, key=lambda d: (d.row, d.start)):
        if directive.codes is None:
            continue
        found = everywhere if directive.file_level else by_row.get(directive.row, [])
        ours = [c for c in directive.codes if c.startswith(OUR_PREFIX) and not UNUSED_NOQA.startswith(c)]
        unused = [c for c in ours if not any(code.startswith(c) for code in found)]
        if not unused:
            continue
        unknown = [c for c in unused if not any(k.startswith(c) for k in known_codes)]
        results.append(
            Diagnostic(
                code=UnusedNoqa.code,
                message=UnusedNoqa.message(unused, unknown, file_level=directive.file_level),
                filename=filename,
                location=Location(directive.row, directive.start + 1),
                end_location=Location(directive.row, directive.end + 1),
                severity=UnusedNoqa.severity,
                fix=_remove_codes(index, directive, unused),
                name=UnusedNoqa.name,
            )
        )
    return results


def _remove_codes(index: LineIndex, directive: Directive, unused: list[str]) -> Fix | None:
    """Drop the unused codes; drop the whole directive when no code is left."""
    assert directive.codes is not None and directive.codes_start is not None
    row, line = directive.row, index.line(directive.row)
    kept = [c for c in directive.codes if c not in unused]
    noun = "code" if len(unused) == 1 else "codes"
    title = f"Remove unused noqa {noun} {', '.join(unused)}"
    if kept:
        edit = Edit(Location(row, directive.codes_start + 1), Location(row, directive.codes_end + 1), ", ".join(kept))
        return Fix(title, Applicability.SAFE, (edit,))
    if line[directive.end :].strip():
        return None  # text follows the directive in the comment: removing it would need judgement
    # Remove the directive with the blanks before it; when it was the whole comment,
    # the `#` goes too, and the line ends where its code does.
    start = len(line[: directive.start].rstrip())
    edit = Edit(Location(row, start + 1), Location(row, directive.end + 1), "")
    return Fix("Remove unused noqa directive", Applicability.SAFE, (edit,))


# --- --add-noqa ----------------------------------------------------------------------


@dataclass
class AddedNoqa:
    text: str
    added: int  # findings now suppressed
    skipped: list[Diagnostic]  # findings on no line that can carry a comment


def add_noqa(text: str, diagnostics: Sequence[Diagnostic]) -> AddedNoqa:
    """Add `# noqa: CODE` for each finding, merging into an existing `# noqa: ...` on the line."""
    comments = read_comments(text, for_editing=True)
    index = LineIndex(text)
    wanted: dict[int, list[str]] = {}
    skipped: list[Diagnostic] = []
    added = 0
    for diagnostic in diagnostics:
        if diagnostic.code in UNSUPPRESSABLE:
            skipped.append(diagnostic)
            continue
        row = next((r for r in _rows(diagnostic) if r in comments.commentable), None)
        if row is None:
            skipped.append(diagnostic)  # e.g. every row of its span ends inside a string or after a backslash
            continue
        codes = wanted.setdefault(row, [])
        if diagnostic.code not in codes:
            codes.append(diagnostic.code)
        added += 1
    edits: list[tuple[int, int, str]] = []
    for row, codes in wanted.items():
        start = index.starts[row - 1]
        line = index.line(row)
        existing = next((d for d in comments.lines.get(row, ()) if d.codes is not None), None)
        if existing is not None:
            merged = list(existing.codes or ()) + [c for c in sorted(codes) if c not in (existing.codes or ())]
            assert existing.codes_start is not None and existing.codes_end is not None
            edits.append((start + existing.codes_start, start + existing.codes_end, ", ".join(merged)))
            continue
        # After the code or the comment already there; trailing blanks give way.
        end = len(line[: comments.comment_end.get(row, len(line))].rstrip())
        edits.append((start + end, start + len(line), f"  # noqa: {', '.join(sorted(codes))}"))
    parts: list[str] = []
    position = 0
    for begin, end, content in sorted(edits):  # the text built once, not copied per comment
        parts += [text[position:begin], content]
        position = end
    return AddedNoqa("".join(parts) + text[position:], added, skipped)


@dataclass
class NoqaOutcome:
    """The outcome of `--add-noqa` on one file's bytes (nothing is written here)."""

    fixed: bytes | None  # None when nothing changes
    added: int
    skipped: list[Diagnostic]
    failed: bool = False
