"""The way into the CLI: --help, mistyped commands and flags, refused values, what a run says when it
lints nothing, explicit paths, rule/statistics as JSON, and progress on a terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from rnnlint import __version__, cli
from rnnlint.diagnostics import rule_url
from rnnlint.rules import all_rules
from tests.helpers import ROOT, run_cli

BUGGY = "from keras.layers import LSTM\nout, h, c = LSTM(8)(x)\n"


@pytest.fixture
def buggy(tmp_path: Path) -> Path:
    (tmp_path / "model.py").write_text(BUGGY)
    return tmp_path


# --- --help -------------------------------------------------------------------------------------


def test_help_lists_every_subcommand_with_one_line_and_ends_with_examples():
    result = run_cli("--help")
    assert result.returncode == 0
    out = result.stdout
    commands = out[out.index("Commands:\n") :].split("\n\n", 1)[0].splitlines()[1:]
    assert [line.split()[0] for line in commands] == list(cli.COMMANDS)
    assert {"check", "rule", "graph", "trace"} <= set(cli.COMMANDS)
    for line, summary in zip(commands, cli.COMMANDS.values()):
        assert line.strip().endswith(summary)
    examples = out[out.index("Examples:\n") :].splitlines()[1:]
    examples = [line for line in examples if line.startswith("  rnnlint")]
    assert 2 <= len(examples) <= 3
    assert out.rstrip().splitlines()[-1] == examples[-1]  # the help ends with the examples
    assert "Documentation: https://rnnlint.github.io/rnnlint/" in out


def test_help_lists_the_output_formats():
    out = run_cli("--help").stdout
    start = out.index("--output-format FORMAT")
    described = " ".join(out[start : out.index("-o PATH", start)].split())
    from rnnlint.output import FORMATS

    for name in FORMATS:
        assert name in described
    assert "text (default)" in described


def test_every_command_has_its_function():
    """COMMANDS is the one list: main() dispatches to `_NAME_command` by name."""
    for name in cli.COMMANDS:
        assert callable(cli._command(name)), name


@pytest.mark.parametrize("command", ["rule", "graph", "trace"])
def test_each_subcommand_has_its_own_help(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: rnnlint {command}")


def test_short_version_flag():
    result = run_cli("-V")
    assert result.returncode == 0 and result.stdout.strip() == f"rnnlint {__version__}"


# --- mistakes get one line ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"), [("chek", "check"), ("rules", "rule"), ("grpah", "graph"), ("trac", "trace")]
)
def test_a_mistyped_command_is_refused_and_nothing_is_linted(buggy, typed, meant):
    result = run_cli(typed, "model.py", cwd=buggy)
    assert result.returncode == 2
    assert result.stderr == f"rnnlint: error: unknown command {typed!r} (did you mean {meant!r}?)\n"
    assert result.stdout == ""


def test_an_existing_path_named_like_a_command_is_linted(buggy):
    (buggy / "rules").mkdir()
    (buggy / "rules" / "m.py").write_text(BUGGY)
    result = run_cli("rules", cwd=buggy)
    assert result.returncode == 1
    assert result.stdout.startswith("rules/m.py:2:1: RNN101")


@pytest.mark.parametrize("missing", ["src", "check.py", "rules/"])
def test_a_missing_path_that_is_no_command_is_still_reported_as_missing(buggy, missing):
    result = run_cli(missing, cwd=buggy)
    assert result.returncode == 2
    assert "RNN001" in result.stdout and "unknown command" not in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--selct", "RNN1", "."], "rnnlint: error: unknown option '--selct' (did you mean '--select'?)"),
        (
            ["--ouput-format", "json", "."],
            "rnnlint: error: unknown option '--ouput-format' (did you mean '--output-format'?)",
        ),
        (["--statistcs", "."], "rnnlint: error: unknown option '--statistcs' (did you mean '--statistics'?)"),
        (["--xyzzy", "."], "rnnlint: error: unknown option '--xyzzy' (see `rnnlint --help`)"),
        (["rule", "--al"], None),  # an abbreviation argparse accepts: not an error
        (["graph", "x.py", "--formt", "dot"], "rnnlint: error: unknown option '--formt' (did you mean '--format'?)"),
        (
            ["--output-format", "jsn", "."],
            "rnnlint: error: argument --output-format: invalid choice 'jsn' (did you mean 'json'?)",
        ),
    ],
)
def test_an_unknown_flag_gets_one_line_with_a_suggestion(buggy, arguments, message):
    result = run_cli(*arguments, cwd=buggy)
    if message is None:
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 2
    assert result.stderr.splitlines() == [message]
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["--jobs", "-3"], "argument --jobs/-j: expected 1 or more processes (0: one per core), got '-3'"),
        (["-j", "two"], "argument --jobs/-j: expected a whole number of processes, got 'two'"),
        (["--file-timeout", "inf"], "argument --file-timeout: expected a finite number of seconds"),
        (["--file-timeout", "nan"], "argument --file-timeout: expected a finite number of seconds"),
        (["--file-timeout", "-1"], "argument --file-timeout: expected a finite number of seconds"),
        (["--confirm-timeout", "0"], "argument --confirm-timeout: expected more than 0 and at most 604800 seconds"),
        (["--confirm-timeout", "inf"], "argument --confirm-timeout: expected a finite number of seconds"),
    ],
)
def test_invalid_values_are_refused_in_one_line(buggy, arguments, fragment):
    result = run_cli(*arguments, "model.py", cwd=buggy)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("rnnlint: error: ") and fragment in line, line
    assert result.stdout == ""


def test_trace_refuses_an_infinite_timeout_before_looking_for_keras(buggy):
    result = run_cli("trace", "model.py", "--timeout", "inf", cwd=buggy)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "rnnlint: error: argument --timeout: expected a finite number of seconds, 0 (no limit) or more: 'inf'"
    ]


def test_a_missing_argument_points_to_the_commands_help():
    result = run_cli("graph")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "rnnlint: error: the following arguments are required: path (see `rnnlint graph --help`)"
    ]


def test_jobs_zero_means_one_per_core(buggy):
    assert run_cli("--jobs", "0", "model.py", cwd=buggy).returncode == 1


# --- rule and statistics as JSON ----------------------------------------------------------------


def test_rule_all_as_json_lists_every_rule_with_its_page():
    result = run_cli("rule", "--all", "--output-format", "json")
    assert result.returncode == 0
    rules = json.loads(result.stdout)
    assert [r["code"] for r in rules] == [rule.code for rule in all_rules()]
    for item, rule in zip(rules, all_rules()):
        assert item["name"] == rule.name and item["summary"] == rule.summary
        assert item["severity"] == rule.severity.value and item["default"] is rule.on_by_default()
        assert item["url"] == rule_url(rule.code)
        assert item["explanation"] == rule.documentation()


def test_rule_code_names_its_page():
    result = run_cli("rule", "RNN101")
    assert result.returncode == 0
    assert result.stdout.rstrip().splitlines()[-1] == f"Online: {rule_url('RNN101')}"


def test_rule_code_as_json():
    item = json.loads(run_cli("rule", "rnn201", "--output-format", "json").stdout)
    assert item["code"] == "RNN201" and "## What it does" in item["explanation"]
    result = run_cli("rule", "RNN999", "--output-format", "json")
    assert result.returncode == 2 and "unknown rule code 'RNN999'" in result.stderr


def test_statistics_honour_json(tmp_path):
    (tmp_path / "a.py").write_text(BUGGY + "y, z = LSTM(4)(x)\n")
    (tmp_path / "b.py").write_text(BUGGY)
    result = run_cli("--statistics", "--output-format", "json", "--no-cache", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert json.loads(result.stdout) == [{"code": "RNN101", "name": "unpack-arity", "count": 3, "fixable": True}]
    text = run_cli("--statistics", "--no-cache", ".", cwd=tmp_path).stdout
    assert text.splitlines()[0].split("\t") == ["3", "RNN101", "[*] unpack-arity"]


# --- which files ---------------------------------------------------------------------------------


def test_linting_dot_prints_no_dot_slash(buggy):
    (buggy / "pkg").mkdir()
    (buggy / "pkg" / "m.py").write_text(BUGGY)
    result = run_cli("--no-cache", ".", cwd=buggy)
    names = [line.split(":")[0] for line in result.stdout.splitlines() if "RNN101" in line]
    assert names == ["model.py", "pkg/m.py"]
    default = run_cli("--no-cache", cwd=buggy)  # no path: `.`
    assert [line.split(":")[0] for line in default.stdout.splitlines() if "RNN101" in line] == names
    as_json = json.loads(run_cli("--output-format", "json", "--no-cache", cwd=buggy).stdout)
    assert [item["filename"] for item in as_json] == names


@pytest.mark.parametrize("setup", ["empty", "all-excluded", "only-other-files"])
def test_a_run_that_finds_nothing_to_lint_warns_and_claims_nothing(tmp_path, setup):
    if setup == "all-excluded":
        (tmp_path / "model.py").write_text(BUGGY)
        arguments = ["--extend-exclude", "model.py", "."]
    elif setup == "only-other-files":
        (tmp_path / "notes.txt").write_text("LSTM\n")
        arguments = ["."]
    else:
        arguments = ["."]
    result = run_cli(*arguments, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr == "rnnlint: warning: No Python files found under the given paths\n"
    assert "All checks passed!" not in result.stdout
    assert result.stdout == ""


def test_a_run_that_lints_a_file_without_findings_still_says_all_passed(tmp_path):
    (tmp_path / "plain.py").write_text("x = 1\n")
    result = run_cli(".", cwd=tmp_path)
    assert result.returncode == 0 and "All checks passed!" in result.stdout and result.stderr == ""


def test_an_explicit_path_is_linted_even_if_excluded_unless_force_exclude(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.rnnlint]\nextend-exclude = ["generated"]\n')
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "model.py").write_text(BUGGY)
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "model.py").write_text(BUGGY)
    named = ["generated/model.py", "build/model.py"]
    result = run_cli("--no-cache", *named, cwd=tmp_path)
    assert result.returncode == 1
    assert sorted(line.split(":")[0] for line in result.stdout.splitlines() if "RNN101" in line) == sorted(named)
    forced = run_cli("--no-cache", "--force-exclude", *named, cwd=tmp_path)
    assert forced.returncode == 0 and "RNN101" not in forced.stdout
    assert "No Python files found" in forced.stderr
    walked = run_cli("--no-cache", ".", cwd=tmp_path)  # a walk skips both anyway
    assert walked.returncode == 0 and "No Python files found" in walked.stderr


def test_force_exclude_keeps_the_files_no_exclude_matches(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.rnnlint]\nextend-exclude = ["legacy_*.py"]\n')
    (tmp_path / "legacy_model.py").write_text(BUGGY)
    (tmp_path / "model.py").write_text(BUGGY)
    result = run_cli("--no-cache", "--force-exclude", "legacy_model.py", "model.py", cwd=tmp_path)
    assert result.returncode == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines() if "RNN101" in line] == ["model.py"]


def test_an_explicit_non_python_file_is_skipped_with_one_line(buggy):
    (buggy / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    result = run_cli("pyproject.toml", "model.py", cwd=buggy)
    assert result.returncode == 1
    assert result.stderr == "rnnlint: warning: pyproject.toml: skipped: not a Python file or notebook\n"
    assert [line.split(":")[0] for line in result.stdout.splitlines() if "RNN" in line] == ["model.py"]
    alone = run_cli("pyproject.toml", cwd=buggy)
    assert alone.returncode == 0 and "RNN001" not in alone.stdout
    assert alone.stderr.splitlines()[-1] == "rnnlint: warning: No Python files found under the given paths"


def test_scripts_without_a_python_suffix_are_still_linted(tmp_path):
    (tmp_path / "train").write_text(BUGGY)  # no suffix: a script
    (tmp_path / "tool.cgi").write_text("#!/usr/bin/env python3\n" + BUGGY)  # a Python shebang
    result = run_cli("--no-cache", "train", "tool.cgi", cwd=tmp_path)
    assert result.returncode == 1
    assert sorted(line.split(":")[0] for line in result.stdout.splitlines() if "RNN101" in line) == [
        "tool.cgi",
        "train",
    ]


# --- progress -------------------------------------------------------------------------------------


def _run_in_pty(arguments: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run the CLI with stdin/stdout/stderr on a pseudo-terminal; (exit code, everything it wrote)."""
    primary, secondary = pty.openpty()
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "rnnlint", *arguments],
        cwd=cwd,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=environment,
        close_fds=True,
    )
    os.close(secondary)
    chunks = []
    while True:
        ready, _, _ = select.select([primary], [], [], 60)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def many_files(tmp_path: Path) -> Path:
    for index in range(5):
        (tmp_path / f"m{index}.py").write_text(BUGGY)
    return tmp_path


