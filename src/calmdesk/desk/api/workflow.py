"""The workflow that keeps promises: follow-ups, the escalation ladder, the transfer guard
with its warm hand-off, crisis incidents, the summary email and the well-being check-in.

Every object is reached through lib/access.py (404 for absent and forbidden alike); every
write goes through a ``do_*`` action (one audit entry each).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Router, Schema, Status
from pydantic import Field, StringConstraints

from calmdesk.desk.actions import cases as case_actions
from calmdesk.desk.actions import crisis as crisis_actions
from calmdesk.desk.actions import escalations as escalation_actions
from calmdesk.desk.actions import followups as followup_actions
from calmdesk.desk.actions import summary as summary_actions
from calmdesk.desk.actions import transfers as transfer_actions
from calmdesk.desk.actions import wellbeing as wellbeing_actions
from calmdesk.desk.api.auth import request_user
from calmdesk.desk.api.schemas import Id
from calmdesk.desk.api.serializers import case_out
from calmdesk.desk.lib.access import (
    access_case_by_id,
    access_checkin_by_id,
    access_escalation_by_id,
    access_followup_by_id,
    access_incident_by_id,
    access_interaction_by_id,
    cases_visible_to,
    cases_writable_by,
    is_org_admin,
    teams_for,
    users_assignable_in,
)
from calmdesk.desk.lib.business_time import local_to_utc, to_local
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.models import (
    LEAD_ROLES,
    Case,
    CrisisIncident,
    EscalationRequest,
    FollowUp,
    FollowUpStatus,
    RequestStatus,
    Team,
    WellbeingCheckIn,
)

router = Router(tags=["workflow"])

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
RequiredText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)
]


class In(Schema):
    model_config = {"extra": "forbid"}


# ---- follow-ups (promises) -----------------------------------------------------------------


class FollowUpIn(In):
    action: RequiredText
    due_at: dt.datetime | None = Field(None, description="aware date-time (UTC or with offset)")
    due_date: dt.date | None = Field(None, description="local date in the owner's time zone")
    due_time: dt.time | None = Field(None, description="local time (default 17:00)")
    owner_id: Id | None = None


class FollowUpCloseIn(In):
    status: Literal["kept", "missed", "cancelled"] = "kept"
    interaction_id: Id | None = Field(None, description="the entry that kept the promise")


def followup_out(f: FollowUp, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    return {
        "id": f.pk,
        "case_id": f.case_id,
        "case_reference": f.case.reference,
        "owner_id": f.owner_id,
        "action": f.action,
        "due_at": f.due_at,
        "due_text": f.due_text,
        "vague": f.vague,
        "remind_at": f.remind_at,
        "source": f.source,
        "source_interaction_id": f.source_interaction_id,
        "status": f.status,
        "overdue": f.status == FollowUpStatus.OPEN and f.due_at is not None and f.due_at < now,
        "closed_at": f.closed_at,
        "closed_by_id": f.closed_by_id,
        "kept_by_interaction_id": f.kept_by_interaction_id,
        "created_at": f.created_at,
    }


@router.get("/cases/{case_id}/followups")
def list_followups(request: HttpRequest, case_id: Path[Id]) -> list[dict[str, Any]]:
    case = access_case_by_id(request_user(request), case_id)
    rows = FollowUp.objects.filter(case=case).select_related("case").order_by("due_at", "id")
    return [followup_out(f) for f in rows]


@router.post("/cases/{case_id}/followups", response={201: dict[str, Any]})
def add_followup(request: HttpRequest, case_id: Path[Id], payload: FollowUpIn) -> Any:
    user = request_user(request)
    case = access_case_by_id(user, case_id, for_write=True)
    owner = None
    if payload.owner_id is not None:
        owner = users_assignable_in(case.team).filter(pk=payload.owner_id).first()
        if owner is None:
            raise ActionError(
                "The owner must be an active member of the case's team.",
                details={"field": "owner_id"},
            )
    if payload.due_time is not None and payload.due_date is None:
        raise ActionError("due_time needs a due_date.", details={"field": "due_date"})
    followup = followup_actions.do_add_followup(
        user,
        case=case,
        action=payload.action,
        due_at=payload.due_at,
        due_date=payload.due_date,
        due_time=payload.due_time,
        owner=owner,
        meta=RequestMeta.from_request(request),
    )
    return Status(201, followup_out(FollowUp.objects.select_related("case").get(pk=followup.pk)))


@router.post("/followups/{followup_id}/close")
def close_followup(request: HttpRequest, followup_id: Path[Id], payload: FollowUpCloseIn) -> Any:
    user = request_user(request)
    followup = access_followup_by_id(user, followup_id, for_write=True)
    interaction = None
    if payload.interaction_id is not None:
        interaction = access_interaction_by_id(user, payload.interaction_id)
    followup_actions.do_close_followup(
        user,
        followup,
        status=payload.status,
        interaction=interaction,
        meta=RequestMeta.from_request(request),
    )
    return followup_out(FollowUp.objects.select_related("case").get(pk=followup.pk))


@router.get("/followups/due")
def promises_due(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's open promises that are overdue or due today (their time zone)."""
    user = request_user(request)
    now = timezone.now()
    counts = followup_actions.followup_counts(user, now)
    tz = user.timezone or "UTC"
    end_of_day = local_to_utc(to_local(now, tz).date() + dt.timedelta(days=1), dt.time(0), tz)
    mine = (
        FollowUp.objects.filter(
            owner=user,
            status=FollowUpStatus.OPEN,
            due_at__lt=end_of_day,
            case__in=cases_visible_to(user),
        )
        .select_related("case")
        .order_by("due_at", "id")
    )
    rows = [followup_out(f, now) for f in mine[:200]]
    return {
        "overdue": [r for r in rows if r["overdue"]],
        "due_today": [r for r in rows if not r["overdue"]],
        "counts": counts,
    }


