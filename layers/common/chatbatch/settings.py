"""Typed settings, read from environment variables once per process (on first use, never at import) and validated.

One model per function (``ApiSettings``, ``SweeperSettings``, ``WorkerSettings``, ``MigrateSettings``), all
sharing ``CommonSettings``; ``get_settings(ApiSettings)`` is the one getter, cached per model. Each field is read
from the variable of its name in capitals (or its ``validation_alias``), case-insensitively; an empty variable
counts as unset. Secrets come either directly from an environment variable (local runs) or from AWS Secrets
Manager by reference (``*_SECRET_ARN``), resolved by :mod:`chatbatch.secrets`. Never read ``os.environ``
anywhere else.

Plain pydantic models fed from ``os.environ``, not pydantic-settings: its import alone costs more than the api
function's whole cold-start budget, and these scalar fields need none of its sources.
"""

from __future__ import annotations

import os
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from chatbatch.domain.tenant_settings import (
    DEFAULT_DAILY_TOKEN_BUDGET,
    DEFAULT_MAX_REPLIES_PER_HOUR,
    FIELDS,
    BotSettings,
    DailyTokenBudget,
    DebounceSeconds,
    HistoryContextMessages,
    LlmModel,
    MaxBatchMessages,
    MaxRepliesPerHour,
    MaxWaitSeconds,
    SystemPrompt,
    TakeoverMinutes,
)
from chatbatch.errors import ConfigurationError


class CommonSettings(BaseModel):
    """``Model(**overrides)`` reads the environment, then applies ``overrides`` (tests and tools pass some)."""

    model_config = ConfigDict(extra="ignore", frozen=True, validate_default=True)

    def __init__(self, **overrides: Any) -> None:
        super().__init__(**{**_from_environ(type(self)), **overrides})

    # Locally: a DSN. In AWS: the RDS secret (JSON with host/port/username/password/dbname) + optional overrides.
    database_url: SecretStr | None = None
    db_secret_arn: str | None = None
    db_host: str | None = None
    db_port: int | None = Field(default=None, ge=1, le=65535)
    db_name: str | None = None
    db_connect_timeout_seconds: int = Field(default=5, ge=1, le=60)
    db_statement_timeout_ms: int = Field(default=10_000, ge=0)
    # The webhook's ingest statement is prepared once per connection (its planning cost as much as running it).
    # Behind RDS Proxy set false: a prepared statement pins the client's proxy connection to one database connection.
    db_prepared_statements: bool = True
    # In AWS (DB_SECRET_ARN): TLS that checks the server's certificate AND name; the RDS CA bundle is shipped.
    db_ssl_mode: Literal["verify-full", "verify-ca", "require"] = "verify-full"
    db_ssl_root_cert: str | None = None  # a PEM file of CAs; unset: chatbatch/certs/rds-ca-bundle.pem
    environment: str = "local"
    # Secrets Manager values (chatbatch.secrets) are re-read after this long: a rotated secret reaches every warm
    # container without a redeploy. After a rotation, incoming proofs carrying the previous value (AWSPREVIOUS)
    # are still accepted for SECRETS_PREVIOUS_GRACE_SECONDS, while the gateways move to the new one.
    secrets_max_age_seconds: int = Field(default=300, ge=1, le=86_400)
    secrets_previous_grace_seconds: float = Field(default=3600.0, ge=0, le=604_800)

    def require_database(self) -> None:
        if self.database_url is None and self.db_secret_arn is None:
            raise ConfigurationError("DATABASE_URL (a postgresql:// DSN) or DB_SECRET_ARN (the RDS secret) must be set")


