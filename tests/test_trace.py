"""`rnnlint trace`: run the target under instrumented Keras and reconcile with the static findings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rnnlint.api import lint_source
from rnnlint.confirm.trace import CONFIRMED, NOT_REACHED, REFUTED, Target, reconcile
from rnnlint.settings import Selection, Settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def run_trace(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "rnnlint", "trace", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=900
    )


def verdicts(data: dict) -> list[tuple[str, str, int, str]]:
    return [
        (Path(t["path"]).name, f["code"], f["location"]["row"], f["trace"]["verdict"])
        for t in data["targets"]
        for f in t["findings"]
    ]


@pytest.mark.keras
def test_trace_reconciles_every_fixture_architecture_without_missed_or_refuted(keras_worker):
    targets = sorted(str(p) for p in (FIXTURES / "architectures").glob("*.py"))
    targets.append(f"{FIXTURES / 'trace' / 'subclassed_driven_broken.py'}:run")
    targets.append(str(FIXTURES / "trace" / "hints_and_warnings_broken.py"))
    # Every rule, hints included: a finding that describes no failure must not be refuted by a clean run.
    result = run_trace("--output-format", "json", "--select", "RNN", *targets)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(result.stdout)
    found = verdicts(data)
    assert [t for t in data["targets"] if t["missed"]] == []
    assert [v for v in found if v[3] == REFUTED] == []
    confirmed = [v for v in found if v[3] == CONFIRMED]
    assert len(confirmed) >= 20, found
    # The warnings and hints are confirmed by what was recorded, not by a failure.
    observed = {code for name, code, _, verdict in found if name == "hints_and_warnings_broken.py" and verdict == CONFIRMED}
    assert observed == {"RNN204", "RNN403", "RNN404", "RNN405", "RNN501", "RNN502"}, found
    # Each broken architecture has at least one finding that the run confirmed...
    broken = {Path(t).name.split(":")[0] for t in targets if "_broken" in t}
    reached = {name for name, *_ in confirmed}
    assert broken - reached <= {
        # Their models are subclassed and never called at module level (subclassed_driven_broken.py:run calls them).
        "attention_subclassed_broken.py",
        "deep_lm_subclassed_broken.py",
        "seq2seq_subclassed_broken.py",
    }
    # ... and every correct one ran cleanly, its models predicting on random data.
    for target in data["targets"]:
        if "_broken" in target["path"]:
            continue
        assert target["findings"] == [] and target["other_failures"] == [], target["path"]
        assert all(entry["outcome"] in ("ran", "skipped") for entry in target["exercised"]), target["exercised"]
    # Runtime records carry the construction and call lines, flags and shapes.
    calls = [c for t in data["targets"] if t["path"].endswith("seq2seq_functional.py") for c in t["calls"]]
    encoder = next(c for c in calls if c["recurrent"] and c["call_line"] == 9)
    assert encoder["built_line"] == 8 and encoder["flags"]["return_state"] is True
    assert encoder["output"] == [[None, 256], [None, 256], [None, 256]]


MISSED_BY_DESIGN = '''\
import keras


def build(return_state):
    inputs = keras.Input(shape=(None, 4))
    result = keras.layers.LSTM(8, return_state=return_state)(inputs)
    output, h, c = result
    return keras.Model(inputs, output)
'''


@pytest.mark.keras
def test_a_failure_the_analysis_cannot_see_is_listed_as_missed(tmp_path, keras_worker):
    """The flag is a parameter, so the analysis stays silent; the run shows the bug."""
    target = tmp_path / "by_flag.py"
    target.write_text(MISSED_BY_DESIGN)
    assert lint_source(MISSED_BY_DESIGN, str(target)) == []
    result = run_trace("--output-format", "json", f"{target}:build", "--arg", "return_state=False", cwd=tmp_path)
    assert result.returncode == 1, result.stderr[-2000:]
    (traced,) = json.loads(result.stdout)["targets"]
    (missed,) = traced["missed"]
    assert missed["line"] == 7 and missed["exception"]["type"] == "NotImplementedError"
    text = run_trace(f"{target}:build", "--arg", "return_state=True", cwd=tmp_path)
    assert text.returncode == 0, text.stdout + text.stderr[-2000:]
    assert "exercised model" in text.stdout and ": ran" in text.stdout
    assert "0 confirmed, 0 refuted, 0 not reached, 0 missed." in text.stdout


@pytest.mark.keras
def test_trace_does_execute_the_target(tmp_path, keras_worker):
    marker = tmp_path / "ran"
    target = tmp_path / "runs.py"
    target.write_text(f"import pathlib\npathlib.Path({str(marker)!r}).write_text('yes')\nif __name__ == '__main__':\n    raise SystemExit(3)\n")
    result = run_trace(str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert marker.read_text() == "yes"  # executed, as importing it would (the __main__ block did not run)


def test_reconcile_calls_a_finding_refuted_when_its_statement_ran_cleanly(tmp_path):
    source = "import keras\nencoder = keras.layers.LSTM(8)\nout, h, c = encoder(x)\n"
    path = tmp_path / "t.py"
    path.write_text(source)
    (diagnostic,) = lint_source(source, str(path))
    clean_call = {"layer": "LSTM 'lstm'", "call_line": 3, "built_line": 2, "error": None,
                  "inputs": [None, 5, 4], "output": [[None, 8], [None, 8], [None, 8]]}
    result = reconcile(Target(str(path)), [diagnostic], {"events": [], "calls": [clean_call], "blocked": []})
    assert [(v.verdict, "LSTM 'lstm' ran here" in v.evidence) for v in result.verdicts] == [(REFUTED, True)]
    nothing = reconcile(Target(str(path)), [diagnostic], {"events": [], "calls": [], "blocked": []})
    assert nothing.verdicts[0].verdict == NOT_REACHED
    event = {"kind": "failure", "what": "LSTM 'lstm' raised", "line": 3, "exception": {"type": "E", "message": "m"}}
    hit = reconcile(Target(str(path)), [diagnostic], {"events": [event], "calls": [clean_call], "blocked": []})
    assert hit.verdicts[0].verdict == CONFIRMED and hit.missed == []
    elsewhere = dict(event, line=2)
    miss = reconcile(Target(str(path)), [], {"events": [elsewhere], "calls": [], "blocked": []})
    assert miss.missed == [elsewhere]


def test_trace_target_syntax_is_checked(tmp_path):
    result = run_trace(str(tmp_path / "nope.py"))
    assert result.returncode == 2 and "no such file" in result.stderr


def test_a_waste_finding_is_decided_by_whether_the_dropped_items_were_read(tmp_path):
    """RNN502 describes no failure: a clean run neither confirms nor refutes it, the recorded reads do."""
    source = "import keras\nencoded, _, _ = keras.layers.LSTM(8, return_state=True)(x)\n"
    path = tmp_path / "t.py"
    path.write_text(source)
    settings = Settings(selection=Selection(select=("RNN502",)))
    (diagnostic,) = lint_source(source, str(path), settings)

    def report(states_used: bool) -> dict:
        returned = [{"role": "output", "shape": [None, 8], "used": True}] + [
            {"role": "state", "shape": [None, 8], "used": states_used} for _ in range(2)
        ]
        call = {"layer": "LSTM 'lstm'", "recurrent": True, "call_line": 2, "built_line": 2, "error": None,
                "inputs": [None, 5, 4], "output": [[None, 8]] * 3, "flags": {}, "returned": returned, "symbolic": True}
        return {"events": [], "calls": [call], "blocked": []}

    dropped = reconcile(Target(str(path)), [diagnostic], report(states_used=False)).verdicts[0]
    assert dropped.verdict == CONFIRMED and "no layer, Keras operation or model output" in dropped.evidence
    read = reconcile(Target(str(path)), [diagnostic], report(states_used=True)).verdicts[0]
    assert read.verdict == REFUTED and "were read afterwards" in read.evidence
    nothing = reconcile(Target(str(path)), [diagnostic], {"events": [], "calls": [], "blocked": []}).verdicts[0]
    assert nothing.verdict == NOT_REACHED


# --- the traced code's processes are killed with it (issue 15, items 11 and 22) -------------------------------


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it counts as dead)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def _all_dead(pids: list[int], patience: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


FORKER = '''\
import os, subprocess, sys, time
pids = []
for _ in range(3):
    child = os.fork()
    if child == 0:
        time.sleep(600)  # holds the stdout pipe it inherited
        os._exit(0)
    pids.append(child)
pids.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"]).pid)
with open(sys.argv[1], "w") as handle:
    handle.write(" ".join(map(str, pids)))
print(sys.stdin.read().upper(), flush=True)
if sys.argv[2] == "hang":
    time.sleep(600)
'''


@pytest.mark.skipif(not hasattr(os, "fork") or not Path("/proc/self/stat").exists(), reason="needs fork and /proc")
@pytest.mark.parametrize("ending", ["finish", "hang"])
def test_every_process_the_traced_code_started_is_killed_with_it(tmp_path, ending):
    import tempfile

    from rnnlint.confirm.trace import TraceError, run_in_own_session

    script = tmp_path / "forker.py"
    script.write_text(FORKER)
    pid_file = tmp_path / "pids"
    command = [sys.executable, str(script), str(pid_file), ending]
    with tempfile.TemporaryFile() as stderr:
        if ending == "finish":
            lines = run_in_own_session(command, "report", env=dict(os.environ), stderr=stderr, timeout=120)
            assert lines == ["REPORT\n"]
        else:
            with pytest.raises(TraceError, match="did not finish within 8 s"):
                run_in_own_session(command, "report", env=dict(os.environ), stderr=stderr, timeout=8)
    pids = [int(pid) for pid in pid_file.read_text().split()]
    assert len(pids) == 4 and _all_dead(pids), [pid for pid in pids if _alive(pid)]


TRACED_FORKER = '''\
import os, subprocess, sys, time
import keras

pids = []
child = os.fork()
if child == 0:
    time.sleep(600)
    os._exit(0)
pids.append(child)
pids.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"]).pid)
with open({pid_file!r}, "w") as handle:
    handle.write(" ".join(map(str, pids)))
model = keras.Sequential([keras.Input(shape=(5, 4)), keras.layers.LSTM(4)])
'''


@pytest.mark.keras
@pytest.mark.skipif(not hasattr(os, "fork") or not Path("/proc/self/stat").exists(), reason="needs fork and /proc")
def test_trace_kills_the_processes_a_traced_module_forked(tmp_path, keras_worker):
    pid_file = tmp_path / "pids"
    target = tmp_path / "forks.py"
    target.write_text(TRACED_FORKER.format(pid_file=str(pid_file)))
    result = run_trace(str(target), "--timeout", "300", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert "exercised model 'sequential': ran" in result.stdout
    pids = [int(pid) for pid in pid_file.read_text().split()]
    assert len(pids) == 2 and _all_dead(pids), [pid for pid in pids if _alive(pid)]


def test_trace_help_says_it_runs_the_users_code():
    result = run_trace("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "executes your code" in text and "only trace code you would import" in text
    assert "whole session" in text


# --- reconciliation is right about which finding an event belongs to (issue 15, item 12) ---------------------


def test_one_event_is_never_both_confirmed_and_missed(tmp_path):
    """A failure while the model ran belongs to where the layer was built and where it was called."""
    source = "import keras\nlayer = keras.layers.LSTM(8)\nout, h, c = layer(x)\n"
    path = tmp_path / "t.py"
    path.write_text(source)
    (diagnostic,) = lint_source(source, str(path))
    assert diagnostic.location.row == 3
    symbolic = {"layer": "LSTM 'lstm'", "call_line": 3, "built_line": 2, "error": None, "inputs": [None, 5, 4],
                "output": [None, 8]}
    running = dict(symbolic, call_line=None, output=None, error={"type": "E", "message": "m"})
    event = {"kind": "failure", "what": "LSTM 'lstm' raised", "line": 2, "call": 1, "exception": running["error"]}
    result = reconcile(Target(str(path)), [diagnostic], {"events": [event], "calls": [symbolic, running], "blocked": []})
    assert [v.verdict for v in result.verdicts] == [CONFIRMED]
    assert result.missed == []


def _report_for(calls: list[dict], events: list[dict]) -> dict:
    return {"events": events, "calls": calls, "blocked": []}


SEQUENTIAL_104 = """\
import keras

