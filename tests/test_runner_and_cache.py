"""Parallel runs give the serial answer in the same order; the cache never serves stale results."""

from __future__ import annotations

import json
from pathlib import Path

from rnnlint.cache import Cache
from rnnlint.runner import Target, check
from rnnlint.settings import Selection, Settings
from tests.helpers import run_cli

BUGGY = "from keras.layers import LSTM\nout, h, c = LSTM({units})(x)\n"


def make_tree(root: Path, count: int = 40) -> list[str]:
    files = []
    for number in range(count):
        path = root / f"model_{number:03}.py"
        path.write_text(BUGGY.format(units=number + 1) if number % 3 else "import os\n")
        files.append(str(path))
    return files


def run(files, settings_for, *, jobs=None, cache=None):
    return check([Target(f, settings_for(f), None) for f in files], jobs=jobs, cache=cache)


def summary(results):
    return [(r.path, [(d.code, d.location, d.message) for d in r.diagnostics]) for r in results]


def test_parallel_equals_serial_in_order(tmp_path):
    files = make_tree(tmp_path)
    serial = run(files, lambda _: Settings(), jobs=1)
    parallel = run(files, lambda _: Settings(), jobs=2)
    assert summary(parallel) == summary(serial)
    assert [r.path for r in parallel] == files
    assert sum(len(r.diagnostics) for r in serial) == 26


def test_cache_answers_unchanged_files_and_reanalyses_changed_ones(tmp_path):
    (tmp_path / "src").mkdir()
    files = make_tree(tmp_path / "src", count=4)
    cache_dir = tmp_path / "cache"
    first = run(files, lambda _: Settings(), cache=(cache := Cache(cache_dir)))
    cache.save()
    warm_cache = Cache(cache_dir)
    second = run(files, lambda _: Settings(), cache=warm_cache)
    assert summary(second) == summary(first)
    assert warm_cache.dirty is False  # everything came from the cache

    Path(files[1]).write_text("from keras.layers import LSTM\nout = LSTM(3)(x)\n")
    third = run(files, lambda _: Settings(), cache=Cache(cache_dir))
    assert third[1].diagnostics == []


def test_cache_is_keyed_by_settings(tmp_path):
    files = make_tree(tmp_path, count=2)
    cache_dir = tmp_path / "cache"
    cache = Cache(cache_dir)
    run(files, lambda _: Settings(), cache=cache)
    cache.save()
    ignoring = Settings(selection=Selection(ignore=("RNN101",)))
    results = run(files, lambda _: ignoring, cache=Cache(cache_dir))
    assert all(r.diagnostics == [] for r in results)


def test_corrupted_cache_is_ignored_with_a_message(tmp_path):
    files = make_tree(tmp_path, count=2)
    cache_dir = tmp_path / ".rnnlint_cache"
    cache = Cache(cache_dir)
    run(files, lambda _: Settings(), cache=cache)
    cache.save()
    cache.path.write_text("{not json")
    result = run_cli(*files, "--cache-dir", str(cache_dir))
    assert result.returncode == 1
    assert "RNN101" in result.stdout
    assert "cache" in result.stderr and "corrupted; ignoring it" in result.stderr
    assert json.loads(cache.path.read_text())["format"] == 1  # rewritten sound


def test_cache_of_another_version_is_not_used(tmp_path, monkeypatch):
    files = make_tree(tmp_path, count=2)
    cache_dir = tmp_path / "cache"
    cache = Cache(cache_dir)
    run(files, lambda _: Settings(), cache=cache)
    cache.save()
    monkeypatch.setattr("rnnlint.cache.__version__", "999.0")
    fresh = Cache(cache_dir)
    assert fresh.entries == {}


def test_no_cache_flag_writes_nothing(tmp_path):
    files = make_tree(tmp_path, count=2)
    run_cli(*files, "--no-cache", cwd=tmp_path)
    assert not (tmp_path / ".rnnlint_cache").exists()
