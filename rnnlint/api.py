"""The one entry point: lint source text or paths, yield diagnostics; fix a file's bytes or add noqa to them.

This is the one place where the stages meet for a source (a Python file or a
notebook): `sources/` converts bytes to analysable text and back, `fix.py` and
`suppress.py` edit text, the analysis reads it; none of them imports this
module, so imports flow downward (tests/test_import_graph.py).

Nothing here prints; the CLI and the output formatters do.
"""

from __future__ import annotations

import ast
import os
import signal
import sys
import threading
import warnings
from contextlib import contextmanager
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
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
    from rnnlint.analysis.project import ModuleRecord, ProjectIndex
    from rnnlint.projectfiles import ProjectFiles
    from rnnlint.fix import FileFix
    from rnnlint.sources.notebook import Notebook, Program
    from rnnlint.suppress import NoqaOutcome



@dataclass
class FileResult:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # True when the file could not be read or analysed (exit code 2).
    failed: bool = False
    # One line each about a file skipped on purpose (a notebook of another language); not findings.
    notices: list[str] = field(default_factory=list)
    # The project modules the analysis read for this file (absolute path -> digest of their bytes):
    # its findings hold only while they are unchanged (rnnlint/cache.py checks them).
    dependencies: dict[str, str] = field(default_factory=dict)


def lint_source(text: str, filename: str = "<stdin>", settings: Settings | None = None) -> list[Diagnostic]:
    """Lint Python source text."""
    settings = settings or Settings()
    if not prefilter.text_may_build_recurrent(text) and not imports_recurrent(text.encode("utf-8", "surrogatepass"), filename):
        return []
    return analyse(text, filename, settings).diagnostics


def may_build_recurrent(data: bytes, name: str = "") -> bool:
    """False only when no rule can fire in a file with these bytes (rnnlint/prefilter.py; binary files pass),
    nor in what it imports from its project (a file that never names a recurrent layer may misuse
    one a helper of the project builds: rnnlint/projectfiles.py)."""
    if not is_notebook(name):
        return prefilter.may_build_recurrent(data) or imports_recurrent(data, name)
    if prefilter.may_build_recurrent(data):
        return True
    from rnnlint.sources import notebook  # only converts: it imports nothing of the analysis

    # In a notebook the words may be escaped in the JSON, or cut between two list items.
    return notebook.may_build_recurrent(data) or imports_recurrent(data, name)


def imports_recurrent(data: bytes, name: str) -> bool:
    """Whether a project module the file `name` imports (directly or through others) may build a recurrent layer."""
    if b"import" not in data or not name or not os.path.isfile(name):
        return False
    try:
        return project_files().imports_recurrent(data, os.path.abspath(name))
    except RecursionError:  # an import chain of a thousand modules: look at the file
        return True


def imports_project(data: bytes, name: str) -> bool:
    """Whether the file `name` may import a module of its project."""
    if b"import" not in data or not name or not os.path.isfile(name):
        return False
    return bool(project_files().imported_modules(data, os.path.abspath(name)))


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
        return _lint_notebook(data, name, settings).result
    try:
        source = _python_source(data, name, settings)
    except SourceError as error:
        return FileResult(name, [_file_error(name, str(error))], failed=True)
    analysis = analyse(source.text, name, settings)
    diagnostics = analysis.diagnostics
    return FileResult(
        name, diagnostics, failed=any(d.code == "RNN001" for d in diagnostics), dependencies=analysis.dependencies
    )


def too_large(size: int, settings: Settings) -> str | None:
    """The line a file of `size` bytes of source is skipped with, or None when it is within the limit.

    Checked before parsing: Python's parser cannot be interrupted by the time
    limit and needs some 250 bytes of memory per byte of source.
    """
    limit = settings.max_file_size
    if limit <= 0 or size <= limit:
        return None
    return f"skipped: {_megabytes(size)} of source is over the size limit of {_megabytes(limit)} (max-file-size)"


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} bytes"


