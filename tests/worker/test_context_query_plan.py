"""The worker's context query (a chat's last messages before the burst) reads the room's index from its newest end:
its cost follows the context size, not the chat's history (bench_context measures 100 vs 100,000 messages)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from chatbatch.store import chat_messages
from chatbatch_local.explain import ExplainingCursor, index_scan, plan_nodes


def test_the_context_query_scans_the_rooms_time_index_from_its_newest_end(pg):
    with pg.cursor() as cur:
        # A small test table would be read by a sequential scan and sorted either way: ask what the planner does
        # when it cannot (the plan's shape on a big table; bench_context runs it on 100,000 messages).
        cur.execute("SET enable_seqscan = off")
        cur.execute("SET enable_sort = off")
        explain = ExplainingCursor(cur)
        try:
            chat_messages.recent(
                explain,
                chat_id="sess-x_6281234567890@s.whatsapp.net",
                tenant="sess-x",
                limit=20,
                arrived_by=datetime(2026, 11, 26, 10, tzinfo=UTC),
            )
        finally:
            cur.execute("RESET enable_sort")
            cur.execute("RESET enable_seqscan")

    limit = next(node for node in plan_nodes(explain.plan) if node["Node Type"] == "Limit")
    under_limit = [node["Node Type"] for node in plan_nodes(limit)]
    assert "Sort" not in under_limit, json.dumps(explain.plan, indent=1)  # the index gives the order
    scan = index_scan(limit, "chat_messages_room_time")
    assert scan is not None and scan["Scan Direction"] == "Forward", json.dumps(explain.plan, indent=1)
    assert "chat_room_id" in scan["Index Cond"], scan  # only this room's entries, not the whole index
