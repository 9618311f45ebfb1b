"""What a file itself says about its Keras version: `import tf_keras`, TF_USE_LEGACY_KERAS.

`import tf_keras` (or `from tf_keras... import`) means the file uses Keras 2;
`os.environ["TF_USE_LEGACY_KERAS"] = "1"` (or `.setdefault(...)`, `.update(...)`,
`os.putenv(...)`) routes `tf.keras` to tf-keras, Keras 2, whatever TensorFlow
is installed (TensorFlow reads the variable when `tf.keras` is first used, and
accepts "1", "true" and "True").  Either makes the file Keras 2 unless the
configuration or the command line set the version.

A syntactic check on the tree the analysis parsed anyway, and only when the
text holds one of the two words (a substring search): files that say neither
pay nothing.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from rnnlint.settings import Settings

_WORDS = ("tf_keras", "TF_USE_LEGACY_KERAS")
_VARIABLE = "TF_USE_LEGACY_KERAS"
# The values TensorFlow's lazy loader takes as "use tf-keras" (tensorflow/python/util/lazy_loader.py).
_TRUE = frozenset({"1", "true", "True"})


def settings_for_file(tree: ast.Module, text: str, settings: Settings) -> Settings:
    """`settings`, with target_keras 2 when the file says it uses Keras 2 and nothing explicit said otherwise."""
    if settings.target_keras == 2 or settings.target_keras_explicit:
        return settings
    if legacy_keras_marker(tree, text) is None:
        return settings
    return replace(settings, target_keras=2)


def legacy_keras_marker(tree: ast.Module, text: str) -> ast.stmt | ast.expr | None:
    """The first statement or call that makes this file Keras 2, or None."""
    if not any(word in text for word in _WORDS):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(_is_tf_keras(alias.name) for alias in node.names):
            return node
        if isinstance(node, ast.ImportFrom) and not node.level and node.module and _is_tf_keras(node.module):
            return node
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and _sets_variable(node):
            return node
        if isinstance(node, ast.Call) and _call_sets_variable(node):
            return node
    return None


def describe(node: ast.AST) -> str:
    """The marker as one short line of code, for `--show-settings`."""
    text = ast.unparse(node).splitlines()[0]
    return text if len(text) <= 80 else text[:77] + "..."


def _is_tf_keras(module: str) -> bool:
    return module == "tf_keras" or module.startswith("tf_keras.")


def _is_environ(node: ast.expr) -> bool:
    """`os.environ` or `environ` (from os import environ)."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in _TRUE


def _sets_variable(node: ast.Assign | ast.AnnAssign) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return _is_true(node.value) and any(
        isinstance(t, ast.Subscript)
        and _is_environ(t.value)
        and isinstance(t.slice, ast.Constant)
        and t.slice.value == _VARIABLE
        for t in targets
    )


def _call_sets_variable(node: ast.Call) -> bool:
    func = node.func
    if not isinstance(func, (ast.Attribute, ast.Name)):
        return False
    name = func.attr if isinstance(func, ast.Attribute) else func.id
    on_environ = isinstance(func, ast.Attribute) and _is_environ(func.value)
    if (name == "setdefault" and on_environ) or name == "putenv":
        return (
            len(node.args) == 2
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == _VARIABLE
            and _is_true(node.args[1])
        )
    if name == "update" and on_environ:
        if any(k.arg == _VARIABLE and _is_true(k.value) for k in node.keywords):
            return True
        return any(
            isinstance(arg, ast.Dict)
            and any(
                isinstance(k, ast.Constant) and k.value == _VARIABLE and _is_true(v) for k, v in zip(arg.keys, arg.values)
            )
            for arg in node.args
        )
    return False
