"""Who may see and do what in training.  Absent and forbidden objects both raise Http404.

- a trainee sees only their own practice sessions;
- a mentor also sees the sessions of their mentees: the users of the teams where the mentor
  holds the mentor role (same organization, active, never the mentor themself);
- supervisors and admins of a team make and publish scenario drafts for that team;
- nobody sees another organization's data; anonymous and deactivated users see nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from calmdesk.desk.lib.access import NOT_FOUND_MESSAGE, teams_for
from calmdesk.desk.models import LEAD_ROLES, Membership, Role, Team, User
from calmdesk.training.models import PracticeSession, ScenarioDraft


def _member(user: Any) -> User | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.organization_id is None:
        return None
    assert isinstance(user, User)
    return user


def org_id(user: User) -> int:
    """The user's organization; a user of none (platform superuser) reaches nothing here."""
    value = user.organization_id
    if value is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return int(value)


def mentor_teams(user: Any) -> QuerySet[Team]:
    member = _member(user)
    if member is None:
        return Team.objects.none()
    ids = Membership.objects.filter(
        user=member, role=Role.MENTOR, team__organization_id=org_id(member)
    ).values("team_id")
    return Team.objects.filter(id__in=ids, organization_id=org_id(member))


def mentees_of(user: Any) -> QuerySet[User]:
    """Active users of the teams where ``user`` is a mentor (not the mentor themself)."""
    member = _member(user)
    if member is None:
        return User.objects.none()
    ids = Membership.objects.filter(team__in=mentor_teams(member)).values("user_id")
    return (
        User.objects.filter(id__in=ids, organization_id=org_id(member), is_active=True)
        .exclude(id=member.id)
        .order_by("username")
    )


def is_mentor(user: Any) -> bool:
    return mentor_teams(user).exists()


def sessions_visible_to(user: Any) -> QuerySet[PracticeSession]:
    member = _member(user)
    if member is None:
        return PracticeSession.objects.none()
    condition = Q(trainee=member) | Q(trainee__in=mentees_of(member))
    return PracticeSession.objects.filter(condition, organization_id=org_id(member))


def access_session_by_id(user: Any, session_id: int, *, own: bool = False) -> PracticeSession:
    """A session the user may read; ``own``: only the trainee's own (to practise in it)."""
    member = _member(user)
    qs = sessions_visible_to(member)
    if own and member is not None:
        qs = qs.filter(trainee=member)
    session = qs.select_related("trainee").filter(pk=session_id).first()
    if session is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return session


def can_mentor(user: Any, session: PracticeSession) -> bool:
    """Comment and override: the user mentors the session's trainee."""
    return mentees_of(user).filter(id=session.trainee_id).exists()


def lead_teams(user: Any) -> QuerySet[Team]:
    """Teams whose scenario drafts the user makes and publishes (supervisors, admins)."""
    return teams_for(user, LEAD_ROLES)


def drafts_visible_to(user: Any) -> QuerySet[ScenarioDraft]:
    member = _member(user)
    if member is None:
        return ScenarioDraft.objects.none()
    return ScenarioDraft.objects.filter(organization_id=org_id(member), team__in=lead_teams(member))


def access_draft_by_id(user: Any, draft_id: int) -> ScenarioDraft:
    draft = drafts_visible_to(user).select_related("team").filter(pk=draft_id).first()
    if draft is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return draft


def published_drafts_for(user: Any) -> QuerySet[ScenarioDraft]:
    """Published drafts of the teams the user belongs to (any role)."""
    member = _member(user)
    if member is None:
        return ScenarioDraft.objects.none()
    return ScenarioDraft.objects.filter(
        organization_id=org_id(member),
        team__in=teams_for(member),
        status=ScenarioDraft.Status.PUBLISHED,
    )
