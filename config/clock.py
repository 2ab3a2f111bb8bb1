"""Local time: the one place that turns moments into the site's time zone (``SITE_TIMEZONE``).

Stored times are epoch seconds or ISO 8601 with an offset; people see them in the site's zone
(chat replies, the dashboard, CLI output), and analytics count the site's calendar days.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"


@functools.cache
def zone(name: str = DEFAULT_TIMEZONE) -> ZoneInfo:
    """The time zone called ``name`` (IANA, e.g. Asia/Shanghai); raise ValueError for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def moment(value: object, tz: dt.tzinfo) -> dt.datetime | None:
    """``value`` (epoch seconds, ISO 8601 text or a datetime) in ``tz``; None when it is not a time.

    A naive ISO time is taken as UTC, which is how the index and the bot write them.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value > 0:
        return dt.datetime.fromtimestamp(value, tz)
    if isinstance(value, str) and value:
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(tz)
    return None


def fmt_time(value: object, tz: dt.tzinfo, *, seconds: bool = False) -> str:
    """A moment as local time, e.g. ``2026-03-01 14:05``; ``-`` when unknown."""
    local = moment(value, tz)
    if local is None:
        return "-"
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def now(tz: dt.tzinfo) -> dt.datetime:
    """The current local time."""
    return dt.datetime.now(tz)


def day(tz: dt.tzinfo, days_ago: int = 0) -> str:
    """A local calendar day as ``YYYYMMDD`` (today, or ``days_ago`` days before)."""
    return (dt.datetime.now(tz).date() - dt.timedelta(days=days_ago)).strftime("%Y%m%d")
