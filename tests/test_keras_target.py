"""The Keras target (`--target-keras`, Settings.target_keras) changes which keywords and classes exist."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rnnlint.api import lint_source
from rnnlint.keras.signatures import signatures
from rnnlint.settings import Selection, Settings

ROOT = Path(__file__).resolve().parent.parent


def codes(source: str, target: int, select: str = "RNN4") -> list[tuple[int, str]]:
    settings = Settings(selection=Selection(select=(select,)), target_keras=target)
    return [(d.location.row, d.code) for d in lint_source(source, "t.py", settings)]


def test_keyword_only_keras_3_knows_is_unknown_under_keras_2():
    source = "import keras\nkeras.layers.LSTM(8, use_cudnn=False)\n"
    assert codes(source, 3) == []
    found = lint_source(source, "t.py", Settings(selection=Selection(select=("RNN401",)), target_keras=2))
    assert [d.code for d in found] == ["RNN401"]
    assert "exists only in Keras 3" in found[0].message


def test_keywords_keras_3_removed_are_fine_under_keras_2():
    source = "import tensorflow as tf\ntf.keras.layers.LSTM(8, time_major=True, batch_input_shape=(4, 10, 8))\n"
    assert codes(source, 2) == []
    assert codes(source, 3) == [(2, "RNN402"), (2, "RNN402")]


def test_cudnn_classes_under_keras_2_exist_only_in_the_v1_api():
    v2 = "import tensorflow as tf\ntf.keras.layers.CuDNNLSTM(8)\n"
    v1 = "import tensorflow as tf\ntf.compat.v1.keras.layers.CuDNNLSTM(8)\n"
    assert codes(v2, 2) == [(2, "RNN402")]
    assert codes(v1, 2) == []
    assert codes(v1, 3) == [(2, "RNN402")]
    # Keyword typos are still checked against the v1 class under Keras 2.
    assert codes("import tensorflow as tf\ntf.compat.v1.keras.layers.CuDNNLSTM(8, return_sequence=True)\n", 2) == [
        (2, "RNN401")
    ]


def test_stateful_advice_follows_the_target():
    source = "import keras\nx = keras.Input(shape=(None, 8))\ny = keras.layers.LSTM(8, stateful=True)(x)\n"
    k2 = lint_source(source, "t.py", Settings(selection=Selection(select=("RNN304",)), target_keras=2))
    k3 = lint_source(source, "t.py", Settings(selection=Selection(select=("RNN304",)), target_keras=3))
    assert "batch_input_shape" in k2[0].message and "batch_input_shape" not in k3[0].message


def test_embedding_input_length_declares_the_input_only_in_keras_2():
    """tf-keras builds the Sequential from input_length (and a stateful layer then raises);
    Keras 3 ignores the deprecated argument and takes the batch size from the data."""
    source = (
        "from tensorflow import keras\nmodel = keras.Sequential()\n"
        "model.add(keras.layers.Embedding(100, 8, input_length=10))\nmodel.add(keras.layers.LSTM(8, stateful=True))\n"
    )
    assert codes(source, 2, "RNN304") == [(4, "RNN304")]
    assert codes(source, 3, "RNN304") == []


def test_cli_flag_reaches_the_rules():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    source = "import keras\nkeras.layers.GRU(8, use_cudnn=True)\n"
    run = [sys.executable, "-m", "rnnlint", "-", "--stdin-filename", "t.py", "--output-format", "json"]
    k3 = subprocess.run(run, check=False, input=source, capture_output=True, text=True, env=env)
    k2 = subprocess.run(
        run + ["--target-keras", "2"], check=False, input=source, capture_output=True, text=True, env=env
    )
    assert k3.returncode == 0, k3.stderr
    assert k2.returncode == 1, k2.stderr
    assert [d["code"] for d in json.loads(k2.stdout)] == ["RNN401"]


def test_removed_keywords_come_from_diffing_the_generated_signatures():
    k2, k3 = signatures(2), signatures(3)
    assert k3.library == "keras" and k2.library == "tf_keras"
    removed = k2.get("LSTM").keywords - k3.get("LSTM").keywords
    assert {"time_major", "batch_input_shape", "batch_size"} <= removed
    assert "use_cudnn" in k3.get("LSTM").keywords - k2.get("LSTM").keywords
    assert {"CuDNNLSTM", "CuDNNGRU"} <= set(k2.classes) - set(k3.classes)
    # Base-layer keywords taken through **kwargs are part of the data, not only the signature's parameters.
    assert {"name", "dtype", "trainable", "input_shape"} <= k3.get("GRU").keywords
    assert {"batch_input_shape", "weights"} <= k2.get("GRU").keywords


def test_plain_linting_never_imports_keras_and_loads_signatures_only_for_rnn401_402():
    script = (
        "import json, sys\n"
        "from rnnlint.api import lint_source\n"
        "from rnnlint.settings import Selection, Settings\n"
        "from rnnlint.keras.signatures import signatures\n"
        "src = 'import keras\\nout, h, c = keras.layers.LSTM(8, return_sequence=True)(x)\\n'\n"
        "without = lint_source(src, 't.py', Settings(selection=Selection(select=('RNN1', 'RNN2', 'RNN3', 'RNN5'))))\n"
        "before = signatures.cache_info().currsize\n"
        "found = lint_source(src, 't.py')\n"
        "print(json.dumps({\n"
        "    'before': before,\n"
        "    'after': signatures.cache_info().currsize,\n"
        "    'heavy': sorted(m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow', 'tf_keras')),\n"
        "    'without': sorted({d.code for d in without}),\n"
        "    'codes': sorted({d.code for d in found}),\n"
        "}))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    report = json.loads(result.stdout)
    assert report["before"] == 0  # RNN401/402 not selected: the JSON was never read
    assert report["after"] == 2  # both targets: the other one tells a typo from a removed keyword
    assert report["heavy"] == []
    assert report["without"] == ["RNN101"]
    assert report["codes"] == ["RNN101", "RNN401"]


@pytest.mark.parametrize("target", [2, 3])
def test_every_catalogue_recurrent_class_has_a_signature_or_is_removed(target):
    from rnnlint.keras import catalogue

    known = set(signatures(2).classes) | set(signatures(3).classes)
    for name in list(catalogue.RECURRENT_CLASSES) + list(catalogue.CELL_CLASSES):
        assert name in known, name


# --- Keras-1 keyword names (RNN402), from keras 2.3.1's own conversion table ---------------------

KERAS_1 = {
    "output_dim": "units",
    "inner_activation": "recurrent_activation",
    "init": "kernel_initializer",
    "inner_init": "recurrent_initializer",
    "W_regularizer": "kernel_regularizer",
    "U_regularizer": "recurrent_regularizer",
    "b_regularizer": "bias_regularizer",
    "dropout_W": "dropout",
    "dropout_U": "recurrent_dropout",
    "consume_less": "implementation",
}


@pytest.mark.parametrize("target", [2, 3])
@pytest.mark.parametrize(("old", "new"), sorted(KERAS_1.items()))
def test_keras_1_names_are_removed_api_naming_the_current_keyword(old, new, target):
    from rnnlint.keras.signatures import keras1_names

    assert keras1_names("LSTM").names[old].new == new  # the generated table says so
    # Under Keras 2, tf.keras: the standalone `keras` package may be multi-backend Keras, which converts them.
    spelling = "import keras" if target == 3 else "from tensorflow import keras"
    source = f"{spelling}\nkeras.layers.LSTM(8, {old}=None)\n"
    found = lint_source(source, "t.py", Settings(selection=Selection(select=("RNN401", "RNN402")), target_keras=target))
    assert [d.code for d in found] == ["RNN402"], [d.message for d in found]
    assert f"'{new}'" in found[0].message and "Keras 1" in found[0].message


def test_keras_1_names_through_the_standalone_package_under_keras_2_may_be_multi_backend():
    """Multi-backend Keras (2.0-2.3, `import keras`) still converts Keras-1 names: not a finding under Keras 2."""
    settings = Settings(selection=Selection(select=("RNN401", "RNN402")), target_keras=2)
    assert lint_source("import keras\nkeras.layers.LSTM(output_dim=8, consume_less='gpu')\n", "t.py", settings) == []


@pytest.mark.parametrize("target", [2, 3])
def test_keras_1_renames_are_fixed_only_when_the_meaning_is_unchanged(target):
    from rnnlint.fix import fix_text

    settings = Settings(selection=Selection(select=("RNN402",)), target_keras=target)
    source = (
        ("from keras.layers import LSTM, GRU\n" if target == 3 else "from tensorflow.keras.layers import LSTM, GRU\n")
        + "a = LSTM(output_dim=8, W_regularizer=None)\n"
        "b = GRU(8, consume_less='gpu')\n"
        "c = GRU(8, consume_less='cpu')\n"  # implementation=0: deprecated by Keras 2 itself
        "d = GRU(8, consume_less=mode)\n"  # value unknown
        "e = LSTM(8, forget_bias_init='one')\n"  # converted by code
        "f = LSTM(8, output_dim=8)\n"  # units given by position
        "g = LSTM(output_dim=8, units=8)\n"  # units given by keyword
    )
    fixed = fix_text(source, lambda text: lint_source(text, "t.py", settings)).text
    assert fixed.splitlines()[1:] == [
        "a = LSTM(units=8, kernel_regularizer=None)",
        "b = GRU(8, implementation=2)",
        "c = GRU(8, consume_less='cpu')",
        "d = GRU(8, consume_less=mode)",
        "e = LSTM(8, forget_bias_init='one')",
        "f = LSTM(8, output_dim=8)",
        "g = LSTM(output_dim=8, units=8)",
    ]


def test_keras_1_successor_gone_in_keras_3_is_no_rename():
    """consume_less became implementation, which Keras 3's SimpleRNN no longer takes: drop it, no fix."""
    found = lint_source("import keras\nkeras.layers.SimpleRNN(8, consume_less='gpu')\n", "t.py",
                        Settings(selection=Selection(select=("RNN4",)), target_keras=3))
    assert [d.code for d in found] == ["RNN402"] and found[0].fix is None
    assert "drop it" in found[0].message


