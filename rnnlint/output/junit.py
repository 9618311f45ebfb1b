"""JUnit XML shaped like ruff's: one test suite per file, one failing test case per finding.

File names and messages are escaped (rnnlint.output.escape): a control character
copied from the code would make the XML ill-formed (XML 1.0 forbids it even as a
character reference), and a reader must never see one raw.

CI systems that understand test reports (GitLab, Jenkins, Azure) then list the
findings beside the tests.  A clean run is one passing test case.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import PurePath

from rnnlint.diagnostics import Diagnostic
from rnnlint.output._common import span
from rnnlint.output.escape import printable

PACKAGE = "org.rnnlint"


def _suite(name: str, tests: int, failures: int) -> ET.Element:
    return ET.Element(
        "testsuite",
        name=name,
        tests=str(tests),
        disabled="0",
        errors="0",
        failures=str(failures),
        package=PACKAGE,
    )


def _class_name(filename: str) -> str:
    path = printable(PurePath(filename).as_posix())
    return posixpath.splitext(path)[0]


def as_element(diagnostics: Sequence[Diagnostic]) -> ET.Element:
    report = ET.Element(
        "testsuites", name="rnnlint", tests=str(len(diagnostics)), failures=str(len(diagnostics)), errors="0"
    )
    if not diagnostics:
        suite = _suite("rnnlint", 1, 0)
        ET.SubElement(suite, "testcase", name="No errors found", classname="rnnlint")
        report.append(suite)
        return report
    by_file: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        by_file.setdefault(diagnostic.filename, []).append(diagnostic)
    for filename, found in by_file.items():
        suite = _suite(printable(filename), len(found), len(found))
        for diagnostic in found:
            start, _, message = span(diagnostic)
            message = printable(message)
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{PACKAGE}.{diagnostic.code}",
                classname=_class_name(filename),
                line=str(start.row),
                column=str(start.column),
            )
            failure = ET.SubElement(case, "failure", message=message)
            failure.text = f"line {start.row}, col {start.column}, {message}"
        report.append(suite)
    return report


def render(diagnostics: Sequence[Diagnostic], **_: object) -> str:
    report = as_element(diagnostics)
    ET.indent(report, space="    ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(report, encoding="unicode") + "\n"
