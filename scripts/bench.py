#!/usr/bin/env python3
"""Time rnnlint against ruff and pylint on the same trees, side by side, in one run.

    python scripts/bench.py            # the full run (several minutes on 2 cores)
    python scripts/bench.py --quick    # a smoke run with small trees (well under a minute)

Every measurement is a whole command in its own process, as a user or
pre-commit runs it.  Commands run round-robin (each repetition runs every
command once) so a burst of load from elsewhere hits all tools alike; each
command runs once untimed first (to fill the OS page cache, compile .pyc
files, and prime the warm-cache runs).  Per command: median and min-max of
wall seconds, CPU seconds (user + system of the process and the worker
processes it reaped, from os.wait4) and peak memory (ru_maxrss from os.wait4:
the largest resident set of any ONE process in the command's tree, i.e. the
main process or a single worker, not the sum of concurrent workers).

Corpora (built fresh in --work-dir, outside any git repository so no
.gitignore hides them):
  mixed    the running interpreter's standard library (site-packages excluded)
           plus ~5% generated Keras model files
  keras    an all-Keras tree of generated files (scripts/keras_corpus.py)
  project  a generated multi-module project: model modules importing helpers, constants and
           layers from block modules (keras_corpus.write_project); every planted bug needs
           another module to be seen; also `rnnlint` on one model module (as pre-commit)
  tree     each real tree given with --tree PATH (read in place, never written)
  zoo      a tree shaped like a real model zoo in a git checkout (scripts/zoo_corpus.py):
           ~2,500 files, 2% recurrent, 50 nested .gitignore files, notebooks
  scaling  all-Keras trees of several sizes: a PNG plot and a Markdown table
  latency  one small Keras file, whole process, and `rnnlint --version`
  server   `rnnlint server`: diagnostics after each change to a ~500-line Keras file,
           measured by a minimal LSP client (scripts/lsp_latency.py); needs pygls

The report (report.md), the raw samples (samples.json) and the plot
(scaling.png) go to --results (default: bench-results/ in the checkout).
rnnlint is always this checkout (PYTHONPATH points at it); ruff, pylint and
matplotlib are optional (`pip install -e '.[bench]'`) and skipped with a note
when missing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import asdict, dataclass, field
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import keras_corpus  # noqa: E402
import zoo_corpus  # noqa: E402
import lsp_latency  # noqa: E402

# The targets (issue 8), checked at the end of the report.
MIXED_COLD_RATIO = 1.0
MIXED_WARM_RATIO = 5.0
KERAS_COLD_RATIO = 10.0
SMALL_FILE_SECONDS = 0.250
VERSION_SECONDS = 0.080
MIXED_PEAK_MB = 200.0
ZOO_COLD_RATIO = 1.0  # issue 19: the model-zoo checkout, rnnlint cold / ruff E9 cold
ZOO_WARM_RATIO = 5.0
SERVER_CHANGE_SECONDS = 0.200  # issue 18: diagnostics within 200 ms of a change to a 500-line Keras file
# Growth counts as linear when the time per file at the largest size is at most
# this much above the time per file at the next size down.
LINEAR_SLACK = 1.2

SMALL_MODEL = '''"""A small model, as a pre-commit hook sees one changed file."""
import keras
from keras import layers

inputs = keras.Input(shape=(20, 8))
x = layers.LSTM(32, return_sequences=True)(inputs)
x = layers.Dropout(0.2)(x)
x = layers.LSTM(16)(x)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="mse")
'''


@dataclass
class Command:
    label: str
    argv: list[str]
    cwd: Path
    env: dict[str, str] | None = None
    # A cache directory emptied before the untimed first run, which then fills it for the warm runs.
    clear: Path | None = None
    # Exit codes that mean a normal run (findings or none); others are flagged in the report.
    normal_exits: tuple[int, ...] | None = (0, 1)


@dataclass
class Sample:
    wall: float
    cpu: float
    maxrss_mb: float
    returncode: int


@dataclass
class Measured:
    label: str
    argv: list[str]
    normal_exits: tuple[int, ...] | None = (0, 1)
    samples: list[Sample] = field(default_factory=list)
    stdout_tail: str = ""
    stderr_tail: str = ""
    findings: int | None = None

    def stat(self, name: str) -> tuple[float, float, float]:
        values = [getattr(s, name) for s in self.samples]
        return statistics.median(values), min(values), max(values)

    @property
    def wall(self) -> float:
        return self.stat("wall")[0]


@dataclass
class Scenario:
    name: str
    title: str
    description: str
    results: list[Measured] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Scaling only: the results at each tree size.
    points: dict[int, list[Measured]] = field(default_factory=dict)
    # Server only: what scripts/lsp_latency.py measured (seconds per change, first publication, ...).
    server: dict | None = None

    def get(self, label: str) -> Measured | None:
        return next((r for r in self.results if r.label == label), None)


# --- running one command ---------------------------------------------------------------------

# Each command is started by a small launcher process (python -S -I), which
# times it and reads its rusage with os.wait4.  Not started from this process
# directly because Linux counts the memory a child had before exec() in its
# ru_maxrss: a child forked from this (large) process would report at least our
# size.  The launcher is small, so the floor is a few MB (the latency table's
# `/bin/true` row shows it).
LAUNCHER = """
import json, os, sys, time
spec = json.loads(sys.argv[1])
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.chdir(spec["cwd"])
        os.execvp(spec["argv"][0], spec["argv"])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(spec["result"], "w") as handle:
    json.dump([wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, os.waitstatus_to_exitcode(status)], handle)
