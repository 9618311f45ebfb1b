"""A persistent cache of each file's diagnostics, keyed by its content, rnnlint's code and the settings.

A re-run on an unchanged tree analyses no file, and reads none either: the
cache also records, per path, the file's size, times and inode when it was last
read and what came of it (skipped by the prefilter, or the content key of its
diagnostics and the settings they were made with).  A file whose status still
matches is not read again, unless it had been modified within RACY_NS of that
read (a second change within the same timestamp tick could hide behind an
unchanged status: git's "racily clean" rule).  The records are dropped whole
when rnnlint's code changed; the diagnostics stay keyed by content, so a
changed file, changed settings or changed code can never be served stale ones.

The cache is one JSON file, read only when a file needs it and written
atomically at the end of a run that added to it; a run over a few files (as
pre-commit does) keeps the other files' entries, up to MAX_ENTRIES, the oldest
dropped first.  A corrupted or foreign cache, or an entry of the wrong shape, is
ignored with a message, never fatal.  A file whose analysis read other modules of
its project (rnnlint/analysis/project.py) has its entry stored with those modules'
digests: the entry is used only while each of them still has that content.  rnnlint's code is identified by its version and by the
size and modification time of its own files, so a checkout or an editable
install whose code changed without a new version is not served stale results.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from rnnlint import __version__, privatefiles
from rnnlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location, Severity

CACHE_DIR_NAME = ".rnnlint_cache"
_FORMAT = 1
# Files whose results are kept (~50 bytes each for a clean file): far more than
# the Keras files of one project, few enough to load in milliseconds.
MAX_ENTRIES = 20_000
# Per-path status records (~150 bytes each, filtered-out files included).
MAX_FILE_RECORDS = 100_000
# A file modified less than this before it was read is read again next time (FAT's mtime tick is 2 s).
RACY_NS = 2_000_000_000
# The outcome recorded for a file the prefilter skipped (otherwise: its content key).
FILTERED = ""
# A cache file larger than this is not ours (MAX_ENTRIES clean files and MAX_FILE_RECORDS records are far less).
MAX_CACHE_BYTES = 512 * 1024 * 1024
GITIGNORE = "# Created by rnnlint\n*\n"


def settings_key(settings: object) -> str:
    """A short digest of the settings that affect results."""
    return hashlib.blake2b(repr(settings).encode(), digest_size=8).hexdigest()


def content_key(data: bytes, settings_key: str) -> str:
    """What a file's diagnostics depend on: its bytes, the settings and the rnnlint version."""
    digest = hashlib.blake2b(data, digest_size=20)
    digest.update(settings_key.encode())
    digest.update(__version__.encode())
    digest.update(_code_identity().encode())
    return digest.hexdigest()


