"""Business hours and closed periods (pure): open or closed at a moment, and when the closed period began."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from chatbatch.domain.business_hours import BusinessHours, clock_minutes, week_problems

WEEKDAYS_9_TO_5 = {day: [{"open": "09:00", "close": "17:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}


def jakarta(*args) -> datetime:
    """A Jakarta wall-clock time (UTC+7), as UTC."""
    return datetime(*args, tzinfo=ZoneInfo("Asia/Jakarta")).astimezone(UTC)


def test_open_within_an_opening_in_the_tenants_time_zone():
    hours = BusinessHours.from_json(WEEKDAYS_9_TO_5, "Asia/Jakarta")
    # Wednesday 2026-12-02 10:00 in Jakarta is 03:00 UTC: open, though 03:00 UTC is outside 9-17
    assert hours.closed_since(datetime(2026, 12, 2, 3, 0, tzinfo=UTC)) is None
    # The opening's last minute is open, its closing instant is closed
    assert hours.closed_since(jakarta(2026, 12, 2, 16, 59)) is None
    assert hours.closed_since(jakarta(2026, 12, 2, 17, 0)) == jakarta(2026, 12, 2, 17, 0)


def test_one_closed_period_runs_from_the_evening_to_the_next_opening():
    hours = BusinessHours.from_json(WEEKDAYS_9_TO_5, "Asia/Jakarta")
    evening, night, morning = jakarta(2026, 12, 2, 18, 0), jakarta(2026, 12, 3, 2, 0), jakarta(2026, 12, 3, 8, 59)

    assert hours.closed_since(evening) == hours.closed_since(night) == hours.closed_since(morning)
    assert hours.closed_since(morning) == jakarta(2026, 12, 2, 17, 0)
    # the next evening is another closed period
    assert hours.closed_since(jakarta(2026, 12, 3, 20, 0)) == jakarta(2026, 12, 3, 17, 0)


def test_the_weekend_is_one_closed_period_from_friday_evening():
    hours = BusinessHours.from_json(WEEKDAYS_9_TO_5, "Asia/Jakarta")
    friday_close = jakarta(2026, 12, 4, 17, 0)  # 2026-12-04 is a Friday

    assert hours.closed_since(jakarta(2026, 12, 5, 12, 0)) == friday_close  # Saturday
    assert hours.closed_since(jakarta(2026, 12, 7, 8, 0)) == friday_close  # Monday before opening


def test_openings_over_midnight_are_one_open_stretch():
    hours = BusinessHours.from_json(
        {"fri": [{"open": "20:00", "close": "24:00"}], "sat": [{"open": "00:00", "close": "02:00"}]}, "UTC"
    )
    assert hours.closed_since(datetime(2026, 12, 5, 0, 0, tzinfo=UTC)) is None  # Saturday midnight
    assert hours.closed_since(datetime(2026, 12, 5, 1, 59, tzinfo=UTC)) is None
    assert hours.closed_since(datetime(2026, 12, 5, 3, 0, tzinfo=UTC)) == datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def test_a_daylight_saving_change_keeps_openings_on_the_wall_clock():
    hours = BusinessHours.from_json({"sun": [{"open": "09:00", "close": "17:00"}]}, "Europe/Amsterdam")
    # 2026-03-29: clocks go from CET (+1) to CEST (+2) at 02:00; 09:00 local is 07:00 UTC that day
    assert hours.closed_since(datetime(2026, 3, 29, 6, 59, tzinfo=UTC)) is not None
    assert hours.closed_since(datetime(2026, 3, 29, 7, 0, tzinfo=UTC)) is None
    assert hours.closed_since(datetime(2026, 3, 29, 15, 0, tzinfo=UTC)) == datetime(2026, 3, 29, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("week", "problem"),
    [
        ({"mon": [{"open": "17:00", "close": "09:00"}]}, "mon: opens at 17:00 but closes at 09:00"),
        ({"mon": [{"open": "09:00", "close": "09:00"}]}, "not after"),
        ({"tue": [{"open": "09:00", "close": "13:00"}, {"open": "12:00", "close": "17:00"}]}, "tue: openings overlap"),
        ({"mon": [{"open": "9:00", "close": "17:00"}]}, "'9:00' is not a time of day"),
        ({"mon": [{"open": "09:00", "close": "24:30"}]}, "'24:30' is not a time of day"),
        ({"funday": [{"open": "09:00", "close": "17:00"}]}, "'funday' is not a weekday"),
        ({"mon": []}, "the week has no opening"),
        ({}, "the week has no opening"),
    ],
)
def test_malformed_weeks_are_named(week, problem):
    assert any(problem in p for p in week_problems(week))
    with pytest.raises(ValueError):
        BusinessHours.from_json(week, "UTC")


def test_clock_times_and_an_unknown_time_zone():
    assert clock_minutes("00:00") == 0 and clock_minutes("24:00") == 1440 and clock_minutes("13:05") == 785
    with pytest.raises(ValueError, match="not an IANA time zone"):
        BusinessHours.from_json(WEEKDAYS_9_TO_5, "Mars/Olympus_Mons")
