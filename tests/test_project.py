"""Whole-project analysis (rnnlint/analysis/project.py): findings that need another module of the project.

tests/data/project is a small project (a pyproject.toml at its root) with several
packages, relative and absolute imports, an `__init__.py` re-export, a src layout,
a namespace package, an import cycle, a module that does not parse, star imports,
a conditional import, importlib, and clean look-alikes.  Every expected finding is
written in the project as `# expect: RNNxxx` on its line; the tests compare the
exact set, whichever way the run names the files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rnnlint.analysis.project import ModuleRef, ProjectIndex
from rnnlint.analysis.values import UNKNOWN, Const, Function, Layer
from tests.helpers import run_cli

PROJECT = Path(__file__).parent / "data" / "project"
_EXPECT = re.compile(r"#\s*expect:\s*(RNN\d{3}(?:\s*,\s*RNN\d{3})*)")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy (each test's paths differ: nothing is shared through a cache or an index)."""
    copy = tmp_path / "project"
    shutil.copytree(PROJECT, copy)
    return copy


def expected(root: Path, only: list[str] | None = None) -> set[str]:
    """`path:row CODE` for every `# expect:` comment of the project (of the files in `only`)."""
    found = set()
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if only is not None and name not in only:
            continue
        for row, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = _EXPECT.search(line)
            if match:
                found.update(f"{name}:{row} {code.strip()}" for code in match.group(1).split(","))
    return found


def reported(root: Path, *arguments: str, env: dict | None = None) -> set[str]:
    completed = run_cli("--no-cache", "--output-format", "json", *arguments, cwd=root, env=env)
    assert completed.returncode in (0, 1, 2), completed.stderr
    return {
        f"{Path(d['filename']).as_posix().removeprefix('./')}:{d['location']['row']} {d['code']}"
        for d in json.loads(completed.stdout)
    }


def test_the_expectations_are_there() -> None:
    # The test project must keep exercising each case: a guard against an edit that drops them.
    names = {line.split(":")[0] for line in expected(PROJECT)}
    assert {"seq2seq/train.py", "seq2seq/more.py", "app/run.py", "cyc/a.py", "broken/bad.py"} <= names
    assert len(expected(PROJECT)) == 15


def test_a_run_over_the_directory_reports_exactly_the_expected_findings(project: Path) -> None:
    assert reported(project, ".") == expected(project)


@pytest.mark.parametrize(
    "name",
    [
        "seq2seq/train.py",
        "seq2seq/more.py",
        "seq2seq/clean.py",
        "seq2seq/wiring.py",
        "app/run.py",
        "app/uses_compat.py",
        "cyc/a.py",
        "cyc/b.py",
        "broken/use.py",
        "other/plain.py",
    ],
)
def test_a_run_over_one_file_reads_the_modules_it_imports_and_reports_only_on_it(project: Path, name: str) -> None:
    # broken/use.py imports a module that does not parse: its RNN001 belongs to a run that lints it.
    assert reported(project, name) == expected(project, [name])


def test_the_issues_example_names_each_producer_with_its_path_and_line(project: Path) -> None:
    completed = run_cli("--no-cache", "--output-format", "concise", "seq2seq/train.py", cwd=project)
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("seq2seq/train.py:9:1: RNN101 LSTM built in seq2seq/encoders.py:5 (made by the call on line 9)")
    assert "returns 3 tensors (output, h, c) but is unpacked into 2 names" in lines[0]
    assert lines[1].startswith("seq2seq/train.py:10:5: RNN201 LSTM built in seq2seq/encoders.py:9 (made by the call on line 10)")
    assert lines[2].startswith("seq2seq/train.py:11:7: RNN202")
    assert "GRU 'SHARED_ENCODER' built in seq2seq/encoders.py:12" in lines[2]


def test_the_json_output_carries_the_producer_as_a_related_location(project: Path) -> None:
    completed = run_cli("--no-cache", "--output-format", "json", "seq2seq/train.py", cwd=project)
    first = json.loads(completed.stdout)[0]
    assert first["related"] == [
        {"filename": str((project / "seq2seq" / "encoders.py").resolve()), "row": 5, "end_row": 5, "message": "LSTM built here"}
    ]


