"""Replies per burst: LLM calls and prompt tokens against one call per bubble, and reply latency after the window.

A seeded synthetic trace of bursty chats (bursts of 1–6 bubbles with sub-window gaps, pauses between bursts)
goes through the local pipeline: every bubble through the api function's webhook (real API Gateway events,
real Postgres); the sweeper's code batches them — its debounce rule (``DebounceRule.next_batch``) on a virtual
clock ticking every SWEEP_INTERVAL_SECONDS, its store writing the jobs, its outbox (``send_due_jobs``) sending
them to the local SQS FIFO queue (moto); the worker function gets real SQS records from the local poller and
answers with the echo LLM through the log gateway.

The virtual clock lets a 30-minute trace run in seconds: only the debounce decision needs trace time, and it is
the sweeper's pure rule (its SQL twin is cross-checked by the sweeper's tests). Reply latency after the window =
the sweep's delay (virtual: tick − (newest bubble + DEBOUNCE_SECONDS)) + enqueue → reply sent (measured).

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
from datetime import UTC, datetime, timedelta

from bench.report import percentile, print_table, ratio

SEED = 20261126
BUSINESS = "6280000000000@s.whatsapp.net"
WORDS = (
    "halo",
    "kak",
    "saya",
    "mau",
    "pesan",
    "produk",
    "yang",
    "warna",
    "merah",
    "ukuran",
    "berapa",
    "harga",
    "ongkir",
    "ke",
    "bandung",
    "bisa",
    "cod",
    "ya",
    "terima",
    "kasih",
    "stok",
    "masih",
    "ada",
    "?",
)
DEBOUNCE_SECONDS = 3.0  # the sweeper's default window: in-burst gaps are shorter, pauses longer
TRACE_START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # virtual clock's zero


@dataclass(frozen=True)
class Bubble:
    chat: str
    at: float  # virtual seconds since the trace's start
    text: str


def synthetic_trace(chats: int, rng: random.Random) -> list[list[Bubble]]:
    """Bursts (lists of bubbles) of every chat, ordered by their first bubble."""
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
    return sorted(bursts, key=lambda burst: burst[0].at)


def baseline_one_call_per_bubble(bursts: list[list[Bubble]], system: str, history_limit: int) -> tuple[int, int]:
    """(LLM calls, prompt tokens) if every bubble were answered on its own (each answer joins the history)."""
    from chatbatch.adapters.llm import EchoLlm, prompt_tokens
    from chatbatch.domain.prompt import ChatLine, build_prompt

    llm, histories, calls, tokens = EchoLlm(), {}, 0, 0
    for bubble in sorted((b for burst in bursts for b in burst), key=lambda b: b.at):
        history = histories.setdefault(bubble.chat, [])
        line = ChatLine(f"{bubble.chat}-{bubble.at}", "contact", "text", bubble.text)
        prompt = build_prompt(system, history, [line], history_limit=history_limit)
        calls, tokens = calls + 1, tokens + prompt_tokens(prompt)
        history += [line, ChatLine(f"r-{line.message_id}", "ai", "text", llm.complete(prompt).text)]
    return calls, tokens


class Pipeline:
    """The local pipeline for one bench session: webhook → sweeper code (virtual clock) → SQS → worker."""

    def __init__(self, database_url: str) -> None:
        import boto3
        from chatbatch.adapters.queue import SqsJobQueue
        from chatbatch.db import Database
        from chatbatch.domain.debounce import DebounceRule
        from chatbatch.settings import SweeperSettings, get_settings
        from chatbatch_local.lambda_runtime import load_function
        from chatbatch_local.sqs import start_local_sqs

        self.session = f"bench-{uuid.uuid4().hex[:8]}"
        self.api, self.worker = load_function("api"), load_function("worker")
        self.db = Database(lambda: {"dsn": database_url})
        self.queues = start_local_sqs()
        self.sqs = boto3.client(
            "sqs",
            endpoint_url=self.queues.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        self.queue = SqsJobQueue(self.queues.queue_url, region="us-east-1", endpoint_url=self.queues.endpoint_url)
        self.sweeper_settings = get_settings(SweeperSettings)
        self.rule = DebounceRule.from_settings(self.sweeper_settings)
        self.pending: dict[str, list[float]] = {}  # chat → virtual arrivals of its pending bubbles
        self.sweep_delays: dict[int, float] = {}  # job id → virtual seconds from window end to the sweep

    def close(self) -> None:
        self.queues.stop()
        self.db.close()

    def post(self, bubble: Bubble) -> None:
        from chatbatch_local.lambda_runtime import LambdaContext, http_api_event

        payload = {
            "session_token": self.session,
            "message_id": uuid.uuid4().hex,
            "from": bubble.chat,
            "to": BUSINESS,
            "body": bubble.text,
            "push_name": "Bench",
        }
        event = http_api_event(
            "POST",
            "/webhook",
            "",
            {"content-type": "application/json", "x-webhook-secret": "dev-webhook-secret"},
            json.dumps(payload).encode(),
        )
        assert self.api.lambda_handler(event, LambdaContext(function_name="api"))["statusCode"] == 200
        self.pending.setdefault(bubble.chat, []).append(bubble.at)

    def sweep(self, at: float) -> int:
        """One sweep at virtual time ``at``: the sweeper's rule decides, its store makes the jobs, its outbox
        sends them; then the worker drains the queue. Returns the jobs made."""
        from chatbatch.domain.debounce import Bubble as PendingBubble
        from chatbatch.domain.debounce import PendingChat
        from chatbatch.services.sweep import SweepPolicy, send_due_jobs
        from chatbatch.store import ai_chat_messages, ai_jobs
        from chatbatch_local.worker_poller import poll_once

        now = TRACE_START + timedelta(seconds=at)
        ready = [
            chat
            for chat, arrivals in self.pending.items()
            if arrivals
            and self.rule.readiness(
                newest_at=_virtual(max(arrivals)), oldest_at=_virtual(min(arrivals)), pending=len(arrivals), now=now
            ).ready
        ]
        if not ready:
            return 0

        def make_jobs(cur) -> list:
            batches = []
            for chat in ready:
                _, [stored] = ai_chat_messages.pending_chats(cur, [(self.session, chat)])
                bubbles = tuple(
                    PendingBubble(b.message_id, _virtual(a))  # the trace's clock, not the database's
                    for b, a in zip(stored.bubbles, self.pending[chat], strict=True)
                )
                batches.append(self.rule.next_batch(PendingChat(self.session, chat, bubbles), now))
            jobs = ai_jobs.insert_batches(cur, batches)
            return jobs

        for job in self.db.transaction(make_jobs):
            taken = self.pending[job.batch.chat_jid][: job.batch.size]
            del self.pending[job.batch.chat_jid][: job.batch.size]
            self.sweep_delays[job.id] = at - (max(taken) + self.rule.debounce_seconds)
        send_due_jobs(self.db, self.queue, SweepPolicy.from_settings(self.sweeper_settings))
        while poll_once(self.sqs, self.queues.queue_url, self.worker.lambda_handler, wait_seconds=0) != (0, 0):
            pass
        return len(ready)


def _virtual(seconds: float) -> datetime:
    return TRACE_START + timedelta(seconds=seconds)


def run(ctx) -> None:
    import os

    from chatbatch.settings import SweeperSettings, WorkerSettings, get_settings
    from chatbatch_local.stack import prepare_environment

    prepare_environment(ctx.database_url)  # the settings `make dev` runs with: echo LLM, log gateway
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # the local SQS accepts any (as in `make dev`)
        os.environ.setdefault(name, "local")
    rng = random.Random(SEED)
    bursts = synthetic_trace(ctx.scale(500, 20), rng)
    arrivals = sorted((b for burst in bursts for b in burst), key=lambda b: b.at)
    interval = get_settings(SweeperSettings).sweep_interval_seconds
    pipeline = Pipeline(ctx.database_url)
    started = time.perf_counter()
    try:
        # The functions print their EMF metrics to stdout, as in Lambda: thousands of lines would bury the tables.
        with contextlib.redirect_stdout(io.StringIO()):
            next_bubble, tick = 0, 0.0
            while next_bubble < len(arrivals) or any(pipeline.pending.values()):
                tick += interval
                while next_bubble < len(arrivals) and arrivals[next_bubble].at <= tick:
                    pipeline.post(arrivals[next_bubble])
                    next_bubble += 1
                pipeline.sweep(tick)
        elapsed = time.perf_counter() - started
        calls, tokens, after_enqueue, replies = pipeline.db.transaction(lambda cur: _measured(cur, pipeline.session))
        sweep_delays = pipeline.sweep_delays
    finally:
        pipeline.close()

    settings = get_settings(WorkerSettings)
    base_calls, base_tokens = baseline_one_call_per_bubble(
        bursts, settings.system_prompt, settings.history_context_messages
    )
    latencies = [sweep_delays[job_id] + seconds for job_id, seconds in after_enqueue.items()]
    print_table(
        f"Replies per burst: {len(bursts):,} bursts, {len(arrivals):,} bubbles, "
        f"{len({b[0].chat for b in bursts}):,} chats (seed {SEED}; sweeper rule, echo LLM)",
        ["variant", "LLM calls", "prompt tokens", "calls per burst", "calls vs baseline", "tokens vs baseline"],
        [
            ["one call per bubble (baseline)", base_calls, base_tokens, base_calls / len(bursts), "1.00x", "1.00x"],
            [
                "one call per burst (chatbatch)",
                calls,
                tokens,
                calls / len(bursts),
                ratio(calls, base_calls),
                ratio(tokens, base_tokens),
            ],
        ],
    )
    print_table(
        "Reply latency after the window: sweep delay (virtual, 1 s ticks) + enqueue → reply sent (measured)",
        ["replies", "in history", "sweep delay p50 ms", "p50 ms", "p99 ms", "max ms", "wall time s"],
        [
            [
                calls,
                replies,
                percentile(list(sweep_delays.values()), 50) * 1000,
                percentile(latencies, 50) * 1000,
                percentile(latencies, 99) * 1000,
                max(latencies) * 1000,
                elapsed,
            ]
        ],
    )
    assert calls == replies == len(sweep_delays), "every job must get exactly one reply"


def _measured(cur, session: str) -> tuple[int, int, dict[int, float], int]:
    """LLM calls (done jobs), prompt tokens, seconds from enqueue to reply sent per job, replies in history."""
    cur.execute(
        "SELECT id, llm_tokens_in, EXTRACT(EPOCH FROM reply_sent_at - enqueued_at)::float8"
        "  FROM ai_jobs WHERE session_tok = %s AND status = 'done'",
        (session,),
    )
    rows = cur.fetchall()
    cur.execute("SELECT count(*) FROM chat_messages WHERE user_token = %s AND sender_type = 'ai'", (session,))
    return len(rows), sum(r[1] for r in rows), {r[0]: r[2] for r in rows}, cur.fetchone()[0]
