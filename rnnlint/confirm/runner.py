"""`--confirm`: build each finding's reproduction, run them all in one worker, judge, attach.

The worker is a subprocess; this module never imports Keras.  The worker runs
isolated (`python -I`: no current directory, no PYTHONPATH, no user site on its
path, so a `keras.py` or `json.py` lying in the linted project is never
imported), with rnnlint's own location put on its path explicitly, and with its
address space capped (RLIMIT_AS).  The whole run has a time budget on top of
the per-reproduction timeout.

Answers are cached by the reproduction's text (with the Keras version and
target), so a second run over unchanged findings starts no worker at all.  The
cache holds verdicts, so a repository must not be able to plant them: by
default it lives in the user's cache directory (`$XDG_CACHE_HOME/rnnlint`, else
`~/.cache/rnnlint`), never inside the linted tree; `--cache-dir` (given on the
command line only) moves it.  Wherever it lives, its entries are untrusted
input: each answer's structure is checked (a malformed one is run again) and
all text that reaches the report is escaped, like Keras' own messages (which
may quote a layer name taken from the linted code).
"""

from __future__ import annotations

import importlib.metadata
import json
import math
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
from rnnlint import privatefiles
from rnnlint.confirm.keras_env import keras_import_line
from rnnlint.confirm.program import NotCheckable, Reproduction
from rnnlint.diagnostics import Diagnostic

CONFIRMED, NOT_REPRODUCED, NOT_CHECKABLE = "confirmed", "not reproduced", "not checkable"
CACHE_FILE = "confirm.json"
CACHE_FORMAT = 1
DEFAULT_STARTUP_TIMEOUT = 180.0
DEFAULT_TIMEOUT = 60.0
# The whole run (worker start-up included): 300 findings must not hold CI for minutes on end.
DEFAULT_BUDGET = 600.0
# The worker's address space.  Importing TensorFlow and running a small LSTM reserves about
# 2.6 GB of it (mostly unused mappings); reproductions are kept small, so 8 GiB leaves room for
# TensorFlow's per-core thread stacks on a large machine and stops a runaway at a size no
# reproduction needs.
DEFAULT_MEMORY_LIMIT = 8 * 1024**3
MAX_CACHE_BYTES = 64 * 1024 * 1024
# The worker is started with `python -I -c BOOTSTRAP ROOT`: only rnnlint's own location is added to
# the isolated path (a checkout run from PYTHONPATH is not on it otherwise).
BOOTSTRAP = (
    "import sys\n"
    "if sys.argv[1] not in sys.path:\n"
    "    sys.path.insert(0, sys.argv[1])\n"
    "from rnnlint.confirm.worker import main\n"
    "sys.exit(main())\n"
)


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
    warning: str | None = None


class WorkerError(Exception):
    """The worker could not start or stopped answering (the message says why)."""


