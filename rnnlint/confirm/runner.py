"""`--confirm`: build each finding's reproduction, run them all in one worker, judge, attach.

The worker is a subprocess (`python -m rnnlint.confirm.worker`); this module
never imports Keras.  Answers are cached by the reproduction's text (with the
Keras version and target), so a second run over unchanged findings starts no
worker at all.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import rnnlint
from rnnlint.confirm.keras_env import keras_import_line
from rnnlint.confirm.program import NotCheckable, Reproduction
from rnnlint.diagnostics import Diagnostic

CONFIRMED, NOT_REPRODUCED, NOT_CHECKABLE = "confirmed", "not reproduced", "not checkable"
CACHE_FILE = "confirm.json"
CACHE_FORMAT = 1
DEFAULT_STARTUP_TIMEOUT = 180.0
DEFAULT_TIMEOUT = 60.0


@dataclass
class Outcome:
    status: str
    detail: str
    exception: dict | None = None
    observations: list[str] = field(default_factory=list)
    placeholders: dict[str, object] = field(default_factory=dict)
    note: str = ""
    reproduction: str | None = None
    keras: str | None = None
    cached: bool = False
    seconds: float | None = None

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "detail": self.detail,
            "exception": self.exception,
            "observations": self.observations,
            "placeholders": self.placeholders,
            "note": self.note,
            "keras": self.keras,
            "cached": self.cached,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "reproduction": self.reproduction,
        }


@dataclass
class RunStats:
    """What a confirm run cost, for `--statistics`-like reporting and the tests."""

    startup_seconds: float | None = None
    reproductions_run: int = 0
    cache_hits: int = 0
    run_seconds: list[float] = field(default_factory=list)


class WorkerError(Exception):
    """The worker could not start or stopped answering (the message says why)."""


class Worker:
    """One `python -m rnnlint.confirm.worker` subprocess, talking JSON lines."""

    def __init__(self, target_keras: int = 3, *, timeout: float = DEFAULT_TIMEOUT,
                 startup_timeout: float = DEFAULT_STARTUP_TIMEOUT) -> None:
        self.target_keras = target_keras
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None
        self.answers: queue.Queue = queue.Queue()
        self.keras_version: str | None = None
        self.startup_seconds: float | None = None
        self._stderr = None
        self._next_id = 0

    def start(self) -> None:
        env = dict(os.environ)
        # The worker must run this very rnnlint, whatever is installed.
        root = str(Path(rnnlint.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self._stderr = tempfile.TemporaryFile()
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rnnlint.confirm.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            text=True,
            encoding="utf-8",
        )
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()
        self._send({"target_keras": self.target_keras})
        ready = self._receive(self.startup_timeout, "to import Keras")
        if not ready.get("ready"):
            self.stop()
            raise WorkerError(f"the Keras worker could not import Keras: {ready.get('error')}")
        self.keras_version = ready.get("keras_version")
        self.startup_seconds = time.perf_counter() - started

    def run(self, reproduction: Reproduction) -> dict:
        if self.process is None:
            self.start()
        self._next_id += 1
        self._send(
            {
                "id": self._next_id,
                "constants": reproduction.constants,
                "setup": reproduction.setup,
                "trigger": reproduction.trigger,
                "aside": reproduction.aside,
            }
        )
        return self._receive(self.timeout, "to run a reproduction")

    def stop(self) -> None:
        if self.process is not None:
            try:
                if self.process.stdin:
                    self.process.stdin.close()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
            self.process = None

    def _read(self, stream) -> None:  # noqa: ANN001
        for line in stream:
            try:
                self.answers.put(json.loads(line))
            except json.JSONDecodeError:
                continue
        self.answers.put(None)

    def _send(self, message: dict) -> None:
        assert self.process is not None and self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(message) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as error:
            raise WorkerError(f"the Keras worker stopped: {self._last_error() or error}") from error

    def _receive(self, timeout: float, doing: str) -> dict:
        try:
            answer = self.answers.get(timeout=timeout)
        except queue.Empty:
            self._kill()
            raise WorkerError(f"the Keras worker took more than {timeout:g} s {doing} and was stopped") from None
        if answer is None:
            self._kill()
            raise WorkerError(f"the Keras worker stopped: {self._last_error() or 'no reason given'}")
        return answer

    def _kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def _last_error(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        lines = [line.strip() for line in self._stderr.read().decode("utf-8", "replace").splitlines() if line.strip()]
        return lines[-1] if lines else ""


def installed_keras_version(target_keras: int) -> str:
    """The installed Keras' version, read from package metadata (no import)."""
    try:
        return importlib.metadata.version("tf_keras" if target_keras == 2 else "keras")
    except importlib.metadata.PackageNotFoundError:
        return "?"


