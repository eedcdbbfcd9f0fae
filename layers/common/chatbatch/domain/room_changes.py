"""The "rooms changed since" feed the chat-history page polls: its cursor and its overlap rule. Pure, no I/O.

A cursor is the database time of the previous poll (``paging.time_cursor``: the one cursor codec). A writer stamps
a room (``updated_at``) a moment before its transaction commits, so a poll can run between the stamp and the commit
and not see that row; the next poll would then start after the stamp and miss it for good. Each poll therefore
looks back ``CHANGES_OVERLAP`` before its cursor: a room can be reported twice (the client merges by id), never
lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chatbatch.domain.paging import decode_cursor

# Far longer than any gap between a room's stamp and its commit (one short transaction; the statement
# timeout bounds it), short enough that a poll's answer stays a handful of rooms.
CHANGES_OVERLAP = timedelta(seconds=10)
# More changed rooms than this in one poll: the client reloads its first page of rooms instead.
MAX_CHANGED_ROOMS = 200


def changes_window_start(cursor: str) -> datetime:
    """Where a poll with this cursor starts looking: the cursor's time minus the overlap."""
    return decode_cursor(cursor).at - CHANGES_OVERLAP
