"""--confirm: rebuilding findings as Keras programs, run in a worker subprocess (never the user's code)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rnnlint.api import lint_source
from rnnlint.confirm.program import NotCheckable, Reproduction
from rnnlint.confirm.reproductions import build
from rnnlint.confirm.runner import CONFIRMED, NOT_CHECKABLE, NOT_REPRODUCED, confirm, judge

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURES = ROOT / "tests" / "fixtures" / "architectures"


def run_cli(*args: str, env_extra: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env_extra.pop("PYTHONPATH", None) if env_extra else None) if p)
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "rnnlint", *args], capture_output=True, text=True, env=env, cwd=cwd or ROOT, timeout=600
    )


# --- without Keras -------------------------------------------------------------------------------


def test_plain_linting_imports_neither_confirm_nor_tensorflow():
    code = (
        "import sys\nfrom rnnlint.cli import main\n"
        f"main(['{ARCHITECTURES / 'seq2seq_functional_broken.py'}', '-q'])\n"
        "bad = [m for m in sys.modules if m.startswith(('rnnlint.confirm', 'tensorflow', 'keras', 'tf_keras'))]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr


BLOCK_KERAS = '''
import sys

class _NotInstalled:
    """Makes tensorflow, keras and tf_keras impossible to find, as on a machine without them."""
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "keras", "tf_keras"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NotInstalled())
'''


def test_without_keras_confirm_says_what_to_install_and_exits_2(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(BLOCK_KERAS)
    target = str(ARCHITECTURES / "seq2seq_functional_broken.py")
    result = run_cli("--confirm", target, env_extra={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'rnnlint[trace]'" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    # Plain linting is unaffected on the same machine.
    plain = run_cli(target, env_extra={"PYTHONPATH": str(tmp_path)})
    assert plain.returncode == 1 and "RNN101" in plain.stdout
    trace = run_cli("trace", target, env_extra={"PYTHONPATH": str(tmp_path)})
    assert trace.returncode == 2 and "pip install 'rnnlint[trace]'" in trace.stderr


# --- judging and building, no Keras needed ------------------------------------------------------------


def test_judge_reads_the_workers_answer():
    loud = Reproduction(setup="", trigger="")
    silent = Reproduction(setup="", trigger="", expects_silence=True)
    raised = {"setup_error": None, "raised": {"type": "ValueError", "message": "expected ndim=3"}, "confirmations": []}
    assert judge(raised, loud) == (CONFIRMED, "ValueError: expected ndim=3")
    assert judge(raised, silent)[0] == NOT_REPRODUCED
    observed = {"setup_error": None, "raised": None, "confirmations": ["attention value has shape (None, 8): one step"]}
    assert judge(observed, silent) == (CONFIRMED, "attention value has shape (None, 8): one step")
    nothing = {"setup_error": None, "raised": None, "confirmations": []}
    status, detail = judge(nothing, loud)
    assert status == NOT_REPRODUCED and "false positive" in detail
    broken_setup = {"setup_error": {"type": "TypeError", "message": "bad"}, "raised": None, "confirmations": []}
    assert judge(broken_setup, loud)[0] == NOT_CHECKABLE
    # Running out of the worker's memory cap confirms nothing (issue 15, item 21).
    out_of_memory = dict(raised, raised={"type": "_ArrayMemoryError", "message": "Unable to allocate 12.0 GiB"})
    status, detail = judge(out_of_memory, loud)
    assert status == NOT_CHECKABLE and "memory cap" in detail


def test_reproduction_uses_literal_flags_units_and_named_placeholders():
    code = "import keras\nenc = keras.layers.LSTM(64)\nout, h, c = enc(x)\n"
    (diagnostic,) = lint_source(code, "example.py")
    reproduction = build(diagnostic.code, *diagnostic.origin)
    assert "keras.layers.LSTM(64)" in reproduction.setup
    assert "item_0, item_1, item_2 = result" in reproduction.trigger
    names = [name for name, _, _ in reproduction.placeholders]
    assert {"TIME", "FEATURES", "BATCH"} <= set(names)
    program = reproduction.text()
    compile(program, "<reproduction>", "exec")  # a user can run it as printed


def test_unknown_units_become_a_named_placeholder():
    code = "import keras\ndef make(n, x):\n    enc = keras.layers.LSTM(n)\n    out, h, c = enc(x)\n"
    (diagnostic,) = lint_source(code, "example.py")
    reproduction = build(diagnostic.code, *diagnostic.origin)
    assert "keras.layers.LSTM(UNITS)" in reproduction.setup
    assert any(name == "UNITS" for name, _, _ in reproduction.placeholders)


@pytest.mark.parametrize("target_keras", [3, 2])
def test_every_invalid_example_gets_a_program_that_compiles(target_keras):
    """No Keras needed: each finding of each INVALID example is written as a runnable program."""
    from rnnlint.rules import all_rules
    from rnnlint.settings import Selection, Settings

    written = 0
    for rule in all_rules():
        if rule.code in ("RNN001", "RNN002"):
            continue
        settings = Settings(selection=Selection(select=(rule.code,)), target_keras=target_keras)
        for example in rule.invalid:
            for diagnostic in lint_source(example.code, "example.py", settings):
                reproduction = build(diagnostic.code, *diagnostic.origin)
                compile(reproduction.text(), f"<{rule.code}>", "exec")
                assert {"BATCH", "TIME"} <= {name for name, _, _ in reproduction.placeholders}
                written += 1
    assert written >= 60


def test_a_rule_without_a_builder_is_not_checkable(tmp_path):
    with pytest.raises(NotCheckable, match="no reproduction"):
        build("RNN999", None, None)
    # And confirm() says so on the diagnostic, without starting any worker.
    (diagnostic,) = lint_source("import keras\nout, h, c = keras.layers.LSTM(8)(x)\n", "example.py")
    diagnostic.code = "RNN999"
    stats = confirm([diagnostic], cache_dir=tmp_path)
    assert diagnostic.extra["confirmation"]["status"] == NOT_CHECKABLE
    assert stats.reproductions_run == 0 and stats.startup_seconds is None


# --- against real Keras -------------------------------------------------------------------------------

keras = pytest.mark.keras


def _confirmations(stdout: str) -> list[dict]:
    return [d for d in json.loads(stdout)]


@pytest.fixture(scope="session")
def confirm_cache(tmp_path_factory):
    """One --confirm cache for the session: later tests reuse the fixtures' results."""
    return tmp_path_factory.mktemp("confirm-cache")


