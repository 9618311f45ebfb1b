"""Bad input of every kind: one clear line per file, never a traceback, and the run goes on (exit 2).

Each input of the robustness issue is here: syntax errors (Python 2 too), other
encodings, BOM, CRLF / lone CR, tabs, NUL bytes and binary files, empty files,
a 50,000-line file, deep nesting, long call chains, unreadable files, broken
symlinks and loops, a directory named like a module, missing paths, files
deleted during the run, and the per-file time limit.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest

from rnnlint.api import lint_file
from rnnlint.config import Resolver
from rnnlint.runner import CHECK, FIX, Target, run, targets
from rnnlint.settings import Selection, Settings
from tests.helpers import run_cli, run_cli_as, unprivileged_user, world_readable_directory

HEADER = "from keras.layers import LSTM\n"
BUGGY = HEADER + "out, h, c = LSTM(8)(x)\n"  # RNN101 on line 2
ALL = Settings(selection=Selection(select=("ALL",)))


def _nested(opening: str, closing: str, depth: int, inner: str = "x") -> str:
    return opening * depth + inner + closing * depth


# (id, content, expected): expected is ("finding", row) for the RNN101 of BUGGY's
# second line found at `row`, or ("error", fragment) for one RNN001 line containing it.
CASES = [
    ("python2_print", HEADER + 'print "hello"\n', ("error", "syntax error: Missing parentheses in call to 'print'")),
    ("python2_exec", HEADER + 'exec "code"\n', ("error", "syntax error")),
    ("python2_except_comma", HEADER + "try:\n    pass\nexcept Exception, e:\n    pass\n", ("error", "syntax error")),
    ("python2_octal", HEADER + "mode = 0777\n", ("error", "syntax error")),
    ("python2_backticks", HEADER + "s = `x`\n", ("error", "syntax error")),
    ("python2_ur_string", HEADER + 's = ur"x"\n', ("error", "syntax error")),
    ("python2_raise_comma", HEADER + 'raise ValueError, "bad"\n', ("error", "syntax error")),
    ("unclosed_call", HEADER + "x = LSTM(8\n", ("error", "syntax error")),
    (
        "latin1_cookie",
        b"# -*- coding: latin-1 -*-\n" + HEADER.encode() + b's = "caf\xe9"\nout, h, c = LSTM(8)(x)\n',
        ("finding", 4),
    ),
    ("undecodable_utf8", HEADER.encode() + b's = "\xff\xfe"\n', ("error", "cannot decode as utf-8")),
    ("unknown_cookie", b"# -*- coding: klingon -*-\n" + HEADER.encode(), ("error", "unknown encoding: klingon")),
    ("bom_with_latin1_cookie", b"\xef\xbb\xbf# coding: latin-1\n" + HEADER.encode(), ("error", "encoding problem")),
    ("utf8_bom", b"\xef\xbb\xbf" + BUGGY.encode(), ("finding", 2)),
    ("crlf", BUGGY.replace("\n", "\r\n"), ("finding", 2)),
    ("lone_cr", BUGGY.replace("\n", "\r"), ("finding", 2)),
    ("mixed_line_endings", HEADER.replace("\n", "\r") + "\r\nout, h, c = LSTM(8)(x)\n", ("finding", 3)),
    ("tabs", HEADER + "if True:\n\tout, h, c = LSTM(8)(x)\n", ("finding", 3)),
    (
        "tabs_and_spaces_mixed",
        HEADER + "if True:\n\tx = 1\n        y = 2\n",
        ("error", "syntax error: inconsistent use of tabs"),
    ),
    ("form_feed", "\f" + HEADER + "\f\nout, h, c = LSTM(8)(x)\n", ("finding", 3)),
    ("nul_bytes", HEADER.encode() + b"x = 1\x00\n", ("error", "file contains NUL bytes (binary file?)")),
    ("binary", random.Random(9).randbytes(4096) + b"LSTM", ("error", "NUL bytes")),
    ("binary_without_nul", bytes(range(128, 256)) * 8 + b"LSTM", ("error", "invalid or missing encoding declaration")),
    ("empty", b"", None),
    ("only_bom", b"\xef\xbb\xbf", None),
    ("whitespace_and_comments", "\n\n   \n# LSTM\n", None),
    ("parens_1000_deep", HEADER + "y = " + _nested("(", ")", 1000) + "\n", ("error", "too many nested parentheses")),
    ("lists_1000_deep", HEADER + "y = " + _nested("[", "]", 1000) + "\n", ("error", "too many nested parentheses")),
    (
        "blocks_1000_deep",
        HEADER + "".join(" " * i + "if x:\n" for i in range(1000)) + " " * 1000 + "pass\n",
        ("error", "too many levels of indentation"),
    ),
    ("string_concatenation_1000_deep", HEADER + "s = " + " + ".join(["'a'"] * 1000) + "\n" + BUGGY, ("finding", 4)),
    ("unary_1000_deep", HEADER + "y = " + "-" * 1000 + "1\n" + BUGGY, ("finding", 4)),
    ("ternary_1000_deep", HEADER + "y = " + "a if b else " * 1000 + "c\n" + BUGGY, ("finding", 4)),
    ("lambda_1000_deep", HEADER + "y = " + "lambda: " * 1000 + "c\n" + BUGGY, ("finding", 4)),
    ("method_chain_10000", HEADER + "y = x" + ".f()" * 10_000 + "\n", ("error", "nested too deeply")),
    ("layer_calls_10000", HEADER + "y = LSTM(8)" + "(x)" * 10_000 + "\n", ("error", "nested too deeply")),
    (
        "deep_argument_in_a_multiline_call",  # libcst, which builds this fix, recursed too deep: no fix, no crash
        HEADER + "out, h, c = LSTM(\n    8,\n    name=" + "+".join(["a"] * 2000) + ",\n)(x)\n",
        ("finding", 2),
    ),
    ("call_statements_10000", HEADER + "x = f(x)\n" * 10_000 + "out, h, c = LSTM(8)(x)\n", ("finding", 10_002)),
]


def _ids(cases):
    return [case[0] for case in cases]


def _bytes(content: str | bytes) -> bytes:
    return content if isinstance(content, bytes) else content.encode("utf-8")


@pytest.mark.parametrize(("name", "content", "expected"), CASES, ids=_ids(CASES))
def test_each_input_gets_one_clear_line(tmp_path: Path, name: str, content, expected):
    path = tmp_path / f"{name}.py"
    path.write_bytes(_bytes(content))
    result = lint_file(path, ALL)
    lines = [(d.code, d.location.row, d.message) for d in result.diagnostics]
    if expected is None:
        assert lines == [] and not result.failed
    elif expected[0] == "finding":
        assert [(code, row) for code, row, _ in lines] == [("RNN101", expected[1])], lines
        assert not result.failed
    else:
        assert len(lines) == 1 and lines[0][0] == "RNN001", lines
        assert expected[1] in lines[0][2], lines
        assert result.failed
        assert "\n" not in lines[0][2]


def test_deep_expressions_are_analysed_not_skipped():
    """Python accepts a 1,000-operand chain; the analysis follows it (from Python 3.11; 3.10 says it skipped)."""
    path_text = HEADER + "s = " + " + ".join(["x"] * 2000) + "\nout, h, c = LSTM(8)(s)\n"
    from rnnlint.api import lint_source

    found = lint_source(path_text, "deep.py", ALL)
    if sys.version_info >= (3, 11):
        assert [(d.code, d.location.row) for d in found] == [("RNN101", 3)]
    else:
        assert [d.message for d in found] == ["skipped: code nested too deeply to analyse"]
    assert sys.getrecursionlimit() < 20_000  # restored


def test_one_run_over_every_bad_input_goes_on_and_exits_2(tmp_path: Path):
    """The real CLI on a tree of all the inputs above: one line each, the good file's finding, exit 2, no noise."""
    for name, content, _ in CASES:
        (tmp_path / f"{name}.py").write_bytes(_bytes(content))
    (tmp_path / "good.py").write_text(BUGGY)
    result = run_cli(str(tmp_path), "--no-cache", "--select", "ALL", "--output-format", "concise", "--quiet")
    assert result.returncode == 2
    assert result.stderr == ""  # no traceback, no SyntaxWarning about the code read
    lines = result.stdout.splitlines()
    by_file: dict[str, list[str]] = {}
    for line in lines:
        by_file.setdefault(Path(line.split(":", 1)[0]).name, []).append(line)
    assert by_file.pop("good.py") == [f"{tmp_path / 'good.py'}:2:1: RNN101 [*] " + by_file_message(lines, "good.py")]
    for name, _, expected in CASES:
        reported = by_file.pop(f"{name}.py", [])
        assert len(reported) == (0 if expected is None else 1), (name, reported)
        if expected is not None and expected[0] == "error":
            assert " RNN001 " in reported[0] and expected[1] in reported[0], reported
    assert by_file == {}


