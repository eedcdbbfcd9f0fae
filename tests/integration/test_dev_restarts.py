"""`make dev` starts a function's process again when it dies, as Lambda starts a new container: SIGKILL the api's
process and the next webhook is still accepted; SIGKILL the worker's and the sweeper's and the next burst still
becomes a job and is answered."""

from __future__ import annotations

import json
import os
import signal

from tests.support.dev_stack import dev_stack_with_peers, wait_for


def _pids(stack_file) -> dict[str, int]:
    return json.loads(stack_file.read_text()).get("functions", {})


def _kill(stack_file, name: str) -> int:
    pid = wait_for(lambda: _pids(stack_file).get(name), timeout=30, what=f"the {name} function's process")
    os.kill(pid, signal.SIGKILL)
    wait_for(
        lambda: _pids(stack_file).get(name) not in (None, pid), timeout=30, what=f"a new {name} process after {pid}"
    )
    return pid


def _answered(pg, tenant: str, message_id: str) -> bool:
    """The bubble's job is done (its reply sent)."""
    with pg.cursor() as cur:
        cur.execute(
            "SELECT j.status FROM ai_chat_messages m JOIN ai_jobs j ON j.id = m.batch_id"
            " WHERE m.session_tok = %s AND m.message_id = %s",
            (tenant, message_id),
        )
        row = cur.fetchone()
    return row is not None and row[0] == "done"


def test_a_killed_api_worker_or_sweeper_process_is_started_again_and_serves_the_next_request(
    database_url, tmp_path, pg, tenant
):
    with dev_stack_with_peers(database_url, tmp_path, DEBOUNCE_SECONDS="0.3", MAX_WAIT_SECONDS="2") as (stack, _, _):
        stack_file = tmp_path / "stack.json"
        assert stack.post_message(tenant, "m1", "Halo")["status"] == "accepted"
        wait_for(lambda: _answered(pg, tenant, "m1"), timeout=60, what="the first burst's reply")

        _kill(stack_file, "api")
        # The next webhook waits for the new process (a cold start) and is answered by it.
        assert stack.post_message(tenant, "m2", "Masih di sana?")["status"] == "accepted"
        assert stack.request("GET", "/health")[0] == 200

        killed_worker = _kill(stack_file, "worker")
        killed_sweeper = _kill(stack_file, "sweeper")
        assert stack.post_message(tenant, "m3", "Halo lagi")["status"] == "accepted"
        wait_for(lambda: _answered(pg, tenant, "m3"), timeout=90, what="the burst after the worker's kill")
        assert _pids(stack_file)["worker"] != killed_worker and _pids(stack_file)["sweeper"] != killed_sweeper
        assert "starting a new one" in stack.log.read_text()