class Worker:
    """One `python -m rnnlint.confirm.worker` subprocess, talking JSON lines."""

    def __init__(self, target_keras: int = 3, *, timeout: float = DEFAULT_TIMEOUT,
                 startup_timeout: float = DEFAULT_STARTUP_TIMEOUT, memory_limit: int | None = DEFAULT_MEMORY_LIMIT) -> None:
        self.target_keras = target_keras
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self.memory_limit = memory_limit
        self.process: subprocess.Popen | None = None
        self.answers: queue.Queue = queue.Queue()
        self.keras_version: str | None = None
        self.startup_seconds: float | None = None
        self._stderr = None
        self._next_id = 0

    def start(self, timeout: float | None = None) -> None:
        # Isolated: the worker must import the installed Keras and this very rnnlint, never a
        # module of the same name in the working directory or on the user's PYTHONPATH.
        env = {name: value for name, value in os.environ.items() if not name.startswith("PYTHON")}
        # glibc reserves 64 MB of address space per malloc arena, up to 8 per core: on a large machine
        # TensorFlow's threads would spend the RLIMIT_AS cap on reservations alone.
        env.setdefault("MALLOC_ARENA_MAX", "2")
        root = str(Path(rnnlint.__file__).resolve().parent.parent)
        self._stderr = tempfile.TemporaryFile()
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", BOOTSTRAP, root],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            text=True,
            encoding="utf-8",
        )
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()
        self._send({"target_keras": self.target_keras, "memory_limit": self.memory_limit})
        ready = self._receive(self.startup_timeout if timeout is None else timeout, "to import Keras")
        if not ready.get("ready"):
            self.stop()
            raise WorkerError(f"the Keras worker could not import Keras: {ready.get('error')}")
        self.keras_version = ready.get("keras_version")
        self.startup_seconds = time.perf_counter() - started

    def run(self, reproduction: Reproduction, timeout: float | None = None) -> dict:
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
        return self._receive(self.timeout if timeout is None else timeout, "to run a reproduction")

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
    if raised and "MemoryError" in raised["type"]:
        return NOT_CHECKABLE, (
            f"the reproduction ran out of the worker's memory cap ({raised['type']}: {raised['message']}); "
            "this is a limit of rnnlint's reproduction, not a verdict on the finding"
        )
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


