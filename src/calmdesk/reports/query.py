"""Reading the count tables within filters and scope (used by the report definitions).

A definition never sees rows outside the scope: team-level reads keep only the teams of
``ReportScope.team_ids`` (narrowed by the filters), agent-level reads only the agents of
``ReportScope.agent_ids``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Q, QuerySet, Sum

from calmdesk.reports.counts import ROLLUP, WEEKLY
from calmdesk.reports.models import DailyCount
from calmdesk.reports.types import ReportFilters, ReportScope

WEEKLY_FROM = 63  # periods longer than this many days are shown per week


@dataclass(frozen=True)
class Agg:
    n: int
    value: float
    example: int | None

    @property
    def mean(self) -> float | None:
        return self.value / self.n if self.n else None


def visible_teams(filters: ReportFilters, scope: ReportScope) -> tuple[int, ...]:
    if filters.team_ids:
        return tuple(t for t in filters.team_ids if t in scope.team_ids)
    return tuple(scope.team_ids)


def agent_allowed(filters: ReportFilters, scope: ReportScope) -> bool:
    """False when the filters ask for one agent the viewer may not see individually."""
    return filters.agent_id is None or filters.agent_id in scope.agent_ids


def base(
    stats: str | Iterable[str],
    filters: ReportFilters,
    scope: ReportScope,
    *,
    per_agent: bool = False,
    any_tag: bool = False,
    detail: bool = False,
) -> QuerySet[DailyCount]:
    """Rows of ``stats`` within the period, filters and scope.  ``per_agent``: rows of the
    agents the viewer may see individually (any team unless the filters name teams);
    ``any_tag``: the per-tag rows (hot spots), else the rows of the chosen tag or of all;
    without filters the per-team roll-up rows are read (fewer rows), unless ``detail``."""
    names = [stats] if isinstance(stats, str) else list(stats)
    qs = DailyCount.objects.filter(
        organization_id=scope.organization_id,
        stat__in=names,
        day__gte=filters.date_from,
        day__lte=filters.date_to,
    )
    rollup = not (any_tag or per_agent or detail or filtered(filters))
    if rollup and (filters.date_to - filters.date_from).days + 1 >= WEEKLY_FROM:
        qs = qs.filter(_weeks_and_edges(filters))
    elif rollup:
        qs = qs.filter(tag=ROLLUP)
    elif any_tag:
        qs = qs.filter(tag=filters.tag) if filters.tag else qs.exclude(tag__in=("", ROLLUP))
    else:
        qs = qs.filter(tag=filters.tag)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.language:
        qs = qs.filter(language=filters.language)
    if not agent_allowed(filters, scope):
        return qs.none()
    if per_agent:
        agents = [filters.agent_id] if filters.agent_id is not None else list(scope.agent_ids)
        qs = qs.filter(agent_id__in=agents)
        if filters.team_ids:
            qs = qs.filter(team_id__in=visible_teams(filters, scope))
        return qs
    qs = qs.filter(team_id__in=visible_teams(filters, scope))
    if filters.agent_id is not None:
        qs = qs.filter(agent_id=filters.agent_id)
    return qs


def filtered(filters: ReportFilters) -> bool:
    """True when a filter needs the detailed rows (tag, channel, language, agent)."""
    return bool(filters.tag or filters.channel or filters.language or filters.agent_id is not None)


def rollup_rows(stat: str, filters: ReportFilters, organization_id: int) -> QuerySet[DailyCount]:
    """Roll-up rows of ``stat`` in the period (weekly ones inside long periods), no scope
    applied: the caller narrows them (by team, or by the agent in ``key``)."""
    qs = DailyCount.objects.filter(
        organization_id=organization_id,
        stat=stat,
        day__gte=filters.date_from,
        day__lte=filters.date_to,
    )
    if (filters.date_to - filters.date_from).days + 1 >= WEEKLY_FROM:
        return qs.filter(_weeks_and_edges(filters))
    return qs.filter(tag=ROLLUP)


def _weeks_and_edges(filters: ReportFilters) -> Q:
    """The weekly roll-up rows of the whole weeks inside the period, the daily roll-up rows
    of the days before the first and after the last whole week."""
    start, end = filters.date_from, filters.date_to
    first_monday = start + dt.timedelta(days=(7 - start.weekday()) % 7)
    last_monday = end - dt.timedelta(days=end.weekday())
    if end.weekday() != 6:  # the last week is not whole
        last_monday -= dt.timedelta(days=7)
    if last_monday < first_monday:
        return Q(tag=ROLLUP)
    weeks = Q(tag=WEEKLY, day__gte=first_monday, day__lte=last_monday)
    edges = Q(Q(day__lt=first_monday) | Q(day__gt=last_monday + dt.timedelta(days=6)), tag=ROLLUP)
    # ``tag IN (...)`` first: the planner then seeks (organization, stat, tag, day)
    return Q(tag__in=(WEEKLY, ROLLUP)) & (weeks | edges)


def grouped(qs: QuerySet[DailyCount], *fields: str) -> dict[tuple[Any, ...], Agg]:
    """Sums by ``fields`` (e.g. "stat", "day", "key")."""
    out: dict[tuple[Any, ...], Agg] = {}
    for row in (
        qs.order_by()
        .values(*fields)
        .annotate(sn=Sum("n"), sv=Sum("value"), ex=Max("example"))
        .values_list(*fields, "sn", "sv", "ex")
    ):
        *keys, n, value, example = row
        out[tuple(keys)] = Agg(int(n or 0), float(value or 0.0), example)
    return out


def totals(qs: QuerySet[DailyCount]) -> dict[str, Agg]:
    """Sums per stat in one query (missing stats: zero)."""
    return {k[0]: v for k, v in grouped(qs, "stat").items()}


def sum_of(rows: dict[tuple[Any, ...], Agg], stat: str, position: int = 1) -> Agg:
    """The sum of ``rows`` (keyed e.g. (day, stat)) whose key at ``position`` is ``stat``."""
    n, value, example = 0, 0.0, None
    for key, agg in rows.items():
        if key[position] == stat:
            n, value = n + agg.n, value + agg.value
            if agg.example is not None and (example is None or agg.example > example):
                example = agg.example
    return Agg(n, value, example)


def total(qs: QuerySet[DailyCount]) -> Agg:
    got = qs.order_by().aggregate(sn=Sum("n"), sv=Sum("value"), ex=Max("example"))
    return Agg(int(got["sn"] or 0), float(got["sv"] or 0.0), got["ex"])


def buckets(filters: ReportFilters) -> tuple[list[str], dict[dt.date, str]]:
    """Labels of the x axis (days, or ISO weeks' Mondays for long periods) and day → label."""
    days = (filters.date_to - filters.date_from).days + 1
    labels: list[str] = []
    of_day: dict[dt.date, str] = {}
    for i in range(days):
        day = filters.date_from + dt.timedelta(days=i)
        label = (
            (day - dt.timedelta(days=day.weekday())).isoformat()
            if days >= WEEKLY_FROM
            else day.isoformat()
        )
        if not labels or labels[-1] != label:
            labels.append(label)
        of_day[day] = label
    return labels, of_day


def series_by_bucket(
    rows: dict[tuple[Any, ...], Agg], filters: ReportFilters
) -> tuple[list[str], dict[Any, dict[str, Agg]]]:
    """``rows`` keyed (day, key) → labels and {key: {label: Agg}} summed per bucket."""
    labels, of_day = buckets(filters)
    out: dict[Any, dict[str, Agg]] = {}
    for (day, key), agg in rows.items():
        label = of_day.get(day)
        if label is None:
            continue
        slot = out.setdefault(key, {})
        old = slot.get(label)
        slot[label] = (
            agg
            if old is None
            else Agg(old.n + agg.n, old.value + agg.value, max(old.example or 0, agg.example or 0))
        )
    return labels, out


def ratio(a: float, b: float) -> float | None:
    return round(100.0 * a / b, 1) if b else None


def hours(seconds: float | None) -> float | None:
    return round(seconds / 3600.0, 2) if seconds is not None else None
