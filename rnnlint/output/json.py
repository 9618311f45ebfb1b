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
