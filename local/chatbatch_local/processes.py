"""``make dev`` services that run a function in a process of its own, like a Lambda container: the Powertools
logger and metrics are per-process singletons, and sharing them between functions' threads would mix their
keys (correlation ids) and flush each other's metrics."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable

STOP_SECONDS = 10.0


def run_module_until(module: str, stop: threading.Event, *, name: str) -> None:
    """``python -m module`` (same environment) until ``stop`` is set, then SIGTERM (SIGKILL if it hangs)."""
    process = subprocess.Popen([sys.executable, "-m", module])
    try:
        while not stop.wait(0.2):
            if process.poll() is not None:
                print(f"{name}: process exited with {process.returncode}", flush=True)
                return
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()


def main_until_signal(loop: Callable[[threading.Event], None]) -> int:
    """The ``main`` of such a module: run ``loop`` until SIGTERM (what ``run_module_until`` sends) or SIGINT."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    loop(stop)
    return 0
