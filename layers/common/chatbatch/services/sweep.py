"""Use case: the debounce sweep, and the loop that runs it every SWEEP_INTERVAL_SECONDS.

One sweep is two transactions:
1. Batch: ready chats (the debounce rule, on the database's clock) are locked per chat (through the chat's slot),
   their pending bubbles re-read and re-checked under the lock, and each becomes ONE ``pending`` job, its bubbles
   marked batched: one statement for all the chats of the sweep, however many.
2. Outbox: due jobs (``pending``, or in flight and stuck) are locked with SKIP LOCKED, sent to the queue (in
   parallel lanes: adapters/queue.py), and recorded as sent — all before that transaction commits. A crash
   anywhere leaves the job ``pending`` in the database (the source of truth); the next sweep sends it with the
   same deduplication id, which SQS drops if the first send did get through.
When no chat is ready (most ticks), the outbox runs in the first transaction instead: an idle tick is one.

When more chats are ready than one chunk (``SweepPolicy.make_chunk_jobs``) and the sweep has a second connection
for its outbox, the two overlap: one statement finds every ready chat of the tick (and locks the first chunk's),
the jobs are made in chunks, one transaction each (a later chunk's chats locked and re-checked then), and the outbox
(in a thread, in its own transaction) claims and sends each chunk's jobs as soon as that chunk commits, while the
next one is made, recording each round's sent jobs while it sends the next. The outbox only ever sends committed
jobs it holds locked, as above: nothing is sent twice, and a job made but not sent stays due for the next sweep.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from queue import SimpleQueue
from typing import TYPE_CHECKING, Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit

from chatbatch.adapters.queue import JobQueue
from chatbatch.db import Cursor, Database
from chatbatch.domain.debounce import DebounceRule
from chatbatch.domain.job_message import JobMessage
from chatbatch.domain.tenant_settings import effective
from chatbatch.observability import MetricName, logger, tracer
from chatbatch.store import ai_chat_messages, ai_jobs, tenant_settings
from chatbatch.store.ai_jobs import CreatedJob, SentJob

if TYPE_CHECKING:
    from chatbatch.settings import SweeperSettings


@dataclass(frozen=True)
class SweepPolicy:
    """What a sweep needs to know: the environment's debounce rule (a tenant's own windows override it for its
    chats), how many jobs one sweep makes and sends, and when a job in flight is re-sent or given up as lost."""

    rule: DebounceRule
    max_jobs: int  # made, and sent, per sweep at most: a backlog drains over several sweeps
    stuck_after_seconds: float
    lost_after_seconds: float
    max_sends: int
    interval_seconds: float = 1.0  # the loop's cadence
    safety_margin_seconds: float = 5.0  # the loop stops this long (+ its slowest sweep) before the timeout
    # Jobs made per transaction when the outbox sends alongside (a sweep with an outbox connection): the first
    # chunk's jobs go out while the next chunk is made. A sweep with fewer ready chats runs as one of each.
    make_chunk_jobs: int = 1_000

    @classmethod
    def from_settings(cls, settings: SweeperSettings) -> SweepPolicy:
        return cls(
            rule=DebounceRule.from_settings(settings),
            max_jobs=settings.max_jobs_per_sweep,
            stuck_after_seconds=settings.job_stuck_after_seconds,
            lost_after_seconds=settings.job_lost_after_seconds,
            max_sends=settings.job_max_sends,
            interval_seconds=settings.sweep_interval_seconds,
            safety_margin_seconds=settings.sweep_safety_margin_seconds,
        )


@dataclass(frozen=True)
class OutboxResult:
    sent: list[SentJob] = field(default_factory=list)
    unsent: dict[int, str] = field(default_factory=dict)  # job id -> why the queue refused it
    failed_lost: list[int] = field(default_factory=list)  # jobs the queue lost, failed with the reason


@dataclass(frozen=True)
class SweepResult:
    created: list[CreatedJob]
    outbox: OutboxResult
    duration_ms: float


@dataclass(frozen=True)
class FirstChunk:
    """What a tick's first transaction did."""

    created: list[CreatedJob]  # the jobs of the first chunk of ready chats
    later: list[tuple[str, str]]  # the ready chats after that chunk, for ``make_jobs_of`` in later transactions
    outbox: OutboxResult | None  # no chat was ready: the outbox ran in this same transaction (an idle tick's one)