class TenantDefaults(CommonSettings):
    """The bot's settings every tenant starts from; a tenant's own value (tenant_settings) overrides each one.
    Every function reads the same variables, so the sweeper, the worker and GET /settings agree."""

    system_prompt: SystemPrompt = "You are a helpful customer-support assistant. Answer briefly and politely."
    llm_model: LlmModel = "gpt-4o-mini"
    bot_enabled: bool = True
    debounce_seconds: DebounceSeconds = 3.0
    max_wait_seconds: MaxWaitSeconds = 30.0
    max_batch_messages: MaxBatchMessages = 50
    history_context_messages: HistoryContextMessages = 20
    ai_reply_groups: bool = False
    human_takeover_minutes: TakeoverMinutes = 30.0
    # Cost guards (docs/worker.md): over either, a job is skipped with the reason and no LLM call.
    max_replies_per_hour: MaxRepliesPerHour = DEFAULT_MAX_REPLIES_PER_HOUR
    daily_token_budget: DailyTokenBudget = DEFAULT_DAILY_TOKEN_BUDGET

    def bot_defaults(self) -> BotSettings:
        return BotSettings(**self.model_dump(include=set(FIELDS)))


class GatewaySettings(CommonSettings):
    """The WhatsApp gateway replies are sent through: the worker's (bot replies) and the api's (staff replies)."""

    gateway: Literal["log", "http", "waha", "evolution", "meta", "gowa"] = "log"
    gateway_url: str | None = None
    gateway_token: SecretStr | None = None
    gateway_token_secret_arn: str | None = None
    gateway_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Mark the customer's bubbles read and show "typing…" while the LLM works (best effort, where the gateway can).
    gateway_typing: bool = False
    # A lower text limit than the gateway's own (WhatsApp 65,536, Meta 4,096): longer replies go out in more parts.
    gateway_max_text_chars: int | None = Field(default=None, ge=16)


