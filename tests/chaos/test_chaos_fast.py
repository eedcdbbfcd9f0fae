"""`make chaos`'s fast subset: 5 chats x 3 bursts through a real `make dev` whose worker is SIGKILLed on the
first send, after the part's hand-over was committed and before the gateway took it, and again on the next send,
after the gateway took and echoed it. Every bubble stored, every burst answered once (the first killed send goes
out once, after the echo wait; the second is settled by its echo, never sent again), nothing read as a takeover."""

from __future__ import annotations

from chatbatch_local.chaos import faults
from chatbatch_local.chaos.runner import run


def test_a_worker_killed_between_commit_and_send_or_after_accepted_loses_nothing_and_sends_nothing_twice():
    lines: list[str] = []
    [figures] = run(seed=7, chats=5, bursts=3, scenarios=[faults.SMALL], quiet_timeout=120, out=lines.append)

    assert figures.injected["kill worker@commit>send"] == 1, "\n".join(lines)
    assert figures.injected["kill worker@accepted"] == 1, "\n".join(lines)
    assert figures.quiet, "\n".join(lines)
    assert (figures.bubbles, figures.lost_bubbles) == (figures.stored, 0), "\n".join(lines)
    assert figures.bursts == 15 and figures.answered == 15 and figures.lost_bursts == 0, "\n".join(lines)
    assert figures.sends == figures.jobs["done"] and figures.duplicate_sends == 0, "\n".join(lines)
    assert figures.takeover_skips == 0 and figures.history_gaps == 0, "\n".join(lines)
    assert figures.ok
