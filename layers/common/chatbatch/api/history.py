"""Routes of the chat-history API for the dashboard UI: rooms, a room's messages, mark a room read.

Every route needs ``Authorization: Bearer <token>``; the token decides the tenant (session token), once per
request, and every query is scoped by it. Lists are keyset-paginated: ``next_cursor`` of one page is the
``cursor`` (rooms) or ``before`` (messages) of the next.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Request
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, PlainSerializer, WithJsonSchema

from chatbatch.api.database import api_database
from chatbatch.api.openapi import BEARER, HISTORY_TAG, responses
from chatbatch.domain.api_tokens import Scope
from chatbatch.domain.paging import CURSOR_MAX_CHARS, CURSOR_PATTERN, MAX_ROW_ID, PageKey, decode_cursor
from chatbatch.domain.room_search import MAX_SEARCH_CHARS, RoomSearch
from chatbatch.errors import Unauthorized
from chatbatch.services import api_tokens, history
from chatbatch.services.api_tokens import Tenant

router = APIGatewayHttpRouter()

# Times leave the API as ISO-8601 UTC ("…Z"), whatever the database session's time zone.
UtcTime = Annotated[
    datetime,
    PlainSerializer(lambda at: at.astimezone(UTC).isoformat().replace("+00:00", "Z"), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class Room(BaseModel):
    id: int
    chat_id: str
    contact_jid: str
    contact_name: str | None
    chat_type: Literal["individual", "group"]
    is_group: bool
    last_message: str | None
    last_sender: Literal["contact", "user", "ai"] | None
    last_activity: UtcTime
    unread_count: int
    bot_paused: bool  # an operator paused the bot in this chat (POST /chat-rooms/{id}/bot)


class Reaction(BaseModel):
    emoji: str
    sender_jid: str
    from_me: bool  # the business side reacted


class Message(BaseModel):
    id: int
    message_id: str
    sender_type: Literal["contact", "user", "ai"]
    sender_jid: str
    message_type: str
    content: str
    status: str  # received (a contact's), or sent -> delivered -> read / failed (what the business sent); a staff
    # reply whose send got no answer: unconfirmed, until its echo makes it sent
    status_error: str | None  # why the gateway could not deliver it (status failed)
    reply_to_message_id: str | None  # the message this one quotes
    deleted_at: UtcTime | None  # deleted for everyone (the content is kept for the business)
    reactions: list[Reaction]
    timestamp: UtcTime
    sent_by: str | None  # a staff reply sent from the console: the operator's token name


class RoomPage(BaseModel):
    items: list[Room]
    next_cursor: str | None


class MessagePage(BaseModel):
    items: list[Message]
    next_cursor: str | None


def bearer_tenant(request: Request) -> Tenant:
    """The tenant of the request's bearer token (401 when missing, malformed, unknown or revoked)."""
    header = request.headers.get("authorization")  # the event's headers are case-insensitive
    if not header:
        raise Unauthorized("missing Authorization header; send `Authorization: Bearer <token>`")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be `Bearer <token>`")
    return api_tokens.authenticate(api_database(), token.strip())


def operator_tenant(tenant: Annotated[Tenant, Depends(bearer_tenant)]) -> Tenant:
    return tenant.require(Scope.OPERATE)


def admin_tenant(tenant: Annotated[Tenant, Depends(bearer_tenant)]) -> Tenant:
    return tenant.require(Scope.ADMIN)


# Every valid token may read; replying, pausing and retrying need operate; the bot's settings need admin.
CurrentTenant = Annotated[Tenant, Depends(bearer_tenant)]
OperatorTenant = Annotated[Tenant, Depends(operator_tenant)]
AdminTenant = Annotated[Tenant, Depends(admin_tenant)]
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page (1-100)")]


def cursor_query(description: str):
    """A cursor query parameter: its format is declared, and every string of that format is a cursor
    (domain/paging.py); any other is a 422 naming the parameter before the route runs."""
    return Query(
        pattern=CURSOR_PATTERN,
        max_length=CURSOR_MAX_CHARS,
        description=f"{description}: `<microseconds since 1970>.<id>`, as the API returned it",
    )


def page_key(cursor: str | None) -> PageKey | None:
    """Where the page a cursor parameter names starts (its format was checked with the request)."""
    return decode_cursor(cursor) if cursor else None


Before = Annotated[str | None, cursor_query("next_cursor of the previous (newer) page")]
RoomId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The chat room's id")]
SECURED = {"security": [{BEARER: []}], "tags": [HISTORY_TAG]}


@router.get(
    "/chat-rooms",
    summary="The session's chat rooms, newest activity first",
    description="With `q`: only rooms whose contact name contains it (any case), or, when it looks like a phone "
    "number, whose number does (`+62 812` finds 62812…); page with `cursor` as usual.",
    responses=responses("One page of rooms", 401, 422, 503),
    **SECURED,
)
def list_rooms(
    tenant: CurrentTenant,
    limit: Limit = 20,
    cursor: Annotated[str | None, cursor_query("next_cursor of the previous page")] = None,
    q: Annotated[
        str | None, Query(max_length=MAX_SEARCH_CHARS, description="search: part of the contact's name or number")
    ] = None,
) -> RoomPage:
    page = history.list_rooms(
        api_database(),
        tenant=tenant.name,
        limit=limit,
        after=page_key(cursor),
        search=RoomSearch.of(q) if q else None,
    )
    return RoomPage.model_validate(page, from_attributes=True)


@router.get(
    "/chat-rooms/<room_id>/messages",
    summary="A chat room's messages, newest first",
    responses=responses("One page of messages", 401, 404, 422, 503),
    **SECURED,
)
def list_messages(tenant: CurrentTenant, room_id: RoomId, limit: Limit = 20, before: Before = None) -> MessagePage:
    db, older = api_database(), page_key(before)
    page = history.list_messages(db, tenant=tenant.name, room_id=room_id, limit=limit, before=older)
    return MessagePage.model_validate(page, from_attributes=True)


@router.post(
    "/chat-rooms/<room_id>/read",
    summary="Mark a chat room read (unread_count 0)",
    responses=responses("The room, now with unread_count 0", 401, 404, 422, 503),
    **SECURED,
)
def mark_read(tenant: CurrentTenant, room_id: RoomId) -> Room:
    return Room(**history.mark_room_read(api_database(), tenant=tenant.name, room_id=room_id))
