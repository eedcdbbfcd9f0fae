"""Settings: read from the environment on first use (any case, empty = unset), validated, cached per model by one
getter that tests reset."""

from __future__ import annotations

import pytest
from chatbatch import settings
from chatbatch.errors import ConfigurationError
from chatbatch.settings import ApiSettings, SweeperSettings, WorkerSettings, clear_settings, get_settings


@pytest.fixture(autouse=True)
def _fresh(reset_settings):
    yield


def test_one_getter_reads_each_model_once_and_clear_forgets_them(monkeypatch):
    # Given the environment at a cold start
    monkeypatch.setenv("MAX_WEBHOOK_BODY_BYTES", "2048")
    monkeypatch.setenv("SWEEP_INTERVAL_SECONDS", "2.5")

    # When each function's settings are asked for twice
    api, sweeper = get_settings(ApiSettings), get_settings(SweeperSettings)

    # Then each model is read once and cached, each with its own fields
    assert get_settings(ApiSettings) is api and get_settings(SweeperSettings) is sweeper
    assert api.max_webhook_body_bytes == 2048 and sweeper.sweep_interval_seconds == 2.5

    # And a changed environment is seen only after the cache is cleared
    monkeypatch.setenv("MAX_WEBHOOK_BODY_BYTES", "4096")
    assert get_settings(ApiSettings).max_webhook_body_bytes == 2048
    clear_settings()
    assert get_settings(ApiSettings).max_webhook_body_bytes == 4096


def test_names_are_case_insensitive_and_an_empty_variable_is_unset(monkeypatch):
    # Given a lower-case name, and optional secrets CloudFormation could only leave empty
    monkeypatch.setenv("gateway_timeout_seconds", "7")
    monkeypatch.setenv("LLM_API_KEY_SECRET_ARN", "")
    monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    worker = get_settings(WorkerSettings)

    assert worker.gateway_timeout_seconds == 7.0
    assert worker.llm_api_key_secret_arn is None
    assert worker.llm_timeout_seconds == 15.0  # the default, not a validation error
    assert worker.aws_region == "eu-west-1"  # a field read under its alias


def test_a_bad_variable_is_a_configuration_error_naming_it(monkeypatch):
    monkeypatch.setenv("DB_PORT", "70000")
    monkeypatch.setenv("GATEWAY", "carrier-pigeon")

    with pytest.raises(ConfigurationError) as raised:
        get_settings(ApiSettings)

    assert "DB_PORT" in str(raised.value) and "GATEWAY" in str(raised.value)
    assert ApiSettings not in settings._loaded  # nothing half-read is cached


def test_arguments_override_the_environment(monkeypatch):
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", "https://env.example")

    assert ApiSettings(cors_allow_origin="https://given.example").cors_allow_origin == "https://given.example"
    assert ApiSettings().cors_allow_origin == "https://env.example"
