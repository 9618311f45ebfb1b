"""A deterministic generator of Keras model files, for the benchmark (scripts/bench.py).

Each file holds several models with recurrent layers, written the ways people
write them: functional, `Sequential([...])`, `Sequential().add(...)` in loops,
subclassed `keras.Model`s, helper functions that build blocks, and several
import spellings.  Around them sits the code a real training script carries
(data preparation, a training loop, argument parsing), so files are 100-300
lines.  Most models are correct; about one in eight carries one planted bug of
a kind rnnlint reports, and `write_tree` returns how many were planted so the
benchmark can check the linter did real work.

File `i` depends only on (seed, i): a tree of 500 files is the first 500 files
of a tree of 5,000.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BUG_RATE = 0.12


@dataclass
class Spelling:
    """How a file names Keras: `tf.keras.layers.LSTM`, `layers.LSTM`, or a bare `LSTM`."""

    header: list[str]
    layer_prefix: str  # "" for names imported directly
    keras_prefix: str  # where Input / Model / Sequential live
    direct: bool = False
    used: set[str] = field(default_factory=set)

    def layer(self, name: str) -> str:
        if self.direct:
            self.used.add(name)
        return f"{self.layer_prefix}{name}"

    def top(self, name: str) -> str:
        return f"{self.keras_prefix}{name}"

    def import_lines(self) -> list[str]:
        if not self.direct:
            return self.header
        names = sorted(self.used)
        lines = ["from tensorflow.keras.layers import ("]
        lines += [f"    {name}," for name in names]
        return self.header + lines + [")"]


def _spelling(rng: random.Random) -> Spelling:
    choice = rng.randrange(5)
    if choice == 0:
        return Spelling(["import tensorflow as tf"], "tf.keras.layers.", "tf.keras.")
    if choice == 1:
        return Spelling(["import keras", "from keras import layers"], "layers.", "keras.")
    if choice == 2:
        return Spelling(["from tensorflow import keras", "from tensorflow.keras import layers as L"], "L.", "keras.")
    if choice == 3:
        return Spelling(["import keras"], "keras.layers.", "keras.")
    return Spelling(["from tensorflow import keras"], "", "keras.", direct=True)


@dataclass
class Model:
    lines: list[str]
    planted: int  # bugs rnnlint should report in these lines


def _flag(value: bool) -> str:
    return "True" if value else "False"


# --- model templates: each returns the model's source lines and the bugs it planted ----------------


def stacked_classifier(k: Spelling, rng: random.Random, name: str, bug: bool) -> Model:
    steps, features, units = rng.choice((20, 50, 100)), rng.choice((8, 16, 32)), rng.choice((32, 64, 128))
    cell = rng.choice(("LSTM", "GRU"))
    return Model(
        [
            f"def build_{name}(num_classes={rng.randrange(2, 12)}):",
            f'    """A stacked {cell} classifier over ({steps}, {features}) windows."""',
            f"    inputs = {k.top('Input')}(shape=({steps}, {features}))",
            f"    x = {k.layer(cell)}({units}, return_sequences={_flag(not bug)})(inputs)",
            f"    x = {k.layer('Dropout')}({rng.choice((0.1, 0.2, 0.3))})(x)",
            f"    x = {k.layer(cell)}({units // 2})(x)",
            f"    x = {k.layer('Dense')}({units // 2}, activation='relu')(x)",
            f"    outputs = {k.layer('Dense')}(num_classes, activation='softmax')(x)",
            f"    model = {k.top('Model')}(inputs, outputs, name='{name}')",
            "    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])",
            "    return model",
        ],
        1 if bug else 0,
    )


def seq2seq(k: Spelling, rng: random.Random, name: str, bug: bool) -> Model:
    latent, src, dst = rng.choice((128, 256, 512)), rng.randrange(40, 120), rng.randrange(40, 120)
    return Model(
        [
            f"def build_{name}():",
            '    """Character-level sequence to sequence: the encoder\'s states start the decoder."""',
            f"    encoder_inputs = {k.top('Input')}(shape=(None, {src}))",
            f"    encoder = {k.layer('LSTM')}({latent}, return_state={_flag(not bug)})",
            "    encoder_outputs, state_h, state_c = encoder(encoder_inputs)",
            "    encoder_states = [state_h, state_c]",
            "",
            f"    decoder_inputs = {k.top('Input')}(shape=(None, {dst}))",
            f"    decoder_lstm = {k.layer('LSTM')}({latent}, return_sequences=True, return_state=True)",
            "    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)",
            f"    decoder_dense = {k.layer('Dense')}({dst}, activation='softmax')",
            "    decoder_outputs = decoder_dense(decoder_outputs)",
            f"    model = {k.top('Model')}([encoder_inputs, decoder_inputs], decoder_outputs)",
            "    model.compile(optimizer='rmsprop', loss='categorical_crossentropy')",
            "    return model",
        ],
        1 if bug else 0,
    )


