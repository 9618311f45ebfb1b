"""What a rule is: a code, a name, a severity, documentation with examples, and a check over facts."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from rnnlint.analysis.facts import Fact
from rnnlint.diagnostics import Fix, Severity
from rnnlint.fixes import FixBuilder
from rnnlint.settings import Settings


@dataclass(frozen=True)
class Invalid:
    """An INVALID example: `code` must produce `count` findings of the rule; `fixed` is the code after --fix."""

    code: str
    fixed: str | None = None
    count: int = 1
    unsafe_fix: bool = False


@dataclass(frozen=True)
class Finding:
    """What a rule reports: where (an ast node), what, and how to mend it."""

    node: ast.AST
    message: str
    fix: Fix | None = None


class Rule:
    """Base class of every rule.

    A subclass sets the class attributes and implements `check`, which receives
    every fact of the types named in `facts` and yields findings; `fixes`
    builds the edits a finding offers.  The docstring
    is the rule's documentation (sections: What it does, Why is this bad?,
    Example, Use instead, Fix safety).
    """

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    facts: ClassVar[tuple[type, ...]]
    valid: ClassVar[list[str]] = []
    invalid: ClassVar[list[Invalid]] = []

    def __init__(self, settings: Settings | None = None) -> None:
        # Rules that depend on the run's settings (the targeted Keras) read them here.
        self.settings = settings or Settings()

    def check(self, fact: Fact, fixes: FixBuilder) -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def on_by_default(cls) -> bool:
        return cls.severity.on_by_default

    @classmethod
    def documentation(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")
