"""Project configuration: `[tool.rnnlint]` in pyproject.toml, or rnnlint.toml / .rnnlint.toml.

As in ruff, each file is linted with the nearest configuration found walking up
from its directory (a pyproject.toml without `[tool.rnnlint]` is passed over);
`--config PATH` uses one file for everything and `--isolated` none.  Command-line
flags override the file, the file overrides what is inferred, which overrides
the defaults.  The Keras version is inferred from the dependency files of the
nearest project root (rnnlint.dependencies, docs/keras-target.md), and a file's
own `import tf_keras` or TF_USE_LEGACY_KERAS makes that file Keras 2 unless the
configuration or the command line set the version (rnnlint.keras.file_target).
An unknown key or a value of the wrong type is an error naming the file and the
key: a typo never silently does nothing.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rnnlint.regular import read_regular
from rnnlint.settings import Selection, Settings

if TYPE_CHECKING:
    from rnnlint.dependencies import Decision

CONFIG_NAMES = (".rnnlint.toml", "rnnlint.toml", "pyproject.toml")
OUTPUT_FORMATS = ("text", "concise", "full", "json")


class ConfigError(Exception):
    """A configuration file rnnlint cannot use: one line, exit code 2."""


# --- reading and checking one file ---------------------------------------------------


class _Invalid(Exception):
    """A value of the wrong type or out of range; the message completes "key 'x' ..."."""


def _strings(value: object, what: str) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise _Invalid(f"must be a list of {what}, got {_toml_type(value)}")


def _toml_type(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def _selectors(value: object) -> tuple[str, ...]:
    codes = tuple(item.strip().upper() for item in _strings(value, 'rule codes or prefixes (e.g. ["RNN1"])'))
    unknown = unknown_selectors(codes)
    if unknown:
        raise _Invalid(f"has unknown rule selector {unknown[0]!r} (see `rnnlint rule --all`)")
    return codes


def _patterns(value: object) -> tuple[str, ...]:
    patterns = _strings(value, "glob patterns (strings)")
    for pattern in patterns:
        _check_pattern(pattern)
    return patterns


def _check_pattern(pattern: str) -> None:
    from rnnlint.discovery import pattern_error

    error = pattern_error(pattern)
    if error is not None:
        raise _Invalid(f"has an invalid pattern {pattern!r}: {error}")


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise _Invalid(f"must be true or false, got {_toml_type(value)}")


def _keras(value: object) -> int:
    if type(value) is int and value in (2, 3):
        return value
    raise _Invalid(f"must be 2 or 3, got {value!r}")


def _output_format(value: object) -> str:
    if isinstance(value, str) and value in OUTPUT_FORMATS:
        return value
    raise _Invalid(f"must be one of {', '.join(repr(f) for f in OUTPUT_FORMATS)}, got {value!r}")


def _seconds(value: object) -> float:
    if type(value) in (int, float) and value >= 0:
        return float(value)
    raise _Invalid(f"must be a number of seconds (0 for no limit), got {value!r}")


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(|B|KB|MB|GB|KiB|MiB|GiB)", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


def parse_size(text: str) -> int | None:
    """Bytes from `2000000`, `2MB`, `512 KiB`; None when it is no size."""
    match = _SIZE.fullmatch(text.strip()) if len(text) <= 40 else None
    if match is None:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def _size(value: object) -> int:
    if type(value) is int and value >= 0:
        return value
    size = parse_size(value) if isinstance(value, str) else None
    if size is None:
        raise _Invalid(f'must be a size in bytes, e.g. 2000000 or "2MB" (0 for no limit), got {value!r}')
    return size


def _per_file_ignores(value: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise _Invalid(f'must be a table of glob = [codes] (e.g. "tests/*" = ["RNN101"]), got {_toml_type(value)}')
    result = {}
    for pattern, codes in value.items():
        _check_pattern(pattern)
        try:
            result[pattern] = _selectors(codes)
        except _Invalid as error:
            raise _Invalid(f"entry {pattern!r} {error}") from None
    return result


# Every key a configuration may hold, and how its value is checked (a str is an error).
KEYS = {
    "select": _selectors,
    "extend-select": _selectors,
    "ignore": _selectors,
    "per-file-ignores": _per_file_ignores,
    "exclude": _patterns,
    "extend-exclude": _patterns,
    "respect-gitignore": _boolean,
    "target-keras": _keras,
    "output-format": _output_format,
    "fix": _boolean,
    "unsafe-fixes": _boolean,
    "file-timeout": _seconds,
    "max-file-size": _size,
}


def unknown_selectors(selectors: tuple[str, ...]) -> list[str]:
    from rnnlint.rules import all_rules

    known = [rule.code for rule in all_rules()]
    return [s for s in selectors if s != "ALL" and not any(code.startswith(s) for code in known)]


@dataclass(frozen=True)
class ConfigFile:
    path: Path
    values: dict

    @property
    def directory(self) -> Path:
        return self.path.parent

    @property
    def label(self) -> str:
        table = " [tool.rnnlint]" if self.path.name == "pyproject.toml" else ""
        return f"{_display(self.path)}{table}"


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _read_toml(path: Path) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        return tomllib.loads(read_regular(path).decode("utf-8"))
    except OSError as error:
        raise ConfigError(f"{_display(path)}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{_display(path)}: not UTF-8: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{_display(path)}: invalid TOML: {error}") from None
    except RecursionError:
        raise ConfigError(f"{_display(path)}: invalid TOML: nested too deeply to read") from None


def load_config(path: Path, *, required: bool = False) -> ConfigFile | None:
    """Read and check one configuration file.

    A pyproject.toml without `[tool.rnnlint]` gives None (discovery passes it
    over), or, when the file was named with `--config` (`required`), an empty
    configuration.
    """
    document = _read_toml(path)
    if path.name == "pyproject.toml":
        tool = document.get("tool", {})
        table = tool.get("rnnlint") if isinstance(tool, dict) else None
        if table is None:
            return ConfigFile(path, {}) if required else None
        where = f"{_display(path)}: [tool.rnnlint]"
    else:
        table, where = document, _display(path)
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    values = {}
    for key, value in table.items():
        check = KEYS.get(key)
        if check is None:
            import difflib

            close = difflib.get_close_matches(key.replace("_", "-"), KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(KEYS)})"
            raise ConfigError(f"{where}: unknown key {key!r}{hint}")
        try:
            values[key] = check(value)
        except _Invalid as error:
            raise ConfigError(f"{where}: key {key!r} {error}") from None
    return ConfigFile(path, values)


# --- inferring the Keras version from declared dependencies ---------------------------


def pins_keras_2(requirement: str) -> bool:
    """`tensorflow<2.16`, `tensorflow==2.15.*`, `tf-keras`, `keras<3` and the like (one PEP 508 requirement)."""
    from rnnlint.dependencies import keras_major, parse_pep508

    parsed = parse_pep508(requirement)
    return parsed is not None and keras_major(*parsed) == 2


# --- resolving the settings of a file -------------------------------------------------


@dataclass(frozen=True)
class Overrides:
    """What the command line says; None (or empty) where it says nothing."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool | None = None
    target_keras: int | None = None
    output_format: str | None = None
    fix: bool | None = None
    unsafe_fixes: bool | None = None
    file_timeout: float | None = None
    max_file_size: int | None = None


