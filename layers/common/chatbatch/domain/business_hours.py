"""Business hours: a tenant's weekly opening times in its time zone, and the closed period outside them. Pure.

Outside business hours the bot does not ask the LLM: it sends the tenant's away message once per chat per
closed period. A closed period runs from the end of one opening to the start of the next, so "once per closed
period" means once per chat between the evening's closing and the next morning's opening; it is named by the
moment it began.

Hours are given per weekday as ``{"open": "HH:MM", "close": "HH:MM"}`` (``close`` may be ``"24:00"``); a day that
is not listed is closed. An opening over midnight is two openings: ``22:00-24:00`` and the next day's
``00:00-02:00`` (back-to-back openings are one open stretch).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo, available_timezones

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
MINUTES_PER_DAY = 24 * 60
MAX_OPENINGS_PER_DAY = 6
CLOCK_PATTERN = r"^(?:([01][0-9]|2[0-3]):([0-5][0-9])|(24):(00))$"
_CLOCK = re.compile(CLOCK_PATTERN)


@cache
def time_zones() -> frozenset[str]:
    """The IANA time zone names (``Asia/Jakarta``, ``UTC``) this runtime knows."""
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    return name in time_zones()


def clock_minutes(text: str) -> int:
    """``"HH:MM"`` (``"24:00"`` = the end of the day) as minutes since midnight; ValueError otherwise."""
    match = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not a time of day as HH:MM (00:00 to 24:00)")
    hours, minutes = (match[1], match[2]) if match[1] is not None else (match[3], match[4])
    return int(hours) * 60 + int(minutes)


def week_problems(hours: Mapping[str, Sequence[Mapping[str, str]]]) -> list[str]:
    """What is wrong with a week of opening times (empty when nothing): each problem names its day."""
    problems = []
    openings = 0
    for day, intervals in hours.items():
        if day not in DAYS:
            problems.append(f"{day!r} is not a weekday; use {', '.join(DAYS)}")
            continue
        if len(intervals) > MAX_OPENINGS_PER_DAY:
            problems.append(f"{day}: at most {MAX_OPENINGS_PER_DAY} openings a day")
            continue
        spans = []
        for interval in intervals:
            try:
                start, end = clock_minutes(interval["open"]), clock_minutes(interval["close"])
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(f"{day}: {exc}")
                continue
            if start >= end:
                problems.append(f"{day}: opens at {interval['open']} but closes at {interval['close']}, not after")
            spans.append((start, end))
        spans.sort()
        if any(later[0] < earlier[1] for earlier, later in pairwise(spans)):
            problems.append(f"{day}: openings overlap")
        openings += len(spans)
    if not problems and openings == 0:
        problems.append("the week has no opening; leave business_hours null to be always open")
    return problems


@dataclass(frozen=True)
class BusinessHours:
    """A validated week of openings (minutes since local midnight, per weekday) in a time zone."""

    time_zone: str
    week: tuple[tuple[tuple[int, int], ...], ...]  # 7 days, Monday first; each (open, close) sorted

    @classmethod
    def from_json(cls, hours: Mapping[str, Sequence[Mapping[str, str]]], time_zone: str) -> BusinessHours:
        problems = week_problems(hours)
        if problems or not is_time_zone(time_zone):
            raise ValueError("; ".join(problems) or f"{time_zone!r} is not an IANA time zone")
        week = tuple(
            tuple(sorted((clock_minutes(i["open"]), clock_minutes(i["close"])) for i in hours.get(day, ())))
            for day in DAYS
        )
        return cls(time_zone, week)

    def closed_since(self, now: datetime) -> datetime | None:
        """None while open at ``now``; else when the current closed period began (UTC): the end of the latest
        opening before ``now``. Back-to-back openings (over midnight) count as one open stretch."""
        zone = ZoneInfo(self.time_zone)
        today = now.astimezone(zone).date()
        latest_close = None
        for days_back in range(8, -1, -1):  # a week of openings is always found in the last 8 days
            day = today - timedelta(days=days_back)
            for start_minute, end_minute in self.week[day.weekday()]:
                start, end = _local(day, start_minute, zone), _local(day, end_minute, zone)
                if start <= now < end:
                    return None
                if end <= now and (latest_close is None or end > latest_close):
                    latest_close = end
        return latest_close.astimezone(UTC) if latest_close is not None else None


def _local(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The wall-clock time ``minute`` minutes after local midnight of ``day`` (24:00 = the next day's midnight).
    Aware datetime arithmetic is wall-clock arithmetic, so a DST change that day does not shift the opening."""
    return datetime.combine(day, time(0), tzinfo=zone) + timedelta(minutes=minute)
