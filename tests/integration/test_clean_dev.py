"""`make clean-dev` wipes the local stack's data, also a Postgres a killed `make dev` left running."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest
from chatbatch.errors import ConfigurationError
from chatbatch_local import stack
from chatbatch_local.postgres import LocalPostgres


@pytest.fixture
def dev_dir():
    folder = Path(tempfile.mkdtemp(prefix="chatbatch-clean-dev-"))
    folder.chmod(0o755)  # as root, the cluster runs as the postgres user
    yield folder / ".dev"
    shutil.rmtree(folder, ignore_errors=True)


def test_clean_dev_stops_an_orphaned_postgres_and_removes_the_data(dev_dir, monkeypatch):
    # Given a local cluster left running (its make dev was killed) and its data folder
    cluster = LocalPostgres(dev_dir / "pgdata", durable=False).start()
    monkeypatch.setattr(stack, "STACK_FILE", dev_dir / "stack.json")

    # When the data is wiped
    said = stack.clean_dev(dev_dir)

    # Then the server is gone and so is the folder
    assert not dev_dir.exists() and str(dev_dir) in said
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", cluster.port)) != 0, "the orphaned Postgres still listens"
    cluster.started_here = False


def test_clean_dev_refuses_while_make_dev_runs(dev_dir, monkeypatch):
    # Given a running make dev (this process stands in for it) that wrote its stack file
    dev_dir.mkdir(parents=True)
    (dev_dir / "stack.json").write_text(json.dumps({"pid": os.getpid(), "database_url": "postgresql://x"}))
    monkeypatch.setattr(stack, "STACK_FILE", dev_dir / "stack.json")

    # When / Then: nothing is wiped, and the message says what to do
    with pytest.raises(ConfigurationError, match="stop it with Ctrl-C"):
        stack.clean_dev(dev_dir)
    assert (dev_dir / "stack.json").exists()
