"""`make bench BENCH_ARGS="--only X"`: an unknown part is refused at once, naming the parts there are."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_an_unknown_part_is_refused_naming_the_parts():
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "nope"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 2
    assert "unknown part nope" in done.stderr
    assert all(part in done.stderr for part in ("ingest", "sweep", "reply", "history"))