@keras
def test_confirm_on_the_fixture_architectures(confirm_cache, keras_worker):
    tmp_path = confirm_cache
    broken = sorted(str(p) for p in ARCHITECTURES.glob("*_broken.py"))
    correct = sorted(str(p) for p in ARCHITECTURES.glob("*.py") if not p.name.endswith("_broken.py"))
    # Every rule, hints included (RNN502 in seq2seq_functional_broken.py).
    result = run_cli("--confirm", "--select", "RNN", "--cache-dir", str(tmp_path), "--output-format", "json",
                     *broken, *correct)
    assert result.returncode == 1, result.stderr
    findings = _confirmations(result.stdout)
    assert len(findings) >= 19
    statuses = {(Path(d["filename"]).name, d["location"]["row"]): d["confirmation"]["status"] for d in findings}
    assert set(statuses.values()) == {CONFIRMED}, statuses
    assert all(d["filename"].endswith("_broken.py") for d in findings)  # none for the correct ones
    for d in findings:
        confirmation = d["confirmation"]
        assert confirmation["keras"] and confirmation["reproduction"].startswith("import keras")
        assert confirmation["detail"]
    # The outcomes read like Keras: its exception, or what was observed for silent bugs.
    details = " | ".join(d["confirmation"]["detail"] for d in findings)
    assert "expected ndim=3, found ndim=2" in details
    assert "attention value has shape (None, 128): one step" in details
    assert "the states are computed at every call" in details  # RNN502, observed
    observed = [o for d in findings for o in d["confirmation"]["observations"]]
    assert any(o.startswith("eagerly, unpacking iterated the batch axis: 3 rows of shape (256,)") for o in observed)
    # A second run is served from the cache: no worker starts.
    again = run_cli("--confirm", "--cache-dir", str(tmp_path), "--output-format", "json", *broken)
    assert all(d["confirmation"]["cached"] for d in _confirmations(again.stdout))
    assert (tmp_path / "confirm.json").is_file()