def sequential_tagger(k: Spelling, rng: random.Random, name: str, bug: bool) -> Model:
    vocab, dim, units = rng.randrange(1000, 30000), rng.choice((64, 100, 128)), rng.choice((32, 64))
    return Model(
        [
            f"def build_{name}(num_tags={rng.randrange(5, 40)}):",
            '    """A bidirectional tagger: one label per token."""',
            f"    model = {k.top('Sequential')}(",
            "        [",
            f"            {k.layer('Embedding')}({vocab}, {dim}, mask_zero=True),",
            f"            {k.layer('Bidirectional')}({k.layer('LSTM')}({units}, return_sequences=True)),",
            f"            {k.layer('Dropout')}(0.25),",
            f"            {k.layer('GRU')}({units}, return_sequences={_flag(not bug)}),",
            f"            {k.layer('TimeDistributed')}({k.layer('Dense')}(num_tags, activation='softmax')),",
            "        ]",
            "    )",
            "    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')",
            "    return model",
        ],
        1 if bug else 0,
    )


def sequential_added(k: Spelling, rng: random.Random, name: str, bug: bool) -> Model:
    depth, units = rng.randrange(2, 5), rng.choice((32, 64, 128))
    cell = rng.choice(("LSTM", "GRU", "SimpleRNN"))
    lines = [
        f"def build_{name}(window={rng.choice((30, 60, 90))}, features={rng.randrange(1, 12)}):",
        '    """A deep forecaster, stacked layer by layer."""',
        f"    model = {k.top('Sequential')}()",
        f"    model.add({k.top('Input')}(shape=(window, features)))",
        f"    for i in range({depth}):",
        f"        model.add({k.layer(cell)}({units}, return_sequences=i < {depth - 1}))",
        f"        model.add({k.layer('Dropout')}(0.2))",
    ]
    if bug:
        lines.append(f"    model.add({k.layer('Conv1D')}({units}, 3, padding='same'))")
    lines += [
        f"    model.add({k.layer('Dense')}(1))",
        "    model.compile(optimizer='adam', loss='mse', metrics=['mae'])",
        "    return model",
    ]
    return Model(lines, 1 if bug else 0)


def subclassed_encoder(k: Spelling, rng: random.Random, name: str, bug: bool) -> Model:
    vocab, units = rng.randrange(2000, 20000), rng.choice((256, 512, 1024))
    class_name = "".join(part.title() for part in name.split("_"))
    unpack = "output, state, extra = self.gru(x)" if bug else "output, state = self.gru(x)"
    return Model(
        [
            f"class {class_name}({k.top('Model')}):",
            '    """An encoder for attention: every step\'s output, and the final state."""',
            "",
            f"    def __init__(self, vocab_size={vocab}, embedding_dim=256, units={units}):",
            "        super().__init__()",
            "        self.units = units",
            f"        self.embedding = {k.layer('Embedding')}(vocab_size, embedding_dim)",
            f"        self.gru = {k.layer('GRU')}(",
            "            units, return_sequences=True, return_state=True, recurrent_initializer='glorot_uniform'",
            "        )",
            "",
            "    def call(self, x, hidden=None):",
            "        x = self.embedding(x)",
            f"        {unpack}",
            "        return output, state",
            "",
            "    def initialize_hidden_state(self, batch_size):",
            "        return [batch_size, self.units]",
        ],
        1 if bug else 0,
    )


