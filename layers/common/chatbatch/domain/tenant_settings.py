"""A tenant's bot settings: what each may be, and the effective settings (the tenant's value, else the
environment's default). Pure, no I/O.

Field names are the lower-case names of the environment variables they override (``SYSTEM_PROMPT`` …), plus
``away_message``, ``time_zone`` and ``business_hours``, which have no environment variable (default: no away
message, UTC, always open). The constrained types below are shared with ``chatbatch.settings``, so an
environment default and a tenant's own value obey the same bounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from chatbatch.domain.business_hours import (
    CLOCK_PATTERN,
    DAYS,
    MAX_OPENINGS_PER_DAY,
    BusinessHours,
    clock_minutes,
    is_time_zone,
    time_zones,
    week_problems,
)
from chatbatch.domain.text_forms import NON_BLANK_TEXT

MAX_PROMPT_CHARS = 20_000
MAX_MESSAGE_CHARS = 4_096
MAX_MODEL_CHARS = 200
DEFAULT_TIME_ZONE = "UTC"
# Cost guards: a chat's LLM replies per rolling hour, a tenant's LLM tokens (prompt + reply) per day of its time zone.
DEFAULT_MAX_REPLIES_PER_HOUR = 30
DEFAULT_DAILY_TOKEN_BUDGET = 1_000_000


def _text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character, which cannot be stored")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains an unpaired UTF-16 surrogate, which is not text") from None
    if not value.strip():
        raise ValueError("must not be empty")
    return value


# Bounds of each setting (the sweeper's windows: a window of 0 or of hours would stop or stall replies).
DebounceSeconds = Annotated[float, Field(gt=0, le=300, allow_inf_nan=False)]
MaxWaitSeconds = Annotated[float, Field(gt=0, le=3600, allow_inf_nan=False)]
MaxBatchMessages = Annotated[int, Field(ge=1, le=1000)]
HistoryContextMessages = Annotated[int, Field(ge=0, le=200)]
TakeoverMinutes = Annotated[float, Field(ge=0, le=525_600, allow_inf_nan=False)]  # at most a year
MaxRepliesPerHour = Annotated[int, Field(ge=1, le=3600)]
DailyTokenBudget = Annotated[int, Field(ge=1, le=10_000_000_000)]
# The OpenAPI document declares what each validator accepts (domain/text_forms.py), so a client can check first.
_NON_BLANK = Field(json_schema_extra={"pattern": NON_BLANK_TEXT})
SystemPrompt = Annotated[str, StringConstraints(max_length=MAX_PROMPT_CHARS), _NON_BLANK, AfterValidator(_text)]
LlmModel = Annotated[str, StringConstraints(min_length=1, max_length=MAX_MODEL_CHARS, pattern=r"^[\w.:/@+\-]+$")]
# A text the business sends to a customer: the away message, a staff reply from the console.
MessageText = Annotated[str, StringConstraints(max_length=MAX_MESSAGE_CHARS), _NON_BLANK, AfterValidator(_text)]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _time_zone(name: str) -> str:
    if not is_time_zone(name):
        raise ValueError(f"{name!r} is not an IANA time zone name such as Asia/Jakarta or UTC")
    return name


def _clock(text: str) -> str:
    clock_minutes(text)
    return text


TimeZone = Annotated[
    str,
    StringConstraints(max_length=64),
    Field(json_schema_extra=lambda schema: schema.update(enum=sorted(time_zones()))),
    AfterValidator(_time_zone),
]
Clock = Annotated[
    str, StringConstraints(max_length=5), Field(json_schema_extra={"pattern": CLOCK_PATTERN}), AfterValidator(_clock)
]


class Opening(BaseModel):
    """One opening of a day, local time: ``open`` before ``close`` (``24:00`` = midnight at the day's end)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    open: Clock
    close: Clock


WeeklyHours = Annotated[
    dict[Day, Annotated[list[Opening], Field(max_length=MAX_OPENINGS_PER_DAY)]], Field(max_length=len(DAYS))
]


@dataclass(frozen=True)
class BotSettings:
    """The settings a tenant's bot runs with (each one the tenant's own value, else the environment's)."""

    system_prompt: str
    llm_model: str
    bot_enabled: bool
    debounce_seconds: float
    max_wait_seconds: float
    max_batch_messages: int
    history_context_messages: int
    ai_reply_groups: bool
    human_takeover_minutes: float
    away_message: str | None = None
    time_zone: str = DEFAULT_TIME_ZONE
    business_hours: dict[str, list[dict[str, str]]] | None = None  # as stored: {"mon": [{"open", "close"}]}
    max_replies_per_hour: int = DEFAULT_MAX_REPLIES_PER_HOUR
    daily_token_budget: int = DEFAULT_DAILY_TOKEN_BUDGET

    def hours(self) -> BusinessHours | None:
        """The business hours, or None: always open."""
        if self.business_hours is None:
            return None
        return BusinessHours.from_json(self.business_hours, self.time_zone)


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(BotSettings))
S = TypeVar("S")


def effective(defaults: S, overrides: Mapping[str, Any]) -> S:
    """The tenant's own value of each setting it set (not None), else the default. ``defaults`` is a frozen
    dataclass whose fields are settings: ``BotSettings``, or a part of them such as the sweeper's ``DebounceRule``."""
    names = {f.name for f in fields(defaults)}
    own = {name: value for name, value in overrides.items() if name in names and value is not None}
    return replace(defaults, **own)


class SettingsPatch(BaseModel):
    """``PATCH /settings``: only the fields given change; ``null`` returns a field to the environment's default."""

    model_config = ConfigDict(extra="forbid")

    system_prompt: SystemPrompt | None = None
    llm_model: LlmModel | None = None
    bot_enabled: Annotated[bool, Field(strict=True)] | None = None
    debounce_seconds: DebounceSeconds | None = None
    max_wait_seconds: MaxWaitSeconds | None = None
    max_batch_messages: MaxBatchMessages | None = None
    history_context_messages: HistoryContextMessages | None = None
    ai_reply_groups: Annotated[bool, Field(strict=True)] | None = None
    human_takeover_minutes: TakeoverMinutes | None = None
    away_message: MessageText | None = None
    time_zone: TimeZone | None = None
    business_hours: WeeklyHours | None = None
    max_replies_per_hour: MaxRepliesPerHour | None = None
    daily_token_budget: DailyTokenBudget | None = None

    @field_validator("business_hours")
    @classmethod
    def _a_sensible_week(cls, week: dict[str, list[Opening]] | None) -> dict[str, list[Opening]] | None:
        if week is None:
            return None
        problems = week_problems({day: [o.model_dump() for o in openings] for day, openings in week.items()})
        if problems:
            raise ValueError("; ".join(problems))
        return week

    def changes(self) -> dict[str, Any]:
        """The fields given, as they are stored (business hours as plain JSON)."""
        return {name: value for name, value in self.model_dump(mode="json").items() if name in self.model_fields_set}
