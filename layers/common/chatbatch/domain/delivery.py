"""Delivery receipts: how a sent message's status may move. Pure; the store applies it as one guarded UPDATE.

A message the business sent (the bot's reply or a human's) is ``sent``, then ``delivered`` to the customer's phone,
then ``read``. Gateways report these out of order and more than once (a retried webhook, a receipt per device, a
"delivered" that arrives after the "read"), so a status only ever moves forward: a late ``delivered`` never turns a
``read`` message back. ``failed`` (the Cloud API could not deliver it; the gateway's reason is kept) can only follow
``sent``: a message the customer's phone confirmed did not fail. A customer's own messages (``received``) have no
delivery status and are never touched.
"""

from __future__ import annotations

from enum import Enum


class DeliveryStatus(str, Enum):
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


# A staff reply whose send got no answer from the gateway (it may have gone out): not a receipt's status. Its echo
# from WhatsApp makes it ``sent`` (services/console.py, store/chat_messages.py record_staff_echo).
UNCONFIRMED = "unconfirmed"

# Each status, and the statuses a message may have for it to apply (always earlier ones: never backwards).
_MAY_FOLLOW: dict[DeliveryStatus, tuple[DeliveryStatus, ...]] = {
    DeliveryStatus.SENT: (),
    DeliveryStatus.DELIVERED: (DeliveryStatus.SENT,),
    DeliveryStatus.READ: (DeliveryStatus.SENT, DeliveryStatus.DELIVERED),
    DeliveryStatus.FAILED: (DeliveryStatus.SENT,),
}


def statuses_before(status: DeliveryStatus) -> tuple[str, ...]:
    """The statuses a message may have for a receipt of ``status`` to move it (empty: nothing moves)."""
    return tuple(s.value for s in _MAY_FOLLOW[status])


def moves(current: str, receipt: DeliveryStatus) -> bool:
    """Does a receipt of ``receipt`` move a message whose status is ``current``?"""
    return current in statuses_before(receipt)
