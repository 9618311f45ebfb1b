"""GitLab code-quality JSON (the `codequality` report of a job), shaped like ruff's.

GitLab matches issues between the source and target branches of a merge request
by `fingerprint`; the CLI passes one that depends on the flagged code, not on
its line, so an issue does not look new because code was added above it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence

from rnnlint.diagnostics import Diagnostic, Severity
from rnnlint.output._common import display_path, span
from rnnlint.output.escape import printable

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.HINT: "info"}


def _digest(*parts: object) -> str:
    key = "\0".join(str(part) for part in parts)
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def as_list(
    diagnostics: Sequence[Diagnostic],
    *,
    root: str | None = None,
    fingerprint: Callable[[Diagnostic], str] | None = None,
) -> list[dict]:
    issues = []
    seen: set[str] = set()
    for diagnostic in diagnostics:
        start, end, message = span(diagnostic)
        path = display_path(diagnostic.filename, root)
        if fingerprint is not None:
            base = _digest(path, fingerprint(diagnostic))
        else:  # without the source, the position has to do
            base = _digest(path, diagnostic.code, diagnostic.location.row, diagnostic.location.column, message)
        # GitLab requires fingerprints to be unique within a report.
        unique, salt = base, 0
        while unique in seen:
            salt += 1
            unique = _digest(base, salt)
        seen.add(unique)
        issues.append(
            {
                "check_name": diagnostic.code,
                # GitLab shows only the description, so it carries the code too.
                "description": f"{diagnostic.code}: {printable(message)}",
                "severity": SEVERITIES[diagnostic.severity],
                "fingerprint": unique,
                "location": {"path": path, "lines": {"begin": start.row, "end": end.row}},
            }
        )
    return issues


def render(
    diagnostics: Sequence[Diagnostic],
    *,
    root: str | None = None,
    fingerprint: Callable[[Diagnostic], str] | None = None,
    **_: object,
) -> str:
    return json.dumps(as_list(diagnostics, root=root, fingerprint=fingerprint), indent=2) + "\n"
