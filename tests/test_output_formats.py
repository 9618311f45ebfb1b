"""The CI output formats (github, sarif, junit, gitlab) and --output-file.

Each format is read back the way its consumer reads it: SARIF validated against
the official OASIS schema, GitHub workflow commands unescaped by the runner's
rules, JUnit parsed as XML, GitLab's report as JSON.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest

from rnnlint.api import lint_source
from rnnlint.diagnostics import Diagnostic, Location, Severity, rule_url
from rnnlint.output import FORMATS, github, gitlab, junit, renderer, sarif
from rnnlint.rules import all_rules
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"

# RNN101 (with a safe fix) on line 4, RNN201 on line 6.
BUGGY = (
    "from keras import layers\n"
    "\n"
    "encoder = layers.LSTM(8)\n"
    "out, h, c = encoder(x)\n"
    "decoder = layers.LSTM(8)\n"
    "y = layers.TimeDistributed(layers.Dense(3))(decoder(x))\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text(BUGGY, encoding="utf-8")
    return tmp_path


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def diagnostics_of(text: str, filename: str) -> list[Diagnostic]:
    return lint_source(text, filename)


def handmade(filename: str, message: str, severity: Severity = Severity.ERROR) -> Diagnostic:
    return Diagnostic("RNN201", message, filename, Location(2, 5), Location(3, 7), severity, name="x")


# ---------------------------------------------------------------- SARIF


def test_vendored_schema_is_the_official_one() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert (SCHEMA_FILE.parent / "sarif-schema-2.1.0.NOTICE.md").is_file()


def test_sarif_from_the_cli_validates_and_is_repository_relative(project: Path, sarif_validator) -> None:
    completed = run_cli("--output-format", "sarif", "pkg", cwd=project)
    assert completed.returncode == 1, completed.stderr
    log = json.loads(completed.stdout)
    sarif_validator.validate(log)

    run = log["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [rule.code for rule in all_rules()]
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["RNN101", "RNN201"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact == {"uri": "pkg/model.py", "uriBaseId": "%SRCROOT%"}
        assert result["partialFingerprints"]["rnnlint/v1"].startswith(result["ruleId"] + "/")
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 4, "startColumn": 1, "endLine": 4, "endColumn": 23}


def test_sarif_rules_carry_their_documentation(sarif_validator) -> None:
    log = sarif.as_dict([])
    sarif_validator.validate(log)
    by_id = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    for rule in all_rules():
        described = by_id[rule.code]
        assert described["name"] == rule.name
        assert described["shortDescription"]["text"] == rule.summary
        assert described["fullDescription"]["text"] and "##" not in described["fullDescription"]["text"]
        assert described["help"]["markdown"] == rule.documentation()
        assert "## Why is this bad?" in described["help"]["text"]
        assert described["helpUri"] == rule_url(rule.code)
        level = {"error": "error", "warning": "warning", "hint": "note"}[rule.severity.value]
        assert described["defaultConfiguration"]["level"] == level
    assert log["runs"][0]["results"] == []


def test_sarif_fix_becomes_an_artifact_change(tmp_path: Path, sarif_validator) -> None:
    found = diagnostics_of(BUGGY, str(tmp_path / "model.py"))
    log = sarif.as_dict(found, root=str(tmp_path))
    sarif_validator.validate(log)
    fixed = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "RNN101")
    (change,) = fixed["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "model.py", "uriBaseId": "%SRCROOT%"}
    (replacement,) = change["replacements"]
    # The fix inserts `, return_state=True` after `LSTM(8` on line 3: an empty deleted region.
    assert replacement["insertedContent"]["text"] == ", return_state=True"
    region = replacement["deletedRegion"]
    assert (region["startLine"], region["endLine"]) == (3, 3)
    assert region["startColumn"] == region["endColumn"] == len("encoder = layers.LSTM(8") + 1
    for result, diagnostic in zip(log["runs"][0]["results"], found):
        assert result["fixes"][0]["properties"]["applicability"] == diagnostic.fix.applicability.value


def test_sarif_paths_are_percent_encoded_and_outside_files_absolute(tmp_path: Path, sarif_validator) -> None:
    inside = handmade(str(tmp_path / "my dir" / "a#b.py"), "m")
    outside = handmade("/elsewhere/c.py", "m")
    log = sarif.as_dict([inside, outside], root=str(tmp_path))
    sarif_validator.validate(log)
    first, second = (r["locations"][0]["physicalLocation"]["artifactLocation"] for r in log["runs"][0]["results"])
    assert first == {"uri": "my%20dir/a%23b.py", "uriBaseId": "%SRCROOT%"}
    assert unquote(first["uri"]) == "my dir/a#b.py"
    assert second == {"uri": "file:///elsewhere/c.py"}


# ---------------------------------------------------------------- GitHub

COMMAND = re.compile(r"^::(?P<kind>error|warning|notice) (?P<properties>[^:]*)::(?P<data>.*)$")


def unescape(value: str) -> str:
    """The Actions runner's unescaping of command values."""
    for escaped, plain in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(escaped, plain)
    return value