"""


def run_once(command: Command) -> tuple[Sample, str, str]:
    """Run a command to completion: its wall time, and the rusage of it and the children it reaped."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryDirectory() as scratch:
        result_path = Path(scratch) / "result.json"
        spec = json.dumps({"argv": command.argv, "cwd": str(command.cwd), "result": str(result_path)})
        subprocess.run(
            [sys.executable, "-S", "-I", "-c", LAUNCHER, spec],
            env=command.env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            check=True,
        )
        wall, cpu, maxrss, returncode = json.loads(result_path.read_text())
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    maxrss_mb = maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Sample(wall, cpu, maxrss_mb, returncode), stdout, stderr


def measure(commands: list[Command], repeat: int, progress: str) -> list[Measured]:
    """Each command once untimed, then `repeat` rounds of every command in turn."""
    measured = [Measured(c.label, c.argv, c.normal_exits) for c in commands]
    for command, result in zip(commands, measured):
        if command.clear is not None:
            shutil.rmtree(command.clear, ignore_errors=True)
        _, stdout, stderr = run_once(command)
        result.findings = count_findings(stdout) if "rnnlint" in command.label else None
    for round_number in range(repeat):
        for command, result in zip(commands, measured):
            print(f"  [{progress}] round {round_number + 1}/{repeat}: {command.label}", file=sys.stderr, flush=True)
            sample, stdout, stderr = run_once(command)
            result.samples.append(sample)
            result.stdout_tail, result.stderr_tail = stdout[-2000:], stderr[-2000:]
    return measured


def count_findings(text: str) -> int:
    """Diagnostic lines in rnnlint's text output (`path:row:col: RNN201 ...`)."""
    return len(re.findall(r"^.+:\d+:\d+: RNN\d{3} ", text, flags=re.MULTILINE))


# --- tools -----------------------------------------------------------------------------------


@dataclass
class Tools:
    python: str
    rnnlint_env: dict[str, str]
    ruff: str | None
    pylint: list[str] | None
    console_script: str | None
    jobs: int | None
    baseline_env: dict[str, str] | None = None  # --baseline: another checkout's rnnlint, timed beside this one
    notes: list[str] = field(default_factory=list)

    def rnnlint(self, *args: str) -> list[str]:
        jobs = ["--jobs", str(self.jobs)] if self.jobs else []
        return [self.python, "-m", "rnnlint", *jobs, *args]


def find_tools(args: argparse.Namespace) -> Tools:
    wanted = set(args.tools.split(",")) if args.tools else {"ruff", "pylint"}
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    notes: list[str] = []
    if env.pop("PYTHONDONTWRITEBYTECODE", None):
        # An installed rnnlint runs from bytecode that pip compiled at install time; a
        # checkout gets it from its first (untimed) run, unless this forbids writing it.
        notes.append("PYTHONDONTWRITEBYTECODE was set here: unset for rnnlint, which runs from compiled bytecode as an installed package does")
    ruff = _executable("ruff") if "ruff" in wanted else None
    if ruff is None:
        notes.append("ruff: not installed or not selected (pip install ruff, or the `bench` extra); its rows and the ratios are skipped")
    pylint = [sys.executable, "-m", "pylint"] if "pylint" in wanted and find_spec("pylint") else None
    if pylint is None:
        notes.append("pylint: not installed (or not selected); its rows are skipped")
    console = _executable("rnnlint")
    if console is None:
        notes.append("rnnlint console script: not installed (pip install -e .); only `python -m rnnlint` is timed")
    baseline_env = None
    if args.baseline is not None:
        baseline_env = {**env, "PYTHONPATH": os.pathsep.join([str(args.baseline.absolute()), *filter(None, [os.environ.get("PYTHONPATH")])])}
        notes.append(f"baseline rows: the rnnlint of {args.baseline.absolute()} (--baseline), same interpreter and flags")
    return Tools(sys.executable, env, ruff, pylint, console, args.jobs, notes=notes, baseline_env=baseline_env)


