"""The migrate function: CloudFormation's custom resource that applies the schema migrations on every deploy."""

from __future__ import annotations

import threading

import psycopg2
import pytest
from chatbatch import migrate, settings
from chatbatch.adapters.cloudformation import CustomResourceRequest
from chatbatch.services.schema import decide
from chatbatch_local.lambda_runtime import LambdaContext, load_function

from tests.support import load_event


@pytest.fixture
def migrate_function(monkeypatch):
    settings.clear_settings()
    yield load_function("migrate")
    settings.clear_settings()


def run(function, event_name: str, bucket, **overrides) -> dict:
    event = {**load_event(event_name), "ResponseURL": bucket.url, **overrides}
    function.lambda_handler(event, LambdaContext(function_name="migrate", timeout_seconds=300))
    return bucket.only_answer()


def versions(dsn: str) -> list[int]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT version FROM schema_migrations ORDER BY version")
        return [row[0] for row in cur.fetchall()]


def test_create_on_an_empty_database_applies_every_migration_and_answers_success(
    migrate_function, response_bucket, empty_database_url, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", empty_database_url)

    answer = run(migrate_function, "migrate_create.json", response_bucket)

    doc = answer["document"]
    every = [m.version for m in migrate.available()]
    assert doc["Status"] == "SUCCESS", doc["Reason"]
    assert versions(empty_database_url) == every
    assert doc["Data"]["Applied"].split(",") == [f"{m.version:04d}_{m.name}" for m in migrate.available()]
    assert (doc["StackId"], doc["LogicalResourceId"], doc["PhysicalResourceId"]) == (
        load_event("migrate_create.json")["StackId"],
        "DatabaseSchema",
        "DatabaseSchema-schema",
    )
    assert doc["RequestId"] == load_event("migrate_create.json")["RequestId"]
    # The URL is signed without a content type; urllib's default form type would break the signature.
    assert answer["content_type"] == "" and answer["path"].endswith("X-Amz-Signature=abc")


def test_update_is_idempotent_and_keeps_the_physical_id(
    migrate_function, response_bucket, empty_database_url, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    migrate.apply_pending(dsn=empty_database_url)

    doc = run(migrate_function, "migrate_update.json", response_bucket)["document"]

    assert doc["Status"] == "SUCCESS"
    assert doc["Reason"] == "schema already up to date" and doc["Data"] == {"Applied": ""}
    assert doc["PhysicalResourceId"] == "DatabaseSchema-schema"
    assert versions(empty_database_url) == [m.version for m in migrate.available()]


def test_delete_answers_success_without_touching_the_database(migrate_function, response_bucket, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")  # unreachable: must not be used

    doc = run(migrate_function, "migrate_delete.json", response_bucket)["document"]

    assert doc["Status"] == "SUCCESS" and doc["PhysicalResourceId"] == "DatabaseSchema-schema"


def test_an_unreachable_database_still_gets_cloudformation_an_answer_with_the_reason(
    migrate_function, response_bucket, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_SECONDS", "1")

    doc = run(migrate_function, "migrate_create.json", response_bucket)["document"]

    assert doc["Status"] == "FAILED"
    assert "migrations failed" in doc["Reason"] and "127.0.0.1" in doc["Reason"]
    assert doc["PhysicalResourceId"] == "DatabaseSchema-schema"


def test_a_missing_database_setting_is_a_failed_answer_naming_the_variable(
    migrate_function, response_bucket, monkeypatch
):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DB_SECRET_ARN", raising=False)

    doc = run(migrate_function, "migrate_create.json", response_bucket)["document"]

    assert doc["Status"] == "FAILED" and "DB_SECRET_ARN" in doc["Reason"]


def test_migrations_running_past_the_deadline_answer_failed_in_time():
    request = CustomResourceRequest.model_validate(load_event("migrate_update.json"))
    release = threading.Event()

    def stuck() -> list:
        release.wait(5)
        return []

    try:
        response = decide(request, stuck, deadline_seconds=0.2)
    finally:
        release.set()

    assert response.status == "FAILED" and "did not finish within" in response.reason


def test_an_answer_the_url_refuses_is_a_lambda_error_not_silence(migrate_function, response_bucket, monkeypatch):
    """An expired or tampered URL (S3 answers 403): the invocation fails, so the error is in the function's logs
    and Errors metric; CloudFormation gives up after the resource's ServiceTimeout."""
    from urllib.error import HTTPError

    response_bucket.status = 403
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")

    with pytest.raises(HTTPError):
        run(migrate_function, "migrate_delete.json", response_bucket)
