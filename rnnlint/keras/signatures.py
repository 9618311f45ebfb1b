"""The keyword arguments each recurrent class accepts, per Keras major version.

The data is generated from the real libraries by scripts/gen_signatures.py
(never typed by hand) into signatures_k3.json (Keras 3) and signatures_k2.json
(tf-keras 2); the Keras-1 keyword names multi-backend Keras 2 still converted
(`output_dim` -> `units`, ...) by scripts/gen_renames.py into renames_k1.json,
from keras 2.2.4's own conversion table.  It is read lazily, on the first question, and cached: plain
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


@dataclass(frozen=True)
class Keras1Name:
    """A Keras-1 keyword of a recurrent class, as multi-backend Keras 2 converted it (rnnlint/keras/renames_k1.json)."""

    old: str
    new: str
    # True when Keras 2 passed the value on unchanged (possibly through `values`); False when its
    # converter transformed it by code (`forget_bias_init='one'` -> `unit_forget_bias=True`).
    renamed: bool
    # old value -> new value, when the conversion maps values (`consume_less`: 'gpu' -> 2).
    values: tuple[tuple[object, object], ...] = ()


@dataclass(frozen=True)
class Keras1Class:
    names: dict[str, Keras1Name]
    # Current keyword -> values Keras 2.3 already warned were deprecated ("*": any value).
    deprecated: dict[str, tuple[object, ...]]

    def deprecates(self, keyword: str, value: object) -> bool:
        values = self.deprecated.get(keyword, ())
        return "*" in values or any(type(v) is type(value) and v == value for v in values)


@cache
def keras1_names(class_name: str) -> Keras1Class | None:
    """The Keras-1 keywords multi-backend Keras 2 still converted for `class_name`, or None (generated
    by scripts/gen_renames.py from keras 2.3.1's keras/legacy/interfaces.py)."""
    return _keras1_table().get(class_name)


@cache
def _keras1_table() -> dict[str, Keras1Class]:
    raw = json.loads((_DATA / "renames_k1.json").read_text(encoding="utf-8"))
    table = {}
    for class_name, entry in raw["classes"].items():
        names = {
            old: Keras1Name(old, spec["to"], spec["how"] == "rename", tuple(tuple(pair) for pair in spec.get("values", ())))
            for old, spec in entry["keywords"].items()
        }
        deprecated = {keyword: tuple(values) for keyword, values in entry["deprecated"].items()}
        table[class_name] = Keras1Class(names, deprecated)
    return table
