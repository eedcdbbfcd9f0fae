"""Running the same work in several threads at once, as concurrent Lambda invocations would."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(work: Callable[[], None], copies: int, *, timeout_seconds: float = 60) -> list[BaseException]:
    """``work`` in ``copies`` threads, released at the same moment (after each has set itself up: ``work`` gets
    the barrier to wait on); the exceptions they raised."""
    start = threading.Barrier(copies)
    errors: list[BaseException] = []

    def one() -> None:
        try:
            work(start)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout_seconds)
    return errors