@functools.cache
def _code_identity() -> str:
    """Size and modification time of every file of the rnnlint package (some 60 stat calls, once a run)."""
    package = Path(__file__).parent
    parts = []
    for directory, subdirectories, files in os.walk(package):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".json")):
                path = os.path.join(directory, name)
                try:
                    status = os.stat(path)
                except OSError:
                    continue
                parts.append(f"{os.path.relpath(path, package)}:{status.st_size}:{status.st_mtime_ns}")
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


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
        self._entries: dict[str, list[dict]] | None = None
        self._files: dict[str, list] = {}
        # Per content key: the project modules its diagnostics were made from (path -> digest).
        self._dependencies: dict[str, dict] = {}
        self._digests: dict[str, str | None] = {}  # this run's digest of each such module
        self.used: list[str] = []  # in the order of this run, to keep the most recent last
        self.seen: dict[str, list] = {}  # the status records of this run's files
        self.added = 0  # diagnostics stored by this run (files analysed)
        self.dirty = False  # anything to write
        self.warning: str | None = None
        self._cwd: str | None = None

    @property
    def entries(self) -> dict[str, list[dict]]:
        self._read()
        return self._entries  # type: ignore[return-value]

    def _read(self) -> None:
        """Read on first use: a run with no file to look up never reads the cache."""
        if self._entries is None:
            self._entries, self._files = self._load()

    def _load(self) -> tuple[dict[str, list[dict]], dict[str, list]]:
        try:
            raw = privatefiles.read(self.path, limit=MAX_CACHE_BYTES)
        except FileNotFoundError:
            return {}, {}
        except privatefiles.UnsafePath as error:
            self.warning = f"cache {error}"
            return {}, {}
        except OSError as error:
            self.warning = f"cache {self.path} not readable ({error.strerror}); ignoring it"
            return {}, {}
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict) or data.get("format") != _FORMAT or not isinstance(data.get("entries"), dict):
                raise ValueError("unexpected layout")
            files = data.get("files")
            # Records made by other code may name outcomes this code would not reach: drop them all.
            if not isinstance(files, dict) or data.get("code") != _code_identity():
                files = {}
            dependencies = data.get("dependencies")
            self._dependencies = dependencies if isinstance(dependencies, dict) else {}
            return data["entries"], files
        except (ValueError, TypeError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            self.warning = f"cache {self.path} is corrupted; ignoring it"
            return {}, {}

    def unchanged(self, path: str, status: os.stat_result, settings_key: Callable[[], str]) -> str | None:
        """What came of this file last time (FILTERED or a content key), if it provably did not change since."""
        key = self._path_key(path)
        if key is None:
            return None
        self._read()
        record = self._files.get(key)
        if not isinstance(record, list) or len(record) != 7:
            return None
        size, mtime, ctime, inode, read_at, settings, outcome = record
        if [size, mtime, ctime, inode] != [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino]:
            return None
        if type(read_at) is not int or read_at - max(status.st_mtime_ns, status.st_ctime_ns) < RACY_NS:
            return None  # racily clean: changed too shortly before it was read to trust its status
        if not isinstance(outcome, str) or (outcome != FILTERED and settings != settings_key()):
            return None
        self.seen[key] = record
        return outcome

    def remember(self, path: str, status: os.stat_result, read_at: int, settings_key: str, outcome: str) -> None:
        """Record what came of a file read at `read_at` (time.time_ns(), taken before its status)."""
        key = self._path_key(path)
        if key is None:
            return
        record = [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino, read_at, settings_key, outcome]
        self.seen[key] = record
        self._read()
        if self._files.get(key) != record:
            self.dirty = True

    def _path_key(self, path: str) -> str | None:
        """The absolute path (os.path.abspath without a getcwd() call per file); None if there is no cwd."""
        if os.path.isabs(path):
            return os.path.normpath(path)
        if self._cwd is None:
            try:
                self._cwd = os.getcwd()
            except OSError:  # the working directory was removed: a relative path names nothing stable
                return None
        return os.path.normpath(os.path.join(self._cwd, path))

    def get(self, key: str, filename: str) -> list[Diagnostic] | None:
        stored = self.entries.get(key)
        if stored is None or not self._dependencies_unchanged(key):
            return None
        try:
            if not isinstance(stored, list):
                raise ValueError("an entry is a list of diagnostics")
            diagnostics = [_diagnostic_from_dict(item, filename) for item in stored]
        except (KeyError, TypeError, ValueError):
            self.warning = f"cache {self.path} has entries of the wrong shape; ignoring them"
            return None
        self.used.append(key)
        return diagnostics

    def _dependencies_unchanged(self, key: str) -> bool:
        """Whether every project module the entry's analysis read still has the content it had then."""
        dependencies = self._dependencies.get(key)
        if not dependencies:
            return True
        if not isinstance(dependencies, dict):
            return False
        for path, digest in dependencies.items():
            if path not in self._digests:
                from rnnlint.analysis.project import content_digest

                try:
                    with open(path, "rb") as handle:
                        self._digests[path] = content_digest(handle.read())
                except (OSError, TypeError, ValueError):
                    self._digests[path] = None
            if self._digests[path] != digest:
                return False
        return True

    def put(self, key: str, diagnostics: list[Diagnostic], dependencies: dict[str, str] | None = None) -> None:
        if dependencies:
            self._dependencies[key] = dependencies
        else:
            self._dependencies.pop(key, None)
        self.entries[key] = [_diagnostic_to_dict(d) for d in diagnostics]
        self.used.append(key)
        self.added += 1
        self.dirty = True

    def save(self) -> None:
        """Write the cache when this run added to it (diagnostics or file records), atomically: earlier
        entries first, this run's last.

        Past MAX_ENTRIES (MAX_FILE_RECORDS) the oldest entries (records) that this run did not use are dropped.
        """
        if not self.dirty:
            return
        used = dict.fromkeys(self.used)
        older = [key for key in self.entries if key not in used]
        room = max(0, MAX_ENTRIES - len(used))
        kept = {key: self.entries[key] for key in older[len(older) - room :] if room} | {
            key: self.entries[key] for key in used
        }
        older_files = [path for path in self._files if path not in self.seen]
        room = max(0, MAX_FILE_RECORDS - len(self.seen))
        files = {path: self._files[path] for path in older_files[len(older_files) - room :] if room} | self.seen
        if self.directory.exists() and not self.directory.is_dir():
            self.warning = f"cache directory {self.directory} is not a directory; results were not cached"
            return
        dependencies = {key: self._dependencies[key] for key in kept if key in self._dependencies}
        document = {
            "format": _FORMAT,
            "version": __version__,
            "code": _code_identity(),
            "entries": kept,
            "files": files,
            "dependencies": dependencies,
        }
        try:
            privatefiles.create_once(self.directory, ".gitignore", GITIGNORE)
            privatefiles.replace(self.directory, self.path.name, json.dumps(document).encode("utf-8"))
        except privatefiles.UnsafePath as error:
            self.warning = f"cache {error}; results were not cached"
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
    """The diagnostic an entry stores; ValueError (or KeyError, TypeError) when it has the wrong shape:
    a cache file is input like any other, and a wrong type must not travel on to the output stage."""
    fix_data = data["fix"]
    fix = None
    if fix_data is not None:
        edits = []
        for edit in _typed(fix_data["edits"], list):
            r, c, er, ec, content, *cell = _typed(edit, list)
            edits.append(Edit(_location([r, c]), _location([er, ec]), _typed(content, str), *cell))
        fix = Fix(_typed(fix_data["message"], str), Applicability(fix_data["applicability"]), tuple(edits))
    cell = data["cell"]
    return Diagnostic(
        code=_typed(data["code"], str),
        message=_typed(data["message"], str),
        filename=filename,
        location=_location(data["location"]),
        end_location=_location(data["end_location"]),
        severity=Severity(data["severity"]),
        fix=fix,
        name=_typed(data["name"], str),
        cell=None if cell is None else _integer(cell),
        extra=dict(_typed(data["extra"], dict)),
    )


def _typed(value: object, kind: type):
    if not isinstance(value, kind):
        raise ValueError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _integer(value: object) -> int:
    if type(value) is not int:  # bool is an int subclass: refused too
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _location(value: object) -> Location:
    row, column = _typed(value, list)
    return Location(_integer(row), _integer(column))
