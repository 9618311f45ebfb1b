"""The differential suite: every rule's examples against the real Keras.

RULES.md and the rules' docstrings make claims about what Keras does.  These
tests check them with the installed Keras (3, and tf-keras 2 where noted):

- every INVALID example's findings are rebuilt by the --confirm machinery and
  must come out `confirmed` (error rules: Keras raises, or the program shows the
  wrong structure; warning rules: the misbehaviour the rule describes);
- every INVALID example of an error rule, executed itself (free names such as
  `x` bound to small `keras.Input`s, then every model and tensor it leaves behind
  predicted on random data), must raise - or be listed in SILENT_ERRORS with
  what Keras does instead;
- every VALID example, executed the same way, must build and predict.

Free names the example reads are bound to small `keras.Input`s (SHAPES), to
other values (VALUES), or, when the example calls them (`use(h, c)`), to a
function doing nothing; the example's own `keras.Input`s are the model's inputs
too.  Examples that cannot run on their own are listed in NOT_RUNNABLE with the
reason; VALID examples written for Keras 2 run on tf-keras (KERAS_2); INVALID
examples whose finding exists only under Keras 3 are checked, on the Keras 2
leg, to run on tf-keras (KERAS_3_ONLY).
"""

from __future__ import annotations

import ast
import builtins
import importlib.metadata
import re

import pytest

from rnnlint.api import lint_source
from rnnlint.confirm.program import Reproduction
from rnnlint.confirm.reproductions import BUILDERS, build
from rnnlint.confirm.runner import CONFIRMED, judge
from rnnlint.rules import all_rules
from rnnlint.settings import Selection, Settings

pytestmark = pytest.mark.keras

# Rules whose claims are not about Keras at all.
NOT_ABOUT_KERAS = {
    "RNN001": "reports files that cannot be parsed; nothing to run",
    "RNN002": "reports `# noqa` comments that suppress nothing; nothing to run",
}

# Examples that cannot run standalone, and why.  Keep this small and honest.
NOT_RUNNABLE = {
    "RNN101-valid-6": "imports LSTM from `mylib`, which does not exist (the example is about an unknown origin)",
    "RNN401-valid-5": "imports LSTM from `mylib`, which does not exist (the example is about an unknown origin)",
    "RNN402-valid-4": "imports CuDNNLSTM from `mylib`, which does not exist (the example is about an unknown origin)",
    "RNN201-valid-5": "misspells return_sequences, which Keras refuses (RNN401's finding); the example shows RNN201 "
    "stays silent about the mistake RNN401 reports",
}

# INVALID examples of *error* rules that Keras 3 runs without raising: the program
# is still certainly wrong (the confirm reproduction shows how), but "Keras raises"
# is not true of them.  Each entry says what Keras does instead.
SILENT_ERRORS = {
    "RNN102-invalid-1": "enc(x)[1] on a symbolic GRU output picks batch row 1: a (8,) tensor, and predict runs",
    "RNN103-invalid-1": "res * 2 repeats the Python list [output, h] into 4 tensors; nothing raises",
    "RNN301-invalid-3": "Keras 3's GRU given an encoder's whole result [output, h] takes the output as its state and "
    "ignores h; predict runs (tf-keras 2 raises)",
    "RNN303-invalid-0": "Keras 3's GRU given an LSTM's [h, c] uses h and ignores c; predict runs (tf-keras 2 raises)",
    "RNN303-invalid-3": "Keras 3's Bidirectional(GRU) given [fwd_h, fwd_c, bwd_h, bwd_c] uses the h states and ignores "
    "the c states; predict runs (tf-keras 2 raises)",
}

# Examples whose free names need another shape than (TIME, FEATURES).
SHAPES = {"RNN201-valid-4": {"x": "(TIME, 6, 6, 2)"}}

# Examples whose free names are not tensors: the value to bind them to.
VALUES = {
    "RNN401-valid-4": {"options": "{'return_sequences': True}"},
    "RNN502-valid-3": {"xs": "[keras.Input(shape=(TIME, FEATURES)) for _ in range(2)]"},
}

