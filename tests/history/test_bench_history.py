"""`make bench --only history` in quick mode: it runs end to end and prints both tables."""

from __future__ import annotations

import re

from bench import bench_history
from bench.__main__ import BenchContext


def test_the_history_benchmark_runs_in_quick_mode(database_url, capsys):
    bench_history.run(BenchContext(database_url=database_url, quick=True))

    out = capsys.readouterr().out
    assert "History paging through the handler (2,000 rooms" in out
    assert "keyset (what the API runs) vs LIMIT/OFFSET" in out
    assert re.search(r"\| rooms +\| 21 \(cursor followed 20x\) +\| 400 ", out)
    assert re.search(r"\| messages +\| 100 \(last\) +\| 1,980 ", out)
    assert re.search(r"\| rooms +\| 400 +\| Index Scan using chat_rooms_tenant_activity +\| 21 ", out)
    assert "NOT the index" not in out
