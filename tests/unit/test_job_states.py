"""The job state machine (docs/contracts.md): which status may follow which, and what a redelivered job does."""

from __future__ import annotations

import itertools

import pytest
from chatbatch.domain.jobs import JobStatus, Step, can_move, next_step, statuses_before

S = JobStatus


@pytest.mark.parametrize("terminal", [S.DONE, S.SKIPPED, S.FAILED])
def test_a_finished_job_never_moves_and_a_redelivery_does_nothing(terminal):
    assert not any(can_move(terminal, to) for to in S)
    assert next_step(terminal) is Step.NOTHING


def test_the_happy_path_is_allowed_in_order():
    path = [S.PENDING, S.ENQUEUED, S.GENERATING, S.REPLIED, S.DONE]
    assert all(can_move(a, b) for a, b in itertools.pairwise(path))


def test_a_job_cannot_move_backwards_past_its_reply_or_skip_the_llm():
    assert not can_move(S.REPLIED, S.GENERATING)
    assert not can_move(S.DONE, S.REPLIED)
    assert not can_move(S.ENQUEUED, S.REPLIED)
    assert not can_move(S.GENERATING, S.DONE)


def test_retries_of_a_step_are_allowed_so_every_step_is_idempotent():
    assert can_move(S.GENERATING, S.GENERATING)  # a worker died while the LLM was thinking
    assert can_move(S.REPLIED, S.REPLIED)  # the send failed: re-send
    assert can_move(S.PENDING, S.GENERATING)  # the sweeper sent the message but crashed before recording it


def test_a_job_holding_its_reply_is_only_resent_and_the_others_ask_the_llm():
    assert next_step(S.REPLIED) is Step.SEND
    assert [next_step(s) for s in (S.PENDING, S.ENQUEUED, S.GENERATING)] == [Step.GENERATE] * 3


def test_guards_for_sql_list_exactly_the_allowed_predecessors():
    assert set(statuses_before(S.DONE)) == {"replied"}
    assert set(statuses_before(S.FAILED)) == {"pending", "enqueued", "generating", "replied"}