@pytest.mark.parametrize(
    "mode", [["--fix", "--unsafe-fixes"], ["--add-noqa"], ["--diff"]], ids=["fix", "add-noqa", "diff"]
)
def test_every_writing_mode_over_the_bad_inputs(tmp_path: Path, mode: list[str]):
    """Files that cannot be analysed are left byte-identical; the others keep their line endings and still parse."""
    from rnnlint.fix import parses
    from rnnlint.sources.python import SourceText

    for name, content, _ in CASES:
        (tmp_path / f"{name}.py").write_bytes(_bytes(content))
    result = run_cli(str(tmp_path), "--no-cache", "--select", "ALL", *mode)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    changed = 0
    for name, content, expected in CASES:
        before, after = _bytes(content), (tmp_path / f"{name}.py").read_bytes()
        if expected is None or expected[0] == "error" or mode == ["--diff"]:
            assert after == before, name
            continue
        changed += after != before
        assert parses(SourceText.from_bytes(after).text), name
        for ending in (b"\r\n", b"\r", b"\n"):  # no line ending the file did not have
            assert (ending in after.replace(b"\r\n", b"")) <= (
                ending in before.replace(b"\r\n", b"")
            ) or ending == b"\r\n"
        assert (b"\r\n" in after) <= (b"\r\n" in before)
    if mode == ["--diff"]:
        assert result.stdout.count("+++ ") >= 10
    else:
        assert changed >= (8 if mode == ["--add-noqa"] else 10)