# Examples that only define a function: how to call it (with the flag value that makes sense).
CALLS = {
    "RNN101-valid-4": "a = make(x, True)",
    "RNN102-valid-4": "y = f(x, True)",
    "RNN104-valid-2": "model = build(False)",
    "RNN201-valid-3": "y = block(x, True)",
    "RNN302-invalid-3": "y = build(x, z)",
    "RNN302-invalid-4": "y = build(x, z, 16)",
    "RNN302-valid-6": "y = build(x, z, 16)",
    "RNN302-valid-7": "y = build(x, z, 16, 16)",
}

# VALID examples written for Keras 2: they run on tf-keras (`--target-keras 2`), and Keras 3
# rejects them for a reason another rule (or no rule) is about.
KERAS_2 = {
    "RNN302-valid-4": "tf.concat on symbolic tensors: tf-keras wraps TF ops in layers, Keras 3 refuses them",
    "RNN304-valid-3": "batch_input_shape= is Keras 2 API (RNN402 reports it under Keras 3)",
    "RNN405-valid-1": "tf.reverse on symbolic tensors: tf-keras wraps TF ops in layers, Keras 3 refuses them",
    "RNN103-valid-5": "tf.stack on symbolic tensors: tf-keras wraps TF ops in layers, Keras 3 refuses them",
}

# INVALID examples whose finding exists only under Keras 3: Keras 2 has what Keras 3 removed,
# so `--target-keras 2` is silent.  The Keras 2 leg checks that tf-keras indeed accepts them.
KERAS_3_ONLY = {
    "RNN402-invalid-1": "tf.compat.v1.keras.layers.CuDNNGRU exists in Keras 2",
    "RNN402-invalid-3": "tf.compat.v1.keras.layers.CuDNNLSTM exists in Keras 2",
    "RNN402-invalid-4": "tf-keras' LSTM accepts time_major=",
    "RNN402-invalid-5": "tf-keras' LSTM accepts batch_input_shape=",
    "RNN402-invalid-6": "tf-keras' SimpleRNN accepts implementation= and input_length=",
    "RNN402-invalid-9": "tf.compat.v1.keras.layers.CuDNNLSTM exists in Keras 2",
}

# INVALID examples reaching layers through the standalone `keras` package, which under Keras 2 may
# be multi-backend Keras (up to 2.3; it cannot be installed beside TensorFlow 2.16+): the Keras 2 leg
# checks only that `--target-keras 2` is silent.
MULTI_BACKEND_KERAS_2 = {
    "RNN402-invalid-7": "multi-backend Keras 2 has keras.layers.CuDNNLSTM",
    "RNN402-invalid-8": "multi-backend Keras 2 has keras.layers.CuDNNLSTM",
    "RNN402-invalid-10": "multi-backend Keras 2 converts the Keras-1 names (with a warning)",
    "RNN402-invalid-11": "multi-backend Keras 2 converts consume_less (with a warning)",
    "RNN402-invalid-13": "multi-backend Keras 2 converts output_dim (with a warning)",
}

EXERCISE = '''
def _symbolic(value):
    try:
        return bool(keras.backend.is_keras_tensor(value))
    except Exception:
        return False


def _is_input(value):
    """A keras.Input (Keras 3 and tf-keras keep the InputLayer that made it in _keras_history)."""
    history = getattr(value, "_keras_history", None)
    owner = getattr(history, "operation", None) or getattr(history, "layer", None)
    return isinstance(owner, keras.layers.InputLayer)


def _leaves(value):
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _exercise(namespace):
    """Predict every model and every symbolic tensor the example left behind."""
    inputs, tensors = [], []
    for name, value in list(namespace.items()):
        if name.startswith("_"):
            continue
        if isinstance(value, keras.Model):
            if value.built:
                value.predict(random_like(*value.inputs), verbose=0)
            elif value.layers and isinstance(value.layers[0], keras.layers.Embedding):
                value.predict(np.zeros((BATCH, TIME), dtype="int32"), verbose=0)  # token ids
            else:  # Keras builds it from the first batch, as fit or predict would
                value.predict(np.random.default_rng(0).random((BATCH, TIME, FEATURES), dtype="float32"), verbose=0)
            continue
        leaves = _leaves(value)
        if leaves and all(_symbolic(leaf) for leaf in leaves):
            for leaf in leaves:
                found = inputs if _is_input(leaf) else tensors
                if not any(leaf is known for known in found):
                    found.append(leaf)
    if tensors:
        keras.Model(inputs, tensors).predict(random_like(*inputs), verbose=0)


def _called(*args, **kwargs):
    """Stands for a function the example calls without defining it (`use(h, c)`)."""
    return None
'''


