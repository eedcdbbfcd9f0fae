"""`make bench`'s worker batch-size benchmark in quick mode: one job per invocation answers every chat after its
own reply's time, a batch makes the last chat wait for all the others."""

from __future__ import annotations

from bench.__main__ import BenchContext


def test_quick_run_shows_the_batch_makes_chats_wait_for_each_other(database_url, reset_settings, capsys):
    from bench import bench_worker_batch

    bench_worker_batch.run(BenchContext(database_url=database_url, quick=True))

    out = capsys.readouterr().out
    row = {line.split("|")[1].strip(): line.split("|") for line in out.splitlines() if line.startswith("| ")}
    batch_max = float(row["batch of 3 (one invocation)"][5])
    single_max = float(row["one job per invocation (BatchSize 1)"][5])
    assert single_max < bench_worker_batch.LLM_SECONDS * 2 < batch_max