DEFAULTS = {
    "select": None,
    "extend-select": (),
    "ignore": (),
    "per-file-ignores": {},
    "exclude": None,  # None: the built-in list (rnnlint.discovery.DEFAULT_EXCLUDES)
    "extend-exclude": (),
    "respect-gitignore": True,
    "target-keras": 3,
    "output-format": "text",
    "fix": False,
    "unsafe-fixes": False,
    "file-timeout": Settings.file_timeout,
    "max-file-size": Settings.max_file_size,
}


@dataclass
class Resolved:
    """The settings of every file under one configuration (or under none)."""

    config: ConfigFile | None
    values: dict
    sources: dict
    selection: Selection
    # target-keras set by a configuration file or the command line: what a file imports does not change it.
    target_keras_explicit: bool = False
    _ignores: list | None = None
    _shared: Settings | None = None

    @property
    def root(self) -> Path:
        return self.config.directory if self.config is not None else Path.cwd()

    def settings_for(self, path: str | Path) -> Settings:
        codes = self.per_file_ignores(path)
        if not codes and self._shared is not None:
            return self._shared  # Settings are immutable: the files without their own ignores share one
        selection = self.selection.with_always_ignored(codes) if codes else self.selection
        settings = Settings(
            selection=selection,
            target_keras=self.values["target-keras"],
            target_keras_explicit=self.target_keras_explicit,
            file_timeout=self.values["file-timeout"],
            max_file_size=self.values["max-file-size"],
        )
        if not codes:
            self._shared = settings
        return settings

    def per_file_ignores(self, path: str | Path) -> tuple[str, ...]:
        if not self.values["per-file-ignores"]:
            return ()
        if self._ignores is None:
            from rnnlint.discovery import _compile

            self._ignores = [(_compile([p]), codes) for p, codes in self.values["per-file-ignores"].items()]
        relative = self.relative(path)
        return tuple(code for spec, codes in self._ignores if spec.match_file(relative) for code in codes)

    def relative(self, path: str | Path) -> str:
        """`path` relative to the configuration's directory (as given, if it is outside)."""
        absolute = Path(os.path.abspath(path))
        try:
            return absolute.relative_to(self.root).as_posix()
        except ValueError:
            return Path(path).as_posix()

    def exclude_patterns(self) -> list[str]:
        return list(self.values["exclude"] or ()) + list(self.values["extend-exclude"])

    def excluded(self, path: str | Path) -> bool:
        patterns = self.exclude_patterns()
        if not patterns:
            return False
        from rnnlint.discovery import _compile

        return bool(_compile(patterns).match_file(self.relative(path)))

    def describe(self) -> list[tuple[str, object, str]]:
        return [(key, self.values[key], self.sources[key]) for key in DEFAULTS]


