"""The OpenAPI document says exactly what the API accepts: schemathesis, run from its CLI as a developer runs it,
against a real `make dev` (`chatbatch dev`: the local HTTP server in front of the api function), with every phase
(examples, coverage, fuzzing, stateful) and every check (`--checks all`; `unsupported_method` excepted, for the
reason schemathesis.toml gives), authenticated with an admin token: a schema-valid request that is refused, a
schema-violating one that is accepted, an undocumented status, body or content type, a missing credential that
goes unnoticed, a 5xx — any of them fails the run. The number of examples is bounded so it takes a minute or two.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.support import SECRET
from tests.support.dev_stack import running_dev_stack

EXAMPLES = 15  # per operation and phase: about a minute of requests on a quiet machine
SEED = 20261126  # a fixed seed: a failure is reproducible with the printed command


@pytest.mark.timeout(900)  # the coverage phase's cases are not bounded by --max-examples: ~1 min alone
def test_schemathesis_cli_finds_nothing_the_document_does_not_say(database_url, tmp_path, tenant):
    with running_dev_stack(database_url, tmp_path, WEBHOOK_SECRET=SECRET) as stack:
        token = stack.create_token(tenant, scope="admin", name="schemathesis")
        command = [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{stack.base_url}/swagger?format=json",
            "--checks",
            "all",
            "--exclude-checks",
            "unsupported_method",
            "--header",
            f"Authorization: Bearer {token}",
            "--header",
            f"X-Webhook-Secret: {SECRET}",
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            str(SEED),
            "--generation-database",
            "none",
            "--workers",
            "1",
            "--no-color",
        ]
        # From the repository's root: the CLI reads its schemathesis.toml there, as it does for a developer.
        run = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)

    report = run.stdout + run.stderr
    assert "Configuration:    " in report and "schemathesis.toml" in report, report[-3000:]
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in report, report[-6000:]
    assert run.returncode == 0, report[-6000:]
