"""Every rule's VALID and INVALID examples, run as tests (generated from the rules, no hand list)."""

from __future__ import annotations

import ast
import re

import pytest

from rnnlint.api import lint_source
from rnnlint.diagnostics import Applicability
from rnnlint.fix import fix_text
from rnnlint.rules import all_rules
from rnnlint.settings import Selection, Settings

RULES = all_rules()
SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety")


def only(code: str) -> Settings:
    return Settings(selection=Selection(select=(code,)))


def examples(kind: str):
    for rule in RULES:
        for number, example in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, example, id=f"{rule.code}-{kind}-{number}")


@pytest.mark.parametrize(("rule", "code"), examples("valid"))
def test_valid_example_is_silent(rule, code):
    found = [d for d in lint_source(code, "example.py", only(rule.code)) if d.code == rule.code]
    assert found == [], f"{rule.code} fired on a VALID example: {[d.message for d in found]}"


@pytest.mark.parametrize(("rule", "example"), examples("invalid"))
def test_invalid_example_is_reported(rule, example):
    found = [d for d in lint_source(example.code, "example.py", only(rule.code)) if d.code == rule.code]
    assert len(found) == example.count, [d.message for d in found]
    for diagnostic in found:
        assert diagnostic.message
        assert diagnostic.end_location >= diagnostic.location
    if example.fixed is not None:
        result = fix_text(example.code, lambda t: lint_source(t, "example.py", only(rule.code)), unsafe=example.unsafe_fix)
        assert result.text == example.fixed
        kinds = {d.fix.applicability for d in found if d.fix}
        assert (Applicability.UNSAFE in kinds) == example.unsafe_fix


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_is_documented(rule):
    assert re.fullmatch(r"RNN\d{3}", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.summary and not rule.summary.endswith(".")
    doc = rule.documentation()
    positions = [doc.find(section) for section in SECTIONS]
    assert -1 not in positions, f"{rule.code} docstring lacks a section of {SECTIONS}"
    assert positions == sorted(positions)
    assert rule.invalid, "every rule needs INVALID examples"
    assert rule.valid, "every rule needs VALID examples (clean look-alikes)"
    for example in rule.valid + [i.code for i in rule.invalid]:
        if rule.code != "RNN001":
            ast.parse(example)


def test_codes_and_names_are_unique():
    codes = [rule.code for rule in RULES]
    names = [rule.name for rule in RULES]
    assert len(codes) == len(set(codes))
    assert len(names) == len(set(names))


def test_rule_modules_are_named_after_their_rule():
    for rule in RULES:
        module = rule.__module__.rsplit(".", 1)[-1]
        assert module.startswith(rule.code.lower() + "_"), module
