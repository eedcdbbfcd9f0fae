"""Use case: one job → at most one reply, sent through the gateway and saved to the chat history.

Steps, each its own short transaction so no database lock is held across the LLM or the gateway:
  1. take the job (or see it is finished: nothing to do; or that the chat must not be answered: skipped);
  2. ask the LLM — only when the job holds no reply yet;
  3. save the reply on the job ('replied') BEFORE sending: a retry re-sends it, never asks the LLM again;
  4. right before sending, check the takeover once more (a human may have stepped in while the LLM thought);
  5. send; then, in one transaction, the reply joins chat_messages/chat_rooms and the job is 'done'.
A failure anywhere releases the job with its error and raises: the queue delivers the message again.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from chatbatch.adapters.gateway import Gateway
from chatbatch.adapters.llm import Completion, Llm
from chatbatch.db import Cursor, Database
from chatbatch.domain.bot_control import AWAY_ALREADY_SENT, away_decision, reason_bot_is_off
from chatbatch.domain.business_hours import BusinessHours
from chatbatch.domain.jobs import JobStateConflict, JobStatus, Step, next_step
from chatbatch.domain.messages import GROUP_SUFFIX, chat_id
from chatbatch.domain.prompt import Prompt, build_prompt
from chatbatch.domain.takeover import reason_to_stay_silent
from chatbatch.domain.tenant_settings import DEFAULT_TIME_ZONE, effective
from chatbatch.errors import ChatbatchError, DatabaseUnavailable
from chatbatch.store import ai_chat_messages, ai_jobs, chat_messages, chat_rooms, tenant_settings


class JobNotFound(ChatbatchError):
    code = "job_not_found"


class JobBusy(ChatbatchError):
    """Another worker holds the job right now (a duplicate delivery): try again later, do nothing now."""

    code = "job_busy"


@dataclass(frozen=True)
class ReplyPolicy:
    """The environment's defaults; each job runs with its tenant's own values where it set some (_tenant_policy)."""

    system_prompt: str
    history_limit: int
    takeover_minutes: float
    reply_groups: bool
    lease: timedelta  # longer than one worker invocation: a live worker never loses its job
    llm_model: str | None = None  # None: the LLM adapter's own model (LLM_MODEL)
    bot_enabled: bool = True
    away_message: str | None = None
    time_zone: str = DEFAULT_TIME_ZONE
    business_hours: dict | None = None  # None: always open

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
    job_id: int
    result: Literal["done", "skipped", "nothing"]
    completion: Completion | None = None  # set when this call asked the LLM
    reply_latency_seconds: float | None = None  # newest bubble's arrival → reply sent
    reason: str | None = None  # why a job was skipped


@dataclass(frozen=True)
class _Plan:
    step: Step
    session_tok: str
    chat_jid: str
    prompt: Prompt | None
    reply: str | None
    burst_arrived_at: datetime
    business_jid: str
    model: str | None = None  # the tenant's LLM model


def reply_to_job(db: Database, job_id: int, *, llm: Llm, gateway: Gateway, policy: ReplyPolicy) -> ReplyOutcome:
    plan = db.transaction(lambda cur: _take(cur, job_id, policy))
    if isinstance(plan, ReplyOutcome):
        return plan
    completion = None
    try:
        reply = plan.reply
        if plan.step is Step.GENERATE:
            completion = llm.complete(plan.prompt, model=plan.model)
            reply = completion.text
            db.transaction(lambda cur: _save_reply(cur, job_id, completion))
        reason = db.transaction(lambda cur: _stop_before_sending(cur, job_id, plan, policy))
        if reason:
            return ReplyOutcome(job_id, "skipped", completion, reason=reason)
        sent = gateway.send(session_token=plan.session_tok, to=plan.chat_jid, text=reply)
        sent_at = db.transaction(lambda cur: _record_sent(cur, job_id, plan, reply, sent.message_id))
    except Exception as exc:
        error = _describe(exc)
        # With the database down the lease simply runs out; the original error is the one to report.
        with contextlib.suppress(DatabaseUnavailable):
            db.transaction(lambda cur: ai_jobs.release(cur, job_id, error=error))
        raise
    latency = (sent_at - plan.burst_arrived_at).total_seconds()
    return ReplyOutcome(job_id, "done", completion, latency)


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
        raise JobBusy(f"job {job_id} is being worked on by another delivery")
    policy = _tenant_policy(cur, job.session_tok, policy)
    reason = _reason_to_stay_silent(cur, job.session_tok, job.chat_jid, policy)
    if reason:
        ai_jobs.mark_skipped(cur, job_id, reason=reason)
        return ReplyOutcome(job_id, "skipped", reason=reason)
    burst = ai_chat_messages.burst(cur, job.bubble_ids)
    if step is Step.SEND:
        ai_jobs.take(cur, job_id, to=JobStatus.REPLIED, lease=policy.lease)
        return _Plan(step, job.session_tok, job.chat_jid, None, job.reply, burst.arrived_at, burst.business_jid)
    away = _away_message(cur, job, policy)
    if isinstance(away, ReplyOutcome):  # closed, and this chat is not to get an away message now
        return away
    if away is not None:  # closed: the away message is the job's reply, sent like one
        return _Plan(Step.SEND, job.session_tok, job.chat_jid, None, away, burst.arrived_at, burst.business_jid)
    ai_jobs.take(cur, job_id, to=JobStatus.GENERATING, lease=policy.lease)
    history = chat_messages.recent(
        cur,
        chat_id=chat_id(job.session_tok, job.chat_jid),
        user_token=job.session_tok,
        limit=policy.history_limit + len(burst.lines),
        arrived_by=burst.arrived_at,
    )
    prompt = build_prompt(policy.system_prompt, history, burst.lines, history_limit=policy.history_limit)
    return _Plan(
        step, job.session_tok, job.chat_jid, prompt, None, burst.arrived_at, burst.business_jid, policy.llm_model
    )


def _tenant_policy(cur: Cursor, session_tok: str, policy: ReplyPolicy) -> ReplyPolicy:
    """The policy with the tenant's own settings (prompt, model, context size, takeover, groups, on/off, hours)."""
    own = tenant_settings.get(cur, session_tok).overrides
    return effective(policy, {_POLICY_FIELDS.get(name, name): value for name, value in own.items()})


