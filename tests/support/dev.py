"""A real `chatbatch dev` process (api, sweeper, worker, local SQS) on the test database, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chatbatch_local.postgres import free_port

STARTUP_SECONDS = 60


@contextmanager
def running_dev(database_url: str, stack_file: Path, **settings: str) -> Iterator[tuple[str, dict[str, str]]]:
    """`chatbatch dev` with ``settings`` (environment variables) on a free port, started and, at the end, stopped
    with Ctrl-C. Yields its api URL and its environment."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("QUEUE_URL", "DLQ_URL", "SQS_ENDPOINT_URL")}
    env |= {
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "CHATBATCH_STACK_FILE": str(stack_file),
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "SWEEP_INTERVAL_SECONDS": "0.2",
        **settings,
    }
    dev = subprocess.Popen(
        [str(Path(sys.executable).with_name("chatbatch")), "dev"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not stack_file.exists() and time.monotonic() < deadline and dev.poll() is None:
            time.sleep(0.2)
        assert stack_file.exists(), "chatbatch dev did not start"
        yield f"http://127.0.0.1:{port}", env
    finally:
        os.killpg(dev.pid, signal.SIGINT)
        dev.wait(30)
