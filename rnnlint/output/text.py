"""Human text: `path:row:col: CODE message`, optionally the source line with carets, and a summary."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rnnlint.diagnostics import Applicability, Diagnostic, Severity
from rnnlint.output.escape import no_command_lines, printable, safe_path

_COLOURS = {Severity.ERROR: "\x1b[31m", Severity.WARNING: "\x1b[33m", Severity.HINT: "\x1b[36m"}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def location_text(diagnostic: Diagnostic) -> str:
    """`path:row:col` (`path:cell N:row:col`), the path printable and never starting a line with `:`."""
    cell = f":cell {diagnostic.cell}" if diagnostic.cell is not None else ""
    return f"{safe_path(diagnostic.filename)}{cell}:{diagnostic.location.row}:{diagnostic.location.column}"


def render(
    diagnostics: Sequence[Diagnostic],
    *,
    colour: bool = False,
    show_source: bool = False,
    source_line: Callable[[Diagnostic], str | None] = lambda d: None,
    unsafe_fixes: bool = False,
    show_fixes: bool = False,
    **_: object,
) -> str:
    lines = []
    for diagnostic in diagnostics:
        fixable = " [*]" if _fixable(diagnostic, unsafe_fixes) else ""
        where, code = location_text(diagnostic), diagnostic.code
        if colour:
            where = f"{_BOLD}{where}{_RESET}"
            code = f"{_COLOURS[diagnostic.severity]}{_BOLD}{code}{_RESET}"
        lines.append(f"{where}: {code}{fixable} {printable(diagnostic.message)}")
        if "confirmation" in diagnostic.extra:
            lines.extend(confirmation_lines(diagnostic.extra["confirmation"]))
        if show_source:
            line = source_line(diagnostic)
            if line is not None:
                lines.extend(_snippet(diagnostic, line, colour))
        if show_fixes and diagnostic.fix is not None:
            lines.append(f"  fix ({diagnostic.fix.applicability.value}): {printable(diagnostic.fix.message)}")
    # Everything above is escaped; this also keeps a line from starting a CI workflow command (`::`).
    return no_command_lines("\n".join(lines) + ("\n" if lines else ""))


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
    return [no_command_lines(printable(line)) for line in lines]


def _snippet(diagnostic: Diagnostic, line: str, colour: bool) -> list[str]:
    row = diagnostic.location.row
    gutter = " " * len(str(row))
    start = diagnostic.location.column - 1
    if diagnostic.end_location.row == row:
        width = max(diagnostic.end_location.column - 1 - start, 1)
    else:
        width = max(len(line.rstrip()) - start, 1)
    expanded = line.expandtabs(1)  # one column per character, so carets line up
    # A comment's ESC sequence (window title, clear screen) is shown escaped, never sent to the terminal;
    # the carets move with the wider text.
    flagged = expanded[start : start + width]
    before, shown = printable(expanded[:start]), printable(flagged)
    expanded = before + shown + printable(expanded[start + width :])
    carets = " " * len(before) + "^" * (len(shown) + width - len(flagged))
    if colour:
        carets = f"{_COLOURS[diagnostic.severity]}{carets}{_RESET}"
    return [f"{gutter} |", f"{row} | {expanded}", f"{gutter} | {carets}", ""]


def _fixable(diagnostic: Diagnostic, unsafe_fixes: bool) -> bool:
    fix = diagnostic.fix
    if fix is None:
        return False
    return fix.applicability is Applicability.SAFE or (unsafe_fixes and fix.applicability is Applicability.UNSAFE)


def summary(diagnostics: Sequence[Diagnostic], *, fixed: int = 0, unsafe_hint: bool = True, unsafe_fixes: bool = False) -> str:
    """ruff's closing lines: `Found 3 errors (2 fixed, 1 remaining).`, `[*] 1 fixable with the `--fix` option.`"""
    lines = []
    count = len(diagnostics)
    if fixed:
        total = count + fixed
        lines.append(f"Found {total} {'error' if total == 1 else 'errors'} ({fixed} fixed, {count} remaining).")
    elif diagnostics:
        lines.append(f"Found {count} {'error' if count == 1 else 'errors'}.")
    else:
        lines.append("All checks passed!")
    fixable = sum(1 for d in diagnostics if _fixable(d, unsafe_fixes))
    if fixable:
        lines.append(f"[*] {fixable} fixable with the `--fix` option.")
    hidden = hidden_fixes(diagnostics, unsafe_fixes) if unsafe_hint else ""
    return "\n".join(lines) + "\n" + hidden


def hidden_fixes(diagnostics: Sequence[Diagnostic], unsafe_fixes: bool) -> str:
    """`(2 hidden fixes can be enabled with the `--unsafe-fixes` option.)`, or nothing."""
    if unsafe_fixes:
        return ""
    unsafe = sum(1 for d in diagnostics if d.fix and d.fix.applicability is Applicability.UNSAFE)
    if not unsafe:
        return ""
    return f"({unsafe} hidden fix{'es' if unsafe != 1 else ''} can be enabled with the `--unsafe-fixes` option.)\n"


def fixed_listing(fixed: dict[str, list[Diagnostic]], *, would: bool = False) -> str:
    """--show-fixes: what was fixed, per file and rule (`- a.py:` / `    2 × RNN101 (unpack-arity)`)."""
    total = sum(len(v) for v in fixed.values())
    head = "Would fix" if would else "Fixed"
    lines = [f"{head} {total} {'error' if total == 1 else 'errors'}:"]
    for filename in sorted(fixed):
        if not fixed[filename]:
            continue
        lines.append(f"- {printable(filename)}:")
        counts: dict[tuple[str, str], int] = {}
        for d in fixed[filename]:
            counts[(d.code, d.name)] = counts.get((d.code, d.name), 0) + 1
        lines.extend(f"    {n} × {code} ({name})" for (code, name), n in sorted(counts.items()))
    return "\n".join(lines) + "\n\n"


def statistics(diagnostics: Sequence[Diagnostic]) -> str:
    counts: dict[str, tuple[int, str, bool]] = {}
    for d in diagnostics:
        count, _, fixable = counts.get(d.code, (0, d.name, False))
        counts[d.code] = (count + 1, d.name, fixable or (d.fix is not None and d.fix.applicability is Applicability.SAFE))
    rows = sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))
    width = max((len(str(c)) for c, _, _ in counts.values()), default=1)
    return "".join(f"{count:>{width}}\t{code}\t{'[*] ' if fix else '[ ] '}{name}\n" for code, (count, name, fix) in rows)
