"""ruff's exit-code rules for --exit-zero and --exit-non-zero-on-fix (the fix count comes from --fix)."""

from __future__ import annotations

import argparse

import pytest

from rnnlint.cli import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, _check_parser, _exit_code


def args(*flags: str) -> argparse.Namespace:
    return _check_parser().parse_args([*flags, "x.py"])


@pytest.mark.parametrize(
    ("flags", "remaining", "failed", "fixed", "expected"),
    [
        ((), 0, False, 0, EXIT_CLEAN),
        ((), 1, False, 0, EXIT_FINDINGS),
        ((), 0, False, 2, EXIT_CLEAN),  # everything fixed: clean, as ruff --fix
        (("--exit-non-zero-on-fix",), 0, False, 2, EXIT_FINDINGS),
        (("--exit-non-zero-on-fix",), 0, False, 0, EXIT_CLEAN),
        (("--exit-non-zero-on-fix",), 1, False, 0, EXIT_FINDINGS),
        (("--exit-zero",), 3, False, 0, EXIT_CLEAN),
        (("--exit-zero", "--exit-non-zero-on-fix"), 0, False, 1, EXIT_CLEAN),  # --exit-zero wins, as in ruff
        (("--exit-zero",), 3, True, 0, EXIT_ERROR),  # a file that could not be analysed is never clean
        (("--exit-non-zero-on-fix",), 0, True, 1, EXIT_ERROR),
    ],
)
def test_exit_code(flags, remaining, failed, fixed, expected) -> None:
    assert _exit_code(args(*flags), ["finding"] * remaining, failed=failed, fixed=fixed) == expected
