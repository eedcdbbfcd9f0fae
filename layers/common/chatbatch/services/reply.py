"""Use case: one job → at most one reply, sent through the gateway and saved to the chat history.

Steps, each its own short transaction so no database lock is held across the LLM or the gateway:
  1. take the job (or see it is finished: nothing to do; or that the chat must not be answered, or a cost guard
     forbids asking the LLM: skipped with the reason);
  2. ask the LLM — only when the job holds no reply yet (meanwhile, best effort and off the reply's path, the
     customer's bubbles are marked read and "typing…" is shown where the gateway can);
  3. save the reply on the job ('replied') BEFORE sending: a retry re-sends it, never asks the LLM again;
  4. right before sending, check the takeover once more (a human may have stepped in while the LLM thought) and
     split the reply into parts within the gateway's text limit (once; domain/reply_split.py);
  5. each part in order: record its hand-over, send it, record it sent with its history message; then the job is
     done. A part handed over before with an unknown outcome is settled by the gateway's echo first and never
     blindly sent again (domain/sending.py).
A failure anywhere releases the job with its error and raises; ``RetryLater`` errors say when the job is worth
trying again, the others get the queue's backoff.

``deliver`` is one delivery of a job's queue message, as the worker function gets it: it adds the queue's policy
(start a record only when the job's worst case still fits the invocation; on the queue's last receive give up:
'failed' with the reason) and answers with a ``ReplyOutcome`` for every case, which ``record_outcome`` turns into
the metrics — one recorder per outcome.

Before a job asks the LLM the cost guards are checked (domain/cost_guards.py): over one, it is skipped with the
reason, no LLM call.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from aws_lambda_powertools.metrics import MetricUnit

from chatbatch.adapters import background
from chatbatch.adapters.gateway import Gateway, GatewayError
from chatbatch.adapters.llm import Completion, Llm, worst_case_seconds
from chatbatch.db import Cursor, Database
from chatbatch.domain.bot_control import AWAY_ALREADY_SENT, away_decision, reason_bot_is_off
from chatbatch.domain.business_hours import BusinessHours
from chatbatch.domain.chats import Chat
from chatbatch.domain.cost_guards import is_over_budget, reason_over_budget
from chatbatch.domain.jobs import JobStateConflict, JobStatus, Step, next_step
from chatbatch.domain.prompt import Prompt, build_prompt
from chatbatch.domain.reply_split import split_reply
from chatbatch.domain.sending import (
    Action,
    ReplyPart,
    generated_message_id,
    next_action,
    part_reference,
    retry_delay,
)
from chatbatch.domain.takeover import reason_to_stay_silent
from chatbatch.domain.tenant_settings import (
    DEFAULT_DAILY_TOKEN_BUDGET,
    DEFAULT_MAX_REPLIES_PER_HOUR,
    DEFAULT_TIME_ZONE,
    effective,
)
from chatbatch.errors import ChatbatchError, DatabaseUnavailable
from chatbatch.observability import MetricName, tracer
from chatbatch.services.bot_messages import save_bot_message
from chatbatch.services.sweep import MetricsSink
from chatbatch.store import ai_chat_messages, ai_jobs, chat_messages, chat_rooms, reply_parts, tenant_settings


class JobNotFound(ChatbatchError):
    code = "job_not_found"


class RetryLater(ChatbatchError):
    """The job is worth trying again after ``retry_after`` seconds — not after the queue's usual backoff."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(0.0, retry_after)


class JobBusy(RetryLater):
    """Another worker holds the job right now (a duplicate delivery): try again once its lease is over."""

    code = "job_busy"


class SendOutcomeUnknown(RetryLater):
    """A part was handed to the gateway and neither its answer nor its echo came: it may have gone out. It is not
    sent again before the gateway's echo had time to settle it."""

    code = "send_outcome_unknown"


class OutOfTime(RetryLater):
    """Too little of the invocation is left for another gateway call: the next delivery goes on from here."""

    code = "out_of_time"


