"""The prefilter never drops a file that could produce a finding.

Over every fixture, every rule example, a few generated model files and
mutations of all of them (aliased and star imports, identifiers renamed or
spelled in fullwidth/mathematical letters, a UTF-7 encoding declaration,
comments and docstrings stripped, lines deleted, truncation), the full
analysis without the prefilter and the normal path with it give identical
findings.  The same holds for the second question, asked after parsing: a file
whose text names neither Keras nor a module of its project is not interpreted.
The one documented difference: RNN001 (unreadable or unparsable file) is
reported only for files that pass the prefilter.
"""

from __future__ import annotations

import ast
import base64
import io
import random
import re
import sys
import tokenize
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest

from rnnlint.api import _analyse, lint_bytes, lint_source
from rnnlint.keras import catalogue
from rnnlint.prefilter import KERAS_WORDS, may_build_recurrent, text_may_build_recurrent, text_may_reach_keras
from rnnlint.rules import all_rules
from rnnlint.settings import Selection, Settings
from rnnlint.sources.python import SourceError, SourceText

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
ALL = Settings(selection=Selection(select=("ALL",)))
WORDS = catalogue.RECURRENT_WORDS
WORD = re.compile("|".join(WORDS))


def base_inputs() -> list[tuple[str, str]]:
    inputs = [
        (str(p.relative_to(FIXTURES)), SourceText.from_bytes(p.read_bytes()).text)  # latin-1 fixtures included
        for p in sorted(FIXTURES.rglob("*.py"))
    ]
    for rule in all_rules():
        inputs += [(f"{rule.code}-valid-{n}", code) for n, code in enumerate(rule.valid)]
        inputs += [(f"{rule.code}-invalid-{n}", example.code) for n, example in enumerate(rule.invalid)]
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import keras_corpus
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    inputs += [(f"generated-{n}", keras_corpus.generate_file(3, n)[0]) for n in range(4)]
    return inputs


# --- mutations: text -> bytes ------------------------------------------------------------------


def _names(text: str) -> list[tokenize.TokenInfo]:
    try:
        return [t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type == tokenize.NAME]
    except (tokenize.TokenError, SyntaxError):
        return []


def _replace_tokens(text: str, tokens: list[tokenize.TokenInfo], new: Callable[[str], str]) -> str:
    """Replace single-line tokens, right to left so the columns stay valid."""
    lines = text.splitlines(keepends=True)
    for token in sorted(tokens, key=lambda t: t.start, reverse=True):
        (row, start), (_, end) = token.start, token.end
        line = lines[row - 1]
        lines[row - 1] = line[:start] + new(token.string) + line[end:]
    return "".join(lines)


def identity(text: str) -> bytes:
    return text.encode()


def alias_imports(text: str) -> bytes:
    """`from keras.layers import LSTM` -> `... import LSTM as Rec0`, and every later use renamed."""
    aliases: dict[str, str] = {}

    def alias(match: re.Match) -> str:
        names = []
        for name in match.group(2).split(","):
            name = name.strip()
            if name and " as " not in name and WORD.search(name):
                aliases[name] = f"Rec{len(aliases)}"
                names.append(f"{name} as {aliases[name]}")
            elif name:
                names.append(name)
        return f"{match.group(1)}{', '.join(names)}"

    text = re.sub(r"^(from [\w.]+ import )([\w, ]+)$", alias, text, flags=re.MULTILINE)
    import_rows = {n + 1 for n, line in enumerate(text.splitlines()) if line.startswith(("from ", "import "))}
    uses = [t for t in _names(text) if t.string in aliases and t.start[0] not in import_rows]
    return _replace_tokens(text, uses, aliases.__getitem__).encode()


def star_imports(text: str) -> bytes:
    return re.sub(r"^from ([\w.]+) import [\w, ]+$", r"from \1 import *", text, flags=re.MULTILINE).encode()


def module_alias(text: str) -> bytes:
    """`from keras import layers` -> `import keras.layers as nn_mod`, and `layers.X` -> `nn_mod.X`."""
    text, count = re.subn(r"^from ([\w.]+) import layers$", r"import \1.layers as nn_mod", text, flags=re.MULTILINE)
    if count:
        lines = text.splitlines()
        uses = [t for t in _names(text) if t.string == "layers" and not lines[t.start[0] - 1].startswith("import ")]
        text = _replace_tokens(text, uses, lambda _: "nn_mod")
    return text.encode()


def rename_identifiers(text: str) -> bytes:
    """Every name that holds none of the words becomes v0, v1... (keywords and builtins kept)."""
    import builtins
    import keyword

    table: dict[str, str] = {}
    keep = set(keyword.kwlist) | set(dir(builtins)) | {"self", "cls"}
    tokens = [t for t in _names(text) if t.string not in keep and not WORD.search(t.string)]
    for token in tokens:
        table.setdefault(token.string, f"v{len(table)}")
    return _replace_tokens(text, tokens, table.__getitem__).encode()


_FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"}
_BOLD = {c: chr(0x1D400 + i) for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}


def exotic_letters(text: str) -> bytes:
    """The words inside identifiers spelled in letters Python reads as ASCII (NFKC): `ＬＳＴＭ`, `𝐋𝐒𝐓𝐌`."""
    tokens = [t for t in _names(text) if WORD.search(t.string)]

    def spell(name: str) -> str:
        table = _BOLD if len(name) % 2 else _FULLWIDTH
        return WORD.sub(lambda m: "".join(table.get(c, c) for c in m.group()), name)

    return _replace_tokens(text, tokens, spell).encode()


def utf7_declared(text: str) -> bytes:
    """A `# coding: utf-7` file whose identifiers spell the words in UTF-7's base64 form only."""
    header = "# coding: utf-7\n"
    tokens = sorted((t for t in _names(text) if WORD.search(t.string)), key=lambda t: t.start)
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    pieces: list[bytes] = [header.encode()]
    position = 0
    for token in tokens:
        start = offsets[token.start[0] - 1] + token.start[1]
        end = offsets[token.end[0] - 1] + token.end[1]
        pieces.append(text[position:start].encode("utf-7"))
        pieces.append(b"+" + base64.b64encode(token.string.encode("utf-16-be")).rstrip(b"=") + b"-")
        position = end
    pieces.append(text[position:].encode("utf-7"))
    data = b"".join(pieces)
    assert data.decode("utf-7") == header + text, "the UTF-7 construction must round-trip"
    return data


def strip_comments_and_docstrings(text: str) -> bytes:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text.encode()
    docstrings = {
        node.body[0].value.lineno
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
        and isinstance(node.body[0].value.value, str)
    }
    out = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return text.encode()
    for token in tokens:
        if token.type == tokenize.COMMENT:
            continue
        if token.type == tokenize.STRING and token.start[0] in docstrings and token.start[1] == _indent(text, token.start[0]):
            out.append((token.type, "None"))
            continue
        out.append((token.type, token.string))
    return tokenize.untokenize(out).encode()


def _indent(text: str, row: int) -> int:
    line = text.splitlines()[row - 1]
    return len(line) - len(line.lstrip())


def crlf_and_bom(text: str) -> bytes:
    return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()


