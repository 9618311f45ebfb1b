"""Adopt the gate on an existing code base: record today's findings, then report only new ones.

The baseline file is JSON meant to be reviewed in a pull request: entries are
sorted, indented, and carry the message and the flagged code next to the key
that matches them (code, file, fingerprint, occurrence; see fingerprints.py).
Files are named relative to the baseline file, so any working directory works.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from rnnlint.diagnostics import Diagnostic
from rnnlint.fingerprints import Fingerprint
from rnnlint.regular import read_regular, refuse_irregular

FORMAT_VERSION = 1


class BaselineError(Exception):
    """The baseline file cannot be read or is not one (one line, exit code 2)."""


@dataclass(frozen=True, order=True)
class Entry:
    file: str
    code: str
    fingerprint: str
    occurrence: int


def recordable(diagnostic: Diagnostic) -> bool:
    """Unreadable files and internal errors are failures of the run, never accepted as legacy."""
    return diagnostic.code != "RNN001" and not diagnostic.extra.get("internal_error")


def baseline_path(filename: str, baseline_file: str) -> str:
    """`filename` relative to the baseline file's directory, in POSIX form."""
    directory = os.path.dirname(os.path.abspath(baseline_file))
    return PurePath(os.path.relpath(os.path.abspath(filename), directory)).as_posix()


def entry(fingerprint: Fingerprint, baseline_file: str) -> Entry:
    return Entry(
        baseline_path(fingerprint.filename, baseline_file), fingerprint.code, fingerprint.digest, fingerprint.occurrence
    )


def read(baseline_file: str) -> dict[Entry, dict]:
    """The entries of a baseline file, each with its full record."""
    try:
        data = json.loads(read_regular(baseline_file).decode("utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{baseline_file}: no such baseline file (create it with --write-baseline)") from None
    except OSError as error:
        raise BaselineError(f"{baseline_file}: cannot read baseline: {error.strerror or error}") from None
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise BaselineError(f"{baseline_file}: not a JSON baseline file: {error}") from None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION or not isinstance(data.get("entries"), list):
        raise BaselineError(f"{baseline_file}: not an rnnlint baseline (version {FORMAT_VERSION}) file")
    entries: dict[Entry, dict] = {}
    for record in data["entries"]:
        try:
            key = Entry(str(record["file"]), str(record["code"]), str(record["fingerprint"]), _count(record["occurrence"]))
        except (KeyError, TypeError, ValueError):
            raise BaselineError(f"{baseline_file}: malformed baseline entry: {json.dumps(record)[:200]}") from None
        entries[key] = record
    return entries


def _count(value: object) -> int:
    """An occurrence number: an integer (or its digits), never a float (`1e400` is infinite) nor a bool."""
    if type(value) is int:
        return value
    if isinstance(value, str) and value.isdigit() and len(value) <= 18:
        return int(value)
    raise ValueError(value)


def write(
    baseline_file: str,
    diagnostics: Sequence[Diagnostic],
    fingerprints: Sequence[Fingerprint],
    linted_files: Iterable[str],
) -> int:
    """Record the findings of the files linted; entries of other files are kept.  Returns the entry count."""
    try:
        refuse_irregular(baseline_file)  # os.replace would put a file where a FIFO or /dev/zero was
    except OSError as error:
        raise BaselineError(f"{baseline_file}: cannot write baseline: {error.strerror}") from None
    linted = {baseline_path(f, baseline_file) for f in linted_files}
    try:
        kept = {key: record for key, record in read(baseline_file).items() if key.file not in linted}
    except BaselineError:
        kept = {}  # a missing (or unusable) baseline is replaced
    for diagnostic, fingerprint in zip(diagnostics, fingerprints):
        if not recordable(diagnostic):
            continue
        key = entry(fingerprint, baseline_file)
        kept[key] = {
            "file": key.file,
            "code": key.code,
            "fingerprint": key.fingerprint,
            "occurrence": key.occurrence,
            "source": fingerprint.snippet,
            "message": diagnostic.message,
        }
    document = {
        "version": FORMAT_VERSION,
        "tool": "rnnlint",
        "about": "Findings accepted when the gate was adopted; rnnlint --baseline reports only findings not listed here.",
        "entries": [kept[key] for key in sorted(kept)],
    }
    _write_atomically(baseline_file, _escape_surrogates(json.dumps(document, indent=2, ensure_ascii=False)) + "\n")
    return len(kept)


def _escape_surrogates(text: str) -> str:
    """A file name that is not UTF-8 (read with surrogate escapes), or a lone surrogate in a layer name,
    cannot be written as UTF-8: JSON's `\\udcff` escape keeps it, and reading the baseline gives it back."""
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def new_findings(
    diagnostics: Sequence[Diagnostic],
    fingerprints: Sequence[Fingerprint],
    baseline: dict[Entry, dict],
    baseline_file: str,
    linted_files: Iterable[str],
) -> tuple[list[Diagnostic], int]:
    """The findings not in the baseline, and how many baseline entries of the linted files no longer occur."""
    reported, matched = [], set()
    for diagnostic, fingerprint in zip(diagnostics, fingerprints):
        key = entry(fingerprint, baseline_file)
        if recordable(diagnostic) and key in baseline:
            matched.add(key)
        else:
            reported.append(diagnostic)
    linted = {baseline_path(f, baseline_file) for f in linted_files}
    stale = sum(1 for key in baseline if key.file in linted and key not in matched)
    return reported, stale


def _write_atomically(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        mode = 0o644  # mkstemp's 0600 would hide a file meant to be committed and shared
    handle, temporary = tempfile.mkstemp(prefix=".rnnlint-baseline-", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
