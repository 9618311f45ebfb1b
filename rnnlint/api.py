"""The one entry point: lint source text or paths, yield diagnostics.

Nothing here prints; the CLI and the output formatters do.
"""

from __future__ import annotations

import ast
import signal
import sys
import threading
import warnings
from contextlib import contextmanager
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rnnlint.diagnostics import Diagnostic, Location, Severity, unreadable
from rnnlint import prefilter
from rnnlint.regular import read_regular
from rnnlint.settings import Settings
from rnnlint.sources import is_notebook
from rnnlint.sources.python import LineIndex, SourceError, SourceText

if TYPE_CHECKING:  # the analysis is imported lazily, so that a run over clean files starts fast
    from rnnlint.analysis.facts import Fact



@dataclass
class FileResult:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # True when the file could not be read or analysed (exit code 2).
    failed: bool = False
    # One line each about a file skipped on purpose (a notebook of another language); not findings.
    notices: list[str] = field(default_factory=list)


def lint_source(text: str, filename: str = "<stdin>", settings: Settings | None = None) -> list[Diagnostic]:
    """Lint Python source text."""
    settings = settings or Settings()
    if not prefilter.text_may_build_recurrent(text):
        return []
    return analyse(text, filename, settings).diagnostics


def may_build_recurrent(data: bytes, name: str = "") -> bool:
    """False only when no rule can fire in a file with these bytes (rnnlint/prefilter.py; binary files pass)."""
    if not is_notebook(name):
        return prefilter.may_build_recurrent(data)
    if prefilter.may_build_recurrent(data):
        return True
    from rnnlint.sources import notebook

    # In a notebook the words may be escaped in the JSON, or cut between two list items.
    return notebook.may_build_recurrent(data)


def lint_file(path: str | Path, settings: Settings | None = None, display_name: str | None = None) -> FileResult:
    settings = settings or Settings()
    name = display_name or str(path)
    try:
        data = read_file(path)
    except OSError as error:
        return file_error_result(name, error)
    return lint_bytes(data, name, settings)


def read_file(path: str | Path) -> bytes:
    """A file's bytes.  A FIFO or a device is refused, not read: reading /dev/zero would never end."""
    return read_regular(path)


def file_error_result(name: str, error: OSError) -> FileResult:
    return FileResult(name, [_file_error(name, f"cannot read file: {error.strerror or error}")], failed=True)


def lint_bytes(data: bytes, name: str, settings: Settings) -> FileResult:
    if not may_build_recurrent(data, name):
        return FileResult(name)
    if is_notebook(name):
        from rnnlint.sources.notebook import lint_notebook

        return lint_notebook(data, name, settings)
    try:
        source = SourceText.from_bytes(data)
    except SourceError as error:
        return FileResult(name, [_file_error(name, str(error))], failed=True)
    diagnostics = analyse(source.text, name, settings).diagnostics
    return FileResult(name, diagnostics, failed=any(d.code == "RNN001" for d in diagnostics))


def lint_paths(paths: Iterable[str | Path], settings: Settings | None = None) -> Iterator[FileResult]:
    from rnnlint.discovery import discover

    settings = settings or Settings()
    for path in discover(paths):
        yield lint_file(path, settings)


@dataclass
class Report:
    """One finding as a rule reported it: the fact it was checking and the node it pointed at."""

    fact: Fact
    node: ast.AST
    diagnostic: Diagnostic


@dataclass
class Analysis:
    """One file's facts and what the rules made of them, from a single analysis.

    `diagnostics` are deduplicated (a helper analysed both inlined and on its own
    reports once); `reports` keeps every (fact, diagnostic) pair, so tools that
    draw the facts (rnnlint.graph) can put each finding where it belongs.
    """

    diagnostics: list[Diagnostic]
    tree: ast.Module | None = None
    facts: list[Fact] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)


def analyse(text: str, filename: str, settings: Settings) -> Analysis:
    """Analyse source text once: its facts, what the rules report, and which fact each finding came from.

    `# noqa` comments are applied (and, when RNN002 is selected, judged).  A bug of
    ours costs this file one RNN001 line (exit code 2), never the run.
    """
    try:
        return _analyse_unguarded(text, filename, settings)
    except Exception as error:  # noqa: BLE001 - a bug of ours must cost one file, not the run
        return Analysis([_internal_error(filename, error)])


