"""The GitHub Action (action.yml): its metadata validates against the action metadata schema, and its
steps' shell, run with the environment GitHub gives a composite action's steps on a pull request,
installs rnnlint from the action's own checkout and gates the pull request on a scratch repository.

The steps run as the runner runs a `shell: bash` step (`bash --noprofile --norc -eo pipefail FILE`),
with `${{ ... }}` in their `env:` expanded as GitHub would.  Installing needs PyPI (as pre-commit's
tests do): the action builds a virtual environment of its own and pip-installs the snapshot into it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
SCHEMA = ROOT / "tests" / "data" / "action-metadata.schema.json"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "rnnlint tests",
    "GIT_AUTHOR_EMAIL": "tests@rnnlint.invalid",
    "GIT_COMMITTER_NAME": "rnnlint tests",
    "GIT_COMMITTER_EMAIL": "tests@rnnlint.invalid",
}
OLD_BUG = "from keras.layers import LSTM\nout, h, c = LSTM(8)(x)\n"
NEW_BUG = "from keras.layers import GRU\nout, h = GRU(4)(x)\n"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def metadata() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


# --- the metadata ------------------------------------------------------------------------------------


def test_action_metadata_validates_against_the_schema():
    errors = sorted(validator().iter_errors(metadata()), key=str)
    assert not errors, [error.message for error in errors]


@pytest.mark.parametrize(
    "break_it",
    [
        lambda m: m.pop("description"),
        lambda m: m["runs"]["steps"][0].pop("shell"),  # a composite `run` step must name its shell
        lambda m: m["inputs"]["paths"].pop("description"),
        lambda m: m["inputs"]["paths"].update(requried=True),
        lambda m: m["runs"].update(using="composit"),
        lambda m: m["branding"].update(color="teal"),
        lambda m: m.update(outputs={"count": {"description": "no value"}}),  # composite outputs need a value
    ],
)
def test_the_schema_rejects_what_github_rejects(break_it):
    broken = metadata()
    break_it(broken)
    assert list(validator().iter_errors(broken)), "the schema accepted a broken action.yml"


def test_the_inputs_the_issue_asks_for_and_their_use():
    action = metadata()
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"paths", "args", "changed-only", "sarif-file"}
    steps = action["runs"]["steps"]
    used = {match for step in steps for value in step.get("env", {}).values() for match in EXPRESSION.findall(value)}
    assert {f"inputs.{name}" for name in action["inputs"]} <= used
    for step in steps:
        # Inputs reach the scripts through env only: `${{ }}` pasted into a script is a script injection.
        assert "${{" not in step["run"], step["name"]
    assert '"$GITHUB_ACTION_PATH"' in steps[0]["run"]  # installs the action's own ref
    assert "--output-format github" in steps[-1]["run"]


# --- running the steps -------------------------------------------------------------------------------


def git(*arguments: str, cwd: Path) -> str:
    env = {**os.environ, **GIT_IDENTITY}
    return subprocess.run(["git", *arguments], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def action_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the runner checks out for `uses: rnnlint/rnnlint@REV`: the repository's files at that ref
    (here, the working tree's tracked and new files), outside this checkout so that nothing is built in it."""
    snapshot = tmp_path_factory.mktemp("action") / "rnnlint"
    listed = git("ls-files", "--cached", "--others", "--exclude-standard", "-z", cwd=ROOT)
    for name in sorted(set(filter(None, listed.split("\0")))):
        if (ROOT / name).is_file():
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, snapshot / name)
    return snapshot


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory: pytest.TempPathFactory, action_checkout: Path) -> Path:
    """RUNNER_TEMP, after the install step ran once (every later test reuses its virtual environment)."""
    temp = tmp_path_factory.mktemp("runner-temp")
    workspace = tmp_path_factory.mktemp("install-workspace")
    result = run_step(0, action_checkout, temp, workspace, event="push", inputs={})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().startswith("rnnlint ")
    return temp


