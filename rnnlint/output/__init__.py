"""Output formats: pure functions from diagnostics to text.  Each module exposes `render`."""

from __future__ import annotations

import importlib
from collections.abc import Callable

FORMATS = ("text", "concise", "full", "json", "github", "sarif", "junit", "gitlab")
# Formats a person reads, followed by the summary line.  `github` ends with the text report.
TEXT_FORMATS = ("text", "concise", "full", "github")
# Formats that name files relative to the project (repository) root.
ROOTED_FORMATS = ("github", "sarif", "gitlab")
# Formats that identify findings by fingerprint (rnnlint.fingerprints).
FINGERPRINTED_FORMATS = ("sarif", "gitlab")


def renderer(name: str) -> Callable[..., str]:
    module = {"concise": "text", "full": "text"}.get(name, name)
    return importlib.import_module(f"{__name__}.{module}").render  # type: ignore[no-any-return]