@pytest.mark.parametrize("target", [2, 3])
def test_keras_1_look_alikes_stay_silent(target):
    source = (
        "import keras\n"
        "keras.layers.LSTM(8, input_dim=4, input_shape=(None, 4), recurrent_activation='sigmoid')\n"
        "keras.layers.Dense(8, init='uniform')\n"  # not a recurrent layer: not ours
        "from mylib import LSTM\nLSTM(output_dim=8)\n"  # not Keras
    )
    assert codes(source, target, "RNN4") == []


def test_convlstm2d_keras_1_names_map_values():
    settings = Settings(selection=Selection(select=("RNN402",)), target_keras=3)
    from rnnlint.fix import fix_text

    source = "import keras\nkeras.layers.ConvLSTM2D(nb_filter=4, kernel_size=3, dim_ordering='th', border_mode='same')\n"
    fixed = fix_text(source, lambda text: lint_source(text, "t.py", settings)).text
    assert fixed.splitlines()[1] == (
        "keras.layers.ConvLSTM2D(filters=4, kernel_size=3, data_format='channels_first', padding='same')"
    )


# --- the file itself: `import tf_keras`, TF_USE_LEGACY_KERAS (rnnlint.keras.file_target) ----------

REMOVED_IN_3 = "tf.keras.layers.LSTM(8, time_major=True)\n"


