"""`rnnlint server` end to end: a real LSP client (pytest-lsp) drives `python -m rnnlint server` over stdio.

Each test starts its own server process and speaks the protocol to it; nothing
is mocked.  Waits are bounded (a hang fails the test) but nothing is timed.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the lsp extra (pygls) is not installed")
pytest_lsp = pytest.importorskip("pytest_lsp", reason="pytest-lsp is not installed")

from lsprotocol import types  # noqa: E402
from pygls.protocol import default_converter  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features  # noqa: E402

from rnnlint import api  # noqa: E402
from rnnlint.settings import Settings  # noqa: E402

pytestmark = pytest.mark.asyncio(loop_scope="function")

BUGGY = """\
import keras
from keras import layers

inputs = keras.Input(shape=(20, 8))
encoder = layers.LSTM(64)
out, h, c = encoder(inputs)
seq = layers.GRU(16, return_sequences=True)(inputs)
z = layers.Dense(4)(seq)
"""
# The same finding, but the layer is called twice: setting return_state=True changes both calls (an unsafe fix).
UNSAFE = """\
import keras
from keras import layers

inputs = keras.Input(shape=(20, 8))
other = keras.Input(shape=(20, 8))
encoder = layers.LSTM(64)
out, h, c = encoder(inputs)
y = encoder(other)
"""
# RNN502, a hint (off by default): the states are asked for and thrown away.
WASTE = """\
import keras
from keras.layers import LSTM

x = keras.Input(shape=(20, 8))
encoded, _, _ = LSTM(8, return_state=True)(x)
model = keras.Model(x, encoded)
"""
WAIT = 60  # seconds before a missing answer fails the test (a slow shared machine, not a latency limit)


def _recording_client() -> LanguageClient:
    """pytest-lsp's client, also keeping every publishDiagnostics (with its version), in order."""
    client = LanguageClient(converter_factory=default_converter)
    client.published = []  # type: ignore[attr-defined]

    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        client.published.append(params)  # type: ignore[attr-defined]

    def register(client: LanguageClient, params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    client.registrations = []  # type: ignore[attr-defined]
    features = {
        **DEFAULT_CLIENT_FEATURES,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish,
        types.CLIENT_REGISTER_CAPABILITY: register,
    }
    register_lsp_features(client, features)
    return client


SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "rnnlint", "server"], client_factory=_recording_client
)


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


def _capabilities(*, notebooks: bool = False, configuration: bool = True) -> types.ClientCapabilities:
    return types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            configuration=configuration,
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
        ),
        text_document=types.TextDocumentClientCapabilities(
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
                related_information=True, version_support=True
            ),
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
        ),
        notebook_document=types.NotebookDocumentClientCapabilities(
            synchronization=types.NotebookDocumentSyncClientCapabilities()
        )
        if notebooks
        else None,
    )


async def _start(client: LanguageClient, *folders: Path, notebooks: bool = False) -> types.InitializeResult:
    workspace = [types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders]
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=_capabilities(notebooks=notebooks),
            root_uri=folders[0].as_uri() if folders else None,
            workspace_folders=workspace or None,
        )
    )
    await _settings_applied(client, 0)  # the server has asked for the client's settings
    return result


def _settings_changes(client: LanguageClient) -> int:
    return sum(message.message.startswith("rnnlint: settings") for message in client.log_messages)


async def _settings_applied(client: LanguageClient, before: int) -> None:
    """Wait for the server's log line saying it applied new settings (after `before` such lines)."""

    async def wait() -> None:
        while _settings_changes(client) <= before:
            await asyncio.sleep(0.02)

    await asyncio.wait_for(wait(), WAIT)


def _reconfigure(client: LanguageClient, settings: object = None) -> int:
    """Send didChangeConfiguration; the number of settings changes before it (for `_settings_applied`)."""
    before = _settings_changes(client)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=settings))
    return before


