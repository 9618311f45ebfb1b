"""The one entry point: lint source text or paths, yield diagnostics.

Nothing here prints; the CLI and the output formatters do.
"""

from __future__ import annotations

import ast
import re
import signal
import threading
from contextlib import contextmanager
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rnnlint.diagnostics import Diagnostic, Location, Severity
from rnnlint.keras.catalogue import RECURRENT_WORDS
from rnnlint.settings import Settings
from rnnlint.sources import is_notebook
from rnnlint.sources.python import LineIndex, SourceError, SourceText

if TYPE_CHECKING:  # the analysis is imported lazily, so that a run over clean files starts fast
    from rnnlint.analysis.facts import Fact

# A file without any of these words builds no recurrent layer, so no rule can
# fire in it: it is not parsed at all.
_MAY_BUILD_RECURRENT = re.compile("|".join(RECURRENT_WORDS).encode())


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
    if not _MAY_BUILD_RECURRENT.search(text.encode("utf-8", "surrogatepass")):
        return []
    return analyse(text, filename, settings).diagnostics


def may_build_recurrent(data: bytes, name: str = "") -> bool:
    """False only when the bytes cannot hold a recurrent layer (nor are binary: that is reported)."""
    if _MAY_BUILD_RECURRENT.search(data) or b"\x00" in data:
        return True
    if not is_notebook(name):
        return False
    from rnnlint.sources import notebook

    # In a notebook the words may be escaped in the JSON, or cut between two list items.
    return notebook.may_build_recurrent(data)


def lint_file(path: str | Path, settings: Settings | None = None, display_name: str | None = None) -> FileResult:
    settings = settings or Settings()
    name = display_name or str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return file_error_result(name, error)
    return lint_bytes(data, name, settings)


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

    `# noqa` comments are applied (and, when RNN002 is selected, judged).
    """
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
    from rnnlint.fixes import FixBuilder
    from rnnlint.rules import all_rules

    try:
        tree = ast.parse(text, filename=filename)
    except SyntaxError as error:
        row = error.lineno or 1
        column = (error.offset or 1) if error.lineno else 1
        return Analysis([_file_error(filename, f"syntax error: {error.msg}", Location(row, max(column, 1)))])
    except RecursionError:
        return Analysis([_file_error(filename, "cannot parse: nested too deeply for Python's parser")])
    except (ValueError, MemoryError) as error:
        return Analysis([_file_error(filename, f"cannot parse: {type(error).__name__}: {error}")])
    try:
        with _time_limit(settings.file_timeout):
            facts = interpret(tree, settings.target_keras)
    except RecursionError:
        return Analysis([_file_error(filename, "skipped: code nested too deeply to analyse")], tree)
    except _TookTooLong:
        return Analysis([_file_error(filename, f"skipped: took longer than {settings.file_timeout:g} s to analyse")], tree)
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


def _markers(*, via: bool, enabled: bool) -> dict:
    """Bookkeeping carried on a diagnostic until the stages that read it drop it."""
    extra: dict = {}
    if via:
        extra["via"] = True  # read by the de-duplication at the end of analyse()
    if not enabled:
        extra["_enabled"] = False  # read by analyse() for RNN002, then dropped
    return extra


class _TookTooLong(Exception):
    pass


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Bound one file's analysis (SIGALRM; only where signals can be used: Unix, main thread)."""
    usable = seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
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
    return Diagnostic(
        code="RNN001",
        message=message,
        filename=filename,
        location=location,
        end_location=location,
        severity=Severity.ERROR,
        name="unreadable-file",
    )
