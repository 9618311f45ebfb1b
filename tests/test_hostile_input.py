"""A repository (or a command line) written by an attacker: what rnnlint reads, walks and prints stays safe.

Each test here failed before its fix (issue 15): an option-named file obeyed, a
FIFO or /dev/zero read forever, a symlink to `/` walked, control characters and
`::` workflow commands copied into the output, patterns that backtrack for
minutes, tracebacks instead of one line, git's user configuration deciding what
`--diff-base` gates.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

BUGGY = "from keras.layers import LSTM\nout, h, c = LSTM(8)(x)\n"
CLEAN = "from keras.layers import LSTM\nout, h, c = LSTM(8, return_state=True)(x)\n"


def rnnlint(
    *args: str | bytes, cwd: Path, stdin: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run this checkout's CLI; output kept as bytes (a hostile file name need not be UTF-8)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "rnnlint", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=environment,
        timeout=timeout,
        check=False,
    )


def one_line(error: bytes) -> str:
    """stderr of a refused run: exactly one line, no traceback."""
    text = error.decode("utf-8", "backslashreplace")
    assert "Traceback" not in text, text
    assert len(text.strip().splitlines()) == 1, text
    return text


# --- item 16: every argument after `--` is a path ------------------------------------------


def test_an_option_named_file_after_double_dash_is_a_path(tmp_path: Path) -> None:
    victim = tmp_path / "victim.py"
    victim.write_text(CLEAN)
    (tmp_path / "--output-file=victim.py").write_text(BUGGY)
    result = rnnlint("--fix", "--", "--output-file=victim.py", "victim.py", cwd=tmp_path)
    assert victim.read_text() == CLEAN, result
    assert (tmp_path / "--output-file=victim.py").read_text() == CLEAN  # linted and fixed as the path it is
    # After a path and an option too (argparse alone refused `a.py --exit-zero -- -o`): `-o` is a missing file.
    result = rnnlint("victim.py", "--exit-zero", "--", "-o", cwd=tmp_path)
    assert result.returncode == 2, result
    assert result.stdout.startswith(b"-o:1:1: RNN001 cannot read file: No such file or directory\n"), result


def test_the_hook_entries_end_their_options() -> None:
    """pre-commit runs `entry + args + file names`: the hooks' args end the options."""
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hooks and all(hook["args"][-1] == "--" for hook in hooks), hooks


# --- item 18: FIFOs and devices are refused in one line --------------------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    path = tmp_path / "pipe.py"
    os.mkfifo(path)
    return path