@keras
def test_confirm_text_output_shows_the_outcome_under_each_finding(confirm_cache, keras_worker):
    target = str(ARCHITECTURES / "translator_sequential_broken.py")
    result = run_cli("--confirm", "--cache-dir", str(confirm_cache), target)
    lines = result.stdout.splitlines()
    finding = next(i for i, line in enumerate(lines) if "RNN203" in line)
    assert lines[finding + 1].startswith("    confirmed (Keras ")
    assert "ValueError: Input 0" in lines[finding + 1]
    assert any(line.strip().startswith("placeholders: ") for line in lines)


@keras
def test_confirm_never_imports_or_runs_the_analysed_file(tmp_path, keras_worker):
    marker = tmp_path / "the-file-ran"
    target = tmp_path / "sneaky.py"
    target.write_text(
        textwrap.dedent(
            f"""\
            import pathlib
            pathlib.Path({str(marker)!r}).write_text("executed")
            import keras
            encoder = keras.layers.LSTM(16)
            output, h, c = encoder(keras.Input(shape=(None, 8)))
            """
        )
    )
    result = run_cli("--confirm", "--cache-dir", str(tmp_path / "cache"), "--output-format", "json", str(target),
                     cwd=tmp_path)
    (finding,) = json.loads(result.stdout)
    assert finding["confirmation"]["status"] == CONFIRMED, finding["confirmation"]
    assert not marker.exists(), "--confirm executed the analysed file"


@keras
def test_a_claim_keras_does_not_bear_out_is_not_reproduced(keras_worker):
    """A reproduction whose trigger runs cleanly: the outcome says the finding may be a false positive."""
    reproduction = Reproduction(
        setup="x = keras.Input(shape=(TIME, FEATURES))\nlayer = keras.layers.LSTM(4, return_state=True)\n",
        trigger="output, h, c = layer(x)\n",
        placeholders=(("BATCH", 2, ""), ("TIME", 5, ""), ("FEATURES", 3, "")),
    )
    status, detail = judge(keras_worker.run(reproduction), reproduction)
    assert status == NOT_REPRODUCED and "false positive" in detail


@keras
def test_a_reproduction_that_keras_refuses_to_set_up_is_not_checkable(keras_worker):
    reproduction = Reproduction(setup="layer = keras.layers.LSTM(-3)\n", trigger="layer\n")
    status, detail = judge(keras_worker.run(reproduction), reproduction)
    assert status == NOT_CHECKABLE and "not a verdict" in detail


# --- the --confirm cache: never written through a link, untrusted when read back (issue 15, items 15 and 20) ---

from rnnlint.confirm import runner as confirm_runner  # noqa: E402

ANSWER = {"setup_error": None, "raised": {"type": "ValueError", "message": "expected ndim=3"},
          "confirmations": [], "observations": [], "seconds": 0.5}


def test_the_confirm_cache_never_writes_through_a_planted_link(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    cache_dir = tmp_path / "repo" / ".rnnlint_cache"
    cache_dir.mkdir(parents=True)
    (cache_dir / "confirm.tmp").symlink_to(victim)
    (cache_dir / ".gitignore").symlink_to(tmp_path / "created-outside")
    cache = confirm_runner.Cache(cache_dir)
    cache.put("k" * 64, ANSWER)
    cache.save()
    assert victim.read_text() == "precious\n"
    assert not (tmp_path / "created-outside").exists()
    assert confirm_runner.Cache(cache_dir).get("k" * 64) == ANSWER


def test_a_confirm_cache_directory_that_is_a_link_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "cache").symlink_to(elsewhere)
    cache = confirm_runner.Cache(tmp_path / "cache")
    cache.put("k" * 64, ANSWER)
    cache.save()
    assert os.listdir(elsewhere) == [] and "symbolic link" in cache.warning


@pytest.mark.parametrize("entry", [{"raised": 5}, [], "text", {"observations": "abc"}, {"setup_error": {"type": 1}},
                                   {"confirmations": [None]}, {"seconds": "fast"}])
