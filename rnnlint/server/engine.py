"""What the language server does with a document, in rnnlint's own terms (no LSP types, no pygls).

Everything goes through rnnlint's api: settings are resolved by `config.Resolver`
exactly as on the command line (nearest pyproject.toml / rnnlint.toml, with the
client's settings on top in the place of command-line flags), linting is
`api.analyse`, fixes are `fix.fix_text`, suppressions `suppress.add_noqa`.
`lsp.py` only converts between these and the protocol.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from rnnlint import api
from rnnlint.analysis.query import Answer, Index
from rnnlint.config import CONFIG_NAMES, ConfigError, Overrides, Resolved, Resolver, unknown_selectors
from rnnlint.diagnostics import Applicability, Diagnostic, Edit, Location
from rnnlint.fix import applicable, fix_text
from rnnlint.settings import Settings
from rnnlint.sources.python import LineIndex
from rnnlint.suppress import UNSUPPRESSABLE, UNUSED_NOQA, add_noqa

# Findings about code that can go: editors grey it out (DiagnosticTag.Unnecessary).
UNNECESSARY = frozenset({"RNN501", "RNN502", UNUSED_NOQA})
FIX_ALL_KIND = "source.fixAll.rnnlint"


# --- settings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientSettings:
    """What the editor's settings say (`{"select": [...], "ignore": [...], "unsafeFixes": true}`): the command line's part."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None

    @classmethod
    def from_json(cls, value: object) -> tuple[ClientSettings, list[str]]:
        """The settings and one line per problem (an unknown selector, a value of the wrong type); bad parts are left out."""
        if not isinstance(value, dict):
            return cls(), [] if value is None else [f"settings must be an object, got {type(value).__name__}"]
        problems: list[str] = []

        def selectors(key: str) -> tuple[str, ...] | None:
            raw = value.get(key)
            if raw is None:
                return None
            if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
                problems.append(f"setting {key!r} must be a list of rule codes")
                return None
            codes = tuple(item.strip().upper() for item in raw)
            unknown = unknown_selectors(codes)
            problems.extend(f"setting {key!r}: unknown rule selector {code!r}" for code in unknown)
            return tuple(code for code in codes if code not in unknown)

        unsafe = value.get("unsafeFixes", value.get("unsafe-fixes"))
        if unsafe is not None and not isinstance(unsafe, bool):
            problems.append("setting 'unsafeFixes' must be true or false")
            unsafe = None
        settings = cls(
            select=selectors("select"),
            extend_select=selectors("extendSelect") or selectors("extend-select") or (),
            ignore=selectors("ignore") or (),
            unsafe_fixes=unsafe,
        )
        return settings, problems

    def overrides(self) -> Overrides:
        return Overrides(
            select=self.select, extend_select=self.extend_select, ignore=self.ignore, unsafe_fixes=self.unsafe_fixes
        )


class SettingsSource:
    """Settings per file, as the command line resolves them, re-read when a configuration file changes.

    A `Resolver` per client settings and state of the configuration files on the
    way up from a file's directory: when one of them appears, disappears or
    changes, the next lint reads it afresh (a few `stat` calls per lint, so no
    client cooperation is needed).
    """

    KEEP = 32  # resolvers kept; each is a few small dictionaries

    def __init__(self) -> None:
        self._resolvers: dict[tuple[ClientSettings, tuple], Resolver] = {}

    def resolve(self, path: str, client: ClientSettings) -> Resolved:
        """The settings for `path`; raises ConfigError for a configuration file rnnlint cannot use."""
        key = (client, _config_stamp(Path(path).absolute().parent))
        resolver = self._resolvers.get(key)
        if resolver is None:
            if len(self._resolvers) >= self.KEEP:
                self._resolvers.clear()
            resolver = self._resolvers[key] = Resolver(client.overrides())
        return resolver.for_path(path)


def _config_stamp(directory: Path) -> tuple:
    stamp = []
    for candidate in (directory, *directory.parents):
        for name in CONFIG_NAMES:
            try:
                info = os.stat(candidate / name)
            except OSError:
                continue
            stamp.append((str(candidate / name), info.st_mtime_ns, info.st_size))
    return tuple(stamp)


