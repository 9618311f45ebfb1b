"""The --confirm worker: `python -m rnnlint.confirm.worker`, one per run.

Started isolated by rnnlint.confirm.runner (`python -I`, rnnlint's location on
the path).  Reads JSON lines on stdin.  The first is
`{"target_keras": 3, "memory_limit": bytes or null}`; the worker caps its own
address space (RLIMIT_AS: an allocation past it raises MemoryError, reported
like any other exception, instead of taking the machine's memory), imports Keras and answers `{"ready": true, "keras_version": ..., "startup_seconds": ...}`
(or `{"ready": false, "error": ...}`).  Each further line is a reproduction
`{"id", "constants", "setup", "trigger", "aside"}`; the answer reports what
happened, without judging (rnnlint.confirm.runner does that):
`{"id", "setup_error", "raised", "confirmations", "observations", "seconds"}`.
"""

from __future__ import annotations

import json
import re
import sys
import time

from rnnlint.confirm.keras_env import import_keras, protocol_stream
from rnnlint.confirm.program import PRELUDE

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def exception_summary(error: BaseException) -> dict:
    """Keras' exception type and the first line of its message that says something."""
    lines = [_ANSI.sub("", line).strip() for line in str(error).splitlines()]
    lines = [line for line in lines if line]
    message = lines[0] if lines else ""
    # Keras 3 wraps errors raised inside call(): the cause is on a later line.
    if message.startswith("Exception encountered when calling") and len(lines) > 1:
        cause = next((line for line in lines[1:] if not line.startswith("Arguments received")), "")
        if cause:
            message = f"{message.rstrip('.')}: {cause}"
    if len(message) > 240:
        message = message[:240].rstrip() + " ..."
    return {"type": type(error).__name__, "message": message}


def run_reproduction(request: dict, keras) -> dict:  # noqa: ANN001
    started = time.perf_counter()
    try:
        keras.backend.clear_session()
    except Exception:  # noqa: BLE001 - a fresh session is a nicety, not a requirement
        pass
    confirmations: list[str] = []
    observations: list[str] = []
    namespace: dict = {"keras": keras, "__name__": "__reproduction__"}
    exec(compile(PRELUDE, "<prelude>", "exec"), namespace)
    namespace["confirmed"] = lambda text: confirmations.append(str(text))
    namespace["observe"] = lambda text: observations.append(str(text))
    answer: dict = {"id": request.get("id"), "setup_error": None, "raised": None}
    try:
        exec(compile(request.get("constants", "") + request["setup"], "<setup>", "exec"), namespace)
    except Exception as error:  # noqa: BLE001 - reported, it is the point
        answer["setup_error"] = exception_summary(error)
    else:
        try:
            exec(compile(request["trigger"], "<reproduction>", "exec"), namespace)
        except Exception as error:  # noqa: BLE001 - Keras' exception is the evidence
            answer["raised"] = exception_summary(error)
        if request.get("aside"):
            try:
                exec(compile(request["aside"], "<observation>", "exec"), namespace)
            except Exception as error:  # noqa: BLE001 - observations are optional
                summary = exception_summary(error)
                observations.append(f"(the extra observation failed: {summary['type']}: {summary['message']})")
    answer.update(confirmations=confirmations, observations=observations, seconds=time.perf_counter() - started)
    return answer


def limit_memory(limit: object) -> None:
    """Cap the address space of this process at `limit` bytes (never raising an existing lower cap)."""
    if type(limit) is not int or limit <= 0:
        return
    try:
        import resource
    except ImportError:  # not on this platform (Windows): no cap
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or limit < soft:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main() -> int:
    out = protocol_stream()

    def send(message: dict) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    first = sys.stdin.readline()
    if not first:
        return 0
    request = json.loads(first)
    target = int(request.get("target_keras", 3))
    limit_memory(request.get("memory_limit"))
    started = time.perf_counter()
    try:
        keras = import_keras(target)
        version = getattr(keras, "__version__", "?")
    except Exception as error:  # noqa: BLE001 - told to the parent in one line
        send({"ready": False, "error": f"{type(error).__name__}: {error}"})
        return 1
    send({"ready": True, "keras_version": version, "startup_seconds": time.perf_counter() - started})
    for line in sys.stdin:
        if not line.strip():
            continue
        send(run_reproduction(json.loads(line), keras))
    return 0


if __name__ == "__main__":
    sys.exit(main())
