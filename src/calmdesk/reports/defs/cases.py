"""Reports on cases: conflicts by root cause, hot spots, escalations, transfers, times.

Case figures count the cases *opened* in the period (a case resolved later still counts on
the day it was opened, with its final state)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from calmdesk.reports.defs._common import (
    case_link,
    cause_labels,
    counts,
    line,
    result,
    series,
    team_names,
)
from calmdesk.reports.query import (
    Agg,
    base,
    filtered,
    grouped,
    hours,
    ratio,
    rollup_rows,
    series_by_bucket,
    sum_of,
    totals,
    visible_teams,
)
from calmdesk.reports.types import Chart, Column, ReportFilters, ReportResult, ReportScope, Table

EMPTY = Agg(0, 0.0, None)
TOP_CAUSES = 8
TOP_SPOTS = 25


def build_root_causes(filters: ReportFilters, scope: ReportScope) -> ReportResult:
    names = cause_labels(scope.organization_id)
    conflicts = grouped(base("cases.conflict", filters, scope), "day", "key")
    labels, by_cause = series_by_bucket(conflicts, filters)
    opened = grouped(base("cases.opened", filters, scope), "key")
    sums = {k: sum(a.n for a in v.values()) for k, v in by_cause.items()}
    ranked = sorted(sums, key=lambda k: (-sums[k], k))
    chart = Chart(
        key="conflicts-by-root-cause",
        title=_("Conflicts by root cause"),
        kind="stacked-bar",
        labels=tuple(labels),
        series=tuple(
            series(names.get(k, k), counts(labels, by_cause[k])) for k in ranked[:TOP_CAUSES]
        ),
        unit=_("cases"),
    )
    keys = sorted(set(sums) | {k[0] for k in opened}, key=lambda k: (-sums.get(k, 0), k))
    rows = tuple(
        (
            names.get(k, k),
            sums.get(k, 0),
            opened.get((k,), Agg(0, 0, None)).n,
            ratio(sums.get(k, 0), opened.get((k,), Agg(0, 0, None)).n),
        )
        for k in keys
    )
    table = Table(
        key="root-causes",
        title=_("Root causes"),
        columns=(
            Column("cause", _("Root cause")),
            Column("conflicts", _("Conflicts"), "int"),
            Column("opened", _("Cases opened"), "int"),
            Column("share", _("Conflict share"), "percent"),
        ),
        rows=rows,
    )
    return result(
        "root-causes",
        _("Conflicts by root cause"),
        filters,
        scope,
        charts=(chart,),
        tables=(table,),
    )


def build_hot_spots(filters: ReportFilters, scope: ReportScope) -> ReportResult:
    names = cause_labels(scope.organization_id)
    spots: list[tuple[str, str, str, Agg]] = []
    if filtered(filters):  # the detailed rows carry every dimension
        by_tag = grouped(base("cases.conflict", filters, scope, any_tag=True), "key", "tag")
        by_channel = grouped(base("cases.conflict", filters, scope, detail=True), "key", "channel")
    else:  # the roll-ups made for this report (key = "cause|tag", "cause|channel")
        teams = visible_teams(filters, scope)
        by_tag, by_channel = {}, {}
        for stat, into in (("spots.tag", by_tag), ("spots.channel", by_channel)):
            rows = rollup_rows(stat, filters, scope.organization_id).filter(team_id__in=teams)
            for (key,), agg in grouped(rows, "key").items():
                cause, _sep, where = str(key).partition("|")
                into[(cause, where)] = agg
    for (cause, tag), agg in by_tag.items():
        spots.append((cause, _("tag"), tag, agg))
    for (cause, channel), agg in by_channel.items():
        spots.append((cause, _("channel"), channel, agg))
    spots.sort(key=lambda s: (-s[3].n, s[0], s[2]))
    spots = spots[:TOP_SPOTS]
    table = Table(
        key="hot-spots",
        title=_("Hot spots"),
        columns=(
            Column("cause", _("Root cause")),
            Column("dimension", _("Where")),
            Column("value", _("Tag or channel")),
            Column("conflicts", _("Conflicts"), "int"),
            Column("example", _("Example case"), "link"),
        ),
        rows=tuple(
            (names.get(c, c), dim, val, agg.n, f"#{agg.example}" if agg.example else None)
            for c, dim, val, agg in spots
        ),
        row_links=tuple(case_link(agg.example) for *_rest, agg in spots),
    )
    top = spots[:10]
    chart = Chart(
        key="hot-spots",
        title=_("Hot spots"),
        kind="bar",
        labels=tuple(f"{names.get(c, c)} · {val}" for c, _d, val, _a in top),
        series=(series(_("Conflicts"), tuple(float(a.n) for *_rest, a in top)),),
        unit=_("cases"),
    )
    return result(
        "hot-spots",
        _("Hot spots"),
        filters,
        scope,
        charts=(chart,),
        tables=(table,),
        notes=(_("Example cases open only for people who may see them."),),
    )


def build_escalations(filters: ReportFilters, scope: ReportScope) -> ReportResult:
    stats = ("cases.opened", "cases.escalated", "cases.deescalated")
    rows = grouped(base(stats, filters, scope), "day", "stat")
    labels, by_stat = series_by_bucket(rows, filters)
    opened = by_stat.get("cases.opened", {})
    escalated = by_stat.get("cases.escalated", {})
    calmed = by_stat.get("cases.deescalated", {})

    def rate(part: dict[str, Agg]) -> tuple[float | None, ...]:
        return tuple(
            ratio(part[lb].n if lb in part else 0, opened[lb].n) if lb in opened else None
            for lb in labels
        )

    chart = Chart(
        key="escalation-rate",
        title=_("Escalation rate"),
        kind="line",
        labels=tuple(labels),
        series=(
            series(_("Escalated cases"), rate(escalated)),
            series(_("Calmed down again"), rate(calmed)),
        ),
        unit="%",
    )
    emotion = totals(base(("cases.upset_first", "cases.upset_last"), filters, scope))
    msgs = grouped(base("msgs.client", filters, scope), "key")
    all_msgs = sum(a.n for a in msgs.values())
    high = sum(a.n for k, a in msgs.items() if k[0] in ("2", "3"))
    t = {s: sum_of(rows, s) for s in stats}
    time_chart = Chart(
        key="time-to-calm",
        title=_("Time to calm down (hours)"),
        kind="line",
        labels=tuple(labels),
        series=(series(_("Average"), line(labels, calmed, lambda a: hours(a.mean))),),
        unit="h",
    )
    table = Table(
        key="escalations",
        title=_("Summary"),
        columns=(Column("figure", _("Figure")), Column("value", _("Value"), "float")),
        rows=(
            (_("Cases opened"), t["cases.opened"].n),
            (_("Escalated cases"), t["cases.escalated"].n),
            (_("Escalation rate (%)"), ratio(t["cases.escalated"].n, t["cases.opened"].n)),
            (_("Calmed down again"), t["cases.deescalated"].n),
            (_("Average time to calm down (hours)"), hours(t["cases.deescalated"].mean)),
            (
                _("Upset at the first client message (0-1)"),
                _round(emotion.get("cases.upset_first", EMPTY).mean),
            ),
            (
                _("Upset at the last client message (0-1)"),
                _round(emotion.get("cases.upset_last", EMPTY).mean),
            ),
            (_("Client messages at high or critical level (%)"), ratio(high, all_msgs)),
        ),
    )
    return result(
        "escalations", _("Escalations"), filters, scope, charts=(chart, time_chart), tables=(table,)
    )


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def build_transfers(filters: ReportFilters, scope: ReportScope) -> ReportResult:
    rows = grouped(base(("cases.opened", "cases.transferred"), filters, scope), "day", "stat")
    labels, by_stat = series_by_bucket(rows, filters)
    opened = by_stat.get("cases.opened", {})
    moved = by_stat.get("cases.transferred", {})
    chart = Chart(
        key="transfers-per-case",
        title=_("Transfers per case"),
        kind="bar",
        labels=tuple(labels),
        series=(
            series(
                _("Transfers per case"),
                tuple(
                    round((moved[lb].value if lb in moved else 0.0) / opened[lb].n, 3)
                    if lb in opened and opened[lb].n
                    else None
                    for lb in labels
                ),
            ),
        ),
    )
    teams = team_names(scope.organization_id)
    chains = grouped(base("cases.ping_pong", filters, scope), "key")
    ordered = sorted(chains.items(), key=lambda kv: (-kv[1].n, kv[0]))[:TOP_SPOTS]
    table = Table(
        key="ping-pong",
        title=_("Cases passed back (ping-pong chains)"),
        columns=(
            Column("chain", _("Chain of teams")),
            Column("cases", _("Cases"), "int"),
            Column("returns", _("Times passed back"), "int"),
            Column("example", _("Example case"), "link"),
        ),
        rows=tuple(
            (
                " → ".join(teams.get(int(t), "?") for t in key[0].split(">") if t),
                agg.n,
                int(agg.value),
                f"#{agg.example}" if agg.example else None,
            )
            for key, agg in ordered
        ),
        row_links=tuple(case_link(agg.example) for _k, agg in ordered),
    )
    t_opened, t_moved = sum_of(rows, "cases.opened"), sum_of(rows, "cases.transferred")
    summary = Table(
        key="transfers",
        title=_("Summary"),
        columns=(Column("figure", _("Figure")), Column("value", _("Value"), "float")),
        rows=(
            (_("Cases opened"), t_opened.n),
            (_("Cases transferred"), t_moved.n),
            (_("Transfers"), int(t_moved.value)),
            (_("Transfers per case"), round(t_moved.value / t_opened.n, 3) if t_opened.n else None),
            (_("Cases passed back"), sum(a.n for a in chains.values())),
        ),
    )
    return result(
        "transfers", _("Transfers"), filters, scope, charts=(chart,), tables=(summary, table)
    )


def build_response_times(filters: ReportFilters, scope: ReportScope) -> ReportResult:
    stats = ("cases.opened", "cases.first_response", "cases.resolved")
    rows = grouped(base(stats, filters, scope), "day", "stat")
    labels, by_stat = series_by_bucket(rows, filters)
    chart = Chart(
        key="times",
        title=_("Average times (hours)"),
        kind="line",
        labels=tuple(labels),
        series=(
            series(
                _("First reply"),
                line(labels, by_stat.get("cases.first_response", {}), lambda a: hours(a.mean)),
            ),
            series(
                _("Resolution"),
                line(labels, by_stat.get("cases.resolved", {}), lambda a: hours(a.mean)),
            ),
        ),
        unit="h",
    )
    teams = team_names(scope.organization_id)
    per_team = grouped(base(stats, filters, scope), "team_id", "stat")
    team_ids = sorted({k[0] for k in per_team}, key=lambda t: teams.get(t, ""))
    empty = Agg(0, 0.0, None)
    table = Table(
        key="times-per-team",
        title=_("Per team"),
        columns=(
            Column("team", _("Team")),
            Column("opened", _("Cases opened"), "int"),
            Column("answered", _("Answered"), "int"),
            Column("first", _("Average first reply (hours)"), "float"),
            Column("resolved", _("Resolved"), "int"),
            Column("resolution", _("Average resolution (hours)"), "float"),
        ),
        rows=tuple(
            (
                teams.get(t, "?"),
                per_team.get((t, "cases.opened"), empty).n,
                per_team.get((t, "cases.first_response"), empty).n,
                hours(per_team.get((t, "cases.first_response"), empty).mean),
                per_team.get((t, "cases.resolved"), empty).n,
                hours(per_team.get((t, "cases.resolved"), empty).mean),
            )
            for t in team_ids
        ),
    )
    return result(
        "response-times",
        _("Response and resolution times"),
        filters,
        scope,
        charts=(chart,),
        tables=(table,),
        notes=(_("Counted for the cases opened in the period."),),
    )