# ---- the escalation ladder -----------------------------------------------------------------


class EscalationIn(In):
    kind: Literal["advice", "approval"] = "advice"
    reason: RequiredText
    decision_subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)


class DecisionIn(In):
    decision: Literal["approved", "rejected", "answered"]
    note: Text = ""


def escalation_out(r: EscalationRequest) -> dict[str, Any]:
    waiting = escalation_actions.client_waiting_since(r.case)
    return {
        "id": r.pk,
        "case_id": r.case_id,
        "case_reference": r.case.reference,
        "case_subject": r.case.subject,
        "requested_by_id": r.requested_by_id,
        "kind": r.kind,
        "reason": r.reason,
        "decision_subject": r.decision_subject,
        "amount": str(r.amount) if r.amount is not None else None,
        "level": r.level,
        "climb_at": r.climb_at,
        "status": r.status,
        "decided_by_id": r.decided_by_id,
        "decided_at": r.decided_at,
        "decision_note": r.decision_note,
        "created_at": r.created_at,
        "client_waiting_since": waiting,
    }


@router.get("/cases/{case_id}/escalations")
def list_case_escalations(request: HttpRequest, case_id: Path[Id]) -> list[dict[str, Any]]:
    case = access_case_by_id(request_user(request), case_id)
    rows = EscalationRequest.objects.filter(case=case).select_related("case").order_by("id")
    return [escalation_out(r) for r in rows]


@router.post("/cases/{case_id}/escalations", response={201: dict[str, Any]})
def request_backup(request: HttpRequest, case_id: Path[Id], payload: EscalationIn) -> Any:
    user = request_user(request)
    case = access_case_by_id(user, case_id, for_write=True)
    made = escalation_actions.do_request_backup(
        user,
        case,
        reason=payload.reason,
        kind=payload.kind,
        decision_subject=payload.decision_subject,
        amount=payload.amount,
        meta=RequestMeta.from_request(request),
    )
    return Status(
        201, escalation_out(EscalationRequest.objects.select_related("case").get(pk=made.pk))
    )


@router.get("/escalations/queue")
def escalation_queue(request: HttpRequest) -> list[dict[str, Any]]:
    """Open requests the signed-in supervisor or admin can decide, oldest first (empty for
    everyone else).  Level 2 (climbed) requests are for the organization's admins."""
    user = request_user(request)
    open_requests = EscalationRequest.objects.filter(
        status=RequestStatus.OPEN, case__in=cases_writable_by(user)
    ).exclude(requested_by=user)
    if is_org_admin(user):
        rows = open_requests
    else:
        led = teams_for(user, LEAD_ROLES)
        rows = open_requests.filter(Q(case__team__in=led), level__lt=2)
    return [escalation_out(r) for r in rows.select_related("case").order_by("created_at", "id")]


