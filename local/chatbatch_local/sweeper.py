"""``make dev``: the sweeper function invoked back to back, as EventBridge + Lambda would run it.

It runs in its own process, like a Lambda container: the Powertools logger and metrics are per-process
singletons, and sharing them with the api function's thread would mix their keys and flush each other's
metrics. Each invocation gets the events/ scheduled event and a Lambda context whose remaining time drops to
zero when ``make dev`` stops, so the handler's own loop ends within one sweep interval.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chatbatch_local.lambda_runtime import REPO_ROOT, LambdaContext, load_function
from chatbatch_local.processes import Started, main_until_signal, run_module_until

INVOCATION_SECONDS = 70.0  # the template's SweeperFunction Timeout


@dataclass
class StoppableContext(LambdaContext):
    stop: threading.Event = field(default_factory=threading.Event)

    def get_remaining_time_in_millis(self) -> int:
        return 0 if self.stop.is_set() else super().get_remaining_time_in_millis()


def scheduled_event() -> dict:
    event = json.loads((REPO_ROOT / "events" / "sweeper_scheduled.json").read_text())
    event["time"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def invoke_until(stop: threading.Event) -> None:
    """Invoke the sweeper until ``stop``; a failed invocation is printed and retried a second later."""
    function = load_function("sweeper")
    while not stop.is_set():
        context = StoppableContext(function_name="sweeper", timeout_seconds=INVOCATION_SECONDS, stop=stop)
        try:
            function.lambda_handler(scheduled_event(), context)
        except Exception as exc:
            print(f"sweeper: invocation failed: {type(exc).__name__}: {exc}", flush=True)
            stop.wait(1.0)


def sweeper_loop(stop: threading.Event, on_start: Started | None = None) -> None:
    """A ``run_dev`` service: the sweeper process (same environment) until ``stop``."""
    run_module_until("chatbatch_local.sweeper", stop, name="sweeper", on_start=on_start)


if __name__ == "__main__":
    sys.exit(main_until_signal(invoke_until))
