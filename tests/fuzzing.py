"""Fuzzing support: the seed corpus, the mutations, and the invariants every input must satisfy.

Two generators feed `check_invariants`: hypothesmith's grammar-generated
programs, and mutations of the fixture corpus (lines deleted, duplicated and
swapped; keyword arguments changed, dropped and added; names renamed; code
wrapped in functions and classes; Keras imports inserted).  The invariants are
the issue's: the analysis never raises nor reports an internal error, `--fix`
output parses whenever the input did, fixing twice equals fixing once, and the
fix loop reaches its fixed point.

The default suite runs a small, derandomised budget (about a minute on two
cores); `pytest --fuzz-long` or RNNLINT_FUZZ_LONG=1 runs a long, random one
(RNNLINT_FUZZ_SCALE times the default examples per test; 10 by default, some
30 minutes here; RNNLINT_FUZZ_PROGRESS names a file to log progress to).  `COUNTS` records how many
inputs each fuzz test tried; the terminal summary prints them.
"""

from __future__ import annotations

import functools
import keyword
import os
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from rnnlint.api import fix_bytes, lint_bytes, lint_source
from rnnlint.fix import fix_text, parses
from rnnlint.rules import all_rules
from rnnlint.settings import Selection, Settings
from rnnlint.sources.python import SourceError, SourceText

FIXTURES = Path(__file__).parent / "fixtures"
# Every rule, including the ones off by default.
ALL = Settings(selection=Selection(select=("ALL",)))
# Set by conftest.py from --fuzz-long; the environment variable works without pytest options.
LONG = os.environ.get("RNNLINT_FUZZ_LONG", "") not in ("", "0")
# Inputs tried per fuzz test in this session (printed in the terminal summary).
COUNTS: Counter = Counter()
# A long run appends its counts to this file now and then, to be watched while it goes.
PROGRESS_FILE = os.environ.get("RNNLINT_FUZZ_PROGRESS")


def tried(name: str, count: int = 1) -> None:
    """Count inputs tried by one fuzz test."""
    COUNTS[name] += count
    if PROGRESS_FILE and COUNTS[name] % 500 < count:
        with open(PROGRESS_FILE, "a", encoding="utf-8") as stream:
            stream.write(f"{time.strftime('%H:%M:%S')} {name}: {COUNTS[name]}\n")


def fuzz_settings(default_examples: int) -> settings:
    """Hypothesis settings: `default_examples`, derandomised, in the default suite; many random ones when long."""
    common = dict(
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        print_blob=True,
    )
    if LONG:
        scale = float(os.environ.get("RNNLINT_FUZZ_SCALE", "10"))
        return settings(max_examples=int(default_examples * scale), derandomize=False, **common)
    return settings(max_examples=default_examples, derandomize=True, **common)


# --- the corpus ----------------------------------------------------------------------------


def _decoded(path: Path) -> str | None:
    try:
        return SourceText.from_bytes(path.read_bytes()).text
    except (OSError, SourceError):
        return None


@functools.cache
def _corpus() -> list[str]:
    return corpus()


def corpus() -> list[str]:
    """Every fixture (goldens included) and every rule's documented examples: real Keras code."""
    seeds = [text for path in sorted(FIXTURES.rglob("*.py")) if (text := _decoded(path)) is not None]
    for rule in all_rules():
        seeds.extend(rule.valid)
        seeds.extend(example.code for example in rule.invalid)
    return seeds


# --- mutations -------------------------------------------------------------------------------

