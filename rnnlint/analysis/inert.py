"""Functions whose analysis on their own can find nothing: no value in them can be Keras'.

The interpreter analyses every function on its own, with unknown arguments
(what it finds there holds at every call), and again at each call it follows,
with the caller's arguments.  On its own, a function that reads only constants,
unknown values, and modules outside Keras and TensorFlow builds no layer: what
it computes is unknown, constant, or concrete data (numpy), and no rule reports
on code without a layer.  Most functions of a real project are such functions
(argument parsing, file handling, training loops over models they are handed);
this module finds them before they are run, so that the interpreter skips them
there.  Their calls are still followed: what a helper returns to a caller is
unchanged.

The test reads the function's source text, not its tree: a regular expression
over a few lines costs a small fraction of a walk over their nodes, and what it
sees is a superset of the names the code reads.  Every word of the text (names,
attributes, words in strings and comments alike) that is bound where the
function was defined must hold a value of an inert kind, and none may import,
rebind a global, define a class or reach a model's layers (`model.layers`).
Reading more than the code reads can only make the answer "not inert".
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from rnnlint.analysis.values import Const, Function, Ref, Sequence, Unknown, Value
from rnnlint.keras import catalogue

if TYPE_CHECKING:
    from rnnlint.sources.python import LineIndex

# Keras packages whose objects never carry a layer, a tensor or a model: reading them yields
# nothing the rules look at (`keras.callbacks.EarlyStopping(...)`, `keras.optimizers.Adam`).
INERT_KERAS_PACKAGES = frozenset(
    {"callbacks", "optimizers", "losses", "metrics", "regularizers", "initializers", "constraints", "datasets", "utils"}
)
# Top-level modules through which a layer can be reached: Keras' own roots, and TensorFlow (tf.keras).
_KERAS_ROOTS = frozenset({root.partition(".")[0] for root in catalogue.KERAS_ROOTS} | {"tensorflow"})
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
# Words that bind names the test cannot see (an import, a global rebound), or define a class
# (instances, their methods, user attention layers).
_ACTIVE_WORDS = frozenset({"import", "global", "nonlocal", "class"})


def inert_ref(qualified: str) -> bool:
    """A module or symbol through which no Keras value can be reached."""
    if qualified.partition(".")[0] not in _KERAS_ROOTS:
        return True
    canonical = catalogue.canonical_name(qualified)
    return canonical is not None and canonical.partition(".")[0] in INERT_KERAS_PACKAGES


class Inertness:
    """Answers, per function, whether its analysis on its own could record anything.

    `source` is the text the tree was parsed from, by lines; `reads(scope, names)` gives what
    each of `names` bound around a function defined in `scope` means to it.  Answers are kept
    per function and defining scope: ask only once the scopes hold their final values (the
    interpreter analyses functions after the module ran).
    """

    def __init__(
        self,
        source: LineIndex,
        reads: Callable[[object, set[str]], Iterable[Value]],
        dynamic_attributes: frozenset[str],
    ) -> None:
        self.source = source
        self.reads = reads
        # ... and `model.layers`, `model.get_layer(...)`: any layer may be reached there.
        self.active = _ACTIVE_WORDS | dynamic_attributes
        self.known: dict[tuple[int, int], bool] = {}

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, scope: object) -> bool:
        """True when running `node`'s body in `scope`, with unknown arguments, can yield only unknowns and constants."""
        key = (id(node), id(scope))
        answer = self.known.get(key)
        if answer is None:
            self.known[key] = False  # while it is being judged: a call back into it is not inert
            answer = self.known[key] = self._judge(node, scope)
        return answer

    def _judge(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, scope: object) -> bool:
        # The body's lines: the signature (its defaults, its own name) is evaluated where the function is defined.
        start = node.lineno if isinstance(node, ast.Lambda) else node.body[0].lineno
        end = node.end_lineno
        if end is None or end > len(self.source.starts):
            return False  # not the text the tree was parsed from
        text = self.source.lines(start, end)
        if not text.isascii():
            import unicodedata

            text = unicodedata.normalize("NFKC", text)  # as Python reads identifiers
        words = set(_IDENTIFIER.findall(text))
        if not self.active.isdisjoint(words):
            return False
        return all(self._value_inert(value, node) for value in self.reads(scope, words))

    def _value_inert(self, value: Value, judged: ast.AST) -> bool:
        kind = type(value)
        if kind is Unknown or kind is Const:
            return True
        if kind is Ref:
            return inert_ref(value.qualified)  # type: ignore[union-attr]
        if kind is Sequence:
            return all(self._value_inert(item, judged) for item in value.items)  # type: ignore[union-attr]
        if kind is Function:
            # Called, its body runs: inert if that body is (one not followed into never runs).  The
            # function being judged, named in its own body (a recursive call, or a word in a string),
            # runs that same body: inert if the rest is.
            if value.node is judged:  # type: ignore[union-attr]
                return True
            return not value.inlinable or self.function(value.node, value.scope)  # type: ignore[union-attr]
        return False
