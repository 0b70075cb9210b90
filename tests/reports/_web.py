"""Helpers of the report page tests (helper R2): the desk's small world and report definitions
built here from the contract types.  They read real rows (cases, interactions, check-ins)
inside the scope and filters they are given, so the access rules and the filters are seen in
the figures; the real registry (calmdesk.reports.definitions) is tested in test_views_real.py.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from calmdesk.desk.models import Case, Interaction, WellbeingCheckIn
from calmdesk.reports import registry
from calmdesk.reports.types import (
    Chart,
    Column,
    ReportDefinition,
    ReportFilters,
    ReportResult,
    ReportScope,
    Series,
    Table,
)
from tests.desk.conftest import _fast_and_isolated, flushable_logs, world  # noqa: F401

SEEN: list[tuple[ReportFilters, ReportScope]] = []


def _cases(filters: ReportFilters, scope: ReportScope) -> Any:
    teams = filters.team_ids or scope.team_ids
    qs = Case.objects.filter(organization_id=scope.organization_id, team_id__in=teams)
    start = dt.datetime.combine(filters.date_from, dt.time.min, tzinfo=dt.UTC)
    end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    qs = qs.filter(created_at__gte=start, created_at__lt=end)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.agent_id is not None:
        qs = qs.filter(assignee_id=filters.agent_id)
    return qs


def build_cases(filters: ReportFilters, scope: ReportScope) -> ReportResult:
    SEEN.append((filters, scope))
    cases = list(_cases(filters, scope).select_related("team").order_by("id"))
    days = [
        filters.date_from + dt.timedelta(days=i)
        for i in range((filters.date_to - filters.date_from).days + 1)
    ]
    per_day = Counter(timezone.localtime(c.created_at, dt.UTC).date() for c in cases)
    per_team = Counter(c.team.name for c in cases)
    first = {c.team.name: c.id for c in reversed(cases)}
    teams = sorted(per_team)
    return ReportResult(
        slug="cases",
        title="Cases",
        filters=filters,
        charts=(
            Chart(
                key="cases-per-day",
                title="Cases per day",
                kind="line",
                labels=tuple(d.isoformat() for d in days),
                series=(Series("Cases", tuple(float(per_day[d]) for d in days)),),
                unit="cases",
            ),
            Chart(
                key="cases-per-team",
                title="Cases per team",
                kind="bar",
                labels=tuple(teams),
                series=(Series("Cases", tuple(float(per_team[t]) for t in teams)),),
            ),
        ),
        tables=(
            Table(
                key="per-team",
                title="Cases per team",
                columns=(
                    Column("team", "Team"),
                    Column("cases", "Cases", "int"),
                    Column("share", "Share", "percent"),
                    Column("wait", "Time to first reply", "duration"),
                ),
                rows=tuple(
                    (t, per_team[t], 100.0 * per_team[t] / len(cases), 5400.0) for t in teams
                ),
                row_links=tuple(f"/cases/{first[t]}/" for t in teams),
            ),
        ),
        notes=("Synthetic test report.",),
        generated_at=timezone.now(),
        counted_until=timezone.now().replace(minute=0, second=0, microsecond=0),
    )


def build_agent(filters: ReportFilters, scope: ReportScope) -> ReportResult:
    SEEN.append((filters, scope))
    agents = (filters.agent_id,) if filters.agent_id is not None else scope.agent_ids
    assert set(agents) <= set(scope.agent_ids)
    counts = Counter(
        Interaction.objects.filter(
            author_id__in=agents, case__organization_id=scope.organization_id
        ).values_list("author__username", flat=True)
    )
    names = sorted(counts)
    return ReportResult(
        slug="replies",
        title="Replies per agent",
        filters=filters,
        charts=(
            Chart(
                "replies",
                "Replies per agent",
                "stacked-bar",
                tuple(names),
                (Series("Replies", tuple(float(counts[n]) for n in names)),),
            ),
        ),
        tables=(
            Table(
                "replies",
                "Replies per agent",
                (Column("agent", "Agent"), Column("n", "Replies", "int")),
                tuple((n, counts[n]) for n in names),
            ),
        ),
    )


def build_wellbeing(filters: ReportFilters, scope: ReportScope) -> ReportResult:
    SEEN.append((filters, scope))
    assert scope.agent_ids == () and scope.text_team_ids == ()
    shared = WellbeingCheckIn.objects.filter(
        organization_id=scope.organization_id, share_in_aggregates=True
    ).count()
    return ReportResult(
        slug="wellbeing",
        title="Well-being",
        filters=filters,
        charts=(Chart("w", "Check-ins", "doughnut", ("shared",), (Series("n", (shared,)),)),),
    )


DEFINITIONS = {
    "cases": ReportDefinition("cases", "Cases", "Cases per team and day.", "team", build_cases),
    "replies": ReportDefinition(
        "replies", "Replies per agent", "Messages written per agent.", "agent", build_agent
    ),
    "wellbeing": ReportDefinition(
        "wellbeing", "Well-being", "Opt-in aggregates.", "wellbeing", build_wellbeing
    ),
}


@pytest.fixture
def synthetic_reports() -> Iterator[dict[str, ReportDefinition]]:
    SEEN.clear()
    registry.OVERRIDE = DEFINITIONS
    try:
        yield DEFINITIONS
    finally:
        registry.OVERRIDE = None
