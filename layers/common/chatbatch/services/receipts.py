"""Delivery receipts in the history: applied to the messages they name, or held until those are stored.

A gateway reports "delivered" or "read" (or, on the Cloud API, "failed") as soon as WhatsApp knows, which can be
before the worker has recorded the reply part it just sent (the gateway answers the send after its webhooks went
out) or before a staff reply's send returned. Such a receipt is held (store/held_receipts.py) and applied when its
message is stored — by :func:`message_stored`, which every writer of a message the business sent calls in the
transaction that stores it, after :func:`storing_message` at its start. Parts of the caller's transaction.
"""

from __future__ import annotations

from typing import Literal

from chatbatch.db import Cursor
from chatbatch.domain.delivery import DeliveryStatus, statuses_before
from chatbatch.domain.inbound.events import Receipt
from chatbatch.store import chat_messages, held_receipts

ReceiptOutcome = Literal["updated", "unchanged", "held"]


def apply_receipt(cur: Cursor, receipt: Receipt) -> ReceiptOutcome:
    """``updated``: a message's status moved; ``unchanged``: the tenant has the message, and its status stays
    (never backwards); ``held``: no such message yet, the receipt waits for it."""
    held_receipts.lock(cur, tenant=receipt.tenant, message_ids=receipt.message_ids)
    earlier = statuses_before(receipt.status)
    fact = {
        "tenant": receipt.tenant,
        "message_ids": receipt.message_ids,
        "status": receipt.status.value,
        "error": receipt.error,
    }
    moved, known = chat_messages.advance_status(cur, **fact, from_statuses=earlier)
    if moved:
        return "updated"
    if known or not earlier:  # a "sent" receipt moves nothing: every message the business sent starts there
        return "unchanged"
    held_receipts.hold(cur, **fact, over=earlier)
    return "held"


def storing_message(cur: Cursor, *, tenant: str, message_id: str) -> None:
    """Called first in the transaction that stores a message the business sent (before its room is touched, the
    order every receipt takes too): a receipt for it either committed before, or waits until this one did."""
    held_receipts.lock(cur, tenant=tenant, message_ids=[message_id])


def message_stored(cur: Cursor, *, tenant: str, message_id: str) -> None:
    """The message is in the history now: a receipt held for it is applied."""
    held = held_receipts.take(cur, tenant=tenant, message_id=message_id)
    if held is None:
        return
    status, error = held
    chat_messages.advance_status(
        cur,
        tenant=tenant,
        message_ids=[message_id],
        status=status,
        error=error,
        from_statuses=statuses_before(DeliveryStatus(status)),
    )
