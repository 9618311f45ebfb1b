"""The catalogue is complete (every code of the contract exists) and `rnnlint rule --all` lists it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rnnlint.rules import all_rules
from rnnlint.settings import Selection

ROOT = Path(__file__).resolve().parent.parent

# The contract (RULES.md): code -> severity.
CONTRACT = {
    "RNN001": "error", "RNN002": "hint",
    "RNN101": "error", "RNN102": "error", "RNN103": "error", "RNN104": "error",
    "RNN201": "error", "RNN202": "warning", "RNN203": "error", "RNN204": "warning",
    "RNN301": "error", "RNN302": "error", "RNN303": "error", "RNN304": "error",
    "RNN401": "error", "RNN402": "warning", "RNN403": "hint", "RNN404": "hint", "RNN405": "warning",
    "RNN501": "hint", "RNN502": "hint",
}  # fmt: skip


def test_every_contract_rule_exists_with_its_severity():
    rules = {rule.code: rule.severity.value for rule in all_rules()}
    for code, severity in CONTRACT.items():
        assert rules.get(code) == severity, code
    assert set(rules) == set(CONTRACT)


def test_hints_are_off_by_default_and_selectable():
    hints = [rule for rule in all_rules() if rule.severity.value == "hint"]
    assert {rule.code for rule in hints} >= {"RNN403", "RNN404", "RNN501", "RNN502"}
    for rule in hints:
        assert not Selection().enables(rule.code, rule.severity)
        assert Selection(select=("ALL",)).enables(rule.code, rule.severity)
        assert Selection(extend_select=(rule.code[:4],)).enables(rule.code, rule.severity)


def test_rule_all_lists_every_rule_with_severity_and_default():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    listing = subprocess.run(
        [sys.executable, "-m", "rnnlint", "rule", "--all"], capture_output=True, text=True, env=env, check=True
    ).stdout.splitlines()
    rows = {line.split()[0]: line.split() for line in listing[1:]}
    for rule in all_rules():
        row = rows[rule.code]
        assert row[1] == rule.name and row[2] == rule.severity.value
        assert row[3] == ("off" if rule.severity.value == "hint" else "on")
