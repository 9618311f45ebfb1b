"""`--fix` writes only code that compiles (issue 15, items 1, 2, 9 and 24).

`ast.parse` accepts code `compile()` rejects (a keyword given twice, `return`
outside a function); the fix loop checks every pass with `compile()`, and this
file runs `--fix --unsafe-fixes` over every rule example, every fixture and
generated programs (with keyword typos planted, so that several fixes meet on
one call) asserting that every result compiles.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from rnnlint.api import fix_bytes, lint_source
from rnnlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location, Severity
from rnnlint.fix import apply_fixes, compiles, fix_text
from rnnlint.rules import all_rules
from rnnlint.settings import Selection, Settings
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
ALL = Settings(selection=Selection(select=("ALL",)))


def _fixed_text(text: str, *, unsafe: bool = True) -> str:
    outcome = fix_bytes(text.encode(), "x.py", ALL, unsafe=unsafe)
    return outcome.fixed.decode() if outcome.fixed is not None else text


def _fixed_bytes(data: bytes) -> bytes:
    outcome = fix_bytes(data, "x.py", ALL, unsafe=True)
    return outcome.fixed if outcome.fixed is not None else data


def _compiles_bytes(data: bytes) -> bool:
    """Whether Python compiles the file's bytes (its coding declaration and BOM honoured)."""
    try:
        compile(data, "<fixed>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


# --- item 1: two fixes on one call -------------------------------------------------------


RENAME_AND_ADD = (
    "from keras.layers import LSTM, Input\n"
    "x = Input((5, 3))\n"
    "y = LSTM(8, return_sequence=False)(x)\n"
    "z = LSTM(4)(y)\n"
)


def test_a_rename_and_an_added_keyword_on_one_call_set_it_once():
    """RNN401 renames `return_sequence`, RNN201 adds `return_sequences=True`: the result says it once."""
    codes = sorted(d.code for d in lint_source(RENAME_AND_ADD, "x.py", ALL) if d.fix is not None)
    assert codes == ["RNN201", "RNN401"]
    fixed = _fixed_text(RENAME_AND_ADD, unsafe=False)
    assert compiles(fixed)
    assert "y = LSTM(8, return_sequences=True)(x)\n" in fixed
    assert not [d for d in lint_source(fixed, "x.py", ALL) if d.code in ("RNN201", "RNN401")]


def test_the_fix_hook_writes_code_that_compiles(tmp_path: Path):
    """What the pre-commit hook runs (`rnnlint --fix FILE`) leaves a file that compiles."""
    target = tmp_path / "model.py"
    target.write_text(RENAME_AND_ADD)
    run_cli("--fix", "--no-cache", str(target), cwd=tmp_path)
    assert compiles(target.read_text())
    assert target.read_text().count("return_sequences") == 1


def _insert(row: int, column: int, content: str) -> Diagnostic:
    edit = Edit(Location(row, column), Location(row, column), content)
    return Diagnostic("RNN999", "m", "x.py", edit.location, edit.location, Severity.ERROR,
                      fix=Fix("f", Applicability.SAFE, (edit,)))


def test_a_pass_that_parses_but_does_not_compile_is_retried_fix_by_fix():
    """Two edits that each compile but together give a keyword twice: one is applied, then the other waits."""
    text = "f(a, *b)\n"
    first, second = _insert(1, 4, ", k=1"), _insert(1, 8, ", k=2")
    fixed, applied = apply_fixes(text, [first, second])
    assert fixed == "f(a, k=1, *b, k=2)\n" and not compiles(fixed)  # the unchecked pass parses, does not compile
    result = fix_text(text, lambda t: [first, second] if t == text else [])
    assert compiles(result.text)
    assert result.text == "f(a, k=1, *b)\n"
    assert result.applied == [first]


def test_a_fix_that_breaks_the_code_alone_is_never_applied():
    text = "def f():\n    pass\n"
    outside = _insert(2, 9, "\nreturn 1")  # `return` outside the function: ast.parse accepts it
    good = _insert(1, 9, "  # ok")
    result = fix_text(text, lambda t: [outside, good] if t == text else [])
    assert compiles(result.text)
    assert result.text == "def f():  # ok\n    pass\n"
    assert result.applied == [good]


def test_a_text_that_never_compiled_is_held_to_parsing():
    """A notebook program with top-level `await` does not compile as a module; its fixes still apply."""
    text = "await g()\nf(a)\n"
    assert not compiles(text)
    add = _insert(2, 4, ", k=1")
    assert fix_text(text, lambda t: [add] if t == text else []).text == "await g()\nf(a, k=1)\n"


# --- every example, fixture and generated program ----------------------------------------


def _corpus() -> list[tuple[str, bytes]]:
    """(name, file bytes): every rule example, every fixture, generated programs with and without typos."""
    inputs = []
    for rule in all_rules():
        inputs += [(f"{rule.code}-valid-{n}", code.encode()) for n, code in enumerate(rule.valid)]
        inputs += [(f"{rule.code}-invalid-{n}", example.code.encode()) for n, example in enumerate(rule.invalid)]
    for path in sorted((ROOT / "tests" / "fixtures").rglob("*.py")):
        inputs.append((str(path.relative_to(ROOT)), path.read_bytes()))
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import keras_corpus
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    for n in range(12):
        text = keras_corpus.generate_file(15, n)[0]
        inputs.append((f"generated-{n}", text.encode()))
        # Typos next to what the rules fix: RNN401 renames them while other rules set the same keyword.
        typo = re.sub(r"return_sequences=", "return_sequence=", text, count=3)
        typo = re.sub(r"return_state=", "return_states=", typo, count=1)
        inputs.append((f"generated-{n}-typos", typo.encode()))
    return inputs


def test_the_corpus_carries_calls_where_several_fixes_meet():
    """Not vacuous: some input offers two fixes on one construction."""
    meeting = 0
    for _, data in CORPUS:
        if not data.isascii() or not compiles(data.decode()):
            continue
        found = [d for d in lint_source(data.decode(), "x.py", ALL) if d.fix is not None and d.fix.claims]
        claims = [claim[:2] for d in found for claim in d.fix.claims]
        meeting += len(claims) - len(set(claims))
    assert meeting >= 3


CORPUS = _corpus()


@pytest.mark.parametrize(("name", "data"), CORPUS, ids=[name for name, _ in CORPUS])
def test_fix_with_unsafe_fixes_writes_code_that_compiles(name: str, data: bytes):
    if not _compiles_bytes(data):
        pytest.skip("the input does not compile itself")
    fixed = _fixed_bytes(data)
    assert _compiles_bytes(fixed), name
    assert _fixed_bytes(fixed) == fixed  # and a second run changes nothing


# --- item 2: a flag that comes from a helper's parameter ---------------------------------


HELPER = (
    "from keras.layers import GRU, LSTM, Input\n"
    "\n"
    "\n"
    "def block(x, seq{default}):\n"
    "    return GRU(16, return_sequences=seq)(x)\n"
    "\n"
    "\n"
    "inputs = Input((5, 3))\n"
    "h = block({arguments})\n"
    "out = LSTM(4)(h)\n"
)


@pytest.mark.parametrize(
    ("default", "arguments", "fixed_call"),
    [
        ("", "inputs, seq=False", "block(inputs, seq=True)"),
        ("", "inputs, False", "block(inputs, True)"),
        ("=False", "inputs", "block(inputs, seq=True)"),
    ],
)
def test_a_helper_called_once_gets_its_argument_fixed_not_its_body(default, arguments, fixed_call):
    text = HELPER.format(default=default, arguments=arguments)
    fixed = _fixed_text(text, unsafe=False)
    assert "    return GRU(16, return_sequences=seq)(x)\n" in fixed  # the helper keeps its parameter
    assert f"h = {fixed_call}\n" in fixed
    assert not [d for d in lint_source(fixed, "x.py", ALL) if d.code == "RNN201"]


def test_a_helper_called_twice_gets_no_fix():
    text = HELPER.format(default="", arguments="inputs, seq=False") + "g = block(inputs, True)\n"
    found = [d for d in lint_source(text, "x.py", ALL) if d.code == "RNN201"]
    assert len(found) == 1 and found[0].fix is None
    assert _fixed_text(text) == text


def test_a_parameter_used_twice_in_the_helper_gets_an_unsafe_fix_that_says_so():
    text = HELPER.format(default="", arguments="inputs, seq=False").replace(
        "    return GRU(16, return_sequences=seq)(x)\n", "    print(seq)\n    return GRU(16, return_sequences=seq)(x)\n"
    )
    (finding,) = [d for d in lint_source(text, "x.py", ALL) if d.code == "RNN201"]
    assert finding.fix is not None and finding.fix.applicability is Applicability.UNSAFE
    assert finding.fix.message.startswith("Pass `seq=True` to block (line ")
    assert _fixed_text(text, unsafe=False) == text
