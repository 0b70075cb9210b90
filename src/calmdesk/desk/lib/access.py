"""The only way views and the API reach guarded objects.

Rules (each on its own line, Zulip style, so every branch is visibly tested):
- anonymous and deactivated users see nothing;
- nobody sees another organization's data (platform superusers use the Django admin only);
- agents, supervisors and team admins see and work the cases of their teams;
- an ``admin`` membership in any team makes the user an organization admin: all of its cases;
- mentors read only the cases a supervisor shared with them, and never write;
- a client is visible through its owning team, through a visible case, or to every working
  member of the organization when it has no owning team.

Absent and forbidden objects both raise ``Http404`` with the same message.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from calmdesk.desk.lib.errors import ActionError, Forbidden
from calmdesk.desk.models import (
    WORKING_ROLES,
    Attachment,
    Case,
    Client,
    Interaction,
    Membership,
    Organization,
    Role,
    Team,
    User,
)

NOT_FOUND_MESSAGE = "Not found."


def _active_member(user: Any) -> User | None:
    if user is None:
        return None
    if not getattr(user, "is_authenticated", False):
        return None
    if not user.is_active:
        return None
    if user.organization_id is None:
        return None
    assert isinstance(user, User)
    return user


def _org(user: User) -> int:
    org_id = user.organization_id
    assert org_id is not None  # _active_member() guarantees it
    return org_id


def _memberships(user: User, roles: Iterable[str] | None = None) -> QuerySet[Membership]:
    qs = Membership.objects.filter(user=user, team__organization_id=_org(user))
    if roles is not None:
        qs = qs.filter(role__in=list(roles))
    return qs


def is_org_admin(user: Any) -> bool:
    member = _active_member(user)
    if member is None:
        return False
    return _memberships(member, [Role.ADMIN]).exists()


def user_can_admin(user: Any, organization: Organization) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if user.organization_id != organization.id:
        return False
    return is_org_admin(user)


def teams_for(user: Any, roles: Iterable[str] | None = None) -> QuerySet[Team]:
    """Teams the user holds one of ``roles`` in (any role when None); org admins: every team
    of the organization when ``roles`` is None or includes admin."""
    member = _active_member(user)
    if member is None:
        return Team.objects.none()
    role_list = None if roles is None else [str(r) for r in roles]
    if (role_list is None or Role.ADMIN in role_list) and is_org_admin(member):
        return Team.objects.filter(organization_id=_org(member))
    team_ids = _memberships(member, role_list).values("team_id")
    return Team.objects.filter(organization_id=_org(member), id__in=team_ids)


def _working_team_ids(user: User) -> QuerySet[Team]:
    return teams_for(user, WORKING_ROLES)


def cases_writable_by(user: Any) -> QuerySet[Case]:
    member = _active_member(user)
    if member is None:
        return Case.objects.none()
    return Case.objects.filter(organization_id=_org(member), team__in=_working_team_ids(member))


def cases_visible_to(user: Any) -> QuerySet[Case]:
    member = _active_member(user)
    if member is None:
        return Case.objects.none()
    condition = Q(team__in=_working_team_ids(member))
    if _memberships(member, [Role.MENTOR]).exists():
        condition |= Q(id__in=Case.objects.filter(shares__mentor=member).values("id"))
    return Case.objects.filter(condition, organization_id=_org(member))


def access_case_by_id(user: Any, case_id: int, *, for_write: bool = False) -> Case:
    queryset = cases_writable_by(user) if for_write else cases_visible_to(user)
    case = (
        queryset.select_related("client", "team", "assignee", "root_cause")
        .filter(id=case_id)
        .first()
    )
    if case is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return case


def clients_visible_to(user: Any, *, for_write: bool = False) -> QuerySet[Client]:
    member = _active_member(user)
    if member is None:
        return Client.objects.none()
    working = _working_team_ids(member)
    condition = Q(team__in=working) | Q(id__in=cases_writable_by(member).values("client_id"))
    if _memberships(member, WORKING_ROLES).exists() or is_org_admin(member):
        condition |= Q(team__isnull=True)
    if not for_write:
        condition |= Q(id__in=cases_visible_to(member).values("client_id"))
    return Client.objects.filter(condition, organization_id=_org(member))


def access_client_by_id(user: Any, client_id: int, *, for_write: bool = False) -> Client:
    client = clients_visible_to(user, for_write=for_write).filter(id=client_id).first()
    if client is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return client


def access_team_by_id(user: Any, team_id: int, *, for_write: bool = True) -> Team:
    """A team the user works in (``for_write``) or holds any role in."""
    teams = teams_for(user, WORKING_ROLES if for_write else None)
    team = teams.filter(id=team_id).first()
    if team is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return team


def interactions_visible_to(user: Any) -> QuerySet[Interaction]:
    return Interaction.objects.filter(case__in=cases_visible_to(user))


def access_interaction_by_id(
    user: Any, interaction_id: int, *, for_write: bool = False
) -> Interaction:
    cases = cases_writable_by(user) if for_write else cases_visible_to(user)
    interaction = (
        Interaction.objects.filter(id=interaction_id, case__in=cases)
        .select_related("case", "author")
        .first()
    )
    if interaction is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return interaction


def access_attachment_by_id(user: Any, attachment_id: str) -> Attachment:
    if not isinstance(attachment_id, str) or len(attachment_id) > 64:
        raise Http404(NOT_FOUND_MESSAGE)
    attachment = (
        Attachment.objects.filter(id=attachment_id, interaction__case__in=cases_visible_to(user))
        .select_related("interaction")
        .first()
    )
    if attachment is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return attachment


def users_assignable_in(team: Team) -> QuerySet[User]:
    """Active users who work cases of ``team`` (possible assignees)."""
    return User.objects.filter(
        is_active=True,
        organization_id=team.organization_id,
        memberships__team=team,
        memberships__role__in=list(WORKING_ROLES),
    ).distinct()


def single_working_team(user: Any) -> Team:
    """The one team the user works in, for requests that leave the team out."""
    teams = list(teams_for(user, WORKING_ROLES)[:2])
    if not teams:
        raise Forbidden("Only agents, supervisors and admins of a team can do this.")
    if len(teams) > 1:
        raise ActionError(
            "You work in several teams: say which one (team_id).", details={"field": "team_id"}
        )
    return teams[0]


# ---- workflow objects (follow-ups, escalation requests, crisis incidents, check-ins) -------
# Each is reached through its case, so the case rules above decide; a check-in is its owner's
# alone (team leads see only aggregates, never an individual's answers).


def access_followup_by_id(user: Any, followup_id: int, *, for_write: bool = False) -> Any:
    from calmdesk.desk.models import FollowUp

    cases = cases_writable_by(user) if for_write else cases_visible_to(user)
    followup = (
        FollowUp.objects.filter(id=followup_id, case__in=cases).select_related("case").first()
    )
    if followup is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return followup


def access_escalation_by_id(user: Any, request_id: int, *, for_write: bool = False) -> Any:
    from calmdesk.desk.models import EscalationRequest

    cases = cases_writable_by(user) if for_write else cases_visible_to(user)
    request = (
        EscalationRequest.objects.filter(id=request_id, case__in=cases)
        .select_related("case", "requested_by")
        .first()
    )
    if request is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return request


def access_incident_by_id(user: Any, incident_id: int, *, for_write: bool = False) -> Any:
    from calmdesk.desk.models import CrisisIncident

    cases = cases_writable_by(user) if for_write else cases_visible_to(user)
    incident = (
        CrisisIncident.objects.filter(id=incident_id, case__in=cases).select_related("case").first()
    )
    if incident is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return incident


def access_checkin_by_id(user: Any, checkin_id: int) -> Any:
    from calmdesk.desk.models import WellbeingCheckIn

    member = _active_member(user)
    checkin = (
        WellbeingCheckIn.objects.filter(id=checkin_id, user=member).first()
        if member is not None
        else None
    )
    if checkin is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return checkin
