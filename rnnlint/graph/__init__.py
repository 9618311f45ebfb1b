"""`rnnlint graph`: draw the recurrent data flow the analysis found, with the findings on it.

`model` builds graphs from an analysis' facts; `mermaid` and `dot` turn them
into text; `graphviz` turns DOT into SVG/PNG when Graphviz is installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rnnlint.api import Analysis

FORMATS = ("mermaid", "dot", "svg", "png")


def draw(analysis: Analysis, output_format: str = "mermaid", *, title: str = "", function: str | None = None) -> bytes:
    """One analysed file (`rnnlint.api.Analysis`) drawn in `output_format`.

    Raises `model.NoGraph` when there is nothing to draw and
    `graphviz.GraphvizError` when an image cannot be made.
    """
    from rnnlint.graph import dot, mermaid
    from rnnlint.graph.model import build_graphs

    graphs = build_graphs(analysis, function)
    if output_format == "mermaid":
        return mermaid.render(graphs, title).encode("utf-8")
    source = dot.render(graphs, title)
    if output_format == "dot":
        return source.encode("utf-8")
    from rnnlint.graph import graphviz

    return graphviz.render(source, output_format)
