"""Real-code accuracy (issue 14): constructions wherever they are written, imports of removed
classes, branches known not to run, relations known between unknown values, and the list
from return_state passed to ops.

Each case is written the way real projects write it; each has a clean look-alike that must
stay silent.
"""

from __future__ import annotations

import textwrap

import pytest

from rnnlint.api import lint_source
from rnnlint.settings import Selection, Settings

ALL = Settings(selection=Selection(select=("ALL",)))


def codes(source: str, settings: Settings = ALL) -> list[tuple[int, str]]:
    diagnostics = lint_source(textwrap.dedent(source), "model.py", settings)
    return sorted((d.location.row, d.code) for d in diagnostics)


# --- 1. a construction is a construction wherever it is written ------------------------------

# Each body holds, on its line 3 or below, one construction with a removed keyword (RNN402),
# one with a misspelt keyword (RNN401) and one off the cuDNN kernel (RNN403).
CONSTRUCTIONS = """\
    LSTM(8, time_major=True),
    GRU(8, return_sequence=True),
    LSTM(8, activation="relu"),
"""

PLACES = {
    "staticmethod": "class Factory:\n    @staticmethod\n    def create():\n        return [\n{body}        ]\n",
    "classmethod": "class Factory:\n    @classmethod\n    def create(cls):\n        return [\n{body}        ]\n",
    "staticmethod of a Model": (
        "class Net(keras.Model):\n    @staticmethod\n    def create():\n        return [\n{body}        ]\n"
    ),
    "class body": "class Net:\n    layers_ = [\n{body}    ]\n",
    "comprehension": "stack = [\n    [\n{body}    ]\n    for _ in range(3)\n]\n",
    "lambda": "make = lambda: [\n{body}]\n",
    "default argument": "def build(layers_=[\n{body}]):\n    return layers_\n",
    "async function": "async def build():\n    return [\n{body}    ]\n",
    "generator": "def build():\n    yield [\n{body}    ]\n",
    "decorated function": "import functools\n@functools.lru_cache\ndef build():\n    return [\n{body}    ]\n",
    "nested function": "def outer():\n    def inner():\n        return [\n{body}        ]\n    return inner\n",
    "literal": "CONFIG = {{'layers': (\n{body})}}\n",
    "__main__ body": "if __name__ == '__main__':\n    model = [\n{body}    ]\n",
    "try body": "try:\n    model = [\n{body}    ]\nexcept ValueError:\n    model = None\n",
    "nested class": "class Outer:\n    class Inner:\n        def make(self):\n            return [\n{body}            ]\n",
}


@pytest.mark.parametrize("place", sorted(PLACES))
def test_construction_rules_fire_wherever_the_construction_is_written(place: str) -> None:
    source = "import keras\nfrom keras.layers import GRU, LSTM\n" + PLACES[place].format(body=CONSTRUCTIONS)
    found = [code for _, code in codes(source)]
    assert sorted(found) == ["RNN401", "RNN402", "RNN403"], source


def test_flow_rules_run_in_static_methods_and_custom_layers() -> None:
    source = """\
        import keras
        from keras import layers

        class Blocks:
            @staticmethod
            def encoder(x):
                out, h, c = layers.GRU(8, return_state=True)(x)
                return out

        class Decoder(layers.Layer):
            def call(self, inputs):
                y = layers.LSTM(8)(inputs)
                return layers.LSTM(8)(y)
        """
    assert codes(source) == [(7, "RNN101"), (13, "RNN201")]


def test_a_branch_known_not_to_run_reports_no_construction() -> None:
    source = """\
        from keras import layers
        USE_CUDNN = False
        if USE_CUDNN:
            layer = layers.CuDNNLSTM(8)
        else:
            layer = layers.LSTM(8)
        """
    assert codes(source) == []


def test_code_after_a_return_is_not_reported() -> None:
    source = """\
        from keras import layers
        def build():
            return layers.LSTM(8)
            layers.LSTM(8, time_major=True)
        """
    assert codes(source) == []


