"""A unified diff that stays fast on large inputs (what --diff prints).

`difflib` finds its matches by scanning for the longest common block between
every pair of changed regions, which is quadratic when a file has thousands of
scattered edits among many repeated lines: a 49 MB notebook with 3,000 fixed
cells took a hundred seconds to diff.  Large inputs are matched the way
patience diff does: lines that occur once in each version anchor the match (a
longest increasing run, O(n log n)), the gaps between anchors are trimmed of
their common ends, and only what remains of a gap, when small, goes to
`difflib`.  Small inputs go to `difflib` as before, so ordinary diffs are the
ones `diff -u` users know.  The output format is difflib's `unified_diff`.
"""

from __future__ import annotations

import bisect
import difflib
from collections import Counter
from collections.abc import Iterator, Sequence

# Lines (old + new) from which the anchored matcher is used, and the largest gap left to difflib.
LARGE = 5_000
SMALL_GAP = 400


def unified_diff(a: Sequence[str], b: Sequence[str], fromfile: str, tofile: str, n: int = 3) -> Iterator[str]:
    """`difflib.unified_diff(a, b, fromfile, tofile, n=n)`, in O(n log n) for large inputs."""
    if len(a) + len(b) < LARGE:
        yield from difflib.unified_diff(a, b, fromfile=fromfile, tofile=tofile, n=n)
        return
    matcher = _AnchoredMatcher(a, b)
    started = False
    for group in matcher.get_grouped_opcodes(n):
        if not started:
            started = True
            yield f"--- {fromfile}\n"
            yield f"+++ {tofile}\n"
        first, last = group[0], group[-1]
        yield f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                yield from ("-" + line for line in a[i1:i2])
            if tag in ("replace", "insert"):
                yield from ("+" + line for line in b[j1:j2])


def _range(start: int, stop: int) -> str:
    """A hunk's range as difflib writes it."""
    beginning, length = start + 1, stop - start
    if length == 1:
        return str(beginning)
    if not length:
        beginning -= 1
    return f"{beginning},{length}"


class _AnchoredMatcher(difflib.SequenceMatcher):
    """A SequenceMatcher whose matching blocks come from unique-line anchors (see the module docstring)."""

    def __init__(self, a: Sequence[str], b: Sequence[str]) -> None:
        super().__init__(None, a, b, autojunk=False)

    def set_seq2(self, b: Sequence[str]) -> None:  # type: ignore[override]
        # The base class indexes every line of b for its own search, which this matcher does not use.
        self.b = b
        self.matching_blocks = self.opcodes = None

    def get_matching_blocks(self) -> list[difflib.Match]:
        if self.matching_blocks is not None:
            return self.matching_blocks
        a, b = self.a, self.b
        blocks: list[tuple[int, int, int]] = []
        i = j = 0
        for anchor_i, anchor_j in [*_anchors(a, b), (len(a), len(b))]:
            blocks.extend(_gap(a, b, i, anchor_i, j, anchor_j))
            if anchor_i < len(a):
                blocks.append((anchor_i, anchor_j, 1))
            i, j = anchor_i + 1, anchor_j + 1
        merged: list[list[int]] = []
        for start_a, start_b, size in blocks:
            if size and merged and merged[-1][0] + merged[-1][2] == start_a and merged[-1][1] + merged[-1][2] == start_b:
                merged[-1][2] += size
            elif size:
                merged.append([start_a, start_b, size])
        self.matching_blocks = [difflib.Match(*block) for block in merged] + [difflib.Match(len(a), len(b), 0)]
        return self.matching_blocks


def _anchors(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """Pairs (i, j) of lines occurring once in each of a and b, the longest run increasing in both."""
    count_a, count_b = Counter(a), Counter(b)
    where_b = {line: j for j, line in enumerate(b) if count_b[line] == 1}
    pairs = [(i, where_b[line]) for i, line in enumerate(a) if count_a[line] == 1 and line in where_b]
    # Longest increasing subsequence of the j's (pairs are sorted by i), by patience sorting.
    tops: list[int] = []
    top_index: list[int] = []
    previous: list[int] = []
    for index, (_, j) in enumerate(pairs):
        pile = bisect.bisect_left(tops, j)
        if pile == len(tops):
            tops.append(j)
            top_index.append(index)
        else:
            tops[pile] = j
            top_index[pile] = index
        previous.append(top_index[pile - 1] if pile else -1)
    run: list[tuple[int, int]] = []
    index = top_index[-1] if top_index else -1
    while index >= 0:
        run.append(pairs[index])
        index = previous[index]
    return run[::-1]


def _gap(a: Sequence[str], b: Sequence[str], i1: int, i2: int, j1: int, j2: int) -> list[tuple[int, int, int]]:
    """Matching blocks between anchors: the common ends, and difflib's matches in what remains when small."""
    head = 0
    while i1 + head < i2 and j1 + head < j2 and a[i1 + head] == b[j1 + head]:
        head += 1
    tail = 0
    while i2 - tail > i1 + head and j2 - tail > j1 + head and a[i2 - tail - 1] == b[j2 - tail - 1]:
        tail += 1
    blocks = [(i1, j1, head)]
    inner_a, inner_b = a[i1 + head : i2 - tail], b[j1 + head : j2 - tail]
    if inner_a and inner_b and len(inner_a) + len(inner_b) <= SMALL_GAP:
        for block in difflib.SequenceMatcher(None, inner_a, inner_b, autojunk=False).get_matching_blocks()[:-1]:
            blocks.append((i1 + head + block.a, j1 + head + block.b, block.size))
    blocks.append((i2 - tail, j2 - tail, tail))
    return blocks
