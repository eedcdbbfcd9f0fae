"""`make bench --only ingest` keeps working: its quick mode runs every measurement on tiny workloads."""

from __future__ import annotations

from bench import bench_ingest
from bench.__main__ import BenchContext


def test_the_ingest_benchmark_runs_and_checks_what_it_stored(database_url, capsys):
    # When the benchmark runs its quick mode against the test database
    bench_ingest.run(BenchContext(database_url=database_url, quick=True))

    # Then it printed its three tables (it raises itself when a run stored the wrong rows or imported boto3)
    out = capsys.readouterr().out
    for title in (
        "## Ingest: api lambda_handler",
        "## Ingest per gateway",
        "## Ingest: SQL per webhook",
        "## Cold start",
    ):
        assert title in out
    gateway_rows = [line for line in out.splitlines() if line.startswith("| ") and "/webhook" in line]
    assert [row.split("|")[1].strip() for row in gateway_rows] == ["flat", "waha", "evolution", "meta", "gowa"]