@router.post("/escalations/{request_id}/decide")
def decide_request(request: HttpRequest, request_id: Path[Id], payload: DecisionIn) -> Any:
    user = request_user(request)
    found = access_escalation_by_id(user, request_id, for_write=True)
    escalation_actions.do_decide_request(
        user,
        found,
        decision=payload.decision,
        note=payload.note,
        meta=RequestMeta.from_request(request),
    )
    return escalation_out(EscalationRequest.objects.select_related("case").get(pk=found.pk))


# ---- transfers with a warm hand-off --------------------------------------------------------


class HandoffIn(In):
    team_id: Id
    note: RequiredText = Field(description="why the case moves")
    tried: Text = Field("", description="what was tried")
    promised: Text = Field("", description="what was promised to the client")
    confirm: bool = Field(False, description="required from the second transfer on")


@router.get("/cases/{case_id}/transfers")
def transfer_status(request: HttpRequest, case_id: Path[Id]) -> dict[str, Any]:
    """How often the case moved, whether another move is warned about, and the last
    hand-off note (what the receiving team reads first)."""
    case = access_case_by_id(request_user(request), case_id)
    return {
        "check": transfer_actions.transfer_check(case),
        "latest_handoff": transfer_actions.latest_handoff(case),
    }


@router.post("/cases/{case_id}/transfers", response={200: dict[str, Any], 202: dict[str, Any]})
def transfer_with_handoff(request: HttpRequest, case_id: Path[Id], payload: HandoffIn) -> Any:
    user = request_user(request)
    case = access_case_by_id(user, case_id, for_write=True)
    team = Team.objects.filter(pk=payload.team_id, organization_id=case.organization_id).first()
    if team is None:
        raise ActionError("Unknown team.", code="invalid_team", details={"field": "team_id"})
    case_actions.do_transfer_case(
        user,
        case,
        team,
        payload.note,
        tried=payload.tried,
        promised=payload.promised,
        confirm=payload.confirm,
        meta=RequestMeta.from_request(request),
    )
    moved = Case.objects.select_related("team", "client", "root_cause").get(pk=case.pk)
    body = {
        "transfer_count": moved.transfer_count,
        "handoff": transfer_actions.latest_handoff(moved),
    }
    if cases_visible_to(user).filter(pk=case.pk).exists():
        return {**body, "case": case_out(moved)}
    return Status(202, body)  # the case left the sender's teams


# ---- crisis incidents ----------------------------------------------------------------------


class StepIn(In):
    step_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class CompleteIn(In):
    summary: RequiredText


def incident_out(i: CrisisIncident) -> dict[str, Any]:
    return {
        "id": i.pk,
        "case_id": i.case_id,
        "interaction_id": i.interaction_id,
        "kinds": list(i.kinds),
        "severity": i.severity,
        "signals": i.signals,
        "protocol": i.protocol,
        "steps": i.steps,
        "missing_steps": [s["id"] for s in i.steps if s.get("required") and not s.get("done_at")],
        "status": i.status,
        "alerted": i.alerted,
        "detected_at": i.detected_at,
        "completed_at": i.completed_at,
        "completed_by_id": i.completed_by_id,
        "summary": i.summary,
    }


@router.get("/cases/{case_id}/crisis")
def case_crisis(request: HttpRequest, case_id: Path[Id]) -> dict[str, Any]:
    """The crisis incidents of a case; ``open`` is the one that blocks closing, if any."""
    case = access_case_by_id(request_user(request), case_id)
    rows = list(CrisisIncident.objects.filter(case=case).order_by("detected_at", "id"))
    current = next((i for i in rows if i.status == "open"), None)
    return {
        "open": incident_out(current) if current else None,
        "incidents": [incident_out(i) for i in rows],
    }


@router.get("/crisis-incidents/{incident_id}")
def get_incident(request: HttpRequest, incident_id: Path[Id]) -> dict[str, Any]:
    return incident_out(access_incident_by_id(request_user(request), incident_id))


