"""Output formats: pure functions from diagnostics to text.  Each module exposes `render`."""

from __future__ import annotations

import importlib
from collections.abc import Callable

FORMATS = ("text", "concise", "full", "json")


def renderer(name: str) -> Callable[..., str]:
    module = {"concise": "text", "full": "text"}.get(name, name)
    return importlib.import_module(f"{__name__}.{module}").render  # type: ignore[no-any-return]