def example_id(rule, kind: str, index: int) -> str:
    return f"{rule.code}-{kind}-{index}"


def examples(kind: str):
    for rule in all_rules():
        if rule.code in NOT_ABOUT_KERAS:
            continue
        for index, example in enumerate(getattr(rule, kind)):
            code = example if isinstance(example, str) else example.code
            yield pytest.param(rule, code, id=example_id(rule, kind, index))


def free_names(code: str) -> list[str]:
    """Names the example reads but never binds (x, src, ...): they become placeholder inputs."""
    tree = ast.parse(code)
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
    loaded = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in loaded:
            loaded.append(node.id)
    # A name read before its first binding (`x = L.GRU(8)(x)`) is free too.
    first_store = {}
    first_load = {}
    for node in ast.walk(tree):  # breadth first: keep the earliest position, not the first met
        if isinstance(node, ast.Name):
            table = first_load if isinstance(node.ctx, ast.Load) else first_store
            table[node.id] = min(table.get(node.id, (node.lineno, node.col_offset)), (node.lineno, node.col_offset))
    free = []
    for name in loaded:
        if hasattr(builtins, name):
            continue
        if name not in bound or (name in first_store and first_load[name][0] < first_store[name][0]) or (
            name in first_store and first_load[name][0] == first_store[name][0] and name in _rebinding_reads(tree)
        ):
            free.append(name)
    return free


