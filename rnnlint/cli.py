"""Command-line interface: parse arguments, call the api, print through rnnlint.output."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from rnnlint import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
SUBCOMMANDS = ("check", "rule")


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
    parser.add_argument("--jobs", "-j", type=int, default=0, help="worker processes (default: all cores)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    parser.add_argument("--cache-dir", help="where the cache lives (default: .rnnlint_cache at the project root)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] == "rule":
            return _rule_command(args[1:])
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
    from rnnlint.discovery import discover
    from rnnlint.output import renderer
    from rnnlint.runner import run
    from rnnlint.output.text import statistics, summary
    from rnnlint.settings import Selection, Settings

    _validate_codes(args.select or (), args.extend_select, args.ignore)
    settings = Settings(
        selection=Selection(args.select, tuple(args.extend_select), tuple(args.ignore)),
        target_keras=args.target_keras,
    )
    results = []
    files = []
    for path in args.paths:
        if path == "-":
            data = sys.stdin.buffer.read()
            results.append(api.lint_bytes(data, args.stdin_filename or "-", settings))
        else:
            files.extend(discover([path]))
    cache = None
    if not args.no_cache:
        from pathlib import Path

        from rnnlint.cache import Cache, default_cache_dir

        cache = Cache(Path(args.cache_dir) if args.cache_dir else default_cache_dir())
    results.extend(run(files, lambda _: settings, jobs=args.jobs or None, cache=cache))
    if cache is not None:
        cache.save()
        if cache.warning:
            print(f"rnnlint: warning: {cache.warning}", file=sys.stderr)
    if not args.quiet:
        for notice in (notice for r in results for notice in r.notices):
            print(f"rnnlint: {notice}", file=sys.stderr)
    diagnostics = sorted((d for r in results for d in r.diagnostics), key=lambda d: d.sort_key())
    failed = any(r.failed or any(d.extra.get("internal_error") for d in r.diagnostics) for r in results)

    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    if args.statistics:
        sys.stdout.write(statistics(diagnostics))
    else:
        sources: dict[tuple[str, int | None], list[str]] = {}

        def source_line(diagnostic):  # noqa: ANN001, ANN202
            key = (diagnostic.filename, diagnostic.cell)
            if key not in sources:
                sources[key] = _read_lines(*key)
            lines = sources[key]
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


def _validate_codes(*groups: Sequence[str]) -> None:
    from rnnlint.rules import all_rules

    known = [rule.code for rule in all_rules()]
    for group in groups:
        for selector in group:
            if selector != "ALL" and not any(code.startswith(selector) for code in known):
                raise UsageError(f"unknown rule selector {selector!r} (see `rnnlint rule --all`)")


def _read_lines(filename: str, cell: int | None = None) -> list[str]:
    from rnnlint.sources.python import LineIndex, SourceError, SourceText

    if cell is not None:  # a notebook's cell
        from rnnlint.sources.notebook import cell_lines

        try:
            with open(filename, "rb") as handle:
                return cell_lines(handle.read()).get(cell, [])
        except OSError:
            return []
    try:
        with open(filename, "rb") as handle:
            index = LineIndex(SourceText.from_bytes(handle.read()).text)
    except (OSError, SourceError):
        return []
    return [index.line(row) for row in range(1, len(index.starts) + 1)]
