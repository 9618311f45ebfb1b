"""Argument parsing helpers for the CLI: one-line errors with a did-you-mean, value types that refuse
nonsense, and the top-level help that lists the subcommands.

Nothing here runs a command; rnnlint.cli does, and prints a UsageError as `rnnlint: error: ...`.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Iterable, Mapping

# A mistyped word gets a suggestion when it is at least this similar (difflib's ratio) to a known one.
_CLOSE = 0.6


class UsageError(Exception):
    """A mistake in how rnnlint was called: one line, exit code 2."""


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice `word` is most likely a typo of, or None."""
    import difflib

    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=_CLOSE)
    return matches[0] if matches else None


class Parser(argparse.ArgumentParser):
    """argparse, except that a mistake is a UsageError (one line, a did-you-mean for a mistyped flag)
    instead of the usage dump and exit."""

    def error(self, message: str) -> None:  # type: ignore[override]
        unknown = re.match(r"unrecognized arguments: (.*)", message)
        if unknown:
            flag = unknown.group(1).split()[0]
            raise UsageError(self._unknown_option(flag))
        choice = re.match(r"argument (\S+): invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            option, value, listed = choice.groups()
            suggestion = closest(value, re.findall(r"'([^']*)'", listed))
            hint = f"did you mean {suggestion!r}?" if suggestion else f"one of {listed}"
            raise UsageError(f"argument {option}: invalid choice {value!r} ({hint})")
        command = self.prog.removeprefix("rnnlint").strip()
        hint = f" (see `rnnlint {command + ' ' if command else ''}--help`)" if "required" in message else ""
        raise UsageError(message + hint)

    def _unknown_option(self, flag: str) -> str:
        options = [option for action in self._actions for option in action.option_strings]
        name = flag.split("=", 1)[0]
        if not name.startswith("-"):
            return f"unexpected argument {flag!r}"
        suggestion = closest(name, (o for o in options if o.startswith("--"))) if name.startswith("--") else None
        if suggestion is not None:
            return f"unknown option {name!r} (did you mean {suggestion!r}?)"
        return f"unknown option {name!r} (see `{self.prog} --help`)"


def jobs(value: str) -> int:
    """--jobs: a whole number of worker processes; 0 means one per core."""
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes, got {value!r}") from None
    if count < 0:
        raise argparse.ArgumentTypeError(f"expected 1 or more processes (0: one per core), got {value!r}")
    return count


def seconds(value: str) -> float:
    """A time limit in seconds: a finite number, 0 meaning no limit."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not math.isfinite(number) or number < 0:  # refuses nan, inf and negatives
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds, 0 (no limit) or more: {value!r}")
    return number


def positive_seconds(value: str) -> float:
    """A time allowed for something to run: more than 0, and at most a week (a longer wait is no bound)."""
    number = seconds(value)
    if not 0 < number <= 7 * 24 * 3600:
        raise argparse.ArgumentTypeError(f"expected more than 0 and at most 604800 seconds: {value!r}")
    return number


def megabytes(value: str) -> int:
    """A memory cap in megabytes (0: no cap)."""
    if not value.isdigit() or len(value) > 9:
        raise argparse.ArgumentTypeError(f"not a number of megabytes: {value!r}")
    return int(value)


def codes(value: str) -> tuple[str, ...]:
    return tuple(code.strip().upper() for code in value.split(",") if code.strip())


def patterns(value: str) -> tuple[str, ...]:
    from rnnlint.discovery import pattern_error

    found = tuple(pattern.strip() for pattern in value.split(",") if pattern.strip())
    for pattern in found:
        error = pattern_error(pattern)
        if error is not None:
            raise argparse.ArgumentTypeError(f"invalid pattern {pattern!r}: {error}")
    return found


def choices_help(choices: Iterable[str], default: str, what: str = "") -> str:
    """`one of: a (default), b, c`: argparse's {a,b,c} is easy to miss in a long usage line."""
    listed = ", ".join(f"{c} (default)" if c == default else c for c in choices)
    return f"{what}one of: {listed}" if what else f"one of: {listed}"


def top_level_help(commands: Mapping[str, str], examples: Iterable[tuple[str, str]], docs: str) -> tuple[str, str]:
    """The description (the subcommands, one line each) and the epilog (examples) of `rnnlint --help`."""
    width = max(len(name) for name in commands)
    listing = "\n".join(f"  {name:<{width}}  {summary}" for name, summary in commands.items())
    description = (
        "Find misuse of Keras recurrent layers (return_sequences, return_state, states) before it runs.\n\n"
        f"Commands:\n{listing}\n\n"
        "Without a command, rnnlint checks: `rnnlint src/` is `rnnlint check src/`.\n"
        "`rnnlint COMMAND --help` shows a command's options; the options below are check's.\n"
        f"Documentation: {docs}"
    )
    example_width = max(len(command) for command, _ in examples)
    epilog = "Examples:\n" + "\n".join(f"  {command:<{example_width}}  # {what}" for command, what in examples)
    return description, epilog


def size(value: str) -> int:
    from rnnlint.config import parse_size

    parsed = parse_size(value)
    if parsed is None:
        raise argparse.ArgumentTypeError(f"not a size in bytes (e.g. 2000000, 2MB, 512KiB): {value!r}")
    return parsed
