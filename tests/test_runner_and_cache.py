"""Parallel runs give the serial answer in the same order; the cache never serves stale results."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from rnnlint.cache import Cache
from rnnlint.runner import Target, check
from rnnlint.settings import Selection, Settings
from tests.helpers import run_cli, run_cli_as, unprivileged_user, world_readable_directory

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


# --- a cache that cannot be trusted is ignored with one message, never fatal ------------------------------


def _primed_cache(tmp_path: Path) -> tuple[list[str], Path, Cache]:
    files = make_tree(tmp_path, count=3)
    cache_dir = tmp_path / ".rnnlint_cache"
    cache = Cache(cache_dir)
    run(files, lambda _: Settings(), cache=cache)
    cache.save()
    return files, cache_dir, cache


def _check_ignored(files: list[str], cache_dir: Path, message: str) -> None:
    result = run_cli(*files, "--cache-dir", str(cache_dir), "--output-format", "concise")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert [line.split(":", 3)[3].split()[0] for line in result.stdout.splitlines() if " RNN" in line] == ["RNN101"] * 2
    warnings = result.stderr.splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("rnnlint: warning: cache ") and message in warnings[0], warnings


def test_truncated_cache_is_ignored(tmp_path):
    files, cache_dir, cache = _primed_cache(tmp_path)
    cache.path.write_bytes(cache.path.read_bytes()[:-40])
    _check_ignored(files, cache_dir, "is corrupted; ignoring it")
    assert json.loads(cache.path.read_text())["format"] == 1  # rewritten sound


def test_cache_of_undecodable_bytes_is_ignored(tmp_path):
    files, cache_dir, cache = _primed_cache(tmp_path)
    cache.path.write_bytes(b"\xff\xfe{" + cache.path.read_bytes())
    _check_ignored(files, cache_dir, "is corrupted; ignoring it")


def test_cache_nested_too_deeply_for_json_is_ignored(tmp_path):
    files, cache_dir, cache = _primed_cache(tmp_path)
    cache.path.write_text("[" * 100_000 + "]" * 100_000)
    _check_ignored(files, cache_dir, "is corrupted; ignoring it")


@pytest.mark.parametrize(
    "damage",
    [
        lambda entry: "not a list",
        lambda entry: [42],
        lambda entry: [{**entry[0], "code": 101}],
        lambda entry: [{**entry[0], "location": ["2", "1"]}],
        lambda entry: [{**entry[0], "location": [2]}],
        lambda entry: [{**entry[0], "end_location": [True, False]}],
        lambda entry: [{**entry[0], "severity": "fatal"}],
        lambda entry: [{**entry[0], "message": None}],
        lambda entry: [{**entry[0], "extra": []}],
        lambda entry: [{**entry[0], "cell": "one"}],
        lambda entry: [{**entry[0], "fix": {"message": "m", "applicability": "safe", "edits": [[1, 1, 1]]}}],
        lambda entry: [{**entry[0], "fix": {"message": "m", "applicability": "safe", "edits": [[1, 1, 1, 1, 5]]}}],
        lambda entry: [{key: value for key, value in entry[0].items() if key != "name"}],
    ],
    ids=[
        "entry-not-a-list",
        "item-not-a-dict",
        "code-not-a-string",
        "row-a-string",
        "location-too-short",
        "location-booleans",
        "unknown-severity",
        "message-null",
        "extra-a-list",
        "cell-a-string",
        "edit-too-short",
        "edit-content-a-number",
        "field-missing",
    ],
)
def test_cache_entries_of_the_wrong_shape_are_ignored(tmp_path, damage):
    files, cache_dir, cache = _primed_cache(tmp_path)
    data = json.loads(cache.path.read_text())
    data["entries"] = {key: damage(entry) if entry else entry for key, entry in data["entries"].items()}
    assert any(not isinstance(e, list) or e and e != [] for e in data["entries"].values())
    cache.path.write_text(json.dumps(data))
    _check_ignored(files, cache_dir, "has entries of the wrong shape; ignoring them")
    # The next run is quiet: the bad entries were replaced.
    assert run_cli(*files, "--cache-dir", str(cache_dir)).stderr == ""


def test_cache_path_that_is_a_directory(tmp_path):
    files, cache_dir, cache = _primed_cache(tmp_path)
    cache.path.unlink()
    cache.path.mkdir()
    result = run_cli(*files, "--cache-dir", str(cache_dir), "--output-format", "concise")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("rnnlint: warning: ") == 1 and "cache" in result.stderr


def test_cache_dir_that_is_a_file(tmp_path):
    files = make_tree(tmp_path, count=3)
    not_a_dir = tmp_path / "cachefile"
    not_a_dir.write_text("I am a file\n")
    result = run_cli(*files, "--cache-dir", str(not_a_dir), "--output-format", "concise")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == f"rnnlint: warning: cache directory {not_a_dir} is not a directory; results were not cached\n"
    assert not_a_dir.read_text() == "I am a file\n"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_cache_dir_the_user_may_not_read_nor_write():
    """Reported in one line; the results are still right.  As root (which reads and writes anything) the
    CLI runs as an unprivileged user."""
    tree = world_readable_directory()
    try:
        files = make_tree(tree, count=3)
        for file in files:
            os.chmod(file, 0o644)
        cache_dir = tree / "locked"
        Cache(cache_dir).save()  # as the test's own user: a cache the CLI's user cannot enter
        cache = Cache(cache_dir)
        run(files, lambda _: Settings(), cache=cache)
        cache.save()
        cache_dir.chmod(0o700 if os.geteuid() == 0 else 0o000)
        argv = [*files, "--cache-dir", str(cache_dir), "--output-format", "concise"]
        if os.geteuid() == 0:
            user = unprivileged_user()
            if user is None:
                pytest.skip("running as root and there is no unprivileged user to run as")
            code, stdout, stderr = run_cli_as(user, argv)
        else:
            result = run_cli(*argv)
            code, stdout, stderr = result.returncode, result.stdout, result.stderr
        assert code == 1, stdout + stderr
        assert sum(" RNN101 " in line for line in stdout.splitlines()) == 2
        assert stderr.startswith("rnnlint: warning: ") and "Permission denied" in stderr
        assert len(stderr.splitlines()) == 1
    finally:
        (tree / "locked").chmod(0o700)
        shutil.rmtree(tree)


def test_a_changed_rnnlint_without_a_new_version_is_not_served_stale_results(tmp_path):
    """A checkout or editable install changes rnnlint's code without changing its version: the key covers the code."""
    from rnnlint import cache as cache_module

    files, cache_dir, _ = _primed_cache(tmp_path)
    warm = Cache(cache_dir)
    assert all(r.diagnostics for r in run(files[1:], lambda _: Settings(), cache=warm))
    assert warm.dirty is False
    key_before = cache_module.content_key(b"x", "s")
    cache_module._code_identity.cache_clear()
    rule = Path(cache_module.__file__).parent / "rules" / "rnn101_unpack_arity.py"
    stat_before = rule.stat()
    os.utime(rule, ns=(stat_before.st_atime_ns, stat_before.st_mtime_ns + 1_000_000_000))
    try:
        assert cache_module.content_key(b"x", "s") != key_before
        cold = Cache(cache_dir)
        run(files[1:], lambda _: Settings(), cache=cold)
        assert cold.dirty is True  # re-analysed, not answered from the cache
    finally:
        os.utime(rule, ns=(stat_before.st_atime_ns, stat_before.st_mtime_ns))
        cache_module._code_identity.cache_clear()


