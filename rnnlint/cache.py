"""A persistent cache of each file's diagnostics, keyed by its content, rnnlint's version and the settings.

A re-run on an unchanged tree reads and hashes each candidate file and analyses
none.  The cache is one JSON file, written atomically at the end of a run; a
corrupted or foreign cache is ignored with a message, never fatal.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from rnnlint import __version__
from rnnlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location, Severity

CACHE_DIR_NAME = ".rnnlint_cache"
_FORMAT = 1


def content_key(data: bytes, settings_key: str) -> str:
    """What a file's diagnostics depend on: its bytes, the settings and the rnnlint version."""
    digest = hashlib.blake2b(data, digest_size=20)
    digest.update(settings_key.encode())
    digest.update(__version__.encode())
    return digest.hexdigest()


def default_cache_dir(start: Path | None = None) -> Path:
    """`.rnnlint_cache` at the project root: the nearest directory up with a pyproject.toml or .git."""
    start = (start or Path.cwd()).absolute()
    for directory in (start, *start.parents):
        if (directory / "pyproject.toml").is_file() or (directory / ".git").exists():
            return directory / CACHE_DIR_NAME
    return start / CACHE_DIR_NAME


class Cache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / f"v{_FORMAT}-{__version__}.json"
        self.entries: dict[str, list[dict]] = {}
        self.used: set[str] = set()
        self.dirty = False
        self.warning: str | None = None
        self._load()

    def _load(self) -> None:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as error:
            self.warning = f"cache {self.path} not readable ({error.strerror}); ignoring it"
            return
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("format") != _FORMAT or not isinstance(data.get("entries"), dict):
                raise ValueError("unexpected layout")
            self.entries = data["entries"]
        except (ValueError, TypeError):
            self.warning = f"cache {self.path} is corrupted; ignoring it"
            self.entries = {}

    def get(self, key: str, filename: str) -> list[Diagnostic] | None:
        stored = self.entries.get(key)
        if stored is None:
            return None
        try:
            diagnostics = [_diagnostic_from_dict(item, filename) for item in stored]
        except (KeyError, TypeError, ValueError):
            return None
        self.used.add(key)
        return diagnostics

    def put(self, key: str, diagnostics: list[Diagnostic]) -> None:
        self.entries[key] = [_diagnostic_to_dict(d) for d in diagnostics]
        self.used.add(key)
        self.dirty = True

    def save(self) -> None:
        """Write the entries this run used (so the file does not grow forever), atomically."""
        if not self.dirty and len(self.used) == len(self.entries):
            return
        kept = {key: self.entries[key] for key in sorted(self.used)}
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            gitignore = self.directory / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# Created by rnnlint\n*\n")
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump({"format": _FORMAT, "version": __version__, "entries": kept}, stream)
            os.replace(temporary, self.path)
        except OSError as error:
            self.warning = f"cannot write cache {self.path} ({error.strerror}); results were not cached"


def _diagnostic_to_dict(diagnostic: Diagnostic) -> dict:
    fix = diagnostic.fix
    return {
        "code": diagnostic.code,
        "name": diagnostic.name,
        "message": diagnostic.message,
        "severity": diagnostic.severity.value,
        "location": [diagnostic.location.row, diagnostic.location.column],
        "end_location": [diagnostic.end_location.row, diagnostic.end_location.column],
        "cell": diagnostic.cell,
        "extra": diagnostic.extra,
        "fix": None
        if fix is None
        else {
            "message": fix.message,
            "applicability": fix.applicability.value,
            "edits": [
                [e.location.row, e.location.column, e.end_location.row, e.end_location.column, e.content]
                + ([e.cell] if e.cell is not None else [])
                for e in fix.edits
            ],
        },
    }


def _diagnostic_from_dict(data: dict, filename: str) -> Diagnostic:
    fix_data = data["fix"]
    fix = None
    if fix_data is not None:
        fix = Fix(
            fix_data["message"],
            Applicability(fix_data["applicability"]),
            tuple(
                Edit(Location(r, c), Location(er, ec), content, *cell)
                for r, c, er, ec, content, *cell in fix_data["edits"]
            ),
        )
    return Diagnostic(
        code=data["code"],
        message=data["message"],
        filename=filename,
        location=Location(*data["location"]),
        end_location=Location(*data["end_location"]),
        severity=Severity(data["severity"]),
        fix=fix,
        name=data["name"],
        cell=data["cell"],
        extra=dict(data["extra"]),
    )
