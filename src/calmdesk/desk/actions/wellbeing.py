"""The well-being loop.  An agent's answers are theirs: nobody else reads them.  Team leads
see only aggregates over the agents who opted in, and only when at least
``MIN_GROUP`` people are in the group (so no figure points at one person)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from calmdesk.desk.actions.log import write_audit
from calmdesk.desk.actions.notifications import notify
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.lib.text import clean_text
from calmdesk.desk.models import (
    Case,
    CheckInReason,
    Membership,
    NotificationKind,
    Team,
    User,
    WellbeingCheckIn,
)

MIN_GROUP = 3
BREAK_TEXT = {
    "crisis": "That was a hard message. Take a short break and a three-question debrief.",
    "abuse": "You handled an abusive message. Take a short break before the next one.",
    "intense": "A very intense conversation. A short break helps.",
    "self": "Break started.",
}


def offer_checkin(user: User, case: Case | None, reason: str) -> WellbeingCheckIn:
    """Offer a break and a debrief (once per user, case and reason)."""
    org_id = user.organization_id
    assert org_id is not None, "platform superusers have no well-being loop"
    checkin, created = WellbeingCheckIn.objects.get_or_create(
        user=user,
        case=case,
        reason=reason,
        defaults={"organization_id": org_id},
    )
    if created:
        notify(
            user,
            kind=NotificationKind.WELLBEING,
            key=f"wellbeing:{checkin.pk}",
            text=BREAK_TEXT.get(reason, BREAK_TEXT["intense"]),
            case=case,
            data={"checkin": checkin.pk},
        )
    return checkin


def open_checkin(user: User, case: Case) -> WellbeingCheckIn | None:
    """The user's latest unanswered check-in on this case, if any."""
    return (
        WellbeingCheckIn.objects.filter(user=user, case=case, completed_at__isnull=True)
        .order_by("-offered_at", "-id")
        .first()
    )


def offer_after_message(case: Case, reason: str) -> WellbeingCheckIn | None:
    """After an abusive or very intense client message: offer the case's assignee a break
    (a helper inside the receiving action's transaction: no audit entry of its own).
    Nobody when the case is unassigned; at most one open offer per user and case."""
    user = case.assignee
    if user is None or not user.is_active or user.organization_id is None:
        return None
    if open_checkin(user, case) is not None:
        return None
    if WellbeingCheckIn.objects.filter(user=user, case=case, reason=reason).exists():
        return None  # already offered (and answered) for this reason on this case
    return offer_checkin(user, case, reason)


@transaction.atomic
def do_offer_checkin(
    actor: User,
    *,
    case: Case | None = None,
    reason: str = CheckInReason.SELF,
    meta: RequestMeta | None = None,
) -> WellbeingCheckIn:
    if reason not in CheckInReason.values:
        raise ActionError(f"Unknown reason {reason!r}.", details={"field": "reason"})
    # "Take a short break" on a case with an open offer: the break is recorded against that
    # offer (no second open check-in for the same case).
    pending = open_checkin(actor, case) if case is not None and reason == "self" else None
    checkin = pending or offer_checkin(actor, case, reason)
    data: dict[str, Any] = {"reason": checkin.reason}  # never the answers
    if pending is not None:
        data["break"] = True
    write_audit(
        actor=actor,
        organization=actor.organization_id,
        action="wellbeing.offer",
        obj=checkin,
        data=data,
        meta=meta,
    )
    return checkin


@transaction.atomic
def do_complete_checkin(
    actor: User,
    checkin: WellbeingCheckIn,
    *,
    break_minutes: int | None = None,
    feeling: int | None = None,
    went_well: str = "",
    next_time: str = "",
    wants_mentor_debrief: bool = False,
    share_in_aggregates: bool = False,
    meta: RequestMeta | None = None,
) -> WellbeingCheckIn:
    if checkin.user_id != actor.pk:
        raise ActionError("Not your check-in.", code="forbidden", status=403)
    if feeling is not None and not 1 <= feeling <= 5:
        raise ActionError("feeling is 1 to 5.", details={"field": "feeling"})
    if break_minutes is not None and not 0 <= break_minutes <= 120:
        raise ActionError("break_minutes is 0 to 120.", details={"field": "break_minutes"})
    checkin.break_minutes = break_minutes
    checkin.feeling = feeling
    checkin.went_well = clean_text(went_well).strip()[:2000]
    checkin.next_time = clean_text(next_time).strip()[:2000]
    checkin.wants_mentor_debrief = wants_mentor_debrief
    checkin.share_in_aggregates = share_in_aggregates
    checkin.completed_at = timezone.now()
    checkin.save()
    if wants_mentor_debrief:
        mentors = User.objects.filter(
            is_active=True,
            memberships__role="mentor",
            memberships__team__in=Membership.objects.filter(user=actor).values("team_id"),
        ).distinct()
        for mentor in mentors:
            notify(
                mentor,
                kind=NotificationKind.WELLBEING,
                key=f"debrief:{checkin.pk}",
                text=f"{actor.get_full_name() or actor.username} would like a debrief.",
                data={"checkin": checkin.pk},
            )
    write_audit(
        actor=actor,
        organization=actor.organization_id,
        action="wellbeing.complete",
        obj=checkin,
        data={"mentor_debrief": wants_mentor_debrief},  # the answers stay out of the log
        meta=meta,
    )
    return checkin


def team_wellbeing_figures(team: Team) -> dict[str, Any]:
    """Aggregates for a team lead: opted-in, completed check-ins only; suppressed when fewer
    than MIN_GROUP distinct people contributed.  Never an individual answer."""
    members = Membership.objects.filter(team=team).values("user_id")
    qs = WellbeingCheckIn.objects.filter(
        user_id__in=members, share_in_aggregates=True, completed_at__isnull=False
    )
    people = qs.values("user_id").distinct().count()
    offered = WellbeingCheckIn.objects.filter(user_id__in=members).count()
    if people < MIN_GROUP:
        return {"people": None, "suppressed": True, "min_group": MIN_GROUP, "offered": offered}
    agg = qs.aggregate(
        n=Count("id"),
        feeling=Avg("feeling"),
        breaks=Count("id", filter=Q(break_minutes__gt=0)),
        debriefs=Count("id", filter=Q(wants_mentor_debrief=True)),
    )
    return {
        "people": people,
        "suppressed": False,
        "checkins": agg["n"],
        "average_feeling": round(float(agg["feeling"] or 0), 2),
        "breaks_taken": agg["breaks"],
        "mentor_debriefs": agg["debriefs"],
        "offered": offered,
    }
