"""Use cases: what a gateway's webhook reported, applied — each event in its own transaction.

A message goes through :func:`chatbatch.services.ingest.ingest_message` (the one path every message takes: dedupe,
history, debounce, takeover, echo). A receipt moves the delivery status of the messages it names (or waits for
them: services/receipts.py) and, when it carries our reference of a reply part (the Cloud API), proves that part
went out, as an echo does; a reaction is kept against the message it reacts to, a deletion marks the message
deleted in the history; none of them makes a job, an unread count or a reply. Events we do not use, and invalid
items of a batched delivery, change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatbatch.db import Database
from chatbatch.domain.chats import Chat
from chatbatch.domain.inbound.events import (
    GatewayEvent,
    Ignored,
    Reaction,
    Receipt,
    Rejected,
    Revocation,
    event_name,
)
from chatbatch.domain.messages import IncomingMessage
from chatbatch.services import receipts
from chatbatch.services.ingest import IngestResult, ingest_message, settle_part_by_reference
from chatbatch.store import chat_messages, message_reactions


@dataclass(frozen=True)
class Outcome:
    """What one event changed. ``status``: accepted | duplicate (a message), updated | unchanged (a receipt,
    reaction or deletion), held (a receipt whose message is not stored yet), ignored, rejected (an invalid item of
    a batch)."""

    event: str
    status: str
    message_id: str | None = None
    chat_id: str | None = None
    detail: str | None = None
    ingested: IngestResult | None = None  # a message's result (echo, takeover), for metrics and logs


def apply_event(db: Database, event: GatewayEvent, *, reply_groups: bool) -> Outcome:
    name = event_name(event)
    if isinstance(event, IncomingMessage):
        result = ingest_message(db, event, reply_groups=reply_groups)
        return Outcome(name, result.status, result.message_id, result.chat_id, ingested=result)
    if isinstance(event, Receipt):
        # Meta's proof that a reply part went out (it sends no echo): a part whose send timed out after Meta took
        # it is recorded by the worker's retry instead of sent again. A retried delivery repeats it harmlessly.
        settled = event.reference is not None and settle_part_by_reference(
            db, tenant=event.tenant, reference=event.reference, message_id=event.message_ids[0]
        )
        outcome = db.transaction(lambda cur: receipts.apply_receipt(cur, event))
        status = "updated" if settled and outcome == "unchanged" else outcome
        return Outcome(name, status, event.message_ids[0], detail=event.status.value)
    if isinstance(event, Reaction):
        room = Chat(event.tenant, event.chat_jid).room_key
        kept = db.transaction(lambda cur: message_reactions.record(cur, event, chat_id=room))
        return _changed(name, kept, event.message_id, room)
    if isinstance(event, Revocation):
        deleted = db.transaction(
            lambda cur: chat_messages.mark_deleted(cur, tenant=event.tenant, message_ids=event.message_ids)
        )
        return _changed(name, deleted, event.message_ids[0])
    if isinstance(event, Ignored):
        return Outcome(name, "ignored", detail=event.reason)
    if isinstance(event, Rejected):
        return Outcome(name, "rejected", detail=event.error.message)
    raise TypeError(f"not a gateway event: {event!r}")


def _changed(event: str, changed: int | bool, message_id: str, room: str | None = None, **extra) -> Outcome:
    return Outcome(event, "updated" if changed else "unchanged", message_id, room, **extra)
