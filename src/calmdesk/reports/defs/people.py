"""Reports on how the team works: promises, satisfaction, coaching, training, well-being."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from calmdesk.reports.defs._common import (
    case_link,
    counts,
    line,
    people_names,
    result,
    series,
    team_names,
)
from calmdesk.reports.query import (
    Agg,
    agent_allowed,
    base,
    filtered,
    grouped,
    hours,
    ratio,
    rollup_rows,
    series_by_bucket,
    sum_of,
    total,
    visible_teams,
)
from calmdesk.reports.types import (
    Cell,
    Chart,
    Column,
    ReportFilters,
    ReportResult,
    ReportScope,
    Table,
)

MIN_PEOPLE = 5  # well-being figures of fewer people are not shown
COMMENTS = 20
EMPTY = Agg(0, 0.0, None)


def _outcome_names() -> dict[str, str]:
    return {
        "kept": _("Kept on time"),
        "kept_late": _("Kept late"),
        "missed": _("Missed"),
        "overdue": _("Overdue, still open"),
        "open": _("Open, not due yet"),
        "cancelled": _("Cancelled"),
    }


def build_promises(filters: ReportFilters, scope: ReportScope) -> ReportResult:
    names = _outcome_names()
    rows = grouped(base("promises", filters, scope), "day", "key")
    labels, by_key = series_by_bucket(rows, filters)
    order = [k for k in names if k in by_key]
    chart = Chart(
        key="promises",
        title=_("Promises made"),
        kind="stacked-bar",
        labels=tuple(labels),
        series=tuple(series(names[k], counts(labels, by_key[k])) for k in order),
        unit=_("promises"),
    )
    totals = grouped(base("promises", filters, scope), "key")
    made = sum(a.n for a in totals.values())
    table = Table(
        key="promises",
        title=_("Outcomes"),
        columns=(
            Column("outcome", _("Outcome")),
            Column("promises", _("Promises"), "int"),
            Column("share", _("Share"), "percent"),
        ),
        rows=tuple(
            (names[k], totals.get((k,), EMPTY).n, ratio(totals.get((k,), EMPTY).n, made))
            for k in names
        ),
    )
    late = totals.get(("kept_late",), EMPTY)
    notes: tuple[str, ...] = (_("Promises are counted on the day they were made."),)
    if late.n:
        notes += (
            _("Late promises were kept %(hours)s hours after the due time on average.")
            % {"hours": hours(late.mean)},
        )
    return result(
        "promises", _("Promises"), filters, scope, charts=(chart,), tables=(table,), notes=notes
    )


def build_satisfaction(filters: ReportFilters, scope: ReportScope) -> ReportResult:
    rows = grouped(base(("csat.rating", "csat.sent"), filters, scope), "day", "stat")
    labels, by_stat = series_by_bucket(rows, filters)
    ratings = by_stat.get("csat.rating", {})
    chart = Chart(
        key="csat",
        title=_("Average rating (1-5)"),
        kind="line",
        labels=tuple(labels),
        series=(series(_("Average rating"), line(labels, ratings, lambda a: _r(a.mean))),),
    )
    dist = grouped(base("csat.rating", filters, scope), "key")
    doughnut = Chart(
        key="csat-distribution",
        title=_("Ratings"),
        kind="doughnut",
        labels=("1", "2", "3", "4", "5"),
        series=(series(_("Answers"), tuple(float(dist.get((k,), EMPTY).n) for k in "12345")),),
    )
    sent, answered = sum_of(rows, "csat.sent"), sum_of(rows, "csat.rating")
    comments = total(base("csat.comment", filters, scope))
    happy = sum(dist.get((k,), EMPTY).n for k in "45")
    summary = Table(
        key="csat",
        title=_("Summary"),
        columns=(Column("figure", _("Figure")), Column("value", _("Value"), "float")),
        rows=(
            (_("Satisfaction checks sent"), sent.n),
            (_("Answers"), answered.n),
            (_("Answer rate (%)"), ratio(answered.n, sent.n)),
            (_("Average rating (1-5)"), _r(answered.mean)),
            (_("Satisfied (4-5) (%)"), ratio(happy, answered.n)),
            (_("Answers with a comment"), comments.n),
        ),
    )
    return result(
        "satisfaction",
        _("Client satisfaction"),
        filters,
        scope,
        charts=(chart, doughnut),
        tables=(summary, _comments(filters, scope)),
    )


def _r(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def _comments(filters: ReportFilters, scope: ReportScope) -> Table:
    """The latest comments, only of teams whose client text the viewer may read."""
    from calmdesk.desk.models import Organization, SatisfactionSurvey
    from calmdesk.reports.counts import local_midnight
    from calmdesk.reports.fill import org_tz

    teams = [t for t in visible_teams(filters, scope) if t in scope.text_team_ids]
    tz = org_tz(Organization.objects.get(pk=scope.organization_id))
    qs = (
        SatisfactionSurvey.objects.filter(
            organization_id=scope.organization_id,
            case__team_id__in=teams,
            answered_at__gte=local_midnight(filters.date_from, tz),
            answered_at__lt=local_midnight(filters.date_to, tz) + dt.timedelta(days=1),
        )
        .exclude(comment="")
        .order_by("-answered_at")
    )
    if filters.channel:
        qs = qs.filter(case__channel=filters.channel)
    if filters.language:
        qs = qs.filter(language__startswith=filters.language)
    if filters.agent_id is not None:
        qs = qs.filter(case__assignee_id=filters.agent_id)
        if filters.agent_id not in scope.agent_ids:
            qs = qs.none()
    fetched = qs.values_list("case_id", "answered_at", "rating", "comment", "case__tags")
    picked = [
        (case, at, rating, comment)
        for case, at, rating, comment, tags in fetched[: COMMENTS * 20]
        if at is not None and (not filters.tag or (isinstance(tags, list) and filters.tag in tags))
    ][:COMMENTS]
    return Table(
        key="comments",
        title=_("Latest comments"),
        columns=(
            Column("date", _("Date"), "date"),
            Column("rating", _("Rating"), "int"),
            Column("comment", _("Comment")),
            Column("case", _("Case"), "link"),
        ),
        rows=tuple(
            (at.astimezone(tz).date().isoformat(), rating, comment[:500], f"#{case}")
            for case, at, rating, comment in picked
        ),
        row_links=tuple(case_link(case) for case, *_rest in picked),
    )


def build_coaching(filters: ReportFilters, scope: ReportScope) -> ReportResult:
    """Team aggregates per rule family (one agent's figures when the filters name one),
    and a trend per agent the viewer may see."""
    # one agent: that agent's rows in any team of theirs (an agent viewer leads no team)
    mine = filters.agent_id is not None
    findings = grouped(base("coach.findings", filters, scope, per_agent=mine), "key")
    accepted = grouped(base("coach.accepted", filters, scope, per_agent=mine), "key")
    dismissed = grouped(base("coach.dismissed", filters, scope, per_agent=mine), "key")
    replies = total(base("coach.replies", filters, scope, per_agent=mine))
    families = sorted(
        set(findings) | set(accepted) | set(dismissed),
        key=lambda k: (-findings.get(k, EMPTY).n, k[0]),
    )
    chart = Chart(
        key="findings-per-family",
        title=_("Findings per rule family"),
        kind="bar",
        labels=tuple(k[0] for k in families),
        series=(
            series(_("In sent replies"), tuple(float(findings.get(k, EMPTY).n) for k in families)),
            series(
                _("Suggestion accepted"), tuple(float(accepted.get(k, EMPTY).n) for k in families)
            ),
            series(_("Dismissed"), tuple(float(dismissed.get(k, EMPTY).n) for k in families)),
        ),
    )
    table = Table(
        key="families",
        title=_("Rule families"),
        columns=(
            Column("family", _("Rule family")),
            Column("found", _("Findings in sent replies"), "int"),
            Column("dismissed", _("Dismissed by the agent"), "int"),
            Column("accepted", _("Suggestions accepted by the agent"), "int"),
        ),
        rows=tuple(
            (
                k[0],
                findings.get(k, EMPTY).n,
                dismissed.get(k, EMPTY).n,
                accepted.get(k, EMPTY).n,
            )
            for k in families
        ),
    )
    if filtered(filters) or not agent_allowed(filters, scope):
        per_agent = grouped(
            base("coach.replies", filters, scope, per_agent=True), "day", "agent_id"
        )
    else:  # the per-agent roll-up (key = the agent's id), only agents of the scope
        rows = rollup_rows("coach.by_agent", filters, scope.organization_id).filter(
            key__in=[str(a) for a in scope.agent_ids]
        )
        if filters.team_ids:
            rows = rows.filter(team_id__in=visible_teams(filters, scope))
        per_agent = {(d, int(k)): a for (d, k), a in grouped(rows, "day", "key").items()}
    labels, by_agent = series_by_bucket(per_agent, filters)
    names = people_names(sorted(by_agent))
    trend = Chart(
        key="agent-trend",
        title=_("Replies with a finding, per agent (%)"),
        kind="line",
        labels=tuple(labels),
        series=tuple(
            series(names.get(a, str(a)), line(labels, by_agent[a], lambda g: ratio(g.value, g.n)))
            for a in sorted(by_agent, key=lambda a: names.get(a, ""))
        ),
        unit="%",
    )
    summary = Table(
        key="coaching",
        title=_("Summary"),
        columns=(Column("figure", _("Figure")), Column("value", _("Value"), "float")),
        rows=(
            (_("Replies sent"), replies.n),
            (_("Replies with a finding (%)"), ratio(replies.value, replies.n)),
            (_("Suggestions accepted"), sum(a.n for a in accepted.values())),
            (_("Findings dismissed"), sum(a.n for a in dismissed.values())),
        ),
    )
    return result(
        "coaching",
        _("Coaching"),
        filters,
        scope,
        charts=(chart, trend),
        tables=(summary, table),
        notes=(
            _(
                "A suggestion counts as accepted when the agent applied it in the composer "
                "and sent the reply."
            ),
        ),
    )


def build_training(filters: ReportFilters, scope: ReportScope) -> ReportResult:
    from calmdesk.analysis import PRINCIPLES

    per = grouped(base("training.principle", filters, scope), "key")
    keys = sorted(per, key=lambda k: int(k[0]) if k[0].isdigit() else 99)
    sessions = grouped(base("training.sessions", filters, scope), "day", "stat")
    labels, by_stat = series_by_bucket(sessions, filters)
    done = by_stat.get("training.sessions", {})
    names = {str(n): f"{n}. {slug}" for n, slug in PRINCIPLES.items()}
    chart = Chart(
        key="score-per-principle",
        title=_("Average score per principle"),
        kind="bar",
        labels=tuple(names.get(k[0], k[0]) for k in keys),
        series=(series(_("Average score"), tuple(_r(per[k].mean) for k in keys)),),
    )
    trend = Chart(
        key="sessions",
        title=_("Practice sessions finished"),
        kind="line",
        labels=tuple(labels),
        series=(
            series(_("Sessions"), counts(labels, done)),
            series(_("Average overall score"), line(labels, done, lambda a: _r(a.mean))),
        ),
    )
    table = Table(
        key="principles",
        title=_("Principles"),
        columns=(
            Column("principle", _("Principle")),
            Column("sessions", _("Sessions"), "int"),
            Column("score", _("Average score"), "float"),
        ),
        rows=tuple((names.get(k[0], k[0]), per[k].n, _r(per[k].mean)) for k in keys),
    )
    return result(
        "training", _("Training progress"), filters, scope, charts=(chart, trend), tables=(table,)
    )


def build_wellbeing(filters: ReportFilters, scope: ReportScope) -> ReportResult:
    """Opt-in aggregates per team; a team with fewer than MIN_PEOPLE people is not shown."""
    notes = (
        _("Only check-ins of agents who chose to be counted in team figures."),
        _("Groups of fewer than %(n)s people are not shown.") % {"n": MIN_PEOPLE},
    )
    if not scope.wellbeing:
        return result("wellbeing", _("Team well-being"), filters, scope, notes=notes)
    stats = ("wellbeing.checkin", "wellbeing.feeling", "wellbeing.break")
    unfiltered = ReportFilters(
        date_from=filters.date_from, date_to=filters.date_to, team_ids=filters.team_ids
    )
    qs = base(stats, unfiltered, scope, detail=True)  # per person: to count people
    people: dict[int, set[int]] = {}
    for team, agent in qs.order_by().values_list("team_id", "agent_id").distinct():
        people.setdefault(team, set()).add(agent)
    shown = [t for t, p in people.items() if len(p) >= MIN_PEOPLE]
    teams = team_names(scope.organization_id)
    per = grouped(qs.filter(team_id__in=shown), "team_id", "stat")
    reasons = grouped(qs.filter(team_id__in=shown, stat="wellbeing.checkin"), "key")
    rows: list[tuple[Cell, ...]] = []
    for team in sorted(shown, key=lambda t: teams.get(t, "")):
        feeling = per.get((team, "wellbeing.feeling"), EMPTY)
        brk = per.get((team, "wellbeing.break"), EMPTY)
        rows.append(
            (
                teams.get(team, "?"),
                len(people[team]),
                per.get((team, "wellbeing.checkin"), EMPTY).n,
                _r(feeling.mean),
                _r(brk.mean),
            )
        )
    table = Table(
        key="wellbeing",
        title=_("Per team"),
        columns=(
            Column("team", _("Team")),
            Column("people", _("People"), "int"),
            Column("checkins", _("Check-ins"), "int"),
            Column("feeling", _("Average feeling (1-5)"), "float"),
            Column("break", _("Average break (min)"), "float"),
        ),
        rows=tuple(rows),
    )
    reason_names = {
        "crisis": _("crisis message"),
        "abuse": _("abusive message"),
        "intense": _("very intense conversation"),
        "self": _("asked for it"),
    }
    chart = Chart(
        key="reasons",
        title=_("Why a check-in was offered"),
        kind="doughnut",
        labels=tuple(reason_names.get(k[0], k[0]) for k in sorted(reasons)),
        series=(series(_("Check-ins"), tuple(float(reasons[k].n) for k in sorted(reasons))),),
    )
    return result(
        "wellbeing",
        _("Team well-being"),
        filters,
        scope,
        charts=(chart,) if rows else (),
        tables=(table,),
        notes=notes,
    )
