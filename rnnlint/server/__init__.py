"""`rnnlint server`: the language server (LSP over standard input and output), built on pygls.

pygls comes with the `lsp` extra and is imported only here, when the server
starts: plain linting never loads it (tests/test_lazy_imports.py).
"""

from __future__ import annotations

import sys


def serve() -> int:
    """Run the server until the client says exit; exit code 2 (one line) when pygls is missing."""
    try:
        import pygls  # noqa: F401
    except ImportError:
        print("rnnlint: error: `rnnlint server` needs pygls: pip install 'rnnlint[lsp]'", file=sys.stderr)
        return 2
    from rnnlint.server.lsp import make_server

    make_server().start_io()
    return 0
