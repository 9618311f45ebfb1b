"""The registry of reproduction builders, one per rule code (filled by the `reproductions*` modules).

Kept apart from the builders so that the rule families, each in its own module,
register here and `reproductions.build` imports them all: imports flow one way.
"""

from __future__ import annotations

from collections.abc import Callable

from rnnlint.confirm.program import Reproduction, Sketch
from rnnlint.rules._base import Finding

Builder = Callable[[object, Finding, Sketch], Reproduction]
BUILDERS: dict[str, Builder] = {}


def reproduces(code: str) -> Callable[[Builder], Builder]:
    def register(builder: Builder) -> Builder:
        BUILDERS[code] = builder
        return builder

    return register