def _rebinding_reads(tree: ast.Module) -> set[str]:
    """Names read on the right of an assignment that also binds them (`x = f(x)`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            reads = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
            names |= targets & reads
    return names


def execution(code: str, example: str) -> Reproduction:
    """The example itself as a worker request: placeholders in setup, the example as the trigger."""
    shapes = SHAPES.get(example, {})
    values = VALUES.get(example, {})
    call = CALLS.get(example, "")
    # Function parameters count as free here: an unused placeholder input is harmless.
    names = free_names(code + "\n" + call)
    called = called_names(code + "\n" + call)
    setup = EXERCISE
    for name in names:
        if name in values:
            setup += f"{name} = {values[name]}\n"
        elif name in called:
            setup += f"{name} = _called\n"
        else:
            setup += f"{name} = keras.Input(shape={shapes.get(name, '(TIME, FEATURES)')})\n"
    trigger = code + "\n" + (call + "\n") + "_exercise(globals())\n"
    return Reproduction(
        setup=setup,
        trigger=trigger,
        placeholders=(("BATCH", 2, "samples"), ("TIME", 5, "time steps"), ("FEATURES", 4, "features")),
    )


def called_names(code: str) -> set[str]:
    """Names the example calls as functions (`use(h, c)`): free ones become a function doing nothing."""
    return {
        node.func.id for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }


def only(code: str) -> Settings:
    return Settings(selection=Selection(select=(code,)))


# --- INVALID examples: the confirm reproductions --------------------------------------------------


@pytest.mark.parametrize(("rule", "code"), examples("invalid"))
def test_invalid_example_is_confirmed_by_keras(rule, code, keras_worker):
    assert_confirmed(rule, code, keras_worker, only(rule.code))


@pytest.mark.parametrize(("rule", "code"), examples("invalid"))
def test_invalid_example_is_confirmed_by_tf_keras_2(rule, code, request, keras2_worker):
    """The Keras 2 leg: the same reproductions on tf-keras (`--target-keras 2`)."""
    example = request.node.callspec.id
    settings = Settings(selection=Selection(select=(rule.code,)), target_keras=2)
    if example in MULTI_BACKEND_KERAS_2:
        assert not [d for d in lint_source(code, "example.py", settings) if d.code == rule.code]
        return
    if example in KERAS_3_ONLY:
        assert not [d for d in lint_source(code, "example.py", settings) if d.code == rule.code]
        # Where Keras 2 is installed, `import keras` is Keras 2; here that is tf_keras.
        as_keras_2 = re.sub(r"^import keras$", "import tf_keras as keras", code, flags=re.MULTILINE)
        answer = keras2_worker.run(execution(as_keras_2, example))
        assert answer["setup_error"] is None and answer["raised"] is None, (KERAS_3_ONLY[example], answer)
        return
    assert_confirmed(rule, code, keras2_worker, settings)


def assert_confirmed(rule, code, worker, settings) -> None:  # noqa: ANN001
    found = [d for d in lint_source(code, "example.py", settings) if d.code == rule.code]
    assert found, "the INVALID example produced no finding"
    for diagnostic in found:
        fact, finding = diagnostic.origin
        reproduction = build(rule.code, fact, finding)
        answer = worker.run(reproduction)
        status, detail = judge(answer, reproduction)
        assert status == CONFIRMED, f"{status}: {detail}\n--- reproduction ---\n{reproduction.text()}"


@pytest.mark.parametrize(("rule", "code"), examples("invalid"))
def test_invalid_example_of_an_error_rule_raises_when_run(rule, code, request, keras_worker):
    example = request.node.callspec.id
    if rule.severity.value != "error":
        pytest.skip("warning and hint rules describe a silent misbehaviour or waste; the reproduction test checks it")
    if example in NOT_RUNNABLE:
        pytest.skip(NOT_RUNNABLE[example])
    answer = keras_worker.run(execution(code, example))
    assert answer["setup_error"] is None, answer["setup_error"]
    raised = answer["raised"]
    # A NameError is the harness failing to bind a free name, not Keras raising.
    assert raised is None or raised["type"] != "NameError", raised
    if example in SILENT_ERRORS:
        assert raised is None, f"Keras now raises for {example} ({raised}): remove it from SILENT_ERRORS"
    else:
        assert raised is not None, f"Keras {keras_worker.keras_version} ran this INVALID example without an error"


# --- VALID examples: they must build and predict ---------------------------------------------------


@pytest.mark.parametrize(("rule", "code"), examples("valid"))
def test_valid_example_builds_and_predicts(rule, code, request, keras_worker):
    example = request.node.callspec.id
    if example in NOT_RUNNABLE:
        pytest.skip(NOT_RUNNABLE[example])
    worker = request.getfixturevalue("keras2_worker") if example in KERAS_2 else keras_worker
    answer = worker.run(execution(code, example))
    assert answer["setup_error"] is None, answer["setup_error"]
    assert answer["raised"] is None, f"a VALID example fails under Keras {worker.keras_version}: {answer['raised']}"


# --- the lists above stay honest -------------------------------------------------------------------


def test_every_rule_about_keras_has_a_reproduction():
    codes = {rule.code for rule in all_rules()} - set(NOT_ABOUT_KERAS)
    # Rules added without a builder are reported "not checkable" by --confirm; list them here when that happens.
    without = codes - set(BUILDERS)
    assert without == set(), f"rules without a reproduction builder: {sorted(without)}"


def test_listed_examples_exist():
    ids = {
        example_id(rule, kind, index)
        for rule in all_rules()
        for kind in ("valid", "invalid")
        for index in range(len(getattr(rule, kind)))
    }
    for table in (NOT_RUNNABLE, SILENT_ERRORS, SHAPES, VALUES, CALLS, KERAS_2, KERAS_3_ONLY, MULTI_BACKEND_KERAS_2):
        assert set(table) <= ids, set(table) - ids


def test_the_suite_runs_the_installed_keras(keras_worker):
    assert keras_worker.keras_version == importlib.metadata.version("keras")