def attention_model(k: Spelling, rng: random.Random, name: str, bug: bool) -> Model:
    units, steps = rng.choice((64, 128)), rng.choice((10, 25, 40))
    return Model(
        [
            f"def build_{name}():",
            '    """Luong-style attention of a decoder over the encoder\'s outputs."""',
            f"    source = {k.top('Input')}(shape=({steps}, 16))",
            f"    target = {k.top('Input')}(shape=({steps}, 16))",
            f"    encoded = {k.layer('LSTM')}({units}, return_sequences={_flag(not bug)})(source)",
            f"    decoded = {k.layer('LSTM')}({units}, return_sequences=True)(target)",
            f"    context = {k.layer('Attention')}()([decoded, encoded])",
            f"    merged = {k.layer('Concatenate')}()([decoded, context])",
            f"    outputs = {k.layer('TimeDistributed')}({k.layer('Dense')}(16))(merged)",
            f"    return {k.top('Model')}([source, target], outputs)",
        ],
        1 if bug else 0,
    )


def autoencoder(k: Spelling, rng: random.Random, name: str, bug: bool) -> Model:
    steps, features, units = rng.choice((30, 60)), rng.randrange(1, 8), rng.choice((32, 64, 100))
    return Model(
        [
            f"def build_{name}():",
            '    """A sequence autoencoder: encode to one vector, repeat it, decode."""',
            f"    inputs = {k.top('Input')}(shape=({steps}, {features}))",
            f"    encoded = {k.layer('LSTM')}({units}, return_sequences={_flag(bug)})(inputs)",
            f"    repeated = {k.layer('RepeatVector')}({steps})(encoded)",
            f"    decoded = {k.layer('LSTM')}({units}, return_sequences=True)(repeated)",
            f"    outputs = {k.layer('TimeDistributed')}({k.layer('Dense')}({features}))(decoded)",
            f"    autoencoder = {k.top('Model')}(inputs, outputs)",
            "    autoencoder.compile(optimizer='adam', loss='mse')",
            "    return autoencoder",
        ],
        1 if bug else 0,
    )


def helper_blocks(k: Spelling, rng: random.Random, name: str, bug: bool) -> Model:
    units = rng.choice((32, 48, 64))
    with_state = "" if bug else ", with_state=True"
    return Model(
        [
            f"def {name}_block(x, units, with_state=False):",
            '    """One recurrent block; the caller decides whether it wants the states."""',
            f"    return {k.layer('GRU')}(units, return_sequences=True, return_state=with_state)(x)",
            "",
            "",
            f"def build_{name}(block={name}_block):",
            f"    inputs = {k.top('Input')}(shape=(None, 12))",
            f"    x = {name}_block(inputs, {units})",
            f"    x = {name}_block(x, {units // 2})",
            f"    states = {name}_block(x, 16{with_state})[1:]",
            f"    outputs = {k.layer('Dense')}(1)({k.layer('GlobalAveragePooling1D')}()(x))",
            f"    return {k.top('Model')}(inputs, outputs), states",
        ],
        1 if bug else 0,
    )


TEMPLATES: tuple[Callable[[Spelling, random.Random, str, bool], Model], ...] = (
    stacked_classifier,
    seq2seq,
    sequential_tagger,
    sequential_added,
    subclassed_encoder,
    attention_model,
    autoencoder,
    helper_blocks,
)