async def _published(
    client: LanguageClient, uri: str, version: int | None = None, *, after: int = 0, codes: list[str] | None = None
):
    """The first publishDiagnostics for `uri` (of `version`, with `codes`, when given) received after the `after`-th.

    `codes`: a lint already scheduled with the old settings may publish before
    the one a settings change asked for; wait for the one that shows the change.
    """

    async def wait() -> types.PublishDiagnosticsParams:
        while True:
            for params in client.published[after:]:  # type: ignore[attr-defined]
                if params.uri == uri and (version is None or params.version == version):
                    if codes is None or _codes(params.diagnostics) == codes:
                        return params
            await asyncio.sleep(0.02)

    return await asyncio.wait_for(wait(), WAIT)


def _open(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    path.write_text(text)
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
        )
    )
    return uri


def _change(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def _apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP text edits (ASCII text: characters are UTF-16 units) from the end backwards."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position: types.Position) -> int:
        return starts[position.line] + position.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def _codes(diagnostics) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n\n[tool.rnnlint]\ntarget-keras = 3\n")
    return tmp_path


async def test_diagnostics_on_open_change_save_close(client: LanguageClient, project: Path) -> None:
    result = await _start(client, project)
    assert result.capabilities.hover_provider
    uri = _open(client, project / "model.py", BUGGY)
    published = await _published(client, uri, 1)
    [diagnostic] = published.diagnostics
    # The finding as the command line reports it, in LSP terms.
    [expected] = api.lint_source(BUGGY, str(project / "model.py"), Settings())
    assert diagnostic.code == "RNN101" == expected.code
    assert diagnostic.source == "rnnlint"
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.message == expected.message
    assert diagnostic.code_description.href == expected.url
    assert (diagnostic.range.start.line, diagnostic.range.start.character) == (5, 0)
    assert (diagnostic.range.end.line, diagnostic.range.end.character) == (5, len("out, h, c = encoder(inputs)"))
    assert not diagnostic.tags
    # relatedInformation points at the layer the finding is about: its construction on line 5.
    [related] = diagnostic.related_information
    assert related.location.uri == uri
    assert related.location.range.start.line == 4
    assert related.location.range.start.character == len("encoder = ")
    assert "LSTM 'encoder'" in related.message

    # A change that mends the code: the next publication (version 2) is empty.
    count = len(client.published)
    fixed = BUGGY.replace("LSTM(64)", "LSTM(64, return_state=True)")
    _change(client, uri, fixed, 2)
    assert list((await _published(client, uri, 2, after=count)).diagnostics) == []

    # Saving lints again (the text is the editor's, not the file on disk).
    count = len(client.published)
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
    assert list((await _published(client, uri, after=count, codes=[])).diagnostics) == []

    # Closing clears the document's diagnostics.
    count = len(client.published)
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
    closed = await _published(client, uri, after=count)
    assert list(closed.diagnostics) == []


async def test_rapid_changes_publish_the_latest_version(client: LanguageClient, project: Path) -> None:
    await _start(client, project)
    uri = _open(client, project / "model.py", BUGGY)
    await _published(client, uri, 1)
    count = len(client.published)
    fixed = BUGGY.replace("LSTM(64)", "LSTM(64, return_state=True)")
    texts = {2: fixed, 3: BUGGY, 4: fixed, 5: BUGGY}
    for version, text in texts.items():
        _change(client, uri, text, version)
    last = await _published(client, uri, 5, after=count)
    assert _codes(last.diagnostics) == ["RNN101"]
    # Every publication carries the findings of the very text of the version it names.
    for params in client.published[count:]:  # type: ignore[attr-defined]
        if params.uri == uri and params.version in texts:
            expected = _codes(api.lint_source(texts[params.version], "model.py", Settings()))
            assert _codes(params.diagnostics) == expected


async def test_quick_fix_and_noqa_and_fix_all(client: LanguageClient, project: Path) -> None:
    await _start(client, project)
    uri = _open(client, project / "model.py", BUGGY)
    [diagnostic] = (await _published(client, uri, 1)).diagnostics
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    by_title = {action.title: action for action in actions}
    fix = by_title["Set `return_state=True` on LSTM (line 5) (RNN101)"]
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    assert fix.diagnostics[0].code == "RNN101"
    fixed = _apply(BUGGY, fix.edit.changes[uri])
    assert "encoder = layers.LSTM(64, return_state=True)" in fixed
    assert api.lint_source(fixed, "model.py", Settings()) == []

    noqa = by_title["Suppress RNN101 with `# noqa: RNN101`"]
    suppressed = _apply(BUGGY, noqa.edit.changes[uri])
    assert "out, h, c = encoder(inputs)  # noqa: RNN101\n" in suppressed
    assert api.lint_source(suppressed, "model.py", Settings()) == []

    # Asked for only the fix-all kind (as an editor's "fix on save" does).
    [every] = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(0, 0), end=types.Position(0, 0)),
            context=types.CodeActionContext(diagnostics=[], only=["source.fixAll"]),
        )
    )
    assert every.kind == "source.fixAll.rnnlint"
    assert _apply(BUGGY, every.edit.changes[uri]) == fixed


