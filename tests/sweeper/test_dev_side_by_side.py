"""Two ``make dev`` (``chatbatch dev``) on different PORTs against one DATABASE_URL, as two Lambda containers:
bursts posted to both become exactly one job per chat, each sent once and answered once."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from chatbatch_local.postgres import free_port
from chatbatch_local.stack import DEV_WEBHOOK_SECRET

READY_LINE = "Ctrl-C stops everything."


def start_dev(database_url: str, port: int) -> tuple[subprocess.Popen, queue.Queue]:
    env = {k: v for k, v in os.environ.items() if k not in ("QUEUE_URL", "DLQ_URL", "SQS_ENDPOINT_URL")}
    # A long window: the bursts below become ready when the test ages them, not by how fast it posts.
    env |= {
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "SWEEP_INTERVAL_SECONDS": "0.2",
        "DEBOUNCE_SECONDS": "30",
        "MAX_WAIT_SECONDS": "300",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("chatbatch")), "dev"],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if READY_LINE in lines.get(timeout=60):
            return process, lines
    raise AssertionError("chatbatch dev did not start")


def post(port: int, payload: dict) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhook",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "X-Webhook-Secret": DEV_WEBHOOK_SECRET},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_two_dev_stacks_share_one_database_without_double_or_split_jobs(database_url, pg, tenant):
    ports = [free_port(), free_port()]
    stacks = [start_dev(database_url, port) for port in ports]
    try:
        chats = [f"62812{n:07d}@s.whatsapp.net" for n in range(20)]
        for bubble in range(3):  # each burst alternates between the two instances
            for n, jid in enumerate(chats):
                post(
                    ports[(n + bubble) % 2],
                    {
                        "session_token": tenant,
                        "message_id": f"{jid}-{bubble}",
                        "from": jid,
                        "to": "6280000000000@s.whatsapp.net",
                        "body": "Halo",
                    },
                )
        with pg.cursor() as cur:  # 60 s of quiet pass for every chat
            cur.execute(
                "UPDATE ai_chat_messages SET last_activity = last_activity - interval '60 seconds' "
                "WHERE session_tok = %s",
                (tenant,),
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with pg.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FILTER (WHERE NOT is_batched) FROM ai_chat_messages WHERE session_tok = %s",
                    (tenant,),
                )
                pending = cur.fetchone()[0]
                # each stack's worker answers the jobs its own queue carries
                cur.execute("SELECT count(*) FROM ai_jobs WHERE session_tok = %s AND status <> 'done'", (tenant,))
                unanswered = cur.fetchone()[0]
            if pending == 0 and unanswered == 0:
                break
            time.sleep(0.2)
    finally:
        for process, _ in stacks:
            os.killpg(process.pid, signal.SIGINT)
        exit_codes = [process.wait(30) for process, _ in stacks]

    with pg.cursor() as cur:
        cur.execute("SELECT chat_jid, batch_size, status, send_count FROM ai_jobs WHERE session_tok = %s", (tenant,))
        jobs = cur.fetchall()
    assert sorted(jid for jid, *_ in jobs) == sorted(chats)  # one job per chat: no burst split
    assert {(size, status, sends) for _, size, status, sends in jobs} == {(3, "done", 1)}
    assert exit_codes == [0, 0]
