"""One run over the files of the command line: which files, with which settings, and what to do to each.

The modes are ruff's: `check` reports; `fix` applies fixes, writes the files and
reports what is left; `diff` computes what `fix` would write and writes nothing;
`add-noqa` writes `# noqa` comments for every finding.  Nothing here prints:
the CLI turns a RunResult into output.

`check` is the hot path.  Phase 1, in this process: answer each file whose
status (size, times, inode) is as the cache recorded it without reading it;
read the others, drop the ones that cannot build a recurrent layer (a byte
search), answer the rest from the cache when their content is unchanged.
Phase 2: analyse what is left, in worker processes once there is enough of it
to pay for them, while phase 1 goes on.  Results keep the order of the
targets, whatever the parallelism.
"""

from __future__ import annotations

import gc
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rnnlint.api import (
    FileResult,
    file_error_result,
    imports_project,
    lint_bytes,
    lint_file,
    may_build_recurrent,
    read_file,
    use_project_roots,
)
from rnnlint.config import Resolver
from rnnlint.diagnostics import Diagnostic
from rnnlint.settings import Settings

if TYPE_CHECKING:
    from concurrent.futures import Future

# What a worker needs to analyse one file: its bytes, its display name, its settings.
Job = tuple[bytes, str, Settings]
# Told (files done, files in the run) as a run goes on; the CLI shows it on a terminal.
Progress = Callable[[int, int], None]

CHECK, FIX, DIFF, ADD_NOQA = "check", "fix", "diff", "add-noqa"
# Below this many files to analyse, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 16
# Files per task sent to a worker: enough to amortise the hand-over, few enough to share the tail.
BATCH = 4
STDIN = "-"
# Lines as Python's tokenizer sees them (str.splitlines would also split at \f, \x1c, ...).
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


@dataclass
class Target:
    path: str  # what to open ("-" for stdin)
    settings: Settings
    # Writes must stay under this directory (symlinks resolved); None for stdin.
    root: str | None
    name: str = ""  # what to report
    data: bytes | None = None  # stdin's content

    def __post_init__(self) -> None:
        self.name = self.name or self.path


@dataclass
class RunResult:
    results: list[FileResult] = field(default_factory=list)
    # Diagnostics whose fix was applied (or would be, for `diff`), by file.
    fixed: dict[str, list[Diagnostic]] = field(default_factory=dict)
    diffs: list[str] = field(default_factory=list)
    # One line each: a file not written, fixes held back.
    warnings: list[str] = field(default_factory=list)
    noqa_added: int = 0
    # For stdin in `fix`/`add-noqa` mode: the content to print instead of writing a file.
    stdin_output: bytes | None = None

    @property
    def fixed_count(self) -> int:
        return sum(len(v) for v in self.fixed.values())


def targets(
    paths: Iterable[str],
    resolver: Resolver,
    *,
    stdin: bytes | None = None,
    stdin_name: str | None = None,
    force_exclude: bool = False,
) -> Iterator[Target]:
    """The files to lint, each once, with its settings: named files as given, directories walked.

    A file named explicitly is linted even if an exclude matches it, unless `force_exclude`
    (ruff's convention: pre-commit names every staged file, and the excludes should hold there)."""
    from rnnlint.discovery import DEFAULT_EXCLUDES, discover

    seen: set[str] = set()
    for path in paths:
        if path == STDIN:
            name = stdin_name or STDIN
            settings = resolver.for_path(name if stdin_name else os.getcwd()).settings_for(name)
            yield Target(STDIN, settings, None, name, stdin if stdin is not None else b"")
            continue
        if not os.path.isdir(path):
            key = os.path.normpath(os.path.abspath(path))
            if key not in seen:
                seen.add(key)
                resolved = resolver.for_path(path)
                if force_exclude and _excluded_by_name(path, resolved, DEFAULT_EXCLUDES):
                    continue
                yield Target(path, resolved.settings_for(path), os.path.dirname(path) or os.curdir)
            continue
        walk = resolver.for_path(path)
        found = discover(
            [path],
            respect_gitignore=walk.values["respect-gitignore"],
            exclude=walk.exclude_patterns(),
            exclude_root=walk.root,
            default_excludes=DEFAULT_EXCLUDES if walk.values["exclude"] is None else frozenset(),
        )
        resolved, resolved_for = walk, None
        for file in found:
            key = os.path.normpath(os.path.abspath(file))
            if key in seen:
                continue
            seen.add(key)
            directory = os.path.dirname(key)
            if directory != resolved_for:  # a walk yields each directory's files together
                resolved, resolved_for = resolver.for_path(file), directory
            # A configuration nearer to the file than the walked directory's has its own excludes.
            if resolved is not walk and resolved.excluded(file):
                continue
            yield Target(file, resolved.settings_for(file), path)


