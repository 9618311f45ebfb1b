"""The real-code corpus (scripts/corpus.py, docs/corpus.md): pinned PyPI packages, linted, compared with reviewed findings.

`test_corpus_matches_its_reviewed_findings` downloads the packages from PyPI (once, into
~/.cache/rnnlint-corpus or $RNNLINT_CORPUS_CACHE) and lints them with the real command
line.  The other tests check the comparison itself on small real files, and that the
committed manifest and expectations are well formed.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_corpus_module():
    spec = importlib.util.spec_from_file_location("rnnlint_corpus_script", ROOT / "scripts" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus_module()


# --- the committed files -------------------------------------------------------------------------


def test_manifest_pins_every_artifact():
    packages = corpus.load_manifest()
    assert len({p.name for p in packages}) >= corpus.MIN_PROJECTS
    for package in packages:
        assert re.fullmatch(r"[0-9a-f]{64}", package.sha256), package.key
        assert package.kind in ("sdist", "wheel"), package.key
        # The artifact named is the version pinned (pip normalises the project name in file names).
        assert package.version in package.file, package.key
        assert package.file.endswith(".tar.gz" if package.kind == "sdist" else ".whl"), package.key
        assert package.holds, f"{package.key}: say what real recurrent code it holds"


def test_every_expected_finding_is_reviewed():
    expected = corpus.load_expectations()
    keys = {p.key for p in corpus.load_manifest()}
    assert expected, "the corpus has findings to review"
    for e in expected:
        assert e.package in keys, f"{e.package}: not in the manifest"
        assert e.reviewed, f"{e.package}/{e.path}:{e.line} {e.code}: UNREVIEWED"
        assert e.verdict in ("true", "false-alarm", "python-rejects")
        assert (e.verdict == "python-rejects") == (e.code == "RNN001"), f"{e.package}/{e.path}:{e.line}"
        assert "\n" not in e.reason and len(e.reason) > 15, f"{e.package}/{e.path}:{e.line}: a one-line reason"


# --- the comparison, on small real files ---------------------------------------------------------


def _run(tmp_path: Path, findings: list[tuple[str, str, int]], files: dict[str, str] | None = None):
    package = corpus.Package("demo", "1.0", "sdist", "demo-1.0.tar.gz", "0" * 64, holds="test")
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text)
    run = corpus.PackageRun(package, tmp_path)
    run.findings = [corpus.Finding(package.key, path, code, line, "message") for path, code, line in findings]
    return run


def _expected(path: str, code: str, line: int, verdict: str = "true", reason: str = "a reason somebody wrote"):
    return corpus.Expected("demo-1.0", path, code, line, "message", verdict, reason)


def test_a_new_finding_fails(tmp_path):
    outcome = corpus.compare([_run(tmp_path, [("a.py", "RNN201", 3)])], [])
    assert [f.line for f in outcome.new] == [3]
    assert any(line.startswith("new finding") for line in outcome.failures)


def test_a_vanished_finding_fails_and_is_printed_with_its_reason(tmp_path):
    gone = _expected("a.py", "RNN201", 3, reason="decoder fed a last step")
    outcome = corpus.compare([_run(tmp_path, [])], [gone])
    assert outcome.vanished == [gone]
    assert any("vanished" in line and "decoder fed a last step" in line for line in outcome.failures)


def test_matching_is_by_line_and_code_and_counts_duplicates(tmp_path):
    run = _run(tmp_path, [("a.py", "RNN401", 5), ("a.py", "RNN401", 5)])
    outcome = corpus.compare([run], [_expected("a.py", "RNN401", 5)])
    assert len(outcome.new) == 1  # two findings on one line, one expected
    reworded = corpus.compare([_run(tmp_path, [("a.py", "RNN401", 5)])], [_expected("a.py", "RNN401", 5)])
    assert not reworded.new and not reworded.vanished  # the message is not part of the key


def test_unreviewed_findings_fail_and_false_alarms_only_warn(tmp_path):
    run = _run(tmp_path, [("a.py", "RNN402", 1), ("a.py", "RNN403", 2)])
    expected = [
        _expected("a.py", "RNN402", 1, verdict="unreviewed", reason=corpus.UNREVIEWED),
        _expected("a.py", "RNN403", 2, verdict="false-alarm", reason="the engine is wrong here"),
    ]
    outcome = corpus.compare([run], expected)
    assert [e.code for e in outcome.unreviewed] == ["RNN402"]
    assert [e.code for e in outcome.false_alarms] == ["RNN403"]
    assert [line for line in outcome.failures if not line.startswith("corpus too small")] == [
        "unreviewed: demo-1.0/a.py:1 RNN402 message"
    ]


def test_rnn001_is_accepted_only_where_python_rejects_the_file(tmp_path):
    files = {"py2.py": "print 'hello'\n", "fine.py": "x = 1\n"}
    run = _run(tmp_path, [("py2.py", "RNN001", 1), ("fine.py", "RNN001", 1)], files)
    expected = [
        _expected("py2.py", "RNN001", 1, verdict="python-rejects", reason="Python 2 print statement"),
        _expected("fine.py", "RNN001", 1, verdict="python-rejects", reason="claimed, but Python compiles it"),
    ]
    outcome = corpus.compare([run], expected)
    assert len(outcome.bad_rnn001) == 1 and "fine.py" in outcome.bad_rnn001[0]
    unexpected = corpus.compare([_run(tmp_path, [("fine.py", "RNN001", 1)])], [])
    assert any("fine.py: Python compiles it" in b for b in unexpected.bad_rnn001)


def test_a_crash_fails(tmp_path):
    run = _run(tmp_path, [])
    run.crashes.append("a.py: internal error while analysing this file: KeyError")
    assert any(line.startswith("crash:") for line in corpus.compare([run], []).failures)


def test_the_floor_counts_projects_and_distinct_files(tmp_path):
    run = _run(tmp_path, [])
    run.recurrent_files = {"a.py": "digest", "copy_of_a.py": "digest"}
    problems = corpus.floor_problems([run])
    assert any("1 projects" in p for p in problems) and any("1 distinct files" in p for p in problems)


def test_recurrent_files_are_the_ones_that_construct_a_recurrent_layer(tmp_path):
    (tmp_path / "builds.py").write_text("from keras import layers\nlayer = layers.Bidirectional(layers.GRU(4))\n")
    (tmp_path / "mentions.py").write_text("# an LSTM is described here\nNAME = 'GRU'\n")
    (tmp_path / "broken.py").write_text("print 'LSTM'\n")
    assert list(corpus.recurrent_files(tmp_path)) == ["builds.py"]


def test_update_adds_new_findings_as_unreviewed_and_drops_vanished_ones(tmp_path):
    run = _run(tmp_path, [("a.py", "RNN201", 3)])
    old = _expected("b.py", "RNN101", 9)
    outcome = corpus.compare([run], [old])
    refreshed = corpus.updated(outcome, [old])
    assert [(e.path, e.verdict, e.reason) for e in refreshed] == [("a.py", "unreviewed", corpus.UNREVIEWED)]
    target = tmp_path / "expectations.toml"
    corpus.write_expectations(refreshed, target)
    assert [(e.path, e.line, e.reason) for e in corpus.load_expectations(target)] == [("a.py", 3, corpus.UNREVIEWED)]


# --- the corpus itself ---------------------------------------------------------------------------


@pytest.mark.corpus
def test_corpus_matches_its_reviewed_findings():
    """Downloads (cached) and lints every package; any new, vanished or unreviewed finding, crash or bad RNN001 fails."""
    try:
        runs = corpus.run_corpus()
    except corpus.CorpusError as error:
        pytest.fail(f"the corpus could not be prepared: {error}")
    outcome = corpus.compare(runs, corpus.load_expectations())
    for alarm in outcome.false_alarms:
        warnings.warn(f"known false alarm: {alarm.package}/{alarm.path}:{alarm.line} {alarm.code}: {alarm.reason}")
    assert not outcome.failures, "\n".join(
        outcome.failures[:60] + ["(refresh with: python scripts/corpus.py --update, then review the diff)"]
    )
