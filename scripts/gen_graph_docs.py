"""Regenerate the graphs of docs/graph.md ("See the wiring"): the PNGs in docs/graph/ and the inline Mermaid.

    python scripts/gen_graph_docs.py        # needs Graphviz's `dot` for the PNGs

tests/test_graph.py checks that the page's Mermaid blocks are what `rnnlint graph`
draws today, so the pictures cannot drift from the tool.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rnnlint.api import analyse
from rnnlint.graph import draw
from rnnlint.settings import Settings

EXAMPLES = ("docs/graph/attention_broken.py", "docs/graph/attention_fixed.py")
PAGE = ROOT / "docs" / "graph.md"
# <!-- graph: docs/graph/x.py --> ```mermaid ... ``` <!-- /graph -->
BLOCK = re.compile(r"(<!-- graph: (?P<path>\S+) -->\n)(?P<body>.*?)(<!-- /graph -->)", re.DOTALL)


def drawing(relative: str, output_format: str) -> bytes:
    analysis = analyse((ROOT / relative).read_text(encoding="utf-8"), relative, Settings())
    return draw(analysis, output_format, title=relative)


def mermaid_block(relative: str) -> str:
    return "```mermaid\n" + drawing(relative, "mermaid").decode("utf-8") + "```\n"


def main() -> int:
    for relative in EXAMPLES:
        image = ROOT / relative.replace(".py", ".png")
        image.write_bytes(drawing(relative, "png"))
        print(f"wrote {image.relative_to(ROOT)}")
    text = PAGE.read_text(encoding="utf-8")
    updated = BLOCK.sub(lambda m: m.group(1) + mermaid_block(m.group("path")) + m.group(4), text)
    if updated != text:
        PAGE.write_text(updated, encoding="utf-8")
        print("updated docs/graph.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