async def test_unsafe_fixes_only_when_the_settings_allow(client: LanguageClient, project: Path) -> None:
    await _start(client, project)
    uri = _open(client, project / "unsafe.py", UNSAFE)
    [diagnostic] = (await _published(client, uri, 1)).diagnostics
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=diagnostic.range,
        context=types.CodeActionContext(diagnostics=[diagnostic]),
    )
    titles = [action.title for action in await client.text_document_code_action_async(params)]
    assert titles == ["Suppress RNN101 with `# noqa: RNN101`"]  # no fix, no fix-all: the only fix is unsafe

    client.set_configuration({"unsafeFixes": True}, section="rnnlint")
    await _settings_applied(client, _reconfigure(client))
    actions = await client.text_document_code_action_async(params)
    unsafe = next(action for action in actions if "unsafe fix" in action.title)
    assert unsafe.title == "Set `return_state=True` on LSTM (line 6) (RNN101, unsafe fix)"
    assert not unsafe.is_preferred
    assert "layers.LSTM(64, return_state=True)" in _apply(UNSAFE, unsafe.edit.changes[uri])
    assert any(action.kind == "source.fixAll.rnnlint" for action in actions)


async def test_hover_says_what_layers_return_and_what_names_hold(client: LanguageClient, project: Path) -> None:
    await _start(client, project)
    text = BUGGY.replace("LSTM(64)", "LSTM(64, return_state=True)")
    uri = _open(client, project / "model.py", text)
    await _published(client, uri, 1)
    lines = text.splitlines()

    async def hover(row: int, word: str) -> types.Hover | None:
        position = types.Position(line=row - 1, character=lines[row - 1].index(word) + 1)
        return await client.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position)
        )

    construction = await hover(5, "LSTM")
    assert construction.contents.kind == types.MarkupKind.Markdown
    assert construction.contents.value == (
        "`LSTM(64)` returns 3 tensors: the last step (batch, 64), state h (batch, 64), state c (batch, 64); "
        "`return_sequences=True` would give (batch, time, 64)"
    )
    assert construction.range.start == types.Position(4, len("encoder = "))
    gru = await hover(7, "GRU")
    assert gru.contents.value == (
        "`GRU(16)` returns 1 tensor: the whole sequence (batch, time, 16); "
        "`return_sequences=False` would give (batch, 16); `return_state=True` adds h"
    )
    assert (await hover(8, "seq")).contents.value == "`seq`: sequence (batch, 20, 16) from GRU line 7"
    assert (await hover(6, "h")).contents.value == "`h`: state h (batch, 64) from LSTM line 5"
    assert (
        await hover(8, "z")
    ).contents.value == "`z`: sequence (batch, 20, 4) from Dense line 8, over the output of GRU line 7"
    # Nothing where the analysis knows nothing: the import, a keyword, an unknown module.
    assert await hover(1, "keras") is None
    assert await hover(4, "shape") is None