# --- the code around the models ------------------------------------------------------------------


def _data_helpers(rng: random.Random) -> list[str]:
    window = rng.choice((16, 32, 64))
    return [
        f"WINDOW = {window}",
        f"BATCH_SIZE = {rng.choice((32, 64, 128))}",
        f"EPOCHS = {rng.randrange(5, 50)}",
        "",
        "",
        "def sliding_windows(series, window=WINDOW, horizon=1):",
        '    """Cut a 1-D series into overlapping (window, horizon) pairs."""',
        "    inputs, targets = [], []",
        "    for start in range(len(series) - window - horizon + 1):",
        "        inputs.append(series[start : start + window])",
        "        targets.append(series[start + window : start + window + horizon])",
        "    return np.asarray(inputs)[..., None], np.asarray(targets)",
        "",
        "",
        "def normalise(values, epsilon=1e-8):",
        "    mean = values.mean(axis=0, keepdims=True)",
        "    std = values.std(axis=0, keepdims=True)",
        "    return (values - mean) / (std + epsilon), (mean, std)",
        "",
        "",
        "def tokenize(texts, vocabulary=None, oov='<unk>'):",
        '    """Map words to ids, growing the vocabulary unless one is given."""',
        "    vocabulary = dict(vocabulary or {oov: 1})",
        "    encoded = []",
        "    for text in texts:",
        "        ids = []",
        "        for word in text.lower().split():",
        "            if word not in vocabulary:",
        "                vocabulary[word] = len(vocabulary) + 1",
        "            ids.append(vocabulary.get(word, 1))",
        "        encoded.append(ids)",
        "    return encoded, vocabulary",
        "",
        "",
        "def pad(sequences, length, value=0):",
        "    out = np.full((len(sequences), length), value, dtype='int32')",
        "    for row, sequence in enumerate(sequences):",
        "        trimmed = sequence[-length:]",
        "        out[row, : len(trimmed)] = trimmed",
        "    return out",
    ]


def _training_code(rng: random.Random, builders: list[str]) -> list[str]:
    lines = [
        "def train(model, dataset, validation=None, epochs=EPOCHS):",
        '    """Fit with early stopping; returns the history as a plain dict."""',
        "    callbacks = [",
        "        keras_callbacks.EarlyStopping(patience=3, restore_best_weights=True),",
        "        keras_callbacks.ReduceLROnPlateau(factor=0.5, patience=2),",
        "    ]",
        "    history = model.fit(dataset, validation_data=validation, epochs=epochs, callbacks=callbacks, verbose=2)",
        "    return {name: list(values) for name, values in history.history.items()}",
        "",
        "",
        "def evaluate(model, inputs, targets):",
        "    predictions = model.predict(inputs, batch_size=BATCH_SIZE)",
        "    errors = np.abs(predictions.reshape(targets.shape) - targets)",
        "    return {'mae': float(errors.mean()), 'max': float(errors.max())}",
        "",
        "",
        "def parse_args(argv=None):",
        "    parser = argparse.ArgumentParser(description=__doc__)",
        "    parser.add_argument('--data', type=Path, required=True)",
        "    parser.add_argument('--epochs', type=int, default=EPOCHS)",
        f"    parser.add_argument('--model', choices={sorted(builders)!r}, default={builders[0]!r})",
        "    parser.add_argument('--seed', type=int, default=0)",
        "    return parser.parse_args(argv)",
        "",
        "",
        "def main(argv=None):",
        "    args = parse_args(argv)",
        "    np.random.seed(args.seed)",
        "    series = np.loadtxt(args.data, delimiter=',')",
        "    series, _ = normalise(series)",
        "    inputs, targets = sliding_windows(series)",
        "    builders = {",
    ]
    lines += [f"        {builder!r}: {builder}," for builder in builders]
    lines += [
        "    }",
        "    model = builders[args.model]()",
        "    history = train(model, (inputs, targets), epochs=args.epochs)",
        "    print(json.dumps({'history': history, 'evaluation': evaluate(model, inputs, targets)}))",
        "",
        "",
        'if __name__ == "__main__":',
        "    main()",
    ]
    if rng.random() < 0.5:
        lines[0:0] = [
            "class History(dict):",
            '    """Metrics per epoch, with the best epoch for a metric."""',
            "",
            "    def best(self, metric='val_loss', mode='min'):",
            "        values = self.get(metric, [])",
            "        if not values:",
            "            return None",
            "        pick = min if mode == 'min' else max",
            "        return values.index(pick(values))",
            "",
            "",
        ]
    return lines


