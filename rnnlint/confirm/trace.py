"""`rnnlint trace TARGET`: run the target under instrumented Keras and reconcile with the static findings.

The target runs in a subprocess (`python -m rnnlint.confirm.tracer`) with a
timeout; this module never imports Keras.  Reconciliation works statement by
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
import subprocess
import sys
import tempfile
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
        try:
            completed = subprocess.run(
                [sys.executable, "-m", "rnnlint.confirm.tracer"],
                input=json.dumps(request),
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                encoding="utf-8",
                env=env,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise TraceError(f"the traced code did not finish within {timeout:g} s and was stopped") from None
        stderr.seek(0)
        errors = [line for line in stderr.read().decode("utf-8", "replace").splitlines() if line.strip()]
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    if not lines:
        raise TraceError(f"the tracer stopped without a report: {errors[-1] if errors else 'no reason given'}")
    report = json.loads(lines[-1])
    if not report.get("ready"):
        raise TraceError(f"the tracer could not import Keras: {report.get('error')}")
    return report


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
        spans = []
    events = report.get("events", [])
    calls = report.get("calls", [])
    blocked = [tuple(span) for span in report.get("blocked", [])]
    events_at: dict[tuple, list[dict]] = {}
    for event in events:
        events_at.setdefault(statement_of(spans, event.get("line")), []).append(event)
    completed_at: dict[tuple, list[dict]] = {}
    for call in calls:
        if call.get("error") is None and call.get("output") is not None:
            where = statement_of(spans, call.get("call_line") or call.get("built_line"))
            completed_at.setdefault(where, []).append(call)
    verdicts: list[Verdict] = []
    reported: set[tuple] = set()
    for diagnostic in diagnostics:
        if diagnostic.code in ("RNN001", "RNN002"):  # about the file and its comments, not what runs
            continue
        # A finding reported at a helper's call (the misuse exists only for that call's
        # arguments) is about the statement inside the helper too: both are where it may fail.
        places = [statement_of(spans, row) for row in _finding_rows(diagnostic)]
        reported.update(places)
        where = next((place for place in places if events_at.get(place)), places[0])
        if events_at.get(where):
            verdicts.append(Verdict(diagnostic, CONFIRMED, _event_text(events_at[where][0])))
        elif completed_at.get(where) and where not in blocked:
            call = completed_at[where][0]
            verdicts.append(Verdict(diagnostic, REFUTED, f"{call['layer']} ran here: input {call['inputs']}, "
                                                         f"output {call['output']}, without an error"))
        else:
            verdicts.append(Verdict(diagnostic, NOT_REACHED, "nothing this finding is about ran"))
    missed = []
    for where, found in events_at.items():
        if where not in reported:
            missed.extend(found)
    return TargetResult(target, verdicts, missed, report)


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
                "other_failures": r.report.get("other_failures", []),
                "exercised": r.report.get("exercised", []),
                "calls": r.report.get("calls", []),
            }
            for r in results
        ],
    }
    return json.dumps(data, indent=2, default=str) + "\n"
