"""Build the edits a finding offers: set a keyword on a layer's construction, rename a name.

An edit is a span of the original text and its replacement, so everything
outside the span stays byte-for-byte as it was.  Inserting a keyword into a
call goes through libcst (imported only when a fix is built), which knows where
commas, parentheses and comments belong; the result is reduced to the smallest
text edit.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterable

from rnnlint.analysis.facts import Consumed, Fact, Indexed, LayerCalled, Unpacked
from rnnlint.analysis.values import ORIGIN, Layer, Outputs, Tensor
from rnnlint.diagnostics import Applicability, Edit, Fix, Location
from rnnlint.sources.python import LineIndex

_COMMENT = re.compile(r"#[^\r\n]*")


class FixBuilder:
    def __init__(self, index: LineIndex, facts: Iterable[Fact]) -> None:
        self.index = index
        # construction node -> its call sites; call node -> the places its result is used
        self.call_sites: dict[int, set[int]] = defaultdict(set)
        self.uses: dict[int, set[int]] = defaultdict(set)
        for fact in facts:
            if isinstance(fact, LayerCalled):
                self.call_sites[id(fact.layer.node)].add(id(fact.node))
            elif isinstance(fact, (Consumed, Unpacked, Indexed)):
                # Unpacking or indexing a list of outputs only hands its items on;
                # the items' own uses are counted where they are consumed.
                value = fact.value
                if isinstance(value, Outputs) and isinstance(fact, Consumed):
                    self.uses[id(value.call)].add(id(fact.node))
                elif isinstance(value, Tensor) and value.direct and value.call is not None:
                    self.uses[id(value.call)].add(id(fact.node))

    # Set when an edit was asked for on a node of another module of the project (values.ORIGIN):
    # the finding being built is then offered without its fix (rnnlint/api.py).
    foreign = False

    def start(self, node: ast.AST) -> Location:
        if getattr(node, ORIGIN, None) is not None:
            self.foreign = True
            return Location(1, 1)
        return self.index.location(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> Location:
        if getattr(node, ORIGIN, None) is not None:
            self.foreign = True
            return Location(1, 1)
        return self.index.location(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def keyword_fix(
        self, layer: Layer, keyword: str, value: str, *, safe: bool = True, whatever_the_uses: bool = False
    ) -> Fix | None:
        """Set `keyword=value` on the construction of `layer` (the wrapped layer of a Bidirectional).

        `whatever_the_uses`: the caller knows the change is invisible to every use
        (RNN501: only an output every call discards changes).
        """
        target = layer.wrapped if layer.is_bidirectional and layer.wrapped is not None else layer
        edit = self.keyword_edit(target.node, keyword, value)
        if edit is None:
            return None
        # The flag changes what every call of the layer returns: with one call whose
        # result is used in one place, the only use affected is the one being fixed.
        calls = self.call_sites[id(layer.node)]
        single_use = len(calls) <= 1 and all(len(self.uses[call]) <= 1 for call in calls)
        applicability = Applicability.SAFE if (single_use or whatever_the_uses) and safe else Applicability.UNSAFE
        message = f"Set `{keyword}={value}` on {target.class_name} (line {target.node.lineno})"
        return Fix(message, applicability, (edit,))

    def keyword_edit(self, call: ast.Call, keyword: str, value: str) -> Edit | None:
        if getattr(call, ORIGIN, None) is not None:
            self.foreign = True  # built in another module: not edited from here
            return None
        existing = next((k for k in call.keywords if k.arg == keyword), None)
        if existing is not None:
            return Edit(self.start(existing.value), self.end(existing.value), value)
        if any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args):
            return None
        start, end = self.start(call), self.end(call)
        insertion = self.plain_insertion(call, end, f"{keyword}={value}")
        if insertion is not None:
            return insertion
        original = self.index.text[self.index.offset(start) : self.index.offset(end)]
        try:
            rewritten = _add_keyword(original, keyword, value)
        except RecursionError:  # libcst walks its tree recursively: a deeply nested argument offers no fix
            return None
        if rewritten is None:
            return None
        return self.minimal_edit(start, original, rewritten)

    def replace_name_fix(self, node: ast.AST, name: str, new_name: str, title: str, safe: bool = True) -> Fix:
        """Replace the identifier `name` that `node` starts with (a keyword's name) or, for an
        attribute (`layers.CuDNNLSTM`), ends with."""
        width = len(name.encode())
        if isinstance(node, ast.Attribute) and node.end_lineno is not None and node.end_col_offset is not None:
            row, column = node.end_lineno, node.end_col_offset - width
        else:
            row, column = node.lineno, node.col_offset  # type: ignore[attr-defined]
        edit = Edit(self.index.location(row, column), self.index.location(row, column + width), new_name)
        return Fix(title, Applicability.SAFE if safe else Applicability.UNSAFE, (edit,))

    def plain_insertion(self, call: ast.Call, end: Location, argument: str) -> Edit | None:
        """The common layout, edited as text: a one-line call with nothing but `)` after its last argument.

        Anything else (a call over several lines, whose layout libcst keeps, or a
        parenthesised last argument) goes through libcst.
        """
        if call.lineno != call.end_lineno:
            return None
        arguments: list[ast.AST] = [*call.args, *call.keywords]
        anchor = max(arguments, key=lambda a: (a.end_lineno, a.end_col_offset)) if arguments else call.func
        after = self.end(anchor)
        tail = self.index.text[self.index.offset(after) : self.index.offset(end)]
        closing = _COMMENT.sub("", tail).split()
        if arguments and "".join(closing) in (")", ",)"):
            return Edit(after, after, f", {argument}")
        if not arguments and "".join(closing) == "()":
            before_paren = self.location_at(self.index.offset(end) - 1)
            return Edit(before_paren, before_paren, argument)
        return None

    def rename_fix(self, node: ast.AST, new_text: str, title: str, safe: bool = True) -> Fix:
        edit = Edit(self.start(node), self.end(node), new_text)
        return Fix(title, Applicability.SAFE if safe else Applicability.UNSAFE, (edit,))

    def minimal_edit(self, start: Location, original: str, rewritten: str) -> Edit:
        """The smallest edit turning `original` (which begins at `start`) into `rewritten`."""
        prefix = 0
        while prefix < min(len(original), len(rewritten)) and original[prefix] == rewritten[prefix]:
            prefix += 1
        suffix = 0
        while (
            suffix < min(len(original), len(rewritten)) - prefix
            and original[len(original) - 1 - suffix] == rewritten[len(rewritten) - 1 - suffix]
        ):
            suffix += 1
        base = self.index.offset(start)
        return Edit(
            self.location_at(base + prefix),
            self.location_at(base + len(original) - suffix),
            rewritten[prefix : len(rewritten) - suffix],
        )

    def location_at(self, offset: int) -> Location:
        import bisect

        row = bisect.bisect_right(self.index.starts, offset)
        return Location(row, offset - self.index.starts[row - 1] + 1)


def _add_keyword(call_source: str, keyword: str, value: str) -> str | None:
    """`LSTM(64)` -> `LSTM(64, return_state=True)`, keeping the call's own layout.

    When the last argument stands on its own line, the new one gets its own line
    with the same indentation (and a trailing comma stays trailing).  Line
    endings are the source's own: a CRLF file gets CRLF.
    """
    import libcst as cst

    newline = "\r\n" if "\r\n" in call_source else "\r" if "\r" in call_source else "\n"
    try:
        call = cst.parse_expression(call_source, cst.PartialParserConfig(default_newline=newline))
    except cst.ParserSyntaxError:
        return None
    if not isinstance(call, cst.Call):
        return None
    no_space = cst.SimpleWhitespace("")
    new_arg = cst.Arg(
        keyword=cst.Name(keyword),
        value=cst.parse_expression(value),
        equal=cst.AssignEqual(whitespace_before=no_space, whitespace_after=no_space),
    )
    args = list(call.args)
    if args:
        last = args[-1]
        before_last = args[-2].comma.whitespace_after if len(args) > 1 and isinstance(args[-2].comma, cst.Comma) else call.whitespace_before_args
        if isinstance(before_last, cst.ParenthesizedWhitespace):
            # One argument per line: the new one goes on a line of its own, indented alike.
            own_line = cst.ParenthesizedWhitespace(indent=before_last.indent, last_line=before_last.last_line)
            if isinstance(last.comma, cst.Comma):
                after = last.comma.whitespace_after
                if isinstance(after, cst.ParenthesizedWhitespace):
                    # The comment after the last argument stays on its line; what led to `)` now follows the new one.
                    last = last.with_changes(comma=last.comma.with_changes(whitespace_after=own_line.with_changes(first_line=after.first_line)))
                    new_arg = new_arg.with_changes(comma=cst.Comma(whitespace_after=after.with_changes(first_line=cst.TrailingWhitespace())))
                else:
                    new_arg = new_arg.with_changes(comma=last.comma)
                    last = last.with_changes(comma=cst.Comma(whitespace_after=own_line))
            else:
                new_arg = new_arg.with_changes(whitespace_after_arg=last.whitespace_after_arg)
                last = last.with_changes(comma=cst.Comma(whitespace_after=own_line), whitespace_after_arg=no_space)
        elif isinstance(last.comma, cst.Comma):
            # A trailing comma stays trailing: the new argument takes it over.
            new_arg = new_arg.with_changes(comma=last.comma)
            last = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        else:
            last = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        args[-1] = last
    args.append(new_arg)
    return cst.Module(body=[], default_newline=newline).code_for_node(call.with_changes(args=args))