def make_first_jobs(db: Database, queue: JobQueue, policy: SweepPolicy, *, chunk: int) -> FirstChunk:
    """Transaction 1: every ready chat's pending bubbles (at most the batch cap) become one pending job, for the
    first ``chunk`` of the (at most ``policy.max_jobs``) ready chats; one statement finds them all. The policy's
    rule is the environment's windows and cap; a tenant's own settings override them for its chats.

    When no chat is ready, the outbox claims and sends the due jobs in this same transaction: nothing was made
    for it to wait for, and an idle tick (most ticks) is then one transaction, not two (BEGIN, find, claim,
    COMMIT: 4 round trips where two transactions took 6)."""

    def work(cur: Cursor) -> FirstChunk:
        locked, later = ai_chat_messages.ready_chats(cur, policy.rule, limit=policy.max_jobs, lock_first=chunk)
        if not locked and not later:
            return FirstChunk([], [], _claim_and_send(cur, queue, policy, (None,)))
        return FirstChunk(_jobs_of(cur, policy.rule, locked), later, None)

    first = db.transaction(work)
    _logged(first.created)
    if first.outbox is not None:
        _log_outbox(first.outbox)
    return first


def make_jobs_of(db: Database, rule: DebounceRule, chats: list[tuple[str, str]]) -> list[CreatedJob]:
    """``make_jobs`` for ``chats``, found ready by an earlier transaction: locked now, and re-checked under the
    lock (another sweep may have taken them since, or a new bubble restarted a chat's window)."""
    return _logged(db.transaction(lambda cur: _jobs_of(cur, rule, ai_chat_messages.lock_chats(cur, chats))))


def _jobs_of(cur: Cursor, rule: DebounceRule, chats: list[tuple[str, str]]) -> list[CreatedJob]:
    """One pending job for each of ``chats`` (locked by this transaction) that is ready under the lock."""
    if not chats:
        return []
    # Re-check under the lock: a sweep that held a chat before us may have taken some of its bubbles.
    now, pending = ai_chat_messages.pending_chats(cur, chats)
    tenants = {chat.tenant for chat in pending}
    own = tenant_settings.overrides_of(cur, tenants)
    rules = {tenant: effective(rule, own.get(tenant, {})) for tenant in tenants}  # once per tenant, not per chat
    batches = [batch for chat in pending if (batch := rules[chat.tenant].next_batch(chat, now)) is not None]
    if not batches:
        return []
    return ai_jobs.insert_batches(cur, batches)


def _logged(jobs: list[CreatedJob]) -> list[CreatedJob]:
    # A line per job at DEBUG: a busy tick makes thousands (20,000 lines cost a 10,000-chat tick ~0.6 s of CPU at
    # INFO); the tick's own line counts them at INFO (run_sweeps), and each job's story is in ai_jobs and the
    # worker's lines, whose correlation id is the job's id.
    for job in jobs:
        logger.debug(
            "job created",
            extra={
                "correlation_id": str(job.id),
                "job_id": job.id,
                "batch_size": job.batch.size,
                "reason": job.batch.reason.value,
            },
        )
    return jobs


def send_due_jobs(
    db: Database, queue: JobQueue, policy: SweepPolicy, *, rounds: Iterable[object] = (None,)
) -> OutboxResult:
    """Transaction 2: send pending and stuck jobs; record the ones the queue accepted; fail the lost ones.

    ``rounds``: claim and send once per item (the overlapped sweep yields one per chunk of jobs it committed, and
    blocks until the next). Each round's sent jobs are recorded (one statement) while the next round is being sent,
    the last round's after it; all in this one transaction, as with a single round."""
    return _log_outbox(db.transaction(lambda cur: _claim_and_send(cur, queue, policy, rounds)))


def _claim_and_send(cur: Cursor, queue: JobQueue, policy: SweepPolicy, rounds: Iterable[object]) -> OutboxResult:
    """The outbox's work in the caller's transaction (``send_due_jobs``)."""
    claimed: list[int] = []
    recorded: list[SentJob] = []
    unrecorded: list[int] = []  # sent in the previous round
    unsent: dict[int, str] = {}
    failed: list[int] = []
    for _ in rounds:
        if len(claimed) >= policy.max_jobs:
            break
        due, lost = ai_jobs.claim_due(
            cur,
            stuck_after_seconds=policy.stuck_after_seconds,
            lost_after_seconds=policy.lost_after_seconds,
            max_sends=policy.max_sends,
            limit=policy.max_jobs - len(claimed),
            claimed=claimed,
        )
        failed += lost
        if not due:
            continue
        claimed += [j.id for j in due]
        messages = [JobMessage(j.id, j.tenant, j.chat_jid, generation=j.send_count) for j in due]
        if unrecorded:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-send") as sender:
                sending = sender.submit(queue.send, messages)
                recorded += ai_jobs.mark_sent(cur, unrecorded)  # the database's work, while the queue sends
                outcome = sending.result()
        else:
            outcome = queue.send(messages)
        unrecorded = outcome.sent
        unsent.update(outcome.failed)
    recorded += ai_jobs.mark_sent(cur, unrecorded)
    return OutboxResult(recorded, unsent, failed)


