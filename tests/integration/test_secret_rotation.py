"""The webhook secret rotates without a redeploy and without losing a request: Secrets Manager (moto) read through
Powertools parameters; while it rotates, a gateway still sending the previous value (AWSPREVIOUS) is accepted for
SECRETS_PREVIOUS_GRACE_SECONDS, and one already sending the new value is accepted at once (the secret read afresh
although this warm container's copy is younger than SECRETS_MAX_AGE_SECONDS). Real Postgres, the api function."""

from __future__ import annotations

import uuid

import boto3
import pytest
from chatbatch import secrets
from moto import mock_aws

from tests.support import invoke, webhook_event
from tests.support.worker import BUSINESS, CONTACT


@pytest.fixture
def webhook_secret(monkeypatch, reset_settings):
    """WEBHOOK_SECRET_ARN in moto's Secrets Manager (no WEBHOOK_SECRET); yields (client, arn)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    secrets.forget_cached_secrets()
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = client.create_secret(Name=f"chatbatch/webhook-{uuid.uuid4().hex[:6]}", SecretString="old-secret")["ARN"]
        monkeypatch.setenv("WEBHOOK_SECRET_ARN", arn)
        yield client, arn
    secrets.forget_cached_secrets()


def deliver(api_function, tenant: str, secret: str) -> int:
    payload = {
        "session_token": tenant,
        "message_id": f"wamid-{uuid.uuid4().hex[:16]}",
        "from": CONTACT,
        "to": BUSINESS,
        "body": "Halo",
    }
    return invoke(api_function, webhook_event(payload, secret=secret))[0]


def stored(pg, tenant: str) -> int:
    with pg.cursor() as cur:
        cur.execute("SELECT count(*) FROM chat_messages WHERE user_token = %s", (tenant,))
        return cur.fetchone()[0]


def test_a_rotation_during_traffic_rejects_no_delivery(api_function, webhook_secret, pg, tenant):
    client, arn = webhook_secret
    # Given a warm api container that read the secret (cached for SECRETS_MAX_AGE_SECONDS, 300 s)
    statuses = [deliver(api_function, tenant, "old-secret") for _ in range(3)]

    # When the secret rotates while the gateway keeps sending: first still the old value, then the new one,
    # then (another gateway instance not yet moved over) the old one again
    client.put_secret_value(SecretId=arn, SecretString="new-secret")
    statuses += [deliver(api_function, tenant, "old-secret") for _ in range(3)]
    statuses += [deliver(api_function, tenant, "new-secret") for _ in range(3)]
    statuses += [deliver(api_function, tenant, "old-secret") for _ in range(3)]

    # Then every delivery was accepted and stored, and a wrong secret is still refused
    assert statuses == [200] * 12
    assert stored(pg, tenant) == 12
    assert deliver(api_function, tenant, "guessed") == 401


def test_after_the_grace_period_the_previous_secret_is_refused(api_function, webhook_secret, pg, tenant, monkeypatch):
    client, arn = webhook_secret
    monkeypatch.setenv("SECRETS_PREVIOUS_GRACE_SECONDS", "0")
    assert deliver(api_function, tenant, "old-secret") == 200

    client.put_secret_value(SecretId=arn, SecretString="new-secret")

    assert deliver(api_function, tenant, "new-secret") == 200
    assert deliver(api_function, tenant, "old-secret") == 401
