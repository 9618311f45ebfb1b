"""The pre-commit hooks, run end to end by the real pre-commit against a snapshot of this checkout.

pre-commit builds a virtualenv and pip-installs the hook repository into it (so
PyPI must be reachable); all tests share one PRE_COMMIT_HOME, so that happens
once per session.  The snapshot is a fresh git commit of the working tree as it
is, uncommitted changes included, so what is tested is what is on disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "rnnlint tests",
    "GIT_AUTHOR_EMAIL": "tests@rnnlint.invalid",
    "GIT_COMMITTER_NAME": "rnnlint tests",
    "GIT_COMMITTER_EMAIL": "tests@rnnlint.invalid",
}

BUGGY = "from keras.layers import LSTM\n\nout, h, c = LSTM(8)(x)\n"
FIXED = "from keras.layers import LSTM\n\nout, h, c = LSTM(8, return_state=True)(x)\n"
CLEAN = "from keras.layers import GRU\n\nout, h = GRU(8, return_state=True)(x)\n"

pytestmark = pytest.mark.precommit


def git(*arguments: str, cwd: Path) -> str:
    env = {**os.environ, **GIT_IDENTITY}
    completed = subprocess.run(["git", *arguments], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return completed.stdout


@pytest.fixture(scope="session")
def precommit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="session")
def hook_repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository holding the working tree's files (tracked and new, not ignored), committed."""
    snapshot = tmp_path_factory.mktemp("rnnlint-snapshot")
    listed = git("ls-files", "--cached", "--others", "--exclude-standard", "-z", cwd=ROOT)
    for name in sorted(set(filter(None, listed.split("\0")))):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is left out
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    assert (snapshot / ".pre-commit-hooks.yaml").is_file()
    git("init", "-q", cwd=snapshot)
    git("add", "-A", cwd=snapshot)
    git("commit", "-q", "--no-verify", "-m", "snapshot of the rnnlint working tree", cwd=snapshot)
    return snapshot, git("rev-parse", "HEAD", cwd=snapshot).strip()


@pytest.fixture
def project(tmp_path: Path, hook_repository: tuple[Path, str]) -> Path:
    """A user's repository whose .pre-commit-config.yaml uses both hooks of the snapshot."""
    repository, revision = hook_repository
    git("init", "-q", cwd=tmp_path)
    (tmp_path / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {repository.as_posix()}\n"
        f"    rev: {revision}\n"
        "    hooks:\n"
        "      - id: rnnlint\n"
        "      - id: rnnlint-fix\n",
        encoding="utf-8",
    )
    git("add", ".pre-commit-config.yaml", cwd=tmp_path)
    return tmp_path