def judge(answer: dict, reproduction: Reproduction) -> tuple[str, str]:
    """The outcome of one reproduction: confirmed, not reproduced or not checkable, and why."""
    if answer.get("setup_error"):
        error = answer["setup_error"]
        return NOT_CHECKABLE, (
            f"the reproduction could not be set up ({error['type']}: {error['message']}); "
            "this is a limit of rnnlint's reproduction, not a verdict on the finding"
        )
    raised = answer.get("raised")
    if raised:
        text = f"{raised['type']}: {raised['message']}"
        if reproduction.expects_silence:
            return NOT_REPRODUCED, f"Keras raised {text}, while the finding says Keras accepts this code silently"
        return CONFIRMED, text
    if answer.get("confirmations"):
        return CONFIRMED, "; ".join(answer["confirmations"])
    return NOT_REPRODUCED, (
        "Keras ran the reproduction without an error and without the misbehaviour the finding describes: "
        "the finding may be a false positive"
    )


def well_formed(answer: object) -> bool:
    """Whether `answer` has the worker's shape (worker.run_reproduction): a hand-edited or corrupt cache
    entry (`{"raised": 5}`, `[]`) is run again, never judged."""
    if not isinstance(answer, dict):
        return False
    for key in ("setup_error", "raised"):
        error = answer.get(key)
        if error is not None and not (
            isinstance(error, dict) and isinstance(error.get("type"), str) and isinstance(error.get("message"), str)
        ):
            return False
    for key in ("confirmations", "observations"):
        items = answer.get(key)
        if items is not None and not (isinstance(items, list) and all(isinstance(item, str) for item in items)):
            return False
    seconds = answer.get("seconds")
    return seconds is None or (type(seconds) in (int, float))


class Cache:
    """Answers by the reproduction's text: `<cache dir>/confirm.json`."""

    def __init__(self, directory: str | Path | None) -> None:
        self.path = Path(directory) / CACHE_FILE if directory is not None else None
        self.entries: dict[str, dict] = {}
        self.dirty = False
        if self.path is not None and self.path.is_file():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(data, dict) and data.get("format") == CACHE_FORMAT and isinstance(data.get("entries"), dict):
                    self.entries = data["entries"]
            except (OSError, ValueError, RecursionError):
                self.entries = {}

    def get(self, key: str) -> dict | None:
        """The cached answer, or None (run it again) when there is none or it is not shaped like a worker's."""
        answer = self.entries.get(key)
        return answer if well_formed(answer) else None

    def put(self, key: str, answer: dict) -> None:
        self.entries[key] = answer
        self.dirty = True

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            gitignore = self.path.parent / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# Created by rnnlint: the cache of --confirm.\n*\n", encoding="utf-8")
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps({"format": CACHE_FORMAT, "entries": self.entries}), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:
            pass  # a cache that cannot be written costs time, never correctness


def confirm(
    diagnostics: Sequence[Diagnostic],
    *,
    target_keras: int = 3,
    cache_dir: str | Path | None = ".rnnlint_cache",
    timeout: float = DEFAULT_TIMEOUT,
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
) -> RunStats:
    """Attach `extra["confirmation"]` to every diagnostic a rule reported from a fact."""
    from rnnlint.confirm.reproductions import build

    stats = RunStats()
    cache = Cache(cache_dir)
    version = installed_keras_version(target_keras)
    keras_import = keras_import_line(target_keras)
    worker: Worker | None = None
    broken: str | None = None
    try:
        for diagnostic in diagnostics:
            if diagnostic.origin is None:
                continue
            fact, finding = diagnostic.origin
            try:
                reproduction = build(diagnostic.code, fact, finding)
            except NotCheckable as reason:
                diagnostic.extra["confirmation"] = Outcome(NOT_CHECKABLE, str(reason)).as_dict()
                continue
            outcome = Outcome(
                NOT_CHECKABLE,
                "",
                placeholders={name: value for name, value, _ in reproduction.placeholders},
                note=reproduction.note,
                reproduction=reproduction.text(keras_import),
                keras=version,
            )
            key = reproduction.cache_key(version, target_keras)
            answer = cache.get(key)
            if answer is not None:
                stats.cache_hits += 1
                outcome.cached = True
            elif broken is not None:
                outcome.detail = broken
            else:
                try:
                    if worker is None:
                        worker = Worker(target_keras, timeout=timeout, startup_timeout=startup_timeout)
                        worker.start()
                        stats.startup_seconds = worker.startup_seconds
                        version = worker.keras_version or version
                    answer = worker.run(reproduction)
                    stats.reproductions_run += 1
                    stats.run_seconds.append(answer.get("seconds") or 0.0)
                    cache.put(key, answer)
                except WorkerError as error:
                    outcome.detail = str(error)
                    if worker is not None and worker.keras_version is not None:
                        worker = None  # it was killed mid-run: the next reproduction starts a fresh one
                    else:
                        broken = str(error)  # it never started: do not try again for every finding
            if answer is not None:
                outcome.status, outcome.detail = judge(answer, reproduction)
                outcome.exception = answer.get("raised") or answer.get("setup_error")
                outcome.observations = list(answer.get("observations") or [])
                outcome.seconds = answer.get("seconds")
            diagnostic.extra["confirmation"] = outcome.as_dict()
    finally:
        if worker is not None:
            worker.stop()
        cache.save()
    return stats
