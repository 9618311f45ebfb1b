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


# --- real Keras (the `trace` extra), shared by the keras-marked tests -------------------------
import pytest  # noqa: E402


def keras_missing(target_keras: int = 3):
    from rnnlint.confirm import missing_keras

    return missing_keras(target_keras)


@pytest.fixture(scope="session")
def keras_worker():
    """One confirm worker for the whole session: TensorFlow's import costs seconds."""
    if keras_missing():
        pytest.skip("Keras/TensorFlow not installed (pip install -e '.[trace]')")
    from rnnlint.confirm.runner import Worker

    worker = Worker(3, timeout=120)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def keras2_worker():
    """The Keras 2 leg: tf-keras (TF_USE_LEGACY_KERAS=1), for `--target-keras 2`."""
    if keras_missing(2):
        pytest.skip("tf-keras not installed (pip install -e '.[trace]')")
    from rnnlint.confirm.runner import Worker

    worker = Worker(2, timeout=120)
    worker.start()
    yield worker
    worker.stop()