def test_a_run_over_some_files_keeps_the_other_files_entries(tmp_path):
    files = make_tree(tmp_path, count=6)
    cache_dir = tmp_path / "cache"
    cache = Cache(cache_dir)
    run(files, lambda _: Settings(), cache=cache)
    cache.save()
    stored = len(Cache(cache_dir).entries)
    assert stored == 4  # the files that pass the prefilter

    one = Cache(cache_dir)
    run(files[1:2], lambda _: Settings(), cache=one)  # as pre-commit does, with one changed file
    one.save()
    assert len(Cache(cache_dir).entries) == stored
    again = Cache(cache_dir)
    run(files, lambda _: Settings(), cache=again)
    assert again.dirty is False  # everything still came from the cache


def test_a_run_whose_files_are_all_filtered_out_neither_reads_nor_writes_the_cache(tmp_path):
    files = make_tree(tmp_path, count=3)
    cache_dir = tmp_path / "cache"
    cache = Cache(cache_dir)
    run(files, lambda _: Settings(), cache=cache)
    cache.save()
    before = cache.path.stat().st_mtime_ns
    plain = Cache(cache_dir)
    run([files[0]], lambda _: Settings(), cache=plain)  # file 0 holds no recurrent layer
    plain.save()
    assert plain._entries is None
    assert cache.path.stat().st_mtime_ns == before


def test_the_cache_keeps_at_most_max_entries_dropping_the_oldest(tmp_path, monkeypatch):
    monkeypatch.setattr("rnnlint.cache.MAX_ENTRIES", 5)
    files = make_tree(tmp_path, count=9)  # files 1, 2, 4, 5, 7, 8 pass the prefilter
    cache_dir = tmp_path / "cache"
    first = Cache(cache_dir)
    run(files[:3], lambda _: Settings(), cache=first)  # 2 entries: files 1, 2
    first.save()
    second = Cache(cache_dir)
    run(files[3:], lambda _: Settings(), cache=second)  # 4 more: only one older entry still fits
    second.save()
    kept = list(Cache(cache_dir).entries)
    assert kept == [first.used[1], *second.used]  # the oldest (file 1) went first
