"""`make bench BENCH_ARGS="--only coldstart"` measures what it says: its quick mode prints times, ratios and peak RSS
that are numbers in a sane range, consistent with each other."""

from __future__ import annotations

import re

from bench import bench_coldstart
from bench.__main__ import BenchContext


def table(out: str, title: str) -> list[dict[str, str]]:
    """The rows of the markdown table under the heading that starts with ``title``, as header → cell."""
    section = out.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    headers = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [dict(zip(headers, (cell.strip() for cell in line.strip("|").split("|")))) for line in lines[1:]]


def test_the_cold_start_benchmark_prints_sane_numbers(database_url, capsys):
    bench_coldstart.run(BenchContext(database_url=database_url, quick=True))
    out = capsys.readouterr().out

    cold = {row["process"]: row for row in table(out, "Cold start of the api function")}
    assert len(cold) == 6
    for row in cold.values():
        low, middle, high = (float(row[k]) for k in ("min ms", "median ms", "max ms"))
        assert 1 <= low <= middle <= high < 30_000, row
    ratios = {name: row["vs its floor"] for name, row in cold.items() if row["vs its floor"]}
    assert len(ratios) == 4 and all(re.fullmatch(r"\d+\.\d\dx", r) for r in ratios.values()), ratios
    assert all(0.05 < float(r[:-1]) < 50 for r in ratios.values()), ratios
    assert {row["within"] for row in cold.values() if row["budget"]} <= {"yes", "NO"}
    for tracing in ("off", "on"):
        imported = float(
            cold[f"api, tracing {tracing}: import (vs {'floor' if tracing == 'off' else 'floor + Tracer'})"][
                "median ms"
            ]
        )
        first = float(cold[f"api, tracing {tracing}: import + first webhook (DB connect)"]["median ms"])
        assert first > imported  # the first webhook includes the import

    memory = {row["function"]: row for row in table(out, "Peak RSS and cold start per function")}
    functions = [name for base in ("api", "sweeper", "worker", "migrate") for name in (base, f"{base}, tracing on")]
    assert set(functions) <= set(memory)
    for name in functions:
        row = memory[name]
        after_import, through_first = float(row["RSS after import MB"]), float(row["RSS through 1st invocation MB"])
        assert 10 < after_import <= through_first < 2000, row
        assert 0 < float(row["import + 1st invocation ms (min)"]) <= float(row["(median)"]), row
        assert 0 < float(row["import ms (median)"]) < float(row["(median)"]), row
    for base in ("api", "sweeper", "worker", "migrate"):  # the X-Ray SDK is loaded only with tracing on
        on, off = memory[f"{base}, tracing on"], memory[base]
        assert float(on["RSS after import MB"]) > float(off["RSS after import MB"]), (on, off)