def _executable(name: str) -> str | None:
    """The tool installed beside this interpreter first (not a version-manager shim), then PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def version_of(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return "?"
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr).strip() else "?"


# --- corpora ---------------------------------------------------------------------------------


def stdlib_files(limit: int | None) -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    found = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in ("site-packages", "__pycache__"))
        found.extend(Path(directory) / f for f in sorted(files) if f.endswith(".py"))
    return found[:limit] if limit else found


def build_mixed(target: Path, limit: int | None, seed: int) -> tuple[int, int, int]:
    """A copy of the stdlib plus ~5% generated Keras files; (stdlib files, Keras files, bugs planted)."""
    source_root = Path(sysconfig.get_paths()["stdlib"])
    files = stdlib_files(limit)
    for path in files:
        destination = target / "stdlib" / path.relative_to(source_root)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    keras_count = max(1, round(len(files) * 0.05))
    planted = keras_corpus.write_tree(target / "keras_models", keras_count, seed=seed + 1)
    return len(files), keras_count, planted


def inside_git_worktree(path: Path) -> Path | None:
    for directory in [path, *path.parents]:
        if (directory / ".git").exists():
            return directory
    return None


# --- scenarios -------------------------------------------------------------------------------


def tree_commands(tools: Tools, tree: Path, work: Path, name: str) -> list[Command]:
    """The side-by-side set for one tree: ruff's anchors and its warm run, rnnlint cold and warm."""
    commands: list[Command] = []
    cwd = tree if tree.is_dir() else tree.parent
    if tools.ruff:
        ruff_cache = work / "caches" / f"ruff-{name}"
        commands += [
            Command("ruff E9 --no-cache", [tools.ruff, "check", "--isolated", "--no-cache", "--select", "E9", str(tree)], cwd),
            Command("ruff default rules --no-cache", [tools.ruff, "check", "--isolated", "--no-cache", str(tree)], cwd),
            Command(
                "ruff E9 warm cache",
                [tools.ruff, "check", "--isolated", "--select", "E9", "--cache-dir", str(ruff_cache), str(tree)],
                cwd,
                clear=ruff_cache,
            ),
        ]
    versions = [("", tools.rnnlint_env)] + ([("baseline ", tools.baseline_env)] if tools.baseline_env else [])
    for label, env in versions:
        rnnlint_cache = work / "caches" / f"{label.strip() or 'rnnlint'}-{name}"
        commands += [
            Command(f"{label}rnnlint --no-cache (cold)", tools.rnnlint("--no-cache", str(tree)), cwd, env),
            Command(
                f"{label}rnnlint warm cache",
                tools.rnnlint("--cache-dir", str(rnnlint_cache), str(tree)),
                cwd,
                env,
                clear=rnnlint_cache,
            ),
        ]
    return commands


# What any linter built on the stdlib's ast pays before it looks at a single
# node: read and ast.parse every file, on all cores (the all-Keras tree only).
PARSE_FLOOR = """
import ast, os, sys
from concurrent.futures import ProcessPoolExecutor

def parse(path):
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        ast.parse(data)
    except (SyntaxError, ValueError):
        pass

files = [os.path.join(d, f) for d, _, names in os.walk(sys.argv[1]) for f in names if f.endswith(".py")]
with ProcessPoolExecutor(os.cpu_count()) as pool:
    list(pool.map(parse, files, chunksize=max(1, len(files) // (8 * os.cpu_count()))))
"""
PARSE_FLOOR_LABEL = "floor: read + ast.parse only, all cores (python)"


def sample_commands(tools: Tools, files: list[Path], cwd: Path) -> list[Command]:
    """pylint is far slower: it runs on a sample, beside ruff and rnnlint on the same files."""
    names = [str(f) for f in files]
    commands = []
    if tools.ruff:
        commands.append(
            Command("sample: ruff E9 --no-cache", [tools.ruff, "check", "--isolated", "--no-cache", "--select", "E9", *names], cwd)
        )
    commands.append(Command("sample: rnnlint --no-cache", tools.rnnlint("--no-cache", *names), cwd, tools.rnnlint_env))
    if tools.pylint:
        pylint_flags = ["--disable=all", "--enable=E", "--score=n", "--persistent=n", "--jobs=1"]
        # pylint's exit status is a bit mask of the message kinds it emitted: not an error.
        commands.append(
            Command("sample: pylint errors only (-E)", [*tools.pylint, *pylint_flags, *names], cwd, normal_exits=None)
        )
    return commands


def python_files(tree: Path) -> list[Path]:
    found = []
    for directory, subdirs, files in os.walk(tree):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and d not in ("__pycache__", "site-packages"))
        found.extend(Path(directory) / f for f in sorted(files) if f.endswith(".py"))
    return found


def run_tree_scenario(
    scenario: Scenario, tools: Tools, tree: Path, work: Path, args: argparse.Namespace, floor: bool = False
) -> None:
    commands = tree_commands(tools, tree, work, scenario.name)
    if floor:
        commands.append(Command(PARSE_FLOOR_LABEL, [tools.python, "-c", PARSE_FLOOR, str(tree)], tree))
    scenario.results = measure(commands, args.repeat, scenario.name)
    if tools.pylint and args.pylint_sample > 0:
        everything = python_files(tree)
        sample = sorted(random.Random(args.seed).sample(everything, min(args.pylint_sample, len(everything))))
        scenario.notes.append(
            f"The `sample:` rows run on {len(sample)} files drawn at random (seed {args.seed}) from the tree; "
            f"pylint with `--disable=all --enable=E` (errors only, still full astroid inference), "
            f"{args.pylint_repeat} timed run(s)."
        )
        scenario.results += measure(sample_commands(tools, sample, tree), args.pylint_repeat, f"{scenario.name} sample")