def _excluded_by_name(path: str, resolved, default_excludes: frozenset[str]) -> bool:  # noqa: ANN001 - config.Resolved
    """Whether a walk would have skipped `path`: an exclude pattern matches it, or (without a configured
    `exclude`) one of its directories below the project root is a default exclude (build, .venv, ...)."""
    if resolved.excluded(path):
        return True
    if resolved.values["exclude"] is not None:
        return False
    directories = resolved.relative(path).split("/")[:-1]
    return any(part in default_excludes for part in directories)


def run(
    files: Iterable[Target],
    mode: str = CHECK,
    *,
    unsafe: bool = False,
    jobs: int | None = None,
    cache=None,  # noqa: ANN001 - rnnlint.cache.Cache, imported only when caching
    keep_origins: bool = False,
    progress: Progress | None = None,
) -> RunResult:
    """Lint (or fix) `files`; `progress(done, total)` is told as files are done."""
    outcome = RunResult()
    files = list(files)
    if mode == CHECK:
        outcome.results = check(files, jobs=jobs, cache=cache, keep_origins=keep_origins, progress=progress)
        return outcome
    for done, target in enumerate(files):
        if progress is not None:
            progress(done, len(files))
        if target.data is not None:
            data = target.data
        else:
            try:
                data = read_file(target.path)
            except OSError:
                outcome.results.append(lint_file(target.path, target.settings, target.name))  # reports why
                continue
        if mode == ADD_NOQA:
            _add_noqa(target, data, outcome)
        else:
            _fix(target, data, mode, unsafe, outcome)
    return outcome


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check(
    targets: Sequence[Target],
    *,
    jobs: int | None = None,
    cache=None,  # noqa: ANN001 - rnnlint.cache.Cache, imported only when caching
    keep_origins: bool = False,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Check the targets.  `keep_origins`: each diagnostic keeps what the analysis knew
    (`Diagnostic.origin`, for --confirm); it lives only in this process, so no workers.
    `progress(done, total)` is told how many files are done, as they are."""
    results: list[FileResult | None] = [None] * len(targets)
    # Project imports are searched in the directories named on the command line too (set before
    # any worker starts: forked workers inherit it).
    use_project_roots(sorted({target.root for target in targets if target.root and os.path.isdir(target.root)}))
    keys: dict[int, str | None] = {}  # the cache key of each file sent to the analysis
    analysis = _Analysis(1 if keep_origins else jobs or default_jobs(), keep_origins)
    if cache is not None:
        from rnnlint.cache import FILTERED, content_key, settings_key as digest

    # Each file has its own Settings object, mostly equal ones: digest each value once.
    settings_keys: dict[Settings, str] = {}

    def settings_key(settings: Settings) -> str:
        if settings not in settings_keys:
            settings_keys[settings] = digest(settings)
        return settings_keys[settings]

    for index, target in enumerate(targets):
        if progress is not None:  # the files before this one are done, except those waiting for the analysis
            progress(index - len(keys), len(targets))
        data = target.data
        status = None
        if data is None and cache is not None:
            read_at = time.time_ns()  # before the status: a change after it shows as racily clean
            status = _regular_file_status(target.path)
            # An unchanged file is answered from what the cache recorded, without reading it.
            outcome = None if status is None else cache.unchanged(target.path, status, lambda: settings_key(target.settings))
            if outcome == FILTERED:
                results[index] = FileResult(target.name)
                continue
            cached = cache.get(outcome, target.name) if outcome is not None else None
            if cached is not None:
                results[index] = FileResult(target.name, cached, failed=any(d.code == "RNN001" for d in cached))
                continue
        if data is None:
            try:
                data = read_file(target.path)
            except OSError as error:
                results[index] = file_error_result(target.name, error)
                continue
        if not may_build_recurrent(data, target.name):
            results[index] = FileResult(target.name)
            # Filtered out for good only when no project module could change the answer (they are not watched).
            if status is not None and not imports_project(data, target.name):
                cache.remember(target.path, status, read_at, "", FILTERED)
            continue
        key = None
        if cache is not None:
            key = content_key(data, repr(target.settings))
            if status is not None:
                cache.remember(target.path, status, read_at, settings_key(target.settings), key)
            cached = cache.get(key, target.name)
            if cached is not None:
                results[index] = FileResult(target.name, cached, failed=any(d.code == "RNN001" for d in cached))
                continue
        keys[index] = key
        analysis.add(index, (data, target.name, target.settings))

    done = len(targets) - len(keys)
    for index, result in analysis.results():
        results[index] = result
        done += 1
        if progress is not None:
            progress(done, len(targets))
        key = keys[index]
        if cache is not None and key is not None and not _not_about_content(result):
            cache.put(key, result.diagnostics, result.dependencies)
    return [r for r in results if r is not None]


class _Analysis:
    """Phase 2, started while phase 1 is still reading: the files to analyse, as they are found.

    Once enough files wait to pay for worker processes, the workers start and get
    files in small batches while this process goes on reading the rest.  A run
    that never gathers that many analyses its few files here, at the end.
    """

    def __init__(self, jobs: int, keep_origins: bool) -> None:
        self.jobs = jobs
        self.keep_origins = keep_origins
        self.waiting: list[tuple[int, Job]] = []
        self.pool = None
        self.sent: list[tuple[list[int], Future]] = []

    def add(self, index: int, job: Job) -> None:
        self.waiting.append((index, job))
        if self.pool is None and self.jobs > 1 and len(self.waiting) >= PARALLEL_THRESHOLD:
            self.pool = _worker_pool(self.jobs)
        if self.pool is not None and len(self.waiting) >= BATCH:
            self._send()

    def _send(self) -> None:
        batch, self.waiting = self.waiting, []
        future = self.pool.submit(_lint_batch_in_worker, [job for _, job in batch])  # type: ignore[union-attr]
        self.sent.append(([index for index, _ in batch], future))

    def results(self) -> Iterator[tuple[int, FileResult]]:
        """Each file's result, in the order the files were added."""
        if self.pool is None:
            for index, job in self.waiting:
                yield index, _lint_job(job, keep_origin=self.keep_origins)
            return
        if self.waiting:
            self._send()
        with self.pool:
            for indices, future in self.sent:
                yield from zip(indices, future.result())


def _worker_pool(jobs: int):  # noqa: ANN202 - concurrent.futures is imported only when workers are worth it
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context)


