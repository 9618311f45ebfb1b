"""The language server: pygls wiring around `engine` (what to lint, when, and how to say it in LSP).

- Diagnostics: on open, on change (debounced; a newer change cancels the
  pending lint, and the text linted is always the latest), on save; for Python
  files and for notebooks when the client syncs notebook documents.
- Code actions: each finding's fix (unsafe ones only when the settings allow
  them), a `# noqa` suppression, and `source.fixAll.rnnlint`.
- Hover: what a recurrent layer returns, and what a name holds (analysis/query.py).
- Settings: the project's configuration files, as on the command line, with the
  client's `rnnlint` settings (select, extendSelect, ignore, unsafeFixes) on top,
  per workspace folder when the client answers `workspace/configuration`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from rnnlint import __version__
from rnnlint.analysis.query import producing_layer
from rnnlint.diagnostics import Diagnostic, Edit, Location, Severity
from rnnlint.server import engine
from rnnlint.server.engine import Action, ClientSettings, ConfigError, Linted
from rnnlint.sources.python import LineIndex

# Seconds of quiet after a change before the document is linted again.
DEBOUNCE = 0.05
SECTION = "rnnlint"
PYTHON_SUFFIXES = (".py", ".pyi")
CONFIG_GLOB = "**/{pyproject.toml,rnnlint.toml,.rnnlint.toml}"
SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}


@dataclass
class NotebookState:
    """A notebook's cell URIs by 1-based cell number, and what its last lint found."""

    cells: dict[int, str] = field(default_factory=dict)
    linted: engine.LintedNotebook | None = None


