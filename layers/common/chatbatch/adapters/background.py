"""Best-effort side calls (read receipts, "typing…") off the reply's path.

They run one after another on one background thread, so a chat's "stop typing" follows its "typing"; the reply
never waits for them. Their failure or slowness is logged (without content) and never raised; each call bounds
itself with a short timeout, so a hanging gateway holds this thread for seconds at most. In Lambda, a call still
running when the invocation returns is frozen with the container and finishes on its next use.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from chatbatch.observability import logger

_calls = ThreadPoolExecutor(max_workers=1, thread_name_prefix="best-effort")


def submit(what: str, call: Callable[[], object]) -> Future:
    """Run ``call`` in the background; ``what`` names it in the log if it fails."""

    def run() -> None:
        try:
            call()
        except Exception as exc:
            logger.warning("best-effort gateway call failed", extra={"call": what, "error": type(exc).__name__})

    return _calls.submit(run)