def run_project(tools: Tools, work: Path, args: argparse.Namespace) -> Scenario:
    """The whole-project analysis (issue 16): a generated project whose modules import each other."""
    tree = work / f"project-{args.project_modules}"
    planted = keras_corpus.write_project(tree, args.project_modules, seed=args.seed)
    scenario = Scenario(
        "project",
        f"(d) Multi-module project: {args.project_modules} generated modules importing each other",
        f"keras_corpus.write_project (seed {args.seed}): a third are block modules (constants, module-level layers, "
        "helpers building layers, chains of imports), the rest model modules importing three blocks each "
        f"(absolute and relative imports); {planted} planted bugs, each visible only across modules.",
    )
    commands = tree_commands(tools, tree, work, scenario.name)
    one = tree / "proj" / "models" / "model_0.py"
    commands.append(
        Command("rnnlint --no-cache one model module (pre-commit)", tools.rnnlint("--no-cache", str(one.relative_to(tree))), tree, tools.rnnlint_env)
    )
    scenario.results = measure(commands, args.repeat, scenario.name)
    scenario.notes.append(found_note(scenario, planted))
    return scenario


def run_zoo(tools: Tools, work: Path, args: argparse.Namespace) -> Scenario:
    """The model-zoo checkout: what a real repository asks of discovery (.gitignore files, a git index)
    beside ruff's parse-only run, which honours the same .gitignore files."""
    tree = work / "zoo"
    scenario = Scenario("zoo", "(e) Model-zoo checkout: a git repository with nested .gitignore files", "")
    if shutil.which("git") is None:
        scenario.description = "git is not installed: the scenario is skipped."
        return scenario
    zoo = zoo_corpus.write_zoo(tree, args.zoo_files, seed=args.seed)
    scenario.description = (
        f"{zoo.files} source files from scripts/zoo_corpus.py (seed {args.seed}) in ~40 projects: {zoo.recurrent} with "
        f"recurrent Keras layers ({zoo.planted} planted bugs), ~1% PyTorch `nn.LSTM` files, {zoo.notebooks} notebooks, "
        f"the rest ordinary Python; {zoo.gitignores} nested `.gitignore` files hiding {zoo.ignored} more files "
        f"({zoo.planted_ignored} planted bugs that must not be reported); committed, {zoo.untracked} files left untracked."
    )
    run_tree_scenario(scenario, tools, tree, work, args)
    scenario.notes.append(found_note(scenario, zoo.planted))
    return scenario


def run_latency(tools: Tools, work: Path, args: argparse.Namespace) -> Scenario:
    directory = work / "latency"
    directory.mkdir(parents=True, exist_ok=True)
    small = directory / "small_model.py"
    small.write_text(SMALL_MODEL)
    plain = directory / "plain.py"
    plain.write_text('"""No Keras here: filtered out before parsing."""\nimport os\n\nprint(os.getcwd())\n')
    scenario = Scenario(
        "latency",
        "Single-file latency (whole process, as pre-commit runs it)",
        f"`{small.name}`: an {len(SMALL_MODEL.splitlines())}-line clean Keras model; `{plain.name}`: a file without Keras.",
    )
    commands = [
        Command("/bin/true (the launcher's floor)", ["true"], directory),
        Command("python -c pass (interpreter start, for scale)", [tools.python, "-c", "pass"], directory),
        Command("python -m rnnlint --version", tools.rnnlint("--version"), directory, tools.rnnlint_env),
        Command("python -m rnnlint --no-cache small_model.py", tools.rnnlint("--no-cache", small.name), directory, tools.rnnlint_env),
        Command("python -m rnnlint --no-cache plain.py", tools.rnnlint("--no-cache", plain.name), directory, tools.rnnlint_env),
    ]
    if tools.console_script:
        commands += [
            Command("rnnlint --version (console script)", [tools.console_script, "--version"], directory, tools.rnnlint_env),
            Command(
                "rnnlint --no-cache small_model.py (console script)",
                [tools.console_script, "--no-cache", small.name],
                directory,
                tools.rnnlint_env,
            ),
        ]
        scenario.notes.append(
            f"Console script: `{tools.console_script}`, running this checkout's code (PYTHONPATH={ROOT})."
        )
    if tools.ruff:
        commands.append(
            Command("ruff E9 --no-cache small_model.py", [tools.ruff, "check", "--isolated", "--no-cache", "--select", "E9", small.name], directory)
        )
    scenario.results = measure(commands, args.latency_repeat, "latency")
    return scenario


