"""Fixture files carry their expected findings as trailing `# expect: RNN201` comments.

Every `.py` file under tests/fixtures (except fix goldens, whose names end in
`.before.py`/`.after.py`) is linted with every rule selected; the (line, code)
pairs found must equal the pairs expected, no more and no fewer.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from rnnlint.api import lint_file
from rnnlint.settings import Selection, Settings

FIXTURES = Path(__file__).parent / "fixtures"
EXPECT = re.compile(r"#\s*expect:\s*(RNN\d{3}(?:\s*,\s*RNN\d{3})*)")
ALL = Settings(selection=Selection(select=("ALL",)))


def fixture_files() -> list[Path]:
    return sorted(
        p for p in FIXTURES.rglob("*.py") if not p.name.endswith((".before.py", ".after.py"))
    )


def expected(path: Path) -> Counter:
    found: Counter = Counter()
    for row, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            found.update((row, code.strip()) for code in match.group(1).split(","))
    return found


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture(path: Path):
    result = lint_file(path, ALL)
    actual = Counter((d.location.row, d.code) for d in result.diagnostics)
    messages = {(d.location.row, d.code): d.message for d in result.diagnostics}
    want = expected(path)
    missing = want - actual
    unexpected = actual - want
    assert not missing and not unexpected, (
        f"missing: {sorted(missing)}\nunexpected: {sorted((k, messages[k]) for k in unexpected)}"
    )


def test_every_fixture_file_was_collected():
    assert len(fixture_files()) >= 10