def by_file_message(lines: list[str], name: str) -> str:
    line = next(line for line in lines if f"{os.sep}{name}:" in line)
    return line.split(" RNN101 [*] ", 1)[1]


def test_warnings_python_emits_about_the_code_are_not_printed(tmp_path: Path):
    """An invalid escape sequence is a SyntaxWarning from 3.12 (a DeprecationWarning before): not ours to print."""
    path = tmp_path / "escapes.py"
    path.write_text(HEADER + 'pattern = "\\d+"\nx = 1 (2)\nout, h, c = LSTM(8)(x)\n')
    result = run_cli(str(path), "--no-cache", "--fix", "--unsafe-fixes", env={"PYTHONWARNINGS": "always"})
    assert result.stderr == ""
    assert "return_state=True" in path.read_text()


# --- the file system ------------------------------------------------------------------------


def _lines_for(stdout: str, name: str) -> list[str]:
    return [line for line in stdout.splitlines() if Path(line.split(":", 1)[0]).name == name]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_broken_symlinks_loops_and_a_directory_named_like_a_module(tmp_path: Path):
    (tmp_path / "good.py").write_text(BUGGY)
    (tmp_path / "broken.py").symlink_to(tmp_path / "nowhere.py")
    (tmp_path / "loop_a.py").symlink_to(tmp_path / "loop_b.py")
    (tmp_path / "loop_b.py").symlink_to(tmp_path / "loop_a.py")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path)  # a directory loop: walked once
    package = tmp_path / "x.py"
    package.mkdir()
    (package / "inner.py").write_text(BUGGY)
    result = run_cli(str(tmp_path), "--no-cache", "--output-format", "concise")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == ""
    assert _lines_for(result.stdout, "broken.py") == [
        f"{tmp_path / 'broken.py'}:1:1: RNN001 cannot read file: No such file or directory"
    ]
    for name in ("loop_a.py", "loop_b.py"):
        assert _lines_for(result.stdout, name) == [
            f"{tmp_path / name}:1:1: RNN001 cannot read file: Too many levels of symbolic links"
        ]
    assert len(_lines_for(result.stdout, "good.py")) == 1
    assert _lines_for(result.stdout, "inner.py") == [line for line in result.stdout.splitlines() if "x.py" in line]
    assert len(_lines_for(result.stdout, "inner.py")) == 1  # not again through sub/up
    assert sum(" RNN" in line for line in result.stdout.splitlines()) == 5


