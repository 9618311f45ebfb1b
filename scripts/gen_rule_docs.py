"""The rule pages of the documentation site, generated from each rule's own docstring and examples.

As a MkDocs hook (mkdocs.yml `hooks:`), it adds `rules/index.md` and one `rules/<code>.md` per rule
to the site while it is built, and lists them in the navigation under "Rules"; nothing is written
into docs/, so a page can never be stale.  Each page is at `rule_url(code)`
(rnnlint.diagnostics), the `url` every finding carries; tests/test_docs.py builds the site and checks
that each of those URLs is a page.

    python scripts/gen_rule_docs.py OUT_DIR     # write the same pages to OUT_DIR, to read them
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rnnlint.diagnostics import DOCS_BASE_URL, rule_url  # noqa: E402
from rnnlint.rules import all_rules  # noqa: E402

RULES = "rules"
INDEX = f"{RULES}/index.md"
NAV_TITLE = "Rules"


def page_path(code: str) -> str:
    """Where a rule's page lives in the site's sources: its URL is DOCS_BASE_URL + rules/<code>/."""
    return f"{RULES}/{code.lower()}.md"


def _fence(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```\n"


def rule_page(rule: type) -> str:
    default = "on" if rule.on_by_default() else "off (a hint: select it, e.g. `--extend-select " + rule.code + "`)"
    fixes = [example for example in rule.invalid if example.fixed is not None]
    if not fixes:
        fix = "none"
    elif all(example.unsafe_fix for example in fixes):
        fix = "unsafe (applied with `--fix --unsafe-fixes`)"
    else:
        fix = "available (see *Fix safety*)"
    parts = [
        f"# {rule.code}: {rule.name}\n",
        f"{rule.summary[:1].upper()}{rule.summary[1:]}.\n",
        f"| severity | default | fix |\n|---|---|---|\n| {rule.severity.value} | {default} | {fix} |\n",
        rule.documentation().strip() + "\n",
    ]
    examples = _tested_examples(rule)
    if examples:
        parts.append(examples)
    parts.append(
        f"`rnnlint rule {rule.code}` prints this page in a terminal; "
        f"`# noqa: {rule.code}` on the reported line suppresses a finding ([Suppressing findings](../suppressing.md)).\n"
    )
    return "\n".join(parts)


def _tested_examples(rule: type) -> str:
    """The rule's VALID and INVALID examples, which the test suite runs (tests/test_rules.py)."""
    lines = []
    for example in rule.invalid:
        lines.append("Flagged:\n\n" + _fence(example.code))
        if example.fixed is not None:
            how = "`--fix --unsafe-fixes`" if example.unsafe_fix else "`--fix`"
            lines.append(f"After {how}:\n\n" + _fence(example.fixed))
    for code in rule.valid:
        lines.append("Not flagged:\n\n" + _fence(code))
    if not lines:
        return ""
    body = "\n".join(lines)
    indented = "\n".join(("    " + line) if line else "" for line in body.splitlines())
    return f'??? example "Examples the test suite runs"\n\n{indented}\n'


def index_page() -> str:
    rows = "\n".join(
        f"| [{rule.code}]({rule.code.lower()}.md) | {rule.name} | {rule.severity.value} | "
        f"{'on' if rule.on_by_default() else 'off'} | {rule.summary.replace('|', '&#124;')} |"
        for rule in all_rules()
    )
    example = rule_url("RNN101")
    return (
        "# Rules\n\n"
        "The contract is the catalogue of codes (stable; never reused). Error and warning rules are\n"
        "on by default; hints are off unless selected (`--select ALL`, `--extend-select RNN5`, or a code).\n\n"
        "| code | name | severity | default | what it flags |\n|---|---|---|---|---|\n"
        f"{rows}\n\n"
        "Each page is generated from the rule's own documentation when the site is built. A finding's\n"
        f"`url` (in JSON output, SARIF's `helpUri`, the language server's code description) is its rule's\n"
        f"page: `{DOCS_BASE_URL}rules/<code>/`, e.g. <{example}>.\n"
    )


def pages() -> dict[str, str]:
    """Every generated page: source path (relative to docs/) -> markdown."""
    generated = {INDEX: index_page()}
    for rule in all_rules():
        generated[page_path(rule.code)] = rule_page(rule)
    return generated


# --- the MkDocs hook ---------------------------------------------------------------------------------


def on_config(config):  # noqa: ANN001, ANN201 - MkDocs' config object
    """List every rule page under the navigation's "Rules" entry."""
    nav = config.get("nav") or []
    for index, item in enumerate(nav):
        if isinstance(item, dict) and item.get(NAV_TITLE) == INDEX:
            entries = [INDEX] + [{f"{rule.code} {rule.name}": page_path(rule.code)} for rule in all_rules()]
            nav[index] = {NAV_TITLE: entries}
    return config


def on_files(files, config):  # noqa: ANN001, ANN201 - MkDocs' Files and config
    from mkdocs.structure.files import File

    for path, content in pages().items():
        files.append(File.generated(config, path, content=content))
    return files


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    for path, content in pages().items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(content, encoding="utf-8")
    print(f"wrote {len(pages())} pages to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