def test_malformed_cached_answers_are_not_used(tmp_path, entry):
    (tmp_path / "confirm.json").write_text(json.dumps({"format": 1, "entries": {"k": entry}}))
    assert confirm_runner.Cache(tmp_path).get("k") is None


def test_the_default_confirm_cache_is_outside_the_repository(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert confirm_runner.user_cache_dir() == tmp_path / "xdg" / "rnnlint"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert confirm_runner.user_cache_dir() == tmp_path / "home" / ".cache" / "rnnlint"


HOSTILE = "\x1b]0;owned\x07\x1b[2J\r\n::error file=x.py::forged\u202e"


def test_a_forged_cached_outcome_is_printed_escaped(tmp_path):
    """A pre-seeded confirm.json under --cache-dir: its text reaches the report escaped, on one line."""
    source = "import keras\nencoder = keras.layers.LSTM(8)\nout, h, c = encoder(keras.Input(shape=(5, 4)))\n"
    (target := tmp_path / "model.py").write_text(source)
    (diagnostic,) = lint_source(source, str(target))
    reproduction = build(diagnostic.code, *diagnostic.origin)
    key = reproduction.cache_key(confirm_runner.installed_keras_version(3), 3)
    forged = {"setup_error": None, "raised": {"type": "ValueError", "message": HOSTILE},
              "confirmations": [], "observations": [HOSTILE], "seconds": 0.1}
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "confirm.json").write_text(json.dumps({"format": 1, "entries": {key: forged}}))
    confirm([diagnostic], cache_dir=tmp_path / "cache")
    confirmation = diagnostic.extra["confirmation"]
    assert confirmation["cached"] and confirmation["status"] == CONFIRMED
    for text in (confirmation["detail"], *confirmation["observations"], confirmation["exception"]["message"]):
        assert text.isprintable() and "\\x1b" in text and "\\r\\n::error" in text and "\\u202e" in text
    from rnnlint.output.text import confirmation_lines

    for line in confirmation_lines(confirmation):
        assert line.isprintable() and not line.startswith("::")


# --- isolation and resource bounds of the worker (issue 15, items 11 and 21) ---------------------------------


def test_large_sizes_are_kept_small_in_reproductions_and_equal_sizes_stay_equal():
    code = (
        "import keras\n"
        "encoder = keras.layers.LSTM(20000, return_state=True)\n"
        "out, h, c = encoder(keras.Input(shape=(5, 4)))\n"
        "decoder = keras.layers.LSTM(20000)\n"
        "y = decoder(keras.Input(shape=(5, 4)), initial_state=[h])\n"  # RNN301: one state of the two an LSTM takes
        "z, s = keras.layers.GRU(30000)(keras.Input(shape=(5, 4)))\n"  # RNN101
    )
    diagnostics = lint_source(code, "example.py")
    assert {d.code for d in diagnostics} >= {"RNN101"}
    for diagnostic in diagnostics:
        reproduction = build(diagnostic.code, *diagnostic.origin)
        program = reproduction.text()
        compile(program, "<reproduction>", "exec")
        assert "20000" not in reproduction.setup + reproduction.trigger
        assert "30000" not in reproduction.setup + reproduction.trigger
        values = {name: (value, meaning) for name, value, meaning in reproduction.placeholders}
        for name, (value, meaning) in values.items():
            if name.startswith("LARGE_"):
                assert 256 < value <= 300 and "kept small" in meaning
    rnn301 = next(d for d in diagnostics if d.code == "RNN301")
    reproduction = build(rnn301.code, *rnn301.origin)
    # The encoder's and the decoder's 20000 are one placeholder: their widths still agree.
    assert "LSTM(LARGE_1" in reproduction.setup and reproduction.setup.count("LARGE_2") == 0


def test_the_whole_confirm_run_has_a_time_budget(tmp_path):
    (diagnostic,) = lint_source("import keras\nout, h, c = keras.layers.LSTM(8)(keras.Input(shape=(5, 4)))\n", "e.py")
    stats = confirm([diagnostic], cache_dir=tmp_path, budget=1e-9)
    confirmation = diagnostic.extra["confirmation"]
    assert confirmation["status"] == NOT_CHECKABLE and "time budget" in confirmation["detail"]
    assert stats.startup_seconds is None and stats.reproductions_run == 0  # no worker was started


