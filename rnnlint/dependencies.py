"""Which Keras a project declares: read its dependency files, never run them.

A project root is a directory holding any of `pyproject.toml` (`[project]`,
`[dependency-groups]`, `[tool.poetry.*dependencies]`), `setup.py`
(`install_requires` / `extras_require`, read with `ast`: literal lists and the
module-level names and f-strings they use), `setup.cfg` (`[options]
install_requires`, `[options.extras_require]`), `requirements*.txt` /
`requirements*.in` / `requirements/*.txt` (with `-r` includes and `-c`
constraints), a conda `environment.yml` / `.yaml` (conda specs and the `pip:`
list) and a `Pipfile` (`[packages]`).  Each TensorFlow / Keras requirement says
Keras 2, Keras 3, or nothing (not pinned); `decide` turns them into one answer
and names the line that gave it.  The decision table is docs/keras-target.md.

Nothing here imports or executes the project: files are read as text (TOML
with tomllib, setup.py with `ast`), so a broken file gives no answer, never an
error.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path

TENSORFLOW_DISTRIBUTIONS = frozenset(
    {
        "tensorflow",
        "tensorflow-cpu",
        "tensorflow-gpu",
        "tensorflow-macos",
        "tensorflow-intel",
        "tensorflow-aarch64",
        "tensorflow-base",  # conda-forge
    }
)
# Keras 3 became tf.keras with TensorFlow 2.16.
FIRST_TF_WITH_KERAS_3 = (2, 16)
# tensorflow-gpu ended before Keras 3: its last real release is 2.11 (2.12.0 is an empty placeholder).
KERAS_2_ONLY = frozenset({"tf-keras", "tensorflow-gpu"})
MENTIONS = TENSORFLOW_DISTRIBUTIONS | {"keras", "tf-keras"}
# A project is not expected to chain more requirement files than this through `-r`.
MAX_INCLUDED_FILES = 64

_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)", re.DOTALL)
_CLAUSE = re.compile(r"\s*(===|==|~=|!=|<=|>=|<|>)\s*([0-9][0-9a-zA-Z.*+!-]*)\s*")
_REQUIREMENT_FILE = re.compile(r"requirements.*\.(txt|in)\Z", re.IGNORECASE)
_ENVIRONMENT_FILES = ("environment.yml", "environment.yaml")


@dataclass(frozen=True)
class Declared:
    """One TensorFlow/Keras requirement: the distribution, its version clauses (PEP 440), and where it is written."""

    name: str  # normalised: lower case, runs of -_. as one -
    specifier: str  # "==2.11.0", ">=2.10,<2.13", "" for any version, "@..." for a URL or a form not read
    text: str  # as written, for the message
    path: Path
    line: int | None
    constraint: bool = False  # from a `-c` file: pins a version only of what the project requires

    @property
    def keras(self) -> int | None:
        """2 or 3 when every version this requirement allows has that Keras; None when it does not say."""
        return keras_major(self.name, self.specifier)

    def describe(self) -> str:
        where = _display(self.path) + (f":{self.line}" if self.line else "")
        return f"{where}: {self.text}"


@dataclass(frozen=True)
class Decision:
    """What a project root says: Keras 2, Keras 3, or None (it requires TensorFlow/Keras without pinning)."""

    target: int | None
    because: Declared


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def keras_major(name: str, specifier: str) -> int | None:
    name = normalise(name)
    if name in KERAS_2_ONLY:
        return 2
    if specifier.lstrip().startswith("@"):
        return None
    if name == "keras":
        limit = (3,)
    elif name in TENSORFLOW_DISTRIBUTIONS:
        limit = FIRST_TF_WITH_KERAS_3
    else:
        return None
    if all_below(specifier, limit):
        return 2
    if all_at_least(specifier, limit):
        return 3
    return None


def decide(declared: list[Declared]) -> Decision | None:
    """One answer for a project root; None when nothing in it mentions TensorFlow or Keras.

    Keras 2 wins over Keras 3: a pin below Keras 3 (or `tf-keras`, which only
    Keras-2 code needs) is a statement that the code needs Keras 2, while a
    Keras-3 requirement next to it is usually a lower bound of another file or
    extra.  A constraint (`-c`) counts only for a distribution the project
    requires.
    """
    required = {d.name for d in declared if not d.constraint}
    relevant = [d for d in declared if not d.constraint or d.name in required]
    for target in (2, 3):
        for entry in relevant:
            if entry.keras == target:
                return Decision(target, entry)
    return Decision(None, relevant[0]) if relevant else None


# --- specifiers ----------------------------------------------------------------------------------


def _release(version: str) -> tuple[int, ...]:
    numbers = re.match(r"(\d+(?:\.\d+)*)", version.split("!")[-1])
    return tuple(_component(n) for n in numbers.group(1).split(".")) if numbers else ()


# Larger than any real version number; `int()` refuses strings past 4,300 digits (and a 5,000-digit
# version is someone testing us), so a long component is compared as this.
_HUGE_COMPONENT = 10**18


def _component(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) < 18 else _HUGE_COMPONENT


def _below(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    width = max(len(a), len(b))
    return a + (0,) * (width - len(a)) < b + (0,) * (width - len(b))


def _clauses(specifier: str) -> list[tuple[str, str, tuple[int, ...]]]:
    found = []
    for clause in specifier.strip().strip("()").split(","):
        match = _CLAUSE.fullmatch(clause)
        if match is not None and _release(match.group(2)):
            found.append((match.group(1), match.group(2), _release(match.group(2))))
    return found


def all_below(specifier: str, limit: tuple[int, ...]) -> bool:
    """Whether every version `specifier` allows is older than `limit` (one clause capping it suffices)."""
    for op, version, release in _clauses(specifier):
        if op == "<" and not _below(limit, release):
            return True
        if op == "<=" and _below(release, limit):
            return True
        if op in ("==", "==="):
            if version.endswith(".*"):
                if not _below(limit, release[:-1] + (release[-1] + 1,)):
                    return True
            elif _below(release, limit):
                return True
        if op == "~=" and len(release) >= 2 and not _below(limit, release[:-2] + (release[-2] + 1,)):
            return True
    return False


def all_at_least(specifier: str, limit: tuple[int, ...]) -> bool:
    """Whether every version `specifier` allows is `limit` or newer (one clause bounding it below suffices)."""
    for op, _version, release in _clauses(specifier):
        # `>2.15` allows 2.15.1: only `>=`-like clauses and exact pins bound a release from below.
        if op in (">=", "==", "===", "~=") and not _below(release, limit):
            return True
    return False


# --- one requirement, in each syntax ---------------------------------------------------------------


def parse_pep508(text: str) -> tuple[str, str] | None:
    """`tensorflow[and-cuda]>=2.10,<2.13 ; python_version < "3.12"` -> ("tensorflow", ">=2.10,<2.13")."""
    match = _NAME.fullmatch(text.split(";", 1)[0].strip())
    if match is None:
        return None
    return normalise(match.group(1)), match.group(2).strip()


def parse_conda(text: str) -> tuple[str, str] | None:
    """A conda match spec: `tensorflow=2.9` (2.9.*), `tensorflow==2.9.1`, `tensorflow 2.9.*`,
    `conda-forge::keras>=2.4,<3`, `tensorflow=2.9=gpu_py39h...` (a build string)."""
    text = text.split("::", 1)[-1].strip()
    match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)", text)
    if match is None:
        return None
    name, rest = normalise(match.group(1)), match.group(2).strip()
    if "|" in rest or "[" in rest:
        return name, "@"  # alternatives or bracket syntax: not read
    if rest.startswith("=") and not rest.startswith("=="):
        version = rest[1:].split("=", 1)[0].strip()
        return name, f"=={version.rstrip('.*')}.*" if version else ""
    if rest.startswith("=="):
        return name, "==" + rest[2:].split("=", 1)[0].strip()
    if rest and rest[0].isdigit():
        version = rest.split()[0]
        return name, f"=={version.rstrip('.*')}.*"
    return name, rest


def parse_poetry(name: str, constraint: str) -> tuple[str, str]:
    """A Poetry constraint as PEP 440 clauses: `^2.9` -> `>=2.9,<3.0`, `~2.9` -> `>=2.9,<2.10`, `2.9.*`, `*`."""
    if "||" in constraint:
        return normalise(name), "@"  # alternatives: not read
    clauses = []
    for op, version in re.findall(r"(\^|~=|~|===|==|!=|>=|<=|>|<|=)?\s*([0-9][0-9A-Za-z.*+!-]*)", constraint):
        release = _release(version)
        if not release:
            continue
        if op == "^":
            first = next((i for i, n in enumerate(release) if n != 0), len(release) - 1)
            upper = release[:first] + (release[first] + 1,)
            clauses += [f">={version}", "<" + ".".join(map(str, upper))]
        elif op == "~":
            upper = release[:2] if len(release) >= 2 else release
            upper = upper[:-1] + (upper[-1] + 1,)
            clauses += [f">={version}", "<" + ".".join(map(str, upper))]
        elif op in ("", "="):
            clauses.append(f"=={version}")
        else:
            clauses.append(f"{op}{version}")
    return normalise(name), ",".join(clauses)


# --- the files of one directory ------------------------------------------------------------------


def read_directory(directory: Path) -> list[Declared]:
    """Every TensorFlow/Keras requirement the dependency files of `directory` declare (one listing of it)."""
    try:
        names = set(os.listdir(directory))
    except OSError:
        return []
    declared: list[Declared] = []
    if "pyproject.toml" in names:
        declared += _pyproject(directory / "pyproject.toml")
    if "setup.py" in names:
        declared += _setup_py(directory / "setup.py")
    if "setup.cfg" in names:
        declared += _setup_cfg(directory / "setup.cfg")
    if "Pipfile" in names:
        declared += _pipfile(directory / "Pipfile")
    for name in sorted(n for n in names if n.endswith(".dist-info")):
        declared += _dist_info(directory / name / "METADATA")
    for name in _ENVIRONMENT_FILES:
        if name in names:
            declared += _environment(directory / name)
    seen: set[str] = set()
    for name in sorted(n for n in names if _REQUIREMENT_FILE.match(n)):
        declared += _requirements(directory / name, seen)
    if "requirements" in names and (directory / "requirements").is_dir():
        try:
            inside = sorted(os.listdir(directory / "requirements"))
        except OSError:
            inside = []
        for name in inside:
            if name.endswith((".txt", ".in")):
                declared += _requirements(directory / "requirements" / name, seen)
    return declared


def is_repository_root(directory: Path) -> bool:
    """The walk up for dependency files stops here: a file above the repository is not the project's."""
    return os.path.exists(directory / ".git") or os.path.exists(directory / ".hg")


