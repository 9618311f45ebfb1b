"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

The run lists every rule of the catalogue (so a viewer can explain a rule even
when it has no result) and one result per diagnostic.  Paths are relative to
the project root, named by the `%SRCROOT%` base id whose absolute location is
given in `originalUriBaseIds`: the log stays meaningful when moved to another
checkout of the same repository.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from rnnlint import __version__
from rnnlint.diagnostics import DOCS_BASE_URL, Diagnostic, Edit, Fix, Location, Severity, rule_url
from rnnlint.output._common import relative_path, span, uri_reference
from rnnlint.output.escape import printable

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
ROOT_ID = "%SRCROOT%"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.HINT: "note"}
_SECTION = re.compile(r"^## What it does\s*\n(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)


def _rule(rule: type) -> dict:
    documentation = rule.documentation()
    section = _SECTION.search(documentation)
    full = " ".join(section.group(1).split()) if section else rule.summary
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": full},
        "help": {"text": documentation, "markdown": documentation},
        "helpUri": rule_url(rule.code),
        "defaultConfiguration": {"enabled": rule.on_by_default(), "level": LEVELS[rule.severity]},
        "properties": {"tags": [rule.severity.value]},
    }


def _artifact(filename: str, root: str | None) -> dict:
    relative = relative_path(filename, root)
    if relative is not None:
        return {"uri": uri_reference(relative), "uriBaseId": ROOT_ID}
    if filename == "-":
        return {"uri": "stdin"}
    return {"uri": Path(os.path.abspath(filename)).as_uri()}


def _directory_uri(directory: str) -> str:
    uri = Path(os.path.abspath(directory)).as_uri()
    return uri if uri.endswith("/") else uri + "/"  # a base URI names a directory only with its slash


def _region(start: Location, end: Location) -> dict:
    return {"startLine": start.row, "startColumn": start.column, "endLine": end.row, "endColumn": end.column}


def _replacement(edit: Edit) -> dict:
    return {"deletedRegion": _region(edit.location, edit.end_location), "insertedContent": {"text": edit.content}}


def _fix(fix: Fix, artifact: dict) -> dict:
    return {
        "description": {"text": printable(fix.message)},
        "artifactChanges": [{"artifactLocation": artifact, "replacements": [_replacement(e) for e in fix.edits]}],
        "properties": {"applicability": fix.applicability.value},
    }


def _result(diagnostic: Diagnostic, index: int | None, root: str | None, fingerprint: str | None) -> dict:
    start, end, message = span(diagnostic)
    artifact = _artifact(diagnostic.filename, root)
    result: dict = {"ruleId": diagnostic.code}
    if index is not None:
        result["ruleIndex"] = index
    result["level"] = LEVELS[diagnostic.severity]
    result["message"] = {"text": printable(message)}
    result["locations"] = [{"physicalLocation": {"artifactLocation": artifact, "region": _region(start, end)}}]
    related = diagnostic.extra.get("related")
    if related:  # the producer of the finding in another module of the project
        result["relatedLocations"] = [
            {
                "id": number,
                "physicalLocation": {
                    "artifactLocation": _artifact(place["filename"], root),
                    "region": {"startLine": place["row"], "endLine": place["end_row"]},
                },
                "message": {"text": place["message"]},
            }
            for number, place in enumerate(related, 1)
        ]
    if diagnostic.fix is not None and diagnostic.cell is None:
        result["fixes"] = [_fix(diagnostic.fix, artifact)]
    if fingerprint is not None:
        # Code scanning tracks an alert across commits by this; it ignores line numbers.
        result["partialFingerprints"] = {"rnnlint/v1": fingerprint}
    return result


def as_dict(
    diagnostics: Sequence[Diagnostic],
    *,
    root: str | None = None,
    fingerprint: Callable[[Diagnostic], str] | None = None,
) -> dict:
    from rnnlint.rules import all_rules

    rules = list(all_rules())
    index = {rule.code: number for number, rule in enumerate(rules)}
    run: dict = {
        "tool": {
            "driver": {
                "name": "rnnlint",
                "version": __version__,
                "informationUri": DOCS_BASE_URL,
                "rules": [_rule(rule) for rule in rules],
            }
        },
        "columnKind": "unicodeCodePoints",
    }
    if root is not None:
        run["originalUriBaseIds"] = {ROOT_ID: {"uri": _directory_uri(root)}}
    run["results"] = [_result(d, index.get(d.code), root, fingerprint(d) if fingerprint else None) for d in diagnostics]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(
    diagnostics: Sequence[Diagnostic],
    *,
    root: str | None = None,
    fingerprint: Callable[[Diagnostic], str] | None = None,
    **_: object,
) -> str:
    return json.dumps(as_dict(diagnostics, root=root, fingerprint=fingerprint), indent=2) + "\n"
