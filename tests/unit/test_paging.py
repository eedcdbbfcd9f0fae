"""Keyset cursors and page splitting (pure)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from chatbatch.domain.paging import MAX_ROW_ID, PageKey, decode_cursor, encode_cursor, split_page
from chatbatch.errors import BadRequest
from hypothesis import given
from hypothesis import strategies as st

keys = st.builds(
    PageKey,
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=7))])),
    st.integers(1, MAX_ROW_ID),
)


@given(keys)
def test_a_cursor_carries_its_key_exactly(key):
    cursor = encode_cursor(key)
    assert decode_cursor(cursor, parameter="cursor") == key
    assert cursor.isascii() and "=" not in cursor and "/" not in cursor and "+" not in cursor


@given(st.text(max_size=80))
def test_any_other_text_is_a_bad_request_or_a_valid_key(text):
    try:
        key = decode_cursor(text, parameter="before")
    except BadRequest as exc:
        assert exc.message.startswith("before is not a cursor this API returned")
    else:
        assert key.at.tzinfo is not None and 1 <= key.id <= MAX_ROW_ID


@pytest.mark.parametrize(
    "payload",
    [
        b'{"t":"2026-11-26T10:00:00","id":1}',
        b'{"t":"2026-11-26T10:00:00Z","id":0}',
        b'{"t":"2026-11-26T10:00:00Z","id":true}',
        b'{"t":"2026-11-26T10:00:00Z"}',
        b'{"t":"yesterday","id":1}',
        b"[1, 2]",
        b"\xff\xfe",
    ],
)
def test_well_encoded_but_wrong_payloads_are_refused(payload):
    with pytest.raises(BadRequest):
        decode_cursor(base64.urlsafe_b64encode(payload).decode(), parameter="cursor")


def test_split_page_has_a_next_key_only_when_a_row_beyond_the_page_was_fetched():
    at = datetime(2026, 11, 26, tzinfo=UTC)
    rows = [(at, 5), (at, 4), (at, 3)]
    key_of = lambda row: PageKey(*row)  # noqa: E731

    assert split_page(rows, 2, key_of) == ([(at, 5), (at, 4)], PageKey(at, 4))
    assert split_page(rows, 3, key_of) == (rows, None)
    assert split_page([], 3, key_of) == ([], None)
