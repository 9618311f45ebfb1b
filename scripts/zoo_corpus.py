"""A generated tree shaped like a real model zoo, in a git checkout, for scripts/bench.py.

About 2,500 files in ~40 projects: ordinary Python (copies of the standard library's modules, as
stand-ins for data pipelines, utilities and PyTorch/TensorFlow code without recurrent layers), 2%
recurrent Keras files from scripts/keras_corpus.py (with planted bugs), ~1% PyTorch files that use
`nn.LSTM` (they pass rnnlint's prefilter and must stay silent), ~3% notebooks, and 50 nested
`.gitignore` files whose patterns hide generated code, checkpoints and outputs that really exist
(with recurrent files and planted bugs of their own, which must not be reported). The tree is a git
repository: most files are added to the index, a few are left untracked.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import keras_corpus

AREAS = ("official/nlp", "official/vision", "official/recommendation", "research", "community", "tutorials")
TOPICS = ("seq2seq", "tagging", "speech", "forecast", "vision", "ranking", "detection", "translation")
SUBPACKAGES = ("modeling", "data", "utils", "layers", "ops", "configs", "tasks", "serving")
IGNORE_LINES = (
    "__pycache__/",
    "*.pyc",
    "checkpoints/",
    "outputs/",
    "*_pb2.py",
    "runs/",
    "*.egg-info/",
    ".ipynb_checkpoints/",
    "wandb/",
    "*.h5",
    "!keep_pb2.py",
    "/scratch_*.py",
    "generated/**/*.py",
)

TORCH_FILE = '''"""A PyTorch sequence model: it says LSTM, so rnnlint reads it, and must stay silent."""
import torch
from torch import nn


class Tagger{index}(nn.Module):
    def __init__(self, vocab, hidden={hidden}, tags=9):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.lstm = nn.LSTM(hidden, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, tags)

    def forward(self, tokens):
        output, (h, c) = self.lstm(self.embed(tokens))
        return self.out(output)


def train_step(model, batch, optimiser):
    optimiser.zero_grad()
    loss = nn.functional.cross_entropy(model(batch["tokens"]).transpose(1, 2), batch["tags"])
    loss.backward()
    optimiser.step()
    return float(loss)
'''


@dataclass
class Zoo:
    files: int  # source files git lists (tracked or untracked, not ignored)
    recurrent: int
    notebooks: int
    gitignores: int
    ignored: int  # source files that exist but a .gitignore hides
    untracked: int
    planted: int  # bugs in the files a linter should read
    planted_ignored: int  # bugs in hidden files: reporting them would be wrong


def _stdlib_sources() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    return sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts and "test" not in p.parts)[:3000]


def _notebook(rng: random.Random, index: int) -> str:
    cells = [
        "import numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt",
        f"frame = pd.read_csv('results_{index}.csv')\nframe.describe()",
        "for column in frame.columns:\n    plt.plot(frame[column], label=column)\nplt.legend()",
        f"scores = np.array([{', '.join(str(rng.random())[:5] for _ in range(6))}])\nscores.mean(), scores.std()",
    ]
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "metadata": {},
                    "outputs": [],
                    "source": c.splitlines(True),
                }
                for c in cells
            ],
            "metadata": {"language_info": {"name": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


def write_zoo(root: Path, files: int = 2500, seed: int = 8, gitignores: int = 50) -> Zoo:
    """Write the tree under `root` (which must not exist yet) and make it a git checkout."""
    rng = random.Random(seed)
    stdlib = _stdlib_sources()
    projects = [Path(rng.choice(AREAS)) / f"{rng.choice(TOPICS)}_{n:02}" for n in range(40)]
    directories = [p / s for p in projects for s in rng.sample(SUBPACKAGES, 4)]
    zoo = Zoo(0, 0, 0, 0, 0, 0, 0, 0)
    untracked: list[Path] = []
    for index in range(files):
        directory = root / rng.choice(directories)
        directory.mkdir(parents=True, exist_ok=True)
        if index % 50 == 0:
            text, bugs = keras_corpus.generate_file(seed, index)
            path = directory / f"rnn_model_{index:05}.py"
            zoo.recurrent += 1
            zoo.planted += bugs
        elif index % 100 == 1:
            path, text = (
                directory / f"torch_tagger_{index:05}.py",
                TORCH_FILE.format(index=index, hidden=rng.choice((64, 128))),
            )
        elif index % 33 == 2:
            path, text = directory / f"explore_{index:05}.ipynb", _notebook(rng, index)
            zoo.notebooks += 1
        else:
            source = stdlib[index % len(stdlib)]
            path, text = (
                directory / f"{source.stem}_{index:05}.py",
                source.read_text(encoding="utf-8", errors="replace"),
            )
        path.write_text(text, encoding="utf-8")
        zoo.files += 1
        if rng.random() < 0.03:
            untracked.append(path)
    # Nested .gitignore files, each hiding things that exist below it.
    homes = projects[:gitignores] + rng.sample(directories, max(0, gitignores - len(projects)))
    for home in homes:
        (root / home).mkdir(parents=True, exist_ok=True)
        (root / home / ".gitignore").write_text("\n".join(rng.sample(IGNORE_LINES, 6)) + "\n")
        zoo.gitignores += 1
    (root / ".gitignore").write_text("__pycache__/\n*.pyc\ncheckpoints/\noutputs/\n*_pb2.py\n.ipynb_checkpoints/\n")
    for number in range(max(10, files // 50)):  # hidden by the root .gitignore at any depth
        directory = root / rng.choice(directories) / rng.choice(("checkpoints", "outputs", "."))
        directory.mkdir(parents=True, exist_ok=True)
        name = (
            f"hidden_{number:04}.py" if directory.name in ("checkpoints", "outputs") else f"hidden_{number:04}_pb2.py"
        )
        text, bugs = keras_corpus.generate_file(seed + 1, number)
        (directory / name).write_text(text)
        zoo.ignored += 1
        zoo.planted_ignored += bugs
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run(
        [*git, "rm", "-q", "--cached", "--", *[str(p.relative_to(root)) for p in untracked]], cwd=root, check=True
    )
    subprocess.run([*git, "commit", "-q", "-m", "zoo"], cwd=root, check=True)
    zoo.untracked = len(untracked)
    return zoo