# Database work around one LLM call or one gateway call (short transactions; connect and statement timeouts are
# the settings' guard against a database that does not answer).
DATABASE_MARGIN_SECONDS = 5.0


def job_time_budget(*, llm_timeout: float, llm_max_retries: int, gateway_timeout: float) -> float:
    """The longest one job may hold a worker before it stops by itself: the LLM's worst case, then one gateway
    call (a longer reply's further parts go out only while that much time is left, else on the next delivery)."""
    worst_llm = worst_case_seconds(timeout=llm_timeout, max_retries=llm_max_retries)
    return worst_llm + gateway_timeout + 2 * DATABASE_MARGIN_SECONDS


def retry_after(exc: Exception, receive_count: int) -> float:
    """Seconds until the queue should deliver a job again after an attempt failed with ``exc``."""
    return exc.retry_after if isinstance(exc, RetryLater) else retry_delay(receive_count)


@dataclass(frozen=True)
class ReplyPolicy:
    """The environment's defaults; each job runs with its tenant's own values where it set some (_tenant_policy)."""

    system_prompt: str
    history_limit: int
    takeover_minutes: float
    reply_groups: bool
    lease: timedelta  # longer than one worker invocation: a live worker never loses its job
    # A part handed over with an unknown outcome waits this long for the gateway's echo before it is sent again.
    echo_wait: timedelta = timedelta(seconds=60)
    typing: bool = False  # mark the bubbles read and show "typing…" while the LLM works (best effort)
    send_seconds: float = 0.0  # the longest one gateway call may take: no part is started with less time left
    llm_model: str | None = None  # None: the LLM adapter's own model (LLM_MODEL)
    bot_enabled: bool = True
    away_message: str | None = None
    time_zone: str = DEFAULT_TIME_ZONE
    business_hours: dict | None = None  # None: always open
    max_replies_per_hour: int = DEFAULT_MAX_REPLIES_PER_HOUR
    daily_token_budget: int = DEFAULT_DAILY_TOKEN_BUDGET
    # The queue's side (deliver): its maxReceiveCount, and one job's worst case (job_time_budget).
    max_receives: int = 5
    job_seconds: float = 0.0

    def hours(self) -> BusinessHours | None:
        return BusinessHours.from_json(self.business_hours, self.time_zone) if self.business_hours else None


# Tenant settings named differently on the policy; the others share their names.
_POLICY_FIELDS = {
    "history_context_messages": "history_limit",
    "human_takeover_minutes": "takeover_minutes",
    "ai_reply_groups": "reply_groups",
}
AWAY_PROVIDER = "away_message"  # ai_jobs.llm_provider of a job answered by the away message (no LLM asked)


@dataclass(frozen=True)
class ReplyOutcome:
    """What one delivery of a job came to. ``done``, ``skipped``, ``nothing``: the job needs no more deliveries.
    ``handed_back``: not tried (another delivery holds it, too little time left, a send's outcome not settled yet);
    ``retry``: an attempt failed; ``failed``: the queue's last receive failed too, the job is given up. These three
    come back after ``retry_after`` seconds (``failed``: to the dead-letter queue)."""

    job_id: int
    result: Literal["done", "skipped", "nothing", "handed_back", "retry", "failed"]
    completion: Completion | None = None  # set when this call asked the LLM
    reply_latency_seconds: float | None = None  # newest bubble's arrival → reply sent
    reason: str | None = None  # why a job was skipped, handed back or failed
    retry_after: float = 0.0

    @property
    def finished(self) -> bool:
        return self.result in ("done", "skipped", "nothing")


@dataclass(frozen=True)
class _Plan:
    step: Step
    tenant: str
    chat_jid: str
    prompt: Prompt | None  # None when the job already holds its reply (Step.SEND)
    burst_arrived_at: datetime
    business_jid: str
    bubble_message_ids: tuple[str, ...]  # the gateway's ids of the burst's bubbles (read receipts)
    model: str | None = None  # the tenant's LLM model (None: the adapter's own)


