"""Fixes: goldens, fixed point, idempotence, re-parse, byte-exactness, merging, and writing files back."""

from __future__ import annotations

import ast
import codecs
import os
import stat
from pathlib import Path

import pytest

from rnnlint.api import fix_bytes, lint_source
from rnnlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location, Severity
from rnnlint.fix import apply_fixes, fix_text
from rnnlint.settings import Selection, Settings
from rnnlint.sources.python import SourceText
from rnnlint.writeback import WriteRefused, write_if_unchanged

FIXTURES = Path(__file__).parent / "fixtures"
GOLDENS = FIXTURES / "fix"
ALL = Settings(selection=Selection(select=("ALL",)))


def goldens() -> list[Path]:
    return sorted(GOLDENS.rglob("*.before.py"))


def after_of(before: Path) -> Path:
    return before.with_name(before.name.replace(".before.py", ".after.py"))


@pytest.mark.parametrize("before", goldens(), ids=lambda p: str(p.relative_to(GOLDENS)))
def test_golden(before: Path):
    """`fix/X.before.py` fixed with the default rules gives `fix/X.after.py`, byte for byte.

    Goldens under `fix/unsafe/` are fixed with --unsafe-fixes.
    """
    unsafe = before.parent.name == "unsafe"
    result = fix_bytes(before.read_bytes(), str(before), Settings(), unsafe=unsafe)
    expected = after_of(before).read_bytes()
    assert (result.fixed if result.fixed is not None else before.read_bytes()) == expected
    assert result.problem is None
    # What is left after fixing is exactly what has no applicable fix.
    assert not any(d.fix and d.fix.applicability is Applicability.SAFE for d in result.remaining)


def test_every_golden_has_its_after_file():
    befores = goldens()
    assert len(befores) >= 10
    for before in befores:
        assert after_of(before).is_file(), before
    afters = sorted(GOLDENS.rglob("*.after.py"))
    assert len(afters) == len(befores)


