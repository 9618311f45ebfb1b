"""Mermaid flowchart text for graphs: renders in GitHub Markdown and pull requests.

A pure function of the graphs.  Each model is a subgraph; layers that return
several things are blue, unknown values dashed, and an edge that carries a
finding is red with the rule code and the fix in its label (Mermaid has no
edge tooltips, and GitHub disables node ones).
"""

from __future__ import annotations

from collections.abc import Sequence

from rnnlint.graph.describe import finding_lines
from rnnlint.graph.model import Graph, Node, NodeKind

RED = "#d62728"

# Node shapes: Mermaid's opening and closing brackets around a quoted label.
_SHAPES = {
    NodeKind.RECURRENT: ("[", "]"),
    NodeKind.LAYER: ("(", ")"),
    NodeKind.INPUT: ("([", "])"),
    NodeKind.OUTPUT: ("([", "])"),
    NodeKind.UNKNOWN: ("([", "])"),
    NodeKind.OPERATION: ("{{", "}}"),
    NodeKind.STOP: ("[/", "/]"),
    NodeKind.NOTE: ("[", "]"),
}

_CLASSES = {
    NodeKind.RECURRENT: "fill:#dbeafe,stroke:#1e40af,stroke-width:2px,color:#0f172a",
    NodeKind.LAYER: "fill:#f1f5f9,stroke:#64748b,color:#0f172a",
    NodeKind.INPUT: "fill:#ecfdf5,stroke:#047857,color:#0f172a",
    NodeKind.OUTPUT: "fill:#ecfdf5,stroke:#047857,color:#0f172a",
    NodeKind.UNKNOWN: "fill:#ffffff,stroke:#94a3b8,stroke-dasharray:4 3,color:#64748b",
    NodeKind.OPERATION: "fill:#fef9c3,stroke:#a16207,color:#0f172a",
    NodeKind.STOP: "fill:#fff7ed,stroke:#c2410c,color:#0f172a",
    NodeKind.NOTE: f"fill:#fef2f2,stroke:{RED},color:#0f172a",
}
_FINDING_CLASS = f"stroke:{RED},stroke-width:3px"

# Characters that would end a quoted label or start Mermaid's own entity syntax.
_ESCAPES = {'"': "#34;", "#": "#35;", "<": "#60;", ">": "#62;", "&": "#38;", "\n": " ", "\r": " "}


def render(graphs: Sequence[Graph], title: str = "") -> str:
    lines = [f"%% rnnlint graph of {_comment(title)}" if title else "%% rnnlint graph", "flowchart TB"]
    red_links: list[int] = []
    links = 0
    classes: dict[str, list[str]] = {}
    for graph in graphs:
        lines.append(f'  subgraph {graph.id}["{_escape(graph.title)}"]')
        lines.append("    direction TB")
        for node in graph.nodes:
            node_id = f"{graph.id}_{node.id}"
            opening, closing = _SHAPES[node.kind]
            lines.append(f'    {node_id}{opening}"{_node_label(node)}"{closing}')
            classes.setdefault(node.kind.value, []).append(node_id)
            if node.findings:
                classes.setdefault("finding", []).append(node_id)
        for edge in graph.edges:
            label = "<br/>".join(_escape(line) for line in _edge_lines(edge.label, edge.findings))
            arrow = "-->" if edge.known else "-.->"
            lines.append(f'    {graph.id}_{edge.source} {arrow}|"{label}"| {graph.id}_{edge.target}')
            if edge.findings:
                red_links.append(links)
            links += 1
        lines.append("  end")
    for kind, style in _CLASSES.items():
        if kind.value in classes:
            lines.append(f"  classDef {kind.value} {style}")
    if "finding" in classes:
        lines.append(f"  classDef finding {_FINDING_CLASS}")
    for name, members in classes.items():
        lines.append(f"  class {','.join(members)} {name}")
    if red_links:
        lines.append(f"  linkStyle {','.join(map(str, red_links))} stroke:{RED},stroke-width:3px,color:{RED}")
    return "\n".join(lines) + "\n"


def _node_label(node: Node) -> str:
    parts = [node.title, *node.details]
    if node.where is not None:
        parts.append(node.where)
    for diagnostic in node.findings:
        parts.extend(finding_lines(diagnostic))
    return "<br/>".join(_escape(part) for part in parts)


def _edge_lines(label: str, findings: Sequence) -> list[str]:
    lines = [label]
    for diagnostic in findings:
        lines.extend(finding_lines(diagnostic))
    return lines


def _escape(text: str) -> str:
    return "".join(_ESCAPES.get(char, char) for char in text)


def _comment(text: str) -> str:
    return text.replace("\n", " ").replace("\r", " ")