def generate_file(seed: int, index: int) -> tuple[str, int]:
    """The source of file `index`, and how many bugs it plants."""
    rng = random.Random(seed * 1_000_003 + index)
    spelling = _spelling(rng)
    count = rng.randrange(3, 7)
    body: list[str] = []
    builders: list[str] = []
    planted = 0
    for number in range(count):
        template = rng.choice(TEMPLATES)
        name = f"{template.__name__}_{index}_{number}"
        model = template(spelling, rng, name, rng.random() < BUG_RATE)
        planted += model.planted
        body += model.lines + ["", ""]
        if model.lines[0].startswith("def build_"):
            builders.append(f"build_{name}")
    builders = builders or ["build_placeholder"]
    if builders == ["build_placeholder"]:
        body += ["def build_placeholder():", "    return None", "", ""]
    header = [
        f'"""Models for experiment {index}: {count} recurrent architectures and the code to train them."""',
        "",
        "import argparse",
        "import json",
        "from pathlib import Path",
        "",
        "import numpy as np",
    ]
    imports = spelling.import_lines() + ["from tensorflow.keras import callbacks as keras_callbacks"]
    lines = header + imports + ["", ""] + _data_helpers(rng) + ["", ""] + body + _training_code(rng, builders)
    return "\n".join(lines) + "\n", planted


def write_tree(root: Path, count: int, seed: int = 8) -> int:
    """Write `count` files under `root` (100 per directory, packages as in a real project); return bugs planted."""
    planted = 0
    for index in range(count):
        directory = root / f"experiments_{index // 100:03}"
        if index % 100 == 0:
            directory.mkdir(parents=True, exist_ok=True)
            (directory / "__init__.py").write_text("")
        text, bugs = generate_file(seed, index)
        (directory / f"model_{index:05}.py").write_text(text)
        planted += bugs
    return planted


# --- a project whose models are spread over modules (whole-project analysis, issue 16) ------------

PROJECT_BUG_RATE = 0.15


def _block_module(rng: random.Random, index: int, blocks: int) -> str:
    """proj/blocks/block_N.py: constants, a module-level layer, and helpers that build layers."""
    lines = [
        f'"""Building blocks {index}: encoders and sequence helpers shared by the models."""',
        "from tensorflow.keras import layers",
        "",
        "from proj import config",
    ]
    if index % 8:  # chains of up to 8 modules, each importing the one before it
        lines.append(f"from .block_{index - 1} import encoder_{index - 1} as previous_encoder")
    lines += [
        "",
        f"UNITS_{index} = config.UNITS + {rng.randrange(1, 9) * 8}",
        f"SHARED_{index} = layers.GRU(UNITS_{index}, return_sequences=True, name='shared_{index}')",
        "",
        "",
        f"def encoder_{index}(units=UNITS_{index}):",
        "    return layers.LSTM(units, return_state=True)",
        "",
        "",
        f"def block_{index}(x, full, units=UNITS_{index}):",
        "    x = layers.Dense(units)(x)",
        "    return layers.LSTM(units, return_sequences=full)(x)",
        "",
        "",
        f"def wide_{index}(x):",
        "    return layers.Bidirectional(layers.GRU(16, return_sequences=True))(x)",
    ]
    if index % 8:
        lines += [
            "",
            "",
            f"def chained_{index}(x):",
            "    out, h, c = previous_encoder()(x)",
            "    return out, [h, c]",
        ]
    return "\n".join(lines) + "\n"


