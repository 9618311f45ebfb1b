"""The real-code regression corpus: pinned PyPI packages that build Keras recurrent layers.

    python scripts/corpus.py            # download (cached), lint, compare; exit 1 on any problem
    python scripts/corpus.py --update   # write new findings into the expectations as UNREVIEWED,
                                        # drop the vanished ones (both printed), then compare

The packages are listed in tests/corpus/manifest.toml with the sha256 of the exact
artifact; pip downloads each one once into the cache (default ~/.cache/rnnlint-corpus,
or $RNNLINT_CORPUS_CACHE, or --cache-dir), the digest is checked, and the archive is
unpacked with its metadata files (setup.py, requirements*.txt, pyproject.toml) in place,
so the Keras version rnnlint infers is the one the package declares.  Nothing from the
corpus is imported or run: rnnlint reads it, like any code it lints.

Each package is linted by the real command line, from the package's own root:
`rnnlint --select ALL --output-format json --no-cache --exit-zero .`.  Its findings are
compared with tests/corpus/expectations.toml, where every finding carries a verdict and
a one-line reason somebody wrote after reading the code:

- verdict "true": the finding is right (a real bug, or a correct hint);
- verdict "false-alarm": the finding is wrong; accepted for now, listed as a warning, so
  that the engine can be fixed and the entry removed;
- verdict "python-rejects": an RNN001 on a file the running Python itself cannot compile
  (Python 2 code, say): checked again with compile() on every run.

A run fails on: a finding not in the expectations; an expected finding that vanished (it
is printed with its reason, to be reviewed); an UNREVIEWED reason; a crash of rnnlint
(a traceback, output that is not JSON, an internal-error RNN001); an RNN001 on a file
Python compiles; and a corpus below the floor (10 projects, 300 distinct files that build
a recurrent layer).

A finding is matched by (package, path, code, line), counted as a multiset.  The
corpus is pinned, so a line identifies the code it points at; the message is kept in the
file for the reader but not matched, because wording is what engine changes touch most.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - rnnlint depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "tests" / "corpus" / "manifest.toml"
EXPECTATIONS = ROOT / "tests" / "corpus" / "expectations.toml"
DEFAULT_CACHE = Path(os.environ.get("RNNLINT_CORPUS_CACHE") or Path.home() / ".cache" / "rnnlint-corpus")

MIN_PROJECTS = 10
MIN_RECURRENT_FILES = 300
UNREVIEWED = "UNREVIEWED"
VERDICTS = ("true", "false-alarm", "python-rejects", "unreviewed")

# The class names whose construction makes a file "build a recurrent layer" (rnnlint/keras/catalogue.py's
# recurrent classes, cells and wrappers).  Counted syntactically, so the floor does not move with the engine.
RECURRENT_NAMES = frozenset(
    {
        "LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "CuDNNLSTM", "CuDNNGRU",
        "LSTMCell", "GRUCell", "SimpleRNNCell", "RNN", "StackedRNNCells", "Bidirectional",
    }
)  # fmt: skip
MESSAGE_CHARS = 110


# --- the manifest and the cache ------------------------------------------------------------------


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    kind: str  # "sdist" or "wheel"
    file: str
    sha256: str
    holds: str = ""
    python: str | None = None

    @property
    def key(self) -> str:
        """How the expectations name this package: several versions of one project may be in the corpus."""
        return f"{self.name}-{self.version}"


def load_manifest(path: Path = MANIFEST) -> list[Package]:
    data = tomllib.loads(path.read_text())
    packages = [Package(**entry) for entry in data["package"]]
    keys = [p.key for p in packages]
    duplicated = sorted(k for k, n in Counter(keys).items() if n > 1)
    if duplicated:
        raise SystemExit(f"manifest: listed twice: {', '.join(duplicated)}")
    return packages


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class CorpusError(Exception):
    """A package could not be fetched, checked or unpacked: one line, the run stops."""


def fetch(package: Package, cache: Path) -> Path:
    """The package's artifact in the cache, downloaded by pip when missing; its sha256 checked either way."""
    target = cache / "downloads" / package.file
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
            command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", scratch]
            if package.kind == "sdist":
                command += ["--no-binary", ":all:"]
            else:
                command += ["--only-binary", ":all:"]
                if package.python:
                    command += ["--python-version", package.python]
            command.append(f"{package.name}=={package.version}")
            done = subprocess.run(command, check=False, capture_output=True, text=True)
            got = Path(scratch) / package.file
            if done.returncode != 0 or not got.exists():
                tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
                raise CorpusError(f"{package.key}: pip did not download {package.file}: {tail[0]}")
            got.replace(target)
    actual = sha256_of(target)
    if actual != package.sha256:
        target.unlink()
        raise CorpusError(f"{package.key}: {package.file} has sha256 {actual}, the manifest pins {package.sha256}")
    return target