def run_server(tools: Tools, work: Path, args: argparse.Namespace) -> Scenario:
    """`rnnlint server`: from a didChange notification to the publishDiagnostics of that version."""
    directory = work / "server"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "models.py"
    path.write_text(lsp_latency.keras_file(500, seed=args.seed))
    scenario = Scenario(
        "server",
        "Editor latency: `rnnlint server`",
        f"`{path.name}`: {path.read_text().count(chr(10))} lines of generated Keras models (scripts/keras_corpus.py, one "
        "planted bug); a minimal LSP client (scripts/lsp_latency.py) opens it, then edits its last line "
        f"{args.server_rounds} times, 0.1 s apart. Each change is timed from writing the didChange notification to "
        "reading the publishDiagnostics of that version; the server's debounce (50 ms) is included.",
    )
    if find_spec("pygls") is None:
        scenario.notes.append("pygls: not installed (pip install -e '.[lsp]'); the server is not timed")
        return scenario
    scenario.server = lsp_latency.measure(path, args.server_rounds, python=tools.python, env=tools.rnnlint_env)
    scenario.server.pop("transcript")
    return scenario


def server_table(scenario: Scenario) -> list[str]:
    result = scenario.server
    if result is None:
        return []
    samples = sorted(result["samples"])
    p90 = samples[min(len(samples) - 1, int(0.9 * len(samples)))]
    return [
        "| measurement | median | min | p90 | max |",
        "|---|---|---|---|---|",
        f"| first diagnostics after didOpen (imports the analysis) | {fmt(result['first'])} | - | - | - |",
        f"| diagnostics after a change ({len(samples)} changes) | {fmt(statistics.median(samples))} | "
        f"{fmt(samples[0])} | {fmt(p90)} | {fmt(samples[-1])} |",
        "",
        f"Findings published: {result['findings']}; server exit code after shutdown/exit: {result['exit_code']}.",
    ]


def run_scaling(tools: Tools, work: Path, args: argparse.Namespace, keras: Scenario | None) -> Scenario:
    scenario = Scenario(
        "scaling",
        "Scaling: all-Keras trees of growing size",
        f"Generated trees of {', '.join(str(n) for n in args.sizes)} files (file i is the same in every tree).",
    )
    for size in args.sizes:
        if keras is not None and size == args.keras_files:
            scenario.points[size] = [r for r in keras.results if r.label != PARSE_FLOOR_LABEL and not r.label.startswith("sample:")]
            continue
        tree = work / f"keras-{size}"
        keras_corpus.write_tree(tree, size, seed=args.seed)
        scenario.points[size] = measure(
            tree_commands(tools, tree, work, f"scaling-{size}"), args.repeat, f"scaling {size}"
        )
        shutil.rmtree(tree, ignore_errors=True)
    return scenario


# --- report ----------------------------------------------------------------------------------


def fmt(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}f}"


