"""The sweep benchmark runs (quick mode): its tables print and its check holds (one job per ready chat)."""

from bench import bench_sweep
from bench.__main__ import BenchContext


def test_the_sweep_benchmark_runs_in_quick_mode(database_url, capsys):
    bench_sweep.run(BenchContext(database_url=database_url, quick=True))

    out = capsys.readouterr().out
    assert "Sweep cost vs history size" in out and "seed's query" in out
    assert "Debounce precision" in out and "bursts split" in out


def test_the_tick_of_many_ready_chats_makes_and_sends_every_job_in_six_statements(database_url, capsys):
    bench_sweep.run(BenchContext(database_url=database_url, quick=True))

    out = capsys.readouterr().out
    tick = out[out.index("## One tick") :].split("\n\n## ")[0]
    ours = [line for line in tick.splitlines() if line.startswith("| ours ")]
    assert len(ours) == 4, tick  # 0 and 20 ms round trips, 1 lane and the default lanes
    for line in ours:  # the bench asserts every ready chat made one job and was sent; here: its statements
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert cells[6] == "6" and float(cells[7].replace(",", "")) > 0, line
