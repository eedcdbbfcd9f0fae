"""Fixtures of the console page's end-to-end tests: the `make dev` stack as a subprocess, and a headless Chromium
(Debian's, driven by Playwright; Playwright's own browser downloads are never used)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.dev_stack import DevStack, running_dev_stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def dev_stack(database_url, tmp_path_factory) -> DevStack:
    """`make dev` on a free port, on the suite's database, with short debounce windows and the echo LLM."""
    with running_dev_stack(
        database_url,
        tmp_path_factory.mktemp("dev-stack"),
        LLM_PROVIDER="echo",
        GATEWAY="log",
        # Short, but long enough that bubbles posted back to back on a busy machine stay one burst.
        DEBOUNCE_SECONDS="1.0",
        SWEEP_INTERVAL_SECONDS="0.2",
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install -y chromium; .ci/run does)")
    from playwright.sync_api import sync_playwright  # pinned in requirements-dev.txt: a missing one is an error

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 720}, locale="en-GB", timezone_id="UTC")
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
