"""--diff on large inputs (issue 15, item 24): the anchored matcher's diff applies, and never scans the whole file."""

from __future__ import annotations

import difflib
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlint import textdiff
from rnnlint.runner import unified_diff

_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def apply(a: list[str], diff: list[str]) -> list[str]:
    """Apply a unified diff (as produced here) to the lines `a`."""
    result: list[str] = []
    position = 0
    lines = iter(diff[2:])
    for line in lines:
        match = _HUNK.match(line)
        if match:
            start = int(match.group(1)) - (0 if match.group(2) == "0" else 1)
            result.extend(a[position:start])
            position = start
            continue
        if line.startswith(" "):
            assert a[position] == line[1:]
            result.append(line[1:])
            position += 1
        elif line.startswith("-"):
            assert a[position] == line[1:]
            position += 1
        else:
            assert line.startswith("+")
            result.append(line[1:])
    return result + a[position:]


lines = st.lists(st.sampled_from([f"line {n}\n" for n in range(12)] + [f"unique {n}\n" for n in range(40)]), max_size=80)


@settings(max_examples=300, deadline=None)
@given(lines, lines)
def test_the_anchored_diff_turns_the_old_lines_into_the_new(a, b):
    original = textdiff.LARGE
    textdiff.LARGE = 0  # the anchored matcher, whatever the size
    try:
        diff = list(textdiff.unified_diff(a, b, "x", "x"))
    finally:
        textdiff.LARGE = original
    if a == b:
        assert diff == []
    else:
        assert diff[:2] == ["--- x\n", "+++ x\n"]
        assert apply(a, diff) == b


def test_small_inputs_get_difflib_s_own_diff():
    a = [f"{n}\n" for n in range(50)]
    b = a[:10] + ["new\n"] + a[12:]
    assert list(textdiff.unified_diff(a, b, "f", "f")) == list(difflib.unified_diff(a, b, fromfile="f", tofile="f"))


def test_a_large_file_with_scattered_edits_is_never_scanned_whole(monkeypatch):
    """3,000 edited cells among repeated lines (a notebook's JSON): difflib searched the whole file for each
    edit (a hundred seconds for a 49 MB notebook); the anchored matcher hands it small gaps only."""
    block = ['  "outputs": [\n', '   "same output"\n', "  ],\n"]
    before, after = [], []
    for n in range(3000):
        before += [*block, f'  "source": "LSTM({n})"\n']
        after += [*block, f'  "source": "LSTM({n}, return_state=True)"\n']
    scanned = []
    real = difflib.SequenceMatcher.find_longest_match

    def measured(self, alo=0, ahi=None, blo=0, bhi=None):
        scanned.append((ahi if ahi is not None else len(self.a)) - alo)
        return real(self, alo, ahi, blo, bhi)

    monkeypatch.setattr(difflib.SequenceMatcher, "find_longest_match", measured)
    # A notebook is diffed per cell (runner._cell_diffs); its JSON text stands here for any large file.
    text = unified_diff("nb.json", "".join(before).encode(), "".join(after).encode())
    assert text.count("\n+  \"source\"") == 3000 and text.count("\n-  \"source\"") == 3000
    assert max(scanned, default=0) <= textdiff.SMALL_GAP