def _regular_file_status(path: str) -> os.stat_result | None:
    """The status of a regular file, else None (and read_file says why it cannot be read, if it cannot)."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status if stat.S_ISREG(status.st_mode) else None


def _lint_job(item: Job, *, keep_origin: bool) -> FileResult:
    data, name, settings = item
    with _one_collection():
        result = lint_bytes(data, name, settings)
        if not keep_origin:
            # What the analysis knew (for --confirm) is a graph of syntax trees and values:
            # kept, it would pile up with every file (or be sent between processes); let go
            # here, it is garbage before the collection below.
            for diagnostic in result.diagnostics:
                diagnostic.origin = None
        return result


@contextmanager
def _one_collection() -> Iterator[None]:
    """Collect cyclic garbage once per file, not while the file is analysed.

    A file's syntax tree and values are tens of thousands of objects that live until
    the file is done; the cyclic collector, left on, scans them over and over as they
    pile up (and everything older with them, on a full collection): a fifth of the CPU
    time on an all-Keras tree.  Collecting the two younger generations after the
    file frees the same cycles, and those of earlier files that outlived their
    file's collection: the collector never runs on its own while a file is analysed.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(1)


def _lint_batch_in_worker(batch: list[Job]) -> list[FileResult]:
    return [_lint_job(job, keep_origin=False) for job in batch]


def _not_about_content(result: FileResult) -> bool:
    # A crash or a time-out says nothing about the file's content: never cache it.  Nor a
    # notice (a notebook of another language): the cache keeps diagnostics, and it must show again.
    return bool(result.notices) or any(
        d.extra.get("internal_error") or d.message.startswith("skipped:") for d in result.diagnostics
    )


