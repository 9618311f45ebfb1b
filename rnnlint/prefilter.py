"""Which files can produce a finding at all: a byte search, so most files are never decoded nor parsed.

Every finding is about a recurrent layer, and the analysis knows one only by a
class name written in the source (`LSTM`, `ConvLSTM2D`, `CuDNNGRU`,
`SimpleRNN`, `RNN(LSTMCell(...))`, `StackedRNNCells`, `Bidirectional`...),
each of which contains one of `RECURRENT_WORDS`.  A file whose
bytes hold none of the words is therefore skipped, with two exceptions where
the text Python reads differs from the bytes:

- an encoding declaration (`# coding: utf-7` writes LSTM as `+AEwAUwBUAE0-`);
- non-ASCII identifiers, which Python reads NFKC-normalised (`ＬＳＴＭ`, in
  fullwidth letters, is the name `LSTM`).

Files that are not plain ASCII, or declare an encoding, are decoded as the
analysis would decode them.  The words are searched in the text (unless it
was UTF-8, whose ASCII bytes are exactly its ASCII characters), then:

- if the text is already NFKC-normalised, no character in it has a
  decomposition made of ASCII alone (NFKC never produces such a character), so
  an identifier that Python reads as an ASCII name is spelled in ASCII in the
  text, where the search already looked: skip;
- otherwise the words are searched in the text's NFKD form, which contains
  every ASCII run that the NFKC form of any identifier in it spells (ASCII
  letters are starters: decomposing and reordering never separate them).

So the filter can say "maybe" more often than needed, never less.
tests/test_prefilter.py checks it on every fixture and on mutated ones.

A file the analysis would report only as unreadable (RNN001) is skipped as
well when it holds none of the words: RNN001 is reported only for files that
pass this filter.
"""

from __future__ import annotations

import re

# Every recurrent class, cell and wrapper name in rnnlint/keras/catalogue.py contains one
# of these (tests/test_prefilter.py checks it).
RECURRENT_WORDS: tuple[str, ...] = ("LSTM", "GRU", "RNN", "Bidirectional")
# One substring search per word: twice as fast as one regex alternation (measured on the stdlib).
_WORDS_AS_BYTES = tuple(word.encode() for word in RECURRENT_WORDS)
# Every module path under which Keras is reached (catalogue.KERAS_ROOTS) contains one of these.
KERAS_WORDS: tuple[str, ...] = ("keras", "tensorflow")
# Python honours a coding declaration on the first two lines only.
_FIRST_TWO_LINES = re.compile(rb"\A[^\r\n]*(?:\r\n|\r|\n)?[^\r\n]*")


def may_build_recurrent(data: bytes) -> bool:
    """False only when no rule can fire in a file with these bytes (binary files pass: they are reported)."""
    if any(word in data for word in _WORDS_AS_BYTES) or b"\x00" in data:
        return True
    if data.isascii() and b"coding" not in _FIRST_TWO_LINES.match(data).group():  # type: ignore[union-attr]
        return False
    from rnnlint.sources.python import SourceError, SourceText

    try:
        source = SourceText.from_bytes(data)
    except SourceError:
        return False  # undecodable: the analysis could only say RNN001
    return text_may_build_recurrent(source.text, searched=source.encoding == "utf-8")


def text_may_build_recurrent(text: str, *, searched: bool = False) -> bool:
    """The same question for decoded source text (`searched`: its literal words were looked for already)."""
    return _names_a_word(text, RECURRENT_WORDS, searched=searched)


def text_may_reach_keras(text: str) -> bool:
    """False only when no name in the text can lead to Keras: no spelling of `keras` or `tensorflow`.

    A Keras value comes from a module path under one of `catalogue.KERAS_ROOTS`, each of which
    holds one of `KERAS_WORDS`, written in an import of the file (or in what it imports from its
    project, which the caller asks about separately).  Without them the interpreter would build no
    layer in the file, so no rule could fire: its facts need not be gathered.
    """
    return _names_a_word(text, KERAS_WORDS)


def _names_a_word(text: str, words: tuple[str, ...], *, searched: bool = False) -> bool:
    """Whether Python, reading `text`, may see one of `words` in it (see the module's docstring)."""
    if not searched and _holds_a_word(text, words):
        return True
    if text.isascii():
        return False
    import unicodedata

    if unicodedata.is_normalized("NFKC", text):
        return False
    return _holds_a_word(unicodedata.normalize("NFKD", text), words)


def _holds_a_word(text: str, words: tuple[str, ...]) -> bool:
    return any(word in text for word in words)