FLAG_KEYWORDS = (
    "return_sequences",
    "return_state",
    "go_backwards",
    "stateful",
    "units",
    "merge_mode",
    "initial_state",
    "layer",
    "backward_layer",
    "cell",
    "filters",
    "inputs",
    "name",
    "unroll",
    "time_major",
)
VALUES = (
    "True",
    "False",
    "None",
    "0",
    "1",
    "64",
    "-1",
    "2.5",
    '"concat"',
    '"sum"',
    '"ave"',
    '"mul"',
    "flag",
    "x",
    "[h, c]",
    "(h,)",
    "states",
    "not True",
    "1 if flag else 0",
    "**options",
    "*args",
    "LSTM(4)",
)
IMPORTS = (
    "import keras",
    "from keras import layers",
    "from keras import layers as L",
    "import keras.layers as kl",
    "from tensorflow import keras",
    "import tensorflow as tf",
    "from tensorflow.keras import layers",
    "from tensorflow.keras.layers import LSTM, GRU, SimpleRNN, Bidirectional, Dense, Input",
    "from keras.layers import LSTM, GRU, SimpleRNN, Bidirectional, RNN, LSTMCell, ConvLSTM2D",
    "from keras.layers import *",
    "from tensorflow.keras.layers import *",
    "from tf_keras.layers import LSTM",
    "from keras.models import Sequential, Model",
    "from keras.src.layers.rnn.lstm import LSTM",
    "from tensorflow.python.keras.layers.recurrent import GRU",
    "from keras import ops",
    "LSTM = GRU",
    "from . import layers",
    "from keras.layers import LSTM as GRU, GRU as LSTM",
)
RECURRENT_CALLS = ("LSTM(", "GRU(", "SimpleRNN(", "Bidirectional(", "RNN(", "ConvLSTM2D(", "layers.LSTM(", "Dense(")
_NAME = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
_KEYWORD_ARG = re.compile(r"\b([A-Za-z_]\w*)\s*=\s*(?![=])")


