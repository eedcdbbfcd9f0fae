"""Routes of the operator console: the token's own scope, the bot's settings, a staff reply, pausing the bot in a
chat, a chat's jobs and retrying a failed one.

Tenant-isolated like the history routes (another tenant's room or job is a 404) and guarded by the token's
scope: ``read`` < ``operate`` (reply, pause, retry) < ``admin`` (settings); a missing scope is a 403 naming it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from chatbatch import settings as config
from chatbatch.adapters.gateway import Gateway, gateway_from_settings
from chatbatch.api.database import api_database
from chatbatch.api.history import (
    AdminTenant,
    Before,
    CurrentTenant,
    Limit,
    Message,
    OperatorTenant,
    Room,
    RoomId,
    UtcTime,
    page_key,
)
from chatbatch.api.openapi import BEARER, BODY_NOT_TEXT, CONSOLE_TAG, responses
from chatbatch.db import database_for
from chatbatch.domain.api_tokens import Scope
from chatbatch.domain.paging import MAX_ROW_ID
from chatbatch.domain.tenant_settings import FIELDS, Day, MessageText, Opening, SettingsPatch
from chatbatch.services import console, tenant_settings
from chatbatch.services.tenant_settings import TenantSettings
from chatbatch.settings import ApiSettings

router = APIGatewayHttpRouter()
SECURED = {"security": [{BEARER: []}], "tags": [CONSOLE_TAG]}
JobId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The job's id")]


class Me(BaseModel):
    session_tok: str
    scope: Literal["read", "operate", "admin"]
    scopes: list[Literal["read", "operate", "admin"]]  # every scope the token has (each includes the ones before)
    name: str  # how the token's replies and setting changes are signed


class Settings(BaseModel):
    """The bot's effective settings: the tenant's own value of each field in ``overridden``, else the default
    from the environment (the variable of the same name in upper case)."""

    system_prompt: str
    llm_model: str
    bot_enabled: bool
    debounce_seconds: float
    max_wait_seconds: float
    max_batch_messages: int
    history_context_messages: int
    ai_reply_groups: bool
    human_takeover_minutes: float
    away_message: str | None
    time_zone: str
    business_hours: dict[Day, list[Opening]] | None
    max_replies_per_hour: int
    daily_token_budget: int
    overridden: list[str]
    updated_at: UtcTime | None
    updated_by: str | None


class SettingsChange(BaseModel):
    id: int
    field: str
    old_value: Any  # the tenant's value before (null: the environment's default)
    new_value: Any
    changed_by: str
    changed_at: UtcTime


class SettingsChanges(BaseModel):
    items: list[SettingsChange]


class StaffReply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: MessageText


class BotSwitch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paused: bool = Field(strict=True)


class Job(BaseModel):
    id: int
    status: Literal["pending", "enqueued", "generating", "replied", "done", "skipped", "failed"]
    batch_size: int
    attempts: int
    error: str | None  # why it failed, or why it was skipped
    reply: str | None
    created_at: UtcTime
    completed_at: UtcTime | None
    last_message_at: UtcTime | None  # the burst's newest bubble
    retry_of: int | None  # this job retries that failed job
    retried_by: int | None  # this (failed) job was retried by that job
    # parts of its reply handed to the gateway (sent, or with an unknown outcome): a failed job with any is not
    # retried (the customer may have them), the operator answers by hand
    parts_handed_over: int


class JobPage(BaseModel):
    items: list[Job]
    next_cursor: str | None


def _settings(view: TenantSettings) -> Settings:
    values = {name: getattr(view.settings, name) for name in FIELDS}
    return Settings(**values, overridden=view.overridden, updated_at=view.updated_at, updated_by=view.updated_by)


@lru_cache(maxsize=1)
def _gateway(settings: ApiSettings) -> Gateway:
    return gateway_from_settings(settings)


@router.get(
    "/me", summary="The API token's session, scope and name", responses=responses("The token", 401, 503), **SECURED
)
def me(tenant: CurrentTenant) -> Me:
    granted = [scope.value for scope in Scope if tenant.scope.grants(scope)]
    return Me(session_tok=tenant.name, scope=tenant.scope.value, scopes=granted, name=tenant.operator)


@router.get(
    "/settings",
    summary="The bot's settings for this session (admin)",
    responses=responses("The effective settings", 401, 403, 503),
    **SECURED,
)
def get_settings(tenant: AdminTenant) -> Settings:
    settings = config.get_settings(ApiSettings)
    return _settings(tenant_settings.read_settings(database_for(settings), tenant.name, settings.bot_defaults()))


@router.patch(
    "/settings",
    summary="Change some of the bot's settings (admin)",
    description="Only the fields given change; `null` returns a field to the environment's default. Every change "
    "is logged (GET /settings/changes). Invalid values are a 422 naming the field, and change nothing.",
    responses=responses(
        "The effective settings after the change", 400, 401, 403, 415, 422, 503, bad_request=BODY_NOT_TEXT
    ),
    **SECURED,
)
def patch_settings(tenant: AdminTenant, patch: SettingsPatch) -> Settings:
    settings = config.get_settings(ApiSettings)
    view = tenant_settings.change_settings(database_for(settings), tenant, patch, settings.bot_defaults())
    return _settings(view)


@router.get(
    "/settings/changes",
    summary="Who changed which setting when, newest first (admin)",
    responses=responses("The latest changes", 401, 403, 422, 503),
    **SECURED,
)
def list_settings_changes(tenant: AdminTenant, limit: Limit = 20) -> SettingsChanges:
    changes = tenant_settings.list_changes(api_database(), tenant.name, limit=limit)
    return SettingsChanges(items=[SettingsChange(**vars(change)) for change in changes])


@router.post(
    "/chat-rooms/<room_id>/messages",
    summary="Reply to the customer as staff (operate)",
    description="Sent through the WhatsApp gateway and saved to the history as sender `user`, signed with the "
    "token's name. The bot stays silent in the chat for the takeover window. The gateway's echo of it is "
    "recognised and not stored twice.",
    responses=responses(
        "The message, as saved to the history", 400, 401, 403, 404, 415, 422, 502, 503, 504, bad_request=BODY_NOT_TEXT
    ),
    **SECURED,
)
def send_reply(tenant: OperatorTenant, room_id: RoomId, reply: StaffReply) -> Message:
    settings = config.get_settings(ApiSettings)
    row = console.send_staff_reply(
        database_for(settings), _gateway(settings), tenant, room_id=room_id, text=reply.text.strip()
    )
    return Message(**row)


@router.post(
    "/chat-rooms/<room_id>/bot",
    summary="Pause or resume the bot in this chat (operate)",
    description='`{"paused": true}` holds until `{"paused": false}`; the human-takeover timer works as always.',
    responses=responses("The room", 400, 401, 403, 404, 415, 422, 503, bad_request=BODY_NOT_TEXT),
    **SECURED,
)
def switch_bot(tenant: OperatorTenant, room_id: RoomId, switch: BotSwitch) -> Room:
    return Room(**console.pause_bot(api_database(), tenant, room_id=room_id, paused=switch.paused))


@router.get(
    "/chat-rooms/<room_id>/jobs",
    summary="The bot's jobs in this chat, newest first",
    responses=responses("One page of jobs", 401, 404, 422, 503),
    **SECURED,
)
def list_jobs(tenant: CurrentTenant, room_id: RoomId, limit: Limit = 20, before: Before = None) -> JobPage:
    db = api_database()
    page = console.list_jobs(db, tenant=tenant.name, room_id=room_id, limit=limit, before=page_key(before))
    return JobPage.model_validate(page, from_attributes=True)


@router.post(
    "/jobs/<job_id>/retry",
    summary="Retry a failed job (operate)",
    description="A new job for the same bubbles, sent to the worker by the next sweep: one more attempt at ONE "
    "reply. Only a failed job can be retried, once, and only if no part of its reply was handed to the gateway "
    "(409 otherwise: the customer may have that part, and a retry would send a whole new reply on top of it).",
    responses=responses("The new job", 401, 403, 404, 409, 422, 503),
    **SECURED,
)
def retry_job(tenant: OperatorTenant, job_id: JobId) -> Job:
    row = console.retry_job(api_database(), tenant=tenant.name, job_id=job_id)
    return Job(**row)
