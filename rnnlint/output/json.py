"""ruff-compatible JSON: a list of objects with code, message, filename, locations, fix and url."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rnnlint.diagnostics import Diagnostic, Edit, Fix, Location
from rnnlint.output.escape import printable


def _location(location: Location) -> dict[str, int]:
    return {"row": location.row, "column": location.column}


def _fix(fix: Fix | None) -> dict | None:
    if fix is None:
        return None
    return {
        "message": printable(fix.message),
        "applicability": fix.applicability.value,
        "edits": [_edit(e) for e in fix.edits],
    }


def _edit(edit: Edit) -> dict:
    data = {"content": edit.content, "location": _location(edit.location), "end_location": _location(edit.end_location)}
    if edit.cell is not None:
        data["cell"] = edit.cell
    return data


def as_dict(diagnostic: Diagnostic) -> dict:
    data = {
        "code": diagnostic.code,
        "name": diagnostic.name,
        "message": printable(diagnostic.message),
        "severity": diagnostic.severity.value,
        "filename": diagnostic.filename,
        "location": _location(diagnostic.location),
        "end_location": _location(diagnostic.end_location),
        "fix": _fix(diagnostic.fix),
        "url": diagnostic.url,
        "noqa_row": diagnostic.location.row,
    }
    if diagnostic.cell is not None:
        data["cell"] = diagnostic.cell
    data.update(diagnostic.extra)
    return data


def render(diagnostics: Sequence[Diagnostic], **_: object) -> str:
    return json.dumps([as_dict(d) for d in diagnostics], indent=2) + "\n"


def statistics(diagnostics: Sequence[Diagnostic]) -> str:
    """`--statistics --output-format json`, shaped like ruff's: one object per code, most frequent first;
    `fixable` when one of its findings has a safe fix (what `--fix` would apply)."""
    from rnnlint.diagnostics import Applicability

    counts: dict[str, dict] = {}
    for d in diagnostics:
        entry = counts.setdefault(d.code, {"code": d.code, "name": d.name, "count": 0, "fixable": False})
        entry["count"] += 1
        entry["fixable"] = entry["fixable"] or (d.fix is not None and d.fix.applicability is Applicability.SAFE)
    rows = sorted(counts.values(), key=lambda entry: (-entry["count"], entry["code"]))
    return json.dumps(rows, indent=2) + "\n"