def unpack(package: Package, archive: Path, cache: Path) -> Path:
    """The package's root directory (where its setup.py / pyproject.toml sit), unpacked once."""
    place = cache / "unpacked" / package.key
    done = place / ".rnnlint-corpus-unpacked"
    if not done.exists():
        if place.exists():
            shutil.rmtree(place)
        place.mkdir(parents=True)
        if package.kind == "sdist":
            with tarfile.open(archive) as tar:
                if not hasattr(tarfile, "data_filter"):  # Pythons before the extraction filters
                    raise CorpusError(f"{package.key}: this Python cannot unpack an sdist safely (no tarfile filters)")
                tar.extractall(place, filter="data")  # refuses absolute paths, links out, devices
        else:
            with zipfile.ZipFile(archive) as wheel:
                for member in wheel.namelist():
                    if member.startswith("/") or ".." in Path(member).parts:
                        raise CorpusError(f"{package.key}: unsafe path in the wheel: {member}")
                wheel.extractall(place)
        done.write_text(package.sha256)
    entries = [p for p in place.iterdir() if p.name != done.name]
    # An sdist holds one top directory, name-version/, which is the project's root.
    if package.kind == "sdist" and len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return place


# --- linting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    package: str
    path: str
    code: str
    line: int
    message: str

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.package, self.path, self.line, self.code)


@dataclass
class PackageRun:
    package: Package
    root: Path
    findings: list[Finding] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    recurrent_files: dict[str, str] = field(default_factory=dict)  # path -> sha256 of its content


def short(message: str) -> str:
    """A finding's message on one line, cut for the reader of the expectations."""
    text = " ".join(message.split())
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 3] + "..."


def lint(package: Package, root: Path) -> PackageRun:
    run = PackageRun(package, root)
    command = [sys.executable, "-m", "rnnlint", "--select", "ALL", "--output-format", "json", "--no-cache"]
    command += ["--exit-zero", "--jobs", "1", "."]  # packages run side by side; one process each
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run(command, check=False, cwd=root, capture_output=True, text=True, env=env)
    if "Traceback (most recent call last)" in done.stderr or done.returncode not in (0, 2):
        run.crashes.append(f"rnnlint exited {done.returncode}: {done.stderr.strip()[-2000:]}")
        return run
    try:
        reported = json.loads(done.stdout)
    except json.JSONDecodeError:
        run.crashes.append(f"rnnlint printed something that is not JSON: {done.stdout[:300]!r} {done.stderr[-500:]}")
        return run
    for item in reported:
        path = Path(item["filename"]).as_posix().removeprefix("./")
        finding = Finding(package.key, path, item["code"], item["location"]["row"], short(item["message"]))
        if item.get("internal_error"):
            run.crashes.append(f"{path}: {item['message']}")
        run.findings.append(finding)
    run.recurrent_files = recurrent_files(root)
    return run