def _unlimited() -> float:
    return math.inf


@tracer.capture_method
def reply_to_job(
    db: Database,
    job_id: int,
    *,
    llm: Llm,
    gateway: Gateway,
    policy: ReplyPolicy,
    time_left: Callable[[], float] = _unlimited,
) -> ReplyOutcome:
    """``time_left``: seconds this invocation may still run (Lambda's remaining time)."""
    plan = db.transaction(lambda cur: _take(cur, job_id, policy))
    if isinstance(plan, ReplyOutcome):
        return plan
    completion = None
    try:
        if plan.step is Step.GENERATE:
            _show_typing(gateway, plan, policy)
            completion = _ask_llm(llm, plan)
            db.transaction(lambda cur: _save_reply(cur, job_id, completion))
        reason = db.transaction(lambda cur: _stop_before_sending(cur, job_id, plan, policy, gateway.max_text_chars))
        if reason:
            return ReplyOutcome(job_id, "skipped", completion, reason=reason)
        finished_at = _send_parts(db, job_id, plan, gateway=gateway, policy=policy, time_left=time_left)
    except Exception as exc:
        error = _describe(exc)
        # With the database down the lease simply runs out; the original error is the one to report.
        with contextlib.suppress(DatabaseUnavailable):
            db.transaction(lambda cur: ai_jobs.release(cur, job_id, error=error))
        raise
    finally:
        if policy.typing and plan.step is Step.GENERATE:
            background.submit("stop typing", lambda: gateway.stop_typing(tenant=plan.tenant, chat=plan.chat_jid))
    latency = (finished_at - plan.burst_arrived_at).total_seconds()
    return ReplyOutcome(job_id, "done", completion, latency)


def deliver(
    db: Database,
    job_id: int,
    *,
    llm: Llm,
    gateway: Gateway,
    policy: ReplyPolicy,
    receives: int,
    first_in_batch: bool = True,
    time_left: Callable[[], float] = _unlimited,
) -> ReplyOutcome:
    """One delivery of the job's queue message (its ``receives``-th). A record after the first of a batch is
    started only if the job's worst case still fits (the first has the whole invocation: handing it back could
    not help). A failed attempt on the queue's last receive gives the job up: 'failed' with the error."""
    if not first_in_batch and time_left() < policy.job_seconds:
        return ReplyOutcome(job_id, "handed_back", reason=f"too little time left to start job {job_id}")
    try:
        return reply_to_job(db, job_id, llm=llm, gateway=gateway, policy=policy, time_left=time_left)
    except (JobBusy, OutOfTime) as exc:  # not a failure: the delivery holding the job finishes or fails it
        return ReplyOutcome(job_id, "handed_back", reason=exc.code, retry_after=exc.retry_after)
    except Exception as exc:
        if receives >= policy.max_receives:
            error = f"gave up after {receives} receives: {_describe(exc)}"
            fail_job(db, job_id, error=error)
            return ReplyOutcome(job_id, "failed", reason=error)
        return ReplyOutcome(job_id, "retry", reason=_describe(exc), retry_after=retry_after(exc, receives))


def record_outcome(outcome: ReplyOutcome, metrics: MetricsSink) -> None:
    """The outcome's metrics: the LLM call's when it made one, then one recorder per result."""
    if outcome.completion is not None:
        completion = outcome.completion
        metrics.add_metric(name=MetricName.LLM_LATENCY.value, unit=MetricUnit.Milliseconds, value=completion.latency_ms)
        metrics.add_metric(name=MetricName.LLM_TOKENS_IN.value, unit=MetricUnit.Count, value=completion.tokens_in)
        metrics.add_metric(name=MetricName.LLM_TOKENS_OUT.value, unit=MetricUnit.Count, value=completion.tokens_out)
    _RECORDERS.get(outcome.result, _record_nothing)(outcome, metrics)


