"""Human text: `path:row:col: CODE message`, optionally the source line with carets, and a summary."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rnnlint.diagnostics import Applicability, Diagnostic, Severity

_COLOURS = {Severity.ERROR: "\x1b[31m", Severity.WARNING: "\x1b[33m", Severity.HINT: "\x1b[36m"}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def location_text(diagnostic: Diagnostic) -> str:
    cell = f":cell {diagnostic.cell}" if diagnostic.cell is not None else ""
    return f"{diagnostic.filename}{cell}:{diagnostic.location.row}:{diagnostic.location.column}"


def render(
    diagnostics: Sequence[Diagnostic],
    *,
    colour: bool = False,
    show_source: bool = False,
    source_line: Callable[[Diagnostic], str | None] = lambda d: None,
    **_: object,
) -> str:
    lines = []
    for diagnostic in diagnostics:
        fixable = " [*]" if diagnostic.fix is not None and diagnostic.fix.applicability is Applicability.SAFE else ""
        where, code = location_text(diagnostic), diagnostic.code
        if colour:
            where = f"{_BOLD}{where}{_RESET}"
            code = f"{_COLOURS[diagnostic.severity]}{_BOLD}{code}{_RESET}"
        lines.append(f"{where}: {code}{fixable} {diagnostic.message}")
        if "confirmation" in diagnostic.extra:
            lines.extend(confirmation_lines(diagnostic.extra["confirmation"]))
        if show_source:
            line = source_line(diagnostic)
            if line is not None:
                lines.extend(_snippet(diagnostic, line, colour))
    return "\n".join(lines) + ("\n" if lines else "")


def confirmation_lines(confirmation: dict) -> list[str]:
    """What --confirm found, indented under the finding."""
    keras = f" (Keras {confirmation['keras']})" if confirmation.get("keras") else ""
    lines = [f"    {confirmation['status']}{keras}: {confirmation['detail']}"]
    lines.extend(f"      observed: {observation}" for observation in confirmation.get("observations") or ())
    if confirmation.get("placeholders"):
        sizes = ", ".join(f"{name}={value}" for name, value in confirmation["placeholders"].items())
        lines.append(f"      placeholders: {sizes}")
    if confirmation.get("note"):
        lines.append(f"      note: {confirmation['note']}")
    return lines


def _snippet(diagnostic: Diagnostic, line: str, colour: bool) -> list[str]:
    row = diagnostic.location.row
    gutter = " " * len(str(row))
    start = diagnostic.location.column - 1
    if diagnostic.end_location.row == row:
        width = max(diagnostic.end_location.column - 1 - start, 1)
    else:
        width = max(len(line.rstrip()) - start, 1)
    expanded = line.expandtabs(1)  # one column per character, so carets line up
    carets = " " * start + "^" * width
    if colour:
        carets = f"{_COLOURS[diagnostic.severity]}{carets}{_RESET}"
    return [f"{gutter} |", f"{row} | {expanded}", f"{gutter} | {carets}", ""]


def summary(diagnostics: Sequence[Diagnostic], *, fixed: int = 0, unsafe_hint: bool = True) -> str:
    lines = []
    if fixed:
        lines.append(f"Fixed {fixed} error{'s' if fixed != 1 else ''}.")
    if diagnostics:
        count = len(diagnostics)
        noun = "error" if count == 1 else "errors"
        if fixed:
            lines.append(f"Found {count + fixed} {'error' if count + fixed == 1 else 'errors'} ({fixed} fixed, {count} remaining).")
        else:
            lines.append(f"Found {count} {noun}.")
        safe = sum(1 for d in diagnostics if d.fix and d.fix.applicability is Applicability.SAFE)
        unsafe = sum(1 for d in diagnostics if d.fix and d.fix.applicability is Applicability.UNSAFE)
        if safe:
            lines.append(f"[*] {safe} fixable with the `--fix` option.")
        if unsafe and unsafe_hint:
            lines.append(f"({unsafe} hidden fix{'es' if unsafe != 1 else ''} can be enabled with the `--unsafe-fixes` option.)")
    elif not fixed:
        lines.append("All checks passed!")
    return "\n".join(lines) + "\n"


def statistics(diagnostics: Sequence[Diagnostic]) -> str:
    counts: dict[str, tuple[int, str, bool]] = {}
    for d in diagnostics:
        count, _, fixable = counts.get(d.code, (0, d.name, False))
        counts[d.code] = (count + 1, d.name, fixable or (d.fix is not None and d.fix.applicability is Applicability.SAFE))
    rows = sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))
    width = max((len(str(c)) for c, _, _ in counts.values()), default=1)
    return "".join(f"{count:>{width}}\t{code}\t{'[*] ' if fix else '[ ] '}{name}\n" for code, (count, name, fix) in rows)