def _analyse_unguarded(text: str, filename: str, settings: Settings) -> Analysis:
    from rnnlint.suppress import UNUSED_NOQA, apply_noqa

    judge_noqa = settings.selection.enables(UNUSED_NOQA, Severity.HINT)
    # Whether a noqa comment naming RNN codes is stale depends on what every rule finds, enabled or not.
    analysis = _run_rules(text, filename, settings, every_rule=judge_noqa)
    found = analysis.diagnostics
    reported = [d for d in found if d.extra.pop("_enabled", True)]
    if any(d.code == "RNN001" for d in found) or (not reported and not judge_noqa):
        kept = reported  # RNN001: no tree, so no judgement on its comments
    elif judge_noqa:
        from rnnlint.rules import all_rules

        known = [rule.code for rule in all_rules()]
        kept = apply_noqa(text, filename, reported, would_report=found, known_codes=known)
    else:
        kept = apply_noqa(text, filename, reported)
    shown = {id(d) for d in kept}
    analysis.reports = [r for r in analysis.reports if id(r.diagnostic) in shown]
    analysis.diagnostics = sorted(kept, key=Diagnostic.sort_key)
    return analysis


def _run_rules(text: str, filename: str, settings: Settings, *, every_rule: bool) -> Analysis:
    """Parse, interpret, and run the rules.  With `every_rule`, disabled rules run too (marked `_enabled: False`)."""
    from rnnlint.analysis.interpret import interpret

    try:
        tree = parse(text, filename)
    except SyntaxError as error:
        row = error.lineno or 1
        column = (error.offset or 1) if error.lineno else 1
        return Analysis([_file_error(filename, f"syntax error: {error.msg}", Location(row, max(column, 1)))])
    except RecursionError:
        return Analysis([_file_error(filename, "cannot parse: nested too deeply for Python's parser")])
    except (ValueError, MemoryError) as error:
        return Analysis([_file_error(filename, f"cannot parse: {type(error).__name__}: {error}")])
    # The time limit covers everything after parsing (the C parser cannot be interrupted):
    # the interpreter, the rules and the fixes they build.
    try:
        with _time_limit(settings.file_timeout), _recursion_room():
            try:
                facts = interpret(tree, settings.target_keras)
            except RecursionError:
                return Analysis([_file_error(filename, "skipped: code nested too deeply to analyse")], tree)
            return _apply_rules(tree, facts, text, filename, settings, every_rule=every_rule)
    except _TookTooLong:
        return Analysis([_file_error(filename, f"skipped: took longer than {settings.file_timeout:g} s to analyse")], tree)


def _apply_rules(
    tree: ast.Module, facts: list[Fact], text: str, filename: str, settings: Settings, *, every_rule: bool
) -> Analysis:
    """The rules over the facts, each finding with its fix, deduplicated."""
    from rnnlint.fixes import FixBuilder
    from rnnlint.rules import all_rules

    index = LineIndex(text)
    fixes = FixBuilder(index, facts)
    by_type: dict[type, list] = {}
    for fact in facts:
        by_type.setdefault(type(fact), []).append(fact)
    # One diagnostic per (rule, offending node).  A finding seen while running a
    # helper for a caller is reported at the caller's call, unless the helper's
    # own code shows it whatever the arguments (then it is reported in the helper).
    candidates: dict[tuple, Diagnostic] = {}
    seen: list[tuple[Fact, ast.AST, tuple]] = []
    failures: list[Diagnostic] = []
    for rule_class in all_rules():
        enabled = settings.selection.enables(rule_class.code, rule_class.severity)
        if not rule_class.facts or not (enabled or every_rule):
            continue
        rule = rule_class(settings)
        try:
            for fact_type in rule.facts:
                for fact in by_type.get(fact_type, ()):
                    for finding in rule.check(fact, fixes):
                        key = (rule.code, id(finding.node))
                        seen.append((fact, finding.node, key))
                        known = candidates.get(key)
                        if known is not None and (fact.via is not None or not known.extra.get("via")):
                            continue
                        anchor = fact.via if fact.via is not None else finding.node
                        candidates[key] = Diagnostic(
                            code=rule.code,
                            message=finding.message,
                            filename=filename,
                            location=fixes.start(anchor),
                            end_location=fixes.end(anchor),
                            severity=rule.severity,
                            fix=finding.fix,
                            name=rule.name,
                            extra=_markers(via=fact.via is not None, enabled=enabled),
                            origin=(fact, finding),
                        )
        except Exception as error:  # noqa: BLE001 - one broken rule must not take down the run
            failures.append(
                Diagnostic(
                    code=rule.code,
                    message=f"internal error in rule {rule.code} ({rule.name}): {type(error).__name__}: {error}",
                    filename=filename,
                    location=Location(1, 1),
                    end_location=Location(1, 1),
                    severity=Severity.ERROR,
                    name=rule.name,
                    extra={"internal_error": True} if enabled else {"internal_error": True, "_enabled": False},
                )
            )
    unique: dict[tuple, Diagnostic] = {}
    final: dict[tuple, Diagnostic] = {}
    for key, diagnostic in candidates.items():
        diagnostic.extra.pop("via", None)
        final[key] = unique.setdefault((diagnostic.code, diagnostic.location, diagnostic.end_location), diagnostic)
    reports = [Report(fact, node, final[key]) for fact, node, key in seen]
    diagnostics = sorted([*unique.values(), *failures], key=Diagnostic.sort_key)
    return Analysis(diagnostics, tree, facts, reports)


