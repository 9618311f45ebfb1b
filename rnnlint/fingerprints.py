"""A finding's identity that survives unrelated edits.

A finding is known by its code, its file and the text of the flagged
construction with its whitespace ignored, never by its line: code added above
it or reindented around it leaves the identity unchanged.  Identical
constructions flagged with the same code in one file are told apart by their
order (the occurrence index).  In a notebook the text is read from the
finding's cell (the cell's number is not part of the identity: cells move).  The baseline, GitLab's fingerprints and SARIF's
partial fingerprints all use this.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rnnlint.diagnostics import Diagnostic
from rnnlint.sources.python import LineIndex, SourceError, SourceText

SNIPPET_LENGTH = 120


@dataclass(frozen=True)
class Fingerprint:
    code: str
    filename: str
    digest: str
    occurrence: int
    # The flagged text on one line, shortened: shown to reviewers, never compared.
    snippet: str

    @property
    def token(self) -> str:
        """One string for formats that carry a single opaque fingerprint (the file is given elsewhere)."""
        return f"{self.code}/{self.digest}/{self.occurrence}"


def normalised(text: str) -> str:
    """Whitespace removed: reindenting, rewrapping or reformatting a construction keeps its identity."""
    return "".join(text.split())


def read_source(filename: str) -> str | None:
    try:
        with open(filename, "rb") as handle:
            return SourceText.from_bytes(handle.read()).text
    except (OSError, SourceError):
        return None


def fingerprint_all(diagnostics: Sequence[Diagnostic], text_of: Callable[[str], str | None]) -> list[Fingerprint]:
    """Fingerprints aligned with `diagnostics`; `text_of(filename)` gives a file's source (None if unreadable).

    A notebook's finding (with a cell) is located in its cell's text, read from the notebook's JSON.
    """
    texts: dict[str, str | None] = {}
    indexes: dict[tuple[str, int | None], LineIndex | None] = {}
    seen: dict[tuple[str, str, str], int] = {}
    found: list[Fingerprint | None] = [None] * len(diagnostics)
    for position in sorted(range(len(diagnostics)), key=lambda i: diagnostics[i].sort_key()):
        diagnostic = diagnostics[position]
        where = (diagnostic.filename, diagnostic.cell)
        if where not in indexes:
            if diagnostic.filename not in texts:
                texts[diagnostic.filename] = text_of(diagnostic.filename)
            text = texts[diagnostic.filename]
            if text is not None and diagnostic.cell is not None:
                text = _cell_text(text, diagnostic.cell)
            indexes[where] = LineIndex(text) if text is not None else None
        flagged = _flagged_text(indexes[where], diagnostic)
        digest = hashlib.sha256(normalised(flagged).encode("utf-8", "surrogatepass")).hexdigest()[:16]
        group = (diagnostic.filename, diagnostic.code, digest)
        occurrence = seen.get(group, 0)
        seen[group] = occurrence + 1
        snippet = flagged if len(flagged) <= SNIPPET_LENGTH else flagged[: SNIPPET_LENGTH - 3] + "..."
        found[position] = Fingerprint(diagnostic.code, diagnostic.filename, digest, occurrence, snippet)
    return found  # type: ignore[return-value]


def _cell_text(notebook_text: str, cell: int) -> str | None:
    from rnnlint.sources.notebook import cell_lines

    lines = cell_lines(notebook_text.encode("utf-8", "surrogatepass")).get(cell)
    return None if lines is None else "\n".join(lines) + "\n"


def _flagged_text(index: LineIndex | None, diagnostic: Diagnostic) -> str:
    if index is None:
        return ""
    start, end = index.offset(diagnostic.location), index.offset(diagnostic.end_location)
    return " ".join(index.text[start:end].split())