def _record_done(outcome: ReplyOutcome, metrics: MetricsSink) -> None:
    metrics.add_metric(name=MetricName.REPLIES_SENT.value, unit=MetricUnit.Count, value=1)
    metrics.add_metric(
        name=MetricName.REPLY_LATENCY.value, unit=MetricUnit.Seconds, value=outcome.reply_latency_seconds
    )


def _record_skipped(outcome: ReplyOutcome, metrics: MetricsSink) -> None:
    if is_over_budget(outcome.reason):
        metrics.add_metric(name=MetricName.JOBS_OVER_BUDGET.value, unit=MetricUnit.Count, value=1)


def _record_failure(outcome: ReplyOutcome, metrics: MetricsSink) -> None:
    metrics.add_metric(name=MetricName.REPLY_FAILURES.value, unit=MetricUnit.Count, value=1)


def _record_nothing(outcome: ReplyOutcome, metrics: MetricsSink) -> None:
    pass


_RECORDERS = {"done": _record_done, "skipped": _record_skipped, "retry": _record_failure, "failed": _record_failure}


@tracer.capture_method
def _ask_llm(llm: Llm, plan: _Plan) -> Completion:
    return llm.complete(plan.prompt, model=plan.model)


def fail_job(db: Database, job_id: int, *, error: str) -> bool:
    """The queue gives up on the job (max receives): 'failed' with its error, unless it finished meanwhile."""
    return db.transaction(lambda cur: ai_jobs.mark_failed(cur, job_id, error=error))


def _take(cur: Cursor, job_id: int, policy: ReplyPolicy) -> _Plan | ReplyOutcome:
    job = ai_jobs.lock(cur, job_id)
    if job is None:
        raise JobNotFound(f"job {job_id} does not exist")
    step = next_step(job.status)
    if step is Step.NOTHING:
        return ReplyOutcome(job_id, "nothing")
    if job.leased:
        raise JobBusy(f"job {job_id} is being worked on by another delivery", retry_after=job.lease_left_seconds)
    policy = _tenant_policy(cur, job.tenant, policy)
    reason = _reason_to_stay_silent(cur, job.tenant, job.chat_jid, policy)
    if reason:
        ai_jobs.mark_skipped(cur, job_id, reason=reason)
        return ReplyOutcome(job_id, "skipped", reason=reason)
    burst = ai_chat_messages.burst(cur, job.bubble_ids)
    if step is Step.SEND:
        ai_jobs.take(cur, job_id, to=JobStatus.REPLIED, lease=policy.lease)
        return _Plan(step, job.tenant, job.chat_jid, None, *_burst_facts(burst))
    away = _away_message(cur, job, policy)
    if isinstance(away, ReplyOutcome):  # closed, and this chat is not to get an away message now
        return away
    if away is not None:  # closed: the away message is the job's reply (saved), sent like one
        return _Plan(Step.SEND, job.tenant, job.chat_jid, None, *_burst_facts(burst))
    usage = ai_jobs.llm_usage(cur, job, time_zone=policy.time_zone)
    over = reason_over_budget(
        usage, max_replies_per_hour=policy.max_replies_per_hour, daily_token_budget=policy.daily_token_budget
    )
    if over:
        ai_jobs.mark_skipped(cur, job_id, reason=over)
        return ReplyOutcome(job_id, "skipped", reason=over)
    ai_jobs.take(cur, job_id, to=JobStatus.GENERATING, lease=policy.lease, asks_llm=True)
    history = chat_messages.recent(
        cur,
        chat_id=Chat(job.tenant, job.chat_jid).room_key,
        tenant=job.tenant,
        limit=policy.history_limit + len(burst.lines),
        arrived_by=burst.arrived_at,
    )
    prompt = build_prompt(policy.system_prompt, history, burst.lines, history_limit=policy.history_limit)
    return _Plan(step, job.tenant, job.chat_jid, prompt, *_burst_facts(burst), policy.llm_model)