def test_a_local_name_shadowing_the_import_is_not_the_keras_class() -> None:
    source = """\
        from keras.layers import LSTM
        class Factory:
            class Inner:
                def make(self, LSTM):
                    return LSTM(8, time_major=True)
        """
    assert codes(source) == []


# --- 2. a removed class at the import -------------------------------------------------------


def test_importing_a_removed_class_is_reported_also_inside_if() -> None:
    source = """\
        import tensorflow as tf
        from keras.layers import Dense, CuDNNLSTM
        if len(tf.config.list_physical_devices("GPU")) > 0:
            from keras.layers import CuDNNGRU as GRU
        else:
            from keras.layers import GRU
        """
    assert codes(source) == [(2, "RNN402"), (4, "RNN402")]


@pytest.mark.parametrize("handler", ["ImportError", "ModuleNotFoundError", "(ImportError, AttributeError)", "Exception", ""])
def test_an_import_guarded_by_an_import_error_handler_is_compatibility_code(handler: str) -> None:
    source = f"""\
        try:
            from tensorflow.keras.layers import CuDNNLSTM as LSTM
        except {handler}:
            from tensorflow.keras.layers import LSTM
        """
    assert codes(source.replace("except :", "except:")) == []


def test_a_guard_for_another_error_does_not_hide_the_import() -> None:
    source = """\
        try:
            from tensorflow.keras.layers import CuDNNLSTM
        except ValueError:
            pass
        """
    assert codes(source) == [(2, "RNN402")]


@pytest.mark.parametrize(
    ("source", "under_keras_2"),
    [
        ("from tensorflow.compat.v1.keras.layers import CuDNNLSTM\n", []),
        # Multi-backend Keras 2 (up to 2.3) has it; tf.keras 2 does not.
        ("from keras.layers import CuDNNLSTM\n", []),
        ("from tensorflow.keras.layers import CuDNNLSTM\n", [(1, "RNN402")]),
    ],
)
def test_the_import_is_judged_against_the_targeted_keras(source: str, under_keras_2: list) -> None:
    keras2 = Settings(selection=Selection(select=("ALL",)), target_keras=2)
    assert codes(source) == [(1, "RNN402")]
    assert codes(source, keras2) == under_keras_2


# --- 3. relations between unknown values ----------------------------------------------------


def test_forward_and_backward_layers_over_one_unknown_tensor() -> None:
    source = """\
        from keras import layers
        def crnn(images):
            x = layers.Conv2D(32, 3)(images)
            x = layers.Reshape((-1, 64))(x)
            fwd = layers.LSTM(64, return_sequences=True)(x)
            bwd = layers.LSTM(64, return_sequences=True, go_backwards=True)(x)
            return layers.average([fwd, layers.Dropout(0.2)(bwd)])

        def aligned(x):
            fwd = layers.LSTM(64, return_sequences=True)(x)
            bwd = layers.LSTM(64, return_sequences=True, go_backwards=True)(x)
            return layers.average([fwd, layers.Lambda(lambda t: t)(bwd)])

        def flipped(x):
            import keras
            fwd = layers.LSTM(64, return_sequences=True)(x)
            bwd = layers.LSTM(64, return_sequences=True, go_backwards=True)(x)
            return layers.add([fwd, keras.ops.flip(bwd, axis=1)])
        """
    assert codes(source) == [(7, "RNN405")]


# --- 5. false alarms -----------------------------------------------------------------------


def test_the_gru_thought_vector_is_not_reported_but_an_lstm_receiver_is() -> None:
    source = """\
        from keras import layers
        encoder = layers.GRU(32)
        context = encoder(source)
        decoded = layers.GRU(32, return_sequences=True)(target, initial_state=context)
        wrong = layers.LSTM(32)(target, initial_state=context)
        use(decoded, wrong)
        """
    assert codes(source) == [(5, "RNN102")]


