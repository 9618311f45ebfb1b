"""Checking findings against the real Keras: `--confirm` and `rnnlint trace`.

Nothing in plain linting imports this package, and this package never imports
TensorFlow or Keras in the rnnlint process: all Keras work happens in a worker
subprocess (`python -m rnnlint.confirm.worker` for `--confirm`,
`python -m rnnlint.confirm.tracer` for `trace`) that talks JSON over its pipes.

- `program.py`: a reproduction (a tiny Keras program) and the `Sketch` that
  writes it from what the analysis knows of a layer.
- `reproductions.py`: one builder per rule code; a rule without one is "not checkable".
- `worker.py` / `runner.py`: the worker subprocess and its client, with the cache.
- `tracer.py` / `trace.py`: the `trace` subcommand (runs the user's code).
"""

from __future__ import annotations

import importlib.util

INSTALL_HINT = "pip install 'rnnlint[trace]'"


def missing_keras(target_keras: int = 3) -> str | None:
    """The module a confirm/trace run needs but cannot find, or None.

    Looked up without importing anything (TensorFlow's import costs seconds).
    """
    needed = ("tensorflow", "keras") if target_keras == 3 else ("tensorflow", "tf_keras")
    for module in needed:
        try:
            if importlib.util.find_spec(module) is None:
                return module
        except (ImportError, ValueError):
            return module
    return None


def missing_keras_message(module: str, what: str = "--confirm") -> str:
    return f"{what} needs Keras on TensorFlow, and `{module}` is not installed: {INSTALL_HINT}"
