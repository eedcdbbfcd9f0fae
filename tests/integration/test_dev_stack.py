"""`make dev` (`chatbatch dev`) as a developer runs it: start, paste the printed curl, Ctrl-C, start again."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from chatbatch_local.postgres import free_port
from chatbatch_local.stack import DEV_WEBHOOK_SECRET

from tests.support.foundation import counts

READY_LINE = "Ctrl-C stops everything."
STARTUP_SECONDS = 60


@dataclass
class DevStack:
    process: subprocess.Popen
    output: list[str]
    lines: queue.Queue[str | None]

    def rest_of_output(self) -> str:
        """Everything it printed after the banner, up to its exit."""
        rest = []
        while (line := self.lines.get(timeout=STARTUP_SECONDS)) is not None:
            rest.append(line)
        return "".join(rest)

    @property
    def banner(self) -> str:
        return "".join(self.output)

    @property
    def database_url(self) -> str:
        return re.search(r"^postgres: (\S+)", self.banner, re.M)[1]

    @property
    def sample_curl(self) -> str:
        """The printed `curl ...` command (a shell line continued with a backslash)."""
        return re.search(r"^  (curl .*?)\n(?!    )", self.banner, re.M | re.S)[1]


def chatbatch_command() -> list[str]:
    console_script = Path(sys.executable).with_name("chatbatch")  # what `make dev` runs
    return [str(console_script)] if console_script.exists() else [sys.executable, "-m", "chatbatch_local.cli"]


def dev_environment(port: int, data_dir: Path) -> dict[str, str]:
    """A developer's shell: none of the test suite's settings, so the stack chooses its own defaults (its stack
    file beside its data, so a developer's own running `make dev` is left alone)."""
    suite_settings = ("DATABASE_URL", "WEBHOOK_SECRET", "QUEUE_URL", "DLQ_URL", "SQS_ENDPOINT_URL")
    return {k: v for k, v in os.environ.items() if k not in suite_settings} | {
        "PORT": str(port),
        "CHATBATCH_STACK_FILE": str(data_dir.parent / "stack.json"),
    }


@contextmanager
def dev_stack(data_dir: Path, port: int) -> Iterator[DevStack]:
    """`chatbatch dev` in its own process group (as a terminal runs it) with its own Postgres in ``data_dir``."""
    process = subprocess.Popen(
        [*chatbatch_command(), "dev", "--data-dir", str(data_dir)],
        text=True,
        env=dev_environment(port, data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:  # read the output in the background, so waiting for it can time out
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    stack = DevStack(process, [], lines)
    try:
        while READY_LINE not in stack.banner:
            line = lines.get(timeout=STARTUP_SECONDS)
            assert line is not None, f"chatbatch dev exited early:\n{stack.banner}"
            stack.output.append(line)
        yield stack
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def ctrl_c(stack: DevStack) -> int:
    os.killpg(stack.process.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole foreground group
    return stack.process.wait(timeout=30)


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def curl(command: str) -> str:
    return subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30, check=True).stdout


@pytest.fixture
def data_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="chatbatch-dev-test-"))
    folder.chmod(0o755)  # as root, the cluster runs as the postgres user
    yield folder / "pgdata"
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(shutil.which("curl") is None, reason="the printed sample is a curl command")
def test_dev_serves_the_printed_curl_stops_cleanly_on_ctrl_c_and_keeps_its_data(data_dir):
    port = free_port()

    # Given `make dev` started on a fresh data folder
    with dev_stack(data_dir, port) as first:
        # Then it printed the dev secret and a sample curl carrying it
        assert f"webhook secret: {DEV_WEBHOOK_SECRET}" in first.banner
        assert f"X-Webhook-Secret: {DEV_WEBHOOK_SECRET}" in first.sample_curl

        # When the developer pastes the sample curl
        answer = curl(first.sample_curl)

        # Then the message is in all three tables
        assert '"status":"accepted"' in answer.replace(" ", "")
        conn = psycopg2.connect(first.database_url)
        conn.autocommit = True
        tenant = re.search(r'"session_token":"([^"]+)"', first.sample_curl)[1]
        assert counts(conn, tenant) == (1, 1, 1)
        conn.close()
        pg_port = int(re.search(r"127\.0\.0\.1:(\d+)/", first.database_url)[1])

        # When Ctrl-C is pressed
        exit_code = ctrl_c(first)

    # Then it exits cleanly, says so last, having stopped its Postgres and freed both ports
    assert exit_code == 0, first.banner
    assert first.rest_of_output().splitlines()[-1] == "stopped"
    assert not (data_dir / "postmaster.pid").exists()
    assert port_is_free(port) and port_is_free(pg_port)

    # When it is started again on the same data folder and the same curl is sent
    with dev_stack(data_dir, port) as second:
        again = curl(second.sample_curl)
        # (its database kept its port, so a DSN copied from the first run still works)
        assert second.database_url == first.database_url

        # (and `chatbatch token create` finds this running stack's database without being given a DSN)
        token = subprocess.run(
            [*chatbatch_command(), "token", "create", "demo"],
            text=True,
            timeout=60,
            capture_output=True,
            env=dev_environment(port, data_dir),
        )
        assert token.returncode == 0, token.stderr
        assert token.stdout.splitlines()[-1].startswith("cbt_")
        assert "using the database of the running make dev" in token.stderr

        # (and a second `make dev` on the same port says what to change, leaving the running one alone)
        clash = subprocess.run(
            [*chatbatch_command(), "dev", "--data-dir", str(data_dir)],
            text=True,
            timeout=60,
            capture_output=True,
            env=dev_environment(port, data_dir),
        )
        assert clash.returncode == 2 and f"port {port} is already in use" in clash.stderr, clash.stderr
        assert '"status":"duplicate"' in curl(second.sample_curl).replace(" ", "")

        assert ctrl_c(second) == 0

    # Then the data survived: the message is already there, so the retry is a duplicate
    assert '"status":"duplicate"' in again.replace(" ", "")
