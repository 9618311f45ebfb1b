"""Configuration: discovery, keys and their checking, precedence, per-file-ignores, Keras inference."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnlint.config import ConfigError, Overrides, Resolver, load_config, pins_keras_2
from rnnlint.diagnostics import Severity


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def enabled(resolver: Resolver, file: Path, code: str, severity: Severity = Severity.ERROR) -> bool:
    return resolver.for_path(file).settings_for(file).selection.enables(code, severity)


def test_nearest_pyproject_with_a_tool_table_wins(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[tool.rnnlint]\nselect = ["RNN1"]\n')
    # A pyproject.toml without [tool.rnnlint] is passed over, as ruff does.
    write(tmp_path / "pkg" / "pyproject.toml", '[project]\nname = "pkg"\n')
    write(tmp_path / "pkg" / "sub" / "rnnlint.toml", 'select = ["RNN2"]\n')
    resolver = Resolver()
    top = tmp_path / "a.py"
    in_pkg = tmp_path / "pkg" / "b.py"
    in_sub = tmp_path / "pkg" / "sub" / "deep" / "c.py"
    assert resolver.for_path(top).config.path == tmp_path / "pyproject.toml"
    assert resolver.for_path(in_pkg).config.path == tmp_path / "pyproject.toml"
    assert resolver.for_path(in_sub).config.path == tmp_path / "pkg" / "sub" / "rnnlint.toml"
    assert enabled(resolver, top, "RNN101") and not enabled(resolver, top, "RNN201")
    assert enabled(resolver, in_sub, "RNN201") and not enabled(resolver, in_sub, "RNN101")


def test_dot_rnnlint_toml_comes_first_in_a_directory(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[tool.rnnlint]\nselect = ["RNN1"]\n')
    write(tmp_path / "rnnlint.toml", 'select = ["RNN2"]\n')
    write(tmp_path / ".rnnlint.toml", 'select = ["RNN102"]\n')
    assert Resolver().for_path(tmp_path / "x.py").config.path.name == ".rnnlint.toml"


def test_explicit_config_and_isolated(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[tool.rnnlint]\nselect = ["RNN1"]\n')
    elsewhere = write(tmp_path / "conf" / "strict.toml", 'select = ["ALL"]\n')
    file = tmp_path / "x.py"
    assert enabled(Resolver(config=str(elsewhere)), file, "RNN002", Severity.HINT)
    isolated = Resolver(isolated=True)
    assert isolated.for_path(file).config is None
    assert enabled(isolated, file, "RNN201") and not enabled(isolated, file, "RNN002", Severity.HINT)


def test_precedence_defaults_then_file_then_command_line(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[tool.rnnlint]\nselect = ["RNN1"]\nignore = ["RNN102"]\ntarget-keras = 2\n')
    file = tmp_path / "x.py"
    from_file = Resolver()
    assert enabled(from_file, file, "RNN101") and not enabled(from_file, file, "RNN102")
    assert not enabled(from_file, file, "RNN201")
    assert from_file.for_path(file).values["target-keras"] == 2

    # --extend-select adds; the file still decides the codes the command line does not mention.
    extended = Resolver(Overrides(extend_select=("RNN201",)))
    assert enabled(extended, file, "RNN201") and enabled(extended, file, "RNN101")
    assert not enabled(extended, file, "RNN102")
    # --select replaces the file's selection (its ignores too, as in ruff).
    selected = Resolver(Overrides(select=("RNN102",), target_keras=3))
    assert enabled(selected, file, "RNN102") and not enabled(selected, file, "RNN101")
    resolved = selected.for_path(file)
    assert resolved.values["target-keras"] == 3
    assert resolved.sources["target-keras"] == "command line"
    assert resolved.sources["select"] == "command line"
    # --ignore on the command line beats a more specific select in the file.
    ignored = Resolver(Overrides(ignore=("RNN1",)))
    assert not enabled(ignored, file, "RNN101")


def test_per_file_ignores(tmp_path: Path):
    write(
        tmp_path / "pyproject.toml",
        '[tool.rnnlint.per-file-ignores]\n"tests/*" = ["RNN101"]\n"legacy_*.py" = ["RNN2"]\n',
    )
    resolver = Resolver()
    assert not enabled(resolver, tmp_path / "tests" / "test_a.py", "RNN101")
    assert enabled(resolver, tmp_path / "tests" / "test_a.py", "RNN201")
    assert not enabled(resolver, tmp_path / "src" / "legacy_model.py", "RNN201")
    assert enabled(resolver, tmp_path / "src" / "model.py", "RNN101")
    # per-file-ignores win even over an explicit --select of the code.
    selected = Resolver(Overrides(select=("RNN101",)))
    assert not enabled(selected, tmp_path / "tests" / "test_a.py", "RNN101")


def test_excludes_are_relative_to_the_configuration(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[tool.rnnlint]\nextend-exclude = ["src/generated"]\n')
    resolved = Resolver().for_path(tmp_path / "src" / "model.py")
    assert resolved.excluded(tmp_path / "src" / "generated" / "x.py")
    assert not resolved.excluded(tmp_path / "src" / "model.py")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[tool.rnnlint]\nslect = ["RNN1"]\n', "unknown key 'slect' (did you mean 'select'?)"),
        ("[tool.rnnlint]\nselect = \"RNN1\"\n", "key 'select' must be a list of rule codes"),
        ('[tool.rnnlint]\nselect = ["RNN9"]\n', "key 'select' has unknown rule selector 'RNN9'"),
        ("[tool.rnnlint]\nfix = 1\n", "key 'fix' must be true or false, got an integer"),
        ("[tool.rnnlint]\ntarget-keras = 4\n", "key 'target-keras' must be 2 or 3"),
        ("[tool.rnnlint]\ntarget-keras = \"3\"\n", "key 'target-keras' must be 2 or 3"),
        ('[tool.rnnlint]\noutput-format = "xml"\n', "key 'output-format' must be one of"),
        ('[tool.rnnlint]\nper-file-ignores = ["a"]\n', "key 'per-file-ignores' must be a table"),
        ('[tool.rnnlint.per-file-ignores]\n"a.py" = "RNN1"\n', "entry 'a.py' must be a list"),
        ("[tool.rnnlint]\nexclude = [1]\n", "key 'exclude' must be a list of glob patterns"),
        ("[tool.rnnlint.lint]\nselect = []\n", "unknown key 'lint'"),
        ("[tool.rnnlint\n", "invalid TOML"),
    ],
)
def test_bad_configuration_is_an_error_naming_file_and_key(tmp_path: Path, text: str, message: str):
    path = write(tmp_path / "pyproject.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value)
    assert "pyproject.toml" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_rnnlint_toml_has_no_table_prefix(tmp_path: Path):
    path = write(tmp_path / "rnnlint.toml", 'select = ["RNN1"]\nrespect-gitignore = false\n')
    assert load_config(path).values == {"select": ("RNN1",), "respect-gitignore": False}
    bad = write(tmp_path / "other" / "rnnlint.toml", '[tool.rnnlint]\nselect = ["RNN1"]\n')
    with pytest.raises(ConfigError, match="unknown key 'tool'"):
        load_config(bad)


@pytest.mark.parametrize(
    "requirement",
    [
        "tensorflow<2.16",
        "tensorflow<2.16.0",
        "tensorflow>=2.12,<2.16",
        "tensorflow==2.15.*",
        "tensorflow==2.15.1",
        "tensorflow~=2.15.0",
        "tensorflow<=2.15.1",
        "tensorflow-cpu<2.16",
        "tensorflow[and-cuda]<2.16; sys_platform == 'linux'",
        "tf-keras",
        "tf_keras>=2.16",
        "keras<3",
        "keras==2.15.0",
        "keras~=2.15",
        "Keras (<3.0)",
    ],
)
def test_requirements_that_pin_keras_2(requirement: str):
    assert pins_keras_2(requirement)


@pytest.mark.parametrize(
    "requirement",
    [
        "tensorflow",
        "tensorflow>=2.16",
        "tensorflow~=2.15",  # allows 2.16 and later 2.x
        "tensorflow<3",
        "tensorflow==2.16.*",
        "tensorflow!=2.15",
        "keras",
        "keras>=3",
        "keras<4",
        "numpy<2",
        "kerastuner<1",
        "tensorflow @ https://example.invalid/tf-2.15.whl",
    ],
)
def test_requirements_that_do_not_pin_keras_2(requirement: str):
    assert not pins_keras_2(requirement)


def test_target_keras_inferred_from_dependencies(tmp_path: Path):
    write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "p"\ndependencies = ["numpy"]\n[project.optional-dependencies]\ngpu = ["tensorflow==2.15.*"]\n',
    )
    resolved = Resolver().for_path(tmp_path / "src" / "model.py")
    assert resolved.values["target-keras"] == 2
    assert "tensorflow==2.15.*" in resolved.sources["target-keras"]
    assert resolved.settings_for(tmp_path / "src" / "model.py").target_keras == 2


def test_target_keras_inferred_next_to_an_rnnlint_toml(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[project]\nname = "p"\ndependencies = ["tf-keras"]\n')
    write(tmp_path / "rnnlint.toml", 'select = ["RNN1"]\n')
    assert Resolver().for_path(tmp_path / "m.py").values["target-keras"] == 2


def test_target_keras_set_in_the_file_or_cli_wins_over_inference(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[project]\nname = "p"\ndependencies = ["keras<3"]\n[tool.rnnlint]\ntarget-keras = 3\n')
    assert Resolver().for_path(tmp_path / "m.py").values["target-keras"] == 3
    write(tmp_path / "pyproject.toml", '[project]\nname = "p"\ndependencies = ["keras<3"]\n')
    assert Resolver(Overrides(target_keras=3)).for_path(tmp_path / "m.py").values["target-keras"] == 3
    assert Resolver(isolated=True).for_path(tmp_path / "m.py").values["target-keras"] == 3


def test_target_keras_inferred_3_from_keras_3_requirements(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[project]\nname = "p"\ndependencies = ["tensorflow>=2.16", "keras>=3"]\n')
    resolved = Resolver().for_path(tmp_path / "m.py")
    assert resolved.values["target-keras"] == 3
    assert resolved.sources["target-keras"].startswith("inferred from ")
    assert resolved.sources["target-keras"].endswith("pyproject.toml:3: tensorflow>=2.16")


def test_target_keras_defaults_to_3(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "pyproject.toml", '[project]\nname = "p"\ndependencies = ["numpy"]\n')
    resolved = Resolver().for_path(tmp_path / "m.py")
    assert resolved.values["target-keras"] == 3
    assert resolved.sources["target-keras"] == "default"


def test_file_timeout_key(tmp_path):
    (tmp_path / "rnnlint.toml").write_text("file-timeout = 2.5\n")
    assert Resolver().for_path(tmp_path / "m.py").settings_for(tmp_path / "m.py").file_timeout == 2.5
    (tmp_path / "rnnlint.toml").write_text('file-timeout = "soon"\n')
    with pytest.raises(ConfigError, match="key 'file-timeout' must be a number of seconds"):
        Resolver().for_path(tmp_path / "m.py")
