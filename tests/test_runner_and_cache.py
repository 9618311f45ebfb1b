"""Parallel runs give the serial answer in the same order; the cache never serves stale results."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from rnnlint.cache import Cache
from rnnlint.runner import Target, check
from rnnlint.settings import Selection, Settings
from tests.helpers import ROOT, run_cli, run_cli_as, unprivileged_user, world_readable_directory

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
    assert warm_cache.added == 0  # everything came from the cache

    Path(files[1]).write_text("from keras.layers import LSTM\nout = LSTM(3)(x)\n")
    third = run(files, lambda _: Settings(), cache=Cache(cache_dir))
    assert third[1].diagnostics == []


@pytest.mark.parametrize("status_trusted", [False, True], ids=["by content", "by status record"])
def test_cache_is_keyed_by_settings(tmp_path, monkeypatch, status_trusted):
    if status_trusted:  # files just written are racily clean: answered by content unless the rule is off
        monkeypatch.setattr("rnnlint.cache.RACY_NS", 0)
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
    assert warm.added == 0
    key_before = cache_module.content_key(b"x", "s")
    cache_module._code_identity.cache_clear()
    rule = Path(cache_module.__file__).parent / "rules" / "rnn101_unpack_arity.py"
    stat_before = rule.stat()
    os.utime(rule, ns=(stat_before.st_atime_ns, stat_before.st_mtime_ns + 1_000_000_000))
    try:
        assert cache_module.content_key(b"x", "s") != key_before
        cold = Cache(cache_dir)
        run(files[1:], lambda _: Settings(), cache=cold)
        assert cold.added > 0  # re-analysed, not answered from the cache
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
    assert again.added == 0  # everything still came from the cache


def test_a_run_with_nothing_to_look_up_neither_reads_nor_writes_the_cache(tmp_path):
    files = make_tree(tmp_path, count=3)
    cache_dir = tmp_path / "cache"
    cache = Cache(cache_dir)
    run(files, lambda _: Settings(), cache=cache)
    cache.save()
    before = cache.path.stat().st_mtime_ns
    nothing = Cache(cache_dir)
    run([], lambda _: Settings(), cache=nothing)
    nothing.save()
    assert nothing._entries is None
    assert cache.path.stat().st_mtime_ns == before


def test_stdin_is_never_looked_up_by_status(tmp_path):
    files = make_tree(tmp_path, count=2)
    cache = Cache(tmp_path / "cache")
    stdin = Target("-", Settings(), None, files[1], data=b"import os\n")  # named like a Keras file of the tree
    check([stdin], cache=cache)
    assert cache._entries is None and cache.seen == {}


class CountingReads:
    """The files the runner reads (through rnnlint.api.read_file, as it does)."""

    def __init__(self, monkeypatch):
        self.paths: list[str] = []
        from rnnlint import runner

        real = runner.read_file

        def read_file(path):
            self.paths.append(str(path))
            return real(path)

        monkeypatch.setattr(runner, "read_file", read_file)


def test_an_unchanged_tree_is_answered_without_reading_a_file(tmp_path, monkeypatch):
    monkeypatch.setattr("rnnlint.cache.RACY_NS", 0)  # the files were just written: trust them at once
    files = make_tree(tmp_path, count=6)
    cache_dir = tmp_path / "cache"
    first_cache = Cache(cache_dir)
    first = run(files, lambda _: Settings(), cache=first_cache)
    first_cache.save()

    reads = CountingReads(monkeypatch)
    warm = Cache(cache_dir)
    second = run(files, lambda _: Settings(), cache=warm)
    assert summary(second) == summary(first)
    assert reads.paths == [] and warm.added == 0 and warm.dirty is False

    Path(files[1]).write_text("from keras.layers import LSTM\nout = LSTM(3)(x)\n")  # changed: read again
    Path(files[0]).write_text("from keras.layers import GRU\nout, h, c = GRU(3)(x)\n")  # now passes the filter
    third = run(files, lambda _: Settings(), cache=Cache(cache_dir))
    assert sorted(reads.paths) == sorted(files[:2])
    assert third[1].diagnostics == [] and [d.code for d in third[0].diagnostics] == ["RNN101"]


def test_a_same_size_rewrite_with_the_old_mtime_is_caught_by_the_inode_or_ctime(tmp_path, monkeypatch):
    """An editor that saves by renaming a new file over the old one, then restores the old mtime."""
    monkeypatch.setattr("rnnlint.cache.RACY_NS", 0)
    files = make_tree(tmp_path, count=2)
    cache = Cache(tmp_path / "cache")
    run(files, lambda _: Settings(), cache=cache)
    cache.save()
    old = os.stat(files[1])
    replacement = tmp_path / "replacement"
    replacement.write_text("from keras.layers import LSTM\nout = LSTM(2)(x)  # ab\n")  # clean, and the same size
    os.replace(replacement, files[1])
    os.utime(files[1], ns=(old.st_atime_ns, old.st_mtime_ns))
    assert os.stat(files[1]).st_size == old.st_size and os.stat(files[1]).st_mtime_ns == old.st_mtime_ns
    reads = CountingReads(monkeypatch)
    results = run(files, lambda _: Settings(), cache=Cache(tmp_path / "cache"))
    assert reads.paths == [files[1]]
    assert results[1].diagnostics == []


def test_a_file_changed_just_before_it_was_read_is_read_again(tmp_path, monkeypatch):
    files = make_tree(tmp_path, count=3)  # written now: within RACY_NS of the first run
    cache_dir = tmp_path / "cache"
    cache = Cache(cache_dir)
    run(files, lambda _: Settings(), cache=cache)
    cache.save()
    reads = CountingReads(monkeypatch)
    run(files, lambda _: Settings(), cache=Cache(cache_dir))
    assert sorted(reads.paths) == sorted(files)


def test_a_racily_clean_edit_is_not_hidden(tmp_path, monkeypatch):
    """On a filesystem with coarse timestamps (FAT's 2 s, simulated by flooring what os.stat says), a
    same-size edit in place within the tick of the first read leaves the status exactly as recorded:
    only the racily-clean rule makes the next run read the file again."""
    from rnnlint import runner

    real = runner._regular_file_status
    tick = 2_000_000_000

    def coarse(path):
        status = real(path)
        if status is None:
            return None
        return SimpleNamespace(
            st_size=status.st_size,
            st_ino=status.st_ino,
            st_mtime_ns=status.st_mtime_ns // tick * tick,
            st_ctime_ns=status.st_ctime_ns // tick * tick,
        )

    monkeypatch.setattr(runner, "_regular_file_status", coarse)
    for _ in range(5):  # the edit must fall in the same tick as the first read: retry if it crossed one
        shutil.rmtree(tmp_path / "tree", ignore_errors=True)
        (tmp_path / "tree").mkdir()
        files = make_tree(tmp_path / "tree", count=2)
        cache_dir = tmp_path / "tree" / "cache"
        cache = Cache(cache_dir)
        first = run(files, lambda _: Settings(), cache=cache)
        cache.save()
        recorded = coarse(files[1])
        with open(files[1], "r+b") as handle:  # same inode, same size
            handle.write(b"from keras.layers import LSTM\nout = LSTM(1)(x)".ljust(recorded.st_size))
        if coarse(files[1]) == recorded:
            break
    else:
        pytest.skip("could not edit within one 2 s tick of the first read (a very loaded machine)")
    assert [d.code for d in first[1].diagnostics] == ["RNN101"]
    results = run(files, lambda _: Settings(), cache=Cache(cache_dir))
    assert results[1].diagnostics == []


def test_status_records_are_dropped_when_rnnlint_changed(tmp_path, monkeypatch):
    """The prefilter's verdict and the content key recorded for a path are the code's: other code reads again."""
    from rnnlint import cache as cache_module

    monkeypatch.setattr("rnnlint.cache.RACY_NS", 0)
    files = make_tree(tmp_path, count=3)
    cache_dir = tmp_path / "cache"
    cache = Cache(cache_dir)
    run(files, lambda _: Settings(), cache=cache)
    cache.save()
    monkeypatch.setattr(cache_module, "_code_identity", lambda: "other code")
    reads = CountingReads(monkeypatch)
    other = Cache(cache_dir)
    run(files, lambda _: Settings(), cache=other)
    assert sorted(reads.paths) == sorted(files) and other.added == 2


@pytest.mark.parametrize(
    "record",
    ["not a list", [1, 2, 3], [None] * 7, ["x", 0, 0, 0, 0, "", ""], "MISSING"],
    ids=["a-string", "too-short", "nulls", "wrong-types", "files-not-a-dict"],
)
def test_status_records_of_the_wrong_shape_mean_a_read(tmp_path, monkeypatch, record):
    monkeypatch.setattr("rnnlint.cache.RACY_NS", 0)
    files = make_tree(tmp_path, count=3)
    cache_dir = tmp_path / "cache"
    cache = Cache(cache_dir)
    first = run(files, lambda _: Settings(), cache=cache)
    cache.save()
    data = json.loads(cache.path.read_text())
    data["files"] = [] if record == "MISSING" else {path: record for path in data["files"]}
    cache.path.write_text(json.dumps(data))
    reads = CountingReads(monkeypatch)
    damaged = Cache(cache_dir)
    assert summary(run(files, lambda _: Settings(), cache=damaged)) == summary(first)
    assert sorted(reads.paths) == sorted(files) and damaged.warning is None
    damaged.save()
    assert all(len(r) == 7 for r in json.loads(cache.path.read_text())["files"].values())  # rewritten sound


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


def test_what_the_analysis_knew_is_kept_only_when_asked(tmp_path):
    """Diagnostic.origin (a graph of trees and values, for --confirm) would pile up over a tree's files."""
    files = make_tree(tmp_path, count=3)
    plain = run(files, lambda _: Settings(), jobs=1)
    kept = check([Target(f, Settings(), None) for f in files], jobs=2, keep_origins=True)
    assert summary(kept) == summary(plain)
    assert all(d.origin is None for r in plain for d in r.diagnostics)
    assert all(d.origin is not None for r in kept for d in r.diagnostics) and any(r.diagnostics for r in kept)


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE and SIGXFSZ")
def test_a_cache_save_that_fails_leaves_no_temporary_file(tmp_path):
    """A real write failure (the process may write no file over 4 KB, as on a full disk): one warning,
    and no `.tmp-*.json` left in the cache directory."""
    import resource

    for n in range(40):
        (tmp_path / f"model_{n}.py").write_text(f"from keras.layers import LSTM\nout, h, c = LSTM({n + 1})(x)\n")
    cache_dir = tmp_path / ".rnnlint_cache"

    def small_files_only() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    result = subprocess.run(
        [sys.executable, "-m", "rnnlint", str(tmp_path), "--cache-dir", str(cache_dir), "--jobs", "1"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=small_files_only, timeout=120,
    )
    assert "cannot write cache" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in cache_dir.iterdir()) == [".gitignore"]


# --- a cloned repository may plant links in its cache directory: no write goes through them (issue 15, item 15) ---


def _repository_with_a_finding(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pyproject.toml").write_text("")  # the project root: the default cache is repo/.rnnlint_cache
    (repo / "model.py").write_text(BUGGY.format(units=8))
    return repo


def test_a_committed_dangling_gitignore_link_does_not_make_rnnlint_write_outside_the_repository(tmp_path):
    repo = _repository_with_a_finding(tmp_path)
    outside = tmp_path / "outside" / "created-by-rnnlint"
    outside.parent.mkdir()
    (repo / ".rnnlint_cache").mkdir()
    (repo / ".rnnlint_cache" / ".gitignore").symlink_to(outside)
    result = run_cli("model.py", cwd=repo)
    assert result.returncode == 1 and "RNN101" in result.stdout, result.stdout + result.stderr
    assert not outside.exists() and not outside.is_symlink()
    assert (repo / ".rnnlint_cache" / ".gitignore").is_symlink()  # left as it was
    assert any(name.startswith("v1-") for name in os.listdir(repo / ".rnnlint_cache"))  # the cache itself is written
    again = run_cli("model.py", cwd=repo)
    assert again.stdout == result.stdout


def test_a_cache_directory_that_is_a_link_is_not_written_through(tmp_path):
    repo = _repository_with_a_finding(tmp_path)
    victim_directory = tmp_path / "victim"
    victim_directory.mkdir()
    (repo / ".rnnlint_cache").symlink_to(victim_directory)
    result = run_cli("model.py", cwd=repo)
    assert result.returncode == 1 and "RNN101" in result.stdout
    assert os.listdir(victim_directory) == []
    (warning,) = result.stderr.splitlines()
    assert warning.startswith("rnnlint: warning: cache directory ") and "symbolic link" in warning


def test_cache_files_are_written_through_fresh_random_temporary_names_only(tmp_path):
    """A planted link at any name the writer might use as its temporary file is never followed."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    cache_dir = tmp_path / ".rnnlint_cache"
    cache_dir.mkdir()
    for name in (".tmp-cache.json", "confirm.tmp", ".tmp-0.json", ".gitignore"):
        (cache_dir / name).symlink_to(victim)
    cache = Cache(cache_dir)
    run(make_tree(tmp_path, count=3), lambda _: Settings(), cache=cache)
    cache.save()
    assert cache.warning is None
    assert victim.read_text() == "precious\n"
    leftovers = [name for name in os.listdir(cache_dir) if name.startswith(".tmp-") and not (cache_dir / name).is_symlink()]
    assert leftovers == []
    assert Cache(cache_dir).entries  # and the cache was saved


def test_a_cache_file_that_is_a_link_to_a_device_is_refused_not_read(tmp_path):
    files = make_tree(tmp_path, count=3)
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    Cache(cache_dir).path.symlink_to("/dev/zero")
    result = run_cli(*files, "--cache-dir", str(cache_dir), "--output-format", "concise")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "symbolic link" in result.stderr


def test_a_failed_cache_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    files = make_tree(tmp_path, count=3)
    cache_dir = tmp_path / "cache"
    cache = Cache(cache_dir)
    run(files, lambda _: Settings(), cache=cache)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("rnnlint.privatefiles.os.replace", disk_full)
    cache.save()
    assert "No space left on device" in cache.warning
    assert [name for name in os.listdir(cache_dir) if name != ".gitignore"] == []