def removed_findings(source: str, **settings) -> list[str]:
    found = lint_source(source, "t.py", Settings(selection=Selection(select=("RNN4",)), **settings))
    return [d.code for d in found]


@pytest.mark.parametrize(
    "marker",
    [
        "import tf_keras\n",
        "from tf_keras import layers\n",
        "import tf_keras.layers as KL\n",
        "import os\nos.environ['TF_USE_LEGACY_KERAS'] = '1'\n",
        "import os\nos.environ[\"TF_USE_LEGACY_KERAS\"] = \"True\"\n",
        "import os\nos.environ.setdefault('TF_USE_LEGACY_KERAS', 'true')\n",
        "import os\nos.putenv('TF_USE_LEGACY_KERAS', '1')\n",
        "import os\nos.environ.update({'TF_USE_LEGACY_KERAS': '1'})\n",
        "import os\nos.environ.update(TF_USE_LEGACY_KERAS='1')\n",
        "from os import environ\nenviron['TF_USE_LEGACY_KERAS'] = '1'\n",
        "try:\n    import tf_keras as keras\nexcept ImportError:\n    import keras\n",
    ],
)
def test_a_file_that_says_keras_2_is_linted_as_keras_2(marker):
    source = marker + "import tensorflow as tf\n" + REMOVED_IN_3
    assert removed_findings(source) == []  # target 3 by default, but the file says 2
    assert removed_findings(source, target_keras=3, target_keras_explicit=True) == ["RNN402"]


@pytest.mark.parametrize(
    "look_alike",
    [
        "from tensorflow import keras as tf_keras\n",  # a name, not the tf_keras package
        "# import tf_keras\n",
        "print('pip install tf_keras')\n",
        "import os\nos.environ['TF_USE_LEGACY_KERAS'] = '0'\n",
        "import os\nos.environ.get('TF_USE_LEGACY_KERAS') == '1'\n",
        "config = {}\nconfig['TF_USE_LEGACY_KERAS'] = '1'\n",
        "import mylib.tf_keras\n",
    ],
)
def test_clean_look_alikes_keep_the_target(look_alike):
    source = look_alike + "import tensorflow as tf\n" + REMOVED_IN_3
    assert removed_findings(source) == ["RNN402"]


def test_the_command_line_wins_over_the_file(tmp_path):
    (tmp_path / ".git").mkdir()
    model = tmp_path / "model.py"
    model.write_text("import tf_keras\nimport tensorflow as tf\n" + REMOVED_IN_3)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = [sys.executable, "-m", "rnnlint", "--select", "RNN402", "--output-format", "json", str(model)]
    inferred = subprocess.run(run, check=False, capture_output=True, text=True, env=env, cwd=tmp_path)
    explicit = subprocess.run(run + ["--target-keras", "3"], check=False, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert inferred.returncode == 0, inferred.stdout + inferred.stderr
    assert [d["code"] for d in json.loads(explicit.stdout)] == ["RNN402"]


def test_committed_keras_1_renames_match_the_released_keras():
    """scripts/gen_renames.py --check: pip downloads keras 2.3.1 from PyPI and reads its conversion table with ast."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_renames.py"), "--check"],
        check=False,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert result.returncode == 0, result.stdout + result.stderr
