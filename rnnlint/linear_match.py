"""Wildcard patterns (.gitignore, exclude, per-file-ignores) matched in time linear in the path.

pathspec turns each git wildcard pattern into a regular expression, and Python's
`re` backtracks: `*a*a*a*b` against a long name, or `a/**/b/**/c` against a deep
path, takes seconds to hours per file, and a pull request writes both the
`.gitignore` and the file names.  Two things bound the work:

- `collapse_stars` rewrites a run of `*` to what git reads it as (`a***b` is
  `a*b`; a segment of stars, `**`), so `************zz` is `*zz`;
- a pattern whose expression could still backtrack polynomially (three or more
  `[^/]*` in one segment, or two or more repeats that cross `/`) is matched by
  `LinearRegex`: the same expression run as an automaton, one step per
  character of the path (a lazily built DFA, its cache bounded).

Everything else keeps `re`, which is faster on the patterns people write.
"""

from __future__ import annotations

import re

try:  # Python 3.11+
    from re import _constants as _sre  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

_DIR_MARK = "ps_d"  # pathspec's group: the pattern matched a directory above the path
_MAX_BOUNDED_REPEAT = 64
_MAX_CACHED_STATES = 4096


def collapse_stars(pattern: str) -> str:
    """`pattern` with each run of two or more `*` written as git reads it (escapes and brackets kept)."""
    if "**" not in pattern:
        return pattern
    if pattern.startswith("!"):
        return "!" + collapse_stars(pattern[1:])
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
        elif c == "[" and (end := _bracket_end(pattern, i)) is not None:
            out.append(pattern[i : end + 1])
            i = end + 1
        elif c == "*":
            j = i
            while j < n and pattern[j] == "*":
                j += 1
            segment = (i == 0 or pattern[i - 1] == "/") and (j == n or pattern[j] == "/")
            out.append("**" if j - i >= 2 and segment else "*")
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _bracket_end(pattern: str, start: int) -> int | None:
    """The index of the `]` closing the bracket expression opened at `start`, or None (a literal `[`)."""
    i = start + 1
    if i < len(pattern) and pattern[i] in "!^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    end = pattern.find("]", i)
    return end if end >= 0 else None


_SEGMENT_STARS = re.compile(r"(?:\[\^/\]\*)")
_CROSSING = re.compile(r"\.\*|\.\+")


def risky(expression: str) -> bool:
    """Whether `re` could backtrack on `expression` for longer than a linear pass (see the module doc)."""
    if len(_CROSSING.findall(expression)) >= 2:
        return True
    marked = _SEGMENT_STARS.sub("\0", expression)  # (its own `/` must not split a segment)
    return any(segment.count("\0") >= 3 for segment in marked.split("/"))


def linearise(spec) -> None:  # spec: a pathspec spec (imported lazily)
    """Give every risky pattern of `spec` a LinearRegex in place of its compiled expression."""
    for pattern in getattr(spec, "patterns", ()):
        regex = getattr(pattern, "regex", None)
        if regex is None or not isinstance(regex.pattern, str) or not risky(regex.pattern):
            continue
        try:
            linear = LinearRegex(regex)
        except Exception:  # noqa: BLE001 - an expression the automaton does not know (or another re._parser)
            linear = None  # `re`, as before
        if linear is not None:
            pattern.regex = linear


class _Unsupported(Exception):
    pass


class _Match:
    """What pathspec reads of a match: its named groups (only whether the directory mark matched)."""

    def __init__(self, names: dict[str, int], directory: bool) -> None:
        self._groups = {name: ("/" if name == _DIR_MARK and directory else None) for name in names}

    def groupdict(self) -> dict[str, str | None]:
        return dict(self._groups)

    def group(self, name: str | int = 0) -> str | None:
        return self._groups.get(name) if isinstance(name, str) else None