def all_fixture_files() -> list[Path]:
    return sorted(FIXTURES.rglob("*.py"))


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("path", all_fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fix_is_idempotent_and_parses(path: Path, unsafe: bool):
    """Over every fixture file: fixing twice changes nothing more than fixing once, and the result parses."""
    once = fix_bytes(path.read_bytes(), str(path), ALL, unsafe=unsafe)
    once_bytes = once.fixed if once.fixed is not None else path.read_bytes()
    ast.parse(SourceText.from_bytes(once_bytes).text)
    twice = fix_bytes(once_bytes, str(path), ALL, unsafe=unsafe)
    assert twice.fixed is None, "a second --fix changed the file again"
    assert twice.applied == []


def test_goldens_really_carry_their_encodings():
    """Guards against an editor or git normalising the files these tests are about."""
    crlf = (GOLDENS / "crlf_line_endings.before.py").read_bytes()
    assert b"\r\n" in crlf and b"\n" not in crlf.replace(b"\r\n", b"")
    assert (GOLDENS / "utf8_bom.before.py").read_bytes().startswith(codecs.BOM_UTF8)
    latin = (GOLDENS / "latin1_coding.before.py").read_bytes()
    assert b"coding: latin-1" in latin and b"caf\xe9" in latin
    with pytest.raises(UnicodeDecodeError):
        latin.decode("utf-8")


def test_encodings_survive_byte_for_byte_outside_the_edit():
    for name in ("crlf_line_endings", "utf8_bom", "latin1_coding"):
        before = (GOLDENS / f"{name}.before.py").read_bytes()
        after = (GOLDENS / f"{name}.after.py").read_bytes()
        assert after != before
        # Only insertions of ASCII keyword text: removing them gives the original back.
        assert after.replace(b", return_state=True", b"").replace(b", return_sequences=True", b"").replace(
            b"    return_state=True,\r\n", b""
        ) == before


def test_fix_across_lines_edits_the_construction_not_the_finding():
    before = GOLDENS / "rnn201_construction_lines_away.before.py"
    text = before.read_text()
    [finding] = lint_source(text, "x.py")
    [edit] = finding.fix.edits
    assert finding.code == "RNN201"
    assert finding.location.row == 16
    assert edit.location.row == 9  # where `first = L.LSTM(...)` is built
    assert finding.fix.applicability is Applicability.SAFE


def test_layer_called_twice_has_no_safe_fix():
    text = (GOLDENS / "layer_called_twice.before.py").read_text()
    [finding] = lint_source(text, "x.py")
    assert finding.fix is not None and finding.fix.applicability is Applicability.UNSAFE
    assert fix_text(text, lambda t: lint_source(t, "x.py")).text == text
    unsafe = fix_text(text, lambda t: lint_source(t, "x.py"), unsafe=True)
    assert "shared = layers.LSTM(16, return_state=True)" in unsafe.text


def test_identical_edits_from_two_rules_are_applied_once():
    text = (GOLDENS / "unsafe" / "rnn101_and_rnn102_same_edit.before.py").read_text()
    found = lint_source(text, "x.py")
    assert sorted(d.code for d in found) == ["RNN101", "RNN102"]
    assert len({d.fix.edits for d in found if d.fix}) == 1  # both ask for the very same edit
    fixed, applied = apply_fixes(text, found, unsafe=True)
    assert "encoder = layers.LSTM(16, return_state=True)\n" in fixed
    assert fixed.count(", return_state=True") == 1
    assert len(applied) == 2


def test_fixes_on_one_construction_are_both_applied_over_passes():
    text = (GOLDENS / "rnn101_and_rnn201_same_layer.before.py").read_text()
    result = fix_text(text, lambda t: lint_source(t, "x.py"))
    assert "layers.LSTM(16, return_state=True, return_sequences=True)" in result.text
    assert [d.code for d in result.applied] == ["RNN101", "RNN201"]
    assert result.remaining == [] and result.converged


def _diagnostic(edit: Edit, applicability: Applicability = Applicability.SAFE) -> Diagnostic:
    return Diagnostic(
        code="RNN101",
        message="m",
        filename="x.py",
        location=edit.location,
        end_location=edit.end_location,
        severity=Severity.ERROR,
        fix=Fix("f", applicability, (edit,)),
    )


def test_a_pass_that_does_not_parse_is_dropped():
    text = "x = f(1)\n"
    breaking = _diagnostic(Edit(Location(1, 7), Location(1, 9), ""))  # deletes `1)`
    result = fix_text(text, lambda t: [breaking] if t == text else [])
    assert result.text == text
    assert result.applied == []


def test_overlapping_edits_wait_for_the_next_pass():
    text = "abcdef\n"
    first = _diagnostic(Edit(Location(1, 1), Location(1, 4), "X"))
    second = _diagnostic(Edit(Location(1, 3), Location(1, 5), "Y"))
    fixed, applied = apply_fixes(text, [first, second])
    assert fixed == "Xdef\n"
    assert applied == [first]


def test_a_fix_sharing_one_edit_with_another_is_merged_not_deferred():
    # Like two removed classes replaced on two lines, both fixes also editing one import line.
    text = "from m import A, B\nA()\nB()\n"
    shared = Edit(Location(1, 15), Location(1, 19), "C")
    first = Diagnostic("RNN402", "m", "x.py", Location(2, 1), Location(2, 2), Severity.WARNING,
                       fix=Fix("f", Applicability.SAFE, (shared, Edit(Location(2, 1), Location(2, 2), "C"))))
    second = Diagnostic("RNN402", "m", "x.py", Location(3, 1), Location(3, 2), Severity.WARNING,
                        fix=Fix("f", Applicability.SAFE, (shared, Edit(Location(3, 1), Location(3, 2), "C"))))
    fixed, applied = apply_fixes(text, [first, second])
    assert fixed == "from m import C\nC()\nC()\n"
    assert applied == [first, second]


def test_unsafe_fixes_need_the_flag():
    text = "abc = 1\n"
    unsafe = _diagnostic(Edit(Location(1, 1), Location(1, 4), "xyz"), Applicability.UNSAFE)
    display = _diagnostic(Edit(Location(1, 1), Location(1, 4), "xyz"), Applicability.DISPLAY)
    assert apply_fixes(text, [unsafe])[0] == text
    assert apply_fixes(text, [unsafe], unsafe=True)[0] == "xyz = 1\n"
    assert apply_fixes(text, [display], unsafe=True)[0] == text


def test_fixes_never_reach_a_fixed_point_are_bounded():
    from rnnlint.fix import MAX_PASSES

    calls = []

    def lint(text: str) -> list[Diagnostic]:
        calls.append(text)
        return [_diagnostic(Edit(Location(1, 1), Location(1, 1), "a"))]  # always one more `a`

    result = fix_text("x = 1\n", lint)
    assert not result.converged
    assert len(calls) == MAX_PASSES + 1
    assert result.text == "a" * MAX_PASSES + "x = 1\n"


def test_noqa_suppressed_findings_are_not_fixed():
    text = "from keras.layers import LSTM\nout, h, c = LSTM(8)(x)  # noqa: RNN101\n"
    assert fix_text(text, lambda t: lint_source(t, "x.py")).text == text


# --- writing back ------------------------------------------------------------------------


def test_write_keeps_mode_bits_and_leaves_no_temporary_file(tmp_path: Path):
    target = tmp_path / "model.py"
    target.write_bytes(b"old\n")
    target.chmod(0o751)
    write_if_unchanged(str(target), b"old\n", b"new\n", root=str(tmp_path))
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o751
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py"]


def test_write_is_an_atomic_rename(tmp_path: Path):
    target = tmp_path / "model.py"
    target.write_bytes(b"old\n")
    inode_before = target.stat().st_ino
    write_if_unchanged(str(target), b"old\n", b"new\n")
    # A new file took the old one's name (os.replace), rather than the old one being rewritten in place.
    assert target.stat().st_ino != inode_before


def test_file_changed_since_read_is_skipped(tmp_path: Path):
    target = tmp_path / "model.py"
    target.write_bytes(b"as read\n")
    original = target.read_bytes()
    target.write_bytes(b"edited meanwhile\n")
    with pytest.raises(WriteRefused, match="changed on disk since it was read"):
        write_if_unchanged(str(target), original, b"fixed\n")
    assert target.read_bytes() == b"edited meanwhile\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_out_of_the_tree_is_not_followed(tmp_path: Path):
    outside = tmp_path / "outside.py"
    outside.write_bytes(b"old\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    link = tree / "model.py"
    link.symlink_to(outside)
    with pytest.raises(WriteRefused, match="outside the linted tree"):
        write_if_unchanged(str(link), b"old\n", b"new\n", root=str(tree))
    assert outside.read_bytes() == b"old\n"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_inside_the_tree_is_written_through(tmp_path: Path):
    real = tmp_path / "real.py"
    real.write_bytes(b"old\n")
    link = tmp_path / "link.py"
    link.symlink_to(real)
    write_if_unchanged(str(link), b"old\n", b"new\n", root=str(tmp_path))
    assert link.is_symlink()
    assert real.read_bytes() == b"new\n"
