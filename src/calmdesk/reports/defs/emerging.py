"""The emerging-problems report: reads the stored clusters (calmdesk.reports.clustering)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from calmdesk.desk.models import Interaction
from calmdesk.reports.defs._common import case_link, result, series
from calmdesk.reports.models import EmergingCluster
from calmdesk.reports.query import agent_allowed, visible_teams
from calmdesk.reports.types import (
    Cell,
    Chart,
    Column,
    ReportFilters,
    ReportResult,
    ReportScope,
    Table,
)

SHOWN = 20
EXAMPLE_CHARS = 240


def build_emerging(filters: ReportFilters, scope: ReportScope) -> ReportResult:
    """Clusters of the latest run, counted only over the visible teams; example messages only
    from teams whose client text the viewer may read.  The window is the clustering's (the
    last two weeks), not the period filter."""
    teams = {str(t) for t in visible_teams(filters, scope)}
    readable = {t for t in scope.text_team_ids if str(t) in teams}
    qs = EmergingCluster.objects.filter(organization_id=scope.organization_id)
    if filters.language:
        qs = qs.filter(language=filters.language)
    picked: list[tuple[EmergingCluster, int, int]] = []
    if agent_allowed(filters, scope) and filters.agent_id is None:
        for cluster in qs.order_by("pk"):
            counts = cluster.team_counts if isinstance(cluster.team_counts, dict) else {}
            now = sum(int(v[0]) for t, v in counts.items() if t in teams)
            before = sum(int(v[1]) for t, v in counts.items() if t in teams)
            if now >= 1:
                picked.append((cluster, now, before))
    picked.sort(key=lambda p: (p[2] != 0, -(p[1] - p[2]), p[0].pk))
    picked = picked[:SHOWN]
    wanted = {
        int(ex[0])
        for cluster, _n, _b in picked
        for ex in (cluster.examples or [])
        if int(ex[1]) in readable
    }
    texts = {
        pk: (case, text)
        for pk, case, text in Interaction.objects.filter(pk__in=wanted).values_list(
            "pk", "case_id", "text"
        )
    }
    rows: list[tuple[Cell, ...]] = []
    links: list[str | None] = []
    for cluster, now, before in picked:
        example = next(
            (texts[int(ex[0])] for ex in cluster.examples or [] if int(ex[0]) in texts), None
        )
        status = _("new") if before == 0 else (_("growing") if now >= 2 * before else "")
        rows.append(
            (
                cluster.language,
                ", ".join(cluster.terms[:5]),
                now,
                before,
                status,
                " ".join(example[1].split())[:EXAMPLE_CHARS] if example else None,
            )
        )
        links.append(case_link(example[0]) if example else None)
    table = Table(
        key="clusters",
        title=_("Groups of similar complaints"),
        columns=(
            Column("language", _("Language")),
            Column("terms", _("Top words")),
            Column("now", _("Messages, last two weeks"), "int"),
            Column("before", _("Messages, two weeks before"), "int"),
            Column("status", _("Status")),
            Column("example", _("Example message")),
        ),
        rows=tuple(rows),
        row_links=tuple(links),
    )
    chart = Chart(
        key="clusters",
        title=_("Groups of similar complaints"),
        kind="bar",
        labels=tuple(", ".join(c.terms[:3]) for c, _n, _b in picked[:10]),
        series=(
            series(_("Last two weeks"), tuple(float(n) for _c, n, _b in picked[:10])),
            series(_("Two weeks before"), tuple(float(b) for _c, _n, b in picked[:10])),
        ),
    )
    first = qs.order_by("-computed_at").values_list("date_from", "date_to").first()
    notes = [_("Example messages are shown only from teams whose cases you may read.")]
    if first is not None:
        notes.append(
            _("Complaints from %(from)s to %(to)s, compared with the two weeks before.")
            % {"from": first[0].isoformat(), "to": first[1].isoformat()}
        )
    return result(
        "emerging-problems",
        _("Emerging problems"),
        filters,
        scope,
        charts=(chart,) if picked else (),
        tables=(table,),
        notes=tuple(notes),
    )
