"""The one cursor codec of the rooms, messages and jobs pages and the changes feed, and page splitting (pure)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from chatbatch.domain.paging import (
    CURSOR_MAX_CHARS,
    CURSOR_PATTERN,
    PageKey,
    decode_cursor,
    encode_cursor,
    split_page,
    time_cursor,
)
from chatbatch.domain.room_changes import CHANGES_OVERLAP, changes_window_start
from hypothesis import given
from hypothesis import strategies as st

AT = datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=UTC)
keys = st.builds(
    PageKey,
    st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(2286, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=7))]),
    ),
    st.integers(0, 10**18 - 1),
)


@given(keys)
def test_a_cursor_carries_its_position_exactly_and_has_the_declared_format(key):
    cursor = encode_cursor(key)
    assert decode_cursor(cursor) == key
    assert re.fullmatch(CURSOR_PATTERN, cursor) and len(cursor) <= CURSOR_MAX_CHARS


@given(st.from_regex(CURSOR_PATTERN, fullmatch=True))
def test_every_string_of_the_declared_format_is_a_cursor(text):
    # the OpenAPI document declares the pattern: whatever matches it must be answered with a page, never an error
    key = decode_cursor(text)
    assert key.at.tzinfo is not None and 0 <= key.id < 10**18


@pytest.mark.parametrize(
    "text",
    ["", "12", "12.", ".5", "-1.5", "1.5.6", "1e3.5", "١٢.٣", "12.5\n", " 12.5", "1" * 17 + ".1", "1." + "1" * 19],
)
def test_a_string_of_another_format_is_refused(text):
    assert re.fullmatch(CURSOR_PATTERN, text) is None
    with pytest.raises(ValueError, match="is not a cursor"):
        decode_cursor(text)


def test_a_cursor_is_the_same_instant_in_any_zone_and_the_feeds_is_a_time_alone():
    jakarta = AT.astimezone(timezone(timedelta(hours=7)))

    assert time_cursor(jakarta) == time_cursor(AT) == "1795694400123456.0"
    assert decode_cursor(time_cursor(AT)).at == AT


def test_a_poll_looks_back_the_overlap_before_its_cursor():
    assert changes_window_start(time_cursor(AT)) == AT - CHANGES_OVERLAP


def test_split_page_has_a_next_key_only_when_a_row_beyond_the_page_was_fetched():
    rows = [(AT, 5), (AT, 4), (AT, 3)]
    key_of = lambda row: PageKey(*row)  # noqa: E731

    assert split_page(rows, 2, key_of) == ([(AT, 5), (AT, 4)], PageKey(AT, 4))
    assert split_page(rows, 3, key_of) == (rows, None)
    assert split_page([], 3, key_of) == ([], None)