def github_env(action_path: Path, runner_temp: Path, workspace: Path, event: str, base_ref: str) -> dict[str, str]:
    """The variables the runner sets for every step of a job (those the action reads, and their company)."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GITHUB_", "INPUT_", "RNNLINT_"))}
    env.pop("PYTHONPATH", None)  # the action runs its own install, not this checkout
    env.update(
        CI="true",
        GITHUB_ACTIONS="true",
        GITHUB_ACTION_PATH=str(action_path),
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_EVENT_NAME=event,
        GITHUB_BASE_REF=base_ref,
        GITHUB_HEAD_REF="feature" if base_ref else "",
        RUNNER_TEMP=str(runner_temp),
        PATH=path,
        **GIT_IDENTITY,
    )
    return env


def expand(value: str, inputs: dict[str, str], runner_temp: Path) -> str:
    defaults = {name: spec.get("default", "") for name, spec in metadata()["inputs"].items()}

    def evaluate(match: re.Match) -> str:
        expression = match.group(1)
        if expression == "runner.temp":
            return str(runner_temp)
        if expression.startswith("inputs."):
            name = expression.removeprefix("inputs.")
            return inputs.get(name, defaults[name])
        raise AssertionError(f"an expression the test does not know: {expression}")

    return EXPRESSION.sub(evaluate, value)


def run_step(
    index: int,
    action_path: Path,
    runner_temp: Path,
    workspace: Path,
    *,
    event: str,
    inputs: dict[str, str],
    base_ref: str = "",
) -> subprocess.CompletedProcess[str]:
    step = metadata()["runs"]["steps"][index]
    assert step["shell"] == "bash"
    env = github_env(action_path, runner_temp, workspace, event, base_ref)
    env.update({key: expand(str(value), inputs, runner_temp) for key, value in step.get("env", {}).items()})
    script = runner_temp / f"step-{index}.sh"
    script.write_text(step["run"], encoding="utf-8")
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """A repository whose main branch has an old finding, and a pull request branch adding a new one,
    checked out as actions/checkout does with fetch-depth 0 (origin's branches as remote-tracking refs)."""
    origin = tmp_path / "origin"
    origin.mkdir()
    git("init", "-q", "-b", "main", cwd=origin)
    (origin / "old.py").write_text(OLD_BUG)
    git("add", "-A", cwd=origin)
    git("commit", "-qm", "main", cwd=origin)
    git("checkout", "-qb", "feature", cwd=origin)
    (origin / "new.py").write_text(NEW_BUG)
    git("add", "-A", cwd=origin)
    git("commit", "-qm", "feature", cwd=origin)
    git("checkout", "-q", "main", cwd=origin)
    workspace = tmp_path / "workspace"
    git("clone", "-q", "--no-local", str(origin), str(workspace), cwd=tmp_path)
    git("checkout", "-q", "feature", cwd=workspace)
    return workspace


def annotations(output: str) -> list[str]:
    """The files of the `::error file=...` workflow commands."""
    return sorted(re.findall(r"^::(?:error|warning|notice) [^:]*?file=([^,:]+)", output, re.MULTILINE))


def test_on_a_pull_request_changed_only_annotates_the_lines_it_changes(action_checkout, runner_temp, pull_request):
    result = run_step(
        1,
        action_checkout,
        runner_temp,
        pull_request,
        event="pull_request",
        base_ref="main",
        inputs={"changed-only": "true"},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert annotations(result.stdout) == ["new.py"]
    assert "RNN101" in result.stdout and "old.py" not in result.stdout


def test_without_changed_only_every_finding_is_annotated_and_sarif_written(action_checkout, runner_temp, pull_request):
    result = run_step(
        1,
        action_checkout,
        runner_temp,
        pull_request,
        event="pull_request",
        base_ref="main",
        inputs={"sarif-file": "reports/rnnlint.sarif", "args": "--extend-select RNN5"},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert annotations(result.stdout) == ["new.py", "old.py"]
    sarif = json.loads((pull_request / "reports" / "rnnlint.sarif").read_text(encoding="utf-8"))
    located = sorted(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]
    )
    assert located == ["new.py", "old.py"]


def test_changed_only_and_sarif_together_keep_all_findings_in_the_sarif(action_checkout, runner_temp, pull_request):
    inputs = {"changed-only": "true", "sarif-file": "rnnlint.sarif", "paths": "old.py\nnew.py"}
    result = run_step(
        1, action_checkout, runner_temp, pull_request, event="pull_request", base_ref="main", inputs=inputs
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert annotations(result.stdout) == ["new.py"]
    assert len(json.loads((pull_request / "rnnlint.sarif").read_text())["runs"][0]["results"]) == 2


def test_a_shallow_checkout_fetches_the_base_and_its_history(action_checkout, runner_temp, tmp_path, pull_request):
    origin = tmp_path / "origin"
    shallow = tmp_path / "shallow"
    git("clone", "-q", "--depth", "1", "--branch", "feature", f"file://{origin}", str(shallow), cwd=tmp_path)
    assert git("rev-parse", "--is-shallow-repository", cwd=shallow).strip() == "true"
    result = run_step(
        1, action_checkout, runner_temp, shallow, event="pull_request", base_ref="main", inputs={"changed-only": "true"}
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert annotations(result.stdout) == ["new.py"]


def test_changed_only_outside_a_pull_request_says_so_and_reports_everything(action_checkout, runner_temp, pull_request):
    result = run_step(1, action_checkout, runner_temp, pull_request, event="push", inputs={"changed-only": "true"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "::notice title=rnnlint::changed-only applies to pull requests" in result.stdout
    assert annotations(result.stdout) == ["new.py", "old.py"]


def test_a_clean_pull_request_passes(action_checkout, runner_temp, tmp_path):
    workspace = tmp_path / "clean"
    workspace.mkdir()
    git("init", "-q", cwd=workspace)
    (workspace / "model.py").write_text("from keras.layers import LSTM\nout, h, c = LSTM(8, return_state=True)(x)\n")
    result = run_step(1, action_checkout, runner_temp, workspace, event="push", inputs={})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All checks passed!" in result.stdout
