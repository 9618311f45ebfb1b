"""`rnnlint graph`: the graph built from the facts, its Mermaid and DOT text, Graphviz images, the CLI.

Goldens: tests/golden/graph/<fixture>.mmd and .dot for every file in
tests/fixtures/architectures.  Regenerate them after an intended change with

    RNNLINT_UPDATE_GOLDENS=1 python -m pytest -q tests/test_graph.py

and read the diff.  Mermaid syntax is checked with Mermaid's own parser under
node (`npm ci --prefix tests/mermaid` installs it; .ci/run does), DOT with
Graphviz (`apt-get install graphviz`); each check skips when its tool is absent.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from rnnlint.analysis.facts import LayerCalled, ScopeEntered, SequentialBuilt
from rnnlint.analysis.interpret import interpret
from rnnlint.analysis.values import Layer, Tensor
from rnnlint.api import analyse, lint_file, lint_source
from rnnlint.graph import dot, draw, mermaid
from rnnlint.graph.describe import value_label
from rnnlint.graph.model import Graph, NodeKind, NoGraph, build_graphs
from rnnlint.keras.catalogue import StateKind
from rnnlint.settings import Selection, Settings

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURES = sorted((ROOT / "tests" / "fixtures" / "architectures").glob("*.py"))
GOLDEN = ROOT / "tests" / "golden" / "graph"
EXTENSIONS = {"mermaid": ".mmd", "dot": ".dot"}
UPDATE = os.environ.get("RNNLINT_UPDATE_GOLDENS") == "1"
ALL = Settings(selection=Selection(select=("ALL",)))
DOT = shutil.which("dot")
NODE = shutil.which("node")
MERMAID_CHECKER = ROOT / "tests" / "mermaid"
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz `dot` is not installed (apt-get install graphviz)")


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def drawn(path: Path, output_format: str, settings: Settings = ALL) -> str:
    name = relative(path)
    return draw(analyse(path.read_text(encoding="utf-8"), name, settings), output_format, title=name).decode("utf-8")


def graphs_of(source: str, settings: Settings = ALL, function: str | None = None) -> list[Graph]:
    return build_graphs(analyse(source, "example.py", settings), function)


def edge(graph: Graph, source_title: str, target_title: str) -> list:
    titles = {n.id: n.title for n in graph.nodes}
    return [e for e in graph.edges if titles[e.source] == source_title and titles[e.target] == target_title]


def run_cli(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = dict(os.environ if env is None else env, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "rnnlint", "graph", *args],
        input=stdin.encode() if stdin is not None else None,
        check=False,
        capture_output=True,
        env=environment,
        cwd=ROOT,
        timeout=120,
    )


# --- goldens ----------------------------------------------------------------------------------


@pytest.mark.parametrize("output_format", sorted(EXTENSIONS))
@pytest.mark.parametrize("path", ARCHITECTURES, ids=lambda p: p.stem)
def test_golden(path: Path, output_format: str):
    golden = GOLDEN / f"{path.stem}{EXTENSIONS[output_format]}"
    actual = drawn(path, output_format)
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
        return
    assert golden.exists(), (
        f"no golden {relative(golden)}: run RNNLINT_UPDATE_GOLDENS=1 python -m pytest tests/test_graph.py"
    )
    assert actual == golden.read_text(encoding="utf-8"), (
        f"{relative(golden)} differs; if the change is intended, regenerate with RNNLINT_UPDATE_GOLDENS=1"
    )


def test_every_golden_has_its_fixture():
    stems = {p.stem for p in ARCHITECTURES}
    stale = [p.name for p in GOLDEN.iterdir() if p.stem not in stems]
    assert not stale, f"goldens without a fixture: {stale}"
    assert len(list(GOLDEN.glob("*.mmd"))) == len(ARCHITECTURES) >= 10


def test_goldens_are_stable_across_processes():
    """The drawing depends on nothing but the source: not on hash seeds, object ids or run order."""
    script = (
        "import json, sys\nfrom pathlib import Path\n"
        "from rnnlint.api import analyse\nfrom rnnlint.graph import draw\nfrom rnnlint.settings import Selection, Settings\n"
        "settings = Settings(selection=Selection(select=('ALL',)))\nout = {}\n"
        "for name in sys.argv[1:]:\n"
        "    analysis = analyse(Path(name).read_text(encoding='utf-8'), name, settings)\n"
        "    out[name] = {f: draw(analysis, f, title=name).decode() for f in ('mermaid', 'dot')}\n"
        "print(json.dumps(out))\n"
    )
    names = [relative(p) for p in reversed(ARCHITECTURES)]  # another order than the goldens were made in
    for seed in ("1", "4242"):
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED=seed)
        result = subprocess.run(
            [sys.executable, "-c", script, *names], capture_output=True, env=env, cwd=ROOT, timeout=120, check=True
        )
        for name, drawings in json.loads(result.stdout).items():
            for output_format, text in drawings.items():
                golden = GOLDEN / f"{Path(name).stem}{EXTENSIONS[output_format]}"
                assert text == golden.read_text(encoding="utf-8"), f"{golden.name} with PYTHONHASHSEED={seed}"


# --- what the graph says -----------------------------------------------------------------------


def test_every_finding_is_drawn():
    """No finding gets lost: each diagnostic of each fixture is on an edge or a node of its graphs."""
    for path in ARCHITECTURES:
        diagnostics = lint_file(path, ALL).diagnostics
        graphs = build_graphs(analyse(path.read_text(encoding="utf-8"), str(path), ALL))
        drawn_findings = [d for g in graphs for item in g.edges + g.nodes for d in item.findings]
        for diagnostic in diagnostics:
            assert any(d.code == diagnostic.code and d.location == diagnostic.location for d in drawn_findings), (
                f"{path.name}: {diagnostic.code} at {diagnostic.location} is not drawn"
            )


def test_attention_over_last_step_is_the_red_edge():
    path = ROOT / "tests/fixtures/architectures/attention_functional_broken.py"
    (graph,) = build_graphs(analyse(path.read_text(encoding="utf-8"), "a.py", ALL))
    (red,) = [e for e in edge(graph, "LSTM", "AdditiveAttention") if e.findings]
    assert red.label == "value: last step (batch, 128)"
    assert [d.code for d in red.findings] == ["RNN202"]
    assert red.findings[0].fix is not None
    query = [e for e in edge(graph, "LSTM", "AdditiveAttention") if not e.findings]
    assert [e.label for e in query] == ["query: sequence (batch, time, 128)"]
    assert sum(1 for e in graph.edges if e.findings) == 2  # AdditiveAttention and MultiHeadAttention


def test_layer_nodes_show_the_flags():
    (graph,) = graphs_of(
        "from keras import layers\n"
        "x = layers.Bidirectional(layers.LSTM(32, return_sequences=True, go_backwards=True), name='bi')(x)\n"
        "y = layers.ConvLSTM2D(filters=8, kernel_size=3, return_state=flag)(x)\n"
    )
    bidirectional = next(n for n in graph.nodes if n.title.startswith("Bidirectional"))
    assert bidirectional.title == "Bidirectional(LSTM) 'bi'"
    assert bidirectional.kind is NodeKind.RECURRENT
    assert bidirectional.details == ("units=32", "return_sequences=True", "return_state=False", "go_backwards=True")
    conv = next(n for n in graph.nodes if n.title == "ConvLSTM2D")
    assert conv.details == ("filters=8", "return_sequences=False", "return_state=?")
    assert edge(graph, "Bidirectional(LSTM) 'bi'", "ConvLSTM2D")[0].label == "sequence (batch, time, 64)"


def test_states_travel_as_h_and_c():
    (graph,) = graphs_of(
        "import keras\nfrom keras import layers\n"
        "x = keras.Input(shape=(None, 16))\n"
        "encoder = layers.LSTM(64, return_state=True)\n"
        "_, h, c = encoder(x)\n"
        "decoded = layers.LSTM(64, return_sequences=True)(x, initial_state=[h, c])\n"
        "model = keras.Model(x, decoded)\n"
    )
    labels = sorted(e.label for e in edge(graph, "LSTM 'encoder'", "LSTM"))
    assert labels == ["initial_state: state c (batch, 64)", "initial_state: state h (batch, 64)"]
    assert graph.title == "keras.Model 'model' (line 7)"
    encoder = next(n for n in graph.nodes if n.title == "LSTM 'encoder'")
    assert encoder.where == "line 4, called line 5"
    assert edge(graph, "Input 'x'", "LSTM 'encoder'")[0].label == "(batch, None, 16)"
    assert edge(graph, "LSTM", "outputs of 'model'")[0].label == "sequence (batch, time, 64)"


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (Tensor(time=True, spatial_dims=0, width=32), "sequence (batch, time, 32)"),
        (Tensor(time=False, spatial_dims=0, width=None), "last step (batch, ?)"),
        (Tensor(time=False, spatial_dims=0, width=8, state="c", state_kind=StateKind.LSTM), "state c (batch, 8)"),
        (Tensor(time=False, width=8, state="h", direction="backward"), "backward state h (batch, 8)"),
        (Tensor(time=True, spatial_dims=2, width=4), "sequence (batch, time, rows, cols, 4)"),
        (Tensor(time=True, shape=(None, 71)), "(batch, None, 71)"),
        (Tensor(), "tensor"),
    ],
)
def test_what_travels_on_an_edge(value, label):
    assert value_label(value) == label


def test_unpacking_that_loses_the_value_is_drawn_as_a_stop():
    (graph,) = graphs_of("from keras import layers\nout, h, c = layers.LSTM(8)(x)\ny = layers.Dense(2)(h)\n")
    stop = next(n for n in graph.nodes if n.kind is NodeKind.STOP)
    assert (stop.title, stop.details) == ("unpacked into 3 names", ("out, h, c",))
    (into_stop,) = edge(graph, "LSTM", "unpacked into 3 names")
    assert into_stop.label == "last step (batch, 8)" and [d.code for d in into_stop.findings] == ["RNN101"]
    (unknown,) = [e for e in edge(graph, "h", "Dense")]
    assert not unknown.known  # what `h` holds after a failed unpacking is unknown: dashed


def test_sequential_stack_and_multi_output_finding():
    (graph,) = graphs_of(
        "from keras import Sequential, Input\nfrom keras.layers import LSTM, Dense\n"
        "model = Sequential([Input(shape=(None, 4)), LSTM(8, return_state=True), Dense(2)])\n"
    )
    assert graph.title == "Sequential 'model' (line 3)"
    assert [n.kind for n in graph.nodes] == [NodeKind.INPUT, NodeKind.RECURRENT, NodeKind.LAYER, NodeKind.OUTPUT]
    (red,) = [e for e in graph.edges if e.findings]
    assert red.label == "list of 3 [output, h, c]" and red.findings[0].code == "RNN104"


def test_a_layer_added_under_a_condition_is_an_unknown_node():
    (graph,) = graphs_of(
        "import keras\nfrom keras import layers\nmodel = keras.Sequential()\nmodel.add(layers.LSTM(8, return_sequences=True))\n"
        "if deep:\n    model.add(layers.LSTM(8, return_sequences=True))\nmodel.add(layers.LSTM(4))\n"
    )
    kinds = [n.kind for n in graph.nodes]
    assert kinds == [NodeKind.RECURRENT, NodeKind.UNKNOWN, NodeKind.RECURRENT, NodeKind.OUTPUT]
    assert [e.known for e in graph.edges] == [True, False, True]


def test_inlined_helpers_are_drawn_once_and_on_request():
    path = ROOT / "tests/fixtures/architectures/translator_functional_broken.py"
    analysis = analyse(path.read_text(encoding="utf-8"), "t.py", ALL)
    (graph,) = build_graphs(analysis)
    assert graph.title == "keras.Model 'model' (line 20)"
    assert {d.code for e in graph.edges for d in e.findings} == {"RNN201", "RNN203"}
    (helper,) = build_graphs(analysis, function="encoder_block")
    assert helper.title == "encoder_block()" and helper.scope == "encoder_block"


def test_a_method_inlined_in_call_is_drawn_within_call():
    source = (
        "import keras\nfrom keras import layers\n"
        "class Net(keras.Model):\n"
        "    def __init__(self):\n        self.encoder = layers.GRU(8, return_sequences=True)\n"
        "        self.decoder = layers.GRU(8)\n"
        "    def encode(self, x):\n        return self.encoder(x)\n"
        "    def call(self, x):\n        return self.decoder(self.encode(x))\n"
    )
    (graph,) = graphs_of(source)
    assert graph.title == "Net.call()"
    assert edge(graph, "GRU 'encoder'", "GRU 'decoder'")[0].label == "sequence (batch, time, 8)"
    assert [g.title for g in graphs_of(source, function="encode")] == ["Net.encode()"]


@pytest.mark.parametrize(
    ("function", "scopes"),
    [
        ("Seq2Seq.call", ["Seq2Seq.call"]),
        ("call", ["Seq2Seq.call"]),
        ("Seq2Seq", ["Seq2Seq.call", "Seq2Seq.decode_step"]),
        ("decode_step", ["Seq2Seq.decode_step"]),
    ],
)
def test_function_selects_scopes(function, scopes):
    path = ROOT / "tests/fixtures/architectures/seq2seq_subclassed.py"
    graphs = build_graphs(analyse(path.read_text(encoding="utf-8"), "s.py", ALL), function=function)
    assert [g.scope for g in graphs] == scopes


def test_nothing_to_draw():
    with pytest.raises(NoGraph, match="no Keras model"):
        graphs_of("x = 1\n")
    path = ROOT / "tests/fixtures/architectures/seq2seq_subclassed.py"
    with pytest.raises(NoGraph, match=r"'nope'.*Seq2Seq\.call, Seq2Seq\.decode_step"):
        build_graphs(analyse(path.read_text(encoding="utf-8"), "s.py", ALL), function="nope")


def rule_examples() -> list[str]:
    from rnnlint.rules import all_rules

    return [code for rule in all_rules() for code in rule.valid + [i.code for i in rule.invalid]]


def test_every_rule_example_draws_or_says_there_is_nothing():
    """Odd code (every rule's VALID and INVALID examples) never breaks the drawing."""
    drawn_count = 0
    for code in rule_examples():
        try:
            graphs = graphs_of(code)
        except NoGraph:
            continue
        drawn_count += 1
        assert mermaid_structure_errors(mermaid.render(graphs, "example.py")) == [], code
        assert dot.render(graphs, "example.py").startswith("digraph rnnlint {")
        diagnostics = lint_source(code, "example.py", ALL)
        shown = [d.code for g in graphs for item in g.edges + g.nodes for d in item.findings]
        # RNN001/RNN002 are about the file and its comments, not about a value: nothing to draw them on.
        drawable = {d.code for d in diagnostics if d.code not in ("RNN001", "RNN002")}
        assert sorted(set(shown)) == sorted(drawable), code
    assert drawn_count > 20


def test_selection_decides_which_findings_are_drawn():
    path = ROOT / "tests/fixtures/architectures/attention_functional_broken.py"
    ignored = Settings(selection=Selection(ignore=("RNN202",)))
    (graph,) = build_graphs(analyse(path.read_text(encoding="utf-8"), "a.py", ignored))
    assert not any(e.findings for e in graph.edges)


# --- the facts the graph needs from the engine ---------------------------------------------


def test_scopes_are_marked_in_the_facts():
    tree = ast.parse(
        "import keras\nfrom keras import layers\n"
        "def block(x):\n    return layers.LSTM(4)(x)\n"
        "class Net(keras.Model):\n"
        "    def __init__(self):\n        self.rnn = layers.GRU(4)\n"
        "    def call(self, x):\n        return self.rnn(block(x))\n"
        "def build():\n    return keras.Sequential([layers.LSTM(4)])\n"
        "y = block(keras.Input(shape=(None, 3)))\n"
    )
    facts = interpret(tree)
    assert isinstance(facts[0], ScopeEntered) and facts[0].name == ""
    names = [f.name for f in facts if isinstance(f, ScopeEntered)]
    assert names[:4] == ["", "block", "Net.__init__", "Net.call"]
    scope = None
    where: dict[str, list[str]] = {}
    for fact in facts:
        if isinstance(fact, ScopeEntered):
            scope = fact.name
        elif isinstance(fact, LayerCalled):
            where.setdefault(scope, []).append(fact.layer.class_name)
    assert where[""] == ["LSTM"]  # block() inlined at module level stays in the module's scope
    assert where["Net.call"] == ["LSTM", "GRU"]  # the helper inlined in call, then the layer on self
    # A Sequential is simulated after everything else, back in the scope that built it.
    assert where["build"] == ["LSTM"]
    built = next(i for i, f in enumerate(facts) if isinstance(f, SequentialBuilt))
    assert [f.name for f in facts[:built] if isinstance(f, ScopeEntered)][-1] == "build"


def test_analyse_pairs_each_finding_with_its_fact():
    source = (ROOT / "tests/fixtures/architectures/seq2seq_functional_broken.py").read_text(encoding="utf-8")
    analysis = analyse(source, "s.py", ALL)
    assert analysis.diagnostics == lint_source(source, "s.py", ALL)
    # RNN502 (a hint): the decoder's states are discarded at its only call.
    assert sorted(r.diagnostic.code for r in analysis.reports) == ["RNN101", "RNN102", "RNN502"]
    for report in analysis.reports:
        assert report.fact in analysis.facts
        assert any(report.diagnostic is d for d in analysis.diagnostics)
        layers = report.fact.layers if hasattr(report.fact, "layers") else (report.fact.value.producer,)
        assert all(isinstance(layer, Layer) for layer in layers)


# --- Mermaid ----------------------------------------------------------------------------------

# Layer names that would break naive quoting: quotes, Mermaid's entity and link syntax, HTML, keywords.
NASTY_NAMES = ['say "hi"', "a#b;c", "<b>x</b>", "x|y", "end", "a & b", "tab\there", "`tick`", "x-->y", "ü ß 日本", "%%"]


def nasty_source() -> str:
    lines = ["from keras import layers", "x = layers.Input(shape=(None, 3))"]
    for number, name in enumerate(NASTY_NAMES):
        lines.append(f"x = layers.LSTM(4, return_sequences={number % 2 == 0}, name={name!r})(x)")
    return "\n".join(lines) + "\n"


def mermaid_structure_errors(text: str) -> list[str]:
    """What can be checked without Mermaid: every statement is one we emit, ids are declared, quotes close."""
    errors = []
    declared: set[str] = set()
    links = 0
    depth = 0
    for line in text.splitlines()[2:]:
        stripped = line.strip()
        if stripped.startswith("subgraph "):
            depth += 1
            continue
        if stripped == "end":
            depth -= 1
            continue
        node = re.fullmatch(r'(g\d+_n\d+)(\(\[|\[/|\{\{|\[|\()"([^"]*)"(\]\)|/\]|\}\}|\]|\))', stripped)
        link = re.fullmatch(r'(g\d+_n\d+) (-->|-\.->)\|"([^"]*)"\| (g\d+_n\d+)', stripped)
        if node:
            declared.add(node.group(1))
        elif link:
            links += 1
            if link.group(1) not in declared or link.group(4) not in declared:
                errors.append(f"link to an undeclared node: {stripped}")
        elif stripped.startswith("linkStyle "):
            indices = [int(i) for i in stripped.split()[1].split(",")]
            if max(indices) >= links:
                errors.append(f"linkStyle index out of range: {stripped}")
        elif not re.fullmatch(r"(direction TB|classDef \w+ [\w:#,.\- ]+|class [\w,]+ \w+)", stripped):
            errors.append(f"unexpected statement: {stripped}")
    if depth:
        errors.append("unbalanced subgraph/end")
    return errors


def test_mermaid_structure_of_goldens_and_nasty_names():
    texts = [p.read_text(encoding="utf-8") for p in GOLDEN.glob("*.mmd")]
    texts.append(mermaid.render(graphs_of(nasty_source()), 'file "with" #odd; name'))
    for text in texts:
        assert text.startswith("%% rnnlint graph") and "\nflowchart TB\n" in text
        assert mermaid_structure_errors(text) == []


def validate_with_mermaid(paths: list[Path]) -> list[dict]:
    if NODE is None:
        pytest.skip("node is not installed: Mermaid syntax checked structurally only")
    if not (MERMAID_CHECKER / "node_modules" / "mermaid").is_dir():
        pytest.skip("Mermaid's parser is not installed: run `npm ci --prefix tests/mermaid`")
    result = subprocess.run(
        [NODE, str(MERMAID_CHECKER / "validate.mjs"), *map(str, paths)],
        check=False,
        capture_output=True,
        timeout=300,
        text=True,
    )
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_mermaid_parser_accepts_every_drawing(tmp_path: Path):
    paths = sorted(GOLDEN.glob("*.mmd"))
    nasty = tmp_path / "nasty.mmd"
    nasty.write_text(mermaid.render(graphs_of(nasty_source()), 'file "with" #odd; name'), encoding="utf-8")
    readme = tmp_path / "readme.mmd"
    readme.write_text(drawn(ROOT / "docs/graph/attention_broken.py", "mermaid"), encoding="utf-8")
    # A control: the checker must reject what Mermaid rejects, or a pass would prove nothing.
    broken = tmp_path / "broken.mmd"
    broken.write_text('flowchart TB\n  a["unclosed] --> b\n', encoding="utf-8")
    results = validate_with_mermaid([*paths, nasty, readme, broken])
    assert len(results) == len(paths) + 3
    verdicts = {Path(r["file"]).name: r for r in results}
    assert not verdicts.pop("broken.mmd")["ok"]
    failures = {name: r["error"] for name, r in verdicts.items() if not r["ok"]}
    assert failures == {}
    assert {r["type"] for r in verdicts.values()} == {"flowchart-v2"}


# --- DOT and Graphviz -----------------------------------------------------------------------


@needs_dot
def test_graphviz_parses_every_golden_and_nasty_names(tmp_path: Path):
    nasty = tmp_path / "nasty.dot"
    nasty.write_text(dot.render(graphs_of(nasty_source()), 'file "with" \\ odd name'), encoding="utf-8")
    for path in [*sorted(GOLDEN.glob("*.dot")), nasty]:
        result = subprocess.run([DOT, "-Tcanon", str(path)], check=False, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"{path.name}: {result.stderr}"
        assert "Warning" not in result.stderr and "Error" not in result.stderr, f"{path.name}: {result.stderr}"


@needs_dot
def test_png_is_rendered(tmp_path: Path):
    out = tmp_path / "wiring.png"  # the suffix chooses the format
    result = run_cli("tests/fixtures/architectures/attention_functional_broken.py", "--output-file", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 300 and height > 300


@needs_dot
def test_svg_carries_the_finding_and_its_tooltip():
    result = run_cli("tests/fixtures/architectures/translator_sequential_broken.py", "--format", "svg")
    assert result.returncode == 0, result.stderr
    svg = ElementTree.fromstring(result.stdout)
    assert svg.tag.endswith("svg")
    text = result.stdout.decode("utf-8")
    assert "RNN201: Set return_sequences=True on LSTM (line 11)" in text
    assert "needs a sequence; add return_sequences=True" in text  # the full message, as a tooltip


def test_missing_graphviz_is_one_clear_line(tmp_path: Path):
    env = dict(os.environ, PATH=str(tmp_path))  # an empty directory: no `dot` to be found
    result = run_cli("tests/fixtures/architectures/attention_functional_broken.py", "--format", "png", env=env)
    assert result.returncode == 2
    assert result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1
    assert "apt-get install graphviz" in lines[0] and "brew install graphviz" in lines[0]


# --- command line ------------------------------------------------------------------------------


def test_cli_prints_mermaid_by_default():
    result = run_cli("tests/fixtures/architectures/translator_sequential_broken.py")
    assert result.returncode == 0, result.stderr
    expected = (GOLDEN / "translator_sequential_broken.mmd").read_text(encoding="utf-8")
    assert result.stdout.decode() == expected


def test_cli_dot_output_file_and_stdin(tmp_path: Path):
    out = tmp_path / "graph.txt"
    result = run_cli("tests/fixtures/architectures/next_word_sequential.py", "--format", "dot", "-o", str(out))
    assert result.returncode == 0 and result.stdout == b""
    assert out.read_text().startswith("digraph rnnlint {")
    source = (ROOT / "tests/fixtures/architectures/next_word_sequential.py").read_text()
    piped = run_cli("-", "--stdin-filename", "piped.py", stdin=source)
    assert piped.returncode == 0 and b"%% rnnlint graph of piped.py" in piped.stdout


def test_cli_function_and_ignore():
    result = run_cli("tests/fixtures/architectures/seq2seq_subclassed.py", "--function", "decode_step")
    assert result.returncode == 0
    assert b"Seq2Seq.decode_step()" in result.stdout and b"Seq2Seq.call()" not in result.stdout
    plain = run_cli("tests/fixtures/architectures/attention_functional_broken.py", "--ignore", "RNN202")
    assert plain.returncode == 0 and b"RNN202" not in plain.stdout and b"linkStyle" not in plain.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["no/such/file.py"], None, "no/such/file.py: cannot read file"),
        (["tests"], None, "tests: is a directory"),
        (["-"], "x = (\n", "-:1:5: syntax error"),
        (["-"], "x = 1\n", "no Keras model or recurrent layer call found"),
        (["tests/fixtures/architectures/seq2seq_subclassed.py", "--function", "nope"], None, "'nope'"),
        (["tests/fixtures/architectures/seq2seq_subclassed.py", "--select", "XYZ"], None, "unknown rule selector"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(args, stdin, message):
    result = run_cli(*args, stdin=stdin)
    assert result.returncode == 2
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert "Traceback" not in result.stderr.decode()


# --- the pictures of docs/graph.md ---------------------------------------------------------------


def test_docs_graphs_are_what_the_tool_draws():
    """The Mermaid in docs/graph.md is today's output (scripts/gen_graph_docs.py rewrites it)."""
    page = (ROOT / "docs" / "graph.md").read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- graph: (\S+) -->\n```mermaid\n(.*?)```\n<!-- /graph -->", page, re.DOTALL)
    assert [path for path, _ in blocks] == ["docs/graph/attention_broken.py", "docs/graph/attention_fixed.py"]
    for path, body in blocks:
        assert body == drawn(ROOT / path, "mermaid", Settings()), f"{path}: run python scripts/gen_graph_docs.py"
        image = ROOT / path.replace(".py", ".png")
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"({image.relative_to(ROOT / 'docs').as_posix()})" in page
    broken, fixed = (body for _, body in blocks)
    assert "RNN202" in broken and "RNN" not in fixed.replace("rnnlint", "")
