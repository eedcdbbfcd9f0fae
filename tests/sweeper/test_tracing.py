"""Tracing: each tick of the sweeper is one segment."""

from __future__ import annotations

from chatbatch.services.sweep import SweepPolicy, sweep

from tests.support.tracing import recorded_segments


def test_each_sweep_is_a_segment(db, sqs_queue, settings):
    with recorded_segments() as trace:
        sweep(db, sqs_queue, SweepPolicy.from_settings(settings))
        sweep(db, sqs_queue, SweepPolicy.from_settings(settings))

    assert trace.names() == ["## chatbatch.services.sweep.sweep"] * 2
