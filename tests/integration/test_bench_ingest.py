"""`make bench --only ingest` keeps working: its quick mode runs every measurement on tiny workloads, and what it
prints are measurements (numbers in range), not just headings."""

from __future__ import annotations

from bench import bench_ingest
from bench.__main__ import BenchContext
from tests.support.bench import number, table


def test_the_ingest_benchmark_measures_rates_overhead_and_statements(database_url, capsys):
    # When the benchmark runs its quick mode against the test database (it raises itself when a run stored the wrong
    # rows or imported boto3)
    bench_ingest.run(BenchContext(database_url=database_url, quick=True))
    out = capsys.readouterr().out

    # Then the handler and the floor were both measured, side by side, and their ratio is theirs
    for row in table(out, "Ingest: api lambda_handler"):
        handler, floor = number(row["handler msg/s"]), number(row["floor insert/s"])
        assert handler > 0 and floor > 0
        assert abs(number(row["handler/floor"]) - handler / floor) < 0.01
        assert number(row["per-round ratio (median)"]) > 0
        # what the handler adds is part of its latency, never more
        assert 0 < number(row["handler - db p50 µs"]) < number(row["handler p50 ms"]) * 1000
        assert number(row["handler - db p50 µs"]) <= number(row["handler - db p99 µs"])

    # And the CPU each side spent per message, in its own process and in its database backend, adds up
    for row in table(out, "Ingest: CPU per message in the same rounds"):
        for side in ("handler", "floor"):
            own = number(row[f"{side} process µs"])
            assert own > 0
            if row[f"{side}'s backend µs"] == "n/a":  # DATABASE_URL names a server on another machine
                continue
            backend = number(row[f"{side}'s backend µs"])
            assert backend >= 0
            assert abs(number(row[f"{side} total µs"]) - (own + backend)) <= 0.05 * (own + backend) + 1

    # And what the handler adds is broken down into parts, each measured (the rest is what the run left over)
    parts = table(out, "Ingest: what the handler adds per message, by part")
    assert len(parts) == 6
    assert all(number(row["p50 µs"]) > 0 for row in parts[:4])

    # And every gateway's route was measured against the flat one
    gateways = table(out, "Ingest per gateway")
    assert [row["gateway"] for row in gateways] == ["flat", "waha", "evolution", "meta", "gowa"]
    assert all(number(row["msg/s"]) > 0 and number(row["p50 ms"]) > 0 for row in gateways)

    # And the database counted one statement per customer's message or retry, two for the business's own message
    statements = {row["case"]: row for row in table(out, "Ingest: SQL per webhook message")}
    assert {case: number(row["statements per message"]) for case, row in statements.items()} == {
        "a chat's first message": 1,
        "the chat's next message": 1,
        "a retry of that (duplicate)": 1,
        "the business's own message (takeover)": 2,
        "a retry of the business's (duplicate)": 1,
    }
    assert number(statements["a chat's first message"]["round trips per message"]) == 1
