"""The "rooms changed since" feed the chat-history page polls: its cursor and its overlap rule. Pure, no I/O.

A cursor is the database time of the previous poll. A writer stamps a room (``updated_at``) a moment
before its transaction commits, so a poll can run between the stamp and the commit and not see that row;
the next poll would then start after the stamp and miss it for good. Each poll therefore looks back
``CHANGES_OVERLAP`` before its cursor: a room can be reported twice (the client merges by id), never lost.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta

from chatbatch.errors import BadRequest

# Far longer than any gap between a room's stamp and its commit (one short transaction; the statement
# timeout bounds it), short enough that a poll's answer stays a handful of rooms.
CHANGES_OVERLAP = timedelta(seconds=10)
# More changed rooms than this in one poll: the client reloads its first page of rooms instead.
MAX_CHANGED_ROOMS = 200


def encode_cursor(at: datetime) -> str:
    """An opaque cursor for the poll that ran at database time ``at``."""
    return base64.urlsafe_b64encode(at.astimezone(UTC).isoformat().encode("ascii")).decode("ascii")


def decode_cursor(cursor: str) -> datetime:
    """The database time a cursor stands for; ``BadRequest`` naming ``since`` when it is not one we issued."""
    try:
        at = datetime.fromisoformat(base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii"))
    except (ValueError, UnicodeError, binascii.Error):
        at = None
    if at is None or at.tzinfo is None or at.year < 2:
        raise BadRequest(
            "since is not a cursor this API returned; pass the cursor of the previous changes answer "
            "unchanged, or leave since out to get a first cursor"
        )
    return at


def changes_window_start(cursor: str) -> datetime:
    """Where a poll with this cursor starts looking: the cursor's time minus the overlap."""
    return decode_cursor(cursor) - CHANGES_OVERLAP
