"""The Keras version read from the project's dependency files (rnnlint.dependencies, docs/keras-target.md).

Each project lives in a temporary directory with a `.git` at its root, which
bounds the walk up for dependency files.  Nothing here imports or runs the
project's files: the setup.py files below would leave a trace if they ran.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rnnlint import dependencies
from rnnlint.config import Overrides, Resolver

ROOT = Path(__file__).resolve().parent.parent


def project(root: Path, files: dict[str, str]) -> Path:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def target(root: Path, file: str = "model.py", **overrides) -> tuple[int, str]:
    resolved = Resolver(Overrides(**overrides)).for_path(root / file)
    return resolved.values["target-keras"], resolved.sources["target-keras"]


# --- requirements files: the decision table of docs/keras-target.md ----------------------------


@pytest.mark.parametrize(
    ("requirements", "expected"),
    [
        ("tensorflow~=2.6.0", 2),
        ("tensorflow==2.11.0", 2),
        ("tensorflow>=2.10,<2.13", 2),
        ("tensorflow==2.15", 2),  # TF <= 2.15 is Keras 2
        ("tensorflow==2.15.*", 2),
        ("tensorflow-gpu", 2),  # no tensorflow-gpu release has Keras 3
        ("tensorflow-gpu>=2.4", 2),
        ("tensorflow-macos==2.12.0", 2),
        ("tensorflow[and-cuda]<2.16", 2),
        ("keras<3", 2),
        ("keras==2.4.3", 2),
        ("Keras>=2.2,<2.4", 2),
        ("tf-keras", 2),
        ("tf_keras>=2.16", 2),
        ("tensorflow>=2.16\ntf-keras", 2),  # TF's Keras 3 unless tf-keras is declared too
        ("tensorflow>=2.16", 3),
        ("tensorflow==2.17.0", 3),
        ("keras>=3.0", 3),
        ("keras==3.3.3", 3),
        ("tensorflow>2.15", None),  # allows 2.15.1
        ("tensorflow", None),  # unpinned: unknown, the default (3)
        ("tensorflow~=2.15", None),  # allows 2.16 and later
        ("tensorflow!=2.15", None),
        ("keras", None),
        ("tensorflow @ https://example.invalid/tensorflow-2.11.0.whl", None),
        ("numpy<2\nkeras-tcn==3.5", "nothing"),  # mentions neither: passed over
    ],
)
def test_requirement_specifiers(tmp_path, requirements, expected):
    root = project(tmp_path, {"requirements.txt": "numpy\n" + requirements + "\n"})
    value, source = target(root)
    if expected == "nothing":
        assert (value, source) == (3, "default")
    elif expected is None:
        assert value == 3 and source.startswith("default (") and "requirements.txt:2" in source
    else:
        assert value == expected and source.startswith("inferred from "), source


def test_show_where_the_version_came_from(tmp_path):
    root = project(tmp_path, {"requirements.txt": "# ML stack\nnumpy==1.26\ntensorflow==2.11.0\n"})
    value, source = target(root)
    assert value == 2
    assert source == f"inferred from {os.path.relpath(root / 'requirements.txt')}:3: tensorflow==2.11.0"


def test_comments_are_not_requirements(tmp_path):
    root = project(
        tmp_path,
        {"requirements.txt": "# we used to pin tensorflow==2.4\nnumpy  # tensorflow==2.4 broke this\ntensorflow>=2.16\n"},
    )
    assert target(root) == (3, f"inferred from {os.path.relpath(root / 'requirements.txt')}:3: tensorflow>=2.16")


def test_requirements_syntax(tmp_path):
    root = project(
        tmp_path,
        {
            "requirements.txt": "--index-url https://example.invalid/simple\n-e .\n"
            "git+https://example.invalid/tensorflow.git#egg=tensorflow\n"
            "tensorflow \\\n    ==2.11.0 ; python_version < '3.11' \\\n    --hash=sha256:0123\n",
        },
    )
    value, source = target(root)
    assert value == 2 and source.endswith("requirements.txt:4: tensorflow ==2.11.0 ; python_version < '3.11'")


@pytest.mark.parametrize("include", ["-r base.txt", "--requirement base.txt", "--requirement=base.txt", "-rbase.txt"])
def test_requirement_includes_are_followed(tmp_path, include):
    root = project(
        tmp_path,
        {"requirements-dev.txt": f"pytest\n{include}\n", "base.txt": "numpy\ntensorflow==2.9.1\n-r requirements-dev.txt\n"},
    )
    value, source = target(root)
    assert value == 2 and source.endswith("base.txt:2: tensorflow==2.9.1")  # and the include cycle ends


def test_constraints_pin_only_what_is_required(tmp_path):
    pinned = project(tmp_path / "a", {"requirements.txt": "tensorflow\n-c constraints.txt\n", "constraints.txt": "tensorflow==2.12.1\n"})
    assert target(pinned)[0] == 2
    unrequired = project(tmp_path / "b", {"requirements.txt": "numpy\n-c constraints.txt\n", "constraints.txt": "tensorflow==2.12.1\n"})
    assert target(unrequired) == (3, "default")


def test_requirements_directory(tmp_path):
    root = project(tmp_path, {"requirements/base.txt": "numpy\n", "requirements/gpu.txt": "tensorflow-gpu==2.10\n"})
    value, source = target(root)
    assert value == 2 and source.endswith(os.path.join("requirements", "gpu.txt") + ":1: tensorflow-gpu==2.10")


# --- setup.py, setup.cfg, environment.yml, Pipfile, Poetry -------------------------------------

NEVER_RUN = "import pathlib\npathlib.Path(__file__).with_name('RAN').write_text('setup.py was executed')\n"


@pytest.mark.parametrize(
    ("setup", "row"),
    [
        ("setup(name='p', install_requires=['numpy', 'tensorflow>=2.8,<2.12'])\n", 1),
        ("REQUIRED = [\n    'numpy',\n    'keras<3',\n]\nsetup(name='p', install_requires=REQUIRED)\n", 3),
        ("TF = '2.10'\nsetup(install_requires=['numpy', f'tensorflow=={TF}'])\n", 2),
        ("TF = 'tensorflow==' + '2.10'\nsetup(install_requires=['numpy'] + [TF])\n", 2),
        ("EXTRAS = {'gpu': ['tensorflow-gpu'], 'cpu': []}\nsetup(install_requires=['numpy'], extras_require=EXTRAS)\n", 1),
        ("CONFIG = dict(name='p')\nARGS = {'install_requires': ['tf-keras']}\nsetuptools.setup(**ARGS)\n", 2),
    ],
)
def test_setup_py_is_read_not_run(tmp_path, setup, row):
    root = project(tmp_path, {"setup.py": "import setuptools\nfrom setuptools import setup\n" + NEVER_RUN + setup})
    value, source = target(root)
    assert value == 2, source
    assert f"setup.py:{row + 4}:" in source
    assert not (root / "RAN").exists()


def test_setup_py_that_cannot_be_read_says_nothing(tmp_path):
    root = project(tmp_path, {"setup.py": "setup(install_requires=open('deps').read().split())\n", "other/x": ""})
    assert target(root) == (3, "default")
    broken = project(tmp_path / "broken", {"setup.py": "setup(install_requires=['tensorflow==2.4'\n"})
    assert target(broken) == (3, "default")


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("setup(name='Keras', version='2.2.4', install_requires=['numpy'])\n", (2, "setup.py:1: Keras 2.2.4 (this project)")),
        ("setup(name='keras', version='3.1.0')\n", (3, "setup.py:1: keras 3.1.0 (this project)")),
        # Another project's name and version say nothing about Keras.
        ("setup(name='my-model', version='2.0')\n", (3, "default")),
    ],
)
def test_a_project_that_is_keras_itself(tmp_path, setup, expected):
    """Keras' own examples and tests are written for that Keras (the corpus lints Keras 2.0-2.3 sdists)."""
    value, source = target(project(tmp_path, {"setup.py": setup}))
    assert value == expected[0] and source.endswith(expected[1]), source


