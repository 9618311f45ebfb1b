"""Write-back under --fix / --add-noqa (issue 15, items 3-6): what a replacement keeps, and what it refuses.

Real files, real processes, real signals: a concurrent writer is a second
process, SIGTERM is sent by the test, ownership is changed with chown (as root)
and refused for an unprivileged user (a forked child that gave up root).
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rnnlint import writeback
from rnnlint.writeback import TEMPORARY_SUFFIX, WriteRefused, writable, write_if_unchanged
from tests.helpers import ROOT, run_cli

FIXABLE = "from keras.layers import LSTM\nout, h, c = LSTM(8)(x)\n"
ROOT_ONLY = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
POSIX = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes and signals")


def _only(directory: Path, *names: str) -> None:
    """No temporary file is left: the directory holds exactly `names`."""
    assert sorted(p.name for p in directory.iterdir()) == sorted(names)


# --- item 3: read-only files, even as root ----------------------------------------------


@POSIX
def test_a_0444_file_is_refused_whoever_runs_the_fix(tmp_path: Path):
    """os.access says yes to root for any file; the mode bits are what the owner decided."""
    target = tmp_path / "model.py"
    target.write_bytes(b"old\n")
    target.chmod(0o444)
    with pytest.raises(WriteRefused, match="the file is read-only"):
        write_if_unchanged(str(target), b"old\n", b"new\n", root=str(tmp_path))
    assert target.read_bytes() == b"old\n"
    _only(tmp_path, "model.py")


@ROOT_ONLY
def test_as_root_the_cli_skips_a_read_only_file_and_fixes_the_others(tmp_path: Path):
    read_only, writable_file = tmp_path / "read_only.py", tmp_path / "writable.py"
    for path in (read_only, writable_file):
        path.write_text(FIXABLE)
    read_only.chmod(0o444)
    result = run_cli(str(tmp_path), "--fix", "--no-cache")
    assert f"{read_only}: not written: the file is read-only" in result.stderr
    assert read_only.read_text() == FIXABLE
    assert "return_state=True" in writable_file.read_text()


@POSIX
def test_writability_follows_the_mode_bits_of_the_class_the_process_is_in(tmp_path: Path):
    target = tmp_path / "f"
    target.write_bytes(b"")
    for mode, expected in ((0o644, True), (0o444, False), (0o200, True)):
        target.chmod(mode)
        assert writable(target.stat()) is expected, oct(mode)
    if os.geteuid() == 0:  # root counts as the owner of every file
        os.chown(target, 12345, 12345)
        target.chmod(0o644)
        assert writable(target.stat())
        target.chmod(0o466)  # writable by group and others, not by the owner
        assert not writable(target.stat())


# --- item 4: an edit made while the file is being fixed ----------------------------------


WRITER = "import sys; open(sys.argv[1], 'ab').write(b'# added by another process\\n')"


@POSIX
def test_an_edit_by_another_process_between_read_and_replace_is_kept(tmp_path: Path, monkeypatch):
    """A second process appends to the file after rnnlint checked it and wrote its temporary file: the
    re-check just before the rename sees it, and the other process's edit stays."""
    target = tmp_path / "model.py"
    target.write_bytes(b"old\n")
    real_fsync = os.fsync

    def fsync_then_let_the_other_process_write(descriptor: int) -> None:
        real_fsync(descriptor)
        subprocess.run([sys.executable, "-c", WRITER, str(target)], check=True, timeout=60)

    monkeypatch.setattr(writeback.os, "fsync", fsync_then_let_the_other_process_write)
    with pytest.raises(WriteRefused, match="changed on disk while it was being fixed"):
        write_if_unchanged(str(target), b"old\n", b"new\n", root=str(tmp_path))
    assert target.read_bytes() == b"old\n# added by another process\n"
    _only(tmp_path, "model.py")


@POSIX
def test_the_cli_says_so_in_one_line_and_goes_on(tmp_path: Path):
    """Through the real CLI: a process that rewrites a file (same size) while --fix works on it."""
    script = tmp_path / "run.py"
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.py").write_text(FIXABLE)
    (tree / "b.py").write_text(FIXABLE)
    script.write_text(
        textwrap.dedent(
            f"""
            import os, subprocess, sys
            sys.path.insert(0, {str(ROOT)!r})
            from rnnlint import writeback
            real = os.fsync
            def fsync(descriptor):
                real(descriptor)
                if os.readlink(f"/proc/self/fd/{{descriptor}}").startswith({str(tree / '.a.py.')!r}):
                    subprocess.run([sys.executable, "-c", {WRITER!r}, {str(tree / 'a.py')!r}], check=True)
            writeback.os.fsync = fsync
            from rnnlint.cli import main
            sys.exit(main([{str(tree)!r}, "--fix", "--no-cache"]))
            """
        )
    )
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to name a descriptor's file")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert result.stderr.count("changed on disk while it was being fixed") == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert (tree / "a.py").read_text() == FIXABLE + "# added by another process\n"
    assert "return_state=True" in (tree / "b.py").read_text()
    _only(tree, "a.py", "b.py")


# --- item 5: interrupted while writing -------------------------------------------------


