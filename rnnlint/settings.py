"""Resolved settings for one run, and which rules they enable."""

from __future__ import annotations

from dataclasses import dataclass, field

from rnnlint.diagnostics import Severity

ALWAYS_ON = ("RNN001",)


@dataclass(frozen=True)
class Selection:
    """ruff-style rule selection: codes, prefixes (`RNN2`) or `ALL`; the most specific selector wins."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    # An earlier layer (the configuration file, under the command line): it decides
    # the codes none of this layer's selectors match, unless this layer has `select`.
    parent: Selection | None = None
    # per-file-ignores: off whatever any selector says.
    always_ignore: tuple[str, ...] = ()

    def enables(self, code: str, severity: Severity) -> bool:
        if _specificity(code, self.always_ignore) >= 0:
            return False
        if self.parent is not None and self.select is None and _specificity(code, self.extend_select + self.ignore) < 0:
            return self.parent.enables(code, severity)
        on = _specificity(code, (self.select or ()) + self.extend_select)
        if self.select is None and severity.on_by_default:
            on = max(on, 0)
        if code in ALWAYS_ON:
            on = max(on, 0)
        off = _specificity(code, self.ignore)
        return on >= 0 and on > off

    def with_ignored(self, extra: tuple[str, ...]) -> Selection:
        return Selection(self.select, self.extend_select, self.ignore + extra, self.parent, self.always_ignore)

    def with_always_ignored(self, extra: tuple[str, ...]) -> Selection:
        return Selection(self.select, self.extend_select, self.ignore, self.parent, self.always_ignore + extra)


def _specificity(code: str, selectors: tuple[str, ...]) -> int:
    """Length of the longest selector matching `code`; -1 if none matches (`ALL` counts as 1)."""
    best = -1
    for selector in selectors:
        selector = selector.strip().upper()
        if selector == "ALL":
            best = max(best, 1)
        elif selector and code.startswith(selector):
            best = max(best, len(selector))
    return best


@dataclass(frozen=True)
class Settings:
    selection: Selection = field(default_factory=Selection)
    target_keras: int = 3
    # Seconds one file's analysis may take before it is skipped with a message (0: no limit).
    file_timeout: float = 30.0
    # True when a configuration file or the command line set target_keras: a file's own
    # `import tf_keras` or TF_USE_LEGACY_KERAS does not change it (see rnnlint.keras.file_target).
    target_keras_explicit: bool = False
    # Bytes of source (a notebook: of its code cells) above which a file is skipped with one
    # line, before it is parsed: parsing cannot be interrupted, and takes some 250 bytes of
    # memory per byte of source (0: no limit).  Documented in docs/write-back.md.
    max_file_size: int = 2 * 1024 * 1024
