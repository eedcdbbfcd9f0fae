"""`make demo` against a fresh `make dev`: a real `chatbatch dev` process (api, sweeper, worker, local SQS) on
the test database; the demo's three bubbles get exactly one reply."""

from __future__ import annotations

import subprocess
import sys

from tests.support.dev_stack import running_dev_stack


def test_make_demo_gets_one_reply_to_three_bubbles(database_url, tmp_path):
    with running_dev_stack(database_url, tmp_path) as stack:
        demo = subprocess.run(
            [sys.executable, "-m", "chatbatch_local.demo", "--stack-file", str(stack.stack_file), "--wait", "40"],
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=90,
        )

    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "replies to this burst: 1" in demo.stdout
    assert "Halo / Saya mau / pesan produk" in demo.stdout  # the echo LLM answered the whole burst at once
