"""The fill job of the count tables: idempotent and resumable (after Zulip's analytics).

Each group of stats (calmdesk.reports.counts.GROUPS) has a ``FillState`` row per
organization.  A day is written in one transaction: delete the group's rows of that day,
insert the new aggregates, advance the state.  A crash leaves the day it was in (and every
later one) to be done again; doing a day twice gives the same rows.

- Full refill (``full=True``): every day from the first data to today, in order
  (``state="started"`` and ``done_until`` record the progress, so an interrupted refill
  resumes where it stopped).
- Incremental fill: only the days whose figures may have changed since the last fill (the
  ``watermark``): new or changed cases, new log rows, promises kept or falling due, surveys
  answered, new facts ...  The watermark moves only when every such day is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from calmdesk.desk.models import Case, Interaction, Organization
from calmdesk.reports.counts import COLUMNS, GROUPS, ROLLUP, WEEKLY, Acc, Group, Window
from calmdesk.reports.models import DailyCount, FillState

logger = logging.getLogger(__name__)

CHUNK_DAYS = 31  # days counted together (one pass over the source rows)
PERIOD_DAYS = 7  # days written in one transaction (the unit a crash makes redo)
HOURLY = dt.timedelta(hours=1)


@dataclass
class FillReport:
    analysed: int = 0
    reviewed: int = 0
    days: dict[str, int] = field(default_factory=dict)
    clusters: int | None = None
    seconds: float = 0.0

    def __str__(self) -> str:
        days = ", ".join(f"{k} {v}" for k, v in sorted(self.days.items())) or "nothing"
        text = (
            f"reports-fill: {self.analysed} messages analysed, {self.reviewed} replies "
            f"reviewed, days written: {days} ({self.seconds:.1f} s)"
        )
        if self.clusters is not None:
            text += f", {self.clusters} emerging clusters"
        return text


def org_tz(org: Organization) -> ZoneInfo:
    try:
        return ZoneInfo(org.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def fill(
    organization_id: int | None = None,
    *,
    full: bool = False,
    now: dt.datetime | None = None,
    analyse: bool = True,
    cluster: bool = True,
) -> FillReport:
    """Fill the count tables of one organization (or all): analyse new messages first, then
    each group (full refill or incremental), then the emerging-problems clustering (once a
    day)."""
    started = time.perf_counter()
    report = FillReport()
    now = now or timezone.now()
    if analyse:
        from calmdesk.reports.signals import analyze_pending, review_pending

        report.analysed = analyze_pending(organization_id)
        report.reviewed = review_pending(organization_id)
    orgs = Organization.objects.order_by("pk")
    if organization_id is not None:
        orgs = orgs.filter(pk=organization_id)
    for org in orgs:
        seen = _Seen(org.pk)
        for group in GROUPS:
            written = fill_group(org, group, full=full, now=now, seen=seen)
            report.days[group.table] = report.days.get(group.table, 0) + written
        if full:
            _analyze_table()
        if cluster:
            from calmdesk.reports.clustering import refresh_if_stale

            made = refresh_if_stale(org, now=now)
            if made is not None:
                report.clusters = (report.clusters or 0) + made
    report.seconds = time.perf_counter() - started
    return report


def hourly_fill(now: dt.datetime | None = None) -> FillReport | None:
    """The sweeper's step: an incremental fill when the last one is an hour old (or never
    ran); None when it is not due."""
    now = now or timezone.now()
    oldest = FillState.objects.filter(table__in=[g.table for g in GROUPS]).aggregate(
        m=Min("watermark")
    )["m"]
    missing = Organization.objects.exclude(
        pk__in=FillState.objects.filter(table=GROUPS[0].table).values("organization_id")
    ).exists()
    if not missing and oldest is not None and oldest > now - HOURLY:
        return None
    return fill(now=now)


def hourly_fill_isolated(now: dt.datetime | None = None) -> FillReport | None:
    """``hourly_fill`` for the sweeper: inside an outer transaction (tests, an inline tick)
    it runs in a savepoint, so a failure leaves the caller's transaction usable."""
    if connection.in_atomic_block:
        with transaction.atomic():
            return hourly_fill(now)
    return hourly_fill(now)