class Resolver:
    """Finds and caches the configuration of each directory, and resolves settings with the CLI on top."""

    def __init__(self, overrides: Overrides | None = None, *, config: str | None = None, isolated: bool = False):
        self.overrides = overrides or Overrides()
        self.isolated = isolated
        self.explicit = load_config(Path(config).absolute(), required=True) if config and not isolated else None
        self._found: dict[Path, ConfigFile | None] = {}
        self._resolved: dict[tuple, Resolved] = {}
        self._by_directory: dict[str, Resolved] = {}
        # Directory -> what the nearest project root at or above it declares about Keras.
        self._keras: dict[Path, Decision | None] = {}

    def for_path(self, path: str | Path) -> Resolved:
        """The settings for a file, or for a directory's walk."""
        absolute = os.path.abspath(path)
        directory = absolute if os.path.isdir(absolute) else os.path.dirname(absolute)
        # Every file of a directory has its settings: look them up once (a tree walk asks per file).
        resolved = self._by_directory.get(directory)
        if resolved is None:
            resolved = self._by_directory[directory] = self._for_directory(Path(directory))
        return resolved

    def _for_directory(self, directory: Path) -> Resolved:
        if self.isolated:
            config = None
        elif self.explicit is not None:
            config = self.explicit
        else:
            config = self._nearest(directory)
        declared = None if self.isolated else self._declared_keras(directory)
        key = (config.path if config else None, declared)
        if key not in self._resolved:
            self._resolved[key] = self._resolve(config, declared)
        return self._resolved[key]

    def _nearest(self, directory: Path) -> ConfigFile | None:
        walked = []
        found = None
        for candidate in (directory, *directory.parents):
            if candidate in self._found:
                found = self._found[candidate]
                break
            walked.append(candidate)
            found = next(
                (c for name in CONFIG_NAMES if (candidate / name).is_file() for c in [load_config(candidate / name)] if c),
                None,
            )
            if found is not None:
                break
        for candidate in walked:
            self._found[candidate] = found
        return found

    def _declared_keras(self, directory: Path) -> Decision | None:
        """What the nearest project root that mentions TensorFlow or Keras declares (rnnlint.dependencies).

        Memoised per directory: a walk asks for every directory of the tree, each below the last,
        so each directory's dependency files are read once.  A root whose files do not mention
        TensorFlow or Keras is passed over; the walk stops at the repository's root.
        """
        if directory not in self._keras:
            from rnnlint.dependencies import decide, is_repository_root, read_directory

            decision = decide(read_directory(directory))
            parent = directory.parent
            if decision is None and parent != directory and not is_repository_root(directory):
                decision = self._declared_keras(parent)
            self._keras[directory] = decision
        return self._keras[directory]

    def _resolve(self, config: ConfigFile | None, declared: Decision | None) -> Resolved:
        values = dict(DEFAULTS)
        sources = dict.fromkeys(DEFAULTS, "default")
        if config is not None:
            for key, value in config.values.items():
                values[key], sources[key] = value, config.label
        if declared is not None and (config is None or "target-keras" not in config.values):
            if declared.target is not None:
                values["target-keras"] = declared.target
                sources["target-keras"] = f"inferred from {declared.because.describe()}"
            else:
                sources["target-keras"] = f"default ({declared.because.describe()}: no version that tells)"
        cli = self.overrides
        for key, value in (
            ("select", cli.select),
            ("exclude", cli.exclude),
            ("respect-gitignore", cli.respect_gitignore),
            ("target-keras", cli.target_keras),
            ("output-format", cli.output_format),
            ("fix", cli.fix),
            ("unsafe-fixes", cli.unsafe_fixes),
            ("file-timeout", cli.file_timeout),
            ("max-file-size", cli.max_file_size),
        ):
            if value is not None:
                values[key], sources[key] = value, "command line"
        for key, value in (("extend-select", cli.extend_select), ("ignore", cli.ignore), ("extend-exclude", cli.extend_exclude)):
            if value:
                if values[key]:
                    values[key] = tuple(values[key]) + tuple(value)
                    sources[key] = f"{sources[key]} + command line"
                else:
                    values[key], sources[key] = tuple(value), "command line"
        from_file = Selection(values_of(config, "select"), values_of(config, "extend-select") or (), values_of(config, "ignore") or ())
        if cli.select is not None or cli.extend_select or cli.ignore:
            # Command-line selectors decide every code they match; the file decides the rest
            # (all of them are off, as in ruff, when the command line says --select).
            selection = Selection(cli.select, tuple(cli.extend_select), tuple(cli.ignore), parent=from_file)
        else:
            selection = from_file
        explicit = cli.target_keras is not None or (config is not None and "target-keras" in config.values)
        return Resolved(config, values, sources, selection, explicit)


def values_of(config: ConfigFile | None, key: str) -> object:
    return config.values.get(key) if config is not None else None
