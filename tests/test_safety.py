"""Safety: linting never runs the code it reads; --fix never loses data, even when killed mid-run.

(`--confirm`, which runs layers under real Keras, comes from another branch; its own
never-runs-your-file test belongs with it: see the note in test_nothing_is_executed.)
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnnlint.writeback import TEMPORARY_SUFFIX, WriteRefused, write_if_unchanged
from tests.helpers import ROOT, run_cli

FIXABLE = "from keras.layers import LSTM\nout, h, c = LSTM({units})(x)\n"


# --- nothing the linted code says is executed ---------------------------------------------------


def _booby_trapped(tmp_path: Path) -> tuple[Path, list[Path]]:
    """A package whose import or execution, by any route, would create a marker file."""
    markers = [tmp_path / f"marker_{n}" for n in range(4)]
    project = tmp_path / "project"
    package = project / "pkg"
    package.mkdir(parents=True)
    trap = "import pathlib; pathlib.Path({marker!r}).write_text('ran')\n"
    (package / "__init__.py").write_text(trap.format(marker=str(markers[0])))
    (package / "helper.py").write_text(trap.format(marker=str(markers[1])) + "import keras\nLSTM = keras.layers.LSTM\n")
    (project / "conftest.py").write_text(trap.format(marker=str(markers[2])))
    (package / "model.py").write_text(
        trap.format(marker=str(markers[3]))
        + "import pkg.helper\n"
        + "from pkg.helper import LSTM\n"
        + "from keras.layers import GRU\n"
        + "out, h, c = GRU(8)(x)\n"
        + "if __name__ == '__main__':\n    exec(open(__file__).read())\n"
    )
    return project, markers


@pytest.mark.parametrize(
    "flags",
    [
        [],
        ["--select", "ALL", "--show-source", "--statistics"],
        ["--fix", "--unsafe-fixes"],
        ["--diff"],
        ["--add-noqa"],
        ["--output-format", "sarif"],
        ["--show-settings"],
    ],
    ids=["check", "select-all", "fix", "diff", "add-noqa", "sarif", "show-settings"],
)
def test_nothing_is_executed(tmp_path: Path, flags: list[str]):
    """Every mode reads the code and never imports or runs it.  (`--confirm` runs layers under Keras;
    when it merges, add it here: it must build the layers it checks, never import the user's module.)"""
    project, markers = _booby_trapped(tmp_path)
    result = run_cli(str(project), "--no-cache", *flags, cwd=project)
    assert "Traceback" not in result.stderr
    assert [m.name for m in markers if m.exists()] == []
    if flags in ([], ["--fix", "--unsafe-fixes"]):
        assert "RNN101" in result.stdout  # the analysis did run over the file


def test_nothing_is_executed_from_stdin(tmp_path: Path):
    project, markers = _booby_trapped(tmp_path)
    source = (project / "pkg" / "model.py").read_text()
    for flags in ([], ["--fix"]):
        result = run_cli("-", "--stdin-filename", "pkg/model.py", *flags, cwd=project, stdin=source)
        assert "Traceback" not in result.stderr
    assert [m.name for m in markers if m.exists()] == []


# --- writing fixes back -------------------------------------------------------------------------------


def test_fix_through_the_cli_keeps_mode_bits_and_refuses_a_symlink_out_of_the_tree(tmp_path: Path):
    outside = tmp_path / "outside.py"
    outside.write_text(FIXABLE.format(units=1))
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "linked.py").symlink_to(outside)
    script = tree / "script.py"
    script.write_text(FIXABLE.format(units=2))
    script.chmod(0o754)
    result = run_cli(str(tree), "--fix", "--no-cache")
    assert outside.read_text() == FIXABLE.format(units=1)
    assert (
        f"{tree / 'linked.py'}: not written: it is a symlink to {outside}, outside the linted tree {tree}"
        in result.stderr
    )
    assert "return_state=True" in script.read_text()
    assert stat.S_IMODE(script.stat().st_mode) == 0o754
    assert sorted(p.name for p in tree.iterdir()) == ["linked.py", "script.py"]


def test_a_temporary_file_left_by_a_killed_writer_is_removed_by_the_next_write(tmp_path: Path):
    target = tmp_path / "model.py"
    target.write_bytes(b"old\n")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    abandoned = tmp_path / f".model.py.{int(dead.stdout)}.abcd1234{TEMPORARY_SUFFIX}"
    abandoned.write_bytes(b"half of a new fi")
    live = tmp_path / f".model.py.{os.getppid()}.abcd1234{TEMPORARY_SUFFIX}"  # our parent: alive
    live.write_bytes(b"a live writer's")
    write_if_unchanged(str(target), b"old\n", b"new\n", root=str(tmp_path))
    assert target.read_bytes() == b"new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["model.py", live.name])


