"""`rnnlint trace TARGET`: run the target under instrumented Keras and reconcile with the static findings.

This RUNS the user's code, by design (as importing it would): only trace code
you would import.  The target runs in a subprocess (`python -m rnnlint.confirm.tracer`)
in a session of its own, with a timeout; whatever the traced code started is
killed with it (see `run_in_own_session`).  This module never imports Keras.  Reconciliation works statement by
statement (a finding and a runtime event agree when they point into the same
statement of the target):

- `confirmed`: the run failed or misbehaved at the finding's statement;
- `refuted`: a recurrent layer (or a layer it feeds) was called at that statement
  and completed without an error or a misbehaviour;
- `not reached`: nothing ran there (an earlier failure, a function never called);
- `missed`: a failure or misbehaviour at a recurrent layer that no finding reports.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import rnnlint
from rnnlint.diagnostics import Diagnostic

CONFIRMED, REFUTED, NOT_REACHED, MISSED = "confirmed", "refuted", "not reached", "missed"
DEFAULT_TIMEOUT = 600.0


class TraceError(Exception):
    """The tracer could not run (the message says why, in one line)."""


@dataclass(frozen=True)
class Target:
    path: str
    function: str | None = None
    args: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str, args: dict[str, str]) -> Target:
        path, function = text, None
        if ":" in text and not os.path.exists(text):
            path, _, function = text.rpartition(":")
        if path.endswith(".ipynb"):
            raise TraceError(f"{path}: a notebook cannot be traced (trace runs Python files); export it with "
                             f"`jupyter nbconvert --to script {path}` and trace the .py file")
        if not path.endswith(".py"):
            raise TraceError(f"{text}: a target is path.py or path.py:function")
        if not os.path.isfile(path):
            raise TraceError(f"{path}: no such file")
        return cls(path, function or None, args)


@dataclass
class Verdict:
    diagnostic: Diagnostic
    verdict: str
    evidence: str


@dataclass
class TargetResult:
    target: Target
    verdicts: list[Verdict]
    missed: list[dict]
    report: dict
    # What to do when nothing was reached (the findings are in functions the file never calls).
    hint: str | None = None


def run_tracer(targets: list[Target], *, target_keras: int = 3, timeout: float = DEFAULT_TIMEOUT) -> dict:
    """Run every target in one tracer subprocess; returns its JSON report."""
    env = dict(os.environ)
    root = str(Path(rnnlint.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    request = {
        "target_keras": target_keras,
        "targets": [{"path": t.path, "function": t.function, "args": t.args} for t in targets],
    }
    with tempfile.TemporaryFile() as stderr:
        output = run_in_own_session([sys.executable, "-m", "rnnlint.confirm.tracer"], json.dumps(request),
                                    env=env, stderr=stderr, timeout=timeout)
        stderr.seek(0)
        errors = [line for line in stderr.read().decode("utf-8", "replace").splitlines() if line.strip()]
    lines = [line for line in output if line.strip()]
    if not lines:
        raise TraceError(f"the tracer stopped without a report: {errors[-1] if errors else 'no reason given'}")
    report = json.loads(lines[-1])
    if not report.get("ready"):
        raise TraceError(f"the tracer could not import Keras: {report.get('error')}")
    return report


def run_in_own_session(command: list[str], request: str, *, env: dict, stderr, timeout: float) -> list[str]:  # noqa: ANN001
    """Run `command` in a session of its own, feeding it `request`; the lines it wrote to stdout.

    The traced code may start processes (subprocess, multiprocessing, os.fork) that outlive it;
    they belong to the session, and the whole session is killed when the command ends or runs
    out of time (a process that starts a session of its own escapes this).  The output is read
    line by line, so a child still holding the pipe does not keep rnnlint waiting.
    """
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env,
                               text=True, encoding="utf-8", start_new_session=True)
    lines: list[str] = []

    def feed() -> None:
        try:
            process.stdin.write(request)
            process.stdin.close()
        except (OSError, ValueError):
            pass  # it stopped before reading: its exit says why

    def drain() -> None:
        try:
            for line in process.stdout:
                lines.append(line)  # noqa: PERF402 - one by one: a child holding the pipe must not hide the report
        except (OSError, ValueError):
            pass

    readers = [threading.Thread(target=feed, daemon=True), threading.Thread(target=drain, daemon=True)]
    for reader in readers:
        reader.start()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TraceError(f"the traced code did not finish within {timeout:g} s and was stopped") from None
    finally:
        _kill_session(process)
        readers[1].join(timeout=5)
    return list(lines)


def _kill_session(process: subprocess.Popen) -> None:
    """Kill every process of the session `process` leads (it, and what the traced code started)."""
    if hasattr(os, "killpg"):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    else:
        process.kill()
    process.wait()


def statement_spans(tree: ast.Module) -> list[tuple[int, int]]:
    """Every simple statement's (first, last) line, smallest first, for `statement_of`."""
    spans = {
        (node.lineno, node.end_lineno or node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.stmt)
        and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.For, ast.AsyncFor,
                                  ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try))
    }
    return sorted(spans, key=lambda span: (span[1] - span[0], span[0]))


