"""The worker's SQS batch size: one invocation per job (BatchSize 1) against one invocation for a batch of jobs.

N chats each have a job ready at the same moment; the LLM (an OpenAI-compatible server on loopback) answers after
LLM_SECONDS, the gateway is the log gateway. Both variants run the real worker function on the real database:

- batch: one invocation gets all N records (BatchSize N) and answers them one after another — as Lambda runs it;
  the k-th chat waits for the k-1 replies before it. Its latency is measured (job's reply − the invocation's start).
- one per invocation: N invocations of one record each. Lambda runs them in parallel, one container each (up to the
  event source's MaximumConcurrency), so each chat waits only for its own reply: its latency is its own
  invocation's duration, measured here one after another on one process. Their sum against the batch's wall
  time is the price of one invocation per job.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from chatbatch_local import loopback

from bench.report import percentile, print_table

LLM_SECONDS = 0.3
BUSINESS = "6280000000000@s.whatsapp.net"


def _slow_llm() -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            time.sleep(LLM_SECONDS)
            loopback.answer(self, 200, {"choices": [{"message": {"content": "Baik kak, kami cek dulu."}}]})

        def log_message(self, format: str, *args: object) -> None:
            pass

    return loopback.serve_in_background(Handler)


def _jobs(api, db, session: str, chats: int) -> list[int]:
    """One ready job per chat: a bubble through the webhook, batched as a sweep would."""
    from chatbatch.domain.debounce import Batch, Readiness
    from chatbatch.store import ai_chat_messages, ai_jobs
    from chatbatch_local.lambda_runtime import LambdaContext, http_api_event

    chat_ids = [f"62812{n:08d}@s.whatsapp.net" for n in range(chats)]
    for chat in chat_ids:
        payload = {
            "session_token": session,
            "message_id": uuid.uuid4().hex,
            "from": chat,
            "to": BUSINESS,
            "body": "Halo",
        }
        headers = {"content-type": "application/json", "x-webhook-secret": "dev-webhook-secret"}
        event = http_api_event("POST", "/webhook", "", headers, json.dumps(payload).encode())
        assert api.lambda_handler(event, LambdaContext(function_name="api"))["statusCode"] == 200

    def work(cur) -> list[int]:
        _, pending = ai_chat_messages.pending_chats(cur, [(session, chat) for chat in chat_ids])
        batches = []
        for chat in pending:
            arrivals = [b.arrived_at for b in chat.bubbles]
            ids = tuple(b.message_id for b in chat.bubbles)
            batches.append(Batch(session, chat.chat_jid, ids, min(arrivals), max(arrivals), Readiness.QUIET))
        created = ai_jobs.insert_batches(cur, batches)
        return [job.id for job in created]

    return db.transaction(work)


def _event(job_ids: list[int]) -> dict:
    records = []
    for position, job_id in enumerate(job_ids):
        records.append(
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": f"handle-{job_id}",
                "body": json.dumps({"job_id": job_id}),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "0",
                    "SenderId": "bench",
                    "ApproximateFirstReceiveTimestamp": "0",
                    "MessageGroupId": f"chat-{job_id}",
                    "MessageDeduplicationId": f"job-{job_id}-0",
                    "SequenceNumber": str(18880150987912345600 + position),
                },
                "messageAttributes": {},
                "md5OfBody": "0",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:bench.fifo",
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": records}


def _sent_after(db, job_ids: list[int], start) -> list[float]:
    def work(cur):
        cur.execute(
            "SELECT EXTRACT(EPOCH FROM reply_sent_at - %s)::float8 FROM ai_jobs WHERE id = ANY(%s) AND status = 'done'",
            (start, job_ids),
        )
        return [row[0] for row in cur.fetchall()]

    return db.transaction(work)


def _now(db):
    from chatbatch.db import transaction_time

    return db.transaction(transaction_time)


def run(ctx) -> None:
    from chatbatch.db import Database
    from chatbatch.settings import clear_settings
    from chatbatch_local.lambda_runtime import LambdaContext, load_function
    from chatbatch_local.stack import prepare_environment

    llm = _slow_llm()
    saved_environment = dict(os.environ)
    prepare_environment(ctx.database_url)
    for name in ("QUEUE_URL", "SQS_ENDPOINT_URL"):  # nothing fails here: no message is handed back
        os.environ.pop(name, None)
    os.environ |= {"LLM_PROVIDER": "openai", "LLM_BASE_URL": f"http://127.0.0.1:{llm.server_address[1]}/v1"}
    clear_settings()
    api, worker = load_function("api"), load_function("worker")
    worker._ports.cache_clear()
    db = Database(lambda: {"dsn": ctx.database_url})
    chats = ctx.scale(10, 3)
    rows = []
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the functions' EMF metrics
            jobs = _jobs(api, db, f"bench-batch-{uuid.uuid4().hex[:6]}", chats)
            start, started = _now(db), time.perf_counter()
            assert worker.lambda_handler(_event(jobs), LambdaContext("worker", timeout_seconds=900)) == {
                "batchItemFailures": []
            }
            batch_wall = time.perf_counter() - started
            batch_latency = _sent_after(db, jobs, start)

            jobs = _jobs(api, db, f"bench-single-{uuid.uuid4().hex[:6]}", chats)
            single = []
            for job_id in jobs:
                started = time.perf_counter()
                assert worker.lambda_handler(_event([job_id]), LambdaContext("worker", timeout_seconds=90)) == {
                    "batchItemFailures": []
                }
                single.append(time.perf_counter() - started)
    finally:
        db.close()
        llm.shutdown()
        os.environ.clear()
        os.environ.update(saved_environment)
        clear_settings()
        worker._ports.cache_clear()
    rows.append(
        [f"batch of {chats} (one invocation)", 1, batch_wall, percentile(batch_latency, 50), max(batch_latency)]
    )
    rows.append(["one job per invocation (BatchSize 1)", chats, sum(single), percentile(single, 50), max(single)])
    print_table(
        f"Worker batch size: {chats} chats ready at once, LLM answering in {LLM_SECONDS} s, log gateway "
        "(latency = a chat's wait for its reply; BatchSize 1: its own invocation, as Lambda runs them in parallel)",
        ["variant", "invocations", "worker time s", "latency p50 s", "latency max s"],
        rows,
    )
    print(
        f"worker time per job: {batch_wall / chats * 1000:,.1f} ms in the batch, "
        f"{sum(single) / chats * 1000:,.1f} ms with an invocation of its own",
        flush=True,
    )