@dataclass(frozen=True)
class Mutation:
    """One edit, with a position and a choice drawn by hypothesis (reduced modulo what the text offers)."""

    kind: str
    where: int
    other: int
    choice: int

    def apply(self, text: str) -> str:
        return getattr(self, f"_{self.kind}")(text)

    # Lines ------------------------------------------------------------------------------
    def _lines(self, text: str) -> list[str]:
        return text.splitlines(keepends=True) or [""]

    def _delete_line(self, text: str) -> str:
        lines = self._lines(text)
        del lines[self.where % len(lines)]
        return "".join(lines)

    def _duplicate_line(self, text: str) -> str:
        lines = self._lines(text)
        i = self.where % len(lines)
        line = lines[i] if lines[i].endswith("\n") else lines[i] + "\n"
        lines.insert(i, line)
        return "".join(lines)

    def _swap_lines(self, text: str) -> str:
        lines = self._lines(text)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        i, j = self.where % len(lines), self.other % len(lines)
        lines[i], lines[j] = lines[j], lines[i]
        return "".join(lines)

    # Keyword arguments ----------------------------------------------------------------------
    def _keyword_spans(self, text: str) -> list[re.Match]:
        return [m for m in _KEYWORD_ARG.finditer(text) if not keyword.iskeyword(m.group(1))]

    def _change_keyword(self, text: str) -> str:
        spans = self._keyword_spans(text)
        if not spans:
            return text
        match = spans[self.where % len(spans)]
        end = _argument_end(text, match.end())
        return text[: match.end()] + VALUES[self.choice % len(VALUES)] + text[end:]

    def _drop_keyword(self, text: str) -> str:
        spans = self._keyword_spans(text)
        if not spans:
            return text
        match = spans[self.where % len(spans)]
        end = _argument_end(text, match.end())
        start = match.start()
        # Take the comma before (or after) along, so the call stays well-formed.
        before = text[:start].rstrip()
        if before.endswith(","):
            start = len(before) - 1
        elif text[end:].lstrip().startswith(","):
            end = end + (len(text[end:]) - len(text[end:].lstrip())) + 1
        return text[:start] + text[end:]

    def _add_keyword(self, text: str) -> str:
        opens = [m.end() for call in RECURRENT_CALLS for m in re.finditer(re.escape(call), text)]
        if not opens:
            return text
        opens.sort()
        start = opens[self.where % len(opens)]
        close = _closing_paren(text, start)
        if close is None:
            return text
        name = FLAG_KEYWORDS[self.choice % len(FLAG_KEYWORDS)]
        value = VALUES[self.other % len(VALUES)]
        inside = text[start:close].rstrip()
        separator = "" if not inside or inside.endswith(",") else ", "
        return text[:close] + f"{separator}{name}={value}" + text[close:]

    # Names -------------------------------------------------------------------------------------
    def _rename(self, text: str) -> str:
        names = sorted({m.group() for m in _NAME.finditer(text) if not keyword.iskeyword(m.group())})
        if not names:
            return text
        old = names[self.where % len(names)]
        pool = names + ["renamed", "self", "keras", "layers", "LSTM", "tf", "_"]
        new = pool[self.other % len(pool)]
        return re.sub(rf"\b{re.escape(old)}\b", new, text)

    # Structure ------------------------------------------------------------------------------------
    def _wrap_function(self, text: str) -> str:
        start, end = self._slice(text)
        lines = self._lines(text)
        header = ("def wrapped(x, *args, **kwargs):\n", "async def wrapped(self, inputs):\n", "def wrapped():\n")[
            self.choice % 3
        ]
        body = _indent(lines[start:end], 4) or ["    pass\n"]
        call = "out = wrapped(x)\n" if self.choice % 2 else ""
        return "".join(lines[:start] + [header] + body + [call] + lines[end:])

    def _wrap_class(self, text: str) -> str:
        start, end = self._slice(text)
        lines = self._lines(text)
        header = (
            "class Wrapped(keras.layers.Layer):\n    def call(self, x, training=None):\n",
            "class Wrapped(keras.Model):\n    def __init__(self):\n        super().__init__()\n",
            "class Wrapped:\n    def build(self, shape):\n",
        )[self.choice % 3]
        body = _indent(lines[start:end], 8) or ["        pass\n"]
        return "".join(lines[:start] + [header] + body + lines[end:])

    def _splice(self, text: str) -> str:
        """Lines of another corpus file, inserted between top-level statements: its names meet this file's."""
        donors = _corpus()
        donor = donors[self.choice % len(donors)].splitlines(keepends=True) or [""]
        start = self.other % len(donor)
        piece = donor[start : start + 1 + self.other % 12]
        while piece and piece[0][:1] in (" ", "\t"):  # begin at a top-level line, if there is one
            piece = piece[1:]
        lines = self._lines(text)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        i = self.where % (len(lines) + 1)
        while i < len(lines) and lines[i][:1] in (" ", "\t"):
            i += 1
        if piece and not piece[-1].endswith("\n"):
            piece[-1] += "\n"
        return "".join(lines[:i] + piece + lines[i:])

    def _insert_import(self, text: str) -> str:
        lines = self._lines(text)
        i = self.where % (len(lines) + 1)
        # At a top-level position (the line there is not indented), the import stays valid.
        while i < len(lines) and lines[i][:1] in (" ", "\t"):
            i += 1
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.insert(i, IMPORTS[self.choice % len(IMPORTS)] + "\n")
        return "".join(lines)

    def _slice(self, text: str) -> tuple[int, int]:
        count = len(self._lines(text))
        start = self.where % count
        return start, min(count, start + 1 + self.other % max(1, count - start))


KINDS = (
    "delete_line",
    "duplicate_line",
    "swap_lines",
    "change_keyword",
    "drop_keyword",
    "add_keyword",
    "rename",
    "wrap_function",
    "wrap_class",
    "insert_import",
    "splice",
)


def _indent(lines: list[str], width: int) -> list[str]:
    pad = " " * width
    out = [pad + line if line.strip() else line for line in lines]
    if out and not out[-1].endswith("\n"):
        out[-1] += "\n"
    return out


def _closing_paren(text: str, start: int) -> int | None:
    """The index of the `)` closing the call whose `(` ends at `start` (strings skipped roughly)."""
    depth = 1
    quote = None
    i = start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _argument_end(text: str, start: int) -> int:
    """Where the argument value starting at `start` ends: the next `,` or closing bracket at depth 0."""
    depth = 0
    i = start
    while i < len(text):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                return i
            depth -= 1
        elif ch in ",\n" and depth == 0:
            return i
        i += 1
    return i