model = keras.Sequential([
    keras.Input(shape=(5, 4)),
    keras.layers.GRU(4),
    keras.layers.LSTM(8, return_state=True),
    keras.layers.Dense(3),
])
"""


def test_rnn104_is_not_credited_with_another_layers_error(tmp_path):
    path = tmp_path / "t.py"
    path.write_text(SEQUENTIAL_104)
    rnn104 = [d for d in lint_source(SEQUENTIAL_104, str(path)) if d.code == "RNN104"]
    assert len(rnn104) == 1 and rnn104[0].location.row == 6
    gru = {"index": 0, "layer": "GRU 'gru'", "call_line": 3, "built_line": 5, "error": None, "output": [None, 4],
           "fed_by": []}
    lstm_error = {"type": "ValueError", "message": "expected ndim=3, found ndim=2"}
    lstm = {"index": 1, "layer": "LSTM 'lstm'", "call_line": 3, "built_line": 6, "error": lstm_error, "output": None,
            "fed_by": [{"call": 0, "layer": "GRU 'gru'", "role": "output"}]}
    event = {"kind": "failure", "what": "LSTM 'lstm' raised", "line": 3, "call": 1, "exception": lstm_error}
    (verdict,) = reconcile(Target(str(path)), rnn104, _report_for([gru, lstm], [event])).verdicts
    assert verdict.verdict == NOT_REACHED and "before reaching" in verdict.evidence
    # The Dense receiving the LSTM's [output, h, c] is what RNN104 predicts.
    lstm_ok = dict(lstm, error=None, output=[[None, 8]] * 3, fed_by=[])
    dense_error = {"type": "ValueError", "message": 'Layer "dense" expects 1 input(s), but it received 3'}
    dense = {"index": 2, "layer": "Dense 'dense'", "call_line": 3, "built_line": 7, "error": dense_error,
             "output": None, "fed_by": [{"call": 1, "layer": "LSTM 'lstm'", "role": role}
                                        for role in ("output", "state", "state")]}
    event = {"kind": "failure", "what": "Dense 'dense' raised", "line": 3, "call": 2, "exception": dense_error}
    (verdict,) = reconcile(Target(str(path)), rnn104, _report_for([gru, lstm_ok, dense], [event])).verdicts
    assert verdict.verdict == CONFIRMED and "received 3" in verdict.evidence


def test_rnn401_is_confirmed_by_the_error_that_names_its_keyword(tmp_path):
    source = "import keras\nlayer = keras.layers.LSTM(8, return_sequence=True)\n"
    path = tmp_path / "t.py"
    path.write_text(source)
    (diagnostic,) = lint_source(source, str(path))
    named = {"type": "ValueError", "message": "Unrecognized keyword arguments passed to LSTM: {'return_sequence': True}"}
    event = {"kind": "failure", "what": "constructing LSTM raised", "line": 2, "call": None, "exception": named}
    (verdict,) = reconcile(Target(str(path)), [diagnostic], _report_for([], [event])).verdicts
    assert verdict.verdict == CONFIRMED and "return_sequence" in verdict.evidence
    unrelated = dict(event, exception={"type": "ValueError", "message": "units must be positive"})
    (verdict,) = reconcile(Target(str(path)), [diagnostic], _report_for([], [unrelated])).verdicts
    assert verdict.verdict == NOT_REACHED


FUNCTIONS_ONLY = """\
import keras


