"""Who may see which report (see docs/reports.md, "Pages, access and exports").

The rules follow Zammad (reporting is a permission of admins and of whoever is given it, not of
every agent) and Zendesk Explore (admins and team leads read the team dashboards; agents do
not), narrowed by issue #8's privacy rule "agent-level figures only to the agent, their
supervisor and mentor".  One rule per line, each tested in tests/reports/test_access*.py:

- anonymous, deactivated and organization-less users (platform superusers) see no report;
- nobody sees another organization's figures;
- supervisors and admins of a team see that team's team reports; an admin membership in any
  team makes the user an organization admin: every team of the organization;
- agent-level figures (audience "agent") of a person are seen by that person, by the
  supervisors/admins of a team the person works in, and by the mentors of that team;
- agents and mentors see no team-level aggregate (a team report is a management view);
- well-being figures are opt-in aggregates and only team leads see them, never per person;
- client text (the emerging-problems examples) comes only from teams whose cases the viewer
  may open (``text_team_ids``: the teams the viewer works in, desk/lib/access.py).

A report, team or agent the viewer may not see answers 404, like every object of the desk.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from calmdesk.desk.lib.access import NOT_FOUND_MESSAGE, teams_for
from calmdesk.desk.models import LEAD_ROLES, WORKING_ROLES, Membership, Role, Team, User
from calmdesk.reports.types import ReportDefinition, ReportFilters, ReportScope


def _member(user: Any) -> User | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not user.is_active or user.organization_id is None:
        return None
    assert isinstance(user, User)
    return user


def lead_teams(user: Any) -> QuerySet[Team]:
    """Teams whose aggregate reports the user reads (supervisor or admin; org admins: all)."""
    return teams_for(user, LEAD_ROLES)


def mentor_teams(user: Any) -> QuerySet[Team]:
    return teams_for(user, [Role.MENTOR])


def _ids(qs: QuerySet[Any], field: str = "id") -> tuple[int, ...]:
    return tuple(sorted(set(qs.values_list(field, flat=True))))


def visible_agent_ids(user: Any) -> tuple[int, ...]:
    """People whose individual figures ``user`` may see: themselves, the working members of
    the teams they lead, and the agents of the teams they mentor."""
    member = _member(user)
    if member is None:
        return ()
    led = Membership.objects.filter(
        team__in=lead_teams(member), role__in=list(WORKING_ROLES)
    ).values_list("user_id", flat=True)
    mentored = Membership.objects.filter(
        team__in=mentor_teams(member), role=Role.AGENT
    ).values_list("user_id", flat=True)
    people = User.objects.filter(organization_id=int(member.organization_id or 0)).filter(
        id__in=[*led, *mentored]
    )
    return tuple(sorted({member.id, *people.values_list("id", flat=True)}))


def report_scope(user: Any, organization: Any = None) -> ReportScope | None:
    """Everything ``user`` may see in reports, or None when they may see none.

    ``organization`` (optional) must be the user's own: any other gives None."""
    member = _member(user)
    if member is None:
        return None
    org_id = int(member.organization_id)  # type: ignore[arg-type]
    if organization is not None and getattr(organization, "id", organization) != org_id:
        return None
    team_ids = _ids(lead_teams(member))
    return ReportScope(
        organization_id=org_id,
        team_ids=team_ids,
        agent_ids=visible_agent_ids(member),
        text_team_ids=_ids(teams_for(member, WORKING_ROLES)),
        wellbeing=bool(team_ids),
    )


def scope_for(user: Any, definition: ReportDefinition) -> ReportScope | None:
    """The scope one report is built with (narrowed to its audience), or None: not allowed."""
    scope = report_scope(user)
    if scope is None:
        return None
    if definition.audience == "team":
        if not scope.team_ids:
            return None
        return scope
    if definition.audience == "wellbeing":
        if not scope.wellbeing:
            return None
        # aggregates only: never a person's figures, never client text
        return ReportScope(scope.organization_id, scope.team_ids, wellbeing=True)
    if definition.audience == "agent":
        # everyone signed in has at least their own figures
        return ReportScope(
            scope.organization_id,
            scope.team_ids,
            agent_ids=scope.agent_ids,
            text_team_ids=scope.text_team_ids,
        )
    return None


def may_view(user: Any, definition: ReportDefinition, agent_id: int | None = None) -> bool:
    """May ``user`` open ``definition`` (narrowed to ``agent_id`` when given)?"""
    scope = scope_for(user, definition)
    if scope is None:
        return False
    if agent_id is not None:
        if definition.audience == "wellbeing":
            return False
        return agent_id in scope.agent_ids
    return True


def default_agent(user: Any, definition: ReportDefinition, scope: ReportScope) -> int | None:
    """An agent-level report opened without ``agent``: a viewer who leads no team sees their
    own figures; a lead sees the team's figures (all agents they may see)."""
    if definition.audience == "agent" and not scope.team_ids:
        member = _member(user)
        return member.id if member is not None else None
    return None


def check_filters(
    user: Any, definition: ReportDefinition, filters: ReportFilters
) -> tuple[ReportFilters, ReportScope]:
    """The filters and scope to build with; Http404 when a team, agent or the report itself
    is not the viewer's to see."""
    scope = scope_for(user, definition)
    if scope is None:
        raise Http404(NOT_FOUND_MESSAGE)
    if any(t not in scope.team_ids for t in filters.team_ids):
        raise Http404(NOT_FOUND_MESSAGE)
    if filters.agent_id is not None and not may_view(user, definition, filters.agent_id):
        raise Http404(NOT_FOUND_MESSAGE)
    if filters.agent_id is None:
        agent = default_agent(user, definition, scope)
        if agent is not None:
            filters = replace(filters, agent_id=agent)
    return filters, scope
