"""`make bench --only history` in quick mode: the numbers its claim rests on — a page deep in a list costs about
what the first page costs, because the query reads one page of an index whatever the depth."""

from __future__ import annotations

from bench import bench_history
from bench.__main__ import BenchContext
from tests.support.bench import number, table

PAGE = bench_history.PAGE


def test_the_history_benchmark_shows_deep_pages_cost_about_the_first(database_url, capsys):
    bench_history.run(BenchContext(database_url=database_url, quick=True))
    out = capsys.readouterr().out

    pages = table(out, "History paging through the handler (2,000 rooms")
    sql = table(out, "The same pages in SQL only")
    plans = table(out, "Plans of the views' own queries")
    for kind in ("rooms", "messages"):
        mine = [r for r in pages if r["list"] == kind]
        first = next(r for r in mine if r["page"] == "1 (first)")
        last = next(r for r in mine if r["page"].endswith("(last)"))
        # the workload is the one described: the last page skips all but one page
        assert number(last["items skipped"]) == 2_000 - PAGE
        # through the handler: the last page within a small factor of the first (a loaded machine adds noise)
        assert number(first["vs first page"]) == 1.0
        assert 0 < number(last["vs first page"]) < 5
        assert 0 < number(first["median ms"]) <= number(first["p95 ms"])
        # in SQL: each query timed, the ratio between them a finite number
        for timed in (r for r in sql if r["list"] == kind):
            assert number(timed["keyset median ms"]) > 0 and number(timed["OFFSET median ms"]) > 0
            assert number(timed["OFFSET / keyset"]) > 0
        # the plans: one index, one page (and the row that says whether there is another) at every depth
        depths = [r for r in plans if r["list"] == kind]
        assert [number(r["items skipped"]) for r in depths] == [0, 20 * PAGE, 2_000 - PAGE]
        assert all(r["scan"].startswith("Index Scan using ") for r in depths)
        assert all(PAGE <= number(r["rows read"]) <= PAGE + 1 for r in depths)