def parse_commands(output: str) -> list[dict]:
    commands = []
    for line in output.splitlines():
        match = COMMAND.match(line)
        if match:
            properties = dict(item.split("=", 1) for item in match["properties"].split(","))
            commands.append(
                {
                    "kind": match["kind"],
                    **{k: unescape(v) for k, v in properties.items()},
                    "message": unescape(match["data"]),
                }
            )
    return commands


def test_github_commands_then_the_text_report(project: Path) -> None:
    completed = run_cli("--output-format", "github", "pkg/model.py", cwd=project)
    assert completed.returncode == 1
    commands = parse_commands(completed.stdout)
    assert [c["title"] for c in commands] == ["RNN101", "RNN201"]
    first = commands[0]
    assert first["kind"] == "error"
    assert first["file"] == "pkg/model.py"
    assert (first["line"], first["col"], first["endLine"], first["endColumn"]) == ("4", "1", "4", "23")
    assert "unpacked into 3 names" in first["message"]
    lines = completed.stdout.splitlines()
    # After the commands, the plain report: GitHub shows only so many annotations per step.  It quotes the
    # repository, so the runner processes no command in it (stop-commands with a fresh token, then resume).
    assert lines[2].startswith("::stop-commands::")
    assert lines[3].startswith("pkg/model.py:4:1: RNN101")
    assert f"::{lines[2].split('::')[2]}::" in lines
    assert "Found 2 errors." in lines


def test_github_escapes_properties_and_data() -> None:
    nasty = handmade("dir,with:odd%chars/m.py", "first line\nsecond: 100% done, really\r")
    line = github.command(nasty)
    assert "\n" not in line and "\r" not in line
    (parsed,) = parse_commands(line)
    assert parsed["file"] == "dir,with:odd%chars/m.py"
    # Line breaks from the code (a layer's name) are shown escaped, as in every format.
    assert parsed["message"] == "first line\\nsecond: 100% done, really\\r"
    assert parsed["title"] == "RNN201"


def test_github_severities() -> None:
    kinds = [github.command(handmade("m.py", "x", severity)).split(" ", 1)[0] for severity in Severity]
    assert kinds == ["::error", "::warning", "::notice"]


def test_github_paths_relative_to_the_project_root(tmp_path: Path) -> None:
    (parsed,) = parse_commands(github.command(handmade(str(tmp_path / "sub" / "m.py"), "x"), root=str(tmp_path)))
    assert parsed["file"] == "sub/m.py"


# ---------------------------------------------------------------- JUnit


def test_junit_parses_back(project: Path) -> None:
    completed = run_cli("--output-format", "junit", "pkg/model.py", cwd=project)
    assert completed.returncode == 1
    report = ET.fromstring(completed.stdout)
    assert report.tag == "testsuites"
    assert (report.get("tests"), report.get("failures")) == ("2", "2")
    (suite,) = report.findall("testsuite")
    assert suite.get("name") == "pkg/model.py"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["org.rnnlint.RNN101", "org.rnnlint.RNN201"]
    assert cases[0].get("classname") == "pkg/model"
    assert (cases[0].get("line"), cases[0].get("column")) == ("4", "1")
    failure = cases[0].find("failure")
    assert failure is not None and "unpacked into 3 names" in failure.get("message")
    assert failure.text.startswith("line 4, col 1, ")