def _python_source(data: bytes, name: str, settings: Settings) -> SourceText:
    """The decoded text of a Python file; SourceError for bytes that are not Python source, or too many of them."""
    problem = too_large(len(data), settings)
    if problem is not None:
        raise SourceError(problem)
    return SourceText.from_bytes(data)


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
    # Project modules read for this file (see FileResult.dependencies).
    dependencies: dict[str, str] = field(default_factory=dict)


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
    from rnnlint.keras.file_target import settings_for_file

    problem = too_large(len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass")), settings)
    if problem is not None:
        return Analysis([_file_error(filename, problem)])
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
    # `import tf_keras` or TF_USE_LEGACY_KERAS in the file makes it Keras 2 (unless set explicitly).
    settings = settings_for_file(tree, text, settings)
    lines = LineIndex(text)  # positions for the fixes; function bodies for the interpreter
    # The time limit covers everything after parsing (the C parser cannot be interrupted):
    # the interpreter, the rules and the fixes they build.
    index = project_index(settings.target_keras)
    context = index.begin(filename if os.path.isfile(filename) else None)
    try:
        with _time_limit(settings.file_timeout), _recursion_room():
            try:
                # A file that names neither Keras nor a module of its project (a PyTorch model
                # with `nn.LSTM`) builds no layer: nothing to interpret (rnnlint/prefilter.py).
                reaches = prefilter.text_may_reach_keras(text) or imports_project(text.encode("utf-8", "surrogatepass"), filename)
                facts = interpret(tree, settings.target_keras, context, lines) if reaches else []
            except RecursionError:
                return Analysis([_file_error(filename, "skipped: code nested too deeply to analyse")], tree)
            analysis = _apply_rules(tree, facts, lines, filename, settings, every_rule=every_rule)
            analysis.dependencies = {path: record.digest for path, record in index.read.items()}
            return analysis
    except _TookTooLong:
        return Analysis([_file_error(filename, f"skipped: took longer than {settings.file_timeout:g} s to analyse")], tree)


# Where the project's modules are, and one index of them per targeted Keras: per process
# (each worker builds its own on first use).
_FILES: list[ProjectFiles] = []
_INDEXES: dict[int, ProjectIndex] = {}
# The directories named on the command line: searched for project imports after the project root.
_PROJECT_ROOTS: list[str] = []


def use_project_roots(directories: Iterable[str]) -> None:
    """Search these directories (the command line's) for the project modules a file imports."""
    added = [os.path.abspath(d) for d in directories if os.path.abspath(d) not in _PROJECT_ROOTS]
    if added:
        _PROJECT_ROOTS.extend(added)
        _FILES.clear()
        _INDEXES.clear()


def project_files() -> ProjectFiles:
    """The process's finder of project modules (rnnlint/projectfiles.py), built on first use."""
    if not _FILES:
        from rnnlint.projectfiles import ProjectFiles

        _FILES.append(ProjectFiles(_PROJECT_ROOTS))
    return _FILES[0]


def project_index(target_keras: int) -> ProjectIndex:
    """The process's index of project modules (rnnlint/analysis/project.py), built on first use."""
    index = _INDEXES.get(target_keras)
    if index is None:
        from rnnlint.analysis.project import ProjectIndex

        index = _INDEXES[target_keras] = ProjectIndex(project_files(), target_keras)
    return index


def _apply_rules(
    tree: ast.Module, facts: list[Fact], lines: LineIndex, filename: str, settings: Settings, *, every_rule: bool
) -> Analysis:
    """The rules over the facts, each finding with its fix, deduplicated."""
    from rnnlint.analysis.project import origin_of
    from rnnlint.fixes import FixBuilder
    from rnnlint.rules import all_rules

    fixes = FixBuilder(lines, facts, tree)
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
                    fixes.foreign = False
                    for finding in rule.check(fact, fixes):
                        if fixes.foreign:
                            # A fix that would edit another module of the project is not offered
                            # (docs/project-analysis.md): that edit changes every importer.
                            finding = replace(finding, fix=None)
                            fixes.foreign = False
                        if origin_of(finding.node) is not None and (
                            fact.via is None or _reported_there(finding.node, rule.code, settings)
                        ):
                            continue  # the other module's own finding: reported when it is linted
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
                            extra=_markers(via=fact.via is not None, enabled=enabled, related=_producers(fact)),
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


def _reported_there(node: ast.AST, code: str, settings: Settings) -> bool:
    """Whether the module `node` belongs to reports `code` at `node` itself, whatever its callers pass.

    A helper of another module run with this file's arguments can show a finding that
    is the helper's own (its code is wrong for any argument): that module reports it;
    only findings that exist for this file's arguments are reported here, at its call.
    """
    from rnnlint.analysis.project import origin_of

    record = origin_of(node)
    if record is None:
        return False
    if record.own_findings is None:
        record.own_findings = set()  # (a re-entry while computing them sees none)
        record.own_findings = _own_findings(record, settings)
    return (code, *_position(node)) in record.own_findings


def _own_findings(record: ModuleRecord, settings: Settings) -> set[tuple]:
    """(code, position) of every finding a module's own analysis makes, every rule on."""
    from rnnlint.analysis.interpret import interpret
    from rnnlint.fixes import FixBuilder
    from rnnlint.rules import all_rules

    assert record.tree is not None
    index = project_index(settings.target_keras)
    with index.aside():
        lines = LineIndex(record.text)
        facts = interpret(record.tree, settings.target_keras, index.begin(record.path), lines)
    fixes = FixBuilder(lines, facts)
    found: set[tuple] = set()
    by_type: dict[type, list] = {}
    for fact in facts:
        by_type.setdefault(type(fact), []).append(fact)
    for rule_class in all_rules():
        rule = rule_class(settings)
        for fact_type in rule_class.facts:
            for fact in by_type.get(fact_type, ()):
                if fact.via is None:
                    found.update((rule.code, *_position(f.node)) for f in rule.check(fact, fixes))
    return found


def _position(node: ast.AST) -> tuple:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0), getattr(node, "end_lineno", 0), getattr(node, "end_col_offset", 0))


