"""Use case of the chat-history page's live updates: which of the tenant's rooms changed since a cursor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatbatch import views
from chatbatch.db import Cursor, Database, transaction_time
from chatbatch.domain.paging import time_cursor
from chatbatch.domain.room_changes import MAX_CHANGED_ROOMS, changes_window_start


@dataclass(frozen=True)
class RoomChanges:
    items: list[dict[str, Any]]  # rooms, as views returns them
    cursor: str  # pass as ``since`` to the next poll
    complete: bool  # False: more rooms changed than one answer holds; reload the room list


def room_changes(db: Database, *, tenant: str, since: str | None, max_rooms: int = MAX_CHANGED_ROOMS) -> RoomChanges:
    """The rooms stamped since the cursor's overlap window (none without a cursor), and the next cursor.

    The next cursor is this read's transaction time: a write stamped before it but not yet committed is
    picked up by the next poll's overlap; one stamped after it is newer than the next poll's window start.
    """
    window_start = changes_window_start(since) if since else None

    def work(cur: Cursor) -> RoomChanges:
        polled_at = transaction_time(cur)
        if window_start is None:
            return RoomChanges([], time_cursor(polled_at), complete=True)
        rows = views.rooms_changed_since(cur, tenant=tenant, since=window_start, size=max_rooms + 1)
        return RoomChanges(rows[:max_rooms], time_cursor(polled_at), complete=len(rows) <= max_rooms)

    return db.transaction(work)