def results_table(results: list[Measured], anchor: Measured | None) -> list[str]:
    lines = [
        "| command | wall s: median (min-max) | CPU s: median | peak RSS MB (one process) | x ruff E9 (wall) | x ruff E9 (CPU) |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        if not result.samples:
            continue
        wall, low, high = result.stat("wall")
        cpu = result.stat("cpu")[0]
        rss = result.stat("maxrss_mb")[2]
        ratio = fmt(wall / anchor.wall, 2) if anchor is not None and anchor.wall > 0 else "-"
        anchor_cpu = anchor.stat("cpu")[0] if anchor is not None else 0
        cpu_ratio = fmt(cpu / anchor_cpu, 2) if anchor_cpu > 0 else "-"
        codes = sorted({s.returncode for s in result.samples})
        unusual = result.normal_exits is not None and any(c not in result.normal_exits for c in codes)
        exit_note = f" (**exit {','.join(map(str, codes))}**)" if unusual else ""
        lines.append(
            f"| {result.label}{exit_note} | {fmt(wall)} ({fmt(low)}-{fmt(high)}) | {fmt(cpu)} | {rss:.0f} | {ratio} | {cpu_ratio} |"
        )
    return lines


def check(label: str, measured: float | None, limit: float, unit: str, higher_is_worse: bool = True) -> list[str]:
    if measured is None:
        return [f"| {label} | not measured | {limit:g}{unit} | - |"]
    met = measured <= limit if higher_is_worse else measured >= limit
    return [f"| {label} | {measured:.3g}{unit} | <= {limit:g}{unit} | {'met' if met else '**not met**'} |"]


def ratio(scenario: Scenario | None, label: str, anchor: str) -> float | None:
    if scenario is None:
        return None
    mine, theirs = scenario.get(label), scenario.get(anchor)
    if mine is None or theirs is None or not mine.samples or not theirs.samples:
        return None
    return mine.wall / theirs.wall


def targets(scenarios: dict[str, Scenario], args: argparse.Namespace) -> list[str]:
    mixed, keras, latency, scaling = (scenarios.get(n) for n in ("mixed", "keras", "latency", "scaling"))
    lines = ["| target (issue 8) | measured | limit | status |", "|---|---|---|---|"]
    lines += check("(a) mixed tree, cold: rnnlint / ruff E9 --no-cache", ratio(mixed, "rnnlint --no-cache (cold)", "ruff E9 --no-cache"), MIXED_COLD_RATIO, "x")
    lines += check("(a) mixed tree, warm: rnnlint / ruff E9 warm", ratio(mixed, "rnnlint warm cache", "ruff E9 warm cache"), MIXED_WARM_RATIO, "x")
    lines += check(
        f"(b) all-Keras tree ({args.keras_files} files), cold: rnnlint / ruff E9 --no-cache",
        ratio(keras, "rnnlint --no-cache (cold)", "ruff E9 --no-cache"),
        KERAS_COLD_RATIO,
        "x",
    )
    floor = ratio(keras, PARSE_FLOOR_LABEL, "ruff E9 --no-cache")
    if floor is not None:
        lines.append(f"| (b), for reference: reading and `ast.parse` alone / ruff E9 --no-cache | {floor:.3g}x | - | - |")
    for label in ("python -m rnnlint --no-cache small_model.py", "rnnlint --no-cache small_model.py (console script)"):
        result = latency.get(label) if latency else None
        lines += check(f"one small Keras file, whole process: `{label}`", result.wall if result else None, SMALL_FILE_SECONDS, " s")
    for label in ("python -m rnnlint --version", "rnnlint --version (console script)"):
        result = latency.get(label) if latency else None
        lines += check(f"`{label}`", result.wall if result else None, VERSION_SECONDS, " s")
    cold = mixed.get("rnnlint --no-cache (cold)") if mixed else None
    lines += check("peak memory on tree (a), rnnlint cold (largest single process)", cold.stat("maxrss_mb")[2] if cold else None, MIXED_PEAK_MB, " MB")
    zoo = scenarios.get("zoo")
    lines += check(
        "model-zoo checkout, cold: rnnlint / ruff E9 --no-cache (issue 19)",
        ratio(zoo, "rnnlint --no-cache (cold)", "ruff E9 --no-cache"),
        ZOO_COLD_RATIO,
        "x",
    )
    lines += check(
        "model-zoo checkout, warm: rnnlint / ruff E9 warm (issue 19)",
        ratio(zoo, "rnnlint warm cache", "ruff E9 warm cache"),
        ZOO_WARM_RATIO,
        "x",
    )
    lines += linearity(scaling)
    server = scenarios["server"].server if "server" in scenarios else None
    lines += check(
        "`rnnlint server`: diagnostics after a change to a 500-line Keras file (median)",
        statistics.median(server["samples"]) if server else None,
        SERVER_CHANGE_SECONDS,
        " s",
    )
    return lines


def linearity(scaling: Scenario | None) -> list[str]:
    points = scaling.points if scaling is not None else None
    if not points or len(points) < 2:
        return ["| time grows linearly with files | not measured | - | - |"]
    sizes = sorted(points)
    rows = []
    for label in ("rnnlint --no-cache (cold)", "rnnlint warm cache"):
        per_file = []
        for size in sizes[-2:]:
            result = next((r for r in points[size] if r.label == label), None)
            per_file.append(result.wall / size if result and result.samples else None)
        if None in per_file:
            continue
        growth = per_file[1] / per_file[0]
        status = "met" if growth <= LINEAR_SLACK else "**not met**"
        rows.append(
            f"| linear growth, {label}: time per file at {sizes[-1]} vs {sizes[-2]} files | {growth:.2f}x | <= {LINEAR_SLACK}x | {status} |"
        )
    return rows


def scaling_table(scaling: Scenario) -> list[str]:
    points = scaling.points
    sizes = sorted(points)
    labels = [r.label for r in points[sizes[0]]]
    lines = ["| command | " + " | ".join(f"{n} files: wall s (ms/file)" for n in sizes) + " |"]
    lines.append("|---|" + "---|" * len(sizes))
    for label in labels:
        cells = []
        for size in sizes:
            result = next((r for r in points[size] if r.label == label), None)
            cells.append(f"{fmt(result.wall)} ({result.wall / size * 1000:.2f})" if result and result.samples else "-")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def plot_scaling(scaling: Scenario, path: Path) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (`pip install matplotlib`, or the `bench` extra): no PNG was drawn."
    points = scaling.points
    sizes = sorted(points)
    labels = [r.label for r in points[sizes[0]]]
    # Left: linear axes (linear growth is a straight line); right: the same on a log scale,
    # where the fast commands are not flattened against the axis.
    figure, panels = plt.subplots(1, 2, figsize=(13, 5))
    for axes, scale in zip(panels, ("linear", "log")):
        for label in labels:
            series = [(n, next(r for r in points[n] if r.label == label)) for n in sizes]
            xs = [n for n, _ in series]
            medians = [r.stat("wall")[0] for _, r in series]
            lows = [m - r.stat("wall")[1] for m, (_, r) in zip(medians, series)]
            highs = [r.stat("wall")[2] - m for m, (_, r) in zip(medians, series)]
            axes.errorbar(xs, medians, yerr=[lows, highs], marker="o", capsize=3, label=label)
        axes.set_yscale(scale)
        axes.set_xlabel("files in the tree (all-Keras, generated)")
        axes.set_ylabel(f"wall seconds, {scale} scale (median, min-max bars)")
        axes.grid(True, alpha=0.3, which="both")
    panels[0].set_title("rnnlint vs ruff: time by tree size")
    panels[1].set_title("the same, log scale")
    panels[0].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return f"Plot: `{path}`"


def machine_lines(tools: Tools, start_load: str, end_load: str) -> list[str]:
    cpu = "?"
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    commit = version_of(["git", "-C", str(ROOT), "describe", "--always", "--dirty"])
    lines = [
        f"- date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
        f"- machine: {platform.platform()}, {os.cpu_count()} CPUs ({cpu})",
        f"- load average (1, 5, 15 min) at start: {start_load}; at end: {end_load}",
        f"- python: {sys.version.split()[0]} ({sys.executable})",
        f"- rnnlint: {version_of(tools.rnnlint('--version'))} from {ROOT} (commit {commit})",
        f"- ruff: {version_of([tools.ruff, '--version']) if tools.ruff else 'absent'}",
        f"- pylint: {version_of([*tools.pylint, '--version']) if tools.pylint else 'absent'}",
    ]
    return lines + [f"- note: {note}" for note in tools.notes]


def load() -> str:
    try:
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "?"


def write_report(path: Path, scenarios: dict[str, Scenario], args: argparse.Namespace, header: list[str]) -> str:
    lines = ["# rnnlint benchmark", "", *header, ""]
    lines += [
        f"Each command: 1 untimed run, then {args.repeat} timed runs (latency: {args.latency_repeat}) round-robin. "
        "Wall = elapsed seconds; CPU = user+system seconds of the process and the workers it reaped; "
        "peak RSS = ru_maxrss from os.wait4, the largest resident set of any single process of the command "
        "(rnnlint's main process or one worker; not their sum). Ratios divide medians from the same run; "
        "the targets use wall time, the CPU ratio shows the work done (steadier when the machine is shared).",
        "",
        "## Targets",
        "",
        *targets(scenarios, args),
        "",
    ]
    for name in ("mixed", "keras", "project", "tree", "zoo", "latency"):
        for key, scenario in scenarios.items():
            if key != name and not key.startswith(f"{name}:"):
                continue
            anchor = scenario.get("ruff E9 --no-cache") or scenario.get("ruff E9 --no-cache small_model.py")
            whole = [r for r in scenario.results if not r.label.startswith("sample:")]
            lines += [f"## {scenario.title}", "", scenario.description, "", *results_table(whole, anchor), ""]
            sample_anchor = scenario.get("sample: ruff E9 --no-cache")
            if sample_anchor is not None and any(r.label.startswith("sample:") for r in scenario.results):
                lines += ["On a sample of the tree, with pylint (ratios to ruff E9 on the same sample):", ""]
                lines += results_table([r for r in scenario.results if r.label.startswith("sample:")], sample_anchor)
                lines.append("")
            lines += [f"- {note}" for note in scenario.notes]
            lines.append("")
    server = scenarios.get("server")
    if server is not None:
        lines += [f"## {server.title}", "", server.description, "", *server_table(server), ""]
        lines += [f"- {note}" for note in server.notes]
        lines.append("")
    scaling = scenarios.get("scaling")
    if scaling is not None:
        table = scaling_table(scaling)
        plot_note = plot_scaling(scaling, path.parent / "scaling.png")
        (path.parent / "scaling.md").write_text("\n".join(["# Scaling", "", scaling.description, "", *table, ""]))
        lines += [f"## {scaling.title}", "", scaling.description, "", *table, "", plot_note, ""]
    text = "\n".join(lines)
    path.write_text(text)
    return text


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small trees and few repetitions: a smoke run")
    parser.add_argument("--repeat", type=int, help="timed runs per command (default 5; --quick 2)")
    parser.add_argument("--latency-repeat", type=int, help="timed runs per single-file command (default 10; --quick 3)")
    parser.add_argument("--pylint-repeat", type=int, help="timed runs of the pylint sample (default 3; --quick 1)")
    parser.add_argument("--pylint-sample", type=int, help="files in the pylint sample (default 100; --quick 3)")
    parser.add_argument("--keras-files", type=int, help="files in the all-Keras tree (default 2000; --quick 60)")
    parser.add_argument("--project-modules", type=int, help="modules in the multi-module project (default 300; --quick 30)")
    parser.add_argument("--mixed-limit", type=int, help="at most this many stdlib files in the mixed tree (default all; --quick 200)")
    parser.add_argument("--sizes", help="scaling tree sizes, comma-separated (default 500,2000,5000; --quick 30,60,120)")
    parser.add_argument("--tree", action="append", default=[], type=Path, help="a real tree to time as well (repeatable)")
    parser.add_argument("--only", help="comma-separated scenarios: mixed,keras,project,tree,zoo,scaling,latency,server (default: all)")
    parser.add_argument("--zoo-files", type=int, help="files in the model-zoo checkout (default 2500; --quick 150)")
    parser.add_argument("--baseline", type=Path, help="another rnnlint checkout to time beside this one (before/after rows)")
    parser.add_argument("--server-rounds", type=int, help="changes timed in the server scenario (default 30; --quick 3)")
    parser.add_argument("--tools", help="comma-separated optional tools to use: ruff,pylint (default: both when installed)")
    parser.add_argument("--jobs", type=int, help="pass --jobs N to rnnlint (default: rnnlint's own default, all cores)")
    parser.add_argument("--seed", type=int, default=8, help="seed of the generated Keras files and the pylint sample")
    parser.add_argument("--results", type=Path, default=ROOT / "bench-results", help="where the report goes")
    parser.add_argument("--work-dir", type=Path, help="where corpora are built (default: a fresh temporary directory)")
    parser.add_argument("--keep-work-dir", action="store_true", help="do not delete the corpora afterwards")
    args = parser.parse_args(argv)
    quick = args.quick
    defaults = {
        "repeat": 2 if quick else 5,
        "latency_repeat": 3 if quick else 10,
        "pylint_repeat": 1 if quick else 3,
        "pylint_sample": 3 if quick else 100,
        "keras_files": 60 if quick else 2000,
        "mixed_limit": 200 if quick else None,
        "server_rounds": 3 if quick else 30,
        "project_modules": 30 if quick else 300,
        "zoo_files": 150 if quick else 2500,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.sizes = [int(s) for s in (args.sizes or ("30,60,120" if quick else "500,2000,5000")).split(",")]
    args.only = set(args.only.split(",")) if args.only else {"mixed", "keras", "project", "tree", "zoo", "scaling", "latency", "server"}
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tools = find_tools(args)
    start_load = load()
    work = (args.work_dir or Path(tempfile.mkdtemp(prefix="rnnlint-bench-"))).absolute()
    if args.work_dir is not None:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    repository = inside_git_worktree(work)
    if repository is not None:
        tools.notes.append(
            f"the corpora sit inside the git work tree {repository}: its .gitignore applies to every tool alike"
        )
    args.results.mkdir(parents=True, exist_ok=True)
    scenarios: dict[str, Scenario] = {}
    try:
        if "mixed" in args.only:
            tree = work / "mixed"
            stdlib_count, keras_count, planted = build_mixed(tree, args.mixed_limit, args.seed)
            scenario = Scenario(
                "mixed",
                "(a) Mixed tree: the standard library plus ~5% Keras files",
                f"{stdlib_count} `.py` files copied from {sysconfig.get_paths()['stdlib']} (no site-packages) "
                f"plus {keras_count} generated Keras files ({planted} planted bugs).",
            )
            run_tree_scenario(scenario, tools, tree, work, args)
            scenario.notes.append(found_note(scenario, planted))
            scenarios["mixed"] = scenario
        keras = None
        if "keras" in args.only:
            tree = work / f"keras-{args.keras_files}"
            planted = keras_corpus.write_tree(tree, args.keras_files, seed=args.seed)
            keras = Scenario(
                "keras",
                f"(b) All-Keras tree: {args.keras_files} generated files",
                f"{args.keras_files} files from scripts/keras_corpus.py (seed {args.seed}), 3-6 recurrent models each, "
                f"~170 lines per file; {planted} planted bugs.",
            )
            run_tree_scenario(keras, tools, tree, work, args, floor=True)
            keras.notes.append(found_note(keras, planted))
            scenarios["keras"] = keras
        if "project" in args.only:
            scenarios["project"] = run_project(tools, work, args)
        if "tree" in args.only:
            for number, path in enumerate(args.tree):
                path = path.absolute()
                scenario = Scenario(
                    f"tree{number}", f"(c) Real tree: {path}", f"{len(python_files(path))} `.py` files, read in place."
                )
                run_tree_scenario(scenario, tools, path, work, args)
                scenarios[f"tree:{number}"] = scenario
        if "zoo" in args.only:
            scenarios["zoo"] = run_zoo(tools, work, args)
        if "scaling" in args.only:
            scenarios["scaling"] = run_scaling(tools, work, args, keras)
        if "latency" in args.only:
            scenarios["latency"] = run_latency(tools, work, args)
        if "server" in args.only:
            scenarios["server"] = run_server(tools, work, args)
    finally:
        if not args.keep_work_dir:
            shutil.rmtree(work, ignore_errors=True)
    header = machine_lines(tools, start_load, load())
    report = write_report(args.results / "report.md", scenarios, args, header)
    raw = {
        name: {
            "title": s.title,
            "results": [asdict(r) for r in s.results],
            "points": {str(n): [asdict(r) for r in rs] for n, rs in s.points.items()},
            "server": s.server,
        }
        for name, s in scenarios.items()
    }
    (args.results / "samples.json").write_text(json.dumps({"header": header, "scenarios": raw}, indent=1))
    print(report)
    print(f"\nWritten: {args.results / 'report.md'}, {args.results / 'samples.json'}", file=sys.stderr)
    return 0


def found_note(scenario: Scenario, planted: int) -> str:
    cold = scenario.get("rnnlint --no-cache (cold)")
    found = cold.findings if cold else None
    agreement = "as planted" if found == planted else "**differs from what was planted**"
    return f"rnnlint reported {found} findings on the generated files; the generator planted {planted} ({agreement})."


if __name__ == "__main__":
    sys.exit(main())
