"""Render DOT to SVG or PNG with Graphviz's `dot` program, when it is installed."""

from __future__ import annotations

import shutil
import subprocess

FORMATS = ("svg", "png")
INSTALL_HINT = (
    "apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS), or use --format mermaid or --format dot"
)


class GraphvizError(Exception):
    """`dot` is missing or failed: one line for the user."""


def render(dot_source: str, output_format: str, *, timeout: float = 60.0) -> bytes:
    """The image `dot -T<format>` makes of `dot_source`."""
    if output_format not in FORMATS:
        raise ValueError(f"unsupported image format {output_format!r}")
    program = shutil.which("dot")
    if program is None:
        raise GraphvizError(f"--format {output_format} needs Graphviz's `dot`, which is not installed: {INSTALL_HINT}")
    try:
        completed = subprocess.run(
            [program, f"-T{output_format}"],
            input=dot_source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GraphvizError(f"Graphviz `dot` could not run: {error}") from error
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GraphvizError(f"Graphviz `dot` failed: {message[0] if message else f'exit code {completed.returncode}'}")
    return completed.stdout
