"""The keyword arguments each recurrent class accepts, per Keras major version.

The data is generated from the real libraries by scripts/gen_signatures.py
(never typed by hand) into signatures_k3.json (Keras 3) and signatures_k2.json
(tf-keras 2).  It is read lazily, on the first question, and cached: plain
linting of a file without recurrent layers never opens it, and nothing here
imports keras.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TARGETS = (2, 3)
_DATA = Path(__file__).parent


@dataclass(frozen=True)
class ClassSignature:
    name: str
    keywords: frozenset[str]
    positional: tuple[str, ...]
    # Where the library exports the class ("layers"; Keras 2: "v2" and/or "v1").
    namespaces: tuple[str, ...]


@dataclass(frozen=True)
class Signatures:
    target: int
    library: str
    version: str
    classes: dict[str, ClassSignature]

    def get(self, class_name: str) -> ClassSignature | None:
        return self.classes.get(class_name)


@cache
def signatures(target: int) -> Signatures:
    """The accepted keywords of every recurrent class of Keras `target` (2 or 3)."""
    if target not in TARGETS:
        raise ValueError(f"unknown Keras target {target!r}; expected one of {TARGETS}")
    raw = json.loads((_DATA / f"signatures_k{target}.json").read_text(encoding="utf-8"))
    classes = {
        name: ClassSignature(name, frozenset(entry["keywords"]), tuple(entry["positional"]), tuple(entry["namespaces"]))
        for name, entry in raw["classes"].items()
    }
    return Signatures(target, raw["library"], raw["version"], classes)


def other_target(target: int) -> int:
    return 2 if target == 3 else 3


# How close a keyword must be to a real one to be suggested for it (difflib's ratio).
SUGGEST_CUTOFF = 0.7


def close_keywords(signature: ClassSignature, name: str, cutoff: float = SUGGEST_CUTOFF) -> list[tuple[float, str]]:
    """The accepted keywords nearest to a misspelt `name`, best first, with their similarity."""
    import difflib

    scored = sorted(((difflib.SequenceMatcher(None, name, real).ratio(), real) for real in signature.keywords), reverse=True)
    return [(score, real) for score, real in scored if score >= cutoff]