def test_a_directory_named_like_a_module_given_explicitly_is_walked(tmp_path: Path):
    package = tmp_path / "model.py"
    package.mkdir()
    (package / "inner.py").write_text(BUGGY)
    result = run_cli(str(package), "--no-cache", "--output-format", "concise")
    assert result.returncode == 1
    assert result.stdout.startswith(f"{package / 'inner.py'}:2:1: RNN101")


def test_missing_paths_are_reported_and_the_run_goes_on(tmp_path: Path):
    (tmp_path / "good.py").write_text(BUGGY)
    result = run_cli(
        str(tmp_path / "missing.py"), str(tmp_path / "missing_dir"), str(tmp_path / "good.py"), "--no-cache"
    )
    assert result.returncode == 2
    assert f"{tmp_path / 'missing.py'}:1:1: RNN001 cannot read file: No such file or directory" in result.stdout
    assert f"{tmp_path / 'missing_dir'}:1:1: RNN001 cannot read file: No such file or directory" in result.stdout
    assert f"{tmp_path / 'good.py'}:2:1: RNN101" in result.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_in_a_tree_is_skipped_not_waited_on(tmp_path: Path):
    """Opening a FIFO blocks until someone writes to it: a walk must not open one."""
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "good.py").write_text(BUGGY)
    result = run_cli(str(tmp_path), "--no-cache", "--output-format", "concise")  # times out (fails) if it blocks
    assert result.returncode == 1
    assert _lines_for(result.stdout, "pipe.py") == []
    assert len(_lines_for(result.stdout, "good.py")) == 1


def test_a_device_named_on_the_command_line_is_refused_not_read_forever(tmp_path: Path):
    (tmp_path / "good.py").write_text(BUGGY)
    result = run_cli("/dev/zero", str(tmp_path / "good.py"), "--no-cache")
    assert result.returncode == 2
    assert "/dev/zero:1:1: RNN001 cannot read file: not a regular file (a device)" in result.stdout
    assert f"{tmp_path / 'good.py'}:2:1: RNN101" in result.stdout


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs Linux /proc")
def test_a_file_whose_read_fails_even_for_root(tmp_path: Path):
    """Reading /proc/self/mem at offset 0 fails with EIO for every user: a real read error, no mock."""
    (tmp_path / "memory.py").symlink_to("/proc/self/mem")
    (tmp_path / "good.py").write_text(BUGGY)
    result = run_cli(str(tmp_path), "--no-cache", "--output-format", "concise")
    assert result.returncode == 2
    assert _lines_for(result.stdout, "memory.py") == [
        f"{tmp_path / 'memory.py'}:1:1: RNN001 cannot read file: Input/output error"
    ]
    assert len(_lines_for(result.stdout, "good.py")) == 1


def _world_readable_tree() -> Path:
    """A tree an unprivileged user can walk (pytest's tmp_path is private to root)."""
    directory = world_readable_directory()
    (directory / "good.py").write_text(BUGGY)
    (directory / "good.py").chmod(0o644)
    (directory / "secret.py").write_text(BUGGY)
    (directory / "secret.py").chmod(0o000)
    return directory


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_file_without_read_permission():
    tree = _world_readable_tree()
    try:
        argv = [str(tree), "--no-cache", "--output-format", "concise"]
        if os.geteuid() == 0:
            # chmod 000 does not stop root: read as an unprivileged user instead.
            user = unprivileged_user()
            if user is None:
                pytest.skip("running as root and there is no unprivileged user to read as")
            code, output, _ = run_cli_as(user, argv)
        else:
            result = run_cli(*argv)
            code, output = result.returncode, result.stdout
        assert code == 2, output
        assert _lines_for(output, "secret.py") == [
            f"{tree / 'secret.py'}:1:1: RNN001 cannot read file: Permission denied"
        ]
        assert len(_lines_for(output, "good.py")) == 1
    finally:
        (tree / "secret.py").chmod(0o644)
        shutil.rmtree(tree)


