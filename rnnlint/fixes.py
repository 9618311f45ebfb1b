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
from collections.abc import Sequence

from rnnlint.analysis.facts import Consumed, Fact, Indexed, LayerCalled, Unpacked
from rnnlint.analysis.values import ORIGIN, Layer, Outputs, Tensor
from rnnlint.diagnostics import Applicability, Edit, Fix, Location
from rnnlint.sources.python import LineIndex

_COMMENT = re.compile(r"#[^\r\n]*")


class FixBuilder:
    def __init__(self, index: LineIndex, facts: Sequence[Fact], tree: ast.Module | None = None) -> None:
        self.index = index
        self.tree = tree
        self._names: dict[str, list[ast.AST]] | None = None  # built on first need (a helper's parameter)
        self._holders: dict[int, ast.AST] = {}  # a helper function -> the module, class or function holding it
        self._only_calls: dict[int, ast.Call | None] = {}
        self.facts = facts
        self._uses: tuple[dict[int, set[int]], dict[int, set[int]]] | None = None  # on first need (a fix built)

    def _call_sites_and_uses(self) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
        """construction node -> its call sites; call node -> the places its result is used."""
        if self._uses is None:
            call_sites: dict[int, set[int]] = defaultdict(set)
            uses: dict[int, set[int]] = defaultdict(set)
            for fact in self.facts:
                if isinstance(fact, LayerCalled):
                    call_sites[id(fact.layer.node)].add(id(fact.node))
                elif isinstance(fact, (Consumed, Unpacked, Indexed)):
                    # Unpacking or indexing a list of outputs only hands its items on;
                    # the items' own uses are counted where they are consumed.
                    value = fact.value
                    if isinstance(value, Outputs) and isinstance(fact, Consumed):
                        uses[id(value.call)].add(id(fact.node))
                    elif isinstance(value, Tensor) and value.direct and value.call is not None:
                        uses[id(value.call)].add(id(fact.node))
            self._uses = (call_sites, uses)
        return self._uses

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
        # The flag changes what every call of the layer returns: with one call whose
        # result is used in one place, the only use affected is the one being fixed.
        call_sites, uses = self._call_sites_and_uses()
        calls = call_sites[id(layer.node)]
        single_use = len(calls) <= 1 and all(len(uses[call]) <= 1 for call in calls)
        existing = next((k for k in target.node.keywords if k.arg == keyword), None)
        parameter = self.parameter_of(target.node, existing.value) if existing is not None else None
        if parameter is not None:
            # `GRU(16, return_sequences=seq)` in a helper: the value comes from the helper's caller.
            return self.caller_fix(target, layer, keyword, value, parameter, safe=safe and (single_use or whatever_the_uses))
        edit = self.keyword_edit(target.node, keyword, value)
        if edit is None:
            return None
        applicability = Applicability.SAFE if (single_use or whatever_the_uses) and safe else Applicability.UNSAFE
        message = f"Set `{keyword}={value}` on {target.class_name} (line {target.node.lineno})"
        return Fix(message, applicability, (edit,), claims=(self.claim(target.node, keyword),))

    # --- a flag set from a helper's parameter --------------------------------------------

    def _index(self) -> None:
        """Where each name is used (calls by that name, other loads and stores, definitions): one walk of
        the module, on first need (a flag given by a helper's parameter)."""
        if self._names is not None:
            return
        self._names = {}
        for node in ast.walk(self.tree) if self.tree is not None else ():
            if isinstance(node, ast.Name):
                self._names.setdefault(node.id, []).append(node)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                self._names.setdefault(node.func.id, []).append(node)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self._names.setdefault(node.name, []).append(node)

    def enclosing_function(self, node: ast.AST) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.AST] | None:
        """The innermost function whose body holds `node`, and what holds that function (the module, a
        class, a function), found by descending statements by their lines; None at module level or
        inside a lambda."""
        row = getattr(node, "lineno", None)
        if self.tree is None or row is None:
            return None
        found = None
        holder: ast.AST = self.tree
        body = self.tree.body
        while True:
            inner = next((s for s in body if s.lineno <= row <= (s.end_lineno or s.lineno) and hasattr(s, "body")), None)
            if inner is None:
                break
            if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found = (inner, holder)
            holder = inner
            body = [*inner.body, *getattr(inner, "orelse", ()), *getattr(inner, "finalbody", ()),  # type: ignore[attr-defined]
                    *(s for h in getattr(inner, "handlers", ()) for s in h.body)]
        if found is None:
            return None
        function = found[0]
        if any(isinstance(n, ast.Lambda) and n.lineno <= row <= (n.end_lineno or n.lineno) for n in ast.walk(function)):
            return None  # possibly the lambda's own parameter
        return found

    def parameter_of(self, call: ast.Call, value: ast.expr) -> tuple[ast.FunctionDef, ast.arg] | None:
        """The function and parameter `value` names, when it is a parameter of the function around `call`."""
        if not isinstance(value, ast.Name) or self.tree is None:
            return None
        enclosing = self.enclosing_function(call)
        if enclosing is None:
            return None  # module level (a constant), or a lambda
        function, holder = enclosing
        self._holders[id(function)] = holder
        arguments = function.args
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        found = next((a for a in every if a.arg == value.id), None)
        return (function, found) if found is not None else None

    def caller_fix(
        self, target: Layer, layer: Layer, keyword: str, value: str, parameter: tuple[ast.FunctionDef, ast.arg], *, safe: bool
    ) -> Fix | None:
        """Pass `value` for the helper's parameter at its one call site; None when that cannot be said.

        Rewriting the helper (`return_sequences=True` in place of `seq`) would leave
        the parameter dead and change what every caller gets; editing the caller's
        argument changes only the call being fixed.  With several call sites (or a
        helper handed around by name), no fix is offered.
        """
        function, argument = parameter
        name = argument.arg
        loads = [n for n in ast.walk(function) if isinstance(n, ast.Name) and n.id == name]
        if any(not isinstance(n.ctx, ast.Load) for n in loads):
            return None  # reassigned in the helper: the keyword's value is not simply the argument
        call = self.only_call_of(function)
        if call is None or (layer.via is not None and layer.via is not call):
            return None
        edit = self.argument_edit(call, function, argument, value)
        if edit is None:
            return None
        # The parameter feeding anything else in the helper changes that too.
        applicability = Applicability.SAFE if safe and len(loads) == 1 else Applicability.UNSAFE
        message = (
            f"Pass `{name}={value}` to {function.name} (line {call.lineno}), "
            f"which sets `{keyword}` on {target.class_name} (line {target.node.lineno})"
        )
        return Fix(message, applicability, (edit,), claims=(self.claim(call, name),))

    def only_call_of(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.Call | None:
        """The one call of a module-level or nested function by its name, when its name is used for nothing else."""
        if id(function) not in self._only_calls:
            self._only_calls[id(function)] = self._find_only_call(function)
        return self._only_calls[id(function)]

    def _find_only_call(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.Call | None:
        if isinstance(self._holders.get(id(function)), ast.ClassDef) or function.decorator_list:
            return None  # a method (called through an object) or a wrapped function
        self._index()
        calls: list[ast.Call] = []
        other_uses = 0
        for node in self._names.get(function.name, ()):  # type: ignore[union-attr]
            if isinstance(node, ast.Call):
                calls.append(node)
            elif isinstance(node, ast.Name):
                other_uses += 1
            else:
                other_uses += node is not function  # defined twice
        # Each call's `func` is also a Name of the function: those are not other uses.
        if len(calls) != 1 or other_uses != len(calls):
            return None
        return calls[0]

    def argument_edit(
        self, call: ast.Call, function: ast.FunctionDef | ast.AsyncFunctionDef, argument: ast.arg, value: str
    ) -> Edit | None:
        """Set the argument `call` passes for `argument` to `value` (inserting it as a keyword when defaulted)."""
        name = argument.arg
        given = next((k for k in call.keywords if k.arg == name), None)
        if given is not None:
            return Edit(self.start(given.value), self.end(given.value), value)
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return None
        positional = [*function.args.posonlyargs, *function.args.args]
        if argument in positional:
            position = positional.index(argument)
            if position < len(call.args):
                node = call.args[position]
                return Edit(self.start(node), self.end(node), value)
            if argument in function.args.posonlyargs:
                return None  # cannot be given by keyword
        return self.keyword_edit(call, name, value)

    def claim(self, call: ast.Call, keyword: str) -> tuple[Location, Location, str]:
        """What a fix setting `keyword` on `call` claims (see Fix.claims)."""
        return (self.start(call), self.end(call), keyword)

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

    def replace_name_fix(
        self, node: ast.AST, name: str, new_name: str, title: str, safe: bool = True, call: ast.Call | None = None
    ) -> Fix:
        """Replace the identifier `name` that `node` starts with (a keyword's name) or, for an
        attribute (`layers.CuDNNLSTM`), ends with.  `call`: the call whose keyword `node` is,
        which the renamed keyword is then set on."""
        width = len(name.encode())
        if isinstance(node, ast.Attribute) and node.end_lineno is not None and node.end_col_offset is not None:
            row, column = node.end_lineno, node.end_col_offset - width
        else:
            row, column = node.lineno, node.col_offset  # type: ignore[attr-defined]
        edit = Edit(self.index.location(row, column), self.index.location(row, column + width), new_name)
        claims = (self.claim(call, new_name),) if call is not None else ()
        return Fix(title, Applicability.SAFE if safe else Applicability.UNSAFE, (edit,), claims=claims)

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
