"""Helpers shared by the report builds: the result frame, names of teams, people, causes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from calmdesk.desk.models import RootCause, Team, User
from calmdesk.reports.query import Agg, agent_allowed
from calmdesk.reports.types import Chart, ReportFilters, ReportResult, ReportScope, Series, Table


def result(
    slug: str,
    title: str,
    filters: ReportFilters,
    scope: ReportScope,
    *,
    charts: tuple[Chart, ...] = (),
    tables: tuple[Table, ...] = (),
    notes: tuple[str, ...] = (),
    extra: dict[str, object] | None = None,
) -> ReportResult:
    from calmdesk.reports.fill import counted_until

    more = list(notes)
    if not agent_allowed(filters, scope):
        more.append(_("You may not see the figures of this agent."))
    until = counted_until(scope.organization_id)
    if until is None:
        more.append(_("The count tables are not filled yet."))
    return ReportResult(
        slug=slug,
        title=str(title),
        filters=filters,
        charts=tuple(c for c in (_trim_chart(c) for c in charts) if c.series),
        tables=tuple(_trim_table(t) for t in tables),
        notes=tuple(more),
        generated_at=timezone.now(),
        counted_until=until,
        extra=extra or {},
    )


def case_link(case_id: int | None) -> str | None:
    return reverse("desk:case", args=[case_id]) if case_id else None


def team_names(organization_id: int) -> dict[int, str]:
    return dict(Team.objects.filter(organization_id=organization_id).values_list("pk", "name"))


def people_names(ids: list[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for pk, username, first, last in User.objects.filter(pk__in=ids).values_list(
        "pk", "username", "first_name", "last_name"
    ):
        names[pk] = f"{first} {last}".strip() or username
    return names


def cause_labels(organization_id: int) -> dict[str, str]:
    """Root-cause code → label (the organization's own entry wins over the default)."""
    labels: dict[str, str] = {}
    for code, label, org in (
        RootCause.objects.filter(Q(organization_id=organization_id) | Q(organization__isnull=True))
        .order_by("-organization_id")
        .values_list("code", "label", "organization_id")
    ):
        if org is not None or code not in labels:
            labels[code] = _(label) if org is None else label
    labels[""] = _("Not set")
    return labels


def line(labels: list[str], slots: dict[str, Agg], pick: Any) -> tuple[float | None, ...]:
    """One value per label: ``pick(agg)`` or None where the bucket has no row."""
    return tuple(pick(slots[label]) if label in slots else None for label in labels)


def counts(labels: list[str], slots: dict[str, Agg]) -> tuple[float | None, ...]:
    return tuple(float(slots[label].n) if label in slots else 0.0 for label in labels)


def series(label: str, values: tuple[float | None, ...]) -> Series:
    return Series(label=label, values=values)


def _has_figure(values: Any) -> bool:
    return any(isinstance(v, int | float) and v for v in values)


def _trim_chart(chart: Chart) -> Chart:
    """Without the series that have no figure (all zero or missing)."""
    kept = tuple(s for s in chart.series if _has_figure(s.values))
    return chart if kept == chart.series else replace(chart, series=kept)


def _trim_table(table: Table) -> Table:
    """A table whose figures are all zero or missing has no rows (the report is empty)."""
    if any(_has_figure(row) for row in table.rows):
        return table
    return replace(table, rows=(), row_links=())
