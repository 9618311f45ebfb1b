"""`120/2000 files` on a terminal while a long run goes on: the CLI's view of runner's progress calls.

Shown only on a terminal (a log or a pipe gets nothing), only once the run has taken about a
second (a short run never flickers), rewritten in place at most ten times a second, and erased
before the report is printed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TextIO

# Seconds before anything is shown; RNNLINT_PROGRESS_DELAY overrides it (0 shows it at once).
DELAY = 1.0
_INTERVAL = 0.1  # seconds between two updates of the line


class Progress:
    def __init__(self, stream: TextIO, *, delay: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.stream = stream
        self.delay = _delay_from_environment() if delay is None else delay
        self.clock = clock
        self.start = clock()
        self.last: float | None = None
        self.width = 0

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if now - self.start < self.delay or (self.last is not None and now - self.last < _INTERVAL and done < total):
            return
        self.last = now
        line = f"rnnlint: {done}/{total} files analysed"
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def close(self) -> None:
        """Erase the line (if one was shown), so that what follows starts at the left margin."""
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def _delay_from_environment() -> float:
    try:
        return max(0.0, float(os.environ.get("RNNLINT_PROGRESS_DELAY", DELAY)))
    except ValueError:
        return DELAY


def for_terminal(stream: TextIO, quiet: bool) -> Progress | None:
    """A Progress on `stream` if it is a terminal and the run is not quiet, else None."""
    isatty = getattr(stream, "isatty", None)
    if quiet or isatty is None or not isatty():
        return None
    return Progress(stream)
