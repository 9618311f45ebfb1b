"""GitHub Actions workflow commands (one annotation per finding), then the plain text report.

GitHub shows a limited number of annotations per step, so the text report
follows the commands: the job log always holds every finding.
"""

from __future__ import annotations

from collections.abc import Sequence

from rnnlint.diagnostics import Diagnostic, Severity
from rnnlint.output import text
from rnnlint.output._common import display_path, span

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.HINT: "notice"}


def escape_data(value: str) -> str:
    """Escape a command's message, as the Actions runner unescapes it."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a property value: the data escapes, plus the ':' and ',' that delimit properties."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(diagnostic: Diagnostic, root: str | None = None) -> str:
    start, end, message = span(diagnostic)
    properties = {
        "file": display_path(diagnostic.filename, root),
        "line": start.row,
        "col": start.column,
        "endLine": end.row,
        "endColumn": end.column,
        "title": diagnostic.code,
    }
    joined = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{COMMANDS[diagnostic.severity]} {joined}::{escape_data(message)}"


def render(diagnostics: Sequence[Diagnostic], *, root: str | None = None, **options: object) -> str:
    commands = "".join(command(d, root) + "\n" for d in diagnostics)
    options.pop("colour", None)  # the job log is not a terminal
    return commands + text.render(diagnostics, colour=False, **options)  # type: ignore[arg-type]
