"""Graphviz DOT text for graphs (and, through `dot`, SVG and PNG).

A pure function of the graphs.  Each model is a cluster; an edge that carries a
finding is red, labelled with the rule code and the fix, and its tooltip (shown
by SVG viewers) holds the full message.
"""

from __future__ import annotations

from collections.abc import Sequence

from rnnlint.graph.describe import finding_lines, finding_tooltip
from rnnlint.graph.model import Graph, Node, NodeKind

RED = "#d62728"
FONT = "Helvetica"

# shape, style, fill, border for each kind of node.
_LOOKS = {
    NodeKind.RECURRENT: ("box", "filled,bold", "#dbeafe", "#1e40af"),
    NodeKind.LAYER: ("box", "rounded,filled", "#f1f5f9", "#64748b"),
    NodeKind.INPUT: ("box", "rounded,filled", "#ecfdf5", "#047857"),
    NodeKind.OUTPUT: ("box", "rounded,filled", "#ecfdf5", "#047857"),
    NodeKind.UNKNOWN: ("box", "rounded,dashed", "#ffffff", "#94a3b8"),
    NodeKind.OPERATION: ("hexagon", "filled", "#fef9c3", "#a16207"),
    NodeKind.STOP: ("box", "filled,diagonals", "#fff7ed", "#c2410c"),
    NodeKind.NOTE: ("note", "filled", "#fef2f2", RED),
}


def render(graphs: Sequence[Graph], title: str = "") -> str:
    lines = [
        "digraph rnnlint {",
        (
            f'  graph [label="{_string(f"rnnlint graph of {title}" if title else "rnnlint graph")}", labelloc=t, '
            f'fontname="{FONT}", fontsize=14, rankdir=TB, nodesep=0.35, ranksep=0.45];'
        ),
        f'  node [fontname="{FONT}", fontsize=11, margin="0.15,0.06"];',
        f'  edge [fontname="{FONT}", fontsize=10, color="#475569", fontcolor="#334155", arrowsize=0.7];',
    ]
    for graph in graphs:
        lines.append(f"  subgraph cluster_{graph.id} {{")
        lines.append(f'    label="{_string(graph.title)}"; fontsize=12; style="rounded,dashed"; color="#94a3b8";')
        for node in graph.nodes:
            lines.append(f"    {graph.id}_{node.id} [{_node_attributes(node)}];")
        for edge in graph.edges:
            attributes = [f'label="{_edge_label(edge.label, edge.findings)}"']
            if not edge.known:
                attributes.append('style="dashed"')
            if edge.findings:
                tooltip = "\n".join(finding_tooltip(d) for d in edge.findings)
                attributes += [f'color="{RED}"', f'fontcolor="{RED}"', "penwidth=2.2", f'tooltip="{_string(tooltip)}"']
            lines.append(f"    {graph.id}_{edge.source} -> {graph.id}_{edge.target} [{', '.join(attributes)}];")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node_attributes(node: Node) -> str:
    shape, style, fill, border = _LOOKS[node.kind]
    if node.findings:
        border = RED
    details = list(node.details) + ([node.where] if node.where is not None else [])
    label = f"<b>{_html(node.title)}</b>"
    if details:
        label += '<br/><font point-size="9">' + "<br/>".join(_html(d) for d in details) + "</font>"
    for diagnostic in node.findings:
        label += (
            f'<br/><font color="{RED}">' + "<br/>".join(_html(line) for line in finding_lines(diagnostic)) + "</font>"
        )
    attributes = [f"label=<{label}>", f"shape={shape}", f'style="{style}"', f'fillcolor="{fill}"', f'color="{border}"']
    if node.findings:
        tooltip = "\n".join(finding_tooltip(d) for d in node.findings)
        attributes += ["penwidth=2.2", f'tooltip="{_string(tooltip)}"']
    return ", ".join(attributes)


def _edge_label(label: str, findings: Sequence) -> str:
    lines = [label]
    for diagnostic in findings:
        lines.extend(finding_lines(diagnostic))
    return "\\n".join(_string(line) for line in lines)


def _string(text: str) -> str:
    """Text inside a DOT double-quoted string: backslashes and quotes escaped, newlines as \\n."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