def counted_until(organization_id: int) -> dt.datetime | None:
    """Up to when every group of the organization is counted (None: never filled)."""
    states = list(
        FillState.objects.filter(
            organization_id=organization_id, table__in=[g.table for g in GROUPS]
        ).values_list("state", "watermark")
    )
    if len(states) < len(GROUPS) or any(s != "done" or w is None for s, w in states):
        return None
    return min(w for _, w in states if w is not None)


class _Seen:
    """What one fill run reads once per organization: the newest log row, touched cases."""

    def __init__(self, organization_id: int) -> None:
        self.organization_id = organization_id
        self.last_id = (
            Interaction.objects.filter(organization_id=organization_id).aggregate(m=Max("pk"))["m"]
            or 0
        )
        self._touched: dict[tuple[dt.datetime, int], set[int]] = {}

    def touched(self, since: dt.datetime, last_interaction_id: int) -> set[int]:
        key = (since, last_interaction_id)
        if key not in self._touched:
            self._touched[key] = _touched_cases(self.organization_id, since, last_interaction_id)
        return self._touched[key]


def fill_group(
    org: Organization,
    group: Group,
    *,
    full: bool,
    now: dt.datetime,
    seen: _Seen | None = None,
) -> int:
    """Fill one group for one organization; return how many days were written."""
    state, _ = FillState.objects.get_or_create(organization_id=org.pk, table=group.table)
    seen = seen or _Seen(org.pk)
    tz = org_tz(org)
    today = now.astimezone(tz).date()
    last_id = seen.last_id
    # A refill interrupted earlier and resumed now: the days it had done may have changed
    # since; the incremental pass from the last complete fill's watermark catches them.
    resumed = state.state == "started" and not full and state.watermark is not None
    if full or (state.watermark is None and state.state != "started"):
        state.state, state.done_until = "started", None
        state.save(update_fields=["state", "done_until"])
    written = 0
    if state.state == "started":
        first = group.first(org.pk)
        start = state.done_until + dt.timedelta(days=1) if state.done_until else None
        if start is None:
            start = first.astimezone(tz).date() if first is not None else today
        day = start
        while day <= today:
            last = min(day + dt.timedelta(days=CHUNK_DAYS - 1), today)
            written += _write_window(Window(org.pk, tz, day, last, now), group, state, True)
            day = last + dt.timedelta(days=1)
    if state.state != "started" or resumed:
        assert state.watermark is not None
        since = state.watermark
        touched = seen.touched(since, state.last_interaction_id)
        probe = Window(org.pk, tz, today, today, now)
        days = {d.astimezone(tz).date() for d in group.dirty(probe, since, touched)}
        days = {d for d in days if d <= today}
        ordered = sorted(days)
        for i in range(0, len(ordered), CHUNK_DAYS):  # up to 31 days counted in one pass
            part = ordered[i : i + CHUNK_DAYS]
            window = Window(org.pk, tz, part[0], part[-1], now, frozenset(part))
            written += _write_window(window, group, state, False)
    FillState.objects.filter(pk=state.pk).update(
        state="done",
        watermark=now,
        last_interaction_id=last_id,
        done_until=today if state.state == "started" else state.done_until,
        updated_at=timezone.now(),
    )
    return written


def _touched_cases(org_id: int, since: dt.datetime, last_interaction_id: int) -> set[int]:
    """Cases changed after ``since`` or with log rows newer than ``last_interaction_id``."""
    touched = set(
        Case.objects.filter(organization_id=org_id, updated_at__gt=since).values_list(
            "pk", flat=True
        )
    )
    touched.update(
        Interaction.objects.filter(organization_id=org_id, pk__gt=last_interaction_id)
        .values_list("case_id", flat=True)
        .distinct()
    )
    return touched


