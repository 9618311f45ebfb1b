"""How the worker and the tracer subprocesses import Keras (never imported by the rnnlint process).

Keras 3 runs on the TensorFlow backend; `target_keras=2` selects tf-keras, the
Keras 2 that TensorFlow keeps as `tf_keras` (`TF_USE_LEGACY_KERAS=1` makes
`tf.keras` point at it too, so user code written for tf.keras sees the same classes).
"""

from __future__ import annotations

import os
import sys


def prepare_environment(target_keras: int) -> None:
    """Set before TensorFlow is imported: the backend, the Keras flavour, and quiet logs."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ["KERAS_BACKEND"] = "tensorflow"
    if target_keras == 2:
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
    else:
        os.environ.pop("TF_USE_LEGACY_KERAS", None)


def import_keras(target_keras: int):  # noqa: ANN201 - the keras module
    prepare_environment(target_keras)
    if target_keras == 2:
        import tf_keras as keras
    else:
        import keras
    return keras


def keras_import_line(target_keras: int) -> str:
    return "import tf_keras as keras" if target_keras == 2 else "import keras"


def protocol_stream():  # noqa: ANN201 - a text file
    """A private copy of stdout for JSON messages; fd 1 then points at stderr.

    TensorFlow and user code print to stdout (from Python and from C++); none of
    that may be mistaken for a protocol message.
    """
    sys.stdout.flush()
    private = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return private
