"""Use cases of the operator console: a staff reply, pausing the bot in a chat, a chat's jobs, retrying a job.

Each is scoped by the tenant: another tenant's room or job is ``NotFound``, exactly like one that does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from chatbatch import views
from chatbatch.adapters.gateway import Gateway, GatewayError
from chatbatch.db import Cursor, Database, transaction_time
from chatbatch.domain.delivery import UNCONFIRMED, DeliveryStatus
from chatbatch.domain.paging import PageKey
from chatbatch.errors import Conflict, GatewayTimeout, GatewayUnavailable, NotFound
from chatbatch.services import receipts
from chatbatch.services.api_tokens import Tenant
from chatbatch.services.history import Page, require_room, room_page
from chatbatch.store import ai_jobs, chat_messages, chat_rooms, reply_parts


@dataclass(frozen=True)
class _Outgoing:
    row_id: int
    room: dict[str, Any]


def send_staff_reply(db: Database, gateway: Gateway, tenant: Tenant, *, room_id: int, text: str) -> dict[str, Any]:
    """A human's reply from the console: sent through the gateway, saved to the history as sender ``user`` with
    the operator's name, and the takeover window starts (the bot stays silent in the chat).

    Saved (status ``sending``) and the takeover started BEFORE the gateway is asked: the bot cannot answer over
    it meanwhile, and the gateway's echo, which may arrive before the send returns, is recognised by its text.
    A gateway that refuses it leaves the message ``failed`` in the history and answers 502: nothing was sent.
    """

    def save(cur: Cursor) -> _Outgoing:
        room = require_room(cur, tenant.name, room_id)
        chat_rooms.mark_human_active(cur, room_id)
        row_id = chat_messages.insert(
            cur,
            message_id=f"chatbatch-staff-{uuid.uuid4().hex}",
            chat_room_id=room_id,
            chat_id=room["chat_id"],
            tenant=tenant.name,
            sender_jid=chat_messages.business_jid(cur, chat_room_id=room_id, tenant=tenant.name) or "",
            sender_type="user",
            message_type="text",
            content=text,
            status="sending",
            at=transaction_time(cur),
            sent_by=tenant.operator,
        )
        return _Outgoing(row_id, room)

    outgoing = db.transaction(save)
    try:
        sent = gateway.send(tenant=tenant.name, to=outgoing.room["contact_jid"], text=text)
    except Exception as exc:  # never leave it "sending": the operator sees how it ended
        # A gateway that took the request and gave no answer may have sent it: "unconfirmed" (never "failed", which
        # invites sending it again) until WhatsApp's echo of it proves it went out (record_staff_echo).
        unknown = isinstance(exc, GatewayError) and exc.outcome_unknown
        status = UNCONFIRMED if unknown else DeliveryStatus.FAILED.value
        db.transaction(
            lambda cur: chat_messages.finish_staff_send(cur, outgoing.row_id, status=status, gateway_message_id=None)
        )
        if unknown:
            raise GatewayTimeout(
                f"the gateway gave no answer ({exc.message}): the message may have been sent; it shows as sent when"
                " WhatsApp's echo of it arrives, so check the chat before sending it again"
            ) from None
        if isinstance(exc, GatewayError):
            raise GatewayUnavailable(f"the message was not sent: {exc.message}") from None
        raise

    def record(cur: Cursor) -> dict[str, Any]:
        if sent.message_id:  # its receipts may have come before the send answered: they wait for this id
            receipts.storing_message(cur, tenant=tenant.name, message_id=sent.message_id)
        chat_messages.finish_staff_send(cur, outgoing.row_id, status="sent", gateway_message_id=sent.message_id)
        if sent.message_id:
            receipts.message_stored(cur, tenant=tenant.name, message_id=sent.message_id)
        room = outgoing.room
        chat_rooms.upsert_for_message(
            cur,
            chat_id=room["chat_id"],
            tenant=tenant.name,
            contact_jid=room["contact_jid"],
            contact_name=None,
            is_group=room["is_group"],
            content=text,
            sender_type="user",
            at=transaction_time(cur),
            unread_increment=0,
        )
        return views.message(cur, tenant=tenant.name, row_id=outgoing.row_id)

    return db.transaction(record)


def pause_bot(db: Database, tenant: Tenant, *, room_id: int, paused: bool) -> dict[str, Any]:
    """Pause the bot in one chat until resumed (``paused`` false resumes it); the takeover timer is untouched."""

    def work(cur: Cursor) -> dict[str, Any]:
        found = chat_rooms.set_bot_paused(cur, room_id=room_id, tenant=tenant.name, paused=paused, by=tenant.operator)
        if not found:
            raise NotFound(f"no chat room {room_id} in this session")
        return require_room(cur, tenant.name, room_id)

    return db.transaction(work)


def list_jobs(db: Database, *, tenant: str, room_id: int, limit: int, before: PageKey | None) -> Page:
    """The bot's jobs of a room, newest first: status, error, reply."""

    def rows(cur: Cursor, room: dict[str, Any]) -> list[dict[str, Any]]:
        return views.jobs_page(cur, tenant=tenant, chat_jid=room["contact_jid"], before=before, size=limit + 1)

    return room_page(db, tenant=tenant, room_id=room_id, limit=limit, time_column="created_at", rows=rows)


def retry_job(db: Database, *, tenant: str, job_id: int) -> dict[str, Any]:
    """A new attempt at a failed job: a new job for the same bubbles, which the next sweep sends to the worker.

    Only a failed job is retried, and only once (a failed retry is retried in turn): the failed job can never
    reply any more (failed is final), so a burst has at most one job that may still answer it. Nor is a job that
    failed after handing part of its reply to the gateway: the customer may have that part, and a retry asks the
    LLM for a whole new reply, sent on top of it (the bot talking twice). The operator answers that chat by hand.
    """

    def work(cur: Cursor) -> dict[str, Any]:
        job = views.job(cur, tenant=tenant, job_id=job_id)
        if job is None:
            raise NotFound(f"no job {job_id} in this session")
        if job["retried_by"] is not None:
            raise Conflict(f"job {job_id} was already retried as job {job['retried_by']}")
        if job["status"] != "failed":
            raise Conflict(f"job {job_id} is {job['status']}; only a failed job can be retried")
        if handed := job["parts_handed_over"]:  # the job's view counts them (views.py)
            raise Conflict(
                f"job {job_id} failed after handing {handed} of the {reply_parts.count(cur, job_id)} parts of its"
                " reply to the gateway (the customer may have them); a retry would send a whole new reply on top:"
                " answer this chat yourself"
            )
        new_id = ai_jobs.insert_retry(cur, job_id)
        if new_id is None:  # another retry of it committed first
            raise Conflict(f"job {job_id} was already retried")
        return views.job(cur, tenant=tenant, job_id=new_id)

    return db.transaction(work)