def build():
    inputs = keras.Input(shape=(5, 4))
    out, h, c = keras.layers.LSTM(8)(inputs)
    return keras.Model(inputs, out)


def other():
    inputs = keras.Input(shape=(5, 4))
    y = keras.layers.TimeDistributed(keras.layers.Dense(3))(keras.layers.GRU(4)(inputs))
    return keras.Model(inputs, y)
"""


def test_a_function_target_reconciles_only_that_functions_findings(tmp_path):
    path = tmp_path / "t.py"
    path.write_text(FUNCTIONS_ONLY)
    diagnostics = lint_source(FUNCTIONS_ONLY, str(path))
    assert sorted(d.code for d in diagnostics) == ["RNN101", "RNN201"]
    result = reconcile(Target(str(path), "build"), diagnostics, _report_for([], []))
    assert [v.diagnostic.code for v in result.verdicts] == ["RNN101"]
    assert result.hint is None
    # Code outside the function that it reached (a helper it called, here `other`) keeps its findings.
    reached = dict(_report_for([], []), lines_run=[4, 5, 6, 11, 12])
    result = reconcile(Target(str(path), "build"), diagnostics, reached)
    assert sorted(v.diagnostic.code for v in result.verdicts) == ["RNN101", "RNN201"]


def test_a_file_that_only_defines_functions_suggests_tracing_one(tmp_path):
    path = tmp_path / "t.py"
    path.write_text(FUNCTIONS_ONLY)
    result = reconcile(Target(str(path)), lint_source(FUNCTIONS_ONLY, str(path)), _report_for([], []))
    assert {v.verdict for v in result.verdicts} == {NOT_REACHED}
    assert result.hint is not None and f"trace {path}:build" in result.hint and "build, other" in result.hint
    from rnnlint.confirm.trace import render_text

    assert "  hint: the findings are inside functions build, other" in render_text([result], "3")


def test_a_notebook_target_says_notebooks_cannot_be_traced(tmp_path):
    notebook = tmp_path / "model.ipynb"
    notebook.write_text("{}")
    for text in (str(notebook), f"{notebook}:build"):
        result = run_trace(text)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        (line,) = result.stderr.splitlines()
        assert "a notebook cannot be traced" in line and "nbconvert --to script" in line


@pytest.mark.keras
def test_trace_matches_keras_construction_errors_and_each_findings_own_failure(tmp_path, keras_worker):
    (tmp_path / "unknown_keyword.py").write_text("import keras\n\nlayer = keras.layers.LSTM(8, return_sequence=True)\n")
    (tmp_path / "sequential.py").write_text(SEQUENTIAL_104)
    (tmp_path / "functions.py").write_text(FUNCTIONS_ONLY)
    result = run_trace("--output-format", "json", str(tmp_path / "unknown_keyword.py"), str(tmp_path / "sequential.py"),
                       f"{tmp_path / 'functions.py'}:build", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert sorted(verdicts(data)) == [
        ("functions.py", "RNN101", 6, CONFIRMED),
        ("sequential.py", "RNN104", 6, NOT_REACHED),  # the LSTM failed first (RNN201's failure), not the Dense
        ("sequential.py", "RNN201", 6, CONFIRMED),
        ("unknown_keyword.py", "RNN401", 3, CONFIRMED),
    ]
    keyword = data["targets"][0]["findings"][0]["trace"]["evidence"]
    assert "Unrecognized keyword arguments" in keyword and "return_sequence" in keyword
    assert all(t["missed"] == [] and t["other_failures"] == [] for t in data["targets"])
