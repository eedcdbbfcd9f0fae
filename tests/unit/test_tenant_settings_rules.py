"""Pure rules of tenant settings: effective = the tenant's value else the default; what a PATCH may carry;
the bot's on/off, pause and away-message decision; scopes; room search patterns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from chatbatch.domain.api_tokens import Scope
from chatbatch.domain.bot_control import (
    AWAY_ALREADY_SENT,
    BOT_OFF,
    CLOSED_WITHOUT_AWAY_MESSAGE,
    OPEN,
    PAUSED,
    away_decision,
    reason_bot_is_off,
)
from chatbatch.domain.business_hours import BusinessHours
from chatbatch.domain.debounce import DebounceRule
from chatbatch.domain.room_search import RoomSearch
from chatbatch.domain.tenant_settings import BotSettings, SettingsPatch, effective
from pydantic import ValidationError

DEFAULTS = BotSettings(
    system_prompt="env prompt",
    llm_model="gpt-4o-mini",
    bot_enabled=True,
    debounce_seconds=3.0,
    max_wait_seconds=30.0,
    max_batch_messages=50,
    history_context_messages=20,
    ai_reply_groups=False,
    human_takeover_minutes=30.0,
)


def test_a_tenants_own_value_wins_and_an_unset_one_follows_the_default():
    own = {"system_prompt": "Kamu asisten Toko Budi.", "debounce_seconds": 8.0, "llm_model": None, "bot_enabled": False}

    settings = effective(DEFAULTS, own)

    assert settings.system_prompt == "Kamu asisten Toko Budi." and settings.debounce_seconds == 8.0
    assert settings.bot_enabled is False  # a False of its own is a value, not "unset"
    assert settings.llm_model == "gpt-4o-mini" and settings.max_wait_seconds == 30.0


def test_the_sweepers_rule_takes_only_its_own_fields():
    rule = effective(DebounceRule(3, 30, 50), {"debounce_seconds": 1.5, "system_prompt": "x", "max_wait_seconds": None})
    assert rule == DebounceRule(1.5, 30, 50)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"debounce_seconds": 0}, "debounce_seconds"),
        ({"debounce_seconds": 10_000}, "debounce_seconds"),
        ({"max_wait_seconds": 10_000}, "max_wait_seconds"),
        ({"max_batch_messages": 0}, "max_batch_messages"),
        ({"history_context_messages": -1}, "history_context_messages"),
        ({"human_takeover_minutes": float("inf")}, "human_takeover_minutes"),
        ({"system_prompt": ""}, "system_prompt"),
        ({"system_prompt": "   \n"}, "system_prompt"),
        ({"system_prompt": "a\x00b"}, "system_prompt"),
        ({"away_message": "\ud800"}, "away_message"),
        ({"time_zone": "Jakarta"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"business_hours": {"mon": [{"open": "17:00", "close": "09:00"}]}}, "business_hours"),
        ({"business_hours": {"mon": [{"open": "09:00"}]}}, "business_hours"),
        ({"business_hours": {"noday": []}}, "business_hours"),
        ({"llm_model": "gpt 4"}, "llm_model"),
        ({"bot_enabled": "yes"}, "bot_enabled"),
        ({"temperature": 0.2}, "temperature"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(body, field):
    with pytest.raises(ValidationError) as refused:
        SettingsPatch.model_validate(body)
    assert {str(error["loc"][0]) for error in refused.value.errors()} == {field}


def test_a_patch_changes_only_the_fields_it_gives_and_null_means_the_default():
    patch = SettingsPatch.model_validate(
        {
            "away_message": "Kami tutup.",
            "llm_model": None,
            "business_hours": {"sat": [{"open": "10:00", "close": "14:00"}]},
        }
    )
    assert patch.changes() == {
        "away_message": "Kami tutup.",
        "llm_model": None,
        "business_hours": {"sat": [{"open": "10:00", "close": "14:00"}]},
    }


def test_the_bot_is_off_for_the_tenant_or_paused_in_the_chat():
    assert reason_bot_is_off(bot_enabled=True, paused=False) is None
    assert reason_bot_is_off(bot_enabled=False, paused=False) == BOT_OFF
    assert reason_bot_is_off(bot_enabled=True, paused=True) == PAUSED


def test_away_message_once_per_closed_period():
    hours = BusinessHours.from_json({"mon": [{"open": "09:00", "close": "17:00"}]}, "UTC")
    monday_close = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 2026-11-30 is a Monday
    tuesday = monday_close + timedelta(hours=20)

    assert away_decision(None, "closed", now=tuesday, away_sent_for=None) == OPEN  # no hours: always open
    assert away_decision(hours, "closed", now=monday_close - timedelta(hours=1), away_sent_for=None) == OPEN
    first = away_decision(hours, "closed", now=tuesday, away_sent_for=None)
    assert first.closed_since == monday_close and first.silent is None
    assert away_decision(hours, "closed", now=tuesday, away_sent_for=monday_close).silent == AWAY_ALREADY_SENT
    # the next week's closed period gets its own away message
    earlier = monday_close - timedelta(days=7)
    assert away_decision(hours, "closed", now=tuesday, away_sent_for=earlier).closed_since == monday_close
    assert away_decision(hours, None, now=tuesday, away_sent_for=None).silent == CLOSED_WITHOUT_AWAY_MESSAGE


def test_scopes_include_the_ones_before_them():
    assert Scope.ADMIN.grants(Scope.OPERATE) and Scope.ADMIN.grants(Scope.READ) and Scope.OPERATE.grants(Scope.READ)
    assert not Scope.READ.grants(Scope.OPERATE) and not Scope.OPERATE.grants(Scope.ADMIN)


def test_room_search_by_name_or_number():
    assert RoomSearch.of("  ") is None
    assert RoomSearch.of("budi") == RoomSearch("%budi%", None)
    assert RoomSearch.of("+62 812-3456") == RoomSearch("%+62 812-3456%", "%628123456%")
    assert RoomSearch.of("50%_off\\") == RoomSearch("%50\\%\\_off\\\\%", None)  # typed wildcards are literal
