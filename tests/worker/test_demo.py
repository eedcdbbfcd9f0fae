"""`make demo` against a fresh `make dev`: a real `chatbatch dev` process (api, sweeper, worker, local SQS) on
the test database; the demo's three bubbles get exactly one reply."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from chatbatch_local.postgres import free_port


def test_make_demo_gets_one_reply_to_three_bubbles(database_url, tmp_path):
    stack_file = tmp_path / "stack.json"
    env = {k: v for k, v in os.environ.items() if k not in ("QUEUE_URL", "DLQ_URL", "SQS_ENDPOINT_URL")}
    env |= {
        "DATABASE_URL": database_url,
        "PORT": str(free_port()),
        "CHATBATCH_STACK_FILE": str(stack_file),
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "SWEEP_INTERVAL_SECONDS": "0.2",
    }
    dev = subprocess.Popen(
        [str(Path(sys.executable).with_name("chatbatch")), "dev"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not stack_file.exists() and time.monotonic() < deadline and dev.poll() is None:
            time.sleep(0.2)
        assert stack_file.exists(), "chatbatch dev did not start"
        demo = subprocess.run(
            [sys.executable, "-m", "chatbatch_local.demo", "--stack-file", str(stack_file), "--wait", "40"],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        os.killpg(dev.pid, signal.SIGINT)
        dev.wait(30)

    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "replies to this burst: 1" in demo.stdout
    assert "Halo / Saya mau / pesan produk" in demo.stdout  # the echo LLM answered the whole burst at once