def test_setup_cfg(tmp_path):
    root = project(
        tmp_path,
        {
            "setup.cfg": "[metadata]\nname = p\n\n[options]\ninstall_requires =\n    numpy\n    # tensorflow==2.4\n"
            "    tensorflow>=2.5,<2.14\n\n[options.extras_require]\ntest = pytest\n",
        },
    )
    value, source = target(root)
    assert value == 2 and source.endswith("setup.cfg:8: tensorflow>=2.5,<2.14")
    extras = project(tmp_path / "e", {"setup.cfg": "[options]\ninstall_requires = numpy\n[options.extras_require]\ntf = keras<3\n"})
    assert target(extras)[0] == 2


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("tensorflow=2.9", 2),
        ("tensorflow==2.9.1", 2),
        ("tensorflow 2.9.*", 2),
        ("tensorflow=2.9=gpu_py39h1234_0", 2),
        ("conda-forge::keras=2.3", 2),
        ("tensorflow-gpu", 2),
        ("tensorflow>=2.4,<2.11", 2),
        ("tensorflow>=2.16", 3),
        ("tensorflow", None),
    ],
)
def test_conda_environment(tmp_path, spec, expected):
    root = project(
        tmp_path,
        {"environment.yml": f"name: env\nchannels:\n  - conda-forge\ndependencies:\n  # - tensorflow=2.4\n  - python=3.9\n  - {spec}\n"},
    )
    value, source = target(root)
    assert value == (expected or 3)
    assert "environment.yml:7:" in source