def statement_of(spans: list[tuple[int, int]], line: int | None) -> tuple[int, int] | None:
    if line is None:
        return None
    return next((span for span in spans if span[0] <= line <= span[1]), (line, line))


def reconcile(target: Target, diagnostics: list[Diagnostic], report: dict) -> TargetResult:
    try:
        tree = ast.parse(Path(target.path).read_text(encoding="utf-8"))
        spans = statement_spans(tree)
    except (OSError, SyntaxError, ValueError):
        tree, spans = None, []
    functions = _top_level_functions(tree)
    events = report.get("events", [])
    calls = report.get("calls", [])
    blocked = [tuple(span) for span in report.get("blocked", [])]
    events_at: dict[tuple, list[dict]] = {}
    for event in events:
        for place in _event_places(spans, event, calls):
            events_at.setdefault(place, []).append(event)
    completed_at: dict[tuple, list[dict]] = {}
    for call in calls:
        if call.get("error") is None and call.get("output") is not None:
            where = statement_of(spans, call.get("call_line") or call.get("built_line"))
            completed_at.setdefault(where, []).append(call)
    verdicts: list[Verdict] = []
    reported: set[tuple] = set()
    run = _Run(spans, calls, report.get("built", []))
    for diagnostic in diagnostics:
        if diagnostic.code in ("RNN001", "RNN002"):  # about the file and its comments, not what runs
            continue
        # A finding reported at a helper's call (the misuse exists only for that call's
        # arguments) is about the statement inside the helper too: both are where it may fail.
        places = [statement_of(spans, row) for row in _finding_rows(diagnostic)]
        reported.update(places)
        expected = EXPECTED.get(diagnostic.code)
        matching = {place: _expected_events(diagnostic, events_at.get(place, []), calls) for place in places}
        where = next((place for place in places if matching[place]), places[0])
        observer = OBSERVERS.get(diagnostic.code)
        other = next((e for place in places for e in events_at.get(place, []) if e["kind"] == "failure"), None)
        if matching[where]:
            verdicts.append(Verdict(diagnostic, CONFIRMED, _event_text(matching[where][0])))
        elif expected is not None and other is not None:
            # Something else failed here first (another layer's error): what the finding predicts never ran.
            verdicts.append(Verdict(diagnostic, NOT_REACHED, "the run failed here before reaching what this finding "
                                                             f"is about: {_event_text(other)}"))
        elif observer is not None:
            # The finding describes no failure, so a clean run refutes nothing by itself:
            # what was recorded about the layer decides.
            verdict, evidence = observer(run, places)
            verdicts.append(Verdict(diagnostic, verdict, evidence))
        elif completed_at.get(where) and where not in blocked:
            call = completed_at[where][0]
            verdicts.append(Verdict(diagnostic, REFUTED, f"{call['layer']} ran here: input {call['inputs']}, "
                                                         f"output {call['output']}, without an error"))
        else:
            verdicts.append(Verdict(diagnostic, NOT_REACHED, "nothing this finding is about ran"))
    # An event is missed when no finding is about any of its places (one event, counted once).
    missed = [event for event in events if not any(place in reported for place in _event_places(spans, event, calls))]
    if target.function is not None and target.function in functions:
        verdicts = _about_the_function(verdicts, functions[target.function], set(report.get("lines_run") or ()))
    return TargetResult(target, verdicts, missed, report, _hint(target, verdicts, functions))


