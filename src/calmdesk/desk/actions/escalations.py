"""The escalation ladder: an agent asks for backup or for an approval; level 1 is the
case team's supervisors, level 2 the organization's admins; an unanswered request climbs
at ``climb_at``.  Decisions are recorded on the case log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from calmdesk.desk.actions.log import system_event, write_audit
from calmdesk.desk.actions.notifications import (
    email_language,
    is_lead_of,
    notify,
    org_admins,
    queue_email,
    render_email,
    supervisors_on_duty,
)
from calmdesk.desk.lib.errors import ActionError, Forbidden
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.lib.text import clean_text
from calmdesk.desk.models import (
    Case,
    EscalationRequest,
    Interaction,
    Kind,
    NotificationKind,
    RequestKind,
    RequestStatus,
    User,
)
from calmdesk.desk.models.escalations import TOP_LEVEL

KIND_LABEL = {"advice": "advice / backup", "approval": "an approval"}


def approval_required(case: Case, amount: Decimal | float | int) -> bool:
    """Refunds above the team's limit need a supervisor's approval."""
    from calmdesk.desk.actions.followups import workflow_for

    return Decimal(str(amount)) > workflow_for(case).approval_limit


def has_approval(case: Case, decision_subject: str) -> bool:
    return EscalationRequest.objects.filter(
        case=case,
        kind=RequestKind.APPROVAL,
        status=RequestStatus.APPROVED,
        decision_subject=decision_subject,
    ).exists()


def client_waiting_since(case: Case) -> dt.datetime | None:
    """When the client's oldest unanswered message arrived (None: nobody is waiting)."""
    last_out = (
        Interaction.objects.filter(case_id=case.pk, kind=Kind.OUTBOUND)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    inbound = Interaction.objects.filter(case_id=case.pk, kind=Kind.INBOUND)
    if last_out is not None:
        inbound = inbound.filter(seq__gt=last_out)
    first = inbound.order_by("seq").values_list("occurred_at", flat=True).first()
    return first


def _recipients(request: EscalationRequest) -> list[User]:
    if request.level >= TOP_LEVEL:
        return org_admins(request.organization_id)
    return supervisors_on_duty(request.case)


def _alert(request: EscalationRequest, now: dt.datetime) -> None:
    from calmdesk.desk.actions.crisis import case_url

    case = request.case
    waiting = client_waiting_since(case)
    for person in _recipients(request):
        if person.pk == request.requested_by_id:
            continue
        key = f"escalation:{request.pk}:L{request.level}"
        notify(
            person,
            kind=NotificationKind.ESCALATION,
            key=key,
            text=f"{case.reference}: {request.reason[:200]}",
            case=case,
            data={"request": request.pk, "level": request.level},
            now=now,
        )
        if person.email:
            subject, body = render_email(
                "escalation",
                email_language(person.preferred_language),
                {
                    "recipient_name": person.get_full_name() or person.username,
                    "requester_name": request.requested_by.get_full_name()
                    or request.requested_by.username,
                    "kind_label": KIND_LABEL[request.kind],
                    "kind": request.kind,
                    "case_ref": case.reference,
                    "case_subject": case.subject,
                    "reason": request.reason,
                    "decision_subject": request.decision_subject,
                    "level": request.level,
                    "waiting_since": waiting.strftime("%Y-%m-%d %H:%M UTC") if waiting else "-",
                    "url": case_url(case),
                },
            )
            queue_email(
                organization_id=case.organization_id,
                key=f"{key}:{person.pk}",
                kind="escalation",
                case=case,
                to=[person.email],
                subject=subject,
                body=body,
            )


def _climb_delay(case: Case) -> dt.timedelta:
    from calmdesk.desk.actions.followups import workflow_for

    return dt.timedelta(minutes=workflow_for(case).escalation_climb_minutes)


@transaction.atomic
def do_request_backup(
    actor: User,
    case: Case,
    *,
    reason: str,
    kind: str = RequestKind.ADVICE,
    decision_subject: str = "",
    amount: Decimal | None = None,
    meta: RequestMeta | None = None,
) -> EscalationRequest:
    reason = clean_text(reason).strip()
    if not reason:
        raise ActionError("Say why you need backup.", details={"field": "reason"})
    if kind not in RequestKind.values:
        raise ActionError(f"Unknown kind {kind!r}.", details={"field": "kind"})
    decision_subject = clean_text(decision_subject).strip()[:300]
    if kind == RequestKind.APPROVAL and not decision_subject:
        raise ActionError("Say what needs approving.", details={"field": "decision_subject"})
    now = timezone.now()
    request = EscalationRequest.objects.create(
        organization_id=case.organization_id,
        case=case,
        requested_by=actor,
        kind=kind,
        reason=reason[:5000],
        decision_subject=decision_subject,
        amount=amount,
        level=1,
        climb_at=now + _climb_delay(case),
        created_at=now,
    )
    system_event(
        case,
        actor,
        "backup_request",
        {
            "request": request.pk,
            "kind": kind,
            "decision": decision_subject,
            "amount": str(amount) if amount is not None else None,
        },
        text=reason,
    )
    _alert(request, now)
    from calmdesk.desk import tasks

    rid, when = request.pk, request.climb_at
    transaction.on_commit(lambda: tasks.enqueue(tasks.climb_escalation, rid, run_after=when))
    write_audit(
        actor=actor,
        organization=case.organization_id,
        action="escalation.request",
        obj=request,
        data={"case": case.pk, "kind": kind},
        meta=meta,
    )
    return request


@transaction.atomic
def do_decide_request(
    actor: User,
    request: EscalationRequest,
    *,
    decision: str,
    note: str = "",
    meta: RequestMeta | None = None,
) -> EscalationRequest:
    request = (
        EscalationRequest.objects.select_for_update().select_related("case").get(pk=request.pk)
    )
    case = request.case
    allowed = {RequestStatus.APPROVED, RequestStatus.REJECTED, RequestStatus.ANSWERED}
    if decision not in allowed:
        raise ActionError(
            "decision is approved, rejected or answered.", details={"field": "decision"}
        )
    if request.kind == RequestKind.ADVICE and decision != RequestStatus.ANSWERED:
        raise ActionError(
            "A request for advice is answered, not approved.", details={"field": "decision"}
        )
    if request.kind == RequestKind.APPROVAL and decision == RequestStatus.ANSWERED:
        raise ActionError(
            "An approval request is approved or rejected.", details={"field": "decision"}
        )
    if actor.pk == request.requested_by_id:
        raise Forbidden("Nobody approves their own request.")
    if not is_lead_of(actor, case):
        raise Forbidden("Only a supervisor of the case's team or an admin can decide.")
    if request.status != RequestStatus.OPEN:
        raise ActionError("This request is already decided.", code="already_decided")
    now = timezone.now()
    request.status = decision
    request.decided_by = actor
    request.decided_at = now
    request.decision_note = clean_text(note).strip()[:5000]
    request.climb_at = None
    request.save()
    event = "approval" if request.kind == RequestKind.APPROVAL else "backup_answer"
    system_event(
        case,
        actor,
        event,
        {"request": request.pk, "decision": decision, "subject": request.decision_subject},
        text=request.decision_note,
    )
    notify(
        request.requested_by,
        kind=NotificationKind.DECISION,
        key=f"decision:{request.pk}",
        text=f"{case.reference}: {decision}",
        case=case,
        data={"request": request.pk, "decision": decision},
    )
    write_audit(
        actor=actor,
        organization=case.organization_id,
        action="escalation.decide",
        obj=request,
        data={"case": case.pk, "decision": decision},
        meta=meta,
    )
    return request


def run_climb(request_id: int, now: dt.datetime | None = None) -> str:
    """An unanswered request climbs one level (once per level)."""
    now = now or timezone.now()
    with transaction.atomic():
        request = (
            EscalationRequest.objects.select_for_update(of=("self",))
            .select_related("case", "requested_by")
            .filter(pk=request_id)
            .first()
        )
        if request is None or request.status != RequestStatus.OPEN:
            return "closed"
        if request.climb_at is None or now < request.climb_at:
            return "not-due"
        if request.level >= TOP_LEVEL:
            request.climb_at = None
            request.save(update_fields=["climb_at"])
            return "top"
        request.level += 1
        request.climb_at = now + _climb_delay(request.case) if request.level < TOP_LEVEL else None
        request.save(update_fields=["level", "climb_at"])
        system_event(
            request.case, None, "backup_climb", {"request": request.pk, "level": request.level}
        )
        _alert(request, now)
        write_audit(
            actor=None,
            organization=request.organization_id,
            action="escalation.climb",
            obj=request,
            data={"level": request.level},
        )
    return "sent"