def _text(path: Path) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def _declared(parsed: tuple[str, str] | None, text: str, path: Path, line: int | None, **extra) -> list[Declared]:
    if parsed is None or parsed[0] not in MENTIONS:
        return []
    return [Declared(parsed[0], parsed[1], " ".join(text.split()), path, line, **extra)]


def _requirements(path: Path, seen: set[str], *, constraint: bool = False) -> list[Declared]:
    """A pip requirements file: comments, `\\` continuations, `-r`/`-c` includes, per-line options."""
    key = os.path.realpath(path)
    if key in seen or len(seen) >= MAX_INCLUDED_FILES:
        return []
    seen.add(key)
    text = _text(path)
    if text is None:
        return []
    declared: list[Declared] = []
    for row, line in _logical_lines(text):
        line = re.sub(r"(^|\s)#.*", "", line).strip()
        if not line:
            continue
        include = re.match(r"(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?<=-r)|(?<=-c))(\S+)", line)
        if include is not None:
            is_constraint = constraint or include.group(1) in ("-c", "--constraint")
            declared += _requirements(path.parent / include.group(2), seen, constraint=is_constraint)
            continue
        if line.startswith("-") or "://" in line.split("@", 1)[0]:
            continue  # an option (-e, --index-url, ...) or a bare URL
        line = re.split(r"\s+--?[A-Za-z]", line, maxsplit=1)[0]  # per-requirement options (--hash=...)
        declared += _declared(parse_pep508(line), line, path, row, constraint=constraint)
    return declared


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines joined at a trailing backslash, each with the row it starts on."""
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for row, line in enumerate(text.splitlines(), start=1):
        if not pending:
            start = row
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append((start, pending + line))
        pending = ""
    if pending:
        lines.append((start, pending))
    return lines


def _read_toml(path: Path) -> tuple[dict, list[str]] | None:
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    text = _text(path)
    if text is None:
        return None
    try:
        return tomllib.loads(text), text.splitlines()
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return None  # a broken file that is not our configuration is not ours to report


def _row_of_string(lines: list[str], value: str) -> int | None:
    for quote in ('"', "'"):
        needle = f"{quote}{value}{quote}"
        for row, line in enumerate(lines, start=1):
            if needle in line:
                return row
    return None


def _row_of_key(lines: list[str], key: str, after: int = 0) -> int | None:
    pattern = re.compile(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", re.IGNORECASE)
    for row, line in enumerate(lines, start=1):
        if row > after and pattern.match(line):
            return row
    return None


def _pyproject(path: Path) -> list[Declared]:
    read = _read_toml(path)
    if read is None:
        return []
    document, lines = read
    declared: list[Declared] = []
    for requirement in pep621_dependencies(document):
        declared += _declared(parse_pep508(requirement), requirement, path, _row_of_string(lines, requirement))
    poetry = document.get("tool", {}).get("poetry") if isinstance(document.get("tool"), dict) else None
    if isinstance(poetry, dict):
        tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
        groups = poetry.get("group")
        if isinstance(groups, dict):
            tables += [g.get("dependencies") for g in groups.values() if isinstance(g, dict)]
        header = next((row for row, line in enumerate(lines, 1) if line.strip().startswith("[tool.poetry")), 0)
        for table in tables:
            if isinstance(table, dict):
                declared += _keyed_table(table, path, lines, header, parse_poetry)
    return declared


def pep621_dependencies(document: dict) -> list[str]:
    """`[project] dependencies`, every `[project.optional-dependencies]` group and `[dependency-groups]`."""
    found: list[str] = []
    project = document.get("project")
    if isinstance(project, dict):
        found.extend(d for d in project.get("dependencies") or () if isinstance(d, str))
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            for group in optional.values():
                found.extend(d for d in group or () if isinstance(d, str))
    groups = document.get("dependency-groups")
    if isinstance(groups, dict):
        for group in groups.values():
            found.extend(d for d in group or () if isinstance(d, str))
    return found


def _keyed_table(table: dict, path: Path, lines: list[str], after: int, parse) -> list[Declared]:
    """`name = "spec"` or `name = {version = "spec", ...}` (Poetry, Pipfile); a list of tables is not read."""
    declared: list[Declared] = []
    for name, value in table.items():
        if normalise(name) not in MENTIONS:
            continue
        if isinstance(value, dict):
            value = value.get("version", "@")  # no version: a git or path source
        if not isinstance(value, str):
            value = "@"
        spec = parse(name, value)
        row = _row_of_key(lines, name, after)
        shown = f"{name} = {value!r}" if value != "@" else name
        declared += _declared(spec, shown, path, row)
    return declared


def _pipfile(path: Path) -> list[Declared]:
    read = _read_toml(path)
    if read is None:
        return []
    document, lines = read
    packages = document.get("packages")
    if not isinstance(packages, dict):
        return []
    header = next((row for row, line in enumerate(lines, 1) if line.strip() == "[packages]"), 0)

    def pipfile_spec(name: str, value: str) -> tuple[str, str]:
        return normalise(name), "" if value.strip() == "*" else value

    return _keyed_table(packages, path, lines, header, pipfile_spec)


def _setup_cfg(path: Path) -> list[Declared]:
    """`[options] install_requires` and `[options.extras_require]`, read line by line (dangling lists, `;` lists)."""
    text = _text(path)
    if text is None:
        return []
    declared: list[Declared] = []
    section, key = "", ""
    for row, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if not line[0].isspace():
            key = ""
            if stripped.startswith("["):
                section = stripped.strip("[]").strip().lower()
                continue
            name, equals, value = stripped.partition("=")
            if not equals:
                continue
            key = name.strip().lower()
            stripped = value.strip()
        wanted = (section == "options" and key == "install_requires") or (section == "options.extras_require" and key)
        if not wanted or not stripped:
            continue
        for piece in stripped.split(";"):
            declared += _declared(parse_pep508(piece), piece, path, row)
    return declared


def _environment(path: Path) -> list[Declared]:
    """A conda environment file: the items of `dependencies:` (conda specs) and of its `pip:` list (PEP 508)."""
    text = _text(path)
    if text is None:
        return []
    declared: list[Declared] = []
    inside, pip_indent = False, None
    for row, line in enumerate(text.splitlines(), start=1):
        content = re.sub(r"(^|\s)#.*", "", line).rstrip()
        if not content.strip():
            continue
        indent = len(content) - len(content.lstrip())
        if indent == 0:
            inside = content.strip().startswith("dependencies:")
            pip_indent = None
            continue
        item = re.match(r"\s*-\s*(.*)", content)
        if not inside or item is None:
            continue
        value = item.group(1).strip().strip("\"'")
        if pip_indent is not None and indent <= pip_indent:
            pip_indent = None
        if value.startswith("pip:"):
            pip_indent = indent
            continue
        parsed = parse_pep508(value) if pip_indent is not None else parse_conda(value)
        declared += _declared(parsed, value, path, row)
    return declared


# --- setup.py, read with ast ---------------------------------------------------------------------


def _setup_py(path: Path) -> list[Declared]:
    text = _text(path)
    if text is None:
        return []
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    constants: dict[str, ast.expr] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
            constants[statement.targets[0].id] = statement.value
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.value:
            constants[statement.target.id] = statement.value
    declared: list[Declared] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _called_name(node.func) != "setup":
            continue
        arguments = {k.arg: k.value for k in node.keywords if k.arg is not None}
        for unpacked in (k.value for k in node.keywords if k.arg is None):
            table = _resolve(unpacked, constants)
            if isinstance(table, ast.Dict):
                arguments.update(
                    {k.value: v for k, v in zip(table.keys, table.values) if isinstance(k, ast.Constant) and isinstance(k.value, str)}
                )
        for keyword in ("install_requires", "extras_require"):
            if keyword in arguments:
                for string, row in _strings(arguments[keyword], constants, depth=0):
                    declared += _declared(parse_pep508(string), string, path, row)
        declared += _itself(arguments, constants, path)
    return declared


def _itself(arguments: dict[str, ast.expr], constants: dict[str, ast.expr], path: Path) -> list[Declared]:
    """The project is Keras (or TensorFlow) itself: `setup(name="Keras", version="2.2.4")` is Keras-2 code."""
    name = _string(arguments["name"], constants, 0) if "name" in arguments else None
    version = _string(arguments["version"], constants, 0) if "version" in arguments else None
    if name is None or version is None:
        return []
    text = f"{name} {version} (this project)"
    return _declared((normalise(name), f"=={version}"), text, path, getattr(arguments["name"], "lineno", None))


def _dist_info(path: Path) -> list[Declared]:
    """An unpacked wheel's metadata: what it is (`Name`, `Version`) and what it requires (`Requires-Dist`)."""
    text = _text(path)
    if text is None:
        return []
    fields: dict[str, str] = {}
    declared: list[Declared] = []
    for row, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            break  # the headers end at the first blank line; the description follows
        key, _, value = line.partition(":")
        value = value.strip()
        if key == "Requires-Dist":
            requirement = value.split(";")[0].replace("(", "").replace(")", "")
            declared += _declared(parse_pep508(requirement), value, path, row)
        elif key in ("Name", "Version"):
            fields[key] = value
            fields[f"{key}-row"] = str(row)
    if "Name" in fields and "Version" in fields:
        name, version = fields["Name"], fields["Version"]
        declared += _declared((normalise(name), f"=={version}"), f"{name} {version} (this package)", path, int(fields["Name-row"]))
    return declared


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _resolve(node: ast.expr, constants: dict[str, ast.expr], depth: int = 0) -> ast.expr:
    while isinstance(node, ast.Name) and node.id in constants and depth < 8:
        node, depth = constants[node.id], depth + 1
    return node