def _burst_facts(burst: ai_chat_messages.Burst) -> tuple[datetime, str, tuple[str, ...]]:
    return burst.arrived_at, burst.business_jid, tuple(line.message_id for line in burst.lines)


def _tenant_policy(cur: Cursor, tenant: str, policy: ReplyPolicy) -> ReplyPolicy:
    """The policy with the tenant's own settings (prompt, model, context size, takeover, groups, on/off, hours)."""
    own = tenant_settings.get(cur, tenant).overrides
    return effective(policy, {_POLICY_FIELDS.get(name, name): value for name, value in own.items()})


def _away_message(cur: Cursor, job: ai_jobs.JobRow, policy: ReplyPolicy) -> str | ReplyOutcome | None:
    """Outside business hours: the away message as the job's reply (saved, so it goes out through the send steps
    like an LLM reply), or the job skipped (this closed period's away message was sent already, or none is set).
    None: open, ask the LLM."""
    hours = policy.hours()
    if hours is None:
        return None
    room_chat_id = Chat(job.tenant, job.chat_jid).room_key
    state = chat_rooms.bot_state(cur, chat_id=room_chat_id, tenant=job.tenant)
    decision = away_decision(hours, policy.away_message, now=state.now, away_sent_for=state.away_sent_for)
    if decision.closed_since is None and decision.silent is None:
        return None
    silent = decision.silent
    if silent is None and not chat_rooms.claim_away_message(
        cur, chat_id=room_chat_id, tenant=job.tenant, closed_since=decision.closed_since
    ):
        silent = AWAY_ALREADY_SENT
    if silent is not None:
        ai_jobs.mark_skipped(cur, job.id, reason=silent)
        return ReplyOutcome(job.id, "skipped", reason=silent)
    ai_jobs.take(cur, job.id, to=JobStatus.GENERATING, lease=policy.lease)
    ai_jobs.save_reply(
        cur, job.id, text=policy.away_message, provider=AWAY_PROVIDER, model="", tokens_in=0, tokens_out=0, latency_ms=0
    )
    return policy.away_message


def _reason_to_stay_silent(cur: Cursor, tenant: str, chat_jid: str, policy: ReplyPolicy) -> str | None:
    policy = _tenant_policy(cur, tenant, policy)
    chat = Chat(tenant, chat_jid)
    state = chat_rooms.bot_state(cur, chat_id=chat.room_key, tenant=tenant)
    return reason_bot_is_off(bot_enabled=policy.bot_enabled, paused=state.bot_paused) or reason_to_stay_silent(
        is_group=chat.is_group,
        reply_groups=policy.reply_groups,
        human_active_at=state.human_active_at,
        now=state.now,
        takeover_minutes=policy.takeover_minutes,
    )


def _save_reply(cur: Cursor, job_id: int, completion: Completion) -> None:
    ai_jobs.save_reply(
        cur,
        job_id,
        text=completion.text,
        provider=completion.provider,
        model=completion.model,
        tokens_in=completion.tokens_in,
        tokens_out=completion.tokens_out,
        latency_ms=completion.latency_ms,
    )


def _stop_before_sending(cur: Cursor, job_id: int, plan: _Plan, policy: ReplyPolicy, text_limit: int) -> str | None:
    """Why not to send after all (the job is then skipped): a human took the chat over while the reply was made.
    Otherwise the reply's parts are saved, once: a retry sends the same parts."""
    job = ai_jobs.lock(cur, job_id)
    if job is None or job.status is not JobStatus.REPLIED:  # e.g. given up meanwhile: never send then
        raise JobStateConflict(f"job {job_id} is no longer waiting to be sent")
    reason = _reason_to_stay_silent(cur, plan.tenant, plan.chat_jid, policy)
    if reason:
        ai_jobs.mark_skipped(cur, job_id, reason=reason)
        return reason
    parts = split_reply(job.reply or "", text_limit)
    if not parts:
        raise JobStateConflict(f"job {job_id} holds an empty reply")
    ai_jobs.mark_sending(cur, job_id)
    reply_parts.insert(cur, job_id, tenant=job.tenant, chat_jid=job.chat_jid, texts=parts)
    return None