def _away_message(cur: Cursor, job: ai_jobs.JobRow, policy: ReplyPolicy) -> str | ReplyOutcome | None:
    """Outside business hours: the away message as the job's reply (saved, so it goes out through the send steps
    like an LLM reply), or the job skipped (this closed period's away message was sent already, or none is set).
    None: open, ask the LLM."""
    hours = policy.hours()
    if hours is None:
        return None
    room_chat_id = chat_id(job.session_tok, job.chat_jid)
    state = chat_rooms.bot_state(cur, chat_id=room_chat_id, user_token=job.session_tok)
    decision = away_decision(hours, policy.away_message, now=state.now, away_sent_for=state.away_sent_for)
    if decision.closed_since is None and decision.silent is None:
        return None
    silent = decision.silent
    if silent is None and not chat_rooms.claim_away_message(
        cur, chat_id=room_chat_id, user_token=job.session_tok, closed_since=decision.closed_since
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


def _reason_to_stay_silent(cur: Cursor, session_tok: str, chat_jid: str, policy: ReplyPolicy) -> str | None:
    policy = _tenant_policy(cur, session_tok, policy)
    state = chat_rooms.bot_state(cur, chat_id=chat_id(session_tok, chat_jid), user_token=session_tok)
    return reason_bot_is_off(bot_enabled=policy.bot_enabled, paused=state.bot_paused) or reason_to_stay_silent(
        is_group=chat_jid.endswith(GROUP_SUFFIX),
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


def _stop_before_sending(cur: Cursor, job_id: int, plan: _Plan, policy: ReplyPolicy) -> str | None:
    """Why not to send after all (the job is then skipped): a human took the chat over while the reply was made."""
    job = ai_jobs.lock(cur, job_id)
    if job is None or job.status is not JobStatus.REPLIED:  # e.g. given up meanwhile: never send then
        raise JobStateConflict(f"job {job_id} is no longer waiting to be sent")
    reason = _reason_to_stay_silent(cur, plan.session_tok, plan.chat_jid, policy)
    if reason:
        ai_jobs.mark_skipped(cur, job_id, reason=reason)
        return reason
    ai_jobs.mark_sending(cur, job_id)
    return None


def _record_sent(cur: Cursor, job_id: int, plan: _Plan, reply: str, gateway_message_id: str | None) -> datetime:
    # A gateway that names no id still gets a stable, unique one: a repeated save of this job cannot add a row.
    message_id = gateway_message_id or f"chatbatch-reply-{job_id}"
    room_chat_id = chat_id(plan.session_tok, plan.chat_jid)
    sent_at = ai_jobs.mark_done(cur, job_id, reply_message_id=message_id)
    room_id = chat_rooms.upsert_for_message(
        cur,
        chat_id=room_chat_id,
        user_token=plan.session_tok,
        contact_jid=plan.chat_jid,
        contact_name=None,
        is_group=plan.chat_jid.endswith(GROUP_SUFFIX),
        content=reply,
        sender_type="ai",
        at=sent_at,
        unread_increment=0,
    )
    chat_messages.insert(
        cur,
        message_id=message_id,
        chat_room_id=room_id,
        chat_id=room_chat_id,
        user_token=plan.session_tok,
        sender_jid=plan.business_jid,
        sender_type="ai",
        message_type="text",
        content=reply,
        status="sent",
        at=sent_at,
    )
    return sent_at


def _describe(exc: Exception) -> str:
    return exc.message if isinstance(exc, ChatbatchError) else f"{type(exc).__name__}: {exc}"
