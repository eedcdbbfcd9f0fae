"""In AWS the functions read the database credentials from Secrets Manager at cold start, never from plain env vars."""

from __future__ import annotations

import json

import boto3
import psycopg2
import pytest
from chatbatch import db, secrets
from chatbatch.errors import ConfigurationError
from chatbatch.settings import CommonSettings
from moto import mock_aws

# The shape of the secret RDS creates with ManageMasterUserPassword: credentials only, no host.
RDS_MANAGED_SECRET = {"username": "chatbatch", "password": "first-password"}


@pytest.fixture
def secretsmanager():
    secrets.forget_cached_secrets()
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")
    secrets.forget_cached_secrets()


def aws_settings(secret_arn: str, **overrides) -> CommonSettings:
    # database_url=None: the suite's DATABASE_URL must not leak into what AWS would see.
    fields = {
        "database_url": None,
        "db_secret_arn": secret_arn,
        "db_host": "db.internal.example",
        "db_port": 5433,
        "db_name": "chatbatch",
        **overrides,
    }
    return CommonSettings(**fields)


def test_credentials_come_from_the_rds_managed_secret_and_the_address_from_settings(secretsmanager):
    arn = secretsmanager.create_secret(Name="rds!db-1", SecretString=json.dumps(RDS_MANAGED_SECRET))["ARN"]

    params = db.connect_params_from_settings(aws_settings(arn))()

    assert {k: params[k] for k in ("host", "port", "dbname", "user", "password", "sslmode", "sslrootcert")} == {
        "host": "db.internal.example",
        "port": 5433,
        "dbname": "chatbatch",
        "user": "chatbatch",
        "password": "first-password",
        "sslmode": "verify-full",
        "sslrootcert": str(db.RDS_CA_BUNDLE),
    }
    assert "dsn" not in params


def test_the_secret_is_read_once_per_container(secretsmanager):
    arn = secretsmanager.create_secret(Name="rds!db-2", SecretString=json.dumps(RDS_MANAGED_SECRET))["ARN"]
    params = db.connect_params_from_settings(aws_settings(arn))
    params()

    secretsmanager.put_secret_value(SecretId=arn, SecretString=json.dumps({**RDS_MANAGED_SECRET, "password": "new"}))

    assert params()["password"] == "first-password"  # cached: no Secrets Manager call per connection


def test_a_secret_without_host_and_no_db_host_is_a_clear_configuration_error(secretsmanager):
    arn = secretsmanager.create_secret(Name="rds!db-3", SecretString=json.dumps(RDS_MANAGED_SECRET))["ARN"]

    with pytest.raises(ConfigurationError, match="DB_HOST"):
        db.connect_params_from_settings(aws_settings(arn, db_host=None))()


def test_a_full_secret_needs_no_address_settings(secretsmanager):
    full = {**RDS_MANAGED_SECRET, "host": "h.example", "port": 6543, "dbname": "other"}
    arn = secretsmanager.create_secret(Name="db-full", SecretString=json.dumps(full))["ARN"]

    params = db.connect_params_from_settings(aws_settings(arn, db_host=None, db_port=None, db_name=None))()

    assert (params["host"], params["port"], params["dbname"]) == ("h.example", 6543, "other")


def test_after_a_rotation_a_reconnect_reads_the_new_password(secretsmanager, database_url, monkeypatch):
    """A warm container whose connection dropped after RDS rotated the password reconnects with the new one."""
    arn = secretsmanager.create_secret(Name="rds!db-4", SecretString=json.dumps(RDS_MANAGED_SECRET))["ARN"]
    settings = aws_settings(arn)
    database = db.Database(db.connect_params_from_settings(settings), refresh_credentials=secrets.forget_cached_secrets)
    real_connect = psycopg2.connect
    current = {"password": "first-password"}
    offered: list[str] = []

    def server(**params):  # stands in for RDS: checks the password, then hands out a real test connection
        offered.append(params["password"])
        if params["password"] != current["password"]:
            raise psycopg2.OperationalError('FATAL:  password authentication failed for user "chatbatch"')
        return real_connect(database_url)

    monkeypatch.setattr(psycopg2, "connect", server)
    assert database.transaction(lambda cur: (cur.execute("SELECT 1"), cur.fetchone())[1]) == (1,)
    database.close()
    current["password"] = "rotated"
    rotated = {**RDS_MANAGED_SECRET, "password": "rotated"}
    secretsmanager.put_secret_value(SecretId=arn, SecretString=json.dumps(rotated))

    assert database.transaction(lambda cur: (cur.execute("SELECT 2"), cur.fetchone())[1]) == (2,)
    assert offered == ["first-password", "first-password", "rotated"]
    database.close()
