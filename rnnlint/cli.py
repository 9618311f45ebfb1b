"""Command-line interface: parse arguments, call the api, print through rnnlint.output."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rnnlint import __version__
from rnnlint.cli_args import (
    Parser,
    UsageError,
    choices_help,
    closest,
    codes,
    jobs,
    megabytes,
    patterns,
    positive_seconds,
    seconds,
    size,
)
from rnnlint.output import FORMATS, TEXT_FORMATS
from rnnlint.output.escape import printable

if TYPE_CHECKING:
    from rnnlint.config import Resolved, Resolver
    from rnnlint.runner import RunResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

# The subcommands, in the order `rnnlint --help` lists them, with their one-line summary.  Adding
# one is a line here and a function `_NAME_command(argv) -> int` below: main() dispatches by name,
# a mistyped first argument is matched against these, and a test checks each has its function.
COMMANDS = {
    "check": "lint files and directories (the default command)",
    "rule": "explain a rule (`rnnlint rule RNN101`), or list them all (`--all`)",
    "graph": "draw the recurrent data flow of a file: Mermaid, DOT, SVG or PNG",
    "trace": "RUN a file with Keras instrumented and check the findings against what happened",
    "server": "run the language server for editors (LSP over stdio; needs the lsp extra)",
}
SUBCOMMANDS = tuple(COMMANDS)
EXAMPLES = (
    ("rnnlint src/", "lint a directory; exit 1 when there are findings"),
    ("rnnlint --diff-base origin/main --output-format github .", "gate a pull request on the lines it changes"),
    ("rnnlint rule RNN201", "what a rule catches and why"),
)


def _check_parser() -> argparse.ArgumentParser:
    from rnnlint.cli_args import top_level_help
    from rnnlint.diagnostics import DOCS_BASE_URL

    description, epilog = top_level_help(COMMANDS, EXAMPLES, docs=DOCS_BASE_URL)
    parser = Parser(
        prog="rnnlint",
        usage="rnnlint [check] [OPTIONS] [PATH ...]\n       rnnlint {" + ",".join(c for c in COMMANDS if c != "check") + "} ...",
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"rnnlint {__version__}")
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or directories to lint (default: .; '-' reads stdin)")
    parser.add_argument("--select", type=codes, metavar="CODES", help="rule codes or prefixes to enable (RNN1, RNN201, ALL)")
    parser.add_argument("--extend-select", type=codes, default=(), metavar="CODES", help="codes to enable on top of the selection")
    parser.add_argument("--ignore", type=codes, default=(), metavar="CODES", help="codes or prefixes to disable")
    parser.add_argument(
        "--output-format", choices=FORMATS, default=None, metavar="FORMAT", help=choices_help(FORMATS, "text")
    )
    parser.add_argument("-o", "--output-file", metavar="PATH", help="write the report to PATH instead of stdout")
    parser.add_argument("--show-source", action="store_true", help="show the offending line with carets")
    parser.add_argument("--statistics", action="store_true", help="print counts per rule instead of findings")
    parser.add_argument("-q", "--quiet", action="store_true", help="print findings only, no summary")
    parser.add_argument("--stdin-filename", metavar="NAME", help="the name to report for code read from stdin")
    parser.add_argument(
        "--target-keras", type=int, choices=(2, 3), default=None, help="Keras major version (default: inferred, else 3)"
    )
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    _add_fix_options(parser)
    _add_config_options(parser)
    _add_performance_options(parser)
    _add_gate_options(parser)
    _add_confirm_options(parser)
    return parser


def _add_confirm_options(parser: argparse.ArgumentParser) -> None:
    confirm = parser.add_argument_group("confirming findings with real Keras (needs the trace extra)")
    confirm.add_argument(
        "--confirm", action="store_true", help="rebuild each finding as a tiny Keras program and run it (never runs your code)"
    )
    confirm.add_argument(
        "--confirm-timeout", type=positive_seconds, default=60.0, metavar="SECONDS", help="seconds allowed per reproduction"
    )
    confirm.add_argument(
        "--confirm-budget",
        type=positive_seconds,
        default=600.0,
        metavar="SECONDS",
        help="seconds allowed for all reproductions together (default 600); later findings are not checked",
    )
    confirm.add_argument(
        "--confirm-memory",
        type=megabytes,
        default=8192,
        metavar="MB",
        help="address space the Keras worker may use (default 8192; 0: no cap)",
    )


def _add_gate_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--exit-non-zero-on-fix", action="store_true", help="exit 1 when --fix changed a file, even if nothing remains"
    )
    gate = parser.add_argument_group("gating a change (CI)")
    gate.add_argument(
        "--diff-base",
        "--changed-since",
        dest="diff_base",
        metavar="REV",
        help="report only findings on lines changed since the merge base with git revision REV",
    )
    gate.add_argument("--baseline", metavar="FILE", help="report only findings not recorded in the baseline FILE")
    gate.add_argument("--write-baseline", action="store_true", help="record the current findings in the --baseline FILE")


def _add_performance_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("performance")
    group.add_argument("--jobs", "-j", type=jobs, default=0, metavar="N", help="worker processes (default, or 0: one per core)")
    group.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    group.add_argument("--cache-dir", metavar="DIR", help="where the cache lives (default: .rnnlint_cache at the project root)")
    group.add_argument(
        "--file-timeout",
        type=seconds,
        metavar="SECONDS",
        help="skip a file whose analysis takes longer (default: 30; 0: no limit)",
    )
    group.add_argument(
        "--max-file-size",
        type=size,
        metavar="BYTES",
        help="skip a file with more source than this, before parsing it (default: 2MiB; 0: no limit)",
    )


def _add_fix_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("fixes and suppressions")
    on_off = argparse.BooleanOptionalAction
    group.add_argument("--fix", action=on_off, default=None, help="apply fixes in place (safe ones; see --unsafe-fixes)")
    group.add_argument("--unsafe-fixes", action=on_off, default=None, help="also apply (and offer) fixes marked unsafe")
    group.add_argument("--fix-only", action=on_off, default=None, help="apply fixes and report only what was fixed")
    group.add_argument("--diff", action="store_true", help="print the diff --fix would make, write nothing (exit 1 if any)")
    group.add_argument("--show-fixes", action=on_off, default=None, help="list the fixes applied (or available)")
    group.add_argument("--add-noqa", action="store_true", help="add `# noqa: CODE` comments for every current finding")


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("configuration")
    group.add_argument("--config", metavar="PATH", help="use this configuration file (pyproject.toml or rnnlint.toml)")
    group.add_argument("--isolated", action="store_true", help="ignore every configuration file")
    group.add_argument("--show-settings", action="store_true", help="print the resolved settings and where each came from")
    group.add_argument("--exclude", type=patterns, metavar="PATTERNS", help="glob patterns to skip (replaces the default excludes)")
    group.add_argument("--extend-exclude", type=patterns, default=(), metavar="PATTERNS", help="glob patterns to skip, on top of the excludes")
    group.add_argument(
        "--force-exclude", action="store_true", help="apply the excludes to files named on the command line too"
    )
    group.add_argument(
        "--respect-gitignore", action=argparse.BooleanOptionalAction, default=None, help="skip files .gitignore ignores"
    )




def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    _never_fail_to_print()
    try:
        if args and args[0] in COMMANDS:
            return _command(args[0])(args[1:])
        _refuse_mistyped_command(args)
        return _check_command(args)
    except UsageError as error:
        print(f"rnnlint: error: {printable(str(error))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_ERROR


def _command(name: str) -> Callable[[list[str]], int]:
    """The function that runs subcommand `name` (see COMMANDS)."""
    return globals()[f"_{name}_command"]  # type: ignore[no-any-return]


def _refuse_mistyped_command(args: list[str]) -> None:
    """`rnnlint chek src/` is a typo, not a file to lint: refuse it (exit 2, nothing linted) when the
    first argument names no existing path and is close to a subcommand."""
    if not args or args[0].startswith("-") or os.path.lexists(args[0]):
        return
    if any(mark in args[0] for mark in (".", "/", os.sep)):  # `check.py`, `src/`: a path, never a command
        return
    suggestion = closest(args[0], COMMANDS)
    if suggestion is not None:
        raise UsageError(f"unknown command {args[0]!r} (did you mean {suggestion!r}?)")


def _never_fail_to_print() -> None:
    """A file name that is not valid UTF-8 (or text the terminal's encoding lacks) must print, not raise:
    a stream that would fail on it writes a backslash escape instead."""
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _rule_command(argv: list[str]) -> int:
    parser = Parser(prog="rnnlint rule", description="Explain a rule, or list them all.")
    parser.add_argument("code", nargs="?", help="a rule code (RNN101)")
    parser.add_argument("--all", action="store_true", help="list every rule")
    parser.add_argument(
        "--output-format", choices=("text", "json"), default="text", metavar="FORMAT", help=choices_help(("text", "json"), "text")
    )
    args = parser.parse_args(argv)
    from rnnlint.rules import all_rules, rule_by_code

    if args.output_format == "json":
        return _rule_json(None if args.all or not args.code else args.code)
    if args.all or not args.code:
        width = max(len(rule.name) for rule in all_rules())
        print(f"{'code':<8} {'name':<{width}} {'severity':<8} {'default':<8} summary")
        for rule in all_rules():
            state = "on" if rule.on_by_default() else "off"
            print(f"{rule.code:<8} {rule.name:<{width}} {rule.severity.value:<8} {state:<8} {rule.summary}")
        return EXIT_CLEAN
    rule = rule_by_code(args.code)
    if rule is None:
        raise UsageError(f"unknown rule code {args.code!r} (see `rnnlint rule --all`)")
    state = "on" if rule.on_by_default() else "off (select it to enable)"
    print(f"# {rule.name} ({rule.code})\n\nSeverity: {rule.severity.value}; default: {state}\n")
    print(rule.documentation())
    from rnnlint.diagnostics import rule_url

    print(f"\nOnline: {rule_url(rule.code)}")
    return EXIT_CLEAN


def _rule_json(code: str | None) -> int:
    """`rule --output-format json`: one object for a code, a list of them for --all (as ruff does)."""
    import json

    from rnnlint.diagnostics import rule_url
    from rnnlint.rules import all_rules, rule_by_code

    def described(rule) -> dict:  # noqa: ANN001 - a Rule class
        return {
            "code": rule.code,
            "name": rule.name,
            "severity": rule.severity.value,
            "default": rule.on_by_default(),
            "summary": rule.summary,
            "url": rule_url(rule.code),
            "explanation": rule.documentation(),
        }

    if code is None:
        print(json.dumps([described(rule) for rule in all_rules()], indent=2))
        return EXIT_CLEAN
    rule = rule_by_code(code)
    if rule is None:
        raise UsageError(f"unknown rule code {code!r} (see `rnnlint rule --all`)")
    print(json.dumps(described(rule), indent=2))
    return EXIT_CLEAN


def _server_command(argv: list[str]) -> int:
    Parser(
        prog="rnnlint server",
        description="Run the language server over standard input and output (for editors; docs/editors.md). "
        "Needs the lsp extra: pip install 'rnnlint[lsp]'.",
    ).parse_args(argv)
    from rnnlint.server import serve

    return serve()


def _trace_command(argv: list[str]) -> int:
    parser = Parser(
        prog="rnnlint trace",
        description="RUN the target with Keras instrumented (as importing it would) and check the static findings "
        "against what happened.  This executes your code, and whatever it imports: only trace code you would "
        "import.  It runs in a subprocess with its own session; at the end or on --timeout the whole session "
        "(processes the code started included) is killed.  Needs the trace extra.  See docs/confirm-and-trace.md.",
    )
    parser.add_argument("targets", nargs="+", metavar="TARGET", help="path.py or path.py:function")
    parser.add_argument("--arg", action="append", default=[], metavar="NAME=VALUE", help="an argument of the function")
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=600.0,
        metavar="SECONDS",
        help="seconds allowed for the whole run (default 600)",
    )
    parser.add_argument("--output-format", choices=("text", "json"), default="text")
    parser.add_argument("--select", type=codes, metavar="CODES", help="rule codes or prefixes to reconcile (default: the default rules)")
    parser.add_argument("--target-keras", type=int, choices=(2, 3), default=3, help="Keras major version (default 3)")
    args = parser.parse_args(argv)
    from rnnlint import api
    from rnnlint.confirm import missing_keras, missing_keras_message
    from rnnlint.confirm.trace import REFUTED, Target, TraceError, reconcile, render_json, render_text, run_tracer
    from rnnlint.settings import Selection, Settings

    _validate_codes(args.select or ())
    missing = missing_keras(args.target_keras)
    if missing is not None:
        raise UsageError(missing_keras_message(missing, "trace"))
    values = {}
    for item in args.arg:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise UsageError(f"--arg {item!r}: expected NAME=VALUE")
        values[name] = value
    try:
        targets = [Target.parse(text, values) for text in args.targets]
        report = run_tracer(targets, target_keras=args.target_keras, timeout=args.timeout)
    except TraceError as error:
        raise UsageError(str(error)) from None
    settings = Settings(selection=Selection(args.select), target_keras=args.target_keras)
    results = []
    for target, traced in zip(targets, report["targets"]):
        diagnostics = api.lint_file(target.path, settings).diagnostics
        results.append(reconcile(target, diagnostics, traced))
    if args.output_format == "json":
        sys.stdout.write(render_json(results, report))
    else:
        sys.stdout.write(render_text(results, report.get("keras_version", "?")))
    # Exit 1 when the run disagrees with the analysis: a refuted finding or a missed failure.
    problems = any(r.missed or any(v.verdict == REFUTED for v in r.verdicts) for r in results)
    return EXIT_FINDINGS if problems else EXIT_CLEAN


def _check_command(argv: list[str]) -> int:
    parser = _check_parser()
    argv, after = _split_at_end_of_options(argv)
    args = parser.parse_args(argv)
    if after is not None:  # every argument after `--` is a path, even one named like an option
        before = [] if args.paths is parser.get_default("paths") else args.paths
        args.paths = before + after or parser.get_default("paths")
    from rnnlint import runner
    from rnnlint.output import renderer
    from rnnlint.output.text import fixed_listing, summary
    from rnnlint.progress import for_terminal

    _validate_codes(args.select or (), args.extend_select, args.ignore)
    _validate_gate_options(args)
    resolver = _resolver(args)
    if args.show_settings:
        return _show_settings(resolver, args.paths[0] if args.paths[0] != "-" else (args.stdin_filename or "."))
    first = args.paths[0] if args.paths[0] != "-" else (args.stdin_filename or os.curdir)
    options = resolver.for_path(first).values
    target_keras = resolver.for_path(first).settings_for(first).target_keras
    if args.confirm:
        from rnnlint.confirm import missing_keras, missing_keras_message

        missing = missing_keras(target_keras)
        if missing is not None:
            raise UsageError(missing_keras_message(missing))
    args.output_format = args.output_format or options["output-format"]
    unsafe = bool(options["unsafe-fixes"])
    if args.add_noqa:
        mode = runner.ADD_NOQA
    elif args.diff:
        mode = runner.DIFF
    elif args.fix_only or options["fix"]:
        mode = runner.FIX
    else:
        mode = runner.CHECK
    changes = _changed_lines(args.diff_base) if args.diff_base else None
    stdin = sys.stdin.buffer.read() if "-" in args.paths else None
    # Walk everything first: a broken configuration met in the walk stops the run before any file is written.
    files = list(
        runner.targets(
            _named_sources(args.paths), resolver, stdin=stdin, stdin_name=args.stdin_filename, force_exclude=args.force_exclude
        )
    )
    if not files:
        # As ruff: in a CI gate, "All checks passed!" over zero files would hide a wrong path or exclude.
        print("rnnlint: warning: No Python files found under the given paths", file=sys.stderr)
    # --confirm rebuilds findings from what the analysis knew (Diagnostic.origin), which
    # lives only in this process: no cache, no worker processes.
    cache = _open_cache(args) if mode == runner.CHECK and not args.confirm else None
    progress = for_terminal(sys.stderr, args.quiet)
    try:
        outcome = runner.run(
            files, mode, unsafe=unsafe, jobs=args.jobs or None, cache=cache, keep_origins=args.confirm, progress=progress
        )
    finally:
        if progress is not None:
            progress.close()
    if cache is not None:
        cache.save()
        if cache.warning:
            print(f"rnnlint: warning: {printable(cache.warning)}", file=sys.stderr)
    results = outcome.results
    for warning in outcome.warnings:
        print(f"rnnlint: warning: {printable(warning)}", file=sys.stderr)
    if not args.quiet:
        for notice in (notice for r in results for notice in r.notices):
            print(f"rnnlint: {printable(notice)}", file=sys.stderr)
    diagnostics = sorted((d for r in results for d in r.diagnostics), key=lambda d: d.sort_key())
    failed = any(r.failed or any(d.extra.get("internal_error") for d in r.diagnostics) for r in results)
    if mode != runner.CHECK:
        done = _report_changes(args, mode, outcome, diagnostics, unsafe)
        if done is not None:
            if failed:  # these modes print no findings: still say, one line each, what could not be analysed
                for d in diagnostics:
                    if d.code == "RNN001" or d.extra.get("internal_error"):
                        where = f"{printable(d.filename)}:{d.location.row}:{d.location.column}"
                        print(f"rnnlint: error: {where}: {d.code} {printable(d.message)}", file=sys.stderr)
            return EXIT_ERROR if failed else done
    stdin_texts = {t.name: t.data for t in files if t.data is not None}

    def text_of(filename: str) -> str | None:
        from rnnlint.fingerprints import read_source
        from rnnlint.sources.python import SourceError, SourceText

        if filename in stdin_texts:
            try:
                return SourceText.from_bytes(stdin_texts[filename]).text
            except SourceError:
                return None
        return read_source(filename)

    diagnostics, baselined = _gate(args, diagnostics, [r.path for r in results], text_of, changes)
    if args.confirm:
        from rnnlint.confirm.runner import confirm, user_cache_dir

        # The answers are verdicts: kept out of the linted repository unless --cache-dir says otherwise.
        cache_dir = None if args.no_cache else (args.cache_dir or user_cache_dir())
        stats = confirm(diagnostics, target_keras=target_keras, cache_dir=cache_dir, timeout=args.confirm_timeout,
                        budget=args.confirm_budget, memory_limit=args.confirm_memory * 1024**2 or None)
        if stats.warning:
            print(f"rnnlint: warning: {stats.warning}", file=sys.stderr)

    # With the fixed source on stdout, the report goes to stderr (as ruff does).
    out = sys.stderr if outcome.stdin_output is not None else sys.stdout
    colour = out.isatty() and not os.environ.get("NO_COLOR") and not args.output_file
    if args.statistics:
        report = _statistics(diagnostics, args.output_format)
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
        context = _format_context(args.output_format, diagnostics, text_of)
        if args.output_format in TEXT_FORMATS:
            context.update(unsafe_fixes=unsafe, show_fixes=bool(args.show_fixes))
        report = render(diagnostics, colour=colour, show_source=show_source, source_line=source_line, **context)
        if args.output_format in TEXT_FORMATS and not args.quiet and files:
            if args.show_fixes and outcome.fixed_count:
                report += fixed_listing(outcome.fixed)
            if baselined is not None:
                # Not "All checks passed!": the findings were accepted, not absent.
                noun = "finding" if baselined == 1 else "findings"
                report += f"Recorded {baselined} {noun} in the baseline {args.baseline}; only new findings are reported.\n"
            if baselined is None or diagnostics:
                report += summary(diagnostics, fixed=outcome.fixed_count, unsafe_fixes=unsafe)
    _write_report(report, args.output_file, out)
    return _exit_code(args, diagnostics, failed=failed, fixed=outcome.fixed_count)


def _named_sources(paths: list[str]) -> list[str]:
    """The paths to lint: a file named explicitly that is not Python (pyproject.toml) is skipped, one line each."""
    from rnnlint.discovery import is_named_source

    kept = []
    for path in paths:
        if path != "-" and os.path.isfile(path) and not is_named_source(path):
            print(f"rnnlint: warning: {path}: skipped: not a Python file or notebook", file=sys.stderr)
            continue
        kept.append(path)
    return kept


def _statistics(diagnostics: list, output_format: str) -> str:
    """--statistics: counts per rule, as a table or (--output-format json) as ruff's list of objects."""
    from rnnlint.output.text import statistics

    if output_format != "json":
        return statistics(diagnostics)
    from rnnlint.output.json import statistics as json_statistics

    return json_statistics(diagnostics)


def _split_at_end_of_options(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """The arguments before the first `--`, and the paths after it (None without one).

    argparse alone would refuse an option-like name after `--` once a path came before it; a file named
    `--output-file=victim.py` passed by pre-commit must be linted, never obeyed.
    """
    if "--" not in argv:
        return argv, None
    end = argv.index("--")
    return argv[:end], argv[end + 1 :]


def _open_cache(args: argparse.Namespace):  # noqa: ANN202 - rnnlint.cache.Cache
    if args.no_cache:
        return None
    from pathlib import Path

    from rnnlint.cache import Cache, default_cache_dir

    return Cache(Path(args.cache_dir) if args.cache_dir else default_cache_dir())


def _resolver(args: argparse.Namespace) -> _CheckedResolver:
    from rnnlint.config import ConfigError, Overrides, Resolver

    overrides = Overrides(
        select=tuple(args.select) if args.select is not None else None,
        extend_select=tuple(args.extend_select),
        ignore=tuple(args.ignore),
        exclude=args.exclude,
        extend_exclude=tuple(args.extend_exclude),
        respect_gitignore=args.respect_gitignore,
        target_keras=args.target_keras,
        output_format=args.output_format,
        fix=args.fix,
        unsafe_fixes=args.unsafe_fixes,
        file_timeout=args.file_timeout,
        max_file_size=args.max_file_size,
    )
    try:
        resolver = Resolver(overrides, config=args.config, isolated=args.isolated)
        for path in args.paths:  # read every configuration now: a broken one stops the run before any write
            if path != "-":
                resolver.for_path(path)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    return _CheckedResolver(resolver)


class _CheckedResolver:
    """Configuration files met later in a walk are read then; their errors are usage errors too."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver

    def for_path(self, path: str) -> Resolved:
        from rnnlint.config import ConfigError

        try:
            return self.resolver.for_path(path)
        except ConfigError as error:
            raise UsageError(str(error)) from None


def _show_settings(resolver: _CheckedResolver, path: str) -> int:
    from rnnlint.rules import all_rules

    resolved = resolver.for_path(path)
    config = resolved.config.label if resolved.config is not None else "none (defaults)"
    print(f"Settings for {path}\nConfiguration file: {config}")
    width = max(len(key) for key in resolved.values)
    marker = None if resolved.target_keras_explicit else _file_keras_marker(path)
    for key, value, source in resolved.describe():
        if key == "target-keras" and marker is not None:
            value, source = 2, marker
        print(f"  {key:<{width}} = {_toml(value):<24} # {source}")
    settings = resolved.settings_for(path)
    enabled = [rule.code for rule in all_rules() if settings.selection.enables(rule.code, rule.severity)]
    print(f"Enabled rules: {', '.join(enabled) or 'none'}")
    return EXIT_CLEAN


def _file_keras_marker(path: str) -> str | None:
    """"inferred from FILE:LINE: import tf_keras" when the Python file itself says it uses Keras 2."""
    if not path.endswith(".py") or not os.path.isfile(path):
        return None
    from rnnlint.api import parse, read_file
    from rnnlint.keras.file_target import describe, legacy_keras_marker
    from rnnlint.sources.python import SourceError, SourceText

    try:
        text = SourceText.from_bytes(read_file(path)).text
        marker = legacy_keras_marker(parse(text, path), text)
    except (OSError, SourceError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return None if marker is None else f"inferred from {path}:{marker.lineno}: {describe(marker)}"


def _toml(value: object) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f'"{k}" = {_toml(v)}' for k, v in value.items()) + "}"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _report_changes(
    args: argparse.Namespace, mode: str, outcome: RunResult, diagnostics: list, unsafe: bool
) -> int | None:
    """Output of --diff, --fix-only and --add-noqa (their exit code), or None to go on reporting as for --fix."""
    from rnnlint import runner
    from rnnlint.output.text import fixed_listing, hidden_fixes

    count = outcome.fixed_count
    errors = "error" if count == 1 else "errors"
    if mode == runner.ADD_NOQA:
        if outcome.stdin_output is not None:
            sys.stdout.buffer.write(outcome.stdin_output)
        if not args.quiet:
            noun = "directive" if outcome.noqa_added == 1 else "directives"
            print(f"Added {outcome.noqa_added} noqa {noun}.", file=sys.stderr)
        return EXIT_CLEAN
    if mode == runner.DIFF:
        diff = "".join(outcome.diffs)
        if diff and args.output_format == "github":
            from rnnlint.output.github import quoted

            # The patch quotes the code byte for byte (a line `::add-mask::x` in a string is a context line
            # ` ::add-mask::x`): the runner must not obey it.  git apply and patch skip the lines around it.
            diff = quoted(diff)
        sys.stdout.write(diff)
        if not args.quiet:
            if args.show_fixes and count:
                sys.stderr.write(fixed_listing(outcome.fixed, would=True))
            print(f"Would fix {count} {errors}." if count else "No errors would be fixed.", file=sys.stderr)
        return EXIT_FINDINGS if outcome.diffs else EXIT_CLEAN
    if outcome.stdin_output is not None:
        sys.stdout.buffer.write(outcome.stdin_output)
    if args.fix_only:
        out = sys.stderr if outcome.stdin_output is not None else sys.stdout
        if not args.quiet:
            if args.show_fixes and count:
                out.write(fixed_listing(outcome.fixed))
            if count:
                out.write(f"Fixed {count} {errors}.\n")
            out.write(hidden_fixes(diagnostics, unsafe))
        return EXIT_CLEAN
    return None


def _exit_code(args: argparse.Namespace, diagnostics: Sequence, *, failed: bool, fixed: int) -> int:
    """ruff's rules: 2 when a file could not be analysed; otherwise --exit-zero wins over findings and fixes."""
    if failed:
        return EXIT_ERROR
    if args.exit_zero:
        return EXIT_CLEAN
    if diagnostics or (args.exit_non_zero_on_fix and fixed):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _validate_gate_options(args: argparse.Namespace) -> None:
    if args.write_baseline and not args.baseline:
        raise UsageError("--write-baseline needs --baseline FILE (where to write it)")
    if args.write_baseline and args.diff_base:
        raise UsageError("--write-baseline records every finding; it cannot be combined with --diff-base")


def _changed_lines(revision: str):  # noqa: ANN202
    from rnnlint.gitdiff import GitError, changed_lines

    try:
        changes = changed_lines(revision)
    except GitError as error:
        raise UsageError(str(error)) from None
    for note in changes.notes:
        print(f"rnnlint: warning: {printable(note)}", file=sys.stderr)
    return changes


def _gate(args: argparse.Namespace, diagnostics: list, linted: list[str], text_of, changes) -> tuple[list, int | None]:  # noqa: ANN001
    """Apply --baseline and --diff-base: keep the findings a change introduced.

    Also returns how many findings --write-baseline recorded (None without it).  The baseline
    is matched against every finding of the files linted, before --diff-base narrows them: an
    entry outside the diff still occurs, and occurrence numbers must not depend on the diff.
    """
    from rnnlint.baseline import recordable

    if changes is not None:
        outside = next((name for name in linted if name != "-" and not changes.is_inside(name)), None)
        if outside is not None:
            raise UsageError(f"--diff-base: {outside} is outside the git checkout at {changes.root}")
    written = None
    if args.baseline:
        from rnnlint import baseline
        from rnnlint.fingerprints import fingerprint_all

        fingerprints = fingerprint_all(diagnostics, text_of)
        try:
            if args.write_baseline:
                count = baseline.write(args.baseline, diagnostics, fingerprints, linted)
                written = sum(1 for d in diagnostics if recordable(d))
                print(f"rnnlint: wrote {count} baseline entries to {args.baseline}", file=sys.stderr)
            recorded = baseline.read(args.baseline)
        except (baseline.BaselineError, OSError) as error:
            raise UsageError(str(error)) from None
        diagnostics, stale = baseline.new_findings(diagnostics, fingerprints, recorded, args.baseline, linted)
        if stale:
            entries = "entry no longer occurs" if stale == 1 else "entries no longer occur"
            print(
                f"rnnlint: {stale} baseline {entries} in the files linted; "
                f"prune {args.baseline} with --write-baseline",
                file=sys.stderr,
            )
    if changes is not None:
        # A file that cannot be analysed is reported whatever changed: it is a failure, not a finding.
        diagnostics = [d for d in diagnostics if not recordable(d) or changes.touches(d)]
    return diagnostics, written


def _format_context(output_format: str, diagnostics: list, text_of) -> dict:  # noqa: ANN001
    """What the CI formats need beyond the diagnostics: the project root and stable fingerprints."""
    from rnnlint.output import FINGERPRINTED_FORMATS, ROOTED_FORMATS

    context: dict = {}
    if output_format in ROOTED_FORMATS:
        from rnnlint.gitdiff import toplevel

        context["root"] = toplevel() or os.getcwd()
    if output_format in FINGERPRINTED_FORMATS:
        from rnnlint.fingerprints import fingerprint_all

        tokens = {id(d): f.token for d, f in zip(diagnostics, fingerprint_all(diagnostics, text_of))}
        context["fingerprint"] = lambda diagnostic: tokens[id(diagnostic)]
    return context


def _write_report(report: str, output_file: str | None, out=sys.stdout) -> None:  # noqa: ANN001 - a text stream
    if output_file is None:
        out.write(report)
        return
    try:
        directory = os.path.dirname(os.path.abspath(output_file))
        os.makedirs(directory, exist_ok=True)
        with open(output_file, "w", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(report)
    except OSError as error:
        raise UsageError(f"{output_file}: cannot write the report: {error.strerror or error}") from None


# `--output-file wiring.png` implies `--format png`.
_FORMAT_BY_SUFFIX = {".mmd": "mermaid", ".mermaid": "mermaid", ".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png"}


def _graph_command(argv: list[str]) -> int:
    from rnnlint.graph import FORMATS

    parser = Parser(
        prog="rnnlint graph",
        description="Draw the recurrent data flow of a file (layers, what travels between them, the findings).",
    )
    parser.add_argument("path", help="a Python file ('-' for stdin)")
    parser.add_argument("--function", help="only this function, class or method (build, Seq2Seq, Seq2Seq.call)")
    parser.add_argument(
        "--format", choices=FORMATS, help="default: from --output-file's suffix, else mermaid; svg/png need Graphviz"
    )
    parser.add_argument("-o", "--output-file", help="write the graph there instead of to standard output")
    parser.add_argument("--select", type=codes, metavar="CODES", help="rule codes or prefixes whose findings are drawn")
    parser.add_argument("--extend-select", type=codes, default=())
    parser.add_argument("--ignore", type=codes, default=())
    parser.add_argument("--stdin-filename", help="the name to show for code read from stdin")
    parser.add_argument("--target-keras", type=int, choices=(2, 3), default=3)
    args = parser.parse_args(argv)
    from rnnlint import api
    from rnnlint.graph import draw
    from rnnlint.graph.graphviz import GraphvizError
    from rnnlint.graph.model import NoGraph
    from rnnlint.output.text import location_text
    from rnnlint.settings import Selection, Settings
    from rnnlint.sources import is_notebook
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
        from rnnlint.regular import read_regular

        try:
            data = read_regular(args.path)  # a FIFO or a device is refused, not read forever
        except OSError as error:
            raise UsageError(f"{args.path}: cannot read file: {error.strerror or error}") from None
    if is_notebook(name):
        raise UsageError(f"{name}: `rnnlint graph` draws Python files; export the notebook first (jupyter nbconvert --to script)")
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
    if not any(groups):
        return  # nothing to check: the rules (and the analysis they import) stay unloaded
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
