"""Replies per burst: LLM calls and prompt tokens against one call per bubble, and reply latency after the window.

A seeded synthetic trace of bursty chats (bursts of 1–6 bubbles with sub-window gaps, pauses between bursts)
goes through the local pipeline: every bubble through the api function's webhook (real API Gateway events,
real Postgres), each burst as one job on the local SQS FIFO queue (moto), the worker function handed real SQS
records by the local poller, with the echo LLM and the log gateway.

Batching: the trace's own burst boundaries make the jobs (what a correct debounce produces when every gap in a
burst is shorter than the window and every pause longer). The sweeper's real code is not on this branch yet, so
this measures the worker's side of the pipeline; the sweeper's own benchmark measures the split.

Baseline on the same trace: one LLM call per bubble, each with the same history window, computed with the same
prompt builder and token estimate (the echo provider's) without sending anything.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import time
import uuid
from dataclasses import dataclass

from bench.report import percentile, print_table, ratio

SEED = 20261126
BUSINESS = "6280000000000@s.whatsapp.net"
WORDS = ("halo", "kak", "saya", "mau", "pesan", "produk", "yang", "warna", "merah", "ukuran", "berapa", "harga",
         "ongkir", "ke", "bandung", "bisa", "cod", "ya", "terima", "kasih", "stok", "masih", "ada", "?")
DEBOUNCE_SECONDS = 3.0  # the default window: in-burst gaps are shorter, pauses longer


@dataclass(frozen=True)
class Bubble:
    chat: str
    at: float  # virtual seconds since the trace's start
    text: str


def synthetic_trace(chats: int, rng: random.Random) -> list[list[Bubble]]:
    """Bursts (lists of bubbles), ordered by the time each burst ends (when its window closes)."""
    bursts: list[list[Bubble]] = []
    for n in range(chats):
        chat = f"62812{n:07d}@s.whatsapp.net"
        at = rng.uniform(0, 600)
        for _ in range(rng.randint(1, 4)):
            burst = []
            for position in range(rng.randint(1, 6)):
                if position:
                    at += rng.uniform(0.2, DEBOUNCE_SECONDS * 0.8)  # typing the next bubble
                burst.append(Bubble(chat, at, " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 8)))))
            bursts.append(burst)
            at += rng.uniform(DEBOUNCE_SECONDS * 3, 300)  # reading the reply, thinking
    return sorted(bursts, key=lambda burst: burst[-1].at)


def baseline_one_call_per_bubble(bursts: list[list[Bubble]], system: str, history_limit: int) -> tuple[int, int]:
    """(LLM calls, prompt tokens) if every bubble were answered on its own (each answer joins the history)."""
    from chatbatch.adapters.llm import EchoLlm, prompt_tokens
    from chatbatch.domain.prompt import ChatLine, build_prompt

    llm, histories, calls, tokens = EchoLlm(), {}, 0, 0
    for burst in bursts:
        for n, bubble in enumerate(burst):
            history = histories.setdefault(bubble.chat, [])
            line = ChatLine(f"{bubble.chat}-{bubble.at}-{n}", "contact", "text", bubble.text)
            prompt = build_prompt(system, history, [line], history_limit=history_limit)
            calls, tokens = calls + 1, tokens + prompt_tokens(prompt)
            history += [line, ChatLine(f"r-{line.message_id}", "ai", "text", llm.complete(prompt).text)]
    return calls, tokens


def run(ctx) -> None:
    import boto3

    from chatbatch_local.stack import prepare_environment

    prepare_environment(ctx.database_url)  # the settings `make dev` runs with: echo LLM, log gateway

    from chatbatch.db import Database
    from chatbatch.settings import worker_settings
    from chatbatch.store import ai_chat_messages, ai_jobs
    from chatbatch_local.lambda_runtime import LambdaContext, http_api_event, load_function
    from chatbatch_local.sqs import start_local_sqs
    from chatbatch_local.worker_poller import poll_once

    rng = random.Random(SEED)
    bursts = synthetic_trace(ctx.scale(500, 20), rng)
    bubbles = sum(len(b) for b in bursts)
    session = f"bench-{uuid.uuid4().hex[:8]}"
    api, worker = load_function("api"), load_function("worker")
    settings = worker_settings()
    db = Database(lambda: {"dsn": ctx.database_url})
    queues = start_local_sqs()
    sqs = boto3.client("sqs", endpoint_url=queues.endpoint_url, region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")

    def post(bubble: Bubble) -> None:
        payload = {"session_token": session, "message_id": uuid.uuid4().hex, "from": bubble.chat, "to": BUSINESS,
                   "body": bubble.text, "push_name": "Bench"}
        event = http_api_event("POST", "/webhook", "", {"content-type": "application/json",
                                                        "x-webhook-secret": "dev-webhook-secret"},
                               json.dumps(payload).encode())
        assert api.lambda_handler(event, LambdaContext(function_name="api"))["statusCode"] == 200

    def make_job(chat: str) -> int:
        def work(cur) -> int:
            ids = ai_chat_messages.pending_ids(cur, session_tok=session, chat_jid=chat)
            job_id = ai_jobs.insert(cur, session_tok=session, chat_jid=chat, bubble_ids=ids)
            ai_chat_messages.attach_to_job(cur, ids, job_id=job_id)
            return job_id

        return db.transaction(work)

    started = time.perf_counter()
    try:
        # The functions print their EMF metrics to stdout, as in Lambda: thousands of lines would bury the tables.
        with contextlib.redirect_stdout(io.StringIO()):
            for burst in bursts:
                for bubble in burst:
                    post(bubble)
                job_id = make_job(burst[0].chat)  # the window closes: the burst becomes one job
                sqs.send_message(QueueUrl=queues.queue_url, MessageBody=json.dumps({"job_id": job_id}),
                                 MessageGroupId=f"{session}-{burst[0].chat}"[:128],
                                 MessageDeduplicationId=f"job-{job_id}-0")
                while poll_once(sqs, queues.queue_url, worker.lambda_handler, wait_seconds=0) != (0, 0):
                    pass
        elapsed = time.perf_counter() - started
        calls, tokens, latencies, replies = db.transaction(lambda cur: _measured(cur, session))
    finally:
        queues.stop()
        db.close()

    base_calls, base_tokens = baseline_one_call_per_bubble(bursts, settings.system_prompt,
                                                           settings.history_context_messages)
    print_table(
        f"Replies per burst: {len(bursts):,} bursts, {bubbles:,} bubbles, "
        f"{len({b[0].chat for b in bursts}):,} chats (seed {SEED}, echo LLM)",
        ["variant", "LLM calls", "prompt tokens", "calls per burst", "calls vs baseline", "tokens vs baseline"],
        [["one call per bubble (baseline)", base_calls, base_tokens, base_calls / len(bursts), "1.00x", "1.00x"],
         ["one call per burst (chatbatch)", calls, tokens, calls / len(bursts), ratio(calls, base_calls),
          ratio(tokens, base_tokens)]],
    )
    print_table(
        "Reply latency after the window (job made → reply sent; in-process worker via local SQS)",
        ["jobs", "replies in history", "p50 ms", "p99 ms", "max ms", "wall time s"],
        [[len(bursts), replies, percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000,
          max(latencies) * 1000, elapsed]],
    )
    assert calls == replies == len(bursts), "every burst must get exactly one reply"


def _measured(cur, session: str) -> tuple[int, int, list[float], int]:
    cur.execute(
        "SELECT count(*), COALESCE(sum(llm_tokens_in), 0),"
        "       array_agg(EXTRACT(EPOCH FROM reply_sent_at - created_at)::float8)"
        "  FROM ai_jobs WHERE session_tok = %s AND status = 'done'",
        (session,),
    )
    calls, tokens, latencies = cur.fetchone()
    cur.execute("SELECT count(*) FROM chat_messages WHERE user_token = %s AND sender_type = 'ai'", (session,))
    return calls, int(tokens), list(latencies or []), cur.fetchone()[0]