def _log_outbox(result: OutboxResult) -> OutboxResult:
    for job in result.sent:  # a resend (a job stuck in the queue) is worth reading: INFO
        (logger.info if job.resend else logger.debug)(
            "job enqueued", extra={"correlation_id": str(job.id), "job_id": job.id, "resend": job.resend}
        )
    for job_id, reason in result.unsent.items():
        logger.warning(
            "job not sent; the next sweep retries",
            extra={"correlation_id": str(job_id), "job_id": job_id, "error": reason},
        )
    for job_id in result.failed_lost:
        logger.error("job lost by the queue: failed", extra={"correlation_id": str(job_id), "job_id": job_id})
    return result


@tracer.capture_method
def sweep(
    db: Database,
    queue: JobQueue,
    policy: SweepPolicy,
    *,
    outbox_db: Database | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> SweepResult:
    """One tick. ``outbox_db``: a second connection, for an outbox that sends while the jobs are still being
    made (when more chats are ready than one chunk); without it, every job is made before any is sent."""
    started = clock()
    overlap = outbox_db is not None and policy.make_chunk_jobs < policy.max_jobs
    first = make_first_jobs(db, queue, policy, chunk=policy.make_chunk_jobs if overlap else policy.max_jobs)
    created, outbox = first.created, first.outbox
    if outbox is None and first.later and outbox_db is not None:
        created, outbox = _make_while_sending(db, outbox_db, queue, policy, created, first.later)
    elif outbox is None:  # every ready chat's job is made: the outbox on this connection
        outbox = send_due_jobs(db, queue, policy)
    return SweepResult(created, outbox, (clock() - started) * 1000)


_MADE_ALL = object()  # tells the outbox that no more chunks come


def _make_while_sending(
    db: Database,
    outbox_db: Database,
    queue: JobQueue,
    policy: SweepPolicy,
    first: list[CreatedJob],
    later: list[tuple[str, str]],
) -> tuple[list[CreatedJob], OutboxResult]:
    """The jobs of the ``later`` ready chats, made chunk by chunk on ``db`` while the outbox, in a thread on
    ``outbox_db``, claims and sends each committed chunk (``first``'s are committed already)."""
    committed: SimpleQueue[object] = SimpleQueue()
    committed.put(first)
    created = list(first)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox") as pool:
        outbox = pool.submit(send_due_jobs, outbox_db, queue, policy, rounds=iter(committed.get, _MADE_ALL))
        try:
            for start in range(0, len(later), policy.make_chunk_jobs):
                jobs = make_jobs_of(db, policy.rule, later[start : start + policy.make_chunk_jobs])
                if jobs:
                    created += jobs
                    committed.put(jobs)
        finally:
            committed.put(_MADE_ALL)  # the outbox finishes what it claimed, even when making failed
        return created, outbox.result()


class MetricsSink(Protocol):
    """Powertools ``Metrics`` (EMF); a list in tests."""

    def add_metric(self, name: str, unit: MetricUnit, value: float) -> None: ...

    def flush_metrics(self) -> None: ...


def record_metrics(result: SweepResult, metrics: MetricsSink, debounce_seconds: float) -> None:
    """DebounceDelay: how long after the earliest moment the quiet rule allows (the batch's last bubble + the
    tenant's debounce window, else DEBOUNCE_SECONDS) the job reached the queue, in ms, on the database's clock;
    first sends only. Negative for a job forced early by the max wait or the batch cap."""
    metrics.add_metric(name=MetricName.SWEEP_DURATION.value, unit=MetricUnit.Milliseconds, value=result.duration_ms)
    if result.created:
        metrics.add_metric(name=MetricName.BATCHES_CREATED.value, unit=MetricUnit.Count, value=len(result.created))
    for job in result.created:
        metrics.add_metric(name=MetricName.BUBBLES_PER_BATCH.value, unit=MetricUnit.Count, value=job.batch.size)
    if result.outbox.sent:
        metrics.add_metric(name=MetricName.JOBS_ENQUEUED.value, unit=MetricUnit.Count, value=len(result.outbox.sent))
    for job in result.outbox.sent:
        if not job.resend and job.last_message_at is not None:
            delay_ms = debounce_delay_ms(job, debounce_seconds)
            metrics.add_metric(name=MetricName.DEBOUNCE_DELAY.value, unit=MetricUnit.Milliseconds, value=delay_ms)


def debounce_delay_ms(job: SentJob, debounce_seconds: float) -> float:
    """How long after its window (the tenant's own, else ``debounce_seconds``) the job reached the queue."""
    window = job.debounce_seconds if job.debounce_seconds is not None else debounce_seconds
    return (job.enqueued_at - job.last_message_at).total_seconds() * 1000 - float(window) * 1000


@dataclass
class LoopSummary:
    sweeps: int = 0
    jobs_created: int = 0
    jobs_enqueued: int = 0
    failed_sweeps: int = 0  # ticks that raised (a database blip): logged, and the loop went on

    def add(self, result: SweepResult) -> None:
        self.sweeps += 1
        self.jobs_created += len(result.created)
        self.jobs_enqueued += len(result.outbox.sent)


def sweep_loop(
    step: Callable[[], SweepResult],
    *,
    interval_seconds: float,
    remaining_ms: Callable[[], int],
    safety_margin_ms: float,
    clock: Callable[[], float] = time.monotonic,
    wait: Callable[[float], Any] = time.sleep,
) -> LoopSummary:
    """Run ``step`` every ``interval_seconds`` (a fixed cadence, no drift) until too little time remains.

    A tick that raises is logged and counted, and the loop goes on; only an invocation in which every tick
    failed raises (its last error).

    No sweep starts unless ``safety_margin_ms`` + the slowest sweep so far remains, so the invocation ends on
    its own before Lambda's timeout cuts a sweep short. A sweep that overruns the interval is followed by the
    next one at once; missed ticks are not caught up.
    """
    summary = LoopSummary()
    slowest_ms = 0.0
    next_start = clock()
    last_failure: Exception | None = None
    while remaining_ms() >= safety_margin_ms + slowest_ms:
        started = clock()
        try:
            summary.add(step())
        except Exception as exc:  # a failed tick (database blip, ...): the next tick tries again
            summary.failed_sweeps += 1
            last_failure = exc
            logger.warning(
                "sweep failed; the next tick tries again",
                extra={"error": type(exc).__name__, "reason": str(exc).splitlines()[0] if str(exc) else ""},
            )
        slowest_ms = max(slowest_ms, (clock() - started) * 1000)
        now = clock()
        next_start = max(next_start + interval_seconds, now)
        pause = next_start - now
        if remaining_ms() - pause * 1000 < safety_margin_ms + slowest_ms:
            break
        wait(pause)
    if summary.sweeps == 0 and last_failure is not None:
        # Not one tick worked this invocation: fail it, so the function's Errors alarm tells someone.
        raise last_failure
    return summary


def run_sweeps(
    db: Database,
    queue: JobQueue,
    policy: SweepPolicy,
    *,
    outbox_db: Database | None = None,
    remaining_ms: Callable[[], int],
    metrics: MetricsSink,
    clock: Callable[[], float] = time.monotonic,
    wait: Callable[[float], Any] = time.sleep,
) -> LoopSummary:
    """The sweeper function's whole invocation: sweep, record metrics, repeat until shortly before the end."""

    def step() -> SweepResult:
        result = sweep(db, queue, policy, outbox_db=outbox_db)
        record_metrics(result, metrics, policy.rule.debounce_seconds)
        if result.created or result.outbox.sent:
            logger.info(
                "sweep made and sent jobs",
                extra={
                    "jobs_created": len(result.created),
                    "jobs_enqueued": len(result.outbox.sent),
                    "resends": sum(1 for job in result.outbox.sent if job.resend),
                    "duration_ms": round(result.duration_ms, 1),
                },
            )
            # An invocation lasts ~65 s: publish now rather than at its end, so jobs' metrics carry their time.
            metrics.flush_metrics()
        return result

    return sweep_loop(
        step,
        interval_seconds=policy.interval_seconds,
        remaining_ms=remaining_ms,
        safety_margin_ms=policy.safety_margin_seconds * 1000,
        clock=clock,
        wait=wait,
    )
