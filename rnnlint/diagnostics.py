"""The objects every stage passes along: diagnostics, their spans and their fixes."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

# Where the documentation site (docs/, built with MkDocs; mkdocs.yml's `site_url`) is published.
# Each rule has a page at DOCS_BASE_URL + "rules/<code>/", generated from the rule's docstring; a
# finding's `url` (JSON, SARIF's helpUri, the language server's code description) is that page.
DOCS_BASE_URL = "https://rnnlint.github.io/rnnlint/"


def rule_url(code: str) -> str:
    """The documentation page of a rule: `https://rnnlint.github.io/rnnlint/rules/rnn101/`."""
    return f"{DOCS_BASE_URL}rules/{code.lower()}/"


class Severity(enum.Enum):
    ERROR = "error"  # Keras raises, or the program is certainly wrong
    WARNING = "warning"  # almost certainly a silent bug
    HINT = "hint"  # waste or a known pitfall; off by default

    @property
    def on_by_default(self) -> bool:
        return self is not Severity.HINT


class Applicability(enum.Enum):
    SAFE = "safe"  # applied by --fix
    UNSAFE = "unsafe"  # applied only with --unsafe-fixes
    DISPLAY = "display"  # shown, never applied


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based row and a 1-based column counted in characters (as ruff reports)."""

    row: int
    column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text between two locations (end exclusive) by `content`."""

    location: Location
    end_location: Location
    content: str
    # For notebooks: the 1-based cell the locations are relative to (it may differ from the diagnostic's).
    cell: int | None = None


@dataclass(frozen=True)
class Fix:
    message: str
    applicability: Applicability
    edits: tuple[Edit, ...]
    # What the fix sets, as (call's start, call's end, keyword) triples: two fixes setting one
    # keyword on one call are never applied in one pass (rnnlint/fix.py).  Not serialised.
    claims: tuple[tuple[Location, Location, str], ...] = field(default=(), compare=False)


@dataclass
class Diagnostic:
    code: str
    message: str
    filename: str
    location: Location
    end_location: Location
    severity: Severity
    fix: Fix | None = None
    name: str = ""
    # For notebooks: the 1-based cell the location is relative to.
    cell: int | None = None
    extra: dict = field(default_factory=dict)
    # The (fact, finding) a rule reported from, for `--confirm` to rebuild the claim
    # as a Keras program.  Never serialised, never compared.
    origin: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def url(self) -> str:
        return rule_url(self.code)

    def sort_key(self) -> tuple:
        return (self.filename, self.cell or 0, self.location, self.code)


def unreadable(filename: str, message: str, location: Location = Location(1, 1), cell: int | None = None) -> Diagnostic:
    """An RNN001 finding: the file (or, in a notebook, the cell) could not be read, decoded or parsed."""
    return Diagnostic(
        code="RNN001",
        message=message,
        filename=filename,
        location=location,
        end_location=location,
        severity=Severity.ERROR,
        name="unreadable-file",
        cell=cell,
    )