def _runs(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days grouped as (first, last), at most CHUNK_DAYS long."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in days:
        if (
            runs
            and day - runs[-1][1] == dt.timedelta(days=1)
            and (day - runs[-1][0]).days < CHUNK_DAYS
        ):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _write_window(w: Window, group: Group, state: FillState, full: bool) -> int:
    """Count a window and write it period by period (PERIOD_DAYS days per transaction)."""
    acc = Acc(w.organization_id)
    group.count(w, acc)
    rows = acc.by_day()
    runs = _runs(sorted(w.only)) if w.only is not None else [(w.first, w.last)]
    # An incremental fill writes its scattered days in one transaction (one commit); the
    # watermark moves only after all of them anyway.
    with contextlib.nullcontext() if full else transaction.atomic():
        for run_first, run_last in runs:
            first = run_first
            while first <= run_last:
                last = min(first + dt.timedelta(days=PERIOD_DAYS - 1), run_last)
                period = [r for d in _days(first, last) for r in rows.get(d, [])]
                write_period(w.organization_id, group, first, last, period, state if full else None)
                first = last + dt.timedelta(days=1)
    return sum((b - a).days + 1 for a, b in runs)


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def write_period(
    organization_id: int,
    group: Group,
    first: dt.date,
    last: dt.date,
    rows: list[tuple[Any, ...]],
    state: FillState | None,
) -> None:
    """Replace the days ``first``..``last`` of one group in one transaction: delete their
    rows, insert the new ones, and (in a full refill) record the period as done."""
    with transaction.atomic():
        DailyCount.objects.filter(
            organization_id=organization_id, day__gte=first, day__lte=last, stat__in=group.stats
        )._raw_delete(DailyCount.objects.db)
        _insert(rows)
        _weekly(organization_id, group, first, last)
        if state is not None:
            FillState.objects.filter(pk=state.pk).update(done_until=last, updated_at=timezone.now())
            state.done_until = last


def _insert(rows: list[tuple[Any, ...]]) -> None:
    """Plain INSERTs (the ORM's bulk_create costs more than the counting itself)."""
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(DailyCount._meta.db_table)
    names = ", ".join(qn(c) for c in COLUMNS)
    marks = ", ".join(["%s"] * len(COLUMNS))
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: several times faster than INSERTs
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        for start in range(0, len(rows), 5000):
            batch = rows[start : start + 5000]
            if sqlite:  # SQLite stores dates as ISO text
                batch = [(r[0], r[1], str(r[2]), *r[3:]) for r in batch]
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - fixed names
            cursor.executemany(sql, batch)


def _weekly(organization_id: int, group: Group, first: dt.date, last: dt.date) -> None:
    """Recompute the weekly roll-up rows of the weeks that ``first``..``last`` touch, as the
    sums of their daily roll-up rows (long periods read 7 times fewer rows)."""
    monday = first - dt.timedelta(days=first.weekday())
    qn = connection.ops.quote_name
    table = qn(DailyCount._meta.db_table)
    names = ", ".join(qn(c) for c in COLUMNS)
    stats = ", ".join(["%s"] * len(group.stats))
    sql = (
        f"INSERT INTO {table} ({names}) "  # noqa: S608 - fixed names, values are parameters
        f"SELECT organization_id, stat, %s, team_id, 0, '', '', %s, {qn('key')}, "
        f"SUM(n), SUM(value), MAX(example) FROM {table} "
        f"WHERE organization_id = %s AND tag = %s AND day >= %s AND day <= %s "
        f"AND stat IN ({stats}) GROUP BY organization_id, stat, team_id, {qn('key')}"
    )
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        while monday <= last:
            sunday = monday + dt.timedelta(days=6)
            DailyCount.objects.filter(
                organization_id=organization_id, tag=WEEKLY, day=monday, stat__in=group.stats
            )._raw_delete(DailyCount.objects.db)
            days: list[Any] = [monday, monday, sunday]
            if sqlite:
                days = [str(d) for d in days]
            cursor.execute(
                sql,
                [days[0], WEEKLY, organization_id, ROLLUP, days[1], days[2], *group.stats],
            )
            monday += dt.timedelta(days=7)


def _analyze_table() -> None:
    """Refresh the planner's statistics of the count table after a full refill (so that
    SQLite, which keeps none by itself, picks the lookup index)."""
    table = connection.ops.quote_name(DailyCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