class LinearRegex:
    """A compiled expression (the subset pathspec writes) run as a lazily built DFA: `search` and `match`
    anchor at the start (pathspec's expressions all begin with `^`) and take one step per character."""

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.pattern = regex.pattern
        self.flags = regex.flags
        if regex.flags & ~re.UNICODE:
            raise _Unsupported
        parsed = _sre_parse.parse(regex.pattern)
        self.names = dict(parsed.state.groupdict)
        items = list(parsed)
        if not items or items[0] != (_sre.AT, _sre.AT_BEGINNING):
            raise _Unsupported
        self.mark_group = self.names.get(_DIR_MARK)
        # States: ("char", test, next) | ("split", a, b) | ("mark", next) | ("end", next) | ("accept",)
        self.states: list[list] = [["accept"]]
        self.start = self._sequence(items[1:], 0)
        self._cache: dict = {}

    # --- building the automaton -------------------------------------------------------------------

    def _add(self, *state: object) -> int:
        self.states.append(list(state))
        return len(self.states) - 1

    def _sequence(self, items: list, following: int) -> int:
        for op, argument in reversed(items):
            following = self._node(op, argument, following)
        return following

    def _node(self, op, argument, following: int) -> int:  # one case per opcode
        if op is _sre.LITERAL:
            character = chr(argument)
            return self._add("char", lambda c: c == character, following)
        if op is _sre.NOT_LITERAL:
            character = chr(argument)
            return self._add("char", lambda c: c != character, following)
        if op is _sre.ANY:
            return self._add("char", lambda c: c != "\n", following)
        if op is _sre.IN:
            return self._add("char", _class_test(argument), following)
        if op is _sre.SUBPATTERN:
            group, add_flags, del_flags, items = argument
            if add_flags or del_flags:
                raise _Unsupported
            inner = self._sequence(list(items), following)
            return self._add("mark", inner) if group is not None and group == self.mark_group else inner
        if op is _sre.BRANCH:
            alternatives = [self._sequence(list(items), following) for items in argument[1]]
            start = alternatives[-1]
            for alternative in reversed(alternatives[:-1]):
                start = self._add("split", alternative, start)
            return start
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
            low, high, items = argument
            items = list(items)
            if high == _sre.MAXREPEAT:
                loop = self._add("split", None, following)
                self.states[loop][1] = self._sequence(items, loop)
                start = loop
            else:
                if high > _MAX_BOUNDED_REPEAT:
                    raise _Unsupported
                start = following
                for _ in range(high - low):
                    start = self._add("split", self._sequence(items, start), following)
            for _ in range(low):
                start = self._sequence(items, start)
            return start
        if op is _sre.AT and argument in (_sre.AT_END, _sre.AT_END_STRING):
            return self._add("end", following, argument is _sre.AT_END)
        raise _Unsupported

    # --- running it -------------------------------------------------------------------------------

    def _closure(self, seeds: frozenset, end: int) -> tuple[frozenset, frozenset]:
        """The character-consuming states reachable from `seeds` without input, and the marks with which
        `accept` was reached.  `end`: 0 in the middle, 1 before a final newline, 2 at the very end."""
        key = (seeds, end)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        found, accepted, stack, seen = set(), set(), list(seeds), set(seeds)
        while stack:
            state, mark = stack.pop()
            kind = self.states[state]
            if kind[0] == "char":
                found.add((state, mark))
                continue
            if kind[0] == "accept":
                accepted.add(mark)
                continue
            if kind[0] == "split":
                targets = [(kind[1], mark), (kind[2], mark)]
            elif kind[0] == "mark":
                targets = [(kind[1], True)]
            elif end == 2 or (end == 1 and kind[2]):  # "end": `$` also matches before a final newline
                targets = [(kind[1], mark)]
            else:
                targets = []
            for target in targets:
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        if len(self._cache) > _MAX_CACHED_STATES:
            self._cache.clear()  # bounded memory; the run stays linear, a step just costs a closure again
        result = self._cache[key] = (frozenset(found), frozenset(accepted))
        return result

    def match(self, path: str) -> _Match | None:
        n = len(path)

        def end_at(position: int) -> int:
            if position == n:
                return 2
            return 1 if position == n - 1 and path[position] == "\n" else 0

        current, accepted = self._closure(frozenset({(self.start, False)}), end_at(0))
        marks = set(accepted)
        for position, character in enumerate(path):
            if False in marks or not current:
                break
            step = frozenset((self.states[s][2], mark) for s, mark in current if self.states[s][1](character))
            current, accepted = self._closure(step, end_at(position + 1))
            marks |= accepted
        if not marks:
            return None
        return _Match(self.names, directory=False not in marks)

    search = match
    fullmatch = None  # pathspec does not ask for it


def _class_test(items: list):  # a predicate on one character
    negate = False
    singles: set[str] = set()
    ranges: list[tuple[int, int]] = []
    for op, argument in items:
        if op is _sre.NEGATE:
            negate = True
        elif op is _sre.LITERAL:
            singles.add(chr(argument))
        elif op is _sre.RANGE:
            ranges.append(argument)
        else:  # a category (\d, \w): pathspec does not write them
            raise _Unsupported

    def test(character: str) -> bool:
        inside = character in singles or any(low <= ord(character) <= high for low, high in ranges)
        return inside != negate

    return test