# --- linting -------------------------------------------------------------------------------


@dataclass
class Linted:
    """One version of a document and what rnnlint made of it."""

    text: str
    path: str
    settings: Settings
    unsafe: bool
    diagnostics: list[Diagnostic] = field(default_factory=list)
    analysis: api.Analysis | None = None
    # The facts arranged for hovering, built on the first hover over this version.
    query: Index | None = None


def hover(linted: Linted, row: int, byte_column: int) -> Answer | None:
    """What the analysis knows at a 1-based row and 0-based UTF-8 byte column of the linted text."""
    analysis = linted.analysis
    if analysis is None or analysis.tree is None:
        return None
    if linted.query is None:
        linted.query = Index(analysis.tree, analysis.facts)
    return linted.query.hover(row, byte_column)


def lint_text(text: str, path: str, resolved: Resolved) -> Linted:
    """Lint a Python document's current text, as `rnnlint PATH` would lint it on disk."""
    settings = resolved.settings_for(path)
    linted = Linted(text, path, settings, bool(resolved.values["unsafe-fixes"]))
    if resolved.excluded(path):
        return linted
    if not api.may_build_recurrent(text.encode("utf-8", "surrogatepass"), path):
        return linted
    linted.analysis = api.analyse(text, path, settings)
    linted.diagnostics = linted.analysis.diagnostics
    return linted


@dataclass
class LintedNotebook:
    """One state of a notebook's cells ((kind, text), kind "code" or "markdown") and the findings per 1-based cell."""

    cells: list[tuple[str, str]]
    path: str
    settings: Settings
    unsafe: bool
    found: dict[int, list[Diagnostic]] = field(default_factory=dict)
    # For hovering: the program the cells form, its first row per cell, and its facts (built on the first hover).
    query: tuple[dict[int, int], Index] | None = None

    @property
    def name(self) -> str:
        return self.path if self.path.lower().endswith(".ipynb") else self.path + ".ipynb"

    def data(self) -> bytes:
        """The cells as the notebook file they form (nbformat 4), for the api's notebook reader."""
        document = {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [{"cell_type": kind, "source": text, "metadata": {}} for kind, text in self.cells],
        }
        return json.dumps(document).encode("utf-8")


def lint_notebook_cells(cells: list[tuple[str, str]], path: str, resolved: Resolved) -> LintedNotebook:
    """Lint a notebook's cells as the notebook they form, so magics, cell boundaries and the mapping
    back to cells are the command line's own."""
    linted = LintedNotebook(cells, path, resolved.settings_for(path), bool(resolved.values["unsafe-fixes"]))
    if resolved.excluded(path):
        return linted
    for diagnostic in api.lint_bytes(linted.data(), linted.name, linted.settings).diagnostics:
        linted.found.setdefault(diagnostic.cell or 1, []).append(diagnostic)
    return linted


def notebook_hover(linted: LintedNotebook, cell: int, row: int, byte_column: int) -> tuple[Answer, int] | None:
    """The hover in a cell (1-based number and row), and the program row of the cell's first line (to map
    the answer's node back into the cell)."""
    if linted.query is None:
        from rnnlint.sources.notebook import Notebook, NotebookError, Program

        try:
            program = Program.build(Notebook.from_bytes(linted.data()))
        except NotebookError:
            return None
        analysis = api.analyse(program.text, linted.name, linted.settings)
        if analysis.tree is None:
            return None
        firsts = {segment.cell.number: segment.first_row for segment in program.segments}
        linted.query = (firsts, Index(analysis.tree, analysis.facts))
    firsts, query = linted.query
    first = firsts.get(cell)
    if first is None:
        return None
    answer = query.hover(first + row - 1, byte_column)
    return (answer, first) if answer is not None else None


