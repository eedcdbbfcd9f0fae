"""The sweep benchmark in quick mode: the numbers its claims rest on — a sweep is two statements (one transaction)
when no chat is ready, its cost is measured next to the per-bubble query's, and no job is enqueued before its
chat's window."""

from bench import bench_sweep
from bench.__main__ import BenchContext
from tests.support.bench import number, row, table


def test_the_sweep_benchmark_runs_in_quick_mode(database_url, capsys):
    bench_sweep.run(BenchContext(database_url=database_url, quick=True))
    out = capsys.readouterr().out

    cost = table(out, "Sweep cost vs history size")
    idle = row(cost, **{"history rows": "10,000", "case": "idle"})
    ready = row(cost, **{"history rows": "10,000", "case": "200 ready chats"})
    assert number(idle["statements per sweep"]) == 2  # nothing ready: find, and the outbox's claim
    assert number(ready["statements per sweep"]) > 2
    for case in (idle, ready):
        assert all(number(case[column]) > 0 for column in ("ours: sweep", "ours: find", "per-bubble query"))
        assert number(case["per-bubble / ours (find)"]) > 0

    [precision] = table(out, "Debounce precision")
    assert number(precision["jobs"]) >= number(precision["bursts"]) > 0  # every burst was answered
    assert number(precision["min"]) >= 0  # never before the window: on the database's clock
    assert number(precision["p50"]) <= number(precision["p99"]) <= number(precision["max"])

    # one tick of many ready chats: every job made and sent in six statements
    tick = out[out.index("## One tick") :].split("\n\n## ")[0]
    ours = [line for line in tick.splitlines() if line.startswith("| ours ")]
    assert len(ours) == 4, tick  # 0 and 20 ms round trips, 1 lane and the default lanes
    for line in ours:  # the bench asserts every ready chat made one job and was sent; here: its statements
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert cells[7] == "6" and float(cells[8].replace(",", "")) > 0, line  # fewer chats than one chunk