def _producers(fact: Fact) -> list[dict]:
    """The layers of a fact built in another module of the project: where (for JSON and --diff-base)."""
    from rnnlint.analysis.project import origin_of
    from rnnlint.analysis.values import Layer, Outputs, Sequence, Tensor

    layers: list[Layer] = []
    pending = [getattr(fact, name, None) for name in ("layer", "value", "consumer", "values", "inputs")]
    while pending:
        value = pending.pop()
        if isinstance(value, Layer):
            layers.append(value)
        elif isinstance(value, Tensor):
            pending.extend((value.producer, value.projection))
        elif isinstance(value, Outputs):
            pending.append(value.producer)
        elif isinstance(value, (Sequence, tuple)):
            pending.extend(value.items if isinstance(value, Sequence) else value)
    related = []
    for layer in layers:
        record = origin_of(layer.node)
        if record is None:
            continue
        entry = {
            "filename": record.path,  # absolute: a cached finding may be read from another directory
            "row": layer.node.lineno,
            "end_row": layer.node.end_lineno or layer.node.lineno,
            "message": f"{layer.display_class} built here",
        }
        if entry not in related:
            related.append(entry)
    return related


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


def _markers(*, via: bool, enabled: bool, related: list[dict] | None = None) -> dict:
    """Bookkeeping carried on a diagnostic until the stages that read it drop it; and
    `related`: the producers in other modules of the project (kept: --diff-base reads them)."""
    extra: dict = {"related": related} if related else {}
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


# --- per source: lint, fix and add noqa (Python files and notebooks) ---------------------
#
# The stages below this module only convert (rnnlint/sources: bytes <-> analysable
# text with a cell index), edit text (rnnlint/fix.py, rnnlint/suppress.py) or
# analyse it (above); this is the one place that strings them together for a
# file's bytes, so imports flow downward (tests/test_import_graph.py).


def fix_bytes(data: bytes, name: str, settings: Settings, *, unsafe: bool = False) -> FileFix:
    """Fix a file's content to a fixed point, keeping its encoding, BOM and line endings."""
    from rnnlint.fix import MAX_PASSES, FileFix, applicable, fix_text

    if is_notebook(name):
        return _fix_notebook(data, name, settings, unsafe=unsafe)  # the cells' sources, not the JSON text
    result = lint_bytes(data, name, settings)
    if result.failed or not any(applicable(d.fix, unsafe) for d in result.diagnostics):
        return FileFix(name, data, None, [], result.diagnostics, failed=result.failed)
    source = SourceText.from_bytes(data)
    outcome = fix_text(source.text, lambda text: lint_source(text, name, settings), unsafe=unsafe, diagnostics=result.diagnostics)
    problem = None if outcome.converged else f"fixes did not reach a fixed point after {MAX_PASSES} passes"
    if outcome.text == source.text:
        return FileFix(name, data, None, [], result.diagnostics, problem=problem)
    try:
        fixed = source.to_bytes(outcome.text)
    except UnicodeEncodeError as error:
        problem = f"not fixed: the fixed text cannot be encoded as {source.encoding}: {error.reason}"
        return FileFix(name, data, None, [], result.diagnostics, problem=problem)
    return FileFix(name, data, fixed, outcome.applied, outcome.remaining, problem=problem)


def add_noqa_to_bytes(data: bytes, name: str, settings: Settings) -> NoqaOutcome:
    """--add-noqa for a file's bytes: a `# noqa: CODE` on each finding's line (a notebook: in its cells)."""
    from rnnlint.fix import compiles
    from rnnlint.suppress import UNSUPPRESSABLE, UNUSED_NOQA, NoqaOutcome, add_noqa

    if is_notebook(name):
        return _add_noqa_to_notebook(data, name, settings)
    result = lint_bytes(data, name, settings)
    # A stale noqa is mended by removing it, not by another noqa.
    findings = [d for d in result.diagnostics if d.code not in (*UNSUPPRESSABLE, UNUSED_NOQA)]
    if result.failed or not findings:
        return NoqaOutcome(None, 0, [], failed=result.failed)
    source = SourceText.from_bytes(data)
    outcome = add_noqa(source.text, findings)
    if outcome.text == source.text or (compiles(source.text) and not compiles(outcome.text)):
        return NoqaOutcome(None, 0, findings)
    return NoqaOutcome(source.to_bytes(outcome.text), outcome.added, outcome.skipped)


