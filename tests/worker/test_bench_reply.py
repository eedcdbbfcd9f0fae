"""`make bench`'s reply benchmark in quick mode: runs end to end and reports fewer calls than the baseline."""

from __future__ import annotations

import itertools
import random

from bench.__main__ import BenchContext
from bench.bench_reply import synthetic_trace
from tests.support.bench import number, row, table


def test_the_trace_is_seeded_and_bursty_with_sub_window_gaps_and_longer_pauses():
    bursts = synthetic_trace(30, random.Random(7))

    assert bursts == synthetic_trace(30, random.Random(7))
    assert all(1 <= len(burst) <= 6 for burst in bursts)
    assert all(b.at - a.at < 3.0 for burst in bursts for a, b in itertools.pairwise(burst))
    by_chat: dict[str, list] = {}
    for burst in bursts:
        by_chat.setdefault(burst[0].chat, []).append(burst)
    assert all(
        later[0].at - earlier[-1].at >= 9.0
        for chat_bursts in by_chat.values()
        for earlier, later in itertools.pairwise(chat_bursts)
    )


def test_quick_run_answers_every_burst_once_with_fewer_llm_calls(database_url, reset_settings, capsys):
    from chatbatch_local.lambda_runtime import load_function

    from bench import bench_reply

    load_function("worker")._ports.cache_clear()
    bench_reply.run(BenchContext(database_url=database_url, quick=True))
    out = capsys.readouterr().out

    calls = table(out, "Replies per burst")
    baseline = row(calls, variant="one call per bubble (baseline)")
    ours = row(calls, variant="one call per burst (chatbatch)")
    # the claim: one LLM call per burst, so fewer calls and prompt tokens than one per bubble
    assert number(ours["calls per burst"]) == 1.0 and number(baseline["calls per burst"]) > 1.0
    assert 0 < number(ours["calls vs baseline"]) < 1.0
    assert 0 < number(ours["tokens vs baseline"]) < 1.0
    assert number(ours["LLM calls"]) < number(baseline["LLM calls"])
    # every reply was sent and is in the history, with latencies in order
    [latency] = table(out, "Reply latency after the window")
    assert number(latency["replies"]) == number(latency["in history"]) == number(ours["LLM calls"])
    assert 0 < number(latency["p50 ms"]) <= number(latency["p99 ms"]) <= number(latency["max ms"])
