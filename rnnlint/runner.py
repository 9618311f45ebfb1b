"""Run the linter over many files: cheap checks in this process, analysis in parallel, results in order.

Phase 1, here: read each file, drop the ones that cannot build a recurrent
layer (a byte search), answer the rest from the cache when their content is
unchanged.  Phase 2: analyse what is left, in worker processes when there is
enough of it to pay for them.  Results come back in the order files were given,
so output is stable whatever the parallelism.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from rnnlint.api import FileResult, file_error_result, lint_bytes, may_build_recurrent
from rnnlint.settings import Settings

# Below this many files to analyse, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 16


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run(
    files: Sequence[str],
    settings_for: Callable[[str], Settings],
    *,
    jobs: int | None = None,
    cache=None,  # noqa: ANN001 - rnnlint.cache.Cache, imported only when caching
) -> list[FileResult]:
    results: list[FileResult | None] = [None] * len(files)
    pending: list[tuple[int, bytes, str, Settings, str | None]] = []
    for index, name in enumerate(files):
        settings = settings_for(name)
        try:
            data = Path(name).read_bytes()
        except OSError as error:
            results[index] = file_error_result(name, error)
            continue
        if not may_build_recurrent(data, name):
            results[index] = FileResult(name)
            continue
        key = None
        if cache is not None:
            from rnnlint.cache import content_key

            key = content_key(data, repr(settings))
            cached = cache.get(key, name)
            if cached is not None:
                results[index] = FileResult(name, cached, failed=any(d.code == "RNN001" for d in cached))
                continue
        pending.append((index, data, name, settings, key))

    jobs = jobs or default_jobs()
    work = [(data, name, settings) for _, data, name, settings, _ in pending]
    if jobs > 1 and len(pending) >= PARALLEL_THRESHOLD:
        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        with ProcessPoolExecutor(max_workers=min(jobs, len(pending)), mp_context=context) as pool:
            analysed = list(pool.map(_lint_job, work, chunksize=max(1, len(work) // (jobs * 8))))
    else:
        analysed = [_lint_job(item) for item in work]

    for (index, _, _, _, key), result in zip(pending, analysed):
        results[index] = result
        if cache is not None and key is not None and not _internal_error(result):
            cache.put(key, result.diagnostics)
    return [r for r in results if r is not None]


def _lint_job(item: tuple[bytes, str, Settings]) -> FileResult:
    data, name, settings = item
    return lint_bytes(data, name, settings)


def _internal_error(result: FileResult) -> bool:
    # A crash or a time-out says nothing about the content: never cache it.  (Nor a notice:
    # the cache keeps diagnostics only, and the notice must be shown again.)
    return bool(result.notices) or any(
        d.extra.get("internal_error") or d.message.startswith("skipped:") for d in result.diagnostics
    )
