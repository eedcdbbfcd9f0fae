"""``make dev`` services that run a function in a process of its own, like a Lambda container: the Powertools
logger and metrics are per-process singletons, and sharing them between functions' threads would mix their
keys (correlation ids) and flush each other's metrics.

A function's process that dies (a crash, an out-of-memory kill, a SIGKILL) is started again, as Lambda starts a
new container: the queue, the database and the HTTP front outlive it, as they do in AWS.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence

STOP_SECONDS = 10.0
RESTART_DELAY_SECONDS = 0.5  # between a process's death and its replacement (a crash loop stays cheap)
Started = Callable[[str, int], None]  # (function name, pid) of each process started


def run_module_until(
    module: str,
    stop: threading.Event,
    *,
    name: str,
    args: Sequence[str] = (),
    on_start: Started | None = None,
) -> None:
    """``python -m module *args`` (same environment) until ``stop`` is set, then SIGTERM (SIGKILL if it hangs).
    A process that exits before is started again after ``RESTART_DELAY_SECONDS``; ``on_start`` hears each pid."""
    while not stop.is_set():
        process = subprocess.Popen([sys.executable, "-m", module, *args])
        if on_start is not None:
            on_start(name, process.pid)
        try:
            while not stop.wait(0.1):
                if process.poll() is not None:
                    print(f"{name}: process exited with {process.returncode}; starting a new one", flush=True)
                    break
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(STOP_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        stop.wait(RESTART_DELAY_SECONDS)


def main_until_signal(loop: Callable[[threading.Event], None]) -> int:
    """The ``main`` of such a module: run ``loop`` until SIGTERM (what ``run_module_until`` sends) or SIGINT."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    loop(stop)
    return 0