def parse(text: str, filename: str = "<unknown>") -> ast.Module:
    """`ast.parse`, silently: the warnings Python's compiler emits about the code (an invalid
    escape sequence is a SyntaxWarning from 3.12 on) are the user's linter's to report, not ours."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text, filename=filename)


def _analyse(text: str, filename: str, settings: Settings) -> list[Diagnostic]:
    """The full analysis of a text, with no prefilter in front (tests compare the two paths)."""
    return analyse(text, filename, settings).diagnostics


def _internal_error(filename: str, error: Exception) -> Diagnostic:
    """A crash of the analysis: one line (exit code 2), never cached, never a traceback."""
    return Diagnostic(
        code="RNN001",
        message=f"internal error while analysing this file: {type(error).__name__}: {error} (please report it)",
        filename=filename,
        location=Location(1, 1),
        end_location=Location(1, 1),
        severity=Severity.ERROR,
        name="unreadable-file",
        extra={"internal_error": True},
    )


# The interpreter (and libcst, building a fix) recurses once or twice per level of
# expression nesting, and Python's parser accepts some 3,000 levels (a long
# `a + b + ...` chain nests one level per operand).  From Python 3.11 on a call
# between Python functions does not grow the C stack, so the analysis may recurse
# deeper than the default limit of 1,000 without risking the process; 3.10 keeps
# its limit.  Never raised around ast.parse: its C recursion bound derives from it.
ANALYSIS_RECURSION_LIMIT = 20_000


@contextmanager
def _recursion_room() -> Iterator[None]:
    previous = sys.getrecursionlimit()
    if sys.version_info < (3, 11) or previous >= ANALYSIS_RECURSION_LIMIT:
        yield
        return
    sys.setrecursionlimit(ANALYSIS_RECURSION_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _markers(*, via: bool, enabled: bool) -> dict:
    """Bookkeeping carried on a diagnostic until the stages that read it drop it."""
    extra: dict = {}
    if via:
        extra["via"] = True  # read by the de-duplication at the end of analyse()
    if not enabled:
        extra["_enabled"] = False  # read by analyse() for RNN002, then dropped
    return extra


class _TookTooLong(BaseException):
    """Not an Exception: the handlers that keep one broken rule from taking down the run must not catch it."""


_LONGEST_LIMIT = 365 * 24 * 3600.0


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Bound one file's analysis (SIGALRM; only where signals can be used: Unix, main thread).

    A limit longer than a year (`inf`, `1e308`, which the timer cannot even hold) is no limit."""
    usable = 0 < seconds <= _LONGEST_LIMIT and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _TookTooLong

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _file_error(filename: str, message: str, location: Location = Location(1, 1)) -> Diagnostic:
    return unreadable(filename, message, location)
