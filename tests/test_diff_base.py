"""--diff-base / --changed-since: only findings on lines a branch changed, from real git repositories."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rnnlint.gitdiff import parse_diff
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}

LEGACY = (
    "from keras import layers\n"
    "\n"
    "encoder = layers.LSTM(8)\n"
    "out, h, c = encoder(x)\n"  # RNN101 on line 4, already on main
)
NEW_BUG = "decoder = layers.LSTM(8)\ny = layers.TimeDistributed(layers.Dense(3))(decoder(x))\n"  # RNN201


def git(repo: Path, *arguments: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *arguments], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def rnnlint(repo: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return run_cli("--output-format", "concise", *arguments, cwd=repo)


def findings(completed: subprocess.CompletedProcess[str]) -> list[str]:
    """`file:row CODE` for each finding line."""
    found = []
    for line in completed.stdout.splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[3].strip().startswith("RNN"):
            found.append(f"{parts[0].removeprefix('./')}:{parts[1]} {parts[3].split()[0]}")
    return found


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main has model.py with a legacy finding; the checkout is on branch `feature`, forked from it."""
    git(tmp_path, "-c", "init.defaultBranch=main", "init", "-q")
    (tmp_path / "model.py").write_text(LEGACY, encoding="utf-8")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "legacy")
    git(tmp_path, "checkout", "-qb", "feature")
    return tmp_path


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def test_without_the_gate_both_findings_are_reported(repo: Path) -> None:
    (repo / "model.py").write_text(LEGACY + NEW_BUG, encoding="utf-8")
    commit(repo, "new decoder")
    assert findings(rnnlint(repo, ".")) == ["model.py:4 RNN101", "model.py:6 RNN201"]


def test_only_the_branch_changes_are_reported(repo: Path) -> None:
    (repo / "model.py").write_text(LEGACY + NEW_BUG, encoding="utf-8")
    commit(repo, "new decoder")
    completed = rnnlint(repo, "--diff-base", "main", ".")
    assert findings(completed) == ["model.py:6 RNN201"]
    assert completed.returncode == 1


def test_changed_since_is_an_alias(repo: Path) -> None:
    (repo / "model.py").write_text(LEGACY + NEW_BUG, encoding="utf-8")
    commit(repo, "new decoder")
    assert findings(rnnlint(repo, "--changed-since", "main", ".")) == ["model.py:6 RNN201"]


def test_no_change_touching_a_finding_exits_clean(repo: Path) -> None:
    (repo / "README.md").write_text("docs\n", encoding="utf-8")
    commit(repo, "docs only")
    completed = rnnlint(repo, "--diff-base", "main", ".")
    assert findings(completed) == []
    assert completed.returncode == 0
    assert "All checks passed!" in completed.stdout


def test_merge_base_semantics_ignore_what_the_base_branch_changed_meanwhile(repo: Path) -> None:
    (repo / "model.py").write_text(LEGACY + NEW_BUG, encoding="utf-8")
    commit(repo, "new decoder")
    # Meanwhile main edits the legacy line: a two-dot diff against main would show it as changed.
    git(repo, "checkout", "-q", "main")
    (repo / "model.py").write_text(LEGACY.replace("encoder(x)\n", "encoder(inputs)\n"), encoding="utf-8")
    commit(repo, "main moves on")
    git(repo, "checkout", "-q", "feature")
    assert findings(rnnlint(repo, "--diff-base", "main", ".")) == ["model.py:6 RNN201"]


def test_uncommitted_and_untracked_changes_count_with_working_tree_line_numbers(repo: Path) -> None:
    # Two lines added on top (uncommitted) shift everything: the legacy finding moves to line 6 unreported.
    (repo / "model.py").write_text("import os\nimport sys\n" + LEGACY + NEW_BUG, encoding="utf-8")
    (repo / "fresh.py").write_text(LEGACY, encoding="utf-8")  # not tracked by git yet: all of it is new
    completed = rnnlint(repo, "--diff-base", "main", ".")
    assert findings(completed) == ["fresh.py:4 RNN101", "model.py:8 RNN201"]


def test_renamed_files_are_followed(repo: Path) -> None:
    # git calls it a rename when most of the content stayed: give the file some body.
    body = LEGACY + "".join(f"UNITS_{n} = {n}\n" for n in range(30))
    (repo / "model.py").write_text(body, encoding="utf-8")
    commit(repo, "more constants")
    git(repo, "branch", "-f", "main")
    git(repo, "mv", "model.py", "renamed.py")
    (repo / "renamed.py").write_text(body + NEW_BUG, encoding="utf-8")
    commit(repo, "rename and extend")
    assert "rename from model.py" in git(repo, "diff", "-M", "main...HEAD")
    assert findings(rnnlint(repo, "--diff-base", "main", ".")) == ["renamed.py:36 RNN201"]


