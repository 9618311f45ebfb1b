"""The documentation: the README (the front door) and the MkDocs site under docs/.

The site is really built (`mkdocs build --strict`, with the rule-page hook) when the docs extra is
installed, as .ci/run installs it, and every rule code's URL must be one of its pages.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rnnlint.cli import _check_parser
from rnnlint.diagnostics import DOCS_BASE_URL, rule_url
from rnnlint.rules import all_rules
from tests.helpers import ROOT, run_cli

README = ROOT / "README.md"
DOCS = ROOT / "docs"
MKDOCS_YML = ROOT / "mkdocs.yml"
sys.path.insert(0, str(ROOT / "scripts"))
import gen_rule_docs  # noqa: E402

def readme() -> str:
    return README.read_text(encoding="utf-8")


def headings(text: str) -> list[str]:
    inside_fence = False
    found = []
    for line in text.splitlines():
        if line.startswith("```"):
            inside_fence = not inside_fence
        elif not inside_fence and line.startswith("#"):
            found.append(line)
    return found


# --- the README --------------------------------------------------------------------------------------


def test_readme_is_at_most_12_kb():
    assert len(README.read_bytes()) <= 12 * 1024


def test_readme_is_in_the_order_a_newcomer_needs():
    assert headings(readme()) == [
        "# rnnlint",
        "## What it catches",
        "## Install",
        "## Two commands",
        "## pre-commit",
        "## CI",
        "## Editor",
        "## Documentation",
    ]


def test_readme_example_is_the_example_file_and_its_output_is_todays():
    text = readme()
    example = (ROOT / "examples" / "broken_seq2seq.py").read_text(encoding="utf-8")
    assert len(example.splitlines()) == 10
    assert f"```python\n{example}```" in text
    shown = re.search(r"```console\n\$ rnnlint examples/\n(.*?)```", text, re.DOTALL).group(1)
    result = run_cli("--no-cache", "examples/", cwd=ROOT)
    assert result.returncode == 1  # "a run with findings exits 1", as the README says
    assert shown == result.stdout
    assert "exits 1" in text
    # The docs' home page shows the same findings.
    home = (DOCS / "index.md").read_text(encoding="utf-8")
    for line in result.stdout.splitlines()[:3]:
        assert line in home


def test_readme_claim_that_unsafe_fixes_mend_all_three_mistakes(tmp_path):
    shutil.copy(ROOT / "examples" / "broken_seq2seq.py", tmp_path / "broken_seq2seq.py")
    result = run_cli("--no-cache", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "Found 3 errors (3 fixed, 0 remaining)." in result.stdout
    assert run_cli("--no-cache", "--select", "ALL", ".", cwd=tmp_path).returncode == 0


def test_readme_test_command_is_what_ci_runs():
    commands = re.findall(r"```sh\n(.*?)```", readme(), re.DOTALL)
    (suite,) = [c.strip() for c in commands if "pytest" in c]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert suite in ci
    assert any(line.split() and "mkdocs build --strict" in line for line in ci)
    installed = re.search(r"\.\[([\w,]+)\]", suite).group(1).split(",")
    assert {"test", "docs"} <= set(installed)  # the docs extra: the site test below really builds


def test_readme_install_is_honest():
    text = readme()
    assert "pip install rnnlint" not in text  # not published on PyPI
    assert 'pip install "git+https://github.com/rnnlint/rnnlint"' in text
    assert "git clone https://github.com/rnnlint/rnnlint" in text


def test_readme_links_resolve():
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme()):
        if target.startswith(("http://", "https://")):
            continue
        assert (ROOT / target).exists(), target


def test_readme_points_to_the_editor_docs_and_server():
    text = readme()
    editor = text[text.index("## Editor") : text.index("## Documentation")]
    assert "`rnnlint server`" in editor and "(docs/editors.md)" in editor


# --- the site's sources ------------------------------------------------------------------------------


def site_url() -> str:
    # mkdocs.yml holds a `!!python/name` tag that yaml.safe_load refuses: read the one key.
    return re.search(r"^site_url:\s*(\S+)\s*$", MKDOCS_YML.read_text(encoding="utf-8"), re.MULTILINE).group(1)


def nav_pages() -> list[str]:
    return re.findall(r"^\s*- [^:]+:\s*\"?([\w/.-]+\.md)\"?\s*$", MKDOCS_YML.read_text(encoding="utf-8"), re.MULTILINE)


def test_the_base_url_is_the_sites():
    assert site_url() == DOCS_BASE_URL
    assert DOCS_BASE_URL.endswith("/")


def test_every_rule_page_is_where_its_url_points():
    pages = gen_rule_docs.pages()
    for rule in all_rules():
        path = gen_rule_docs.page_path(rule.code)
        assert path in pages
        # With MkDocs' directory URLs, rules/rnn101.md is served at rules/rnn101/.
        assert DOCS_BASE_URL + path.removesuffix(".md") + "/" == rule_url(rule.code)
        page = pages[path]
        assert page.startswith(f"# {rule.code}: {rule.name}\n")
        assert rule.documentation().strip() in page
    index = pages[gen_rule_docs.INDEX]
    assert all(f"[{rule.code}]({rule.code.lower()}.md)" in index for rule in all_rules())


def test_every_page_is_in_the_nav_and_every_nav_entry_exists():
    written = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    listed = set(nav_pages())
    generated = set(gen_rule_docs.pages())
    assert listed - generated <= written, listed - generated - written
    assert written <= listed, written - listed  # no orphan page


def test_nothing_the_old_readme_said_is_lost():
    """The README shrank to a front door; every option of `check` is still documented on the site."""
    site = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.rglob("*.md"))
    options = {o for action in _check_parser()._actions for o in action.option_strings if o.startswith("--")}
    options -= {"--help"}
    negations = {o for o in options if o.startswith("--no-") and "--" + o[5:] in options}  # --fix / --no-fix
    documented = {o for o in options - negations if o in site or o.replace("--", "--[no-]", 1) in site}
    assert options - negations - documented == set()


# --- the built site ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        pytest.skip("the docs extra is not installed (pip install -e '.[docs]')")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f"{shlex.join(command)}\n{result.stdout}{result.stderr}"
    return out


def test_every_rule_codes_url_resolves_to_a_built_page(site):
    for rule in all_rules():
        relative = rule_url(rule.code).removeprefix(DOCS_BASE_URL)
        page = site / relative / "index.html"
        assert page.is_file(), rule_url(rule.code)
        html = page.read_text(encoding="utf-8")
        assert rule.name in html and "What it does" in html


def test_the_finding_urls_of_every_output_resolve(site, tmp_path):
    """What JSON and SARIF carry, for a real finding, is a built page."""
    import json

    (tmp_path / "m.py").write_text("from keras.layers import LSTM\nout, h, c = LSTM(8)(x)\n")
    (item,) = json.loads(run_cli("--no-cache", "--output-format", "json", "m.py", cwd=tmp_path).stdout)
    sarif = json.loads(run_cli("--no-cache", "--output-format", "sarif", "m.py", cwd=tmp_path).stdout)
    urls = [item["url"]] + [rule["helpUri"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]]
    for url in urls:
        assert url.startswith(DOCS_BASE_URL)
        assert (site / url.removeprefix(DOCS_BASE_URL) / "index.html").is_file(), url


def test_every_nav_page_is_built(site):
    for page in nav_pages():
        built = site / (
            "index.html" if page == "index.md" else page.removesuffix(".md").removesuffix("/index") + "/index.html"
        )
        assert built.is_file(), page
