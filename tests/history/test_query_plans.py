"""The keyset queries of the history views use the indexes whose order they follow (no sort, no OFFSET)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from chatbatch import views
from chatbatch.domain.paging import PageKey
from chatbatch_local.explain import ExplainingCursor, index_scan, plan_nodes

KEY = PageKey(datetime(2026, 11, 26, 10, tzinfo=UTC), 12345)


@pytest.fixture
def explain(pg):
    with pg.cursor() as cur:
        # A small test table would be read by a sequential scan either way: ask what the planner does when
        # it cannot (the shape of the plan on a big table; bench_history shows the plans on 100,000 rows).
        cur.execute("SET enable_seqscan = off")
        # Likewise a sort of the few rows the statistics expect for a test tenant can look as cheap as reading
        # an index in order, depending on what earlier tests left in the tables: ask for the plan that needs no
        # sort, which exists only if the index's order and the keyset condition serve the query.
        cur.execute("SET enable_sort = off")
        yield ExplainingCursor(cur)
        cur.execute("RESET enable_sort")
        cur.execute("RESET enable_seqscan")


@pytest.mark.parametrize("after", [None, KEY], ids=["first page", "deep page"])
def test_room_pages_scan_the_tenant_activity_index_in_order(explain, after):
    views.rooms_page(explain, tenant="sess-x", after=after, size=21)
    assert_ordered_index_scan(explain.plan, "chat_rooms_tenant_activity", keyset=after is not None)


@pytest.mark.parametrize("before", [None, KEY], ids=["first page", "deep page"])
def test_message_pages_scan_the_room_time_index_in_order(explain, before):
    views.messages_page(explain, tenant="sess-x", room_id=1, before=before, size=21)
    assert_ordered_index_scan(explain.plan, "chat_messages_room_time", keyset=before is not None)


def assert_ordered_index_scan(plan: dict, index: str, *, keyset: bool) -> None:
    scan = index_scan(plan, index)
    assert "Sort" not in [n["Node Type"] for n in plan_nodes(plan)], json.dumps(plan, indent=1)
    assert scan is not None and scan["Scan Direction"] == "Forward", json.dumps(plan, indent=1)
    if keyset:  # the cursor is an index condition: the scan starts at the cursor, it does not filter up to it
        assert "ROW(" in scan["Index Cond"] and " < " in scan["Index Cond"], scan["Index Cond"]