def test_conda_environment_pip_list(tmp_path):
    root = project(
        tmp_path,
        {"environment.yaml": "dependencies:\n  - python=3.10\n  - pip\n  - pip:\n    - numpy\n    - tensorflow==2.11.0\nvariables:\n  X: 1\n"},
    )
    value, source = target(root)
    assert value == 2 and source.endswith("environment.yaml:6: tensorflow==2.11.0")


def test_pipfile(tmp_path):
    root = project(tmp_path, {"Pipfile": '[[source]]\nurl = "x"\n\n[packages]\nnumpy = "*"\ntensorflow = "==2.9.0"\n'})
    value, source = target(root)
    assert value == 2 and source.endswith("Pipfile:6: tensorflow = '==2.9.0'")
    dev_only = project(tmp_path / "d", {"Pipfile": '[packages]\ntensorflow = "*"\n[dev-packages]\ntensorflow-gpu = "==2.4"\n'})
    assert target(dev_only)[0] == 3


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ('"~2.9"', 2),
        ('"2.9.1"', 2),
        ('{version = "~2.10", optional = true}', 2),
        ('">=2.4,<2.12"', 2),
        ('"^2.9"', None),  # >=2.9,<3.0: allows 2.16
        ('">=2.16"', 3),
        ('"*"', None),
    ],
)
def test_poetry(tmp_path, constraint, expected):
    root = project(
        tmp_path,
        {"pyproject.toml": f'[tool.poetry]\nname = "p"\n\n[tool.poetry.dependencies]\npython = "^3.9"\ntensorflow = {constraint}\n'},
    )
    value, source = target(root)
    assert value == (expected or 3)
    assert "pyproject.toml:6:" in source
    caret_keras = project(tmp_path / "k", {"pyproject.toml": '[tool.poetry.dependencies]\nkeras = "^2.4"\n'})
    assert target(caret_keras)[0] == 2


# --- which project root ------------------------------------------------------------------------


def test_a_requirements_file_of_an_unrelated_subproject_is_not_applied(tmp_path):
    root = project(tmp_path, {"legacy_demo/requirements.txt": "tensorflow==2.4\n", "app/model.py": ""})
    assert target(root, "app/model.py") == (3, "default")
    assert target(root, "legacy_demo/model.py")[0] == 2


def test_the_nearest_root_that_mentions_keras_decides(tmp_path):
    root = project(
        tmp_path,
        {
            "requirements.txt": "tensorflow==2.11\n",
            "tools/pyproject.toml": '[project]\nname = "tools"\ndependencies = ["click"]\n',  # passed over
            "modern/requirements.txt": "tensorflow>=2.16\n",
        },
    )
    assert target(root, "tools/x.py")[0] == 2
    assert target(root, "modern/x.py")[0] == 3
    assert target(root, "deep/er/x.py")[0] == 2


