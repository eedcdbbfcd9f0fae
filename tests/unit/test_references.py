"""Every document the code, the template and the docs point a reader to exists (a runbook link that 404s is
found by an on-call engineer at the worst moment)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DOC_PATH = re.compile(r"(?<![\w./-])(docs/[\w./-]+\.(?:md|png))")
MARKDOWN_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def tracked(*patterns: str) -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files", *patterns], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [REPO_ROOT / name for name in names if not name.startswith("tests/fixtures/")]


def test_every_docs_path_named_in_code_template_and_docs_exists():
    sources = tracked("*.py", "*.yaml", "*.sql", "*.md", "*.js", "*.toml", "Makefile")
    missing = {
        f"{source.relative_to(REPO_ROOT)}: {path}"
        for source in sources
        for path in DOC_PATH.findall(source.read_text(encoding="utf-8"))
        if not (REPO_ROOT / path).exists()
    }
    assert not missing, sorted(missing)


def test_every_relative_link_of_the_readme_and_the_docs_resolves():
    broken = set()
    for page in tracked("README.md", "docs/*.md"):
        for target in MARKDOWN_LINK.findall(page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).resolve().exists():
                broken.add(f"{page.relative_to(REPO_ROOT)}: {target}")
    assert not broken, sorted(broken)


def test_no_reference_to_a_contracts_file_that_does_not_exist():
    cited = {
        str(source.relative_to(REPO_ROOT))
        for source in tracked("*.py", "*.sql", "*.md", "*.yaml")
        if source != Path(__file__) and "CONTRACTS" in source.read_text(encoding="utf-8")
    }
    assert not cited, f"cite docs/contracts.md instead: {sorted(cited)}"
