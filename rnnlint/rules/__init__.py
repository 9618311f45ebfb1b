"""The rule catalogue, discovered from the modules of this package.

Each `rnnNNN_<name>.py` module defines one `Rule` subclass; adding a rule is
adding a module.  A meta-test checks codes and names are unique and documented.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import cache

from rnnlint.rules._base import Finding, Invalid, Rule

_RULE_MODULE = re.compile(r"rnn\d{3}_\w+")


@cache
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class, ordered by code."""
    found: list[type[Rule]] = []
    for module_info in pkgutil.iter_modules(__path__):
        if not _RULE_MODULE.fullmatch(module_info.name):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        found.extend(
            obj
            for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, Rule) and obj is not Rule and obj.__module__ == module.__name__
        )
    return tuple(sorted(found, key=lambda rule: rule.code))


def rule_by_code(code: str) -> type[Rule] | None:
    return next((rule for rule in all_rules() if rule.code == code.upper()), None)


__all__ = ["Finding", "Invalid", "Rule", "all_rules", "rule_by_code"]