def builds_recurrent(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in RECURRENT_NAMES:
                return True
    return False


def recurrent_files(root: Path) -> dict[str, str]:
    """Files under root whose source calls a recurrent class, cell or wrapper by name: path -> content digest."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        data = path.read_bytes()
        if not any(word in data for word in (b"LSTM", b"GRU", b"RNN", b"Bidirectional")):
            continue
        try:
            tree = ast.parse(data)
        except (SyntaxError, ValueError):
            continue
        if builds_recurrent(tree):
            found[path.relative_to(root).as_posix()] = hashlib.sha256(data).hexdigest()
    return found


def python_rejects(path: Path) -> str | None:
    """Why the running Python refuses to compile this file, or None when it compiles."""
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        return f"{type(error).__name__}: {error}"
    return None


# --- the expectations ----------------------------------------------------------------------------


@dataclass
class Expected:
    package: str
    path: str
    code: str
    line: int
    message: str
    verdict: str
    reason: str

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.package, self.path, self.line, self.code)

    @property
    def reviewed(self) -> bool:
        return self.verdict != "unreviewed" and self.reason.strip() not in ("", UNREVIEWED)


def load_expectations(path: Path = EXPECTATIONS) -> list[Expected]:
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text())
    expected = []
    for group in data.get("file", []):
        for item in group["findings"]:
            verdict = item["verdict"]
            if verdict not in VERDICTS:
                raise SystemExit(
                    f"{path}: {group['package']}/{group['path']}:{item['line']}: unknown verdict {verdict!r}"
                )
            expected.append(
                Expected(
                    group["package"],
                    group["path"],
                    item["code"],
                    item["line"],
                    item["message"],
                    verdict,
                    item["reason"],
                )
            )
    return expected


def _toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a TOML basic string (\uXXXX escapes included)


def write_expectations(expected: Iterable[Expected], path: Path = EXPECTATIONS) -> None:
    """One [[file]] per linted file, one line per finding: sorted, so a refresh gives a small diff."""
    lines = [
        "# Reviewed findings of `rnnlint --select ALL` on the corpus (tests/corpus/manifest.toml).",
        "# verdict: true (the finding is right), false-alarm (wrong: the engine should stop it; accepted",
        "# for now and listed as a warning), python-rejects (RNN001 on a file the running Python cannot",
        "# compile).  reason: one line, written after reading the code.  UNREVIEWED fails the test.",
        "# Refresh after an engine change: python scripts/corpus.py --update, then review the diff.",
        "",
    ]
    by_file: dict[tuple[str, str], list[Expected]] = {}
    for item in sorted(expected, key=lambda e: (e.package, e.path, e.line, e.code)):
        by_file.setdefault((item.package, item.path), []).append(item)
    for (package, file), items in by_file.items():
        lines += ["[[file]]", f"package = {_toml_string(package)}", f"path = {_toml_string(file)}", "findings = ["]
        for e in items:
            lines.append(
                f"  {{ line = {e.line}, code = {_toml_string(e.code)}, verdict = {_toml_string(e.verdict)}, "
                f"reason = {_toml_string(e.reason)}, message = {_toml_string(e.message)} }},"
            )
        lines += ["]", ""]
    path.write_text("\n".join(lines))


# --- comparing -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    runs: list[PackageRun]
    new: list[Finding] = field(default_factory=list)
    vanished: list[Expected] = field(default_factory=list)
    unreviewed: list[Expected] = field(default_factory=list)
    false_alarms: list[Expected] = field(default_factory=list)
    bad_rnn001: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    floor: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        out = [f"crash: {c}" for c in self.crashes]
        out += [
            f"new finding (not in the expectations): {f.package}/{f.path}:{f.line} {f.code} {f.message}"
            for f in self.new
        ]
        out += [
            f"vanished (expected, no longer reported; review it): {e.package}/{e.path}:{e.line} {e.code} "
            f"[{e.verdict}: {e.reason}] {e.message}"
            for e in self.vanished
        ]
        out += [f"unreviewed: {e.package}/{e.path}:{e.line} {e.code} {e.message}" for e in self.unreviewed]
        out += [f"RNN001: {b}" for b in self.bad_rnn001]
        out += [f"corpus too small: {f}" for f in self.floor]
        return out


def compare(runs: list[PackageRun], expected: list[Expected]) -> Outcome:
    outcome = Outcome(runs)
    remaining: dict[tuple, list[Expected]] = {}
    for e in expected:
        remaining.setdefault(e.key, []).append(e)
    linted = {run.package.key for run in runs}
    for run in runs:
        outcome.crashes += [f"{run.package.key}: {c}" for c in run.crashes]
        for finding in run.findings:
            matches = remaining.get(finding.key)
            entry = matches.pop(0) if matches else None
            if entry is None:
                outcome.new.append(finding)
                continue
            if not entry.reviewed:
                outcome.unreviewed.append(entry)
            elif entry.verdict == "false-alarm":
                outcome.false_alarms.append(entry)
            if finding.code == "RNN001":
                _check_rnn001(run, finding, entry, outcome)
    for entries in remaining.values():
        outcome.vanished += [e for e in entries if e.package in linted]
    for finding in outcome.new:
        if finding.code == "RNN001":
            run = next(r for r in runs if r.package.key == finding.package)
            why = python_rejects(run.root / finding.path)
            if why is None:
                outcome.bad_rnn001.append(f"{finding.package}/{finding.path}: Python compiles it: {finding.message}")
    outcome.floor = floor_problems(runs)
    return outcome


def _check_rnn001(run: PackageRun, finding: Finding, entry: Expected, outcome: Outcome) -> None:
    """An expected RNN001 is acceptable only on a file the running Python itself rejects."""
    why = python_rejects(run.root / finding.path)
    if why is None:
        outcome.bad_rnn001.append(f"{finding.package}/{finding.path}: Python compiles it: {finding.message}")
    elif entry.verdict != "python-rejects":
        outcome.bad_rnn001.append(
            f"{finding.package}/{finding.path}: expected as {entry.verdict!r}, not python-rejects"
        )


def floor_problems(runs: list[PackageRun]) -> list[str]:
    projects = {run.package.name for run in runs if run.recurrent_files}
    distinct = {digest for run in runs for digest in run.recurrent_files.values()}
    problems = []
    if len(projects) < MIN_PROJECTS:
        problems.append(f"{len(projects)} projects build recurrent layers, the floor is {MIN_PROJECTS}")
    if len(distinct) < MIN_RECURRENT_FILES:
        problems.append(f"{len(distinct)} distinct files build recurrent layers, the floor is {MIN_RECURRENT_FILES}")
    return problems


def updated(outcome: Outcome, expected: list[Expected]) -> list[Expected]:
    """The expectations with the new findings added as UNREVIEWED and the vanished ones dropped."""
    gone = {id(e) for e in outcome.vanished}
    kept = [e for e in expected if id(e) not in gone]
    kept += [Expected(f.package, f.path, f.code, f.line, f.message, "unreviewed", UNREVIEWED) for f in outcome.new]
    return kept


# --- running -------------------------------------------------------------------------------------


def prepare(packages: list[Package], cache: Path, jobs: int = 4) -> list[tuple[Package, Path]]:
    def one(package: Package) -> tuple[Package, Path]:
        return package, unpack(package, fetch(package, cache), cache)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, packages))


def run_corpus(cache: Path = DEFAULT_CACHE, only: set[str] | None = None, jobs: int = 2) -> list[PackageRun]:
    packages = [p for p in load_manifest() if only is None or p.name in only or p.key in only]
    prepared = prepare(packages, cache)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda item: lint(*item), prepared))


def table(outcome: Outcome, expected: list[Expected]) -> Iterator[str]:
    by_package = Counter(e.package for e in expected if e.reviewed)
    alarms = Counter(e.package for e in expected if e.verdict == "false-alarm")
    yield "| package | version | files building recurrent layers | findings | reviewed | false alarms |"
    yield "|---|---|---:|---:|---:|---:|"
    totals = [0, 0, 0, 0]
    for run in outcome.runs:
        key = run.package.key
        row = [len(run.recurrent_files), len(run.findings), by_package[key], alarms[key]]
        totals = [a + b for a, b in zip(totals, row)]
        yield f"| {run.package.name} | {run.package.version} | " + " | ".join(map(str, row)) + " |"
    distinct = len({d for run in outcome.runs for d in run.recurrent_files.values()})
    projects = len({run.package.name for run in outcome.runs})
    yield (
        f"| **{projects} projects, {len(outcome.runs)} artifacts** | | {totals[0]} ({distinct} distinct) | "
        + " | ".join(map(str, totals[1:]))
        + " |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="record new findings as UNREVIEWED, drop vanished ones")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help=f"default: {DEFAULT_CACHE}")
    parser.add_argument("--only", action="append", help="lint only this package (name or name-version); repeatable")
    parser.add_argument("--table", action="store_true", help="print the corpus table (markdown)")
    parser.add_argument("--jobs", type=int, default=2, help="packages linted at once")
    args = parser.parse_args(argv)
    try:
        runs = run_corpus(args.cache_dir, set(args.only) if args.only else None, args.jobs)
    except CorpusError as error:
        print(f"corpus: {error}", file=sys.stderr)
        return 2
    expected = load_expectations()
    outcome = compare(runs, expected)
    if args.update:
        for line in outcome.failures:
            if line.startswith(("new finding", "vanished")):
                print(line)
        expected = updated(outcome, expected)
        write_expectations(expected)
        outcome = compare(runs, expected)
    if args.table:
        print("\n".join(table(outcome, expected)))
    for alarm in outcome.false_alarms:
        print(f"warning: known false alarm: {alarm.package}/{alarm.path}:{alarm.line} {alarm.code}: {alarm.reason}")
    for line in outcome.failures:
        print(line)
    findings = sum(len(r.findings) for r in runs)
    print(f"corpus: {len(runs)} artifacts, {findings} findings, {len(outcome.failures)} problems", file=sys.stderr)
    return 1 if outcome.failures else 0


if __name__ == "__main__":
    sys.exit(main())