@dataclass
class _LintedNotebook:
    result: FileResult  # what is reported: cell coordinates
    program: Program | None = None
    notebook: Notebook | None = None
    found: list[Diagnostic] = field(default_factory=list)  # program coordinates


def _lint_notebook(data: bytes, name: str, settings: Settings) -> _LintedNotebook:
    """Lint a notebook's code cells as one program: findings in cell coordinates, one RNN001 line for an unreadable notebook."""
    from rnnlint.sources.notebook import Notebook, NotebookError, Program, cell_problems

    try:
        notebook = Notebook.from_bytes(data)
    except NotebookError as error:
        return _LintedNotebook(FileResult(name, [error.diagnostic(name)], failed=True))
    if notebook.other_language is not None:
        notice = f"{name}: skipped: not a Python notebook (kernel language {notebook.other_language!r})"
        return _LintedNotebook(FileResult(name, notices=[notice]))
    code = notebook.code().encode("utf-8", "surrogatepass")
    # The cells name a recurrent layer, or import a module of the project that builds one.
    if not (prefilter.may_build_recurrent(code) or imports_recurrent(code, name)):
        return _LintedNotebook(FileResult(name))
    problem = too_large(len(code), settings)
    if problem is not None:
        return _LintedNotebook(FileResult(name, [_file_error(name, problem)], failed=True))
    program = Program.build(notebook)
    found = lint_source(program.text, name, settings)  # analysis and suppression comments, on the program's rows
    diagnostics = sorted(cell_problems(notebook, name) + [program.to_cells(d) for d in found], key=Diagnostic.sort_key)
    result = FileResult(name, diagnostics, failed=any(d.code == "RNN001" for d in diagnostics))
    return _LintedNotebook(result, program, notebook, found)


def _fix_notebook(data: bytes, name: str, settings: Settings, *, unsafe: bool = False) -> FileFix:
    """Fix a notebook to a fixed point in program coordinates, then write the edited cells back.

    Cells that do not parse are never touched, so the others are fixed even
    when one is broken (its RNN001 stays in `remaining`, and `failed` is set).
    """
    from rnnlint.fix import MAX_PASSES, FileFix, applicable, fix_text
    from rnnlint.sources.notebook import NotebookError, WriteBackError, cell_problems, write_program

    linted = _lint_notebook(data, name, settings)
    result = linted.result
    unchanged = FileFix(name, data, None, [], result.diagnostics, failed=result.failed, notices=result.notices)
    if linted.program is None or not any(applicable(d.fix, unsafe) for d in result.diagnostics):
        return unchanged
    program = linted.program
    outcome = fix_text(
        program.text, lambda text: lint_source(text, name, settings), unsafe=unsafe, diagnostics=linted.found
    )
    problem = None if outcome.converged else f"fixes did not reach a fixed point after {MAX_PASSES} passes"
    if outcome.text == program.text:
        unchanged.problem = problem
        return unchanged
    try:
        fixed, written, written_program = write_program(data, program, outcome.text)
    except (WriteBackError, NotebookError) as error:
        unchanged.problem = f"not fixed: {error}"
        return unchanged
    remaining = cell_problems(written, name) + [written_program.to_cells(d) for d in outcome.remaining]
    applied = [program.to_cells(d) for d in outcome.applied]
    return FileFix(name, data, fixed, applied, sorted(remaining, key=Diagnostic.sort_key), result.failed, problem)


def _add_noqa_to_notebook(data: bytes, name: str, settings: Settings) -> NoqaOutcome:
    """--add-noqa for a notebook: the comments go into the cells, on the findings' rows."""
    from rnnlint.sources.notebook import WriteBackError, write_back
    from rnnlint.suppress import UNSUPPRESSABLE, UNUSED_NOQA, NoqaOutcome, add_noqa

    linted = _lint_notebook(data, name, settings)
    failed = linted.result.failed
    findings = [d for d in linted.found if d.code not in (*UNSUPPRESSABLE, UNUSED_NOQA)]
    if linted.program is None or not findings:
        return NoqaOutcome(None, 0, [], failed=failed)
    program = linted.program
    outcome = add_noqa(program.text, findings)
    skipped = [program.to_cells(d) for d in outcome.skipped]
    try:
        fixed = write_back(data, outcome.text, program)
    except WriteBackError:
        return NoqaOutcome(None, 0, [program.to_cells(d) for d in findings], failed=failed)
    if fixed == data:
        return NoqaOutcome(None, 0, skipped, failed=failed)
    return NoqaOutcome(fixed, outcome.added, skipped, failed=failed)
