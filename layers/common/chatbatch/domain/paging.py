"""Cursors: where the next answer of a list or a feed starts. One codec for the rooms, messages and jobs pages and
the rooms-changed feed. Pure.

Lists are ordered newest first by (time, id); the id breaks ties between equal times, so a page boundary never
skips or repeats an item. A cursor is ``<microseconds since 1970-01-01 UTC>.<row id>``: that position exactly (the
database keeps microseconds). The changes feed's cursor is a time alone (the database time of the poll): its id is
0. Clients pass a cursor back unchanged; the OpenAPI document declares its format (``CURSOR_PATTERN``), and every
string of that format decodes — to a time before 2287 and an id below 10**18 — so the format is the whole rule: a
cursor the API did not issue starts the page or the feed at the position it names, and anything else is a 422 of
the request's validation naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

T = TypeVar("T")
# The largest id a path may name: JSON numbers are exact up to 2**53 in JavaScript (the page, Swagger UI) and in
# the document's validators, and a bigserial will not get there.
MAX_ROW_ID = 2**53 - 1
_MAX_MICROS_DIGITS = 16  # 10**16 µs: until the year 2286
_MAX_ID_DIGITS = 18  # 10**18 - 1 < 2**63: within bigint
CURSOR_PATTERN = rf"^[0-9]{{1,{_MAX_MICROS_DIGITS}}}\.[0-9]{{1,{_MAX_ID_DIGITS}}}$"
CURSOR_MAX_CHARS = _MAX_MICROS_DIGITS + 1 + _MAX_ID_DIGITS
_CURSOR = re.compile(CURSOR_PATTERN, re.ASCII)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PageKey:
    """Where the next page starts: strictly after (older than) this time and id."""

    at: datetime
    id: int


def encode_cursor(key: PageKey) -> str:
    micros = (key.at - _EPOCH) // timedelta(microseconds=1)
    if not 0 <= micros < 10**_MAX_MICROS_DIGITS or not 0 <= key.id < 10**_MAX_ID_DIGITS:
        raise ValueError(f"{key} has no cursor (a time from 1970 to 2286, an id below 10**18)")
    return f"{micros}.{key.id}"


def decode_cursor(text: str) -> PageKey:
    """The position a cursor names; ValueError for a text that is not of ``CURSOR_PATTERN``'s format (the API
    refuses those before a route runs)."""
    if _CURSOR.fullmatch(text) is None:
        raise ValueError(f"{text!r} is not a cursor: <microseconds since 1970>.<id>")
    micros, row_id = text.split(".")
    return PageKey(_EPOCH + timedelta(microseconds=int(micros)), int(row_id))


def time_cursor(at: datetime) -> str:
    """The cursor of a moment alone (the changes feed's)."""
    return encode_cursor(PageKey(at, 0))


def split_page(rows: Sequence[T], limit: int, key_of: Callable[[T], PageKey]) -> tuple[list[T], PageKey | None]:
    """``rows`` were fetched with ``limit + 1``: the page, and the key of its next page (None on the last)."""
    page = list(rows[:limit])
    has_more = len(rows) > limit
    return page, (key_of(page[-1]) if has_more and page else None)