def test_ctrl_c_while_writing_removes_the_temporary_file(tmp_path: Path, monkeypatch):
    target = tmp_path / "model.py"
    target.write_bytes(b"old\n")

    def interrupted(descriptor: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(writeback.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_if_unchanged(str(target), b"old\n", b"new\n" * 100_000)
    assert target.read_bytes() == b"old\n"
    _only(tmp_path, "model.py")


@POSIX
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_while_writing_removes_the_temporary_file_and_still_ends_the_process(tmp_path: Path, signum: int):
    target = tmp_path / "model.py"
    target.write_bytes(b"old\n")
    child = textwrap.dedent(
        f"""
        import os, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from rnnlint import writeback
        real = os.fsync
        def slow(descriptor):
            real(descriptor)
            print("writing", flush=True)
            time.sleep(60)
        writeback.os.fsync = slow
        writeback.write_if_unchanged({str(target)!r}, b"old\\n", b"new\\n" * 100000)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "writing\n"
    assert any(p.name.endswith(TEMPORARY_SUFFIX) for p in tmp_path.iterdir())  # the moment is the right one
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    if signum == signal.SIGTERM:
        assert process.returncode == -signal.SIGTERM, stderr  # it still dies of the signal
    else:
        assert "KeyboardInterrupt" in stderr
    assert target.read_bytes() == b"old\n"
    _only(tmp_path, "model.py")


# --- item 6: what a replacement keeps, and what it refuses -------------------------------


@ROOT_ONLY
def test_setuid_setgid_owner_and_group_are_kept(tmp_path: Path):
    """chown clears the setuid and setgid bits: the mode is restored after it."""
    target = tmp_path / "tool.py"
    target.write_bytes(b"old\n")
    os.chown(target, 12345, 23456)
    target.chmod(0o6755)
    write_if_unchanged(str(target), b"old\n", b"new\n")
    status = target.stat()
    assert target.read_bytes() == b"new\n"
    assert (status.st_uid, status.st_gid) == (12345, 23456)
    assert stat.S_IMODE(status.st_mode) == 0o6755
    _only(tmp_path, "tool.py")


def _xattrs_work(path: Path) -> bool:
    try:
        os.setxattr(path, "user.probe", b"1")
        os.removexattr(path, "user.probe")
    except (AttributeError, OSError):
        return False
    return True


@POSIX
def test_extended_attributes_are_kept(tmp_path: Path):
    target = tmp_path / "model.py"
    target.write_bytes(b"old\n")
    if not _xattrs_work(target):
        pytest.skip("no user extended attributes on this file system")
    os.setxattr(target, "user.origin", b"downloaded from somewhere")
    write_if_unchanged(str(target), b"old\n", b"new\n")
    assert target.read_bytes() == b"new\n"
    assert os.getxattr(target, "user.origin") == b"downloaded from somewhere"


def _acl(*entries: tuple[int, int, int]) -> bytes:
    """A POSIX access ACL as Linux stores it in `system.posix_acl_access` (what setfacl writes)."""
    import struct

    return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *entry) for entry in entries)


@POSIX
def test_a_posix_acl_is_kept(tmp_path: Path):
    target = tmp_path / "model.py"
    target.write_bytes(b"old\n")
    target.chmod(0o664)
    anyone = 0xFFFFFFFF
    # owner rw-, user 12345 rw-, group r--, mask rw-, others r--: `setfacl -m u:12345:rw`
    acl = _acl((0x01, 6, anyone), (0x02, 6, 12345), (0x04, 4, anyone), (0x10, 6, anyone), (0x20, 4, anyone))
    try:
        os.setxattr(target, "system.posix_acl_access", acl)
    except (AttributeError, OSError) as error:
        pytest.skip(f"the file system takes no POSIX ACL: {error}")
    write_if_unchanged(str(target), b"old\n", b"new\n")
    assert target.read_bytes() == b"new\n"
    assert os.getxattr(target, "system.posix_acl_access") == acl


@POSIX
def test_a_file_with_several_hard_links_is_refused_and_every_name_keeps_its_content(tmp_path: Path):
    target = tmp_path / "model.py"
    target.write_bytes(b"old\n")
    other = tmp_path / "same_file.py"
    os.link(target, other)
    with pytest.raises(WriteRefused, match="it has 2 hard links"):
        write_if_unchanged(str(target), b"old\n", b"new\n")
    assert target.read_bytes() == other.read_bytes() == b"old\n"
    assert target.stat().st_ino == other.stat().st_ino
    _only(tmp_path, "model.py", "same_file.py")


@ROOT_ONLY
def test_an_owner_the_new_file_cannot_be_given_is_refused(tmp_path: Path):
    """An unprivileged user may write root's world-writable file, but a replacement would be theirs."""
    import shutil

    from tests.helpers import run_cli_as, unprivileged_user, world_readable_directory

    user = unprivileged_user()
    if user is None:
        pytest.skip("no unprivileged user to run as")
    tree = world_readable_directory()
    try:
        os.chown(tree, *user)
        theirs, own = tree / "roots.py", tree / "own.py"
        theirs.write_text(FIXABLE)
        theirs.chmod(0o666)  # root's, writable by anyone
        own.write_text(FIXABLE)
        os.chown(own, *user)
        code, stdout, stderr = run_cli_as(user, [str(tree), "--fix", "--no-cache"])
        assert f"{theirs}: not written: its owner or group cannot be kept" in stderr, stdout + stderr
        assert theirs.read_text() == FIXABLE
        assert theirs.stat().st_uid == 0
        assert "return_state=True" in own.read_text()
        _only(tree, "roots.py", "own.py")
    finally:
        shutil.rmtree(tree)
