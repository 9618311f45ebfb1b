"""GitHub Actions workflow commands (one annotation per finding), then the plain text report.

GitHub shows a limited number of annotations per step, so the text report
follows the commands: the job log always holds every finding.  The report
quotes the repository (file names, layer names), so the runner is told to
process no command in it: it sits between `::stop-commands::TOKEN` and
`::TOKEN::`, with a token drawn afresh for each run; and, escaped as every text
format is (rnnlint.output.escape), none of its lines begins with `::` anyway.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from rnnlint.diagnostics import Diagnostic, Severity
from rnnlint.output import text
from rnnlint.output._common import display_path, span
from rnnlint.output.escape import printable

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
        "file": printable(display_path(diagnostic.filename, root)),
        "line": start.row,
        "col": start.column,
        "endLine": end.row,
        "endColumn": end.column,
        "title": diagnostic.code,
    }
    joined = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{COMMANDS[diagnostic.severity]} {joined}::{escape_data(printable(message))}"


def render(diagnostics: Sequence[Diagnostic], *, root: str | None = None, **options: object) -> str:
    commands = "".join(command(d, root) + "\n" for d in diagnostics)
    options.pop("colour", None)  # the job log is not a terminal
    report = text.render(diagnostics, colour=False, **options)  # type: ignore[arg-type]
    return commands + (quoted(report) if report else "")


def quoted(report: str) -> str:
    """`report` between commands that stop and resume the runner's command processing."""
    token = secrets.token_hex(16)
    return f"::stop-commands::{token}\n{report}::{token}::\n"