def test_progress_shows_files_done_on_a_terminal(many_files):
    # RNNLINT_PROGRESS_DELAY=0: show it at once (a real run waits about a second before the first line).
    code, out = _run_in_pty(
        ["--no-cache", "--jobs", "1", "."], many_files, {"RNNLINT_PROGRESS_DELAY": "0", "NO_COLOR": "1"}
    )
    assert code == 1
    assert "\rrnnlint: 0/5 files analysed" in out
    assert "rnnlint: 5/5 files analysed" in out
    erased = out.rindex("files analysed") + len("files analysed")
    assert out[erased:].lstrip(" ").startswith("\r")  # the line is blanked before the report
    assert "m0.py:2:1: RNN101" in out[erased:]


def test_no_progress_with_quiet_or_by_default_on_a_short_run(many_files):
    code, out = _run_in_pty(["--no-cache", "-q", "."], many_files, {"RNNLINT_PROGRESS_DELAY": "0"})
    assert code == 1 and "files analysed" not in out
    code, out = _run_in_pty(["--no-cache", "."], many_files, {"RNNLINT_PROGRESS_DELAY": "3600"})
    assert code == 1 and "files analysed" not in out


def test_no_progress_when_stderr_is_not_a_terminal(many_files):
    result = run_cli("--no-cache", ".", cwd=many_files, env={"RNNLINT_PROGRESS_DELAY": "0"})
    assert result.returncode == 1 and "files analysed" not in result.stderr + result.stdout


def test_progress_waits_then_updates_at_most_ten_times_a_second():
    import io

    from rnnlint.progress import Progress

    now = [0.0]
    stream = io.StringIO()
    progress = Progress(stream, delay=1.0, clock=lambda: now[0])
    progress(1, 10)  # at 0 s: too early
    now[0] = 1.2
    progress(2, 10)
    now[0] = 1.25
    progress(3, 10)  # 50 ms after the last update: skipped
    now[0] = 1.26
    progress(10, 10)  # the end is always shown
    progress.close()
    assert stream.getvalue() == (
        "\rrnnlint: 2/10 files analysed"
        "\rrnnlint: 10/10 files analysed"
        "\r" + " " * len("rnnlint: 10/10 files analysed") + "\r"
    )
