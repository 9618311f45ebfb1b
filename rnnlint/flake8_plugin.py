"""A flake8 plugin: `flake8 --select RNN` reports rnnlint's findings with flake8's conventions.

Registered as the `RNN` entry point of `flake8.extension` (pyproject.toml).  It
lints the text flake8 read with rnnlint's api and the settings rnnlint itself
would use for the file (the nearest `[tool.rnnlint]` / rnnlint.toml), so a
project's rule selection means the same under both tools.  flake8 then applies
its own `--select`/`--ignore`, `# noqa` and output format.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator, Sequence

from rnnlint import __version__

Finding = tuple[int, int, str, type]


class Plugin:
    """flake8 asks for `tree`, `filename` and `lines` by parameter name; `run` yields (row, column, message, type)."""

    name = "rnnlint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[Finding]:
        from rnnlint import api
        from rnnlint.config import ConfigError, Resolver

        text = "".join(self.lines)
        path = self.filename if self.filename not in ("stdin", "-", "") else os.path.join(os.getcwd(), "stdin.py")
        try:
            settings = Resolver().for_path(path).settings_for(path)
        except ConfigError as error:
            yield 1, 0, f"RNN001 {error}", type(self)
            return
        for diagnostic in api.lint_source(text, path, settings):
            # flake8 counts columns from 0 and prints them from 1; rnnlint's are 1-based characters.
            yield diagnostic.location.row, diagnostic.location.column - 1, f"{diagnostic.code} {diagnostic.message}", type(self)
