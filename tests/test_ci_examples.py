"""The CI examples in examples/, the docs' CI page and the README parse, name things that exist (the
action's inputs, the hooks), and their rnnlint command lines are ones the CLI accepts."""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from rnnlint.cli import _check_parser

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / "examples" / "github-workflow.yml"
GITLAB = ROOT / "examples" / "gitlab-ci.yml"
README = ROOT / "README.md"
CI_PAGE = ROOT / "docs" / "ci.md"


def shell_lines(script: str) -> Iterator[str]:
    for line in script.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def rnnlint_commands(lines: list[str]) -> list[list[str]]:
    return [words[1:] for words in map(shlex.split, lines) if words and words[0] == "rnnlint"]


def parse(arguments: list[str]) -> argparse.Namespace:
    """Parse as the CLI does; argparse exits on a flag or value it does not accept."""
    try:
        return _check_parser().parse_args(arguments)
    except SystemExit as error:
        pytest.fail(f"rnnlint does not accept {shlex.join(arguments)!r} (exit {error.code})")


def github_steps() -> list[dict]:
    workflow = yaml.safe_load(GITHUB.read_text(encoding="utf-8"))
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_github_workflow_is_complete() -> None:
    workflow = yaml.safe_load(GITHUB.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers
    assert workflow["permissions"]["security-events"] == "write"
    steps = github_steps()
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # the merge base must be in the clone
    action = next(s for s in steps if s.get("uses", "").startswith("rnnlint/rnnlint@"))
    inputs = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["inputs"]
    assert set(action["with"]) <= set(inputs)
    assert action["with"]["changed-only"] == "${{ github.event_name == 'pull_request' }}"
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == action["with"]["sarif-file"]
    assert not any("pip install rnnlint" in s.get("run", "") for s in steps)  # not published on PyPI


def test_installs_name_the_repository_not_an_unpublished_package() -> None:
    for text in (GITLAB.read_text(encoding="utf-8"), CI_PAGE.read_text(encoding="utf-8"), README.read_text(encoding="utf-8")):
        assert not re.search(r"pip install (-\S+ )*['\"]?rnnlint\b", text)
    assert 'pip install "git+https://github.com/rnnlint/rnnlint@${RNNLINT_REF}"' in GITLAB.read_text(encoding="utf-8")


def test_the_manual_github_commands_are_accepted() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", CI_PAGE.read_text(encoding="utf-8"), re.DOTALL)
    commands = rnnlint_commands([line for block in blocks for line in shell_lines(block)])
    assert any(parse(arguments).output_format == "github" for arguments in commands)


def test_gitlab_snippet_is_complete() -> None:
    config = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    (job,) = config.values()
    assert job["variables"]["GIT_DEPTH"] == "0"
    parsed = [parse(arguments) for arguments in rnnlint_commands(job["script"])]
    reports = job["artifacts"]["reports"]
    quality = next(p for p in parsed if p.output_format == "gitlab")
    assert quality.diff_base and quality.output_file == reports["codequality"]
    junit = next(p for p in parsed if p.output_format == "junit")
    assert junit.output_file == reports["junit"]


def yaml_blocks(markdown: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", markdown, re.DOTALL)


def test_the_ci_page_shows_the_example_files_verbatim() -> None:
    blocks = yaml_blocks(CI_PAGE.read_text(encoding="utf-8"))
    assert GITHUB.read_text(encoding="utf-8") in blocks
    assert GITLAB.read_text(encoding="utf-8") in blocks


@pytest.mark.parametrize("page", [README, CI_PAGE], ids=["README", "ci.md"])
def test_precommit_snippet_names_the_hooks_and_a_rev_that_exists(page: Path) -> None:
    hooks_file = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook_ids = {hook["id"] for hook in hooks_file}
    assert hook_ids == {"rnnlint", "rnnlint-fix"}
    text = page.read_text(encoding="utf-8")
    snippets = [yaml.safe_load(b) for b in yaml_blocks(text) if "repos:" in b]
    (snippet,) = snippets
    (repository,) = snippet["repos"]
    assert {hook["id"] for hook in repository["hooks"]} <= hook_ids
    # No release is tagged: the snippet starts from the branch and says how to pin a commit.
    assert repository["rev"] == "main"
    assert "pre-commit autoupdate --freeze" in text
    for hook in hooks_file:
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "jupyter"]
        assert hook["pass_filenames"] is True
        assert "additional_dependencies" not in hook  # the light default install only
    fix_hook = next(h for h in hooks_file if h["id"] == "rnnlint-fix")
    assert fix_hook["entry"] == "rnnlint --fix --force-exclude"
    assert next(h for h in hooks_file if h["id"] == "rnnlint")["entry"] == "rnnlint --force-exclude"
    # `--` ends the options before the staged file names (a file named `--output-file=x.py` is a path).
    assert all(hook["args"] == ["--"] for hook in hooks_file)


def test_the_ci_page_documents_every_ci_flag() -> None:
    page = CI_PAGE.read_text(encoding="utf-8")
    for flag in (
        "--diff-base",
        "--changed-since",
        "--baseline",
        "--write-baseline",
        "--output-file",
        "--exit-non-zero-on-fix",
    ):
        assert flag in page
    for output_format in ("github", "sarif", "junit", "gitlab"):
        assert f"`{output_format}`" in page


@pytest.mark.parametrize("page", [README, CI_PAGE], ids=["README", "ci.md"])
def test_yaml_in_the_page_parses(page: Path) -> None:
    for block in yaml_blocks(page.read_text(encoding="utf-8")):
        yaml.safe_load(block)
