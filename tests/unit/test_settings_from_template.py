"""Settings from the environment as the template sets it: parameters left empty mean "not set"."""

from __future__ import annotations

import pytest
from chatbatch.db import connect_params_from_settings
from chatbatch.errors import ConfigurationError
from chatbatch.settings import ApiSettings, load


def test_an_empty_database_url_from_the_template_defers_to_the_rds_secret(monkeypatch):
    # Given the deployed template: DatabaseUrl left at "" and the RDS secret configured
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("DB_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:000000000000:secret:db")

    settings = load(ApiSettings)

    # Then the DSN counts as absent, so connections use the secret rather than an empty DSN
    assert settings.database_url is None
    settings.require_database()


def test_empty_secret_references_count_as_missing_and_the_error_names_the_variables(monkeypatch):
    monkeypatch.setenv("WEBHOOK_SECRET_ARN", "")
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.delenv("DB_SECRET_ARN", raising=False)

    settings = load(ApiSettings)

    with pytest.raises(ConfigurationError, match="WEBHOOK_SECRET or WEBHOOK_SECRET_ARN"):
        settings.require_webhook_secret()
    with pytest.raises(ConfigurationError, match=r"DATABASE_URL .* or DB_SECRET_ARN"):
        connect_params_from_settings(settings)


def test_a_bad_value_is_reported_with_its_variable_name(monkeypatch):
    monkeypatch.setenv("MAX_WEBHOOK_BODY_BYTES", "lots")

    with pytest.raises(ConfigurationError, match="MAX_WEBHOOK_BODY_BYTES"):
        load(ApiSettings)