def _fix(target: Target, data: bytes, mode: str, unsafe: bool, outcome: RunResult) -> None:
    from rnnlint.api import fix_bytes

    try:
        fixed = fix_bytes(data, target.name, target.settings, unsafe=unsafe)
    except Exception as error:  # noqa: BLE001 - a bug of ours must leave this file as it was and the run going
        problem = f"{type(error).__name__}: {error}"
        outcome.warnings.append(f"{target.name}: not fixed: internal error: {problem} (please report it)")
        remaining = lint_bytes(data, target.name, target.settings).diagnostics
        outcome.results.append(FileResult(target.name, remaining, failed=True))
        if target.data is not None and mode == FIX:
            outcome.stdin_output = data  # an editor replacing its buffer with our output gets it back unchanged
        return
    if fixed.problem:
        outcome.warnings.append(f"{target.name}: {fixed.problem}")
    if target.data is not None and mode == FIX:
        outcome.stdin_output = fixed.fixed if fixed.fixed is not None else data
    if fixed.fixed is None:
        outcome.results.append(FileResult(target.name, fixed.remaining, failed=fixed.failed, notices=fixed.notices))
        return
    if mode == DIFF:
        outcome.diffs.append(unified_diff(target.name, data, fixed.fixed))
    elif target.data is None:
        from rnnlint.writeback import WriteRefused, write_if_unchanged

        try:
            write_if_unchanged(target.path, data, fixed.fixed, root=target.root)
        except WriteRefused as refused:
            outcome.warnings.append(f"{target.name}: {refused}")
            outcome.results.append(lint_bytes(data, target.name, target.settings))
            return
    outcome.fixed[target.name] = fixed.applied
    # (`failed` stays set for a notebook fixed around a cell that does not parse)
    outcome.results.append(FileResult(target.name, fixed.remaining, failed=fixed.failed))


def _add_noqa(target: Target, data: bytes, outcome: RunResult) -> None:
    from rnnlint.api import add_noqa_to_bytes

    added = add_noqa_to_bytes(data, target.name, target.settings)
    if added.failed:  # nothing to add; keep the line saying why the file could not be analysed
        outcome.results.append(lint_bytes(data, target.name, target.settings))
        if target.data is not None:
            outcome.stdin_output = data
        return
    if target.data is not None:
        outcome.stdin_output = added.fixed if added.fixed is not None else data
    if added.skipped:
        rows = ", ".join(str(d.location.row) + (f" of cell {d.cell}" if d.cell else "") for d in added.skipped)
        outcome.warnings.append(f"{target.name}: no line can carry a `# noqa` for the finding(s) at line {rows}")
    if added.fixed is not None and target.data is None:
        from rnnlint.writeback import WriteRefused, write_if_unchanged

        try:
            write_if_unchanged(target.path, data, added.fixed, root=target.root)
        except WriteRefused as refused:
            outcome.warnings.append(f"{target.name}: {refused}")
            return
    outcome.noqa_added += added.added
    outcome.results.append(FileResult(target.name, [], failed=added.failed))


def unified_diff(name: str, before: bytes, after: bytes) -> str:
    """What --diff prints for one file: a unified diff of the text (line endings kept as they are);
    for a notebook, one diff per changed cell of its code (as ruff does), not a diff of its JSON."""
    from rnnlint.sources import is_notebook
    from rnnlint.sources.python import SourceText
    from rnnlint.textdiff import unified_diff as diff_lines

    if is_notebook(name):
        return _cell_diffs(name, before, after)

    old = _LINES.findall(SourceText.from_bytes(before).text)
    new = _LINES.findall(SourceText.from_bytes(after).text)
    lines = []
    for line in diff_lines(old, new, fromfile=name, tofile=name):
        lines.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(lines)


def _cell_diffs(name: str, before: bytes, after: bytes) -> str:
    """Each changed code cell's diff, headed `NAME:cell N` (N counts all cells, as locations do)."""
    import difflib

    from rnnlint.sources.notebook import cell_lines

    old, new = cell_lines(before), cell_lines(after)
    lines = []
    for cell in sorted(set(old) | set(new)):
        label = f"{name}:cell {cell}"
        for line in difflib.unified_diff(old.get(cell, []), new.get(cell, []), fromfile=label, tofile=label, lineterm=""):
            lines.append(line + "\n")
    return "".join(lines)
