"""Test fixtures: a real Postgres (DATABASE_URL, else a throwaway cluster started for this run)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import psycopg2
import pytest
from chatbatch_local.stack import DEV_GATEWAY_SECRETS

REPO_ROOT = Path(__file__).resolve().parents[1]

# Settings every function needs, for in-process invocations; tests override what they exercise.
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "chatbatch")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "chatbatch-test")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", "us-east-1")
TEST_WEBHOOK_SECRET = "dev-webhook-secret"  # the secret the events/ samples carry
os.environ["WEBHOOK_SECRET"] = TEST_WEBHOOK_SECRET
# The gateways' secrets `make dev` uses, which the signed events/ samples carry (WAHA_HMAC_KEY stays unset: the
# WAHA samples carry X-Webhook-Secret, WAHA's HMAC tests set a key themselves).
os.environ.update(DEV_GATEWAY_SECRETS)


# Tests that take seconds to minutes each (`make test-fast` leaves them out; `make test` runs everything): they start
# `make dev` stacks, a browser, a TLS Postgres, a fuzzer, a benchmark, cfn-lint, or race many connections. Measured
# with `make test PYTEST_ARGS="--durations=80"`; a module listed here, or one test of it (``path::name``). A test
# elsewhere can say the same with ``@pytest.mark.slow``.
SLOW = (
    "tests/console/test_tenants_on_dev_stack.py",  # make dev
    "tests/deploy/test_bench_coldstart.py",  # benchmark smoke run, fresh interpreters, ~30 s
    "tests/deploy/test_database_tls.py",  # Postgres with TLS, per test
    "tests/deploy/test_lint.py",  # cfn-lint, ~12 s
    "tests/history/test_bench_history.py",  # benchmark smoke run
    "tests/history/test_openapi_cli.py",  # schemathesis CLI against make dev, ~2 min
    "tests/history/test_openapi_fuzz.py",  # schemathesis in-process, ~30 s
    "tests/integration/test_bench_ingest.py",  # benchmark smoke run, ~30 s
    "tests/integration/test_clean_dev.py",  # a Postgres cluster of its own
    "tests/integration/test_dev_restarts.py",  # make dev, its processes killed
    "tests/integration/test_dev_stack.py",  # make dev
    "tests/sweeper/test_bench_quick.py",  # benchmark smoke run
    "tests/sweeper/test_dev_side_by_side.py",  # two make dev stacks
    "tests/sweeper/test_dev_sweeper.py",  # the dev sweeper loop
    "tests/sweeper/test_sweep_failures.py::test_concurrent_sweeps_put_every_bubble_in_exactly_one_job_and_never_split_a_burst",
    "tests/ui/test_console_in_browser.py",  # Chromium against make dev
    "tests/ui/test_page_in_browser.py",  # Chromium against make dev
    "tests/unit/test_reply_split.py::test_paragraphs_that_fit_are_never_cut_and_are_packed_together",  # hypothesis
    "tests/unit/test_reply_split.py::test_a_paragraph_longer_than_the_limit_is_cut_between_sentences_that_fit",
    "tests/worker/test_bench_reply.py",  # benchmark smoke run
    "tests/worker/test_bench_worker_batch.py",  # benchmark smoke run
    "tests/worker/test_demo.py",  # make dev + make demo
    "tests/worker/test_dev_gateways.py",  # make dev with each gateway
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module, _, name = item.nodeid.partition("::")
        if module in SLOW or f"{module}::{name.split('[')[0]}" in SLOW:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def database_url() -> str:
    """A migrated database for the whole run."""
    from chatbatch import migrate

    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    cluster = None
    tmp = None
    if not url:
        from chatbatch_local.postgres import LocalPostgres

        tmp = tempfile.mkdtemp(prefix="chatbatch-test-pg-")
        os.chmod(tmp, 0o755)
        cluster = LocalPostgres(Path(tmp) / "data", durable=False).start()
        url = cluster.dsn
    migrate.apply_pending(dsn=url)
    os.environ["DATABASE_URL"] = url
    _reset_cached_settings()
    yield url
    if cluster is not None:
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _reset_cached_settings() -> None:
    from chatbatch import db, settings

    settings.clear_settings()
    # Each settings object gets its own cached connection: without this, every test that changes the settings
    # would leave one open and a long run would hit the server's max_connections.
    db.close_cached_databases()


@pytest.fixture
def reset_settings():
    """Clear cached settings before and after a test that changes the environment."""
    _reset_cached_settings()
    yield
    _reset_cached_settings()


@pytest.fixture
def pg(database_url):
    """A plain autocommit connection for Given/Then steps."""
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture
def db(database_url):
    """The suite's database as the functions open it (chatbatch.db.Database), for use cases called directly."""
    from chatbatch.db import Database, connect_params_from_settings
    from chatbatch.settings import CommonSettings

    database = Database(connect_params_from_settings(CommonSettings(database_url=database_url)))
    yield database
    database.close()


@pytest.fixture
def tenant() -> str:
    """Unique tenant per test: tests never see each other's rows."""
    return f"sess-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def api_function(database_url):
    from chatbatch_local.lambda_runtime import load_function

    return load_function("api")


# A module that runs `make dev` with its LLM and gateway peers defines a module-scoped ``running`` fixture
# (tests.support.dev_stack.dev_stack_with_peers with its own settings); these name its parts.
@pytest.fixture(scope="module")
def stack(running):
    return running[0]


@pytest.fixture(scope="module")
def peers(running):
    """(llm, gateway)"""
    return running[1:]