class ApiSettings(GatewaySettings, TenantDefaults):
    """The api function: the webhook, the history API and the operator console (which sends staff replies)."""

    webhook_secret: SecretStr | None = None
    webhook_secret_arn: str | None = None
    max_webhook_body_bytes: int = Field(default=1_048_576, ge=1024)
    # The dashboard UI's origin (e.g. https://ui.example.com), allowed by CORS; unset or empty: no CORS headers.
    cors_allow_origin: str | None = None
    # The real gateways' own proofs (docs/gateways.md), each directly (local runs) or as a Secrets Manager ARN.
    meta_app_secret: SecretStr | None = None  # the Meta app's secret: X-Hub-Signature-256 of /webhook/meta
    meta_app_secret_arn: str | None = None
    meta_verify_token: SecretStr | None = None  # answers Meta's GET /webhook/meta verification
    meta_verify_token_arn: str | None = None
    waha_hmac_key: SecretStr | None = None  # WAHA's hmac.key: X-Webhook-Hmac; unset: X-Webhook-Secret
    waha_hmac_key_arn: str | None = None
    gowa_webhook_secret: SecretStr | None = None  # GOWA's WHATSAPP_WEBHOOK_SECRET: X-Hub-Signature-256
    gowa_webhook_secret_arn: str | None = None

    @field_validator("cors_allow_origin")
    @classmethod
    def _empty_origin_is_none(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return value.strip()

    def require_webhook_secret(self) -> None:
        if self.webhook_secret is None and self.webhook_secret_arn is None:
            raise ConfigurationError("WEBHOOK_SECRET or WEBHOOK_SECRET_ARN must be set")


class QueueSettings(CommonSettings):
    """The SQS FIFO job queue: the sweeper sends to it, the worker hands failed messages back to it early."""

    queue_url: str | None = None
    sqs_endpoint_url: str | None = None
    aws_region: str = Field(default="us-east-1", validation_alias="AWS_REGION")

    def require_queue(self) -> None:
        if not self.queue_url:
            raise ConfigurationError("QUEUE_URL (the SQS FIFO job queue) must be set")


class SweeperSettings(QueueSettings, TenantDefaults):
    sweep_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    # One sweep makes and sends at most this many jobs: a backlog drains over a few sweeps, in short transactions.
    max_jobs_per_sweep: int = Field(default=1000, ge=1, le=10_000)
    # SendMessageBatch calls in flight at once: 10,000 jobs are 1,000 calls, each mostly waiting on the network.
    sqs_send_lanes: int = Field(default=16, ge=1, le=64)
    # A job in flight (enqueued/generating/replied) that no worker holds, untouched this long, is sent again (a
    # duplicate message is harmless). Longer than the queue's visibility timeout x maxReceiveCount (540 s x 5 =
    # 45 min), so SQS's own redelivery always goes first.
    job_stuck_after_seconds: float = Field(default=3600.0, gt=0)
    job_max_sends: int = Field(default=3, ge=1, le=20)  # first send + re-sends
    # The jobs queue's MessageRetentionPeriod: a job in flight last sent this long ago has no message left in the
    # queue (deleted, expired or dead-lettered) and is 'failed' with that reason. Never earlier: a job waiting
    # behind a busy worker, or held by a slow one, still has its message.
    job_lost_after_seconds: float = Field(default=345_600.0, gt=0)
    # The loop starts no sweep unless this much + its slowest sweep so far remains before the Lambda timeout.
    sweep_safety_margin_seconds: float = Field(default=5.0, ge=0, le=60)

    @model_validator(mode="after")
    def _lost_after_stuck(self) -> SweeperSettings:
        if self.job_lost_after_seconds <= self.job_stuck_after_seconds:
            raise ValueError("JOB_LOST_AFTER_SECONDS must be longer than JOB_STUCK_AFTER_SECONDS")
        return self


class WorkerSettings(GatewaySettings, QueueSettings, TenantDefaults):
    llm_provider: Literal["echo", "openai", "bedrock"] = "echo"
    llm_base_url: str = "https://api.openai.com/v1"
    llm_api_key: SecretStr | None = None
    llm_api_key_secret_arn: str | None = None
    # 3 tries of 15 s + waits ≤ 8 s each, then one gateway call: within the worker's 90 s timeout (template.yaml).
    llm_timeout_seconds: float = Field(default=15.0, gt=0, le=600)
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    # The queue's maxReceiveCount (template.yaml): on that receive a failing job is marked 'failed'.
    worker_max_receives: int = Field(default=5, ge=1, le=1000)
    # How long one delivery holds a job; longer than the worker's timeout, so only a dead worker loses it.
    worker_job_lease_seconds: float = Field(default=120.0, gt=0, le=3600)
    # A send whose outcome is unknown (no answer, a crash) waits this long for the gateway's echo before it is sent
    # again. At most the echo-by-text window (domain/takeover.py ECHO_TEXT_WINDOW, 120 s): a later echo is a human.
    gateway_echo_wait_seconds: float = Field(default=60.0, gt=0, le=120)


class MigrateSettings(CommonSettings):
    """The migrate function (CloudFormation custom resource): the database settings only."""


S = TypeVar("S", bound=CommonSettings)


def _from_environ(model: type[BaseModel]) -> dict[str, str]:
    """The variables ``model`` reads, by the name each field is validated under."""
    # Empty means unset: CloudFormation cannot unset a variable, so template parameters left at "" (an optional
    # LLM_API_KEY_SECRET_ARN or GATEWAY_TOKEN_SECRET_ARN, say) arrive as empty strings and must mean "not set".
    environ = {key.lower(): value for key, value in os.environ.items() if value != ""}
    values = {}
    for name, field in model.model_fields.items():
        key = field.validation_alias if isinstance(field.validation_alias, str) else name
        if key.lower() in environ:
            values[key] = environ[key.lower()]
    return values


def load(model: type[S]) -> S:
    """Build ``model`` from the environment, turning pydantic's error into one naming each bad variable."""
    try:
        return model()
    except ValidationError as exc:
        problems = [f"{'_'.join(str(p) for p in err['loc']).upper() or '?'}: {err['msg']}" for err in exc.errors()]
        raise ConfigurationError("invalid configuration: " + "; ".join(problems)) from None


_loaded: dict[type[CommonSettings], CommonSettings] = {}


def get_settings(model: type[S]) -> S:
    """The process's settings of ``model``, read and validated on first use (a cold start), then cached."""
    if model not in _loaded:
        _loaded[model] = load(model)
    return _loaded[model]  # type: ignore[return-value]


def clear_settings() -> None:
    """Forget every cached settings object (tests that change the environment)."""
    _loaded.clear()
