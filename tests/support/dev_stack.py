"""`make dev` (``chatbatch dev``) as a subprocess for end-to-end tests: on a free loopback port, on the suite's
database, with the environment a test gives it; requests to it, and API tokens made with the real CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from chatbatch_local.postgres import free_port

from tests.support import SECRET

STARTUP_SECONDS = 60
CONTACT = "6281234567890@s.whatsapp.net"


@dataclass
class DevStack:
    """A running `chatbatch dev` (api + whatever services it runs) on a free loopback port."""

    base_url: str
    database_url: str
    log: Path
    env: dict[str, str]  # the stack's environment: a client run against it (make demo) inherits it
    stack_file: Path  # what `make dev` writes for its clients (.dev/stack.json); the test's own

    def post_message(self, tenant: str, message_id: str, body: str, **fields) -> dict:
        payload = {
            "session_token": tenant,
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

    def create_token(self, tenant: str, *, scope: str = "operate", name: str | None = None) -> str:
        """A fresh API token of this tenant, made the way an operator makes one: `chatbatch token create`."""
        named = ["--name", name] if name else []
        done = subprocess.run(
            [sys.executable, "-m", "chatbatch_local.cli", "token", "create", tenant, "--scope", scope, *named],
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
            if stack.request("GET", "/health/deep")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    log = stack.log.read_text()[-4000:]
    raise RuntimeError(f"chatbatch dev did not answer /health/deep in {STARTUP_SECONDS}s:\n{log}")


@contextmanager
def running_dev_stack(database_url: str, folder: Path, **environment: str) -> Iterator[DevStack]:
    """`chatbatch dev` on a free port with ``environment`` over the suite's; stopped (Ctrl-C) at the end."""
    port = free_port()
    log = folder / "chatbatch-dev.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "WEBHOOK_SECRET": SECRET,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "CHATBATCH_STACK_FILE": str(folder / "stack.json"),  # a developer's running `make dev` keeps its own
        "SWEEP_INTERVAL_SECONDS": "0.2",  # a burst is answered within a fraction of a second of being ready
        **environment,
    }
    for inherited in ("QUEUE_URL", "DLQ_URL", "SQS_ENDPOINT_URL"):  # the stack starts its own queue
        env.pop(inherited, None)
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "chatbatch_local.cli", "dev", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as in a terminal: Ctrl-C reaches all it started
        )
    stack = DevStack(f"http://127.0.0.1:{port}", database_url, log, env, folder / "stack.json")
    try:
        _wait_until_healthy(stack, process)
        yield stack
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: the stack stops what it started
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(condition, *, timeout: float, what: str, every: float = 0.2):
    """``condition()``'s first truthy value, asked every ``every`` seconds until ``timeout``; else AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


@contextmanager
def dev_stack_with_peers(database_url: str, folder: Path, **environment: str):
    """`chatbatch dev` whose worker asks a test LLM on loopback that answers with its system prompt
    (tests.support.worker.prompt_echo_answer) and whose replies (the bot's and the staff's) go to a real HTTP
    gateway on loopback: yields (stack, llm, gateway)."""
    from tests.support.worker import gateway_answer, http_peer, prompt_echo_answer

    with (
        http_peer(prompt_echo_answer) as llm,
        http_peer(gateway_answer) as gateway,
        running_dev_stack(
            database_url,
            folder,
            **{
                "LLM_PROVIDER": "openai",
                "LLM_BASE_URL": f"{llm.url}/v1",
                "LLM_API_KEY": "sk-test",
                "LLM_MAX_RETRIES": "0",
                "GATEWAY": "http",
                "GATEWAY_URL": f"{gateway.url}/send/message",
                "SYSTEM_PROMPT": "Default prompt.",
                **environment,
            },
        ) as stack,
    ):
        yield stack, llm, gateway