@router.post("/crisis-incidents/{incident_id}/steps")
def record_step(request: HttpRequest, incident_id: Path[Id], payload: StepIn) -> dict[str, Any]:
    user = request_user(request)
    incident = access_incident_by_id(user, incident_id, for_write=True)
    done = crisis_actions.do_record_crisis_step(
        user, incident, payload.step_id, note=payload.note, meta=RequestMeta.from_request(request)
    )
    return incident_out(done)


@router.post("/crisis-incidents/{incident_id}/complete")
def complete_incident(
    request: HttpRequest, incident_id: Path[Id], payload: CompleteIn
) -> dict[str, Any]:
    user = request_user(request)
    incident = access_incident_by_id(user, incident_id, for_write=True)
    done = crisis_actions.do_complete_crisis_incident(
        user, incident, summary=payload.summary, meta=RequestMeta.from_request(request)
    )
    return incident_out(done)


# ---- the summary email ---------------------------------------------------------------------


class SummaryIn(In):
    subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50_000)]
    idempotency_key: Annotated[str, StringConstraints(max_length=100)] = ""


@router.get("/cases/{case_id}/summary")
def summary_draft(request: HttpRequest, case_id: Path[Id]) -> dict[str, Any]:
    """A draft in the client's language (what was wrong, what was done, next steps, open
    promises) for the agent to edit before sending."""
    case = access_case_by_id(request_user(request), case_id)
    return summary_actions.draft_summary(case)


@router.post("/cases/{case_id}/summary", response={201: dict[str, Any]})
def send_summary(request: HttpRequest, case_id: Path[Id], payload: SummaryIn) -> Any:
    user = request_user(request)
    case = access_case_by_id(user, case_id, for_write=True)
    sent = summary_actions.do_send_summary(
        user,
        case,
        subject=payload.subject,
        body=payload.body,
        idempotency_key=payload.idempotency_key,
        meta=RequestMeta.from_request(request),
    )
    return Status(
        201,
        {
            "interaction_id": sent.pk,
            "seq": sent.seq,
            "subject": sent.data.get("subject", ""),
            "to": sent.data.get("to", ""),
            "message_id": sent.data.get("message_id", ""),
        },
    )


# ---- the well-being check-in (own answers only) --------------------------------------------


class CheckInOffer(In):
    case_id: Id | None = None


class CheckInAnswers(In):
    break_minutes: Annotated[int, Field(ge=0, le=120)] | None = None
    feeling: Annotated[int, Field(ge=1, le=5)] | None = None
    went_well: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    next_time: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    wants_mentor_debrief: bool = False
    share_in_aggregates: bool = False


def checkin_out(c: WellbeingCheckIn) -> dict[str, Any]:
    return {
        "id": c.pk,
        "case_id": c.case_id,
        "reason": c.reason,
        "offered_at": c.offered_at,
        "break_minutes": c.break_minutes,
        "feeling": c.feeling,
        "went_well": c.went_well,
        "next_time": c.next_time,
        "wants_mentor_debrief": c.wants_mentor_debrief,
        "share_in_aggregates": c.share_in_aggregates,
        "completed_at": c.completed_at,
    }


@router.get("/wellbeing/checkins")
def my_checkins(request: HttpRequest) -> list[dict[str, Any]]:
    user = request_user(request)
    return [checkin_out(c) for c in WellbeingCheckIn.objects.filter(user=user)[:100]]


@router.post("/wellbeing/checkins", response={201: dict[str, Any]})
def offer_checkin(request: HttpRequest, payload: CheckInOffer) -> Any:
    """A check-in the agent asks for themselves (the workflow offers the others)."""
    user = request_user(request)
    case = access_case_by_id(user, payload.case_id) if payload.case_id is not None else None
    made = wellbeing_actions.do_offer_checkin(
        user, case=case, meta=RequestMeta.from_request(request)
    )
    return Status(201, checkin_out(made))


@router.post("/wellbeing/checkins/{checkin_id}")
def answer_checkin(request: HttpRequest, checkin_id: Path[Id], payload: CheckInAnswers) -> Any:
    user = request_user(request)
    checkin = access_checkin_by_id(user, checkin_id)
    done = wellbeing_actions.do_complete_checkin(
        user, checkin, **payload.model_dump(), meta=RequestMeta.from_request(request)
    )
    return checkin_out(done)
