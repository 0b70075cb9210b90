"""Local time, working days and the daylight-saving rule of the workflow.

Times are stored in UTC.  A local date and time becomes UTC in the given zone by this rule:

- a local time that does not exist (the hour skipped when clocks go forward) moves forward
  by the length of the gap: 02:30 on the spring-forward night in Europe/Warsaw is 03:30;
- a local time that happens twice (the hour repeated when clocks go back) means its first
  occurrence (the earlier instant, still on summer time).

Working days: Monday to Friday, or Sunday to Thursday for zones where that is the working
week (Asia/Jerusalem), unless a caller passes its own set of weekdays.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MON_FRI = frozenset({0, 1, 2, 3, 4})
SUN_THU = frozenset({6, 0, 1, 2, 3})
_SUN_THU_ZONES = frozenset({"Asia/Jerusalem", "Asia/Tel_Aviv", "Israel"})


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def workdays_for(tz: str) -> frozenset[int]:
    return SUN_THU if tz in _SUN_THU_ZONES else MON_FRI


def local_to_utc(day: dt.date, at: dt.time, tz: str) -> dt.datetime:
    """``day`` at wall-clock ``at`` in ``tz``, as an aware UTC datetime (rule above)."""
    z = zone(tz)
    naive = dt.datetime.combine(day, at.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=z)
    utc = first.astimezone(dt.UTC)
    # zoneinfo maps a non-existent time with the offset in force before the gap, which is
    # exactly "forward by the gap"; an ambiguous one with fold=0, i.e. its first occurrence.
    return utc


def to_local(moment: dt.datetime, tz: str) -> dt.datetime:
    return moment.astimezone(zone(tz))


def add_working_days(
    start: dt.datetime, days: int, tz: str, *, at_hour: int, workdays: frozenset[int] | None = None
) -> dt.datetime:
    """The moment ``days`` working days after ``start`` (in ``tz``), at ``at_hour``:00 local."""
    wd = workdays if workdays is not None else workdays_for(tz)
    day = to_local(start, tz).date()
    left = max(days, 0)
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() in wd:
            left -= 1
    while day.weekday() not in wd:
        day += dt.timedelta(days=1)
    return local_to_utc(day, dt.time(at_hour, 0), tz)
