"""Fuzzing: grammar-generated programs (hypothesmith) and mutations of the fixture corpus.

For every input the analysis must not raise nor report an internal error, and
`--fix` must write code that parses, idempotently (see tests/fuzzing.py).  The
default budget is small and derandomised; `pytest --fuzz-long` (or
RNNLINT_FUZZ_LONG=1) runs a long random campaign.
"""

from __future__ import annotations

import random
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnnlint.fix import parses
from tests import fuzzing
from tests.fuzzing import ENCODINGS, KINDS, Mutation, check_invariants, corpus, fuzz_settings, mutate, mutations, tried
from tests.helpers import run_cli

SEEDS = corpus()
HEADERS = (
    "from keras.layers import LSTM, GRU, Bidirectional, Dense, Input\n",
    "import keras\nfrom keras import layers\nx = keras.Input((None, 8))\nrnn = layers.LSTM(16, return_sequences=True)\n",
)
TAILS = (
    "out, h, c = LSTM(8)(x)\n",
    "encoded = layers.LSTM(4)(x)\nattended = layers.Attention()([encoded, encoded])\n",
    "model = keras.Sequential([layers.LSTM(8), layers.GRU(4)])\n",
)


def _top_level_boundaries(text: str) -> list[int]:
    lines = text.splitlines(keepends=True)
    offsets, position = [0], 0
    for line in lines:
        position += len(line)
        offsets.append(position)
    return [o for o, line in zip(offsets, lines + [""]) if not line[:1].isspace()]


def _assemble(parts: tuple[str, str, int, str, int, str]) -> str:
    """A hypothesmith program alone under a Keras header, before Keras code, or spliced into a fixture."""
    program, placement, header, seed, position, tail = parts
    if program and not program.endswith("\n"):
        program += "\n"
    if placement == "header":
        return HEADERS[header] + program
    if placement == "tail":
        return HEADERS[header] + program + tail
    boundaries = _top_level_boundaries(seed)
    at = boundaries[position % len(boundaries)]
    return seed[:at] + program + seed[at:]


# Built with tuples and map: hypothesmith inside an @st.composite generates some 30 times slower.
grammar_programs = st.tuples(
    hypothesmith.from_grammar(auto_target=False),
    st.sampled_from(("header", "splice", "tail")),
    st.integers(0, len(HEADERS) - 1),
    st.sampled_from(SEEDS),
    st.integers(0, 10_000),
    st.sampled_from(TAILS),
).map(_assemble)


# hypothesmith compiles what it generates; Python warns about some of it (`1 (2)`): not ours.
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@fuzz_settings(default_examples=1000)
@given(grammar_programs)
def test_grammar_generated_programs(text: str):
    tried("grammar-generated programs (hypothesmith)")
    check_invariants(text)


@fuzz_settings(default_examples=3000)
@given(
    seed=st.sampled_from(SEEDS), steps=st.lists(mutations, min_size=1, max_size=8), variant=st.sampled_from(ENCODINGS)
)
def test_mutated_fixtures(seed: str, steps: list[Mutation], variant: str | None):
    tried("mutated fixtures")
    check_invariants(mutate(seed, steps), variant=variant)


def test_every_mutation_kind_changes_some_seed():
    """The mutators do something (a mutator that always returns its input would fuzz nothing)."""
    rng = random.Random(0)
    for kind in KINDS:
        changed = sum(
            mutate(seed, [Mutation(kind, rng.randrange(10**4), rng.randrange(10**4), rng.randrange(10**4))]) != seed
            for seed in SEEDS[:40]
        )
        assert changed >= 10, kind


def _sample(count: int, rng: random.Random) -> list[str]:
    texts = []
    for _ in range(count):
        steps = [
            Mutation(rng.choice(KINDS), rng.randrange(10**4), rng.randrange(10**4), rng.randrange(10**4))
            for _ in range(rng.randint(1, 4))
        ]
        texts.append(mutate(rng.choice(SEEDS), steps))
    return texts


def test_cli_on_a_mutated_tree(tmp_path: Path):
    """The real CLI: checking leaves every file byte-identical; --fix output parses; a second --fix changes nothing."""
    rounds, per_round = (10, 60) if fuzzing.LONG else (1, 60)
    rng = random.Random(1234)
    for round_number in range(rounds):
        tree = tmp_path / f"round{round_number}"
        tree.mkdir()
        texts = _sample(per_round, rng)
        paths = []
        for number, text in enumerate(texts):
            path = tree / f"mutant_{number:03}.py"
            path.write_bytes(text.encode("utf-8", "surrogatepass"))
            paths.append(path)
        before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in paths}
        tried("mutated files through the CLI", len(paths))

        for flags in (
            [],
            ["--select", "ALL", "--unsafe-fixes", "--show-fixes"],
            ["--diff"],
            ["--output-format", "json"],
        ):
            result = run_cli(str(tree), "--no-cache", *flags)
            assert result.returncode in (0, 1, 2), result.stderr
            assert "Traceback" not in result.stderr + result.stdout
            assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in paths} == before, flags

        result = run_cli(str(tree), "--no-cache", "--select", "ALL", "--fix", "--unsafe-fixes")
        assert "Traceback" not in result.stderr + result.stdout
        for path in paths:
            if parses(before[path][0].decode("utf-8", "surrogatepass")):
                assert parses(path.read_text(encoding="utf-8")), path.name
        fixed = {p: p.read_bytes() for p in paths}
        again = run_cli(str(tree), "--no-cache", "--select", "ALL", "--fix", "--unsafe-fixes")
        assert "Traceback" not in again.stderr + again.stdout
        assert {p: p.read_bytes() for p in paths} == fixed