# --- files that change while the run goes on ------------------------------------------------------


def _tree(root: Path, count: int) -> list[Path]:
    paths = []
    for number in range(count):
        path = root / f"model_{number:03}.py"
        path.write_text(BUGGY.replace("LSTM(8)", f"LSTM({number + 1})"))
        paths.append(path)
    return paths


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_file_deleted_between_discovery_and_reading(tmp_path: Path, jobs: int):
    """Through the runner the CLI uses: the file list is made, then files vanish, then the run reads them."""
    paths = _tree(tmp_path, 20)
    files = list(targets([str(tmp_path)], Resolver()))
    paths[3].unlink()
    paths[7].unlink()
    paths[9].unlink()
    paths[9].mkdir()  # replaced by a directory
    results = {Path(r.path).name: r for r in run(files, CHECK, jobs=jobs).results}
    assert len(results) == 20
    for number, path in enumerate(paths):
        diagnostics = [(d.code, d.message) for d in results[path.name].diagnostics]
        if number in (3, 7):
            assert diagnostics == [("RNN001", "cannot read file: No such file or directory")]
        elif number == 9:
            assert diagnostics == [("RNN001", "cannot read file: Is a directory")]
        else:
            assert [code for code, _ in diagnostics] == ["RNN101"]


def test_a_file_deleted_before_fixing_is_not_recreated(tmp_path: Path):
    paths = _tree(tmp_path, 5)
    files = list(targets([str(tmp_path)], Resolver()))
    paths[2].unlink()
    outcome = run(files, FIX, unsafe=True)
    assert not paths[2].exists()
    assert [d.code for r in outcome.results if r.path.endswith("model_002.py") for d in r.diagnostics] == ["RNN001"]
    for number in (0, 1, 3, 4):
        assert "return_state=True" in paths[number].read_text()