async def test_client_settings_and_project_configuration(client: LanguageClient, project: Path) -> None:
    await _start(client, project)
    uri = _open(client, project / "waste.py", WASTE)
    assert list((await _published(client, uri, 1)).diagnostics) == []  # RNN502 is a hint, off by default

    count = len(client.published)
    client.set_configuration({"extendSelect": ["RNN502"]}, section="rnnlint")
    _reconfigure(client)
    [waste] = (await _published(client, uri, after=count, codes=["RNN502"])).diagnostics
    assert waste.code == "RNN502"
    assert waste.severity == types.DiagnosticSeverity.Hint
    assert list(waste.tags) == [types.DiagnosticTag.Unnecessary]

    # Settings pushed with the notification (clients without workspace/configuration) work too.
    count = len(client.published)
    client.set_configuration({}, section="rnnlint")
    _reconfigure(client, {"rnnlint": {"select": ["RNN5"], "ignore": ["RNN501"]}})
    # The pulled (empty) settings win over the pushed ones: RNN502 is off again, and no other code shows.
    assert _codes((await _published(client, uri, after=count, codes=[])).diagnostics) == []

    # The project's configuration file is read as on the command line, and re-read when it changes.
    count = len(client.published)
    client.set_configuration({"extendSelect": ["RNN502"]}, section="rnnlint")
    _reconfigure(client)
    assert _codes((await _published(client, uri, after=count, codes=["RNN502"])).diagnostics) == ["RNN502"]
    (project / "pyproject.toml").write_text("[tool.rnnlint]\nper-file-ignores = { 'waste.py' = ['RNN502'] }\n")
    count = len(client.published)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=(project / "pyproject.toml").as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    assert list((await _published(client, uri, after=count, codes=[])).diagnostics) == []


async def test_settings_given_as_initialization_options(client: LanguageClient, project: Path) -> None:
    # A client that does not answer workspace/configuration (Helix and others also send them at start).
    await client.initialize_session(
        types.InitializeParams(
            capabilities=_capabilities(configuration=False),
            root_uri=project.as_uri(),
            initialization_options={"rnnlint": {"extendSelect": ["RNN502"], "ignore": ["RNN999"]}},
        )
    )
    await _settings_applied(client, 0)
    uri = _open(client, project / "waste.py", WASTE)
    assert _codes((await _published(client, uri, 1)).diagnostics) == ["RNN502"]
    # The unknown selector is reported once, in the editor, and left out.
    assert [m.message for m in client.messages] == ["rnnlint: setting 'ignore': unknown rule selector 'RNN999'"]


async def test_multi_root_workspace_settings_per_folder(client: LanguageClient, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (second / "rnnlint.toml").write_text('ignore = ["RNN101"]\n')
    client.set_configuration({"extendSelect": ["RNN502"]}, section="rnnlint", scope_uri=first.as_uri())
    await _start(client, first, second)
    both = BUGGY + WASTE.replace("import keras\n", "")
    in_first = _open(client, first / "model.py", both)
    in_second = _open(client, second / "model.py", both)
    assert _codes((await _published(client, in_first, 1)).diagnostics) == ["RNN101", "RNN502"]
    assert _codes((await _published(client, in_second, 1)).diagnostics) == []


async def test_a_file_that_does_not_parse(client: LanguageClient, project: Path) -> None:
    await _start(client, project)
    broken = "from keras.layers import LSTM\nlayer = LSTM(8\nout = layer(x)\n"
    uri = _open(client, project / "broken.py", broken)
    [diagnostic] = (await _published(client, uri, 1)).diagnostics
    assert diagnostic.code == "RNN001"
    assert diagnostic.message.startswith("syntax error")
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    # The server is still there: it answers a hover and lints the mended text.
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(1, 9))
    )
    assert hover is None
    count = len(client.published)
    _change(client, uri, BUGGY, 2)
    assert _codes((await _published(client, uri, 2, after=count)).diagnostics) == ["RNN101"]