def test_a_deletion_inside_a_flagged_construction_touches_it(repo: Path) -> None:
    multi_line = LEGACY.replace("encoder(x)\n", "encoder(\n    x,\n    training=True,\n)\n")
    (repo / "model.py").write_text(multi_line, encoding="utf-8")
    commit(repo, "multi-line call")
    git(repo, "branch", "-f", "main")  # that is the base now
    (repo / "model.py").write_text(multi_line.replace("    training=True,\n", ""), encoding="utf-8")
    assert findings(rnnlint(repo, "--diff-base", "main", ".")) == ["model.py:4 RNN101"]
    # ...while deleting a line next to it, outside the construction, does not.
    (repo / "model.py").write_text(multi_line.replace("\nencoder = ", "encoder = "), encoding="utf-8")
    assert findings(rnnlint(repo, "--diff-base", "main", ".")) == []


def test_a_change_to_the_construction_that_causes_a_finding_touches_it(repo: Path) -> None:
    fine = LEGACY.replace("layers.LSTM(8)", "layers.LSTM(8, return_state=True)")
    (repo / "model.py").write_text(fine + "\n" * 5 + "more = 1\n", encoding="utf-8")
    commit(repo, "correct")
    git(repo, "branch", "-f", "main")
    # The branch drops return_state=True on line 3; the unpacking on line 4 is what breaks.
    (repo / "model.py").write_text(LEGACY + "\n" * 5 + "more = 2\n", encoding="utf-8")
    assert findings(rnnlint(repo, "--diff-base", "main", ".")) == ["model.py:4 RNN101"]


def test_unreadable_files_are_reported_whatever_changed(repo: Path) -> None:
    (repo / "broken.py").write_text("from keras.layers import LSTM\nLSTM(8\n", encoding="utf-8")
    commit(repo, "a broken file")
    git(repo, "branch", "-f", "main")
    completed = rnnlint(repo, "--diff-base", "main", ".")
    assert findings(completed) == ["broken.py:2 RNN001"]
    assert completed.returncode == 2


def test_unknown_revision_is_one_line_exit_2(repo: Path) -> None:
    completed = rnnlint(repo, "--diff-base", "no-such-branch", ".")
    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1
    assert "unknown revision 'no-such-branch'" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_outside_a_git_checkout_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(LEGACY, encoding="utf-8")
    env_ceiling = {"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)}  # never find a repository above tmp
    completed = subprocess.run(
        [sys.executable, "-m", "rnnlint", "--diff-base", "main", "."],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env_ceiling},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1
    assert "needs a git checkout" in completed.stderr


def test_a_file_outside_the_checkout_is_one_line_exit_2(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "other.py"
    elsewhere.write_text(LEGACY, encoding="utf-8")
    completed = rnnlint(repo, "--diff-base", "main", str(elsewhere))
    assert completed.returncode == 2
    assert "outside the git checkout" in completed.stderr and completed.stderr.count("\n") == 1


def test_parse_diff_reads_hunks_deletions_and_quoted_names(tmp_path: Path) -> None:
    patch = (
        "diff --git a/a.py b/a.py\n"
        "--- a/a.py\n"
        "+++ b/a.py\n"
        "@@ -3 +3 @@\n"
        "-old\n"
        "+new\n"
        "@@ -10,2 +9,0 @@\n"
        "-gone\n"
        "-gone too\n"
        "@@ -20,0 +19,3 @@\n"
        "+a\n+b\n+c\n"
        'diff --git "a/na\\303\\257ve.py" "b/na\\303\\257ve.py"\n'
        '--- "a/na\\303\\257ve.py"\n'
        '+++ "b/na\\303\\257ve.py"\n'
        "@@ -1 +1 @@\n"
        "-x\n"
        "+y\n"
        "diff --git a/deleted.py b/deleted.py\n"
        "--- a/deleted.py\n"
        "+++ /dev/null\n"
        "@@ -1 +0,0 @@\n"
        "-x\n"
    )
    changes = parse_diff(patch, str(tmp_path))
    a = os.path.realpath(tmp_path / "a.py")
    assert changes.added[a] == {3, 19, 20, 21}
    assert changes.deletions[a] == {9}
    assert changes.added[os.path.realpath(tmp_path / "naïve.py")] == {1}
    assert len(changes.added) == 2
