"""GET/PATCH /settings and GET /settings/changes: the tenant's own bot settings over the environment's defaults,
validated field by field, every change logged, admin tokens only, one tenant never sees another's."""

from __future__ import annotations

import pytest

from tests.console.conftest import call

HOURS = {"mon": [{"open": "09:00", "close": "17:00"}], "sat": [{"open": "10:00", "close": "14:00"}]}


def test_a_tenant_without_settings_sees_the_environments_defaults(api, tokens, monkeypatch, reset_settings):
    monkeypatch.setenv("SYSTEM_PROMPT", "Default prompt from the environment.")
    monkeypatch.setenv("DEBOUNCE_SECONDS", "4")

    status, body = call(api, "GET", "/settings", tokens["admin"])

    assert status == 200
    assert body["system_prompt"] == "Default prompt from the environment." and body["debounce_seconds"] == 4
    assert body["bot_enabled"] is True and body["business_hours"] is None and body["time_zone"] == "UTC"
    assert body["overridden"] == [] and body["updated_by"] is None


def test_patch_changes_only_the_fields_given_and_logs_who_when_old_and_new(api, tokens, pg, tenant):
    first = call(api, "PATCH", "/settings", tokens["admin"], {"system_prompt": "Kamu asisten Toko Budi."})
    status, body = call(
        api,
        "PATCH",
        "/settings",
        tokens["admin"],
        {"debounce_seconds": 5, "away_message": "Kami tutup.", "time_zone": "Asia/Jakarta", "business_hours": HOURS},
    )

    assert first[0] == status == 200
    assert body["system_prompt"] == "Kamu asisten Toko Budi."  # kept: not in the second PATCH
    assert body["debounce_seconds"] == 5 and body["business_hours"] == HOURS
    assert set(body["overridden"]) == {
        "system_prompt",
        "debounce_seconds",
        "away_message",
        "time_zone",
        "business_hours",
    }
    assert body["updated_by"] == "Ani (admin)"

    # null gives a field back to the environment's default
    status, body = call(api, "PATCH", "/settings", tokens["admin"], {"debounce_seconds": None})
    assert status == 200 and body["debounce_seconds"] == 3 and "debounce_seconds" not in body["overridden"]

    status, log = call(api, "GET", "/settings/changes", tokens["admin"], limit=10)
    assert status == 200
    changes = [(c["field"], c["old_value"], c["new_value"], c["changed_by"]) for c in log["items"]]
    assert changes[0] == ("debounce_seconds", 5, None, "Ani (admin)")
    assert ("system_prompt", None, "Kamu asisten Toko Budi.", "Ani (admin)") in changes
    assert ("business_hours", None, HOURS, "Ani (admin)") in changes
    assert len(changes) == 6 and all(c["changed_at"].endswith("Z") for c in log["items"])


def test_the_cost_guards_default_from_the_environment_and_a_tenant_sets_its_own(
    api, tokens, monkeypatch, reset_settings
):
    monkeypatch.setenv("MAX_REPLIES_PER_HOUR", "12")
    monkeypatch.setenv("DAILY_TOKEN_BUDGET", "50000")

    defaults = call(api, "GET", "/settings", tokens["admin"])[1]
    status, own = call(api, "PATCH", "/settings", tokens["admin"], {"daily_token_budget": 2000})

    assert (defaults["max_replies_per_hour"], defaults["daily_token_budget"]) == (12, 50000)
    assert status == 200 and (own["max_replies_per_hour"], own["daily_token_budget"]) == (12, 2000)
    assert own["overridden"] == ["daily_token_budget"]


def test_an_unchanged_value_is_not_logged_again(api, tokens):
    call(api, "PATCH", "/settings", tokens["admin"], {"bot_enabled": False})
    call(api, "PATCH", "/settings", tokens["admin"], {"bot_enabled": False})

    assert len(call(api, "GET", "/settings/changes", tokens["admin"])[1]["items"]) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"debounce_seconds": 0}, "debounce_seconds"),
        ({"debounce_seconds": 10_000}, "debounce_seconds"),
        ({"max_wait_seconds": 10_000}, "max_wait_seconds"),
        ({"system_prompt": "  "}, "system_prompt"),
        ({"time_zone": "Asia/Atlantis"}, "time_zone"),
        ({"business_hours": {"mon": [{"open": "18:00", "close": "08:00"}]}}, "business_hours"),
        ({"business_hours": {"mon": "9-5"}}, "business_hours.mon"),
        ({"nonsense": 1}, "nonsense"),
        ({"max_replies_per_hour": 0}, "max_replies_per_hour"),
        ({"daily_token_budget": -5}, "daily_token_budget"),
        ({"daily_token_budget": "lots"}, "daily_token_budget"),
    ],
)
def test_an_invalid_value_is_a_422_naming_the_field_and_changes_nothing(api, tokens, body, field):
    call(api, "PATCH", "/settings", tokens["admin"], {"system_prompt": "Before."})

    status, answer = call(api, "PATCH", "/settings", tokens["admin"], {**body, "llm_model": "other-model"})

    assert status == 422
    assert answer["error"] == "invalid_fields"
    assert any(d["field"].startswith(field) for d in answer["details"]) and field.split(".")[0] in answer["message"]
    after = call(api, "GET", "/settings", tokens["admin"])[1]
    assert after["system_prompt"] == "Before." and after["llm_model"] != "other-model"


@pytest.mark.parametrize("scope", ["read", "operate"])
def test_settings_need_the_admin_scope(api, tokens, scope):
    for method, path, body in [
        ("GET", "/settings", None),
        ("PATCH", "/settings", {"bot_enabled": False}),
        ("GET", "/settings/changes", None),
    ]:
        status, answer = call(api, method, path, tokens[scope], body)
        assert status == 403, (method, path)
        assert answer["error"] == "missing_scope" and "admin scope" in answer["message"]
    assert call(api, "GET", "/settings", tokens["admin"])[1]["bot_enabled"] is True  # nothing changed


def test_one_tenants_settings_are_its_own(api, tokens, db):
    from chatbatch.domain.api_tokens import Scope
    from chatbatch.services import api_tokens

    other = api_tokens.create_token(db, "sess-other-settings-tenant", scope=Scope.ADMIN).token
    call(api, "PATCH", "/settings", tokens["admin"], {"system_prompt": "Only mine."})

    assert call(api, "GET", "/settings", other)[1]["system_prompt"] != "Only mine."
    assert all(c["new_value"] != "Only mine." for c in call(api, "GET", "/settings/changes", other)[1]["items"])
