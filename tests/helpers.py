"""Shared test helpers: run the CLI of this checkout as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd: Path | str | None = None, stdin: str | None = None, env: dict | None = None):
    """Run `python -m rnnlint ARGS` against this checkout (not whatever is installed)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "rnnlint", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def unprivileged_user() -> tuple[int, int] | None:
    """(uid, gid) of `nobody`, to test permissions when the tests run as root (chmod 000 does not stop root)."""
    try:
        import pwd

        entry = pwd.getpwnam("nobody")
    except (ImportError, KeyError):
        return None
    return entry.pw_uid, entry.pw_gid


def world_readable_directory() -> Path:
    """A fresh directory an unprivileged user can enter (pytest's tmp_path is private to its owner)."""
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="rnnlint-test-"))
    directory.chmod(0o755)
    return directory


def run_cli_as(user: tuple[int, int], argv: list[str]) -> tuple[int, str, str]:
    """Run this checkout's CLI in a forked child that gave up root for `user`: (exit code, stdout, stderr).

    The modules are imported before the fork, so the child needs no access to the
    interpreter's files (which may live under a directory only root can enter)."""
    import importlib
    import pkgutil

    import pathspec  # noqa: F401 - what the child may import lazily, imported while it still can be

    import rnnlint
    import rnnlint.cli
    from rnnlint.rules import all_rules

    for module in pkgutil.walk_packages(rnnlint.__path__, "rnnlint."):
        if not module.name.endswith("__main__"):  # that one runs the CLI when imported
            importlib.import_module(module.name)
    all_rules()
    if sys.version_info >= (3, 11):
        import tomllib  # noqa: F401
    else:  # pragma: no cover
        import tomli  # noqa: F401
    pipes = [os.pipe(), os.pipe()]
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 70
        try:
            for read_end, _ in pipes:
                os.close(read_end)
            os.setgroups([])
            os.setgid(user[1])
            os.setuid(user[0])
            # pytest's capture replaced sys.stdout and sys.stderr: write to the pipes instead.
            sys.stdout = open(pipes[0][1], "w", encoding="utf-8")
            sys.stderr = open(pipes[1][1], "w", encoding="utf-8")
            code = rnnlint.cli.main(argv)
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
    outputs = []
    for read_end, write_end in pipes:
        os.close(write_end)
    for read_end, _ in pipes:  # small outputs: reading one pipe to its end cannot block the other
        with os.fdopen(read_end, "rb") as stream:
            outputs.append(stream.read().decode())
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), outputs[0], outputs[1]
