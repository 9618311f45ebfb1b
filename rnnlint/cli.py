"""Command-line interface: parse arguments, call the api, print through rnnlint.output."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from rnnlint import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
SUBCOMMANDS = ("check", "rule", "graph")


class UsageError(Exception):
    """A mistake in how rnnlint was called: one line, exit code 2."""


def _codes(value: str) -> tuple[str, ...]:
    return tuple(code.strip().upper() for code in value.split(",") if code.strip())


def _check_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnnlint",
        description="Find misuse of Keras recurrent layers (return_sequences, return_state, states) before it runs.",
    )
    parser.add_argument("--version", action="version", version=f"rnnlint {__version__}")
    parser.add_argument("paths", nargs="*", default=["."], help="files or directories to lint ('-' for stdin)")
    parser.add_argument("--select", type=_codes, help="rule codes or prefixes to enable (RNN1, RNN201, ALL)")
    parser.add_argument("--extend-select", type=_codes, default=(), help="codes to enable on top of the selection")
    parser.add_argument("--ignore", type=_codes, default=(), help="codes or prefixes to disable")
    parser.add_argument("--output-format", choices=("text", "concise", "full", "json"), default="text")
    parser.add_argument("--show-source", action="store_true", help="show the offending line with carets")
    parser.add_argument("--statistics", action="store_true", help="print counts per rule instead of findings")
    parser.add_argument("-q", "--quiet", action="store_true", help="print findings only, no summary")
    parser.add_argument("--stdin-filename", help="the name to report for code read from stdin")
    parser.add_argument("--target-keras", type=int, choices=(2, 3), default=3, help="Keras major version (default 3)")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] == "rule":
            return _rule_command(args[1:])
        if args and args[0] == "graph":
            return _graph_command(args[1:])
        if args and args[0] == "check":
            args = args[1:]
        return _check_command(args)
    except UsageError as error:
        print(f"rnnlint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_ERROR


def _rule_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="rnnlint rule", description="Explain a rule, or list them all.")
    parser.add_argument("code", nargs="?")
    parser.add_argument("--all", action="store_true", help="list every rule")
    args = parser.parse_args(argv)
    from rnnlint.rules import all_rules, rule_by_code

    if args.all or not args.code:
        print(f"{'code':<8} {'name':<28} {'severity':<8} {'default':<8} summary")
        for rule in all_rules():
            state = "on" if rule.on_by_default() else "off"
            print(f"{rule.code:<8} {rule.name:<28} {rule.severity.value:<8} {state:<8} {rule.summary}")
        return EXIT_CLEAN
    rule = rule_by_code(args.code)
    if rule is None:
        raise UsageError(f"unknown rule code {args.code!r} (see `rnnlint rule --all`)")
    state = "on" if rule.on_by_default() else "off (select it to enable)"
    print(f"# {rule.name} ({rule.code})\n\nSeverity: {rule.severity.value}; default: {state}\n")
    print(rule.documentation())
    return EXIT_CLEAN


def _check_command(argv: list[str]) -> int:
    parser = _check_parser()
    args = parser.parse_args(argv)
    from rnnlint import api
    from rnnlint.output import renderer
    from rnnlint.output.text import statistics, summary
    from rnnlint.settings import Selection, Settings

    _validate_codes(args.select or (), args.extend_select, args.ignore)
    settings = Settings(
        selection=Selection(args.select, tuple(args.extend_select), tuple(args.ignore)),
        target_keras=args.target_keras,
    )
    results = []
    for path in args.paths:
        if path == "-":
            data = sys.stdin.buffer.read()
            results.append(api.lint_bytes(data, args.stdin_filename or "-", settings))
        elif not os.path.exists(path) and not os.path.islink(path):
            raise UsageError(f"{path}: no such file or directory")
        else:
            results.extend(api.lint_paths([path], settings))
    diagnostics = sorted((d for r in results for d in r.diagnostics), key=lambda d: d.sort_key())
    failed = any(r.failed or any(d.extra.get("internal_error") for d in r.diagnostics) for r in results)

    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    if args.statistics:
        sys.stdout.write(statistics(diagnostics))
    else:
        sources: dict[str, list[str]] = {}

        def source_line(diagnostic):  # noqa: ANN001, ANN202
            if diagnostic.filename not in sources:
                sources[diagnostic.filename] = _read_lines(diagnostic.filename)
            lines = sources[diagnostic.filename]
            row = diagnostic.location.row
            return lines[row - 1] if 0 < row <= len(lines) else None

        render = renderer(args.output_format)
        show_source = args.show_source or args.output_format == "full"
        sys.stdout.write(render(diagnostics, colour=colour, show_source=show_source, source_line=source_line))
        if args.output_format in ("text", "concise", "full") and not args.quiet:
            sys.stdout.write(summary(diagnostics))
    if failed:
        return EXIT_ERROR
    if diagnostics and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


# `--output-file wiring.png` implies `--format png`.
_FORMAT_BY_SUFFIX = {".mmd": "mermaid", ".mermaid": "mermaid", ".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png"}


def _graph_command(argv: list[str]) -> int:
    from rnnlint.graph import FORMATS

    parser = argparse.ArgumentParser(
        prog="rnnlint graph",
        description="Draw the recurrent data flow of a file (layers, what travels between them, the findings).",
    )
    parser.add_argument("path", help="a Python file ('-' for stdin)")
    parser.add_argument("--function", help="only this function, class or method (build, Seq2Seq, Seq2Seq.call)")
    parser.add_argument(
        "--format", choices=FORMATS, help="default: from --output-file's suffix, else mermaid; svg/png need Graphviz"
    )
    parser.add_argument("-o", "--output-file", help="write the graph there instead of to standard output")
    parser.add_argument("--select", type=_codes, help="rule codes or prefixes whose findings are drawn")
    parser.add_argument("--extend-select", type=_codes, default=())
    parser.add_argument("--ignore", type=_codes, default=())
    parser.add_argument("--stdin-filename", help="the name to show for code read from stdin")
    parser.add_argument("--target-keras", type=int, choices=(2, 3), default=3)
    args = parser.parse_args(argv)
    from rnnlint import api
    from rnnlint.graph import draw
    from rnnlint.graph.graphviz import GraphvizError
    from rnnlint.graph.model import NoGraph
    from rnnlint.output.text import location_text
    from rnnlint.settings import Selection, Settings
    from rnnlint.sources.python import SourceError, SourceText

    _validate_codes(args.select or (), args.extend_select, args.ignore)
    output_format = args.format or _FORMAT_BY_SUFFIX.get(os.path.splitext(args.output_file or "")[1].lower(), "mermaid")
    if output_format == "png" and not args.output_file and sys.stdout.isatty():
        raise UsageError("a PNG is binary: write it with --output-file FILE.png (or redirect standard output)")
    if args.path == "-":
        name, data = args.stdin_filename or "-", sys.stdin.buffer.read()
    else:
        name = args.path
        if os.path.isdir(args.path):
            raise UsageError(f"{args.path}: is a directory; `rnnlint graph` draws one Python file")
        try:
            with open(args.path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise UsageError(f"{args.path}: cannot read file: {error.strerror or error}") from None
    try:
        text = SourceText.from_bytes(data).text
    except SourceError as error:
        raise UsageError(f"{name}: {error}") from None
    settings = Settings(
        selection=Selection(args.select, tuple(args.extend_select), tuple(args.ignore)), target_keras=args.target_keras
    )
    analysis = api.analyse(text, name, settings)
    unreadable = next((d for d in analysis.diagnostics if d.code == "RNN001"), None)
    if unreadable is not None:
        raise UsageError(f"{location_text(unreadable)}: {unreadable.message}")
    try:
        drawing = draw(analysis, output_format, title=name, function=args.function)
    except NoGraph as error:
        raise UsageError(f"{name}: {error}") from None
    except GraphvizError as error:
        raise UsageError(str(error)) from None
    except Exception as error:  # noqa: BLE001 - a bug in the drawing: one line, not a traceback
        raise UsageError(f"{name}: internal error while drawing: {type(error).__name__}: {error}") from None
    if args.output_file:
        try:
            with open(args.output_file, "wb") as handle:
                handle.write(drawing)
        except OSError as error:
            raise UsageError(f"{args.output_file}: cannot write: {error.strerror or error}") from None
    else:
        sys.stdout.buffer.write(drawing)
        sys.stdout.flush()
    return EXIT_CLEAN


def _validate_codes(*groups: Sequence[str]) -> None:
    from rnnlint.rules import all_rules

    known = [rule.code for rule in all_rules()]
    for group in groups:
        for selector in group:
            if selector != "ALL" and not any(code.startswith(selector) for code in known):
                raise UsageError(f"unknown rule selector {selector!r} (see `rnnlint rule --all`)")


def _read_lines(filename: str) -> list[str]:
    from rnnlint.sources.python import LineIndex, SourceError, SourceText

    try:
        with open(filename, "rb") as handle:
            index = LineIndex(SourceText.from_bytes(handle.read()).text)
    except (OSError, SourceError):
        return []
    return [index.line(row) for row in range(1, len(index.starts) + 1)]
