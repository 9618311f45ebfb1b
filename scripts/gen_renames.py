#!/usr/bin/env python
"""Generate rnnlint/keras/renames_k1.json: the Keras-1 keyword names of the recurrent layers.

Multi-backend Keras 2 (2.0-2.3) still accepted Keras-1 code: `keras/legacy/interfaces.py` wrapped
each layer's `__init__` in a converter (`legacy_recurrent_support`,
`legacy_convlstm2d_support`, ...) built by `generate_legacy_interface(conversions=
[(old, new), ...], value_conversions={old: {old_value: new_value}},
preprocessor=...)`.  tf.keras (and so `keras` from 2.4 on) never had the converters, so today
`LSTM(output_dim=64)` is an unknown keyword: RNN402 reports it as removed API
naming the current keyword, from the table this script writes.

The table is read from the real library, never typed by hand:

    python scripts/gen_renames.py            # download keras==2.3.1 from PyPI, rewrite the JSON
    python scripts/gen_renames.py --check    # exit 1 when the committed JSON is out of date
    python scripts/gen_renames.py --wheel Keras-2.3.1-py2.py3-none-any.whl   # offline

The wheel is fetched with `pip download --no-deps` and its files are read with
`ast`: nothing of Keras 2.3 is imported or run (it needs Python 2-era packages).
For every recurrent class (a class of keras/layers/*recurrent*.py whose
`__init__` is decorated with an interface) it records:

- `rename`: a plain conversion (the value is passed on unchanged), with the
  value mapping when the interface has one (`consume_less`: cpu/mem/gpu -> 0/1/2);
- `replaced`: a conversion the interface's preprocessor makes by code (the value
  is transformed or the keyword is dropped: `forget_bias_init='one'` ->
  `unit_forget_bias=True`, `nb_row`/`nb_col` -> `kernel_size`);
- `deprecated`: values of a current keyword that the same `__init__` already
  warned about (`implementation=0` "has been deprecated"; `["*"]`: any value,
  SimpleRNN's `implementation`), so a value mapping that lands on one is no
  safe fix.
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "rnnlint" / "keras" / "renames_k1.json"
# The last multi-backend Keras: the last release with keras/legacy/interfaces.py (from 2.4 on, keras is tf.keras, which never had the Keras-1 converters).
RELEASE = "keras==2.3.1"
INTERFACES = "keras/legacy/interfaces.py"
LAYER_FILES = ("keras/layers/recurrent.py", "keras/layers/convolutional_recurrent.py")


def download(directory: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", RELEASE, "-d", str(directory)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wheels = sorted(directory.glob("*.whl"))
    if not wheels:
        raise SystemExit(f"gen_renames: pip downloaded no wheel for {RELEASE}")
    return wheels[0]


def literal(node: ast.AST) -> object:
    return ast.literal_eval(node)


def interfaces(tree: ast.Module) -> dict[str, dict]:
    """`name = generate_legacy_interface(...)` -> its conversions, value conversions and preprocessor."""
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    found = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and len(node.targets) == 1):
            continue
        call, target = node.value, node.targets[0]
        if not (isinstance(call.func, ast.Name) and call.func.id == "generate_legacy_interface"):
            continue
        if not isinstance(target, ast.Name):
            continue
        arguments = {k.arg: k.value for k in call.keywords}
        conversions = literal(arguments["conversions"]) if "conversions" in arguments else []
        values = literal(arguments["value_conversions"]) if "value_conversions" in arguments else {}
        preprocessor = arguments.get("preprocessor")
        replaced = {}
        if isinstance(preprocessor, ast.Name):
            replaced = preprocessed(functions, preprocessor.id, set())
        found[target.id] = {"conversions": conversions, "values": values, "replaced": replaced}
    return found


def preprocessed(functions: dict[str, ast.FunctionDef], name: str, seen: set[str]) -> dict[str, str]:
    """old keyword -> new keyword for each `converted.append((a, b))` of a preprocessor (and those it calls).

    The pairs are written both ways round in Keras' code ((old, new) and (new,
    'old_a/old_b')), so the old side is the one the function looks up in
    `kwargs` (`'x' in kwargs`, `kwargs.pop('x')`)."""
    function = functions.get(name)
    if function is None or name in seen:
        return {}
    seen.add(name)
    looked_up: set[str] = set()
    pairs: list[tuple[str, str]] = []
    result: dict[str, str] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Compare) and any(isinstance(op, ast.In) for op in node.ops):
            if isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
                looked_up.add(node.left.value)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, owner = node.func.attr, node.func.value
            popped = node.args[0] if method == "pop" and node.args else None
            popped_name = popped.value if isinstance(popped, ast.Constant) else None
            if isinstance(owner, ast.Name) and owner.id == "kwargs" and isinstance(popped_name, str):
                looked_up.add(popped_name)
            if method == "append" and isinstance(owner, ast.Name) and owner.id == "converted" and node.args:
                pair = literal(node.args[0])
                if isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(side, str) for side in pair):
                    pairs.append(pair)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions:
            result.update(preprocessed(functions, node.func.id, seen))
    for first, second in pairs:
        for old_side, new_side in ((first, second), (second, first)):
            olds = old_side.split("/")
            if all(old in looked_up for old in olds) and new_side not in looked_up:
                for old in olds:
                    result[old] = new_side
    return result


def decorated_classes(tree: ast.Module) -> dict[str, tuple[str, ast.FunctionDef]]:
    """class name -> (the interface decorating its __init__, the __init__)."""
    found = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            if not (isinstance(item, ast.FunctionDef) and item.name == "__init__"):
                continue
            for decorator in item.decorator_list:
                owner = decorator.value if isinstance(decorator, ast.Attribute) else None
                if isinstance(owner, ast.Name) and owner.id == "interfaces":
                    found[node.name] = (decorator.attr, item)
    return found


def deprecated_values(init: ast.FunctionDef) -> dict[str, list]:
    """`if implementation == 0: warnings.warn('... deprecated ...')` -> {'implementation': [0]}."""
    parameters = {a.arg for a in init.args.args + init.args.kwonlyargs}
    found: dict[str, list] = {}
    for node in ast.walk(init):
        if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare) or not _warns_deprecated(node):
            continue
        test = node.test
        if len(test.ops) != 1 or not isinstance(test.comparators[0], (ast.Constant, ast.Name)):
            continue
        operator, left, right = test.ops[0], test.left, test.comparators[0]
        if isinstance(operator, ast.Eq) and isinstance(left, ast.Name) and left.id in parameters:
            if isinstance(right, ast.Constant):
                found.setdefault(left.id, []).append(right.value)
        elif isinstance(operator, ast.In) and isinstance(right, ast.Name) and right.id == "kwargs" and (
            isinstance(left, ast.Constant) and isinstance(left.value, str)
        ):
            found[left.value] = ["*"]  # `if 'implementation' in kwargs: ... deprecated`: any value
    return found


def _warns_deprecated(node: ast.If) -> bool:
    return any(
        isinstance(text, ast.Constant) and isinstance(text.value, str) and "deprecated" in text.value
        for statement in node.body
        for text in ast.walk(statement)
    )


def generate(wheel: Path) -> dict:
    with zipfile.ZipFile(wheel) as archive:
        def read(name: str) -> ast.Module:
            return ast.parse(archive.read(name).decode("utf-8"), filename=name)

        known = interfaces(read(INTERFACES))
        classes = {}
        for layer_file in LAYER_FILES:
            for class_name, (interface, init) in sorted(decorated_classes(read(layer_file)).items()):
                if interface not in known:
                    raise SystemExit(f"gen_renames: {class_name} uses {interface}, not found in {INTERFACES}")
                spec = known[interface]
                keywords: dict[str, dict] = {}
                for old, new in spec["conversions"]:
                    entry: dict = {"to": new, "how": "rename"}
                    if old in spec["values"]:
                        entry["values"] = [[k, v] for k, v in spec["values"][old].items()]
                    keywords[old] = entry
                for old, new in spec["replaced"].items():
                    keywords.setdefault(old, {"to": new, "how": "replaced"})
                classes[class_name] = {
                    "interface": interface,
                    "keywords": dict(sorted(keywords.items())),
                    "deprecated": deprecated_values(init),
                }
    return {
        "generated_by": "scripts/gen_renames.py",
        "source": f"{RELEASE}: {INTERFACES}, {', '.join(LAYER_FILES)}",
        "classes": classes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help=f"a downloaded {RELEASE} wheel (default: pip download it)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file differs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        wheel = args.wheel or download(Path(scratch))
        text = json.dumps(generate(wheel), indent=1) + "\n"
    if args.check:
        if not args.output.exists() or args.output.read_text(encoding="utf-8") != text:
            print(f"out of date: {args.output.name} (run scripts/gen_renames.py)")
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