def test_junit_clean_run_is_one_passing_case() -> None:
    report = ET.fromstring(junit.render([]))
    (case,) = report.iter("testcase")
    assert case.get("name") == "No errors found"
    assert case.find("failure") is None
    assert report.get("failures") == "0"


def test_junit_escapes_markup() -> None:
    report = ET.fromstring(junit.render([handmade("a&b.py", 'x < y & "z"')]))
    failure = next(report.iter("failure"))
    assert failure.get("message") == 'x < y & "z"'


# ---------------------------------------------------------------- GitLab


def test_gitlab_code_quality_report(project: Path) -> None:
    completed = run_cli("--output-format", "gitlab", "pkg", cwd=project)
    assert completed.returncode == 1
    issues = json.loads(completed.stdout)
    assert [i["check_name"] for i in issues] == ["RNN101", "RNN201"]
    first = issues[0]
    assert first["description"].startswith("RNN101: ")
    assert first["severity"] == "major"
    assert first["location"] == {"path": "pkg/model.py", "lines": {"begin": 4, "end": 4}}
    assert re.fullmatch(r"[0-9a-f]{32}", first["fingerprint"])
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_fingerprints_ignore_line_moves(project: Path) -> None:
    before = json.loads(run_cli("--output-format", "gitlab", "pkg", cwd=project).stdout)
    model = project / "pkg" / "model.py"
    model.write_text("# a new comment\n\n" + BUGGY, encoding="utf-8")
    after = json.loads(run_cli("--output-format", "gitlab", "pkg", cwd=project).stdout)
    assert [i["location"]["lines"]["begin"] for i in after] == [6, 8]
    assert [i["fingerprint"] for i in after] == [i["fingerprint"] for i in before]


def test_gitlab_duplicate_findings_get_distinct_fingerprints() -> None:
    twice = [handmade("m.py", "same"), handmade("m.py", "same")]
    issues = gitlab.as_list(twice, fingerprint=lambda d: "same-token")
    assert len({i["fingerprint"] for i in issues}) == 2


# ---------------------------------------------------------------- all formats, --output-file


@pytest.mark.parametrize("output_format", FORMATS)
def test_every_format_renders_an_empty_run(output_format: str) -> None:
    rendered = renderer(output_format)([], colour=False, show_source=False, source_line=lambda d: None)
    if output_format in ("json", "sarif", "gitlab"):
        json.loads(rendered)
    elif output_format == "junit":
        ET.fromstring(rendered)
    else:  # text formats print nothing; the CLI adds "All checks passed!"
        assert rendered == ""


@pytest.mark.parametrize("output_format", ["text", "json", "github", "sarif", "junit", "gitlab"])
def test_output_file_holds_the_report(project: Path, output_format: str) -> None:
    target = project / "reports" / f"rnnlint.{output_format}"
    completed = run_cli("--output-format", output_format, "--output-file", str(target), "pkg", cwd=project)
    assert completed.returncode == 1
    assert completed.stdout == ""
    direct = run_cli("--output-format", output_format, "pkg", cwd=project)
    written = target.read_text(encoding="utf-8")
    if output_format == "github":  # the stop-commands token is new each run
        token = re.compile(r"\b[0-9a-f]{32}\b")
        written, direct.stdout = token.sub("TOKEN", written), token.sub("TOKEN", direct.stdout)
    assert written == direct.stdout


def test_output_file_that_cannot_be_written_is_one_line_exit_2(project: Path) -> None:
    (project / "blocker").write_text("a file, not a directory", encoding="utf-8")
    completed = run_cli("-o", str(project / "blocker" / "out.sarif"), "--output-format", "sarif", "pkg", cwd=project)
    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1 and "cannot write the report" in completed.stderr