def test_the_walk_stops_at_the_repository_root(tmp_path):
    write = tmp_path / "requirements.txt"
    write.write_text("tensorflow==2.4\n")
    repository = project(tmp_path / "repo", {"README": ""})
    assert target(repository) == (3, "default")


def test_configuration_and_command_line_win(tmp_path):
    configured = project(tmp_path / "c", {"requirements.txt": "tensorflow==2.11\n", "rnnlint.toml": "target-keras = 3\n"})
    value, source = target(configured)
    assert value == 3 and source.endswith("rnnlint.toml")
    assert Resolver().for_path(configured / "m.py").target_keras_explicit
    other = project(tmp_path / "o", {"requirements.txt": "tensorflow==2.11\n"})
    assert target(other, target_keras=3) == (3, "command line")
    assert Resolver(Overrides(target_keras=3)).for_path(other / "m.py").target_keras_explicit
    assert not Resolver().for_path(other / "m.py").target_keras_explicit


def test_each_directory_is_read_once(tmp_path, monkeypatch):
    root = project(tmp_path, {"requirements.txt": "tensorflow==2.11\n", "a/b/x.py": "", "a/c/y.py": ""})
    read = []
    original = dependencies.read_directory
    monkeypatch.setattr(dependencies, "read_directory", lambda d: read.append(d) or original(d))
    resolver = Resolver()
    for file in ("a/b/x.py", "a/b/z.py", "a/c/y.py", "a/x.py", "m.py"):
        assert resolver.for_path(root / file).settings_for(root / file).target_keras == 2
    assert sorted(read) == sorted({root, root / "a", root / "a" / "b", root / "a" / "c"})


def test_show_settings_names_the_file_and_line(tmp_path):
    root = project(tmp_path, {"requirements.txt": "numpy\ntensorflow==2.11.0\n", "model.py": "import keras\n"})
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    shown = subprocess.run(
        [sys.executable, "-m", "rnnlint", "--show-settings", "model.py"], check=False, cwd=root, capture_output=True, text=True, env=env
    )
    assert shown.returncode == 0, shown.stderr
    line = next(line for line in shown.stdout.splitlines() if "target-keras" in line)
    assert line.split("#")[0].split("=")[1].strip() == "2"
    assert line.endswith("# inferred from requirements.txt:2: tensorflow==2.11.0")
    (root / "model.py").write_text('"""A model."""\nimport os\nos.environ.setdefault("TF_USE_LEGACY_KERAS", "1")\n')
    (root / "requirements.txt").write_text("tensorflow>=2.16\n")
    shown = subprocess.run(
        [sys.executable, "-m", "rnnlint", "--show-settings", "model.py"], check=False, cwd=root, capture_output=True, text=True, env=env
    )
    line = next(line for line in shown.stdout.splitlines() if "target-keras" in line)
    assert line.endswith("# inferred from model.py:3: os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')"), line


def test_correct_keras_2_project_is_not_told_to_drop_batch_input_shape(tmp_path):
    """The issue's measured case: every default finding on correct Keras-2 projects was RNN402 on batch_input_shape."""
    model = (
        "from tensorflow.keras.layers import LSTM, Dense\nfrom tensorflow.keras.models import Sequential\n"
        "model = Sequential([LSTM(32, stateful=True, batch_input_shape=(8, 10, 4)), Dense(1)])\n"
    )
    project(tmp_path / "old", {"requirements.txt": "tensorflow-gpu==2.4.1\nnumpy\n", "train.py": model})
    project(tmp_path / "new", {"requirements.txt": "tensorflow>=2.16\n", "train.py": model})
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = [sys.executable, "-m", "rnnlint", "--no-cache", "--output-format", "concise", "."]
    old = subprocess.run(run, check=False, cwd=tmp_path / "old", capture_output=True, text=True, env=env)
    new = subprocess.run(run, check=False, cwd=tmp_path / "new", capture_output=True, text=True, env=env)
    assert old.returncode == 0, old.stdout + old.stderr
    assert new.returncode == 1 and "RNN402" in new.stdout, new.stdout + new.stderr