def user_cache_dir() -> Path | None:
    """Where --confirm keeps its answers by default: the user's cache directory, outside any repository."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):
        home = os.path.expanduser("~")
        if home == "~" or not os.path.isabs(home):
            return None  # no home directory: nothing is cached
        base = os.path.join(home, ".cache")
    return Path(base) / "rnnlint"


def untrusted(text: object) -> str:
    """Text from Keras, the linted code or a cache file, made safe to print on one line.

    Control characters (ESC, CR, newlines, C1), line and paragraph separators and bidirectional
    overrides become backslash escapes: none can move the cursor, start a new output line
    (a CI `::command`) or reorder what the reader sees.
    """
    text = str(text)
    return "".join(ch if ch.isprintable() or ch == " " else _escaped(ch) for ch in text)


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(ch: str) -> str:
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def valid_answer(answer: object) -> bool:
    """Whether an answer (from the worker or the cache) has the structure `judge` reads."""
    if not isinstance(answer, dict):
        return False
    for key in ("setup_error", "raised"):
        error = answer.get(key)
        if error is not None and not (
            isinstance(error, dict) and isinstance(error.get("type"), str) and isinstance(error.get("message"), str)
        ):
            return False
    for key in ("confirmations", "observations"):
        items = answer.get(key, [])
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            return False
    seconds = answer.get("seconds")
    return seconds is None or (type(seconds) in (int, float) and math.isfinite(seconds))


class Cache:
    """Answers by the reproduction's text: `<cache dir>/confirm.json` (untrusted when read back)."""

    def __init__(self, directory: str | Path | None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.path = self.directory / CACHE_FILE if self.directory is not None else None
        self.entries: dict[str, dict] = {}
        self.dirty = False
        self.warning: str | None = None
        if self.path is None:
            return
        try:
            data = json.loads(privatefiles.read(self.path, limit=MAX_CACHE_BYTES).decode("utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError, RecursionError):
            return  # unreadable or corrupted: answers are computed again (and the file replaced)
        if isinstance(data, dict) and data.get("format") == CACHE_FORMAT and isinstance(data.get("entries"), dict):
            self.entries = data["entries"]

    def get(self, key: str) -> dict | None:
        answer = self.entries.get(key)
        return answer if valid_answer(answer) else None

    def put(self, key: str, answer: dict) -> None:
        self.entries[key] = answer
        self.dirty = True

    def save(self) -> None:
        if self.directory is None or not self.dirty:
            return
        try:
            privatefiles.create_once(self.directory, ".gitignore", "# Created by rnnlint: the cache of --confirm.\n*\n")
            data = json.dumps({"format": CACHE_FORMAT, "entries": self.entries}).encode("utf-8")
            privatefiles.replace(self.directory, CACHE_FILE, data)
        except OSError as error:
            # A cache that cannot be written costs time, never correctness; a link is said, though.
            if isinstance(error, privatefiles.UnsafePath):
                self.warning = f"the --confirm cache was not written: {error}"


def confirm(
    diagnostics: Sequence[Diagnostic],
    *,
    target_keras: int = 3,
    cache_dir: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
    budget: float = DEFAULT_BUDGET,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
) -> RunStats:
    """Attach `extra["confirmation"]` to every diagnostic a rule reported from a fact.

    `cache_dir` None caches nothing.  After `budget` seconds no further reproduction is run: the
    findings left get "not checkable" with the reason (cached answers are still given).
    """
    from rnnlint.confirm.reproductions import build

    stats = RunStats()
    cache = Cache(cache_dir)
    version = installed_keras_version(target_keras)
    keras_import = keras_import_line(target_keras)
    worker: Worker | None = None
    broken: str | None = None
    deadline = time.monotonic() + budget
    spent = (f"the --confirm run's time budget ({budget:g} s, --confirm-budget) was spent before this finding's "
             "turn; this is a limit of the run, not a verdict on the finding")
    try:
        for diagnostic in diagnostics:
            if diagnostic.origin is None:
                continue
            fact, finding = diagnostic.origin
            try:
                reproduction = build(diagnostic.code, fact, finding)
            except NotCheckable as reason:
                diagnostic.extra["confirmation"] = _printable(Outcome(NOT_CHECKABLE, str(reason)).as_dict())
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
            remaining = deadline - time.monotonic()
            if answer is not None:
                stats.cache_hits += 1
                outcome.cached = True
            elif broken is not None:
                outcome.detail = broken
            elif remaining <= 0:
                outcome.detail = spent
            else:
                try:
                    if worker is None:
                        worker = Worker(target_keras, timeout=timeout, startup_timeout=startup_timeout,
                                        memory_limit=memory_limit)
                        worker.start(min(startup_timeout, remaining))
                        stats.startup_seconds = worker.startup_seconds
                        version = worker.keras_version or version
                    answer = worker.run(reproduction, min(timeout, max(deadline - time.monotonic(), 0.0)))
                    if not valid_answer(answer):
                        raise WorkerError("the Keras worker gave an answer rnnlint cannot read")
                    stats.reproductions_run += 1
                    stats.run_seconds.append(answer.get("seconds") or 0.0)
                    cache.put(key, answer)
                except WorkerError as error:
                    answer = None
                    outcome.detail = spent if time.monotonic() >= deadline else str(error)
                    if worker is not None and worker.keras_version is not None:
                        worker = None  # it was killed mid-run: the next reproduction starts a fresh one
                    else:
                        broken = outcome.detail  # it never started: do not try again for every finding
            if answer is not None:
                outcome.status, outcome.detail = judge(answer, reproduction)
                outcome.exception = answer.get("raised") or answer.get("setup_error")
                outcome.observations = list(answer.get("observations") or [])
                outcome.seconds = answer.get("seconds")
            diagnostic.extra["confirmation"] = _printable(outcome.as_dict())
    finally:
        if worker is not None:
            worker.stop()
        cache.save()
    stats.warning = cache.warning
    return stats


def _printable(confirmation: dict) -> dict:
    """Every text of an outcome that a report prints, escaped (the program itself is kept as written)."""
    escaped = dict(confirmation)
    for key in ("status", "detail", "note", "keras"):
        if isinstance(escaped.get(key), str):
            escaped[key] = untrusted(escaped[key])
    escaped["observations"] = [untrusted(item) for item in escaped.get("observations") or []]
    if isinstance(escaped.get("exception"), dict):
        escaped["exception"] = {name: untrusted(value) for name, value in escaped["exception"].items()}
    return escaped
