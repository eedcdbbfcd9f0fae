"""The sweep as of a baseline commit, run in a child process from that commit's own files (``git archive``): the
benchmark compares today's sweep with it in the same run, on the same data, without a copy of its code here.

The child answers one line per request: ``N`` -> N sweeps (an in-memory queue, as today's side uses), as a JSON
list of [ms, jobs sent]. None when the baseline cannot be had (no git, a shallow clone without that commit).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# main before the sweep-at-scale work (issue 13): per-chat advisory locks, execute_values, one SQS call at a time.
BASELINE_COMMIT = "ee136b0a612fa23a15734703cbf29e5e58a7c902"
_REPO = Path(__file__).resolve().parent.parent
_READY = "baseline-ready"
_CHILD = """
import json, sys, time
from chatbatch.adapters.queue import FakeJobQueue
from chatbatch.db import Database
from chatbatch.services.sweep import sweep
from chatbatch.settings import SweeperSettings

url = sys.argv[1]
settings = SweeperSettings(database_url=url, max_jobs_per_sweep=10_000)
db = Database(lambda: {"dsn": url})
print("baseline-ready", flush=True)
for line in sys.stdin:
    out = []
    for _ in range(int(line)):
        queue = FakeJobQueue()
        started = time.perf_counter()
        sweep(db, queue, settings)
        out.append([(time.perf_counter() - started) * 1000, len(queue.messages)])
    print("baseline-result " + json.dumps(out), flush=True)
"""


class BaselineSweeper:
    def __init__(self, database_url: str, tree: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(tree / "layers" / "common"), "POWERTOOLS_LOG_LEVEL": "ERROR"}
        self._tree = tree
        self._child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, database_url],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._read(_READY)

    @classmethod
    def start(cls, database_url: str) -> BaselineSweeper | None:
        tree = Path(tempfile.mkdtemp(prefix="chatbatch-baseline-"))
        archive = subprocess.run(
            f"git archive {BASELINE_COMMIT} layers/common/chatbatch | tar -x -C {tree}",
            shell=True,
            cwd=_REPO,
            capture_output=True,
            text=True,
        )
        if archive.returncode != 0:
            print(f"(baseline {BASELINE_COMMIT[:10]} not available: {archive.stderr.strip()})")
            shutil.rmtree(tree, ignore_errors=True)
            return None
        return cls(database_url, tree)

    def _read(self, prefix: str) -> str:
        for line in self._child.stdout:
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
        raise RuntimeError(f"the baseline sweeper ended (exit {self._child.wait()})")

    def sweeps(self, n: int) -> list[tuple[float, int]]:
        self._child.stdin.write(f"{n}\n")
        self._child.stdin.flush()
        return [tuple(pair) for pair in json.loads(self._read("baseline-result"))]

    def close(self) -> None:
        self._child.stdin.close()
        self._child.wait(30)
        shutil.rmtree(self._tree, ignore_errors=True)