def fix_all_notebook(linted: LintedNotebook) -> Action | None:
    """Every applicable fix in the notebook (`rnnlint --fix` on it), as one edit per changed cell."""
    if not any(applicable(d.fix, linted.unsafe) for found in linted.found.values() for d in found):
        return None
    outcome = api.fix_bytes(linted.data(), linted.name, linted.settings, unsafe=linted.unsafe)
    if outcome.fixed is None:
        return None
    edits = []
    for number, ((_, before), cell) in enumerate(zip(linted.cells, json.loads(outcome.fixed)["cells"]), 1):
        source = cell.get("source", "")
        after = "".join(source) if isinstance(source, list) else source
        if after != before:
            edits.append(text_edit(before, after, cell=number))
    return Action("Fix all rnnlint findings", FIX_ALL_KIND, tuple(edits)) if edits else None


# --- code actions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """A code action in rnnlint's terms: edits of the document (or, with `Edit.cell`, of a notebook cell)."""

    title: str
    kind: str  # "quickfix" or FIX_ALL_KIND
    edits: tuple[Edit, ...]
    diagnostic: Diagnostic | None = None
    preferred: bool = False


def quick_fix(diagnostic: Diagnostic, unsafe: bool) -> Action | None:
    """The finding's own fix: a safe one always, an unsafe one only when the settings allow unsafe fixes."""
    fix = diagnostic.fix
    if not applicable(fix, unsafe):
        return None
    assert fix is not None
    safe = fix.applicability is Applicability.SAFE
    title = f"{fix.message} ({diagnostic.code})" if safe else f"{fix.message} ({diagnostic.code}, unsafe fix)"
    return Action(title, "quickfix", fix.edits, diagnostic, preferred=safe)


def suppression(text: str, diagnostic: Diagnostic) -> Action | None:
    """`# noqa: RNNxxx` on the finding's line, as `--add-noqa` writes it (RNN001 and RNN002 excepted)."""
    if diagnostic.code in (*UNSUPPRESSABLE, UNUSED_NOQA):
        return None
    outcome = add_noqa(text, [diagnostic])
    if outcome.text == text:
        return None
    edit = text_edit(text, outcome.text, cell=diagnostic.cell)
    return Action(f"Suppress {diagnostic.code} with `# noqa: {diagnostic.code}`", "quickfix", (edit,), diagnostic)


def fix_all(linted: Linted) -> Action | None:
    """Every applicable fix, to a fixed point (`rnnlint --fix` on this text), as one edit."""
    if not any(applicable(d.fix, linted.unsafe) for d in linted.diagnostics):
        return None

    def relint(text: str) -> list[Diagnostic]:
        return api.lint_source(text, linted.path, linted.settings)

    outcome = fix_text(linted.text, relint, unsafe=linted.unsafe, diagnostics=list(linted.diagnostics))
    if outcome.text == linted.text:
        return None
    return Action("Fix all rnnlint findings", FIX_ALL_KIND, (text_edit(linted.text, outcome.text),))


def text_edit(before: str, after: str, cell: int | None = None) -> Edit:
    """The smallest single edit turning `before` into `after`."""
    prefix = 0
    limit = min(len(before), len(after))
    while prefix < limit and before[prefix] == after[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and before[len(before) - 1 - suffix] == after[len(after) - 1 - suffix]:
        suffix += 1
    index = LineIndex(before)
    start, end = location_at(index, prefix), location_at(index, len(before) - suffix)
    return Edit(start, end, after[prefix : len(after) - suffix], cell)


def location_at(index: LineIndex, offset: int) -> Location:
    import bisect

    row = bisect.bisect_right(index.starts, offset)
    return Location(row, offset - index.starts[row - 1] + 1)


__all__ = [
    "FIX_ALL_KIND",
    "UNNECESSARY",
    "Action",
    "ClientSettings",
    "ConfigError",
    "Linted",
    "SettingsSource",
    "LintedNotebook",
    "fix_all",
    "fix_all_notebook",
    "hover",
    "lint_notebook_cells",
    "lint_text",
    "notebook_hover",
    "quick_fix",
    "suppression",
    "text_edit",
]
