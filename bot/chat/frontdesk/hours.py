"""Working hours: whether someone is there now, and when someone will be (in SITE_TIMEZONE)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

DAY_NAMES = {1: "周一", 2: "周二", 3: "周三", 4: "周四", 5: "周五", 6: "周六", 7: "周日"}


class HoursError(ValueError):
    """Working hours that cannot be understood (the message is Chinese, for the admin)."""


@dataclass(frozen=True)
class Hours:
    """Open on ``days`` (1 = Monday) from ``start`` to ``end``."""

    days: tuple[int, ...]
    start: dt.time
    end: dt.time

    def is_open(self, now: dt.datetime) -> bool:
        """Whether ``now`` (aware, in the site's time zone) falls within working hours."""
        return now.isoweekday() in self.days and self.start <= now.time() < self.end

    def next_opening(self, now: dt.datetime) -> dt.datetime:
        """The next moment working hours begin after ``now``."""
        for ahead in range(8):
            day = now.date() + dt.timedelta(days=ahead)
            opening = dt.datetime.combine(day, self.start, tzinfo=now.tzinfo)
            if day.isoweekday() in self.days and opening > now:
                return opening
        return now  # no working day at all: parse_hours refuses that, so never reached

    def describe(self) -> str:
        """``周一至周五 9:30–18:30``."""
        return f"{describe_days(self.days)} {_clock(self.start)}–{_clock(self.end)}"


def _clock(moment: dt.time) -> str:
    return "24:00" if moment == dt.time.max else f"{moment.hour}:{moment.minute:02d}"


def describe_days(days: tuple[int, ...]) -> str:
    """``周一至周五`` for a run of days, ``周一、周三`` otherwise, ``每天`` for all seven."""
    if len(days) == 7:
        return "每天"
    if len(days) > 2 and list(days) == list(range(days[0], days[-1] + 1)):
        return f"{DAY_NAMES[days[0]]}至{DAY_NAMES[days[-1]]}"
    return "、".join(DAY_NAMES[d] for d in days)


def when(moment: dt.datetime, now: dt.datetime) -> str:
    """A moment in words relative to ``now``: ``今天 9:30``, ``明天 9:30``, ``周一 9:30``."""
    ahead = (moment.date() - now.date()).days
    day = "今天" if ahead == 0 else "明天" if ahead == 1 else DAY_NAMES[moment.isoweekday()]
    return f"{day} {_clock(moment.time())}"


def parse_hours(data: dict[str, Any]) -> Hours:
    """Working hours from ``{"days": [1..7], "start": "HH:MM", "end": "HH:MM"}``; raise HoursError."""
    try:
        days = tuple(sorted({int(d) for d in data.get("days") or ()}))
    except (TypeError, ValueError):
        raise HoursError("工作日请填 1–7 的数字（1 = 周一）。") from None
    if not days or not all(1 <= d <= 7 for d in days):
        raise HoursError("请至少选一个工作日（1 = 周一 … 7 = 周日）。")
    start, end = _time(data.get("start"), "上班"), _time(data.get("end"), "下班")
    if start >= end:
        raise HoursError("下班时间要晚于上班时间。")
    return Hours(days, start, end)


def _time(value: Any, label: str) -> dt.time:
    try:
        hour, minute = str(value or "").strip().split(":")
        if (int(hour), int(minute)) == (24, 0):  # "until midnight"
            return dt.time.max
        return dt.time(int(hour), int(minute))
    except ValueError:
        raise HoursError(f"{label}时间请写成 09:30 这样的格式。") from None


DEFAULT = Hours((1, 2, 3, 4, 5), dt.time(9, 30), dt.time(18, 30))


def hours_or_default(data: dict[str, Any]) -> Hours:
    """The configured hours, or weekdays 9:30–18:30 when they cannot be read."""
    try:
        return parse_hours(data)
    except HoursError:
        return DEFAULT
