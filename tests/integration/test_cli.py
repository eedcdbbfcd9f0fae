"""The `chatbatch` console command, run as a user runs it: a subprocess configured by environment variables."""

from __future__ import annotations

import os
import subprocess
import sys

from chatbatch import migrate
from chatbatch_local.postgres import free_port

from tests.support.foundation import fresh_database


def chatbatch(*args: str, database_url: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DB_SECRET_ARN")}
    env["CHATBATCH_STACK_FILE"] = "/nonexistent/stack.json"  # a developer's running `make dev` is not ours to use
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "chatbatch_local.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_migrate_prints_what_it_applied_then_that_the_schema_is_up_to_date(database_url):
    with fresh_database(database_url) as dsn:
        first = chatbatch("migrate", database_url=dsn)
        second = chatbatch("migrate", database_url=dsn)

    assert first.returncode == 0, first.stderr
    every_migration = ", ".join(f"{m.version:04d}_{m.name}" for m in migrate.available())
    assert first.stdout.strip() == f"migrations applied: {every_migration}"
    assert every_migration.startswith("0001_foundation")
    assert (second.returncode, second.stdout.strip()) == (0, "migrations applied: none (up to date)")


def test_migrate_without_a_database_names_the_setting_to_fix():
    result = chatbatch("migrate", database_url=None)

    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


def test_migrate_against_an_unreachable_database_says_so_without_a_traceback():
    result = chatbatch("migrate", database_url=f"postgresql://chatbatch@127.0.0.1:{free_port()}/chatbatch")

    assert result.returncode == 2
    assert "cannot connect to the database" in result.stderr and "Traceback" not in result.stderr