def test_dead_branch_of_a_class_switch() -> None:
    source = """\
        from keras.layers import GRU, LSTM
        REC = LSTM
        def encoder(x):
            if REC == LSTM:
                out, h, c = REC(8, return_state=True)(x)
                return [h, c]
            elif REC is GRU:
                out, h = REC(8, return_state=True)(x)
                return [h]
            else:
                out, h = REC(8, return_state=True)(x)
                return [h]
        """
    assert codes(source) == []


def test_a_comparison_the_analysis_cannot_decide_keeps_both_branches() -> None:
    source = """\
        from keras.layers import LSTM
        def encoder(x, rec):
            if rec == LSTM:
                out, h, c = rec(8, return_state=True)(x)
            else:
                out, h, c = LSTM(8)(x)
        """
    assert codes(source) == [(6, "RNN101")]


def test_a_misspelt_flag_is_the_only_finding() -> None:
    source = """\
        from keras.layers import LSTM
        x = LSTM(8, return_sequence=True)(inputs)
        y = LSTM(8, return_sequences=True)(x)
        out, h, c = LSTM(8, return_states=True)(y)
        """
    assert codes(source) == [(2, "RNN401"), (4, "RNN401")]


# --- 7. ops over the list from return_state -------------------------------------------------


@pytest.mark.parametrize(
    "call",
    ["keras.ops.tanh(res)", "keras.activations.relu(res)", "tf.reduce_mean(res, axis=1)", "K.mean(res, axis=1)", "tf.nn.relu(res)"],
)
def test_the_state_list_passed_to_a_one_tensor_op(call: str) -> None:
    source = f"""\
        import keras
        import tensorflow as tf
        from tensorflow.keras import backend as K
        res = keras.layers.LSTM(8, return_state=True)(x)
        y = {call}
        """
    assert codes(source) == [(5, "RNN103")]


@pytest.mark.parametrize("call", ["keras.ops.stack(res)", "tf.concat(res, axis=-1)", "tf.add_n(res)", "keras.ops.tanh(res[0])"])
def test_list_taking_ops_and_indexed_outputs_stay_silent(call: str) -> None:
    source = f"""\
        import keras
        import tensorflow as tf
        res = keras.layers.LSTM(8, return_state=True)(x)
        y = {call}
        """
    assert codes(source) == []


@pytest.mark.parametrize("target", [2, 3])
def test_no_accepted_keyword_is_as_close_to_a_flag_as_a_suggestion(target: int) -> None:
    """The interpreter reads a keyword that close to a flag as the misspelt flag, without the signatures."""
    import difflib

    from rnnlint.analysis.interpret import FLAG_KEYWORDS
    from rnnlint.keras.signatures import SUGGEST_CUTOFF, signatures

    close = {
        (signature.name, keyword, flag)
        for signature in signatures(target).classes.values()
        for keyword in signature.keywords - set(FLAG_KEYWORDS)
        for flag in FLAG_KEYWORDS
        if difflib.SequenceMatcher(None, keyword, flag).ratio() >= SUGGEST_CUTOFF
    }
    assert close == set()


def test_state_widths_in_a_known_ratio_of_an_unknown_name() -> None:
    source = """\
        from keras import layers
        def build(src, tgt, latent_dim):
            out, fh, fc, bh, bc = layers.Bidirectional(layers.LSTM(latent_dim, return_state=True))(src)
            h = layers.Concatenate()([fh, bh])
            c = layers.Concatenate()([fc, bc])
            wrong = layers.LSTM(latent_dim)(tgt, initial_state=[h, c])
            right = layers.LSTM(latent_dim * 2)(tgt, initial_state=[h, c])
            latent_dim = 2 * latent_dim
            unrelated = layers.LSTM(latent_dim)(tgt, initial_state=[h, c])
            return wrong, right, unrelated
        """
    assert codes(source) == [(6, "RNN302")]