def _send_parts(
    db: Database, job_id: int, plan: _Plan, *, gateway: Gateway, policy: ReplyPolicy, time_left: Callable[[], float]
) -> datetime:
    """Each part not sent yet, in order; the time the last one was recorded (the job is then done)."""
    parts, now = db.transaction(lambda cur: reply_parts.of_job(cur, job_id))
    message_ids = {part.position: part.message_id for part in parts}
    for part in parts:
        decision = next_action(part, now=now, echo_wait=policy.echo_wait)
        if decision.action is Action.SKIP:
            continue
        if decision.action is Action.WAIT:
            raise SendOutcomeUnknown(
                f"part {part.position} of job {job_id} was handed to the gateway with no answer and no echo yet;"
                f" it is sent again only if no echo arrives within {policy.echo_wait.total_seconds():g} s",
                retry_after=decision.wait.total_seconds(),
            )
        answer_id = (
            _send_part(db, job_id, plan, part, gateway, policy, time_left) if decision.action is Action.SEND else None
        )
        message_ids[part.position] = db.transaction(
            lambda cur, position=part.position, answer_id=answer_id: _record_part(
                cur, job_id, plan, position, answer_id
            )
        )
    return db.transaction(lambda cur: _complete(cur, job_id, first_message_id=message_ids[1]))


@tracer.capture_method
def _send_part(
    db: Database,
    job_id: int,
    plan: _Plan,
    part: ReplyPart,
    gateway: Gateway,
    policy: ReplyPolicy,
    time_left: Callable[[], float],
) -> str | None:
    """Hand one part to the gateway (recorded before the call); the gateway's id of it, when it names one."""
    if time_left() < policy.send_seconds:
        raise OutOfTime(f"too little time left to send part {part.position} of job {job_id}", retry_after=0)
    db.transaction(lambda cur: reply_parts.hand_over(cur, job_id, part.position))
    try:
        sent = gateway.send(
            tenant=plan.tenant,
            to=plan.chat_jid,
            text=part.text,
            reference=part_reference(job_id, part.position),
        )
    except GatewayError as exc:
        if exc.outcome_unknown:
            raise SendOutcomeUnknown(
                f"part {part.position} of job {job_id}: {exc.message}", retry_after=policy.echo_wait.total_seconds()
            ) from exc
        db.transaction(lambda cur: reply_parts.refused(cur, job_id, part.position))
        raise
    return sent.message_id


def _record_part(cur: Cursor, job_id: int, plan: _Plan, position: int, answer_id: str | None) -> str:
    """The part went out: its id (the gateway's answer, else its echo's, else a stable generated one) and its
    message in the history. Returns the id."""
    part = reply_parts.lock(cur, job_id, position)
    message_id = answer_id or (part.echo_ids[0] if part.echo_ids else generated_message_id(job_id, position))
    sent_at = reply_parts.mark_sent(cur, job_id, position, message_id=message_id)
    save_bot_message(
        cur,
        tenant=plan.tenant,
        chat_jid=plan.chat_jid,
        business_jid=plan.business_jid,
        message_id=message_id,
        text=part.text,
        at=sent_at,
    )
    return message_id


def _complete(cur: Cursor, job_id: int, *, first_message_id: str | None) -> datetime:
    return ai_jobs.mark_done(cur, job_id, reply_message_id=first_message_id or generated_message_id(job_id, 1))


def _show_typing(gateway: Gateway, plan: _Plan, policy: ReplyPolicy) -> None:
    if policy.typing:
        background.submit(
            "read receipts and typing",
            lambda: gateway.mark_read_and_type(
                tenant=plan.tenant, chat=plan.chat_jid, message_ids=plan.bubble_message_ids
            ),
        )


def _describe(exc: Exception) -> str:
    return exc.message if isinstance(exc, ChatbatchError) else f"{type(exc).__name__}: {exc}"