async def test_notebook_cells_get_their_own_diagnostics(client: LanguageClient, project: Path) -> None:
    result = await _start(client, project, notebooks=True)
    assert result.capabilities.notebook_document_sync is not None
    notebook = (project / "model.ipynb").as_uri()
    cells = [
        "import keras\nfrom keras import layers\ninputs = keras.Input(shape=(20, 8))\n",
        "# Notes",
        "encoder = layers.LSTM(64)\nout, h, c = encoder(inputs)\n",
    ]
    kinds = [types.NotebookCellKind.Code, types.NotebookCellKind.Markup, types.NotebookCellKind.Code]
    uris = [f"vscode-notebook-cell:{project / 'model.ipynb'}#cell{number}" for number in range(len(cells))]
    client.notebook_document_did_open(
        types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(
                uri=notebook,
                notebook_type="jupyter-notebook",
                version=1,
                cells=[types.NotebookCell(kind=kind, document=uri) for kind, uri in zip(kinds, uris)],
            ),
            cell_text_documents=[
                types.TextDocumentItem(
                    uri=uri,
                    language_id="python" if kind == types.NotebookCellKind.Code else "markdown",
                    version=1,
                    text=text,
                )
                for uri, kind, text in zip(uris, kinds, cells)
            ],
        )
    )
    [diagnostic] = (await _published(client, uris[2])).diagnostics
    assert diagnostic.code == "RNN101"
    assert diagnostic.range.start.line == 1  # the cell's own second line
    assert "(cell 3, line 1)" in diagnostic.message
    assert list((await _published(client, uris[0])).diagnostics) == []
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uris[2]),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    fix = next(action for action in actions if action.kind == types.CodeActionKind.QuickFix and action.is_preferred)
    fixed = "encoder = layers.LSTM(64, return_state=True)\nout, h, c = encoder(inputs)\n"
    assert _apply(cells[2], fix.edit.changes[uris[2]]) == fixed
    noqa = next(action for action in actions if action.title.startswith("Suppress"))
    assert _apply(cells[2], noqa.edit.changes[uris[2]]).endswith("out, h, c = encoder(inputs)  # noqa: RNN101\n")
    # Fix-all edits the cells that change (as `rnnlint --fix model.ipynb` would), and only those.
    [every] = [action for action in actions if action.kind == "source.fixAll.rnnlint"]
    assert list(every.edit.changes) == [uris[2]]
    assert _apply(cells[2], every.edit.changes[uris[2]]) == fixed

    # Hover in a cell: the cells are analysed as the program they form (`inputs` comes from cell 1).
    async def hover(line: int, character: int) -> types.Hover | None:
        return await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uris[2]), position=types.Position(line, character)
            )
        )

    received = await hover(1, len("out, h, c = encoder(inp"))
    assert received.contents.value == "`inputs`: sequence (batch, 20, 8) from keras.Input"
    assert received.range == types.Range(start=types.Position(1, 20), end=types.Position(1, 26))
    built = await hover(0, len("encoder = layers.LS"))
    assert built.contents.value.startswith("`LSTM(64)` returns 1 tensor: the last step (batch, 64)")
    assert built.range == types.Range(start=types.Position(0, 10), end=types.Position(0, 25))
    assert await hover(1, 1) is None  # `out`: unpacked from a single tensor, so nothing is known of it


async def test_shutdown_and_exit(client: LanguageClient, project: Path) -> None:
    await _start(client, project)
    uri = _open(client, project / "model.py", BUGGY)
    await _published(client, uri, 1)
    await client.shutdown_async(None)
    client.exit(None)
    process = client._server  # the server's process, started by pytest-lsp
    assert await asyncio.wait_for(process.wait(), WAIT) == 0
    client.capabilities = None  # already shut down: the fixture has nothing left to do