def _model_module(rng: random.Random, index: int, blocks: int) -> tuple[str, int]:
    """proj/models/model_N.py: wires blocks of other modules together; some misuse them."""
    chosen = sorted(rng.sample(range(blocks), 3))
    planted = 0
    relative = rng.random() < 0.5
    lines = [f'"""Model {index}: built from blocks {chosen}."""', "import numpy as np", "from tensorflow import keras", "from tensorflow.keras import layers", ""]
    for number in chosen:
        names = f"encoder_{number}, block_{number}, SHARED_{number}"
        lines.append(f"from ..blocks.block_{number} import {names}" if relative else f"from proj.blocks.block_{number} import {names}")
    lines += ["from proj import config", "", "", f"def build_model_{index}():", "    inputs = keras.Input((20, 8))"]
    first, second, third = chosen
    if rng.random() < PROJECT_BUG_RATE:
        lines.append(f"    out, h = encoder_{first}()(inputs)  # planted: RNN101")
        planted += 1
    else:
        lines.append(f"    out, h, c = encoder_{first}()(inputs)")
    if rng.random() < PROJECT_BUG_RATE:
        lines.append(f"    seq = layers.Dense(8)(block_{second}(inputs, False))")
        lines.append("    seq = layers.GRU(8, return_sequences=True)(seq)  # planted: RNN201")
        planted += 1
    else:
        lines.append(f"    seq = block_{second}(inputs, True)")
    lines += [
        f"    shared = SHARED_{third}(seq)",
        "    pooled = layers.GlobalAveragePooling1D()(shared)",
        "    merged = layers.Concatenate()([out, pooled])",
        "    outputs = layers.Dense(config.CLASSES, activation='softmax')(merged)",
        "    return keras.Model(inputs, outputs)",
        "",
        "",
        "def train(epochs=config.EPOCHS):",
        f"    model = build_model_{index}()",
        "    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')",
        "    data = np.random.rand(64, 20, 8)",
        "    labels = np.random.randint(0, config.CLASSES, size=(64,))",
        "    model.fit(data, labels, epochs=epochs, verbose=0)",
        "    return model",
    ]
    return "\n".join(lines) + "\n", planted


def write_project(root: Path, modules: int, seed: int = 8) -> int:
    """A project of `modules` modules (a third blocks, the rest models importing three blocks each); return bugs planted.

    Every planted bug needs another module to be seen: a helper's layer unpacked into
    too few names (RNN101), a helper's last step fed to a sequence consumer (RNN201).
    The model modules name no recurrent class themselves, except where a bug is planted.
    """
    rng = random.Random(seed * 7_919 + modules)
    blocks = max(3, modules // 3)
    package = root / "proj"
    for directory in (package, package / "blocks", package / "models"):
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0"\n')
    (package / "__init__.py").write_text("from proj.blocks.block_0 import encoder_0 as default_encoder\n")
    (package / "config.py").write_text("UNITS = 32\nCLASSES = 5\nEPOCHS = 3\n")
    for index in range(blocks):
        (package / "blocks" / f"block_{index}.py").write_text(_block_module(rng, index, blocks))
    planted = 0
    for index in range(modules - blocks):
        text, bugs = _model_module(rng, index, blocks)
        (package / "models" / f"model_{index}.py").write_text(text)
        planted += bugs
    return planted


if __name__ == "__main__":
    import sys

    print(generate_file(int(sys.argv[1]) if len(sys.argv) > 1 else 8, int(sys.argv[2]) if len(sys.argv) > 2 else 0)[0])
