"""The AI job state machine (docs/contracts.md): which status may follow which, and what a worker does next. Pure.

    pending ─▶ enqueued ─▶ generating ─▶ replied ─▶ done
         └──────────┴────────────┴───────────┴──▶ skipped | failed

SQS delivers at least once, so every step must be safe to repeat: a terminal job is left alone, and a job that
already holds its reply is only (re-)sent — the LLM is never asked twice for one burst.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from chatbatch.errors import ChatbatchError


class JobStatus(str, Enum):
    PENDING = "pending"
    ENQUEUED = "enqueued"
    GENERATING = "generating"
    REPLIED = "replied"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({JobStatus.DONE, JobStatus.SKIPPED, JobStatus.FAILED})
# Not finished yet: the predicate of the partial index ai_jobs_in_flight (migration 0002) lists exactly these.
IN_FLIGHT = tuple(status for status in JobStatus if status not in _TERMINAL)
_GIVE_UP = frozenset({JobStatus.SKIPPED, JobStatus.FAILED})

# A job may be taken by a worker before the sweeper recorded the send (it sent, then crashed before its UPDATE),
# and again after a worker died mid-step (its lease ran out): hence pending/enqueued/generating → generating.
# The sweeper's re-send of a stuck job keeps its status (a 'replied' job keeps its reply).
ALLOWED: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.ENQUEUED, JobStatus.GENERATING}) | _GIVE_UP,
    JobStatus.ENQUEUED: frozenset({JobStatus.ENQUEUED, JobStatus.GENERATING}) | _GIVE_UP,
    JobStatus.GENERATING: frozenset({JobStatus.GENERATING, JobStatus.REPLIED}) | _GIVE_UP,
    JobStatus.REPLIED: frozenset({JobStatus.REPLIED, JobStatus.DONE}) | _GIVE_UP,
    JobStatus.DONE: frozenset(),
    JobStatus.SKIPPED: frozenset(),
    JobStatus.FAILED: frozenset(),
}


def can_move(current: JobStatus, to: JobStatus) -> bool:
    return to in ALLOWED[current]


def sql_values(statuses: Iterable[JobStatus]) -> tuple[str, ...]:
    """Statuses as SQL parameters (``status IN %(…)s``), in the enum's order: SQL text never spells a status."""
    chosen = set(statuses)
    return tuple(status.value for status in JobStatus if status in chosen)


def statuses_before(to: JobStatus) -> tuple[str, ...]:
    """Every status ``to`` may follow, as SQL parameters for a guarded ``UPDATE ... WHERE status IN``."""
    return tuple(s.value for s in JobStatus if can_move(s, to))


class JobStateConflict(ChatbatchError):
    """A step found the job in a status it may not follow (another worker moved it meanwhile)."""

    code = "job_state_conflict"


class Step(str, Enum):
    NOTHING = "nothing"  # terminal: a redelivered message changes nothing
    GENERATE = "generate"  # ask the LLM, then send
    SEND = "send"  # the reply is saved on the job: (re-)send it, never call the LLM again


def next_step(status: JobStatus) -> Step:
    if status.terminal:
        return Step.NOTHING
    # The reply is saved together with the move to 'replied', and nothing moves a job out of 'replied' but its
    # end (the sweeper's re-send keeps the status): so 'replied' is exactly "holds a reply, send it".
    return Step.SEND if status is JobStatus.REPLIED else Step.GENERATE
