"""The sweep benchmark runs (quick mode): its tables print and its check holds (one job per ready chat)."""

from bench import bench_sweep
from bench.__main__ import BenchContext


def test_the_sweep_benchmark_runs_in_quick_mode(database_url, capsys):
    bench_sweep.run(BenchContext(database_url=database_url, quick=True))

    out = capsys.readouterr().out
    assert "Sweep cost vs history size" in out and "seed's query" in out
    assert "Debounce precision" in out and "bursts split" in out