@pytest.mark.parametrize("value", ["inf", "nan", "0", "-1", "1e308"])
def test_confirm_times_must_be_finite_and_positive(value):
    for option in ("--confirm-timeout", "--confirm-budget"):
        result = run_cli("--confirm", option, value, str(ARCHITECTURES / "seq2seq_functional_broken.py"))
        assert result.returncode == 2 and "Traceback" not in result.stderr and option in result.stderr


PLANTED = "import pathlib\npathlib.Path({marker!r}).write_text({name!r})\nraise ImportError('planted {name}')\n"


@keras
def test_the_worker_never_imports_modules_planted_in_the_working_directory_or_pythonpath(tmp_path, monkeypatch):
    planted = tmp_path / "planted"
    planted.mkdir()
    marker = tmp_path / "a-planted-module-was-imported"
    for name in ("keras", "json", "numpy", "tensorflow", "sitecustomize", "usercustomize"):
        (planted / f"{name}.py").write_text(PLANTED.format(marker=str(marker), name=name))
    monkeypatch.chdir(planted)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join((str(planted), str(ROOT))))
    worker = confirm_runner.Worker(3, timeout=120)
    try:
        worker.start()
        reproduction = Reproduction(setup="x = keras.Input(shape=(TIME, FEATURES))\n",
                                    trigger="out, h, c = keras.layers.LSTM(4)(x)\n",
                                    placeholders=(("BATCH", 2, ""), ("TIME", 5, ""), ("FEATURES", 3, "")))
        answer = worker.run(reproduction)
    finally:
        worker.stop()
    assert not marker.exists(), f"the worker imported the planted {marker.read_text()}.py"
    assert worker.keras_version and worker.keras_version[0].isdigit()
    assert answer["setup_error"] is None and answer["raised"]["type"] == "NotImplementedError", answer


@keras
def test_the_workers_memory_is_capped(keras_worker):
    """A reproduction asking for 12 GiB gets a MemoryError (numpy's zeros would otherwise map it lazily)."""
    reproduction = Reproduction(setup="big = np.zeros(12 * 1024**3, dtype=np.uint8)\n", trigger="big\n")
    answer = keras_worker.run(reproduction)
    assert answer["setup_error"] is not None and "MemoryError" in answer["setup_error"]["type"], answer
    # The worker survives it and keeps answering.
    small = Reproduction(setup="x = keras.Input(shape=(5, 4))\n", trigger="keras.layers.LSTM(4)(x)\n")
    assert keras_worker.run(small)["setup_error"] is None


@keras
def test_the_confirm_cache_stays_out_of_the_repository_and_no_cache_writes_none(tmp_path, keras_worker):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pyproject.toml").write_text("")
    (repo / "model.py").write_text("import keras\nout, h, c = keras.layers.LSTM(4)(keras.Input(shape=(5, 3)))\n")
    xdg = tmp_path / "xdg"
    env = {"XDG_CACHE_HOME": str(xdg)}
    first = run_cli("--confirm", "--no-cache", "--output-format", "json", "model.py", cwd=repo, env_extra=dict(env))
    assert json.loads(first.stdout)[0]["confirmation"]["status"] == CONFIRMED, first.stderr[-2000:]
    assert list(tmp_path.rglob("confirm.json")) == []
    second = run_cli("--confirm", "--output-format", "json", "model.py", cwd=repo, env_extra=dict(env))
    assert json.loads(second.stdout)[0]["confirmation"]["status"] == CONFIRMED
    assert list(tmp_path.rglob("confirm.json")) == [xdg / "rnnlint" / "confirm.json"]
    assert (xdg / "rnnlint").stat().st_mode & 0o077 == 0  # private to its user


def test_confirm_memory_is_a_number_of_megabytes():
    target = str(ARCHITECTURES / "seq2seq_functional_broken.py")
    for value in ("-1", "lots", "1e9", "9" * 20):
        result = run_cli("--confirm", "--confirm-memory", value, target)
        assert result.returncode == 2 and "--confirm-memory" in result.stderr and "Traceback" not in result.stderr
