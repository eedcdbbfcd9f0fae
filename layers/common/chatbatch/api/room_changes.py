"""``GET /chat-rooms/changes``: the rooms of the token's session that changed since a cursor.

The chat-history page polls it every few seconds instead of reloading lists: an answer is usually empty
or a handful of rooms, read with one index range scan (see migration 0005).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel

from chatbatch.api.database import api_database
from chatbatch.api.history import SECURED, CurrentTenant, Room, cursor_query
from chatbatch.api.openapi import responses
from chatbatch.services.room_changes import room_changes

router = APIGatewayHttpRouter()


class RoomChangesAnswer(BaseModel):
    items: list[Room]
    cursor: str
    complete: bool


@router.get(
    "/chat-rooms/changes",
    summary="The session's rooms that changed since a cursor (live updates)",
    description="Without `since`: no rooms and a first cursor. With the previous answer's `cursor`: the rooms "
    "changed since (a room may come twice: merge by id) and the next cursor. `complete` false: more "
    "rooms changed than one answer holds; reload GET /chat-rooms instead.",
    responses=responses("The changed rooms and the next cursor", 401, 422, 503),
    **SECURED,
)
def list_room_changes(
    tenant: CurrentTenant,
    since: Annotated[str | None, cursor_query("cursor of the previous changes answer")] = None,
) -> RoomChangesAnswer:
    changes = room_changes(api_database(), tenant=tenant.name, since=since)
    return RoomChangesAnswer(
        items=[Room(**row) for row in changes.items], cursor=changes.cursor, complete=changes.complete
    )