def run_hook(project: Path, hook: str, precommit_home: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(GIT_IDENTITY, PRE_COMMIT_HOME=str(precommit_home), PRE_COMMIT_COLOR="never")
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", hook, "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


def stage(project: Path, name: str, text: str) -> Path:
    path = project / name
    path.write_text(text, encoding="utf-8")
    git("add", name, cwd=project)
    return path


def test_manifest_is_valid() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_lint_hook_fails_on_a_staged_bug(project: Path, precommit_home: Path) -> None:
    stage(project, "model.py", BUGGY)
    completed = run_hook(project, "rnnlint", precommit_home)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert "model.py:3:1: RNN101" in output
    assert "Failed" in output
    assert (project / "model.py").read_text(encoding="utf-8") == BUGGY  # the lint hook never edits


def test_lint_hook_passes_on_clean_code(project: Path, precommit_home: Path) -> None:
    stage(project, "model.py", CLEAN)
    completed = run_hook(project, "rnnlint", precommit_home)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "Passed" in output


def test_lint_hook_honours_the_projects_excludes(project: Path, precommit_home: Path) -> None:
    """pre-commit names every staged file; --force-exclude keeps the excluded ones out (as ruff's hook)."""
    stage(project, "pyproject.toml", '[tool.rnnlint]\nextend-exclude = ["generated"]\n')
    (project / "generated").mkdir()
    stage(project, "generated/model.py", BUGGY)
    stage(project, "model.py", CLEAN)
    completed = run_hook(project, "rnnlint", precommit_home)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "RNN101" not in output


def test_fix_hook_rewrites_the_file(project: Path, precommit_home: Path) -> None:
    path = stage(project, "model.py", BUGGY)
    completed = run_hook(project, "rnnlint-fix", precommit_home)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output  # pre-commit fails a hook that modified files
    assert "files were modified by this hook" in output
    assert path.read_text(encoding="utf-8") == FIXED


def test_the_lint_hook_on_one_staged_file_reads_the_project_modules_it_imports(project: Path, precommit_home: Path) -> None:
    """Whole-project analysis (docs/project-analysis.md): pre-commit passes only the staged file."""
    (project / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n', encoding="utf-8")
    (project / "models").mkdir()
    (project / "models" / "__init__.py").write_text("", encoding="utf-8")
    (project / "models" / "encoders.py").write_text(
        "from keras import layers\n\n\ndef build_encoder(units=64):\n    return layers.LSTM(units, return_state=True)\n",
        encoding="utf-8",
    )
    git("add", "-A", cwd=project)
    git("commit", "-q", "--no-verify", "-m", "encoders", cwd=project)
    stage(project, "models/train.py", "import keras\nfrom models.encoders import build_encoder\n\nout, h = build_encoder()(keras.Input((5, 3)))\n")
    completed = run_hook(project, "rnnlint", precommit_home)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert "models/train.py:4:1: RNN101 LSTM built in models/encoders.py:5 (made by the call on line 4)" in output
    assert "encoders.py:" not in output.replace("built in models/encoders.py:5", "")  # not linted itself


NOTEBOOK = (
    '{\n "cells": [\n  {\n   "cell_type": "markdown",\n   "metadata": {},\n   "source": ["# A model"]\n  },\n'
    '  {\n   "cell_type": "code",\n   "execution_count": null,\n   "metadata": {},\n   "outputs": [],\n'
    '   "source": [\n    "from keras.layers import LSTM\\n",\n    "%matplotlib inline\\n",\n'
    '    "out, h, c = LSTM(8)(x)"\n   ]\n  }\n ],\n "metadata": {},\n "nbformat": 4,\n "nbformat_minor": 5\n}\n'
)


def test_hooks_take_notebooks_through_the_jupyter_type(project: Path, precommit_home: Path) -> None:
    path = stage(project, "analysis.ipynb", NOTEBOOK)
    completed = run_hook(project, "rnnlint", precommit_home)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert "analysis.ipynb:cell 2:3:1: RNN101" in output
    completed = run_hook(project, "rnnlint-fix", precommit_home)
    assert "files were modified by this hook" in completed.stdout + completed.stderr
    assert path.read_text(encoding="utf-8") == NOTEBOOK.replace("LSTM(8)(x)", "LSTM(8, return_state=True)(x)")


def test_a_file_named_like_an_option_is_linted_never_obeyed(project: Path, precommit_home: Path) -> None:
    # Before the hooks ended their options with `--`, pre-commit ran `rnnlint --fix --output-file=victim.py
    # victim.py`, and the report overwrote victim.py.
    victim = stage(project, "victim.py", CLEAN)
    hostile = project / "--output-file=victim.py"
    hostile.write_text(BUGGY, encoding="utf-8")
    git("add", "--", hostile.name, cwd=project)
    completed = run_hook(project, "rnnlint-fix", precommit_home)
    output = completed.stdout + completed.stderr
    assert victim.read_text(encoding="utf-8") == CLEAN, output
    assert hostile.read_text(encoding="utf-8") == FIXED, output  # linted (and fixed) as the path it is
    completed = run_hook(project, "rnnlint", precommit_home)
    assert victim.read_text(encoding="utf-8") == CLEAN