def delete_lines(seed: int) -> Callable[[str], bytes]:
    def mutate(text: str) -> bytes:
        lines = text.splitlines(keepends=True)
        rng = random.Random(seed + len(text))
        for _ in range(min(3, len(lines) // 4)):
            del lines[rng.randrange(len(lines))]
        return "".join(lines).encode()

    mutate.__name__ = f"delete_lines_{seed}"
    return mutate


def truncate(text: str) -> bytes:
    return text[: int(len(text) * 0.6)].encode()


MUTATIONS: list[Callable[[str], bytes]] = [
    identity,
    alias_imports,
    star_imports,
    module_alias,
    rename_identifiers,
    exotic_letters,
    utf7_declared,
    strip_comments_and_docstrings,
    crlf_and_bom,
    delete_lines(1),
    delete_lines(2),
    truncate,
]


# --- the property -------------------------------------------------------------------------------


def without_prefilter(data: bytes, name: str) -> list[tuple]:
    """The full analysis of any bytes, as if every file passed the prefilter (and every file
    were interpreted, whether or not its text names Keras)."""
    try:
        text = SourceText.from_bytes(data).text
    except SourceError as error:
        return [("RNN001", 1, 1, str(error))]  # what lint_bytes reports for undecodable bytes
    with mock.patch("rnnlint.prefilter.text_may_reach_keras", return_value=True):
        return [_key(d) for d in _analyse(text, name, ALL)]


def _key(diagnostic) -> tuple:
    return (diagnostic.code, diagnostic.location.row, diagnostic.location.column, diagnostic.message)


def differences(data: bytes, name: str) -> list[str]:
    """How the prefiltered paths (bytes and text) differ from the full analysis; [] when they agree."""
    full = without_prefilter(data, name)
    findings = [f for f in full if f[0] != "RNN001"]
    problems = []
    filtered = [_key(d) for d in lint_bytes(data, name, ALL).diagnostics]
    if may_build_recurrent(data) and filtered != full:
        problems.append(f"lint_bytes: {filtered} != {full}")
    if not may_build_recurrent(data) and (filtered or findings):
        problems.append(f"filtered out, yet the full analysis finds {findings}")
    try:
        decoded = SourceText.from_bytes(data).text
    except SourceError:
        return problems
    through_text = [_key(d) for d in lint_source(decoded, name, ALL) if d.code != "RNN001"]
    if through_text != findings:
        problems.append(f"lint_source: {through_text} != {findings}")
    return problems


@pytest.mark.parametrize(("name", "text"), base_inputs(), ids=[name for name, _ in base_inputs()])
def test_prefilter_changes_no_finding(name, text):
    failures = {m.__name__: problems for m in MUTATIONS if (problems := differences(m(text), name))}
    assert failures == {}


def test_the_mutations_exercise_the_hard_cases():
    """The inputs above include files whose bytes hold no recurrent word and still have findings."""
    hidden = 0
    for name, text in base_inputs():
        for mutation in (exotic_letters, utf7_declared):
            data = mutation(text)
            if not re.search("|".join(WORDS).encode(), data) and any(f[0] != "RNN001" for f in without_prefilter(data, name)):
                hidden += 1
    assert hidden >= 10


# --- the two spellings the byte search alone missed ----------------------------------------------


def test_fullwidth_identifiers_are_not_filtered_out():
    source = "from keras.layers import ＬＳＴＭ\nout, h, c = ＬＳＴＭ(3)(x)\n"
    assert [d.code for d in lint_source(source)] == ["RNN101"]
    assert [d.code for d in lint_bytes(source.encode(), "m.py", Settings()).diagnostics] == ["RNN101"]


def test_a_utf7_declared_file_is_not_filtered_out():
    data = b"# coding: utf-7\nfrom keras.layers import +AEwAUwBUAE0-\nout, h, c = +AEwAUwBUAE0-(3)(x)\n"
    assert b"LSTM" not in data
    assert [d.code for d in lint_bytes(data, "m.py", Settings()).diagnostics] == ["RNN101"]


def test_plain_files_are_still_filtered_out():
    assert not may_build_recurrent(b"import os\nprint(os.getcwd())\n")
    assert not may_build_recurrent("# -*- coding: utf-8 -*-\nnom = 'Søren'\n".encode())
    assert not text_may_build_recurrent("nom = 'Søren'  # ﬁn\n")
    assert may_build_recurrent(b"x = 1\x00")  # binary: passed on, to be reported as unreadable


def test_every_recurrent_class_name_holds_a_prefilter_word():
    names = (
        set(catalogue.RECURRENT_CLASSES)
        | set(catalogue.CELL_CLASSES)
        | {catalogue.GENERIC_RNN, catalogue.STACKED_CELLS, catalogue.BIDIRECTIONAL}
    )
    assert all(WORD.search(name) for name in names), [n for n in names if not WORD.search(n)]


def test_every_recurrent_name_the_analysis_knows_holds_a_word():
    """The proof's premise: the analysis knows a recurrent layer only by a name containing a word."""
    names = {
        *catalogue.RECURRENT_CLASSES,
        *catalogue.CELL_CLASSES,
        *catalogue.REMOVED_CLASS_REPLACEMENT,
        catalogue.GENERIC_RNN,
        catalogue.STACKED_CELLS,
        catalogue.BIDIRECTIONAL,
    }
    assert names and all(any(word in name for word in WORDS) for name in names), sorted(names)


# --- the second question: does the text name Keras at all ----------------------------------------


def test_every_keras_root_holds_a_keras_word():
    assert all(any(word in root for word in KERAS_WORDS) for root in catalogue.KERAS_ROOTS), catalogue.KERAS_ROOTS


def test_a_file_naming_no_keras_is_not_interpreted(monkeypatch):
    import rnnlint.analysis.interpret

    interpreted = []
    real = rnnlint.analysis.interpret.interpret

    def counting(tree, *args, **kwargs):
        interpreted.append(tree)
        return real(tree, *args, **kwargs)

    monkeypatch.setattr(rnnlint.analysis.interpret, "interpret", counting)
    torch = "import torch.nn as nn\n\nclass Tagger(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.rnn = nn.LSTM(8, 16, batch_first=True)\n"
    assert lint_source(torch, "tagger.py", ALL) == []
    assert interpreted == []
    assert [d.code for d in lint_source("import keras\nout, h, c = keras.layers.LSTM(3)(x)\n", "m.py", ALL)] == ["RNN101"]
    assert len(interpreted) == 1


def test_keras_spelled_in_other_letters_is_still_keras():
    assert text_may_reach_keras("from \uff4b\uff45\uff52\uff41\uff53.layers import LSTM\n")
    assert text_may_reach_keras("import \U0001d42d\U0001d41e\U0001d427\U0001d42c\U0001d428\U0001d42b\U0001d41f\U0001d425\U0001d428\U0001d430 as tf\n")
    assert not text_may_reach_keras("import torch\nrnn = torch.nn.LSTM(8, 16)  # r\u00e9seau\n")
    source = "from \uff4b\uff45\uff52\uff41\uff53.layers import LSTM\nout, h, c = LSTM(3)(x)\n"
    assert [d.code for d in lint_source(source)] == ["RNN101"]


def test_a_file_calling_its_projects_keras_helper_is_interpreted(tmp_path):
    (tmp_path / "blocks.py").write_text("import keras\n\ndef encoder():\n    return keras.layers.LSTM(8)\n")
    (tmp_path / "model.py").write_text("from blocks import encoder\n\nout, h, c = encoder()(x)\n")
    found = lint_bytes((tmp_path / "model.py").read_bytes(), str(tmp_path / "model.py"), ALL).diagnostics
    assert [d.code for d in found] == ["RNN101"]