def _strings(node: ast.expr, constants: dict[str, ast.expr], depth: int) -> list[tuple[str, int]]:
    """The requirement strings of a literal list / tuple / dict (its values) / `a + b`, following module-level names."""
    if depth > 8:
        return []
    node = _resolve(node, constants)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        found = []
        for item in node.elts:
            text = _string(item, constants, 0)
            if text is not None:
                found.append((text, item.lineno))
            else:
                found += _strings(item, constants, depth + 1)
        return found
    if isinstance(node, ast.Dict):
        return [s for value in node.values for s in _strings(value, constants, depth + 1)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _strings(node.left, constants, depth + 1) + _strings(node.right, constants, depth + 1)
    return []


def _string(node: ast.expr, constants: dict[str, ast.expr], depth: int) -> str | None:
    """A string the code spells out: a literal, a module-level name, an f-string or `+` of those."""
    if depth > 8:
        return None
    node = _resolve(node, constants)
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                if value.conversion != -1 or value.format_spec is not None:
                    return None
                part = _string(value.value, constants, depth + 1)
            else:
                part = _string(value, constants, depth + 1)
            if part is None:
                return None
            parts.append(part)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _string(node.left, constants, depth + 1), _string(node.right, constants, depth + 1)
        return left + right if left is not None and right is not None else None
    return None


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