def _expected_events(diagnostic: Diagnostic, events: list[dict], calls: list[dict]) -> list[dict]:
    """The events at a finding's statement that are the failure it predicts (all of them, for most rules)."""
    expected = EXPECTED.get(diagnostic.code)
    return events if expected is None else [e for e in events if expected(diagnostic, e, calls)]


def _about_the_function(verdicts: list[Verdict], span: tuple[int, int], lines_run: set[int]) -> list[Verdict]:
    """path.py:function: the findings inside the function, and those in code it reached (the module's
    top level, the helpers and classes it called); not those of code that never ran, such as other functions."""
    first, last = span
    return [v for v in verdicts
            if v.verdict != NOT_REACHED
            or any(first <= row <= last or row in lines_run for row in _finding_rows(v.diagnostic))]


def _top_level_functions(tree: ast.Module | None) -> dict[str, tuple[int, int]]:
    """The file's top-level functions: name -> (first line, last line), decorators included."""
    if tree is None:
        return {}
    return {
        node.name: (min([node.lineno] + [d.lineno for d in node.decorator_list]), node.end_lineno or node.lineno)
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


def _hint(target: Target, verdicts: list[Verdict], functions: dict[str, tuple[int, int]]) -> str | None:
    """When nothing a finding is about ran because it sits in functions the file never calls: which to trace."""
    if target.function is not None or not verdicts or any(v.verdict != NOT_REACHED for v in verdicts):
        return None
    inside = [name for name, (first, last) in functions.items()
              if any(first <= row <= last for v in verdicts for row in _finding_rows(v.diagnostic))]
    if not inside:
        return None
    names = ", ".join(inside)
    return (f"the findings are inside {'function' if len(inside) == 1 else 'functions'} {names}, which the file "
            f"never calls at its top level: trace {target.path}:{inside[0]} (add --arg NAME=VALUE for its arguments)")


def _event_places(spans: list[tuple[int, int]], event: dict, calls: list[dict]) -> list[tuple]:
    """The statements an event belongs to: where it happened, and for a failure while a model
    ran (no line of the target on the stack), also where the failing layer was called when
    the model was defined."""
    places = [statement_of(spans, event.get("line"))]
    index = event.get("call")
    if index is not None and index < len(calls) and calls[index].get("call_line") is None:
        layer = calls[index]["layer"]
        for call in calls:
            if call["layer"] == layer and call.get("call_line") is not None:
                place = statement_of(spans, call["call_line"])
                if place not in places:
                    places.append(place)
    return places


@dataclass
class _Run:
    """What the tracer recorded, looked up by statement."""

    spans: list[tuple[int, int]]
    calls: list[dict]
    built: list[dict]

    def built_at(self, places: list) -> list[dict]:
        """Completed recurrent calls of layers constructed in these statements."""
        return [c for c in self.calls if c.get("recurrent") and c.get("output") is not None
                and statement_of(self.spans, c.get("built_line")) in places]

    def called_at(self, places: list) -> list[dict]:
        """Completed calls made in these statements."""
        return [c for c in self.calls if c.get("output") is not None and c.get("call_line") is not None
                and statement_of(self.spans, c["call_line"]) in places]

    def failed_built_at(self, places: list) -> list[dict]:
        return [c for c in self.calls if c.get("recurrent") and c.get("error") is not None
                and statement_of(self.spans, c.get("built_line")) in places]


_NOTHING_RAN = (NOT_REACHED, "nothing this finding is about ran")


def _discarded(part: str):  # noqa: ANN202
    """RNN501/RNN502: did anything read the sequence outputs (or the states) of the layer built here?"""

    def observe(run: _Run, places: list) -> tuple[str, str]:
        calls = [c for c in run.built_at(places) if c.get("returned")]
        if not calls:
            return _NOTHING_RAN
        role = "state" if part == "states" else "output"
        items = [(c, i) for c in calls for i in c["returned"] if i["role"] == role
                 and (role == "state" or (i["shape"] is not None and len(i["shape"]) >= 3))]
        used = [(c, i) for c, i in items if i["used"]]
        if not items:
            return REFUTED, f"{calls[0]['layer']} returned no {part}: {calls[0]['output']}"
        if used:
            call, item = used[0]
            line = call.get("call_line") or call.get("built_line")
            return REFUTED, f"the {part} {item['shape']} that {call['layer']} returned (line {line}) were read afterwards"
        call = calls[0]
        shapes = [i["shape"] for i in call["returned"] if i["role"] == role]
        evidence = (f"{call['layer']} returned {part} {shapes} at {len(calls)} call(s), and no layer, Keras operation "
                    "or model output that ran read them")
        if not any(c.get("symbolic") for c in calls):
            evidence += " (eager tensors read by TensorFlow functions are not seen)"
        return CONFIRMED, evidence

    return observe


def _cudnn(run: _Run, places: list) -> tuple[str, str]:
    """RNN403: Keras' own cuDNN eligibility test on the LSTM/GRU built here."""
    built = [b for b in run.built if statement_of(run.spans, b["built_line"]) in places and b["cudnn"] is not None]
    if not built:
        return _NOTHING_RAN
    refused = [b for b in built if b["cudnn"] is False]
    if refused:
        return CONFIRMED, f"{refused[0]['layer']} is not eligible for the cuDNN kernel ({refused[0]['test']})"
    return REFUTED, f"{built[0]['layer']} is eligible for the cuDNN kernel ({built[0]['test']})"


def _unroll(run: _Run, places: list) -> tuple[str, str]:
    """RNN404: the unrolled layer's input length as it ran (or the error unrolling raised)."""
    failed = run.failed_built_at(places)
    if failed:
        error = failed[0]["error"]
        return CONFIRMED, f"{failed[0]['layer']} raised: {error['type']}: {error['message']}"
    calls = [c for c in run.built_at(places) if c["flags"].get("unroll")]
    if not calls:
        return _NOTHING_RAN
    for call in calls:
        inputs = call.get("inputs")
        steps = inputs[1] if isinstance(inputs, list) and len(inputs) > 1 and not isinstance(inputs[1], list) else 0
        if steps is None or steps > 100:
            length = "an undefined time dimension" if steps is None else f"{steps} time steps"
            return CONFIRMED, f"{call['layer']} ran unrolled over {length} (input {inputs})"
    return REFUTED, f"{calls[0]['layer']} ran unrolled over a short input {calls[0].get('inputs')}"


def _merged_order(run: _Run, places: list) -> tuple[str, str]:
    """RNN405: the merge at this statement received a backwards and a forwards sequence."""
    merges = [c for c in run.called_at(places) if not c.get("recurrent") and c.get("fed_by")]
    if not merges:
        return _NOTHING_RAN
    for merge in merges:
        orders = [f for f in merge["fed_by"] if f["role"] == "output" and f.get("reversed") is not None]
        backwards = next((f for f in orders if f["reversed"]), None)
        forwards = next((f for f in orders if not f["reversed"]), None)
        if backwards and forwards:
            return CONFIRMED, (f"{merge['layer']} merged the output of {backwards['layer']}, which runs backwards in "
                               f"time, with the output of {forwards['layer']}, which runs forwards")
    return REFUTED, f"{merges[0]['layer']} merged no backwards sequence with a forwards one"


def _decoder_last_step(run: _Run, places: list) -> tuple[str, str]:
    """RNN204 (a Dense token output): the projection received a decoder's one-step output."""
    projections = [c for c in run.called_at(places) if not c.get("recurrent") and c.get("fed_by")]
    if not projections:
        return _NOTHING_RAN
    for projection in projections:
        for source in projection["fed_by"]:
            decoder = run.calls[source["call"]]
            output = decoder.get("output")
            first = output[0] if isinstance(output, list) and output and isinstance(output[0], list) else output
            if decoder.get("initial_state") is None or source["role"] != "output" or not isinstance(first, list):
                continue
            if len(first) == 2:
                return CONFIRMED, (f"{projection['layer']} received {tuple(first)}, one step, from {decoder['layer']}, "
                                   "called with initial_state")
            return REFUTED, f"{projection['layer']} received {tuple(first)} from {decoder['layer']}: a sequence"
    return _NOTHING_RAN


def _received_the_list(diagnostic: Diagnostic, event: dict, calls: list[dict]) -> bool:
    """RNN104: the failing layer is the one that received the flagged layer's several tensors."""
    index = event.get("call")
    if index is None or index >= len(calls):
        return False
    sources = [f["call"] for f in calls[index].get("fed_by") or []]
    return any(sources.count(source) >= 2 and source < len(calls)
               and calls[source].get("built_line") == diagnostic.location.row for source in set(sources))


def _names_the_keyword(diagnostic: Diagnostic, event: dict, calls: list[dict]) -> bool:
    """RNN401/RNN402 (a keyword): Keras' error names the keyword the finding names."""
    if diagnostic.origin is None:
        return True
    node = diagnostic.origin[1].node
    if not isinstance(node, ast.keyword) or node.arg is None:
        return diagnostic.code != "RNN401"
    exception = event.get("exception") or {}
    return node.arg in exception.get("message", "")


# Rules whose findings predict which layer fails and how: an event at the finding's statement
# confirms it only when it is that failure (another layer's error at the same statement does not).
EXPECTED = {
    "RNN104": _received_the_list,
    "RNN401": _names_the_keyword,
    "RNN402": _names_the_keyword,
}


# Rules whose findings describe no failure Keras would raise: their verdict comes from
# what was recorded about the layer, not from whether its statement ran cleanly.
OBSERVERS = {
    "RNN204": _decoder_last_step,
    "RNN403": _cudnn,
    "RNN404": _unroll,
    "RNN405": _merged_order,
    "RNN501": _discarded("sequence outputs"),
    "RNN502": _discarded("states"),
}


def _finding_rows(diagnostic: Diagnostic) -> list[int]:
    rows = [diagnostic.location.row]
    if diagnostic.origin is not None:
        _, finding = diagnostic.origin
        if finding.node.lineno not in rows:
            rows.append(finding.node.lineno)
    return rows


def _event_text(event: dict) -> str:
    text = event["what"]
    if event.get("exception"):
        text += f": {event['exception']['type']}: {event['exception']['message']}"
    return text


def render_text(results: list[TargetResult], keras_version: str) -> str:
    from rnnlint.output.text import location_text

    lines: list[str] = []
    counts = {CONFIRMED: 0, REFUTED: 0, NOT_REACHED: 0, MISSED: 0}
    for result in results:
        name = result.target.path + (f":{result.target.function}" if result.target.function else "")
        lines.append(f"{name}: traced with Keras {keras_version} ({result.report.get('seconds', 0):.1f} s)")
        if result.report.get("error"):
            lines.append(f"  error: {result.report['error']}")
        for verdict in result.verdicts:
            counts[verdict.verdict] += 1
            d = verdict.diagnostic
            lines.append(f"  {verdict.verdict}: {location_text(d)}: {d.code} {d.message}")
            lines.append(f"      {verdict.evidence}")
        if result.hint:
            lines.append(f"  hint: {result.hint}")
        for event in result.missed:
            counts[MISSED] += 1
            lines.append(f"  missed: {result.target.path}:{event.get('line')}: {_event_text(event)}")
        for failure in result.report.get("other_failures", []):
            exception = failure["exception"]
            lines.append(f"  other failure at line {failure['line']}: {exception['type']}: {exception['message']}")
        for entry in result.report.get("exercised", []):
            detail = f": {entry['detail']}" if entry["detail"] else ""
            lines.append(f"  exercised model '{entry['model']}': {entry['outcome']}{detail}")
    lines.append(", ".join(f"{count} {verdict}" for verdict, count in counts.items()) + ".")
    return "\n".join(lines) + "\n"


def render_json(results: list[TargetResult], tracer_report: dict) -> str:
    from rnnlint.output.json import as_dict

    data = {
        "keras_version": tracer_report.get("keras_version"),
        "startup_seconds": tracer_report.get("startup_seconds"),
        "targets": [
            {
                "path": r.target.path,
                "function": r.target.function,
                "seconds": r.report.get("seconds"),
                "error": r.report.get("error"),
                "findings": [dict(as_dict(v.diagnostic), trace={"verdict": v.verdict, "evidence": v.evidence})
                             for v in r.verdicts],
                "missed": r.missed,
                "hint": r.hint,
                "other_failures": r.report.get("other_failures", []),
                "exercised": r.report.get("exercised", []),
                "calls": r.report.get("calls", []),
            }
            for r in results
        ],
    }
    return json.dumps(data, indent=2, default=str) + "\n"