def test_a_file_deleted_between_reading_and_writing_back_is_not_recreated(tmp_path: Path):
    from rnnlint.writeback import WriteRefused, write_if_unchanged

    path = tmp_path / "model.py"
    path.write_text(BUGGY)
    original = path.read_bytes()
    path.unlink()
    with pytest.raises(WriteRefused, match="cannot read it back: No such file or directory"):
        write_if_unchanged(str(path), original, b"fixed\n", root=str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_files_deleted_while_the_cli_runs(tmp_path: Path):
    """A real run over a large tree while another thread deletes files: whatever the timing, each file
    is analysed or reported in one line, and no traceback."""
    paths = _tree(tmp_path, 400)
    victims = paths[::7]
    stop = threading.Event()

    def delete() -> None:
        time.sleep(0.3)  # the interpreter is starting; some deletions land before discovery, some after
        for path in victims:
            if stop.is_set():
                return
            path.unlink()
            time.sleep(0.005)

    deleter = threading.Thread(target=delete)
    deleter.start()
    try:
        result = run_cli(str(tmp_path), "--no-cache", "--jobs", "2", "--output-format", "concise")
    finally:
        stop.set()
        deleter.join()
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode in (1, 2)
    for path in paths:
        lines = _lines_for(result.stdout, path.name)
        if path in victims:
            # Deleted before the walk, between the walk and the read, or after the read.
            assert lines in ([], [f"{path}:1:1: RNN001 cannot read file: No such file or directory"]) or (
                len(lines) == 1 and " RNN101 " in lines[0]
            ), lines
        else:
            assert len(lines) == 1 and " RNN101 " in lines[0], lines
    missing = sum(" RNN001 " in line for line in result.stdout.splitlines())
    assert result.returncode == (2 if missing else 1)


# --- time and memory per file ------------------------------------------------------------------


def _generated_module(lines: int) -> str:
    """A generated module of `lines` lines: many small model builders, as code generators write them."""
    out = ["from keras.layers import LSTM, GRU, Dense, Input, Bidirectional", "import keras", ""]
    number = 0
    while len(out) + 5 + 3 <= lines:
        out += [
            f"def build_{number}(x, units={number % 64 + 1}):",
            f"    h = LSTM(units, return_sequences=True, name='lstm_{number}')(x)",
            f"    h = Bidirectional(GRU(units // 2 + 1, return_sequences={number % 2 == 0}))(h)",
            "    return Dense(units)(h)",
            "",
        ]
        number += 1
    out += ["", "x = Input((None, 8))", "out, h, c = LSTM(8)(x)"]
    out[3:3] = [""] * (lines - len(out))
    return "\n".join(out) + "\n"


def test_a_file_over_the_time_limit_is_skipped_with_one_line_and_exit_2(tmp_path: Path):
    slow = tmp_path / "slow.py"
    slow.write_text(_generated_module(20_000))
    (tmp_path / "good.py").write_text(BUGGY)
    result = run_cli(str(tmp_path), "--no-cache", "--file-timeout", "0.05", "--output-format", "concise")
    assert result.returncode == 2
    assert _lines_for(result.stdout, "slow.py") == [f"{slow}:1:1: RNN001 skipped: took longer than 0.05 s to analyse"]
    assert len(_lines_for(result.stdout, "good.py")) == 1


def test_the_time_limit_from_the_configuration(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[tool.rnnlint]\nfile-timeout = 0.05\n")
    slow = tmp_path / "slow.py"
    slow.write_text(_generated_module(20_000))
    result = run_cli(str(tmp_path), "--no-cache", "--output-format", "concise", cwd=tmp_path)
    assert result.returncode == 2
    assert "RNN001 skipped: took longer than 0.05 s to analyse" in result.stdout
    bad = run_cli(str(tmp_path), "--no-cache", "--file-timeout", "soon")
    assert bad.returncode == 2 and "--file-timeout: not a number of seconds: 'soon'" in bad.stderr


# A 50,000-line file (1.9 MB): analysed completely, in bounded time and memory.  Measured on 2 shared
# cores with Python 3.11: 11.6 s and a peak RSS of about 400 MB, most of it the stdlib AST (about 80 bytes
# of AST per byte of source); the bounds below leave room for a slower CI machine.
BIG_FILE_SECONDS = 240
BIG_FILE_PEAK_MB = 1024


def test_a_50000_line_file_completes_in_bounded_time_and_memory(tmp_path: Path):
    big = tmp_path / "generated.py"
    big.write_text(_generated_module(50_000))
    assert big.read_text().count("\n") == 50_000
    code = (
        "import resource, sys\n"
        "from rnnlint.cli import main\n"
        "status = main(sys.argv[1:])\n"
        "print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(status)\n"
    )
    import subprocess

    from tests.helpers import ROOT

    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", code, str(big), "--no-cache", "--file-timeout", "0", "--output-format", "concise", "-q"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=BIG_FILE_SECONDS * 2,
    )
    elapsed = time.monotonic() - started
    peak_mb = int(result.stderr.split("PEAK_KB")[1]) / 1024
    print(f"50,000-line file: {elapsed:.1f} s, peak RSS {peak_mb:.0f} MB")
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr
    assert len(result.stdout.splitlines()) == 1
    assert result.stdout.startswith(f"{big}:50000:1: RNN101 [*] ")
    assert elapsed < BIG_FILE_SECONDS
    assert peak_mb < BIG_FILE_PEAK_MB


def test_a_crash_of_the_engine_costs_one_file_not_the_run(tmp_path: Path, monkeypatch):
    """The safety net under the engine: a bug of ours is one RNN001 line for that file (exit 2), the rest goes on.
    (The engine is replaced by one that raises: this tests the net, the fuzz tests look for real crashes.)"""
    import rnnlint.analysis.interpret

    def broken(tree, target_keras=3, project=None, source=None):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(rnnlint.analysis.interpret, "interpret", broken)
    paths = _tree(tmp_path, 3)
    results = run(list(targets([str(tmp_path)], Resolver())), CHECK).results
    assert [r.failed for r in results] == [True, True, True]
    for result, path in zip(results, paths):
        assert [(d.code, d.message) for d in result.diagnostics] == [
            (
                "RNN001",
                "internal error while analysing this file: ZeroDivisionError: division by zero (please report it)",
            )
        ]
        assert result.diagnostics[0].extra["internal_error"]


def test_a_crash_while_fixing_leaves_the_file_and_the_run_goes_on(tmp_path: Path, monkeypatch):
    """The safety net under --fix: the file stays as it was, one warning, exit 2; the other files are fixed."""
    import rnnlint.api

    real = rnnlint.api.fix_bytes

    def broken_for_one(data, name, settings, *, unsafe=False):
        if name.endswith("model_001.py"):
            raise KeyError("boom")
        return real(data, name, settings, unsafe=unsafe)

    monkeypatch.setattr(rnnlint.api, "fix_bytes", broken_for_one)
    paths = _tree(tmp_path, 3)
    before = paths[1].read_bytes()
    outcome = run(list(targets([str(tmp_path)], Resolver())), FIX)
    assert paths[1].read_bytes() == before
    assert outcome.warnings == [f"{paths[1]}: not fixed: internal error: KeyError: 'boom' (please report it)"]
    assert [r.failed for r in outcome.results] == [False, True, False]
    assert all("return_state=True" in paths[n].read_text() for n in (0, 2))
    # From stdin (an editor's buffer): the source comes back unchanged, never an empty output.
    stdin = Target("-", Settings(), None, "model_001.py", before)
    assert run([stdin], FIX).stdin_output == before


@pytest.mark.parametrize("output_format", ["text", "full", "json", "sarif", "github", "gitlab", "junit"])
def test_a_file_name_that_is_not_utf8(tmp_path: Path, output_format: str):
    """Such a name reaches Python with surrogate escapes; a strict UTF-8 stdout (PYTHONIOENCODING=utf-8, or a
    UTF-8 locale) could not print it.  Every format prints the finding instead of a traceback."""
    try:
        (tmp_path / os.fsdecode(b"model_\xff.py")).write_text(BUGGY)
    except (OSError, UnicodeError):
        pytest.skip("the file system refuses names that are not UTF-8")
    result = run_cli(str(tmp_path), "--no-cache", "--output-format", output_format, env={"PYTHONIOENCODING": "utf-8"})
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    assert "model_" in result.stdout
    if output_format == "sarif":
        assert 'model_%FF.py"' in result.stdout  # the name's own bytes, percent-encoded


def test_nested_loops_of_unknown_length_stay_within_the_work_budget(monkeypatch):
    """Each such loop runs its body twice (values carried between iterations): 2 ** depth passes for nested
    ones, unless the work budget stops the doubling.  Twenty levels were over a million statements."""
    import ast

    from rnnlint.analysis import interpret

    budget = 2_000  # the real one (200,000 statements) would take the suite half a minute to reach
    monkeypatch.setattr(interpret, "WORK_BUDGET", budget)
    depth = 20
    source = HEADER + "x = 1\n"
    source += "".join("    " * level + f"while c{level}:\n" for level in range(depth))
    source += "    " * depth + "x = LSTM(8)(x)\n"
    interpreter = interpret.Interpreter(ast.parse(source))
    interpreter.run()
    assert interpreter.work <= budget + 100 * depth


# --- the files around the code: .gitignore, configuration, baseline ----------------------------------------


@pytest.mark.parametrize("pattern", ["!", "[z-a]", "\\"])
def test_a_gitignore_pattern_git_cannot_parse_is_skipped_not_fatal(tmp_path: Path, pattern: str):
    """git ignores a pattern it cannot parse and applies the others; so does the walk."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text(f"{pattern}\nignored.py\n")
    (tmp_path / "ignored.py").write_text(BUGGY)
    (tmp_path / "good.py").write_text(BUGGY)
    result = run_cli(str(tmp_path), "--no-cache", "--output-format", "concise", "-q")
    assert result.returncode == 1, result.stderr
    assert [Path(line.split(":", 1)[0]).name for line in result.stdout.splitlines()] == ["good.py"]


@pytest.mark.parametrize(
    ("config", "flags", "message"),
    [
        (
            '[tool.rnnlint]\nexclude = ["[z-a]"]\n',
            [],
            "pyproject.toml: [tool.rnnlint]: key 'exclude' has an invalid pattern '[z-a]'",
        ),
        (
            '[tool.rnnlint.per-file-ignores]\n"!" = ["RNN101"]\n',
            [],
            "pyproject.toml: [tool.rnnlint]: key 'per-file-ignores' has an invalid pattern '!'",
        ),
        ("", ["--extend-exclude", "[z-a]"], "argument --extend-exclude: invalid pattern '[z-a]'"),
        ("[project]\nx = " + "[" * 5000 + "]" * 5000 + "\n", [], "pyproject.toml: invalid TOML: nested too deeply"),
        ("", ["--baseline", "baseline.json"], "baseline.json: not a JSON baseline file: maximum recursion depth"),
    ],
    ids=["exclude", "per-file-ignores", "cli-exclude", "deep-toml", "deep-baseline"],
)
def test_a_broken_configuration_is_one_usage_error_line(tmp_path: Path, config: str, flags: list[str], message: str):
    (tmp_path / "pyproject.toml").write_text(config)
    (tmp_path / "baseline.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "good.py").write_text(BUGGY)
    result = run_cli(".", "--no-cache", *flags, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    # One line (argparse puts its usage above it).
    assert message in result.stderr.splitlines()[-1], result.stderr
    assert flags[:1] == ["--extend-exclude"] or len(result.stderr.splitlines()) == 1


def test_the_time_limit_covers_the_rules_too(monkeypatch):
    """A slow rule (here one that sleeps) is stopped by the limit like a slow interpreter: skipped, not an
    internal error (the handler that isolates a broken rule must not swallow the limit)."""
    from rnnlint.api import lint_source
    from rnnlint.rules.rnn101_unpack_arity import UnpackArity

    def slow(self, fact, fixes):
        time.sleep(5)
        yield from ()

    monkeypatch.setattr(UnpackArity, "check", slow)
    started = time.monotonic()
    found = lint_source(BUGGY, "slow.py", Settings(file_timeout=0.2))
    assert time.monotonic() - started < 4
    assert [(d.code, d.message) for d in found] == [("RNN001", "skipped: took longer than 0.2 s to analyse")]


def test_many_findings_on_one_long_line_convert_the_line_once():
    """A generated one-line file with thousands of findings: each location used to re-slice and re-encode
    the whole line (20,000 findings on a 700 kB line took 23 s); the line is converted once."""
    from rnnlint.sources.python import LineIndex

    line = "x = 'é'; " + "; ".join(f"o{i}, h{i}, c{i} = LSTM(8)(x)" for i in range(2000))
    index = LineIndex("import keras\n" + line + "\n")
    encoded = line.encode("utf-8")
    for column in range(0, len(encoded), 997):
        assert index.location(2, column).column == len(encoded[:column].decode("utf-8", "replace")) + 1
    assert index._converted == {2: encoded}


@pytest.mark.parametrize("text", ["", "a", "a\n", "a\nb", "a\r\nb\rc\n\n", "\r\r\n\n", "x\u2028y\x0cz\nw"])
def test_line_starts_count_the_line_breaks_python_counts(text: str):
    """\\r\\n, \\r and \\n end a line, as for `lineno`; a form feed or U+2028 does not."""
    from rnnlint.sources.python import LineIndex

    index = LineIndex(text)
    python_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    assert len(index.starts) == len(python_lines)
    assert index.lines(1, len(python_lines)) == text
    for row, line in enumerate(python_lines, start=1):
        assert index.line(row) == line
        assert index.lines(row, row).rstrip("\r\n") == line


@pytest.mark.parametrize("mode", [[], ["--fix"], ["--fix-only"], ["--diff"], ["--add-noqa"], ["--statistics"]])
def test_every_mode_says_which_file_could_not_be_analysed(tmp_path: Path, mode: list[str]):
    """Exit code 2 always comes with the line that explains it, also in the modes that print no findings."""
    (tmp_path / "broken.py").write_text(HEADER + "x = LSTM(8\n")
    (tmp_path / "good.py").write_text(BUGGY)
    result = run_cli(str(tmp_path), "--no-cache", *mode)
    assert result.returncode == 2
    line = f"{tmp_path / 'broken.py'}:2:9: RNN001 syntax error: '(' was never closed"
    assert line in result.stdout + result.stderr or mode == ["--statistics"], result.stdout + result.stderr
    assert "RNN001" in result.stdout + result.stderr
