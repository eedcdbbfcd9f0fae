"""The chaos scenarios: which faults each one injects while the trace is replayed.

Kill points of the worker (SIGKILL of its process, which ``make dev`` starts again as Lambda would):
  - between commit and send: the gateway receives the send and the worker dies before the gateway takes it
    (the part is recorded as handed over; nothing reached WhatsApp);
  - during the LLM call: the LLM receives the request and the worker dies;
  - during the gateway call: the worker dies while the gateway takes the send (it echoes it and sends it);
  - after the gateway accepted: the send was taken and echoed; the worker dies before reading the answer.
The api's and the sweeper's processes are killed at random moments. Postgres is stopped (immediate shutdown)
for a few seconds; SQS is made unreachable (its state survives, as in AWS); the LLM answers 500s or hangs past
the worker's timeout; the gateway answers 503s (nothing sent) or takes the send and answers only after the
worker's timeout (a timeout after accepting).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

WORKER_KILL_POINTS = ("between commit and send", "during the LLM call", "during the gateway call", "after accepted")
# How the tables name what was injected.
SHORT = {
    "between commit and send": "kill worker@commit>send",
    "during the LLM call": "kill worker@llm",
    "during the gateway call": "kill worker@gateway",
    "after accepted": "kill worker@accepted",
}


@dataclass(frozen=True)
class Scenario:
    name: str
    worker_kills: dict[str, int] = field(default_factory=dict)  # kill point → how many times
    kill_chance: float = 0.06  # per LLM call or send, while its kill point has kills left
    api_kills: int = 0
    sweeper_kills: int = 0
    postgres_stops: int = 0
    sqs_cuts: int = 0
    llm_error_rate: float = 0.0
    llm_hang_rate: float = 0.0
    gateway_503_rate: float = 0.0
    gateway_hang_rate: float = 0.0  # takes the send (and echoes it), answers after the worker gave up
    # Takes the send and answers after the worker gave up, and its echo never comes / comes after the echo wait:
    # the one case the at-most-once guarantee leaves out (docs/reliability.md) — each costs one extra copy.
    echo_never_rate: float = 0.0
    echo_late_rate: float = 0.0
    echo_late_seconds: float = 8.0

    @property
    def faults(self) -> str:
        parts = [f"kill worker {point} x{n}" for point, n in self.worker_kills.items()]
        parts += [f"kill api x{self.api_kills}"] if self.api_kills else []
        parts += [f"kill sweeper x{self.sweeper_kills}"] if self.sweeper_kills else []
        parts += [f"stop postgres x{self.postgres_stops}"] if self.postgres_stops else []
        parts += [f"cut sqs x{self.sqs_cuts}"] if self.sqs_cuts else []
        if self.llm_error_rate or self.llm_hang_rate:
            parts.append(f"llm 500 {self.llm_error_rate:.0%} hang {self.llm_hang_rate:.0%}")
        if self.gateway_503_rate or self.gateway_hang_rate:
            parts.append(f"gateway 503 {self.gateway_503_rate:.0%} timeout-after-accept {self.gateway_hang_rate:.0%}")
        if self.echo_never_rate or self.echo_late_rate:
            parts.append(
                f"timeout after accepting with the echo never sent {self.echo_never_rate:.0%},"
                f" sent {self.echo_late_seconds:g} s late {self.echo_late_rate:.0%}"
            )
        return "; ".join(parts) or "none"


SCENARIOS = (
    Scenario("kill-worker", worker_kills=dict.fromkeys(WORKER_KILL_POINTS, 3)),
    Scenario("kill-api", api_kills=5),
    Scenario("kill-sweeper", sweeper_kills=4),
    Scenario("postgres-stop", postgres_stops=2),
    Scenario("sqs-unreachable", sqs_cuts=2),
    Scenario("llm-faults", llm_error_rate=0.2, llm_hang_rate=0.1),
    Scenario("gateway-faults", gateway_503_rate=0.15, gateway_hang_rate=0.1),
    Scenario(
        "all-together",
        worker_kills=dict.fromkeys(WORKER_KILL_POINTS, 2),
        api_kills=3,
        sweeper_kills=2,
        postgres_stops=1,
        sqs_cuts=1,
        llm_error_rate=0.1,
        llm_hang_rate=0.05,
        gateway_503_rate=0.1,
        gateway_hang_rate=0.05,
    ),
)
# The fast one `make test` runs: the worker killed on the first send, after its hand-over was committed and before
# the gateway took it; then on the next send the gateway took (and echoed), before the worker read the answer.
SMALL = Scenario(
    "kill-between-commit-and-send",
    worker_kills={"between commit and send": 1, "after accepted": 1},
    kill_chance=1.0,
)


# Not in the default run: the gateway breaks the condition of the at-most-once guarantee. They show what happens
# then — at most one extra copy per such send (none when a late echo beats the retry), and the late echoes never
# taken for a human.
WITHOUT_ECHO = (
    Scenario("echo-never", echo_never_rate=0.1),
    Scenario("echo-late", echo_late_rate=0.1),
)
# The injected faults each of which may cost one extra copy by design.
EXTRA_COPY_FAULTS = ("echo never", "echo late")


def by_name(names: list[str]) -> list[Scenario]:
    known = {scenario.name: scenario for scenario in (*SCENARIOS, SMALL, *WITHOUT_ECHO)}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[name] for name in names]


def moments(rng: random.Random, count: int, *, within: float) -> list[float]:
    """``count`` random moments (seconds from the replay's start) within its first ``within`` seconds, sorted."""
    return sorted(rng.uniform(0.5, within) for _ in range(count))