def test_a_refused_write_leaves_no_temporary_file(tmp_path: Path):
    target = tmp_path / "model.py"
    target.write_bytes(b"as read\n")
    target.write_bytes(b"edited meanwhile\n")
    with pytest.raises(WriteRefused):
        write_if_unchanged(str(target), b"as read\n", b"fixed\n", root=str(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == ["model.py"]


def _write_tree(directory: Path, contents: dict[str, bytes]) -> None:
    for name, data in contents.items():
        (directory / name).write_bytes(data)


def _fix_command(tree: Path) -> list[str]:
    return [sys.executable, "-m", "rnnlint", str(tree), "--fix", "--no-cache", "--quiet"]


def test_fix_killed_at_any_moment_leaves_every_file_old_or_new(tmp_path: Path):
    """SIGKILL a real `--fix` run at delays spread over its duration, again and again: every file is
    byte-equal to its old or its new content, never half-written; a rerun finishes the job and removes
    any temporary file a kill left."""
    count = 120
    # Files of some size, so that writing (and fsync) takes a moment a kill can land in.
    padding = "".join(f"# {'padding ' * 12}{n}\n" for n in range(400))
    old = {f"model_{n:03}.py": (padding + FIXABLE.format(units=n + 1)).encode() for n in range(count)}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    reference = tmp_path / "reference"
    reference.mkdir()
    _write_tree(reference, old)
    started = time.monotonic()
    subprocess.run(_fix_command(reference), env=env, capture_output=True, check=False, timeout=300)
    duration = time.monotonic() - started
    new = {name: (reference / name).read_bytes() for name in old}
    assert all(new[name] != old[name] and b"return_state=True" in new[name] for name in old)

    tree = tmp_path / "tree"
    tree.mkdir()
    trials = 16
    partial = 0
    strays: set[str] = set()
    left_by_kills = 0
    for trial in range(trials):
        _write_tree(tree, old)
        process = subprocess.Popen(_fix_command(tree), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(duration * (0.15 + 0.85 * trial / trials))
        process.kill()
        process.wait()
        states = []
        for name in old:
            data = (tree / name).read_bytes()
            assert data in (old[name], new[name]), f"trial {trial}: {name} is neither old nor new"
            states.append(data == new[name])
        partial += 0 < sum(states) < count
        # Left where the kill landed between creating the temporary file and renaming it; kept across
        # trials: later runs (and the final rerun) must remove them.
        now = {p.name for p in tree.iterdir() if p.name not in old}
        assert all(name.endswith(TEMPORARY_SUFFIX) for name in now), now
        left_by_kills += len(now - strays)
        strays = now
    print(f"{trials} kills over a {duration:.1f} s run: {partial} mid-run, {left_by_kills} temporary files left")
    assert partial >= 2, "no kill landed mid-run: the test did not test anything"

    rerun = subprocess.run(_fix_command(tree), env=env, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in rerun.stderr
    assert {name: (tree / name).read_bytes() for name in old} == new
    assert sorted(p.name for p in tree.iterdir()) == sorted(old)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_read_only_file_is_not_replaced():
    """The rename that makes a write atomic needs only the directory to be writable; a read-only file is
    refused all the same.  (Root may write anything: as root the CLI runs as an unprivileged user.)"""
    import shutil

    from tests.helpers import run_cli_as, unprivileged_user, world_readable_directory

    tree = world_readable_directory()
    try:
        user = unprivileged_user() if os.geteuid() == 0 else (os.getuid(), os.getgid())
        if user is None:
            pytest.skip("running as root and there is no unprivileged user to run as")
        os.chown(tree, *user)
        read_only, writable = tree / "read_only.py", tree / "writable.py"
        for number, path in enumerate((read_only, writable)):
            path.write_text(FIXABLE.format(units=number + 1))
            os.chown(path, *user)
        read_only.chmod(0o444)
        argv = [str(tree), "--fix", "--no-cache"]
        if os.geteuid() == 0:
            code, stdout, stderr = run_cli_as(user, argv)
        else:
            result = run_cli(*argv)
            code, stdout, stderr = result.returncode, result.stdout, result.stderr
        assert f"{read_only}: not written: the file is read-only" in stderr
        assert read_only.read_text() == FIXABLE.format(units=1)
        assert "return_state=True" in writable.read_text()
        assert code == 1, stdout + stderr  # the read-only file's finding remains
    finally:
        shutil.rmtree(tree)
