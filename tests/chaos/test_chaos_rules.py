"""The chaos suite's pure parts: the seeded trace and the verdict on a burst."""

from __future__ import annotations

import itertools

import pytest
from chatbatch_local.chaos import faults
from chatbatch_local.chaos.report import _verdict
from chatbatch_local.chaos.trace import bursts_of, make_trace


def test_the_trace_is_seeded_and_bursty():
    trace = make_trace(7, 50)
    assert trace == make_trace(7, 50)
    assert trace != make_trace(8, 50)
    bursts = bursts_of(trace)
    assert len(bursts) == 150
    assert len({bubble.key for bubble in trace}) == len(trace)
    for bubbles in bursts.values():
        assert 1 <= len(bubbles) <= 4
        assert bubbles[-1].at - bubbles[0].at < 1.0  # closer together than the waves
    for chat in {bubble.chat for bubble in trace}:
        starts = [bursts[(chat, k)][0].at for k in range(3)]
        assert starts == sorted(starts) and min(b - a for a, b in itertools.pairwise(starts)) > 2


@pytest.mark.parametrize(
    ("outcomes", "unsent", "verdict"),
    [
        ([(1, "done", None), (1, "done", None)], set(), "answered"),
        ([(1, "done", None)], {1}, "job 1 is done but its reply never reached the gateway"),
        ([(1, "skipped", "bot paused")], set(), "stated: skipped: bot paused"),
        ([(1, "failed", "gave up after 5 receives")], set(), "stated: failed: gave up after 5 receives"),
        ([(1, "failed", "")], set(), "job 1 failed without a reason"),
        ([(1, "replied", None)], set(), "job 1 still replied"),
        ([None], set(), "a bubble was never stored"),
        ([(None, None, None)], set(), "a bubble is in no job"),
    ],
)
def test_a_burst_is_answered_stated_or_lost(outcomes, unsent, verdict):
    assert _verdict(outcomes, unsent) == verdict


def test_scenarios_are_named_and_unknown_names_are_refused():
    assert [s.name for s in faults.by_name(["kill-worker", "all-together"])] == ["kill-worker", "all-together"]
    with pytest.raises(ValueError, match="unknown scenario"):
        faults.by_name(["kill-everything"])


def test_a_scenario_passes_only_without_losses_duplicates_beyond_its_design_takeovers_or_history_gaps():
    from chatbatch_local.chaos.report import Figures

    assert Figures("s", "none").ok
    assert not Figures("s", "none", duplicate_sends=1).ok
    assert Figures("echo-late", "late echoes", duplicate_sends=9, expected_duplicates=18).ok
    assert not Figures("echo-never", "no echoes", duplicate_sends=19, expected_duplicates=18).ok
    for failure in ("lost_bubbles", "lost_bursts", "takeover_skips", "history_gaps"):
        assert not Figures("s", "none", **{failure: 1}).ok
    assert not Figures("s", "none", quiet=False).ok
