"""What became of a scenario's trace: read from Postgres (bubbles, jobs, reply parts, history) and from the
gateway (what it took to send), and printed as a table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from chatbatch_local.chaos.trace import Bubble, bursts_of
from chatbatch_local.fake_gateway import SentText

TERMINAL = ("done", "skipped", "failed")
TAKEOVER_WORDS = ("human", "staff", "took over", "takeover")


@dataclass
class Figures:
    scenario: str
    faults: str
    bubbles: int = 0
    stored: int = 0
    lost_bubbles: int = 0
    bursts: int = 0
    answered: int = 0
    stated: int = 0  # skipped or failed with its reason
    lost_bursts: int = 0
    jobs: Counter = field(default_factory=Counter)
    sends: int = 0
    duplicate_sends: int = 0
    # At most this many extra copies are the design's (a send the gateway took and reported late or never; a late
    # report that beats the retry saves its copy): 0 unless the scenario breaks the gateway's echo.
    expected_duplicates: int = 0
    takeover_skips: int = 0  # nobody but the bot writes in the trace: a takeover is an echo mistaken for a human
    history_gaps: int = 0  # sent parts without their bot message in the history
    injected: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    quiet: bool = True
    reasons: Counter = field(default_factory=Counter)
    lost_examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.quiet
            and not self.lost_bubbles
            and not self.lost_bursts
            and self.duplicate_sends <= self.expected_duplicates
            and not self.takeover_skips
            and not self.history_gaps
        )


def measure(cur, tenant: str, trace: list[Bubble], sent: list[SentText], figures: Figures) -> Figures:
    cur.execute(
        "SELECT m.message_id, m.batch_id, j.status, j.error FROM ai_chat_messages m"
        " LEFT JOIN ai_jobs j ON j.id = m.batch_id WHERE m.session_tok = %s AND NOT m.from_me",
        (tenant,),
    )
    stored = {}
    for message_id, *outcome in cur.fetchall():  # by WhatsApp's key: the last part of WAHA's serialised id
        stored[message_id.rsplit("_", 1)[-1]] = tuple(outcome)
    cur.execute("SELECT status, count(*) FROM ai_jobs WHERE session_tok = %s GROUP BY status", (tenant,))
    figures.jobs = Counter(dict(cur.fetchall()))
    cur.execute(
        "SELECT p.job_id, p.chat_jid, p.text, p.status, p.message_id,"
        "       EXISTS (SELECT 1 FROM chat_messages c WHERE c.user_token = p.session_tok"
        "                AND c.message_id = p.message_id AND c.sender_type = 'ai')"
        "  FROM reply_parts p JOIN ai_jobs j ON j.id = p.job_id"
        " WHERE p.session_tok = %s AND j.status = 'done'",
        (tenant,),
    )
    parts = cur.fetchall()
    ours = [s for s in sent if s.session == tenant]
    taken = Counter((_number(s.chat), s.text) for s in ours)
    figures.sends = len(ours)
    figures.duplicate_sends = sum(n - 1 for n in taken.values() if n > 1)
    unsent_jobs = {job for job, chat, text, *_ in parts if (_number(chat), text) not in taken}
    figures.history_gaps = sum(1 for part in parts if part[3] == "sent" and not part[5])

    figures.bubbles = len(trace)
    figures.stored = sum(1 for bubble in trace if bubble.key in stored)
    figures.lost_bubbles = figures.bubbles - figures.stored
    for (chat, burst), bubbles in bursts_of(trace).items():
        figures.bursts += 1
        outcomes = [stored.get(bubble.key) for bubble in bubbles]
        verdict = _verdict(outcomes, unsent_jobs)
        if verdict == "answered":
            figures.answered += 1
        elif verdict.startswith("stated: "):
            figures.stated += 1
            reason = verdict.removeprefix("stated: ")
            figures.reasons[reason[:60]] += 1
            if any(word in reason.lower() for word in TAKEOVER_WORDS):
                figures.takeover_skips += 1
        else:
            figures.lost_bursts += 1
            if len(figures.lost_examples) < 5:
                figures.lost_examples.append(f"{chat} burst {burst}: {verdict}")
    return figures


def _number(jid: str) -> str:
    return jid.split("@", 1)[0]


def _verdict(outcomes: list[tuple | None], unsent_jobs: set[int]) -> str:
    """'answered', 'stated: <reason>' or why the burst is lost."""
    if any(outcome is None for outcome in outcomes):
        return "a bubble was never stored"
    if any(batch_id is None for batch_id, _, _ in outcomes):
        return "a bubble is in no job"
    reasons = []
    for batch_id, status, error in outcomes:
        if status not in TERMINAL:
            return f"job {batch_id} still {status}"
        if status == "done":
            if batch_id in unsent_jobs:
                return f"job {batch_id} is done but its reply never reached the gateway"
            continue
        if not (error or "").strip():
            return f"job {batch_id} {status} without a reason"
        reasons.append(f"{status}: {error}")
    return f"stated: {reasons[0]}" if reasons else "answered"


COLUMNS = (
    "scenario",
    "bubbles",
    "lost bubbles",
    "bursts",
    "answered",
    "stated reason",
    "lost bursts",
    "jobs done/skipped/failed/other",
    "sends",
    "duplicate sends",
    "takeover skips",
    "history gaps",
    "faults injected",
    "seconds",
)


def row(f: Figures) -> list[str]:
    other = sum(n for status, n in f.jobs.items() if status not in TERMINAL)
    injected = ", ".join(f"{what} {n}" for what, n in sorted(f.injected.items())) or "none"
    return [
        f.scenario + ("" if f.quiet else " (not quiet)"),
        str(f.bubbles),
        str(f.lost_bubbles),
        str(f.bursts),
        str(f.answered),
        str(f.stated),
        str(f.lost_bursts),
        f"{f.jobs['done']}/{f.jobs['skipped']}/{f.jobs['failed']}/{other}",
        str(f.sends),
        f"{f.duplicate_sends} (≤ {f.expected_duplicates} by design)"
        if f.expected_duplicates
        else str(f.duplicate_sends),
        str(f.takeover_skips),
        str(f.history_gaps),
        injected,
        f"{f.seconds:.0f}",
    ]


def table(rows: list[Figures]) -> str:
    cells = [list(COLUMNS), *(row(f) for f in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = ["| " + " | ".join(value.ljust(widths[i]) for i, value in enumerate(line)) + " |" for line in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
