"""Fixtures of the chat-history page's end-to-end tests: the `make dev` stack as a subprocess, and a headless
Chromium (Debian's, driven by Playwright; Playwright's own browser downloads are never used)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from chatbatch_local.postgres import free_port

from tests.support import SECRET

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
STARTUP_SECONDS = 60
CONTACT = "6281234567890@s.whatsapp.net"


@dataclass
class DevStack:
    """A running `chatbatch dev` (api + whatever services it runs) on a free loopback port."""

    base_url: str
    database_url: str
    log: Path

    def post_message(self, session_tok: str, message_id: str, body: str, **fields) -> dict:
        payload = {
            "session_token": session_tok,
            "message_id": message_id,
            "body": body,
            "from": CONTACT,
            "to": "6280000000000@s.whatsapp.net",
            "push_name": "Budi",
            **fields,
        }
        return self.request("POST", "/webhook", payload, {"X-Webhook-Secret": SECRET})[1]

    def request(self, method: str, path: str, payload: object = None, headers: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def create_token(self, session_tok: str) -> str:
        """A fresh API token of this tenant, made the way an operator makes one: `chatbatch token create`."""
        done = subprocess.run(
            [sys.executable, "-m", "chatbatch_local.cli", "token", "create", session_tok],
            env={**os.environ, "DATABASE_URL": self.database_url},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout.strip().splitlines()[-1]


def _wait_until_healthy(stack: DevStack, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chatbatch dev exited with {process.returncode}:\n{stack.log.read_text()[-4000:]}")
        try:
            if stack.request("GET", "/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"chatbatch dev did not answer /health in {STARTUP_SECONDS}s:\n{stack.log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def dev_stack(database_url, tmp_path_factory) -> DevStack:
    """`make dev` on a free port, on the suite's database, with short debounce windows and the echo LLM."""
    port = free_port()
    log = tmp_path_factory.mktemp("dev-stack") / "chatbatch-dev.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "WEBHOOK_SECRET": SECRET,
        "LLM_PROVIDER": "echo",
        "GATEWAY": "log",
        # Short, but long enough that bubbles posted back to back on a busy machine stay one burst.
        "DEBOUNCE_SECONDS": "1.0",
        "SWEEP_INTERVAL_SECONDS": "0.2",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "CHATBATCH_STACK_FILE": str(log.parent / "stack.json"),  # a developer's running `make dev` keeps its own
    }
    for inherited in ("QUEUE_URL", "DLQ_URL", "SQS_ENDPOINT_URL"):  # the stack starts its own queue
        env.pop(inherited, None)
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "chatbatch_local.cli", "dev", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    stack = DevStack(f"http://127.0.0.1:{port}", database_url, log)
    try:
        _wait_until_healthy(stack, process)
        yield stack
    finally:
        process.send_signal(signal.SIGINT)  # what Ctrl-C does: the stack stops what it started
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
