"""`# noqa` forms, file-level `# rnnlint: noqa`, multi-line spans, RNN002 and --add-noqa."""

from __future__ import annotations

import ast

import pytest

from rnnlint.api import lint_source
from rnnlint.settings import Selection, Settings
from rnnlint.suppress import add_noqa, read_comments

HEADER = "from keras.layers import LSTM\n"
FINDING = "out, h, c = LSTM(8)(x)"  # RNN101 on this line
WITH_NOQA2 = Settings(selection=Selection(extend_select=("RNN002",)))


def codes(text: str, settings: Settings | None = None) -> list[tuple[int, str]]:
    return [(d.location.row, d.code) for d in lint_source(text, "x.py", settings)]


def test_unsuppressed_finding_is_reported():
    assert codes(HEADER + FINDING + "\n") == [(2, "RNN101")]


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa",
        "# NOQA",
        "#noqa",
        "# noqa: RNN101",
        "# noqa:RNN101",
        "# noqa : RNN101",
        "# noqa: rnn101",
        "# noqa: E501,RNN101",
        "# noqa: E501, RNN101",
        "# noqa: E501 RNN101",
        "# noqa: RNN1",  # a prefix, as in flake8
        "# noqa: RNN",
        "# type: ignore  # noqa: RNN101",
        "# noqa: RNN101 -- the states are read elsewhere",
    ],
)
def test_noqa_forms_suppress(comment: str):
    assert codes(f"{HEADER}{FINDING}  {comment}\n") == []


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa: RNN102",  # another code
        "# noqa: RNN2",  # another prefix
        "# noqa: E501",  # another tool's code
        "# no qa",
        "# rnnlint: RNN101",
    ],
)
def test_noqa_for_something_else_does_not_suppress(comment: str):
    assert codes(f"{HEADER}{FINDING}  {comment}\n") == [(2, "RNN101")]


def test_noqa_inside_a_string_does_not_count():
    text = HEADER + 'out, h, c = LSTM(8)(x, name="# noqa")\n'
    assert codes(text) == [(2, "RNN101")]
    text = HEADER + 'note = """\n# noqa\n"""\n' + FINDING + "\n"
    assert codes(text) == [(5, "RNN101")]


def test_noqa_on_another_line_does_not_suppress():
    text = HEADER + "# noqa: RNN101\n" + FINDING + "\n"
    assert codes(text) == [(3, "RNN101")]


MULTILINE = HEADER + "out, h, c = LSTM(  {first}\n    8,  {middle}\n)(x)  {last}\n"


@pytest.mark.parametrize("where", ["first", "last"])
def test_multiline_span_suppressed_on_first_or_last_line(where: str):
    comments = {"first": "", "middle": "", "last": ""}
    comments[where] = "# noqa: RNN101"
    text = MULTILINE.format(**comments)
    assert codes(text) == []


def test_multiline_span_not_suppressed_on_a_middle_line():
    text = MULTILINE.format(first="", middle="# noqa: RNN101", last="")
    assert codes(text) == [(2, "RNN101")]


def test_file_level_noqa():
    body = HEADER + FINDING + "\nseq = LSTM(4)(LSTM(8)(x))\n"  # RNN101 and RNN201
    assert sorted(c for _, c in codes(body)) == ["RNN101", "RNN201"]
    assert codes("# rnnlint: noqa\n" + body) == []
    assert codes("# rnnlint: noqa: RNN101\n" + body) == [(4, "RNN201")]
    assert codes("# rnnlint: noqa: RNN2\n" + body) == [(3, "RNN101")]
    assert codes(body + "# RNNLINT: NOQA: RNN101, RNN201\n") == []
    # flake8's file-level form belongs to flake8.
    assert len(codes("# flake8: noqa\n" + body)) == 2


def test_comments_are_read_only_when_the_file_mentions_noqa():
    assert read_comments(HEADER + FINDING + "  # a comment\n").lines == {}
    found = read_comments(HEADER + FINDING + "  # noqa: RNN101, E501\n")
    [directive] = found.lines[2]
    assert directive.codes == ("RNN101", "E501")