mutations = st.builds(
    Mutation,
    kind=st.sampled_from(KINDS),
    where=st.integers(0, 10_000),
    other=st.integers(0, 10_000),
    choice=st.integers(0, 10_000),
)


def mutate(seed: str, steps: list[Mutation]) -> str:
    text = seed
    for step in steps:
        text = step.apply(text)
    return text


# --- the invariants ----------------------------------------------------------------------------


class InvariantBroken(AssertionError):
    pass


ENCODINGS = (None, "crlf", "cr", "bom", "latin-1")


def encoded(text: str, variant: str) -> bytes | None:
    """`text` as a file in another form: CRLF or lone-CR line endings, a UTF-8 BOM, a latin-1 cookie."""
    lf = text.replace("\r\n", "\n").replace("\r", "\n")
    if variant == "crlf":
        return lf.replace("\n", "\r\n").encode("utf-8", "surrogatepass")
    if variant == "cr":
        return lf.replace("\n", "\r").encode("utf-8", "surrogatepass")
    if variant == "bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")
    try:
        return ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + text).encode("latin-1")
    except UnicodeEncodeError:
        return None


def check_invariants(text: str, *, variant: str | None = None) -> None:
    """The analysis never raises; fixes parse, are idempotent and converge.  Raises InvariantBroken."""

    def lint(source: str) -> list:
        return lint_source(source, "fuzz.py", ALL)

    diagnostics = lint(text)
    internal = [d.message for d in diagnostics if d.extra.get("internal_error")]
    if internal:
        raise InvariantBroken(f"internal error: {internal[0]}")
    was_valid = parses(text)
    for unsafe in (False, True):
        once = fix_text(text, lint, unsafe=unsafe, diagnostics=diagnostics)
        if was_valid and not parses(once.text):
            raise InvariantBroken(f"fix (unsafe={unsafe}) produced code that does not parse")
        if not once.converged:
            raise InvariantBroken(f"fix (unsafe={unsafe}) did not reach a fixed point")
        twice = fix_text(once.text, lint, unsafe=unsafe)
        if twice.text != once.text:
            raise InvariantBroken(f"fix (unsafe={unsafe}) is not idempotent: a second run changed the text")
    if variant is not None:
        data = encoded(text, variant)
        if data is not None:
            _check_bytes(data, variant)


def _endings(data: bytes) -> set[bytes]:
    rest = data.replace(b"\r\n", b"")
    return {
        ending
        for ending, present in ((b"\r\n", b"\r\n" in data), (b"\r", b"\r" in rest), (b"\n", b"\n" in rest))
        if present
    }


def _check_bytes(data: bytes, variant: str) -> None:
    """The byte-level path (what --fix writes): no crash, the encoding, BOM and line endings kept, idempotent."""
    result = lint_bytes(data, "fuzz.py", ALL)
    if any(d.extra.get("internal_error") for d in result.diagnostics):
        raise InvariantBroken(f"internal error on the {variant} bytes")
    try:
        source = SourceText.from_bytes(data)
    except SourceError:
        source = None  # reported as RNN001 (when it can build a recurrent layer at all); never fixed
    for unsafe in (False, True):
        once = fix_bytes(data, "fuzz.py", ALL, unsafe=unsafe)
        if once.fixed is None:
            continue
        if not _endings(once.fixed) <= _endings(data) | ({b"\n"} if not _endings(data) else set()):
            raise InvariantBroken(f"fix (unsafe={unsafe}) wrote a line ending the {variant} file did not have")
        fixed = SourceText.from_bytes(once.fixed)
        if source is not None and (fixed.encoding, fixed.bom) != (source.encoding, source.bom):
            raise InvariantBroken(f"fix (unsafe={unsafe}) changed the {variant} file's encoding or BOM")
        if parses(source.text if source else "") and not parses(fixed.text):
            raise InvariantBroken(f"fix (unsafe={unsafe}) of the {variant} bytes does not parse")
        again = fix_bytes(once.fixed, "fuzz.py", ALL, unsafe=unsafe)
        if again.fixed is not None:
            raise InvariantBroken(f"fix (unsafe={unsafe}) of the {variant} bytes is not idempotent")
