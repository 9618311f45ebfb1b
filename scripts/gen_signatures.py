#!/usr/bin/env python
"""Generate rnnlint/keras/signatures_k3.json and signatures_k2.json from the real libraries.

Run it when Keras releases (it needs `keras` 3 and `tf_keras` 2 installed, e.g.
`pip install tensorflow tf_keras`):

    python scripts/gen_signatures.py            # rewrite the JSON files
    python scripts/gen_signatures.py --check    # exit 1 when they are out of date

For every recurrent class a library exports (every public layer whose name
contains one of the catalogue's RECURRENT_WORDS: LSTM, GRU, RNN, Bidirectional,
their cells and wrappers), it records the keyword arguments the constructor
really accepts.  A signature alone does not say that: recurrent layers take
`**kwargs` and hand them down to the base `Layer`, which accepts a few more
(`input_shape`, `name`, `dtype`, ... in Keras 3; also `batch_input_shape`,
`batch_size`, `weights`, ... in Keras 2) and rejects the rest at run time, some
classes pop extra keywords on the way (`implementation`), and some parameters of
a base class cannot be passed to a subclass (`cell` to `LSTM`).  So the
candidates (every parameter of every `__init__` in the class's MRO, and every
identifier-like string constant in those `__init__`s' source) are each
*probed*: the class is constructed with the candidate keyword, and the keyword
counts as accepted unless the library rejects it as unknown, exactly as it
rejects a keyword that cannot exist.

Nothing here is typed by hand except how to fill a constructor's required
arguments (`units=1`, a cell for `RNN`, ...).  Plain linting never runs this
script and never imports keras: it reads the JSON it writes.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import sys
import textwrap
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rnnlint.keras.catalogue import RECURRENT_WORDS  # noqa: E402

OUTPUT = ROOT / "rnnlint" / "keras"
BOGUS = "zz_rnnlint_not_a_keyword"
IDENTIFIER_CHARS = set("abcdefghijklmnopqrstuvwxyz_0123456789")

# target -> (library, the namespaces whose layers we record)
LIBRARIES = {
    3: ("keras", {"layers": "keras.layers"}),
    2: ("tf_keras", {"v2": "tf_keras.layers", "v1": "tf_keras.api._v1.keras.layers"}),
}


def recurrent_classes(namespaces: dict[str, str]) -> dict[str, tuple[type, list[str]]]:
    """Public recurrent classes: name -> (class, the namespaces exporting it)."""
    found: dict[str, tuple[type, list[str]]] = {}
    for label, module_name in namespaces.items():
        module = importlib.import_module(module_name)
        for name in sorted(dir(module)):
            obj = getattr(module, name)
            if name.startswith("_") or not inspect.isclass(obj):
                continue
            if not any(word in name for word in RECURRENT_WORDS):
                continue
            if name in found:
                found[name][1].append(label)
            else:
                found[name] = (obj, [label])
    return found


def required_value(param: str, layers):  # noqa: ANN001, ANN201 - layers: the library's layers module
    """How to fill a required constructor argument so the constructor can run."""
    makers = {
        "units": lambda: 1,
        "filters": lambda: 1,
        "kernel_size": lambda: 1,
        "cell": lambda: layers.LSTMCell(1),
        "cells": lambda: [layers.LSTMCell(1)],
        "layer": lambda: layers.LSTM(1),
        "rank": lambda: 2,
    }
    if param not in makers:
        raise SystemExit(f"gen_signatures: do not know how to fill required argument {param!r}")
    return makers[param]()


def own_parameters(cls: type) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return []


def candidates(cls: type) -> set[str]:
    """Every name that might be an accepted keyword: MRO parameters and strings in MRO __init__s."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or not inspect.isfunction(init):
            continue
        for param in list(inspect.signature(init).parameters.values())[1:]:
            if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
                names.add(param.name)
        try:
            source = textwrap.dedent(inspect.getsource(init))
        except (OSError, TypeError):
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if text and text.isidentifier() and set(text) <= IDENTIFIER_CHARS:
                    names.add(text)
    return names


def construct(cls: type, layers, **overrides) -> BaseException | None:  # noqa: ANN001
    arguments = {}
    for param in own_parameters(cls):
        if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY) and param.default is param.empty:
            arguments[param.name] = required_value(param.name, layers)
    arguments.update(overrides)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cls(**arguments)
    except BaseException as error:  # noqa: BLE001 - any failure is information here
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        return error
    return None


def rejects(error: BaseException | None, name: str, template: tuple[type, str] | None) -> bool:
    """True when `error` is the library refusing `name` as a keyword it does not know."""
    if error is None:
        return False
    message = str(error)
    if isinstance(error, TypeError) and (
        f"unexpected keyword argument '{name}'" in message
        or f"multiple values for argument '{name}'" in message
        or f"multiple values for keyword argument '{name}'" in message
    ):
        return True
    return template is not None and type(error) is template[0] and message == template[1].replace(BOGUS, name)


def accepted_keywords(cls: type, layers) -> list[str]:  # noqa: ANN001
    baseline = construct(cls, layers, **{BOGUS: None})
    if baseline is None:
        raise SystemExit(f"gen_signatures: {cls.__name__} accepted a bogus keyword; cannot probe it")
    template = (type(baseline), str(baseline))
    accepted = []
    for name in sorted(candidates(cls)):
        if not rejects(construct(cls, layers, **{name: None}), name, template):
            accepted.append(name)
    return accepted


def generate(target: int) -> dict:
    library_name, namespaces = LIBRARIES[target]
    library = importlib.import_module(library_name)
    layers = importlib.import_module(next(iter(namespaces.values())))
    classes = {}
    for name, (cls, exported_in) in sorted(recurrent_classes(namespaces).items()):
        if inspect.isabstract(cls) or construct(cls, layers) is not None:
            continue  # a base class nobody constructs (AbstractRNNCell)
        positional = [p.name for p in own_parameters(cls) if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        classes[name] = {
            "namespaces": exported_in,
            "positional": positional,
            "keywords": accepted_keywords(cls, layers),
        }
    return {
        "generated_by": "scripts/gen_signatures.py",
        "library": library_name,
        "version": library.__version__,
        "classes": classes,
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="directory to write the JSON files to")
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed files differ from the libraries")
    args = parser.parse_args(argv)
    stale = []
    for target in sorted(LIBRARIES):
        text = json.dumps(generate(target), indent=1, sort_keys=True) + "\n"
        path = args.output / f"signatures_k{target}.json"
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
            continue
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    if stale:
        print(f"out of date: {', '.join(stale)} (run scripts/gen_signatures.py)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
