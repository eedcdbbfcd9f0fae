"""Keyset pagination: the position after the last item of a page, and the opaque cursor that carries it.

Lists are ordered newest first by (time, id); the id breaks ties between equal times, so a page boundary
never skips or repeats an item. A cursor is base64url(JSON {"t": ISO-8601 time, "id": row id}): opaque to
clients, who pass ``next_cursor`` back unchanged.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from chatbatch.errors import BadRequest

T = TypeVar("T")
MAX_ROW_ID = 2**63 - 1  # bigserial


@dataclass(frozen=True)
class PageKey:
    """Where the next page starts: strictly after (older than) this time and id."""

    at: datetime
    id: int


def encode_cursor(key: PageKey) -> str:
    raw = json.dumps({"t": key.at.isoformat(), "id": key.id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(text: str, *, parameter: str) -> PageKey:
    """The ``PageKey`` a cursor carries; ``BadRequest`` naming ``parameter`` when it is not one we issued."""
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        at = datetime.fromisoformat(data["t"])
        row_id = data["id"]
    except (binascii.Error, ValueError, UnicodeDecodeError, TypeError, KeyError, RecursionError):
        raise _bad_cursor(parameter) from None
    if at.tzinfo is None or type(row_id) is not int or not 1 <= row_id <= MAX_ROW_ID:
        raise _bad_cursor(parameter)
    return PageKey(at, row_id)


def _bad_cursor(parameter: str) -> BadRequest:
    return BadRequest(
        f"{parameter} is not a cursor this API returned; pass the next_cursor of the previous page unchanged, "
        f"or leave {parameter} out for the first page"
    )


def split_page(rows: Sequence[T], limit: int, key_of: Callable[[T], PageKey]) -> tuple[list[T], PageKey | None]:
    """``rows`` were fetched with ``limit + 1``: the page, and the key of its next page (None on the last)."""
    page = list(rows[:limit])
    has_more = len(rows) > limit
    return page, (key_of(page[-1]) if has_more and page else None)
