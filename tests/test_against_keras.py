"""RNN401/RNN402 against the real libraries: a construction is reported exactly when Keras rejects it.

These run Keras 3 (`keras`) and tf-keras 2 (`tf_keras`) in a subprocess, so the
test process itself never imports them.  Skipped where they are not installed
(they belong to the `trace` extra, not to the default install).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rnnlint.api import lint_source
from rnnlint.settings import Selection, Settings

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.keras,
    pytest.mark.skipif(
        importlib.util.find_spec("keras") is None or importlib.util.find_spec("tf_keras") is None,
        reason="needs keras 3 and tf_keras installed",
    ),
]

CASES = {
    3: [
        "keras.layers.LSTM(8, return_sequence=True)",
        "keras.layers.GRU(8, return_states=True)",
        "keras.layers.Bidirectional(keras.layers.LSTM(8), merge_mod='sum')",
        "keras.layers.LSTM(8, time_major=True)",
        "keras.layers.LSTM(8, batch_input_shape=(4, 10, 8))",
        "keras.layers.SimpleRNN(8, implementation=1)",
        "keras.layers.RNN(keras.layers.LSTMCell(4), time_major=True)",
        "keras.layers.CuDNNLSTM(8)",
        "keras.layers.LSTM(8, implementation=2)",
        "keras.layers.Bidirectional(keras.layers.LSTM(8), weights=None)",
        "keras.layers.LSTM(8, input_shape=(10, 4), name='x', dtype='float32', trainable=False)",
        "keras.layers.ConvLSTM2D(4, 3, seed=1)",
        "keras.layers.GRU(8, use_cudnn=False, reset_after=False)",
        # Keras-1 names (RNN402) and the base-layer keywords Keras 3 still takes.
        "keras.layers.LSTM(8, inner_activation='sigmoid')",
        "keras.layers.GRU(8, consume_less='gpu')",
        "keras.layers.SimpleRNN(8, W_regularizer=None)",
        "keras.layers.ConvLSTM2D(4, 3, dim_ordering='tf')",
        "keras.layers.LSTM(8, input_dim=4)",
    ],
    2: [
        "keras.layers.LSTM(8, use_cudnn=False)",
        "keras.layers.SimpleRNN(8, seed=1)",
        "keras.layers.GRU(8, return_sequence=True)",
        "keras.layers.CuDNNLSTM(8)",
        "keras.layers.LSTM(8, time_major=True, batch_input_shape=(4, 10, 8))",
        "keras.layers.GRU(8, implementation=1, weights=None, input_length=10)",
        "keras.layers.StackedRNNCells([keras.layers.LSTMCell(4)], reverse_state_order=True)",
        "keras.layers.LSTM(8, inner_init='orthogonal', dropout_W=0.1)",
        "keras.layers.GRU(8, consume_less='mem')",
        "keras.layers.LSTM(8, input_dim=4, input_length=10)",
    ],
}

PROBE = """
import json, os, sys, warnings
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
warnings.simplefilter("ignore")
import importlib
keras = importlib.import_module(sys.argv[1])
outcome = {}
for case in json.loads(sys.stdin.read()):
    try:
        eval(case)
        outcome[case] = False
    except Exception:
        outcome[case] = True
print(json.dumps(outcome))
"""


def rejected_by(library: str, cases: list[str]) -> dict[str, bool]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, library],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("target", "library"), [(3, "keras"), (2, "tf_keras")])
def test_construction_reported_exactly_when_keras_rejects_it(target, library):
    settings = Settings(selection=Selection(select=("RNN401", "RNN402")), target_keras=target)
    real = rejected_by(library, CASES[target])
    for case, raised in real.items():
        # The library as the code imports it: `import tf_keras as keras` is tf.keras 2, whose layers lack
        # CuDNNLSTM; a bare `import keras` under Keras 2 may be multi-backend Keras, which has it.
        spelling = "import keras" if library == "keras" else f"import {library} as keras"
        found = lint_source(f"{spelling}\n{case}\n", "t.py", settings)
        assert bool(found) == raised, (target, case, raised, [d.message for d in found])
    assert any(real.values()) and not all(real.values())  # the cases exercise both outcomes


def test_committed_signatures_match_the_installed_libraries():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_signatures.py"), "--check"],
        check=False,
        capture_output=True,
        text=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
