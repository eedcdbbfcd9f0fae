"""How the SQS adapter deals jobs out to its parallel lanes (adapters/queue.py split_into_lanes). Pure."""

from chatbatch.adapters.queue import split_into_lanes
from chatbatch.domain.job_message import JobMessage


def test_a_chats_jobs_share_one_lane_in_their_order_and_the_lanes_share_the_chats():
    messages = [JobMessage(n, "sess", f"chat-{n % 7}") for n in range(1, 71)]

    lanes = split_into_lanes(messages, 4)

    assert len(lanes) == 4
    assert sorted(m.job_id for lane in lanes for m in lane) == list(range(1, 71))
    for lane in lanes:
        assert [m.job_id for m in lane] == sorted(m.job_id for m in lane)
    lane_of = {m.group_id: n for n, lane in enumerate(lanes) for m in lane}
    assert all(lane_of[m.group_id] == n for n, lane in enumerate(lanes) for m in lane)  # one lane per chat
    assert sorted(len({m.group_id for m in lane}) for lane in lanes) == [1, 2, 2, 2]  # 7 chats over 4 lanes


def test_fewer_jobs_than_lanes_use_no_empty_lane_and_nothing_uses_none():
    assert [len(lane) for lane in split_into_lanes([JobMessage(1, "s", "a"), JobMessage(2, "s", "b")], 8)] == [1, 1]
    assert split_into_lanes([], 8) == []


def test_a_busy_ticks_jobs_fill_every_call_of_every_lane():
    # 1,000 chats with one job each over 16 lanes: dealt in blocks of ten chats, so the lanes' SendMessageBatch calls
    # are all full (one chat at a time, each lane's last call was partial: 112 calls)
    messages = [JobMessage(n, "sess", f"chat-{n}") for n in range(1, 1001)]

    lanes = split_into_lanes(messages, 16)

    assert len(lanes) == 16 and sum(-(-len(lane) // 10) for lane in lanes) == 100
    assert sorted(m.job_id for lane in lanes for m in lane) == list(range(1, 1001))
    assert all([m.job_id for m in lane] == sorted(m.job_id for m in lane) for lane in lanes)
