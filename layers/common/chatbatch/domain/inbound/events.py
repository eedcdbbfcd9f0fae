"""What a gateway's webhook says happened, and small readers for its JSON. Pure.

A parser returns a list of events: most gateways post one event per request, the Cloud API batches several.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chatbatch.domain import jids
from chatbatch.domain.delivery import DeliveryStatus
from chatbatch.domain.messages import MAX_ID_CHARS, IncomingMessage, parse_timestamp
from chatbatch.errors import InvalidFields


@dataclass(frozen=True)
class Receipt:
    """The gateway delivered (or could not deliver) messages the business sent."""

    tenant: str
    message_ids: tuple[str, ...]
    status: DeliveryStatus
    error: str | None = None  # why it failed, as the gateway says (the Cloud API's error title)
    reference: str | None = None  # our own name of the message, carried back (the Cloud API's biz_opaque_callback_data)


@dataclass(frozen=True)
class Reaction:
    """Someone reacted to a message with an emoji ('' = took their reaction back)."""

    tenant: str
    chat_jid: str
    message_id: str  # the message reacted to
    sender_jid: str
    emoji: str
    reacted_at: datetime | None  # None: the gateway gave no time (the database's now() is used)
    from_me: bool


@dataclass(frozen=True)
class Revocation:
    """A message was deleted (revoked for everyone, or deleted by the business). ``message_ids``: every form
    in which the gateway may have named that message when it arrived (WAHA, for one, shortens it)."""

    tenant: str
    message_ids: tuple[str, ...]


@dataclass(frozen=True)
class Ignored:
    """An event chatbatch does not use (session status, presence, calls, groups, ...): answered 200, counted."""

    event_type: str
    reason: str


@dataclass(frozen=True)
class Rejected:
    """One invalid item of a batched delivery: the others are still applied (the Cloud API retries a whole
    delivery for days unless it is answered 200)."""

    event_type: str
    error: InvalidFields


GatewayEvent = IncomingMessage | Receipt | Reaction | Revocation | Ignored | Rejected


def event_name(event: GatewayEvent) -> str:
    """The event's kind as answers and logs name it."""
    if isinstance(event, Ignored | Rejected):
        return event.event_type
    return {IncomingMessage: "message", Receipt: "receipt", Reaction: "reaction", Revocation: "revocation"}[type(event)]


# --- reading a gateway's JSON ---------------------------------------------------------------------------------


def dig(document: Any, *path: str | int) -> Any:
    """``document[path[0]][path[1]]…``, or None where a key is missing or a value has the wrong shape."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(document, list) or not -len(document) <= step < len(document):
                return None
        elif not isinstance(document, dict):
            return None
        document = document[step] if isinstance(step, int) else document.get(step)
    return document


def text(value: Any) -> str | None:
    """A non-empty string, else None (gateways send "", null or numbers where a value is absent)."""
    return value if isinstance(value, str) and value else None


def body_object(document: Any) -> dict:
    if not isinstance(document, dict):
        raise InvalidFields(
            f"the body must be a JSON object, got {type(document).__name__}",
            details=[{"field": "(body)", "problem": "must be a JSON object"}],
        )
    return document


def require_id(value: Any, field: str) -> str:
    """A session, message or event id: a non-blank string without surrounding spaces (the flat route's rule)."""
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        problem = "is required" if value is None else "must be a non-blank string without surrounding spaces"
    elif len(value) > MAX_ID_CHARS or "\x00" in value:
        problem = f"must have at most {MAX_ID_CHARS} characters and no NUL"
    else:
        return value
    raise InvalidFields(f"invalid webhook event: {field}: {problem}", details=[{"field": field, "problem": problem}])


def require_address(value: Any, field: str) -> str:
    """A WhatsApp address (see :mod:`chatbatch.domain.jids`)."""
    value = require_id(value, field)
    problem = jids.address_problem(value)
    if problem:
        raise InvalidFields(
            f"invalid webhook event: {field}: {problem}", details=[{"field": field, "problem": problem}]
        )
    return value


def optional_time(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise InvalidFields(
            f"invalid webhook event: {field}: {exc}", details=[{"field": field, "problem": str(exc)}]
        ) from None