class RnnlintServer(LanguageServer):
    def __init__(self) -> None:
        notebooks = types.NotebookDocumentSyncOptions(
            notebook_selector=[
                types.NotebookDocumentFilterWithCells(
                    cells=[types.NotebookCellLanguage(language="python")], notebook="jupyter-notebook"
                )
            ]
        )
        super().__init__("rnnlint", __version__, notebook_document_sync=notebooks)
        self.settings_source = engine.SettingsSource()
        self.global_settings = ClientSettings()
        self.folder_settings: dict[str, ClientSettings] = {}
        self.documents: set[str] = set()  # the Python documents open in the client
        self.linted: dict[str, Linted] = {}
        self.notebooks: dict[str, NotebookState] = {}
        self.pending: dict[str, asyncio.Task] = {}
        self.told: set[str] = set()

    # --- settings ------------------------------------------------------------------------

    def client_settings(self, uri: str) -> ClientSettings:
        folders = [folder for folder in self.folder_settings if uri.startswith(folder.rstrip("/") + "/")]
        if folders:
            return self.folder_settings[max(folders, key=len)]
        return self.global_settings

    def tell(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        """Show a problem once (a broken configuration would otherwise be shown at every keystroke)."""
        if message not in self.told:
            self.told.add(message)
            self.window_show_message(types.ShowMessageParams(type=kind, message=f"rnnlint: {message}"))

    def take_settings(self, value: object) -> ClientSettings:
        settings, problems = ClientSettings.from_json(value)
        for problem in problems:
            self.tell(problem)
        return settings

    async def pull_settings(self) -> None:
        """Ask the client for the `rnnlint` section, globally and per workspace folder."""
        workspace = self.client_capabilities.workspace
        if workspace is None or not workspace.configuration:
            return
        folders = [folder.uri for folder in self.workspace.folders.values()]
        items = [types.ConfigurationItem(section=SECTION)]
        items += [types.ConfigurationItem(scope_uri=uri, section=SECTION) for uri in folders]
        try:
            answers = await self.workspace_configuration_async(types.ConfigurationParams(items=items))
        except Exception as error:  # noqa: BLE001 - a client that cannot answer keeps the settings it pushed
            self.window_log_message(
                types.LogMessageParams(types.MessageType.Log, f"rnnlint: no configuration: {error}")
            )
            answers = None
        if answers:
            if answers[0] is not None:
                self.global_settings = self.take_settings(answers[0])
            self.folder_settings = {
                uri: self.take_settings(answer) for uri, answer in zip(folders, answers[1:]) if answer is not None
            }

    def settings_changed(self) -> None:
        """Forget what was linted with the old settings, lint every open document again, and say so in the log."""
        self.linted.clear()
        self.relint_all()
        described = {"": self.global_settings, **self.folder_settings}
        self.window_log_message(types.LogMessageParams(types.MessageType.Log, f"rnnlint: settings {described}"))

    # --- linting ---------------------------------------------------------------------------

    def schedule(self, uri: str, delay: float = DEBOUNCE) -> None:
        """Lint `uri` after `delay` seconds of quiet; a pending lint of an older version is dropped."""
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.ensure_future(self._lint_later(uri, delay))

    async def _lint_later(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        self.pending.pop(uri, None)
        if uri in self.notebooks:
            self.lint_notebook(uri)
        else:
            self.lint_document(uri)

    def relint_all(self) -> None:
        for uri in [*self.documents, *self.notebooks]:
            self.schedule(uri, 0)

    def resolve(self, uri: str, path: str):
        try:
            return self.settings_source.resolve(path, self.client_settings(uri))
        except ConfigError as error:
            self.tell(str(error), types.MessageType.Error)
            return None

    def lint_document(self, uri: str) -> Linted | None:
        """Lint the document's current text and publish the findings (nothing for a document that is gone)."""
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return None
        path = _path(uri)
        resolved = self.resolve(uri, path)
        if resolved is None:
            self.publish(uri, [], document.version)
            return None
        linted = engine.lint_text(document.source, path, resolved)
        self.linted[uri] = linted
        index = LineIndex(linted.text)
        diagnostics = [self.to_lsp(d, index, uri, related=True) for d in linted.diagnostics]
        self.publish(uri, diagnostics, document.version)
        return linted

    def current(self, uri: str) -> Linted | None:
        """What rnnlint made of the document as it is now (linted again if it changed since)."""
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return None
        linted = self.linted.get(uri)
        if linted is None or linted.text != document.source:
            linted = self.lint_document(uri)
        return linted

    def notebook_cells(self, uri: str) -> tuple[dict[int, str], list[tuple[str, str]]] | None:
        """A notebook's cell URIs by number, and its cells' (kind, text) as they are now."""
        notebook = self.workspace.get_notebook_document(notebook_uri=uri)
        if notebook is None:
            return None
        uris: dict[int, str] = {}
        cells: list[tuple[str, str]] = []
        for number, cell in enumerate(notebook.cells, 1):
            document = self.workspace.text_documents.get(cell.document)
            code = cell.kind == types.NotebookCellKind.Code
            cells.append(("code" if code else "markdown", document.source if document is not None else ""))
            uris[number] = cell.document
        return uris, cells

    def lint_notebook(self, uri: str) -> engine.LintedNotebook | None:
        state = self.notebooks.get(uri)
        now = self.notebook_cells(uri)
        if now is None or state is None:
            return None
        state.cells, cells = now
        path = _path(uri)
        resolved = self.resolve(uri, path)
        state.linted = engine.lint_notebook_cells(cells, path, resolved) if resolved is not None else None
        found = state.linted.found if state.linted is not None else {}
        for number, cell_uri in state.cells.items():
            document = self.workspace.text_documents.get(cell_uri)
            index = LineIndex(document.source if document is not None else "")
            diagnostics = [self.to_lsp(d, index, cell_uri, related=False) for d in found.get(number, [])]
            self.publish(cell_uri, diagnostics, document.version if document is not None else None)
        return state.linted

    def notebook_of(self, cell_uri: str) -> tuple[str, int] | None:
        """The notebook a cell belongs to, and the cell's number."""
        for uri, state in self.notebooks.items():
            for number, cell in state.cells.items():
                if cell == cell_uri:
                    return uri, number
        return None

    def current_notebook(self, uri: str) -> engine.LintedNotebook | None:
        """What rnnlint made of the notebook as it is now (linted again if a cell changed since)."""
        state = self.notebooks.get(uri)
        now = self.notebook_cells(uri)
        if state is None or now is None:
            return None
        if state.linted is None or state.linted.cells != now[1]:
            return self.lint_notebook(uri)
        return state.linted

    def publish(self, uri: str, diagnostics: list[types.Diagnostic], version: int | None) -> None:
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    # --- conversions -------------------------------------------------------------------------

    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or types.PositionEncodingKind.Utf16)

    def position(self, index: LineIndex, location: Location) -> types.Position:
        row = min(max(location.row, 1), len(index.starts))
        prefix = index.line(row)[: max(location.column - 1, 0)]
        return types.Position(line=row - 1, character=_units(prefix, self.encoding))

    def range(self, index: LineIndex, start: Location, end: Location) -> types.Range:
        return types.Range(start=self.position(index, start), end=self.position(index, end))

    def column(self, line: str, character: int) -> int:
        """A client's character offset in `line` -> an index into the line's characters."""
        if self.encoding == types.PositionEncodingKind.Utf32:
            return min(character, len(line))
        count = 0
        for position, char in enumerate(line):
            if count >= character:
                return position
            count += _units(char, self.encoding)
        return len(line)

    def to_lsp(self, diagnostic: Diagnostic, index: LineIndex, uri: str, *, related: bool) -> types.Diagnostic:
        tags = [types.DiagnosticTag.Unnecessary] if diagnostic.code in engine.UNNECESSARY else None
        information = self.related(diagnostic, index, uri) if related else None
        return types.Diagnostic(
            range=self.range(index, diagnostic.location, diagnostic.end_location),
            message=diagnostic.message,
            severity=SEVERITIES[diagnostic.severity],
            code=diagnostic.code,
            code_description=types.CodeDescription(href=diagnostic.url),
            source="rnnlint",
            tags=tags,
            related_information=information,
        )

    def related(
        self, diagnostic: Diagnostic, index: LineIndex, uri: str
    ) -> list[types.DiagnosticRelatedInformation] | None:
        """Where the layer the finding is about was built, when that is another place than the finding."""
        layer = producing_layer(diagnostic.origin[0]) if diagnostic.origin else None
        if layer is None:
            return None
        node = layer.node
        start = index.location(node.lineno, node.col_offset)
        end = index.location(node.end_lineno or node.lineno, node.end_col_offset or node.col_offset)
        if (start, end) == (diagnostic.location, diagnostic.end_location):
            return None
        where = types.Location(uri=uri, range=self.range(index, start, end))
        return [
            types.DiagnosticRelatedInformation(
                location=where, message=f"{layer.label_text}: the layer this finding is about"
            )
        ]

    def workspace_edit(
        self, uri: str, text: str, edits: tuple[Edit, ...], cells: dict[int, str] | None
    ) -> types.WorkspaceEdit:
        changes: dict[str, list[types.TextEdit]] = {}
        for edit in edits:
            target = uri if edit.cell is None or cells is None else cells.get(edit.cell, uri)
            source = text if target == uri else self.workspace.get_text_document(target).source
            index = LineIndex(source)
            change = types.TextEdit(range=self.range(index, edit.location, edit.end_location), new_text=edit.content)
            changes.setdefault(target, []).append(change)
        return types.WorkspaceEdit(changes=changes)


def _units(text: str, encoding: str) -> int:
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _path(uri: str) -> str:
    """The file system path of a document (settings are found from it); an unsaved document lives in the cwd."""
    if urlparse(uri).scheme == "file":
        return to_fs_path(uri) or uri
    return "untitled.py"


def _is_python(document: types.TextDocumentItem) -> bool:
    return document.language_id == "python" or _path(document.uri).endswith(PYTHON_SUFFIXES)


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _wanted(kind: str, only: list[str] | None) -> bool:
    return only is None or any(kind == want or kind.startswith(f"{want}.") for want in only)


def make_server() -> RnnlintServer:
    server = RnnlintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: RnnlintServer, params: types.InitializeParams) -> None:
        options: Any = params.initialization_options
        if isinstance(options, dict):
            ls.global_settings = ls.take_settings(options.get("settings", options.get(SECTION, options)))

    @server.feature(types.INITIALIZED)
    async def initialized(ls: RnnlintServer, params: types.InitializedParams) -> None:
        watch = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
        if watch and watch.dynamic_registration:
            options = types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern=CONFIG_GLOB)]
            )
            registration = types.Registration(
                id="rnnlint-config", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options
            )
            try:
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
            except Exception as error:  # noqa: BLE001 - without file events, config changes are still seen at the next lint
                ls.window_log_message(
                    types.LogMessageParams(types.MessageType.Log, f"rnnlint: cannot watch files: {error}")
                )
        await ls.pull_settings()
        ls.settings_changed()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RnnlintServer, params: types.DidOpenTextDocumentParams) -> None:
        if _is_python(params.text_document):
            ls.documents.add(params.text_document.uri)
            ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RnnlintServer, params: types.DidChangeTextDocumentParams) -> None:
        if params.text_document.uri in ls.documents:
            ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RnnlintServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if _path(uri).endswith((".toml",)):
            ls.settings_changed()  # a configuration file edited in the editor itself
        elif uri in ls.documents:
            ls.schedule(uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RnnlintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        pending = ls.pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        ls.linted.pop(uri, None)
        if uri in ls.documents:
            ls.documents.discard(uri)
            ls.publish(uri, [], None)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_open(ls: RnnlintServer, params: types.DidOpenNotebookDocumentParams) -> None:
        ls.notebooks[params.notebook_document.uri] = NotebookState()
        ls.schedule(params.notebook_document.uri, 0)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_change(ls: RnnlintServer, params: types.DidChangeNotebookDocumentParams) -> None:
        if params.notebook_document.uri in ls.notebooks:
            ls.schedule(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def notebook_save(ls: RnnlintServer, params: types.DidSaveNotebookDocumentParams) -> None:
        if params.notebook_document.uri in ls.notebooks:
            ls.schedule(params.notebook_document.uri, 0)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_close(ls: RnnlintServer, params: types.DidCloseNotebookDocumentParams) -> None:
        state = ls.notebooks.pop(params.notebook_document.uri, None)
        pending = ls.pending.pop(params.notebook_document.uri, None)
        if pending is not None:
            pending.cancel()
        for cell in params.cell_text_documents:
            ls.publish(cell.uri, [], None)
        del state

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: RnnlintServer, params: types.DidChangeConfigurationParams) -> None:
        pushed = params.settings
        if isinstance(pushed, dict) and SECTION in pushed:
            ls.global_settings = ls.take_settings(pushed[SECTION])
            ls.folder_settings = {}
        await ls.pull_settings()
        ls.settings_changed()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: RnnlintServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.settings_changed()  # the settings source notices the changed file by itself

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, engine.FIX_ALL_KIND]),
    )
    def code_action(ls: RnnlintServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        uri = params.text_document.uri
        only = [str(kind) for kind in params.context.only] if params.context.only else None
        cells = None
        in_notebook = ls.notebook_of(uri)
        notebook = ls.current_notebook(in_notebook[0]) if in_notebook is not None else None
        linted = ls.current(uri) if uri in ls.documents else None
        if notebook is not None and in_notebook is not None:
            text = ls.workspace.get_text_document(uri).source
            found, cells, unsafe = (
                notebook.found.get(in_notebook[1], []),
                ls.notebooks[in_notebook[0]].cells,
                notebook.unsafe,
            )
        elif linted is not None:
            text, found, unsafe = linted.text, linted.diagnostics, linted.unsafe
        else:
            return None
        index = LineIndex(text)
        actions: list[Action] = []
        if _wanted(types.CodeActionKind.QuickFix, only):
            for diagnostic in found:
                span = ls.range(index, diagnostic.location, diagnostic.end_location)
                if not _overlaps(span, params.range):
                    continue
                fix = engine.quick_fix(diagnostic, unsafe)
                if fix is not None:
                    actions.append(fix)
                noqa = engine.suppression(text, diagnostic)
                if noqa is not None:
                    actions.append(noqa)
        if _wanted(engine.FIX_ALL_KIND, only):
            every = engine.fix_all_notebook(notebook) if notebook is not None else engine.fix_all(linted)  # type: ignore[arg-type]
            if every is not None:
                actions.append(every)
        result = []
        for action in actions:
            diagnostics = None
            if action.diagnostic is not None:
                diagnostics = [ls.to_lsp(action.diagnostic, index, uri, related=False)]
            result.append(
                types.CodeAction(
                    title=action.title,
                    kind=action.kind,
                    diagnostics=diagnostics,
                    is_preferred=action.preferred or None,
                    edit=ls.workspace_edit(uri, text, action.edits, cells),
                )
            )
        return result

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: RnnlintServer, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        in_notebook = ls.notebook_of(uri)
        if uri not in ls.documents and in_notebook is None:
            return None
        document = ls.workspace.text_documents.get(uri)
        if document is None:
            return None
        index = LineIndex(document.source)
        row = params.position.line + 1
        line = index.line(row)
        byte_column = len(line[: ls.column(line, params.position.character)].encode("utf-8", "surrogatepass"))
        first = 1  # the row of the analysed text where this document's first line is
        if in_notebook is not None:
            # The cells are analysed as the one program they form; the answer is mapped back into the cell.
            notebook = ls.current_notebook(in_notebook[0])
            found = engine.notebook_hover(notebook, in_notebook[1], row, byte_column) if notebook is not None else None
            answer, first = found if found is not None else (None, 1)
        else:
            linted = ls.current(uri)
            answer = engine.hover(linted, row, byte_column) if linted is not None else None
        if answer is None:
            return None
        node = answer.node
        start = index.location(node.lineno - first + 1, node.col_offset)  # type: ignore[attr-defined]
        end = index.location(node.end_lineno - first + 1, node.end_col_offset)  # type: ignore[attr-defined]
        contents = types.MarkupContent(kind=types.MarkupKind.Markdown, value=answer.text)
        return types.Hover(contents=contents, range=ls.range(index, start, end))

    return server
