"""Use cases of the chat-history API: a page of the tenant's rooms, a page of a room's messages, mark read.

Each runs in one transaction and sees only the tenant's rows: another tenant's room is ``NotFound``, exactly
like a room that does not exist, so ids reveal nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chatbatch import views
from chatbatch.db import Cursor, Database
from chatbatch.domain.paging import PageKey, encode_cursor, split_page
from chatbatch.domain.room_search import RoomSearch
from chatbatch.errors import NotFound
from chatbatch.store import chat_rooms


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def list_rooms(
    db: Database, *, tenant: str, limit: int, after: PageKey | None, search: RoomSearch | None = None
) -> Page:
    rows = db.transaction(lambda cur: views.rooms_page(cur, tenant=tenant, after=after, size=limit + 1, search=search))
    return _page(rows, limit, "last_activity")


def list_messages(db: Database, *, tenant: str, room_id: int, limit: int, before: PageKey | None) -> Page:
    def rows(cur: Cursor, room: dict[str, Any]) -> list[dict[str, Any]]:
        return views.messages_page(cur, tenant=tenant, room_id=room["id"], before=before, size=limit + 1)

    return room_page(db, tenant=tenant, room_id=room_id, limit=limit, time_column="timestamp", rows=rows)


def room_page(
    db: Database,
    *,
    tenant: str,
    room_id: int,
    limit: int,
    time_column: str,
    rows: Callable[[Cursor, dict[str, Any]], list[dict[str, Any]]],
) -> Page:
    """A page of rows of one of the tenant's rooms (``NotFound`` for any other room), newest first by
    (``time_column``, id): ``rows(cur, room)`` fetches ``limit + 1`` of them, in the room's transaction."""

    def work(cur: Cursor) -> list[dict[str, Any]]:
        return rows(cur, require_room(cur, tenant, room_id))

    return _page(db.transaction(work), limit, time_column)


def mark_room_read(db: Database, *, tenant: str, room_id: int) -> dict[str, Any]:
    def work(cur: Cursor) -> dict[str, Any]:
        if not chat_rooms.mark_read(cur, room_id=room_id, tenant=tenant):
            raise _no_room(room_id)
        return require_room(cur, tenant, room_id)

    return db.transaction(work)


def require_room(cur: Cursor, tenant: str, room_id: int) -> dict[str, Any]:
    found = views.room(cur, tenant=tenant, room_id=room_id)
    if found is None:
        raise _no_room(room_id)
    return found


def _no_room(room_id: int) -> NotFound:
    return NotFound(f"no chat room {room_id} in this session")


def _page(rows: list[dict[str, Any]], limit: int, time_column: str) -> Page:
    items, next_key = split_page(rows, limit, lambda row: PageKey(row[time_column], row["id"]))
    return Page(items, encode_cursor(next_key) if next_key else None)