def test_a_fifo_named_on_the_command_line_is_refused(tmp_path: Path, fifo: Path) -> None:
    (tmp_path / "bug.py").write_text(BUGGY)
    result = rnnlint(fifo.name, "bug.py", cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert b"pipe.py:1:1: RNN001 cannot read file: not a regular file (a FIFO)" in result.stdout
    assert b"bug.py:2:1: RNN101" in result.stdout  # the run goes on


@pytest.mark.parametrize("option", ["--config", "--baseline"])
def test_a_fifo_or_device_as_config_or_baseline_is_refused(tmp_path: Path, fifo: Path, option: str) -> None:
    (tmp_path / "bug.py").write_text(BUGGY)
    for target, kind in ((str(fifo), "a FIFO"), ("/dev/zero", "a device")):
        if not os.path.exists(target):
            continue
        result = rnnlint(option, target, "bug.py", cwd=tmp_path, timeout=60)
        assert result.returncode == 2
        assert f"not a regular file ({kind})" in one_line(result.stderr)


def test_write_baseline_never_replaces_a_device(tmp_path: Path, fifo: Path) -> None:
    (tmp_path / "bug.py").write_text(BUGGY)
    result = rnnlint("--write-baseline", "--baseline", str(fifo), "bug.py", cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert "cannot write baseline: not a regular file (a FIFO)" in one_line(result.stderr)
    assert fifo.is_fifo()


def test_graph_refuses_a_fifo_in_one_line(tmp_path: Path, fifo: Path) -> None:
    result = rnnlint("graph", fifo.name, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert "pipe.py: cannot read file: not a regular file (a FIFO)" in one_line(result.stderr)


# --- item 19: what still raised a traceback ---------------------------------------------------


def no_traceback(result: subprocess.CompletedProcess) -> str:
    output = (result.stdout + result.stderr).decode("utf-8", "backslashreplace")
    assert "Traceback" not in output and "internal error" not in output, output
    return output


def test_a_five_thousand_digit_version_in_dependencies(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "x"\ndependencies = ["tensorflow<2.{"1" * 5000}", "keras<{"0" * 5000}3"]\n'
    )
    (tmp_path / "bug.py").write_text(BUGGY)
    result = rnnlint("--show-settings", ".", cwd=tmp_path)
    assert result.returncode == 0
    assert "target-keras      = 2" in no_traceback(result)  # keras<0...03 is keras<3, zeros and all
    result = rnnlint(".", cwd=tmp_path)
    assert result.returncode == 1 and b"RNN101" in result.stdout, no_traceback(result)


@pytest.mark.parametrize("occurrence", ["1e400", "1.5", "true", '"x"', "[]"])
def test_a_baseline_entry_whose_occurrence_is_no_count(tmp_path: Path, occurrence: str) -> None:
    (tmp_path / "bug.py").write_text(BUGGY)
    (tmp_path / "baseline.json").write_text(
        '{"version": 1, "entries": [{"file": "bug.py", "code": "RNN101", "fingerprint": "x", '
        f'"occurrence": {occurrence}}}]}}'
    )
    result = rnnlint("--baseline", "baseline.json", "bug.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "malformed baseline entry" in one_line(result.stderr)


def test_write_baseline_with_a_lone_surrogate_in_a_layer_name(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(
        'from keras.layers import LSTM\nout, h, c = LSTM(8, name="\\udcff\\ud800")(x)\n', encoding="utf-8"
    )
    result = rnnlint("--write-baseline", "--baseline", "baseline.json", "model.py", cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 0
    json.loads((tmp_path / "baseline.json").read_bytes().decode("utf-8"))  # strict UTF-8 and JSON
    result = rnnlint("--baseline", "baseline.json", "model.py", cwd=tmp_path)
    assert result.returncode == 0, no_traceback(result)


def test_write_baseline_with_an_undecodable_file_name(tmp_path: Path) -> None:
    name = b"model\xff.py"
    try:
        with open(os.path.join(os.fsencode(tmp_path), name), "w") as handle:
            handle.write(BUGGY)
    except (OSError, ValueError):
        pytest.skip("the file system refuses names that are not UTF-8")
    result = rnnlint("--write-baseline", "--baseline", "baseline.json", ".", cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 0
    recorded = json.loads((tmp_path / "baseline.json").read_bytes().decode("utf-8"))
    assert [entry["file"] for entry in recorded["entries"]] == ["model\udcff.py"]
    result = rnnlint("--baseline", "baseline.json", ".", cwd=tmp_path)
    assert result.returncode == 0, no_traceback(result)  # the entry matches the file it came from
    assert rnnlint(".", cwd=tmp_path).returncode == 1


@pytest.mark.parametrize("entry", [{"raised": 5}, [], {"setup_error": "x"}, {"confirmations": [1]}, "x", None])
def test_a_malformed_confirm_cache_entry_is_run_again_not_judged(tmp_path: Path, entry: object) -> None:
    from rnnlint.confirm.runner import CACHE_FILE, CACHE_FORMAT, Cache

    (tmp_path / CACHE_FILE).write_text(json.dumps({"format": CACHE_FORMAT, "entries": {"key": entry}}))
    assert Cache(tmp_path).get("key") is None
    good = {"id": 1, "setup_error": None, "raised": {"type": "ValueError", "message": "m"}, "confirmations": []}
    (tmp_path / CACHE_FILE).write_text(json.dumps({"format": CACHE_FORMAT, "entries": {"key": good}}))
    assert Cache(tmp_path).get("key") == good


@pytest.mark.parametrize("document", ["[]", "5", '"x"', "null"])
def test_a_confirm_cache_that_is_not_an_object_is_ignored(tmp_path: Path, document: str) -> None:
    from rnnlint.confirm.runner import CACHE_FILE, Cache

    (tmp_path / CACHE_FILE).write_text(document)
    assert Cache(tmp_path).entries == {}


def test_an_infinite_file_timeout_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "bug.py").write_text(BUGGY)
    result = rnnlint("--file-timeout", "inf", "bug.py", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.decode().count("\n") == 1, no_traceback(result)
    assert b"--file-timeout" in result.stderr


@pytest.mark.parametrize("seconds", ["1e308", "1e10"])
def test_a_file_timeout_too_long_for_the_timer_is_no_limit(tmp_path: Path, seconds: str) -> None:
    (tmp_path / "bug.py").write_text(BUGGY)
    result = rnnlint("--file-timeout", seconds, "bug.py", cwd=tmp_path)
    assert result.returncode == 1 and b"bug.py:2:1: RNN101" in result.stdout, no_traceback(result)
    (tmp_path / "rnnlint.toml").write_text(f"file-timeout = {seconds}\n")
    result = rnnlint("bug.py", cwd=tmp_path)
    assert result.returncode == 1 and b"bug.py:2:1: RNN101" in result.stdout, no_traceback(result)


def test_a_five_thousand_digit_units_literal_is_an_unknown_size(tmp_path: Path) -> None:
    huge = "0x" + "F" * 5120
    (tmp_path / "model.py").write_text(
        "from keras.layers import LSTM, Input, Dense\n"
        f"inp = Input(shape=({huge}, 8))\n"
        "out, h, c = LSTM(8, return_state=True)(inp)\n"
        f"y = LSTM({huge}, unroll=True)(inp, initial_state=[h, c])\n"
        f"d = Dense({huge})(y)\n"
        f"z = LSTM({huge}, return_state=True)(inp)\n"
        "bad_h, bad_c = z\n"
    )
    result = rnnlint("--select", "ALL", "model.py", cwd=tmp_path)
    output = no_traceback(result)
    assert "RNN302" not in output  # an impossible size is not known: no width to compare
    assert "model.py:7:1: RNN101" in output  # and the rest of the file is still analysed


def test_graph_of_an_expression_thousands_deep(tmp_path: Path) -> None:
    deep = "+".join(["a"] * 2900)
    (tmp_path / "model.py").write_text(f"from keras.layers import LSTM\ny = LSTM(8, return_sequences=True)({deep})\n")
    result = rnnlint("graph", "model.py", cwd=tmp_path)
    assert result.returncode == 0, no_traceback(result)
    assert b"nested too deeply to show" in result.stdout


# --- items 10 and 25: nothing from the repository reaches the output raw -------------------------

HOSTILE_NAMES = [
    b"nl\n::error::x.py",
    b"::warning::y.py",
    b" ::add-mask::z.py",
    b"pct%0A::z.py",
    b"esc\x1b]0;pwned\x07\x1b[2J.py",
    b"ctl\x01\r.py",
    b"cdata]]>.py",
    b"bad\xff\xfe.py",
    b"bidi\xe2\x80\xae.py",  # U+202E, right-to-left override
]
# The layer name holds a newline, `::` commands, %0A, ESC sequences, \x01, ]]> and a lone surrogate;
# the comment holds a raw OSC (window title) and CSI (clear screen) sequence, as --show-source meets them.
HOSTILE_CODE = (
    "from keras.layers import LSTM\n"
    'out, h, c = LSTM(8, name="a\\n::add-mask::secret%0A\\r::error::x\\x1b]0;t\\x07\\x01]]>\\udcff")(x)'
    "  # \x1b]0;title\x07\x1b[2J\x9b31m\n"
)
FORMATS = ["text", "concise", "full", "github", "junit", "json", "sarif", "gitlab"]


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, list[bytes]]:
    names = []
    for name in HOSTILE_NAMES:
        try:
            with open(os.path.join(os.fsencode(tmp_path), name), "wb") as handle:
                handle.write(HOSTILE_CODE.encode("utf-8"))
        except (OSError, ValueError):
            continue  # a file system that refuses the name (not UTF-8, say)
        names.append(name)
    return tmp_path, names


def own_command(line: str, output_format: str) -> bool:
    """A workflow command rnnlint itself wrote: an annotation, or the stop/resume pair around the report."""
    if output_format != "github":
        return False
    return line.startswith(("::error file=", "::warning file=", "::notice file=", "::stop-commands::")) or (
        line.startswith("::") and line.endswith("::") and len(line) == 36
    )


def assert_safe(output: bytes, output_format: str) -> str:
    text = output.decode("utf-8")  # strict: a name that is not UTF-8 is printed escaped
    raw = [c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F or c == "\u202e"]
    assert not raw, raw
    for line in text.splitlines():
        assert not line.lstrip().startswith("::") or own_command(line, output_format), line
    if output_format == "junit":
        import xml.dom.minidom

        xml.dom.minidom.parseString(output)  # well-formed XML 1.0
    elif output_format in ("json", "sarif", "gitlab"):
        json.loads(text)
    return text


@pytest.mark.parametrize("output_format", FORMATS)
def test_hostile_file_and_layer_names_in_every_format(hostile: tuple[Path, list[bytes]], output_format: str) -> None:
    directory, names = hostile
    # Named after `--`, so each name begins a line of the text report as given (a walk would prefix `./`).
    result = rnnlint("--output-format", output_format, "--show-source", "--", *names, cwd=directory)
    assert result.returncode == 1, result.stderr
    text = assert_safe(result.stdout, output_format)
    assert_safe(result.stderr, "text")
    assert text.count("RNN101") >= len(names)  # every file is reported, none lost to the escaping
    if output_format in ("text", "full", "github", "concise"):
        assert "./::warning::y.py:2:1: RNN101" in text
        assert "LSTM 'a\\n::add-mask::secret%0A\\r::error::x\\x1b]0;t\\x07\\x01]]>\\xff'" in text
        if b"bad\xff\xfe.py" in names:
            assert "bad\\xff\\xfe.py:2:1: RNN101" in text


def test_github_quotes_its_report_between_stop_and_resume_commands(hostile: tuple[Path, list[bytes]]) -> None:
    directory, names = hostile
    result = rnnlint("--output-format", "github", "--", *names, cwd=directory)
    lines = result.stdout.decode("utf-8").splitlines()
    stop = next(index for index, line in enumerate(lines) if line.startswith("::stop-commands::"))
    token = lines[stop].split("::")[2]
    assert len(token) == 32 and f"::{token}::" in lines[stop + 1 :]
    assert all(line.startswith("::error file=") for line in lines[:stop])  # only annotations before it
    again = rnnlint("--output-format", "github", "--", *names, cwd=directory).stdout.decode("utf-8")
    assert f"::stop-commands::{token}" not in again  # a fresh token each run: the code cannot guess it


@pytest.mark.parametrize("output_format", ["text", "full", "github"])
def test_show_source_escapes_osc_and_csi_and_keeps_the_carets_under_the_code(
    tmp_path: Path, output_format: str
) -> None:
    (tmp_path / "model.py").write_text(
        "from keras.layers import LSTM\n"
        "out, h, c = LSTM(8, name='\x1b]0;x\x07')(x)  # \x1b]0;pwned\x07\x1b[2J\x1b[31m\n",
        encoding="utf-8",
    )
    result = rnnlint("--output-format", output_format, "--show-source", "model.py", cwd=tmp_path)
    text = assert_safe(result.stdout, output_format)
    assert "# \\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m" in text
    source = next(line for line in text.splitlines() if line.startswith("2 | "))
    carets = next(line for line in text.splitlines() if "^" in line)
    # The flagged span (the whole statement up to the comment) is underlined as shown, escapes included.
    assert carets.index("^") == source.index("out")
    assert carets.rstrip().endswith("^") and len(carets.rstrip()) == source.index(")(x)") + len(")(x)")


# --- item 8: a walk follows a directory symlink only into the walked tree, and once ------------


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_walk_never_follows_a_directory_link_out_of_the_tree(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text(BUGGY)
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "model.py").write_text(BUGGY)
    (tree / "to_root").symlink_to("/")  # before: the walk linted the machine, /proc included
    (tree / "to_parent").symlink_to("..")
    (tree / "to_outside").symlink_to(outside)
    (tree / "alias").symlink_to("pkg")  # inside: followed, but pkg is walked once, by its real name
    (tree / "pkg" / "loop").symlink_to("..")
    (tree / "shared").mkdir()
    (tree / "shared" / "only_here.py").write_text(BUGGY)
    (tree / "pkg" / "shared_link").symlink_to("../shared")
    result = rnnlint("--output-format", "concise", "tree", cwd=tmp_path, timeout=60)
    lines = sorted(line.split(": ")[0] for line in result.stdout.decode().splitlines() if ": RNN" in line)
    assert lines == ["tree/pkg/model.py:2:1", "tree/shared/only_here.py:2:1"], result.stdout


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_directory_reached_only_through_a_link_inside_the_tree_is_linted_and_a_named_link_is_walked(
    tmp_path: Path,
) -> None:
    (tmp_path / "real" / "deep").mkdir(parents=True)
    (tmp_path / "real" / "deep" / "model.py").write_text(BUGGY)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "models").symlink_to(tmp_path / "real" / "deep")  # a link out of src: not followed
    assert rnnlint("src", cwd=tmp_path).returncode == 0
    # Walking the project follows it into real/deep, once, by the real name.
    result = rnnlint("--output-format", "concise", ".", cwd=tmp_path)
    assert result.stdout.decode().count("RNN101") == 1 and b"real/deep/model.py:2:1" in result.stdout
    # A link named on the command line is the tree itself.
    assert (
        b"src/models/model.py:2:1: RNN101" in rnnlint("--output-format", "concise", "src/models", cwd=tmp_path).stdout
    )


# --- item 23: --diff-base sees the lines git's defaults see, submodules included -----------------

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}
LEGACY = "from keras import layers\nout, h, c = layers.LSTM(8)(x)\n"  # RNN101 on line 2, already on main
NEW_BUG = "a, b, c = layers.GRU(4)(x)\n"  # RNN101


def git(repo: Path, *arguments: str) -> str:
    environment = {**os.environ, **GIT_IDENTITY}
    completed = subprocess.run(
        ["git", *arguments], cwd=repo, env=environment, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def gated(repo: Path) -> list[str]:
    result = rnnlint("--output-format", "concise", "--diff-base", "main", ".", cwd=repo)
    assert b"Traceback" not in result.stderr, result.stderr
    return sorted(
        line.split(": ")[0] + " " + line.split(": ")[1].split()[0]
        for line in result.stdout.decode().splitlines()
        if ": RNN" in line
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "-c", "init.defaultBranch=main", "init", "-q")
    (repo / "model.py").write_text(LEGACY + "\n" * 6 + "y = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "legacy")
    git(repo, "checkout", "-qb", "feature")
    return repo


def test_inter_hunk_context_does_not_widen_the_changed_lines(repo: Path) -> None:
    git(repo, "config", "diff.interHunkContext", "20")  # merged hunks would cover the legacy line 2
    (repo / "model.py").write_text("import os\n" + LEGACY + "\n" * 6 + "y = 2\n")
    assert gated(repo) == []  # the legacy finding (now line 3) is between two changes, not on one


@pytest.mark.parametrize(
    "attributes, config",
    [
        ("*.py diff=hide\n", ("diff.hide.textconv", "true")),  # a textconv that shows nothing
        ("*.py -diff\n", None),  # "binary": no hunks at all
        ("*.py diff=ext\n", ("diff.ext.command", "true")),  # an external diff driver
    ],
)
def test_attributes_and_drivers_cannot_hide_a_change(repo: Path, attributes: str, config: tuple | None) -> None:
    (repo / ".gitattributes").write_text(attributes)
    if config is not None:
        git(repo, "config", *config)
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "attributes, as a pull request could send them")
    (repo / "model.py").write_text(LEGACY + "\n" * 6 + "y = 1\n" + NEW_BUG)
    assert gated(repo) == ["model.py:10:1 RNN101"]


def test_an_added_line_that_reads_like_a_diff_header_switches_no_file(repo: Path) -> None:
    # `++ b/other.py` is valid Python; in the patch it reads `+++ b/other.py`.
    (repo / "model.py").write_text("++ b/other.py\n" + LEGACY + "\n" * 6 + "y = 1\n" + NEW_BUG)
    assert gated(repo) == ["model.py:11:1 RNN101"]


def test_a_changed_submodule_is_gated_too(repo: Path, tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    git(library, "-c", "init.defaultBranch=main", "init", "-q")
    (library / "layers.py").write_text(LEGACY)
    git(library, "add", "-A")
    git(library, "commit", "-qm", "library")
    git(repo, "checkout", "-q", "main")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(library), "vendor")
    git(repo, "commit", "-qm", "vendor the library")
    git(repo, "checkout", "-qb", "bump")
    assert gated(repo) == []  # nothing changed since main
    # A new commit in the submodule, recorded by the superproject, and an untracked file in it.
    (repo / "vendor" / "layers.py").write_text(LEGACY + NEW_BUG)
    git(repo / "vendor", "commit", "-qam", "a new bug")
    git(repo, "commit", "-qam", "bump vendor")
    (repo / "vendor" / "extra.py").write_text(LEGACY)
    assert gated(repo) == ["vendor/extra.py:2:1 RNN101", "vendor/layers.py:3:1 RNN101"]


def test_a_submodule_added_since_the_base_counts_as_changed_and_a_missing_commit_is_said(
    repo: Path, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    library.mkdir()
    git(library, "-c", "init.defaultBranch=main", "init", "-q")
    (library / "layers.py").write_text(LEGACY)
    git(library, "add", "-A")
    git(library, "commit", "-qm", "library")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(library), "vendor")
    git(repo, "commit", "-qm", "vendor the library")
    assert gated(repo) == ["vendor/layers.py:2:1 RNN101"]
    # The base records a commit the submodule's checkout does not have: one line says it is not gated.
    git(repo, "checkout", "-q", "main")
    git(repo, "rm", "-q", "--cached", "-r", "--ignore-unmatch", "vendor")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},vendor")
    git(repo, "commit", "-qm", "record a commit nobody has")
    git(repo, "checkout", "-q", "feature")
    git(repo, "merge", "-q", "--no-edit", "-s", "ours", "main")
    result = rnnlint("--diff-base", "main", ".", cwd=repo)
    assert b"--diff-base: submodule vendor changed, and its files are not gated" in result.stderr, result.stderr


# --- item 17: patterns that made pathspec's regular expressions backtrack for minutes ---------------


def test_backtracking_patterns_in_gitignore_and_per_file_ignores_do_not_hang_the_walk(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # the repository root, so the .gitignore applies
    (tmp_path / ".gitignore").write_text(
        "************zz\n*a*a*a*a*a*a*a*a*a*a*a*a*zz\na/**/a/**/a/**/a/**/zz\n*x*x*x*.py\n"
    )
    (tmp_path / "rnnlint.toml").write_text(
        '[per-file-ignores]\n"**************zz" = ["RNN101"]\n"*a*a*a*a*a*a*a*a*a*a*a*a*a*a*zz" = ["RNN101"]\n'
    )
    long_name = "a" * 240 + ".py"
    (tmp_path / long_name).write_text(BUGGY)
    deep = tmp_path.joinpath(*["a"] * 60)
    deep.mkdir(parents=True)
    (deep / "model.py").write_text(BUGGY)
    (tmp_path / "1x2x3x4.py").write_text(BUGGY)  # ignored: the patterns still mean what they meant
    result = rnnlint("--output-format", "concise", ".", cwd=tmp_path, timeout=120)
    names = sorted(line.split(":")[0] for line in result.stdout.decode().splitlines() if ": RNN101" in line)
    assert names == sorted([long_name, "/".join(["a"] * 60) + "/model.py"]), result


def test_collapsed_stars_read_as_git_reads_them() -> None:
    from rnnlint.linear_match import collapse_stars

    assert collapse_stars("************zz") == "*zz"
    assert collapse_stars("a***b") == "a*b"
    assert collapse_stars("***/x/****") == "**/x/**"
    assert collapse_stars("!a/***/b") == "!a/**/b"
    assert collapse_stars("\\***") == "\\**"  # an escaped star, then a run: `*` literal, then `*`
    assert collapse_stars("[*]**x") == "[*]*x"
    assert collapse_stars("*.py") == "*.py"


def test_the_linear_matcher_agrees_with_pathspec_on_random_patterns() -> None:
    import random

    import pathspec

    from rnnlint.linear_match import LinearRegex

    pieces = ["a", "b", "/", "*", "**", "?", "[ab]", "[!a]", "!", ".", "\\*", "***"]
    chance = random.Random(15)
    checked = 0
    for _ in range(600):
        pattern = "".join(chance.choice(pieces) for _ in range(chance.randint(1, 8)))
        try:
            spec = pathspec.GitIgnoreSpec.from_lines([pattern])
        except ValueError:
            continue
        for compiled in spec.patterns:
            if compiled.regex is None or not compiled.regex.pattern.startswith("^"):
                continue
            linear = LinearRegex(compiled.regex)
            for _ in range(20):
                path = "".join(chance.choice("ab/.\n") for _ in range(chance.randint(0, 10)))
                expected, got = compiled.regex.search(path), linear.search(path)
                assert (expected is None) == (got is None), (pattern, path)
                if expected is not None:
                    assert expected.groupdict() == got.groupdict(), (pattern, path)
                checked += 1
    assert checked > 5000


def test_diff_in_the_github_format_quotes_the_patch_and_it_still_applies(tmp_path: Path) -> None:
    source = 'from keras.layers import LSTM\ns = """\n::add-mask::secret\n"""\nout, h, c = LSTM(8)(x)\n'
    (tmp_path / "model.py").write_text(source)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "rnnlint", "--no-cache", "--diff", "--output-format", "github", "model.py"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("::stop-commands::") and lines[-1] == f"::{lines[0].split('::')[2]}::"
    assert " ::add-mask::secret" in lines  # quoted, so the runner does not obey it
    (tmp_path / "fix.patch").write_text(result.stdout)
    applied = subprocess.run(["git", "apply", "fix.patch"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert applied.returncode == 0, applied.stderr
    assert "LSTM(8, return_state=True)" in (tmp_path / "model.py").read_text()
