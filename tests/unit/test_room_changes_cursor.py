"""The changes feed's cursor: round trip, overlap, and a clear error for a cursor that is not ours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from chatbatch.domain.room_changes import CHANGES_OVERLAP, changes_window_start, decode_cursor, encode_cursor
from chatbatch.errors import BadRequest

AT = datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=UTC)


def test_a_cursor_stands_for_the_exact_time_it_was_made_at():
    assert decode_cursor(encode_cursor(AT)) == AT


def test_a_cursor_of_another_zone_is_the_same_instant():
    jakarta = AT.astimezone(timezone(timedelta(hours=7)))

    assert encode_cursor(jakarta) == encode_cursor(AT)


def test_a_poll_looks_back_the_overlap_before_its_cursor():
    assert changes_window_start(encode_cursor(AT)) == AT - CHANGES_OVERLAP


@pytest.mark.parametrize(
    "cursor", ["", "not base64!", "aGVsbG8=", encode_cursor(AT)[:-4] + "%%%%", "MjAyNi0xMS0yNlQxMjowMDowMA=="]
)  # the last: a time without a zone
def test_a_cursor_that_is_not_ours_is_a_bad_request_naming_since(cursor):
    with pytest.raises(BadRequest) as caught:
        decode_cursor(cursor)

    assert caught.value.message.startswith("since is not a cursor this API returned")
