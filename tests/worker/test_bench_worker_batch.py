"""`make bench`'s worker batch-size benchmark in quick mode: one job per invocation answers every chat after its
own reply's time, a batch makes the last chat wait for all the others."""

from __future__ import annotations

from bench.__main__ import BenchContext
from tests.support.bench import number, row, table


def test_quick_run_shows_the_batch_makes_chats_wait_for_each_other(database_url, reset_settings, capsys):
    from bench import bench_worker_batch

    bench_worker_batch.run(BenchContext(database_url=database_url, quick=True))
    out = capsys.readouterr().out

    rows = table(out, "Worker batch size: 3 chats ready at once")
    batch = row(rows, variant="batch of 3 (one invocation)")
    single = row(rows, variant="one job per invocation (BatchSize 1)")
    llm = bench_worker_batch.LLM_SECONDS
    assert (number(batch["invocations"]), number(single["invocations"])) == (1, 3)
    for variant in (batch, single):
        assert 0 < number(variant["latency p50 s"]) <= number(variant["latency max s"])
        assert number(variant["worker time s"]) >= 3 * llm  # each chat's reply took one LLM answer
    # the claim: alone, a chat waits about one LLM answer; in a batch the last waits for the others' too
    assert llm <= number(single["latency max s"]) < 2 * llm < number(batch["latency max s"])