def test_a_fix_that_would_edit_another_module_is_not_offered(project: Path) -> None:
    before = {p: p.read_bytes() for p in project.rglob("*.py")}
    completed = run_cli("--no-cache", "--fix", "--unsafe-fixes", "seq2seq/train.py", "app/run.py", cwd=project)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert {p: p.read_bytes() for p in project.rglob("*.py")} == before
    for finding in json.loads(run_cli("--no-cache", "--output-format", "json", "seq2seq/train.py", cwd=project).stdout):
        assert finding["fix"] is None


def test_the_file_named_alone_from_another_directory_still_finds_its_project(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = str(project / "seq2seq" / "train.py")
    found = {line.split(" ")[-1] for line in reported(elsewhere, target)}
    assert found == {"RNN101", "RNN201", "RNN202"}


def test_without_a_project_marker_the_command_line_directory_is_the_root(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "enc.py").write_text(
        "from keras import layers\n\ndef block(x):\n    return layers.GRU(4)(x)\n", encoding="utf-8"
    )
    (tmp_path / "pkg" / "use.py").write_text(
        "from keras import layers\nfrom pkg.enc import block\n\nx = layers.Input((5, 3))\ny = layers.LSTM(2)(block(x))\n",
        encoding="utf-8",
    )
    assert reported(tmp_path, ".") == {"pkg/use.py:5 RNN201"}


def test_a_change_in_an_imported_module_is_not_served_from_the_cache(project: Path) -> None:
    def run() -> set[str]:
        completed = run_cli("--output-format", "json", "seq2seq/train.py", cwd=project)
        return {f"{d['location']['row']} {d['code']}" for d in json.loads(completed.stdout)}

    assert run() == {"9 RNN101", "10 RNN201", "11 RNN202"}
    assert run() == {"9 RNN101", "10 RNN201", "11 RNN202"}  # answered from the cache
    encoders = project / "seq2seq" / "encoders.py"
    encoders.write_text(
        encoders.read_text(encoding="utf-8").replace("layers.LSTM(units, return_state=True)", "layers.GRU(units, return_state=True)"),
        encoding="utf-8",
    )
    assert run() == {"10 RNN201", "11 RNN202"}  # a GRU returns (output, h): `out, h = ...` is right now


def test_a_file_that_names_no_recurrent_layer_is_analysed_when_its_imports_build_one(project: Path) -> None:
    from rnnlint.projectfiles import ProjectFiles

    files = ProjectFiles()
    wiring, plain = project / "seq2seq" / "wiring.py", project / "other" / "plain.py"
    assert files.imports_recurrent(wiring.read_bytes(), str(wiring))
    assert files.imported_modules(plain.read_bytes(), str(plain)) == [str(project / "other" / "helpers" / "nothing_recurrent.py")]
    assert not files.imports_recurrent(plain.read_bytes(), str(plain))


def test_a_filtered_file_is_analysed_again_once_a_module_it_imports_builds_a_layer(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "helpers.py").write_text("def make():\n    return None\n", encoding="utf-8")
    (tmp_path / "use.py").write_text(
        "import keras\nfrom helpers import make\n\nout, h = make()(keras.Input((5, 3)))\n", encoding="utf-8"
    )
    assert run_cli("use.py", cwd=tmp_path).returncode == 0
    (tmp_path / "helpers.py").write_text(
        "import keras\n\ndef make():\n    return keras.layers.LSTM(4, return_state=True)\n", encoding="utf-8"
    )
    completed = run_cli("--output-format", "concise", "use.py", cwd=tmp_path)
    assert "use.py:4:1: RNN101 LSTM built in helpers.py:4" in completed.stdout


def git(repo: Path, *arguments: str) -> None:
    subprocess.run(["git", *arguments], cwd=repo, env={**os.environ, **GIT_ENV}, check=True, capture_output=True)


def test_diff_base_reports_a_finding_in_an_unchanged_file_whose_producer_changed(project: Path) -> None:
    git(project, "-c", "init.defaultBranch=main", "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "start")
    unreadable = {"broken/bad.py:4 RNN001"}  # reported whatever changed
    assert reported(project, "--diff-base", "main", ".") == unreadable
    encoders = project / "seq2seq" / "encoders.py"
    text = encoders.read_text(encoding="utf-8")
    encoders.write_text(text.replace("SHARED_ENCODER = layers.GRU(32)", "SHARED_ENCODER = layers.GRU(16)"), encoding="utf-8")
    # Both files use SHARED_ENCODER; nothing else in them depends on the changed line.
    assert reported(project, "--diff-base", "main", ".") == unreadable | {
        "seq2seq/train.py:11 RNN202",
        "seq2seq/more.py:16 RNN202",
    }
    assert reported(project, "--diff-base", "main", "seq2seq/train.py") == {"seq2seq/train.py:11 RNN202"}


# --- the index on its own -----------------------------------------------------------------------


def index_for(project: Path, name: str) -> tuple[ProjectIndex, object]:
    index = ProjectIndex()
    return index, index.begin(str(project / name))


def test_module_values_are_read_without_importing_anything(project: Path) -> None:
    index, context = index_for(project, "seq2seq/train.py")
    encoders = index.find(context.roots, "seq2seq.encoders")
    assert encoders == str(project / "seq2seq" / "encoders.py")
    names = index.names_of(encoders)
    assert isinstance(names["build_encoder"], Function)
    assert isinstance(names["SHARED_ENCODER"], Layer) and names["SHARED_ENCODER"].class_name == "GRU"
    # The package re-exports the helper under another name; the submodule is reachable as an attribute.
    package = index.module_ref("seq2seq", index.find(context.roots, "seq2seq"))
    assert isinstance(index.member(package, "make_encoder"), Function)
    assert isinstance(index.member(package, "encoders"), ModuleRef)
    assert index.member(package, "missing") is UNKNOWN


def test_each_importer_gets_its_own_copy_of_a_module_level_layer(project: Path) -> None:
    index, context = index_for(project, "seq2seq/train.py")
    first = index.names_of(index.find(context.roots, "seq2seq.encoders"))["SHARED_ENCODER"]
    first.calls.append("a call made by train.py")
    assert first.escaped and not first.calls_known
    index.begin(str(project / "seq2seq" / "more.py"))
    second = index.names_of(index.find(context.roots, "seq2seq.encoders"))["SHARED_ENCODER"]
    assert second is not first and second.calls == []


def test_cycles_unparsable_modules_and_rebound_globals_stay_unknown(project: Path) -> None:
    index, context = index_for(project, "app/run.py")
    assert index.names_of(index.find(context.roots, "cyc.a")) is None
    assert index.names_of(index.find(context.roots, "cyc.b")) is None
    assert index.names_of(index.find(context.roots, "broken.bad")) is None
    state = index.names_of(index.find(context.roots, "other.helpers.state"))
    assert state["ENCODER"] is UNKNOWN


def test_src_layouts_and_namespace_packages_resolve(project: Path) -> None:
    index, context = index_for(project, "app/run.py")
    assert index.find(context.roots, "srcpkg.blocks") == str(project / "src" / "srcpkg" / "blocks.py")
    assert index.find(context.roots, "nspkg") == str(project / "nspkg")
    assert index.find(context.roots, "nspkg.blocks") == str(project / "nspkg" / "blocks.py")
    # Keras, TensorFlow and modules that are not in the project are never looked up here.
    (project / "keras").mkdir()
    assert index.find(context.roots, "keras") is None
    assert index.find(context.roots, "json") is None


def test_a_long_import_chain_is_cut_at_the_depth_limit(tmp_path: Path) -> None:
    from rnnlint.analysis.project import MAX_IMPORT_DEPTH

    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    count = MAX_IMPORT_DEPTH + 4
    (tmp_path / "m0.py").write_text("UNITS = 8\n", encoding="utf-8")
    for number in range(1, count):
        (tmp_path / f"m{number}.py").write_text(f"from m{number - 1} import UNITS\n", encoding="utf-8")
    index = ProjectIndex()
    context = index.begin(str(tmp_path / "main.py"))
    near = index.names_of(index.find(context.roots, "m3"))
    assert near["UNITS"] == Const(8)
    assert index.names_of(index.find(context.roots, f"m{count - 1}")) is None


def write_notebook(path: Path, *cells: str) -> None:
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": cell.splitlines(keepends=True), "outputs": [], "execution_count": None}
            for cell in cells
        ],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def test_a_notebook_of_the_project_sees_the_modules_it_imports(project: Path) -> None:
    write_notebook(
        project / "notebooks" / "explore.ipynb",
        "from tensorflow.keras import layers\n"
        "from seq2seq.encoders import last_step_block\n"
        "x = layers.Input((10, 8))\n"
        "y = layers.LSTM(16)(last_step_block(x, 16))\n",
    )
    completed = run_cli("--no-cache", "--output-format", "json", "notebooks/explore.ipynb", cwd=project)
    [finding] = json.loads(completed.stdout)
    assert finding["code"] == "RNN201"
    assert finding["cell"] == 1 and finding["location"]["row"] == 4
    assert "LSTM built in seq2seq/encoders.py:9 (made by the call on line 4)" in finding["message"]


def test_a_notebook_naming_no_recurrent_layer_is_analysed_when_its_imports_build_one(project: Path) -> None:
    write_notebook(
        project / "notebooks" / "wiring.ipynb",
        "from tensorflow.keras import layers\nfrom seq2seq import make_encoder\n",
        "x = layers.Input((10, 8))\nout, h = make_encoder()(x)\n",
    )
    write_notebook(project / "notebooks" / "plain.ipynb", "from other.helpers import nothing_recurrent\nprint(nothing_recurrent.VALUE)\n")
    completed = run_cli("--no-cache", "--output-format", "json", "notebooks", cwd=project)
    [finding] = json.loads(completed.stdout)
    assert (finding["filename"], finding["code"], finding["cell"], finding["location"]["row"]) == (
        "notebooks/wiring.ipynb",
        "RNN101",
        2,
        2,
    )


def test_sarif_carries_the_producer_as_a_related_location(project: Path) -> None:
    import jsonschema

    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    completed = run_cli("--no-cache", "--output-format", "sarif", "seq2seq/train.py", cwd=project)
    document = json.loads(completed.stdout)
    validator = jsonschema.validators.validator_for(schema)
    validator(schema, format_checker=validator.FORMAT_CHECKER).validate(document)
    first = document["runs"][0]["results"][0]
    [related] = first["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "seq2seq/encoders.py"
    assert related["physicalLocation"]["region"] == {"startLine": 5, "endLine": 5}
    assert related["message"]["text"] == "LSTM built here"


def test_an_instance_of_another_module_is_handed_out_as_a_copy_even_when_it_refers_to_itself(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "blocks.py").write_text(
        "import keras\n\nclass Block:\n    pass\n\nBLOCK = Block()\nBLOCK.me = BLOCK\nBLOCK.rnn = keras.layers.GRU(4)\n",
        encoding="utf-8",
    )
    index = ProjectIndex()
    context = index.begin(str(tmp_path / "main.py"))
    names = index.names_of(index.find(context.roots, "blocks"))
    block = names["BLOCK"]
    assert block.attrs["me"] is block and isinstance(block.attrs["rnn"], Layer)
    index.begin(str(tmp_path / "other.py"))
    assert index.names_of(index.find(context.roots, "blocks"))["BLOCK"] is not block


def test_the_graph_draws_layers_of_other_modules_with_their_place(project: Path) -> None:
    completed = run_cli("graph", "seq2seq/train.py", cwd=project)
    assert completed.returncode in (0, 1), completed.stderr
    assert "return_state=True<br/>seq2seq/encoders.py:5, called line 9" in completed.stdout
    assert "GRU 'SHARED_ENCODER'" in completed.stdout and "seq2seq/encoders.py:12, called line 11" in completed.stdout
    assert "<br/>line 10" in completed.stdout  # the file's own layer, as before


def test_a_layer_re_exported_by_another_module_is_one_object_for_the_importer(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "base.py").write_text("import keras\n\nENCODER = keras.layers.LSTM(4)\n", encoding="utf-8")
    (tmp_path / "reexport.py").write_text("from base import ENCODER\n", encoding="utf-8")
    index = ProjectIndex()
    context = index.begin(str(tmp_path / "main.py"))
    direct = index.names_of(index.find(context.roots, "base"))["ENCODER"]
    through = index.names_of(index.find(context.roots, "reexport"))["ENCODER"]
    assert direct is through
