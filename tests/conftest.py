import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pytest_addoption(parser):
    parser.addoption(
        "--fuzz-long", action="store_true", help="run the fuzz tests long and random (also: RNNLINT_FUZZ_LONG=1)"
    )


def pytest_configure(config):
    if config.getoption("--fuzz-long"):
        from tests import fuzzing

        fuzzing.LONG = True


def pytest_terminal_summary(terminalreporter):
    fuzzing = sys.modules.get("tests.fuzzing")
    if fuzzing is not None and fuzzing.COUNTS:
        mode = "long" if fuzzing.LONG else "default"
        terminalreporter.write_sep("-", f"fuzz inputs tried ({mode} budget)")
        for name, count in sorted(fuzzing.COUNTS.items()):
            terminalreporter.write_line(f"{name}: {count}")