# --- RNN002 --------------------------------------------------------------------------------


def test_rnn002_is_off_by_default():
    assert codes(HEADER + "encoder = LSTM(8)  # noqa: RNN101\n") == []


def test_rnn002_reports_an_unused_code():
    found = lint_source(HEADER + "encoder = LSTM(8)  # noqa: RNN101\n", "x.py", WITH_NOQA2)
    [diagnostic] = found
    assert diagnostic.code == "RNN002"
    assert (diagnostic.location.row, diagnostic.location.column) == (2, 20)
    assert diagnostic.end_location.column == 20 + len("# noqa: RNN101")
    assert "RNN101" in diagnostic.message


def test_rnn002_judges_against_every_rule_not_only_the_enabled_ones():
    # RNN101 is not selected, but would report here: the noqa is not stale.
    only_noqa = Settings(selection=Selection(select=("RNN002",)))
    assert codes(f"{HEADER}{FINDING}  # noqa: RNN101\n", only_noqa) == []


def test_rnn002_leaves_bare_noqa_and_other_tools_alone():
    assert codes(HEADER + "encoder = LSTM(8)  # noqa\n", WITH_NOQA2) == []
    assert codes(HEADER + "encoder = LSTM(8)  # noqa: E501, F401\n", WITH_NOQA2) == []


def test_rnn002_reports_unknown_codes():
    [diagnostic] = lint_source(HEADER + "encoder = LSTM(8)  # noqa: RNN999\n", "x.py", WITH_NOQA2)
    assert "RNN999 is not an rnnlint code" in diagnostic.message


def test_rnn002_can_itself_be_suppressed():
    text = HEADER + "encoder = LSTM(8)  # noqa: RNN101, RNN002\n"
    assert codes(text, WITH_NOQA2) == []


def test_rnn002_multiline_noqa_on_the_last_line_is_used():
    text = MULTILINE.format(first="", middle="", last="# noqa: RNN101")
    assert codes(text, WITH_NOQA2) == []


def test_rnn002_file_level_with_codes():
    assert codes("# rnnlint: noqa: RNN101\n" + HEADER + FINDING + "\n", WITH_NOQA2) == []
    assert codes("# rnnlint: noqa: RNN203\n" + HEADER + FINDING + "\n", WITH_NOQA2) == [(1, "RNN002"), (3, "RNN101")]


# --- --add-noqa ----------------------------------------------------------------------------


def add(text: str) -> str:
    return add_noqa(text, lint_source(text, "x.py")).text


def test_add_noqa_suppresses_every_finding_and_is_idempotent():
    text = HEADER + FINDING + "\nseq = LSTM(4)(LSTM(8)(x))  # a remark\n"
    added = add(text)
    assert added == HEADER + FINDING + "  # noqa: RNN101\nseq = LSTM(4)(LSTM(8)(x))  # a remark  # noqa: RNN201\n"
    assert codes(added) == []
    assert add(added) == added


def test_add_noqa_merges_with_existing_codes():
    text = HEADER + FINDING + "  # noqa: E501\n"
    assert add(text) == HEADER + FINDING + "  # noqa: E501, RNN101\n"


def test_add_noqa_uses_the_last_line_when_the_first_cannot_carry_a_comment():
    text = HEADER + "out, h, c = \\\n    LSTM(8)(x)\n"
    added = add(text)
    assert added == HEADER + "out, h, c = \\\n    LSTM(8)(x)  # noqa: RNN101\n"
    ast.parse(added)
    assert codes(added) == []


def test_add_noqa_keeps_crlf_and_trailing_blanks_give_way():
    text = (HEADER + FINDING + "   \n").replace("\n", "\r\n")
    assert add(text) == (HEADER + FINDING + "  # noqa: RNN101\n").replace("\n", "\r\n")
