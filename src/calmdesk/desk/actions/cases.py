"""Cases: creation and every change of state.  Each change also appends a system event to
the case log, so the timeline tells the whole story."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from calmdesk.desk.actions.log import system_event, write_audit
from calmdesk.desk.lib.access import teams_for, users_assignable_in
from calmdesk.desk.lib.errors import ActionError, Forbidden
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.lib.text import clean_tags, clean_text
from calmdesk.desk.lib.tokens import new_case_reference
from calmdesk.desk.models import (
    ALLOWED_TRANSITIONS,
    LEAD_ROLES,
    Case,
    CaseShare,
    Channel,
    Client,
    Membership,
    Priority,
    Role,
    RootCause,
    Status,
    Team,
    User,
)

EXPECTATION_FIELDS = ("expected", "received", "agreed_possible", "agreed_not_possible")


def _check_choice(value: str, choices: Iterable[str], field: str) -> str:
    allowed = list(choices)
    if value not in allowed:
        raise ActionError(
            f"{value!r} is not a valid {field}; choose one of {', '.join(allowed)}.",
            details={"field": field},
        )
    return value


def _check_assignee(team: Team, assignee: User | None) -> None:
    if assignee is not None and not users_assignable_in(team).filter(pk=assignee.pk).exists():
        raise ActionError(
            "The assignee must be an active member of the case's team.",
            code="invalid_assignee",
            details={"field": "assignee"},
        )


def _unique_reference() -> str:
    for _ in range(10):
        reference = new_case_reference()
        if not Case.objects.filter(reference=reference).exists():
            return reference
    raise RuntimeError("could not draw a free case reference")  # pragma: no cover


def _touch(case: Case, fields: list[str]) -> None:
    case.updated_at = timezone.now()
    case.save(update_fields=[*fields, "updated_at"])


@transaction.atomic
def do_create_case(
    actor: User | None,
    *,
    client: Client,
    team: Team,
    subject: str,
    channel: str,
    priority: str = Priority.NORMAL,
    assignee: User | None = None,
    tags: Iterable[str] = (),
    meta: RequestMeta | None = None,
) -> Case:
    if client.organization_id != team.organization_id:
        raise ActionError(
            "The client and the team belong to different organizations.",
            details={"field": "client"},
        )
    subject = " ".join(clean_text(subject).split())[:300]
    if not subject:
        raise ActionError("A case needs a subject.", details={"field": "subject"})
    _check_choice(channel, Channel.values, "channel")
    _check_choice(priority, Priority.values, "priority")
    _check_assignee(team, assignee)
    case = Case.objects.create(
        organization_id=team.organization_id,
        team=team,
        client=client,
        assignee=assignee,
        channel=channel,
        subject=subject,
        priority=priority,
        tags=clean_tags(tags),
        reference=_unique_reference(),
    )
    system_event(
        case,
        actor,
        "created",
        {"team": team.pk, "assignee": assignee.pk if assignee else None, "priority": priority},
    )
    write_audit(
        actor=actor,
        organization=case.organization_id,
        action="case.create",
        obj=case,
        data={"reference": case.reference, "team": team.pk, "client": client.pk},
        meta=meta,
    )
    return case


@transaction.atomic
def do_update_case(
    actor: User | None,
    case: Case,
    *,
    subject: str | None = None,
    priority: str | None = None,
    tags: Iterable[str] | None = None,
    meta: RequestMeta | None = None,
) -> Case:
    changed: dict[str, Any] = {}
    if subject is not None:
        subject = " ".join(clean_text(subject).split())[:300]
        if not subject:
            raise ActionError("A case needs a subject.", details={"field": "subject"})
        if subject != case.subject:
            changed["subject"] = subject
    if priority is not None and priority != case.priority:
        changed["priority"] = _check_choice(priority, Priority.values, "priority")
    if tags is not None:
        cleaned = clean_tags(tags)
        if cleaned != case.tags:
            changed["tags"] = cleaned
    old = {k: getattr(case, k) for k in changed}
    for key, value in changed.items():
        setattr(case, key, value)
    _touch(case, list(changed))
    if changed:
        system_event(case, actor, "update", {"from": old, "to": changed})
    write_audit(
        actor=actor,
        organization=case.organization_id,
        action="case.update",
        obj=case,
        data={"changed": sorted(changed)},
        meta=meta,
    )
    return case


@transaction.atomic
def do_change_status(
    actor: User | None,
    case: Case,
    status: str,
    reason: str = "",
    *,
    meta: RequestMeta | None = None,
) -> Case:
    _check_choice(status, Status.values, "status")
    old = case.status
    if status not in ALLOWED_TRANSITIONS[old]:
        raise ActionError(
            f"A case cannot go from {old!r} to {status!r}.",
            code="invalid_transition",
            details={"from": old, "to": status, "allowed": sorted(ALLOWED_TRANSITIONS[old])},
        )
    if status in (Status.RESOLVED, Status.CLOSED):
        from calmdesk.desk.actions.crisis import open_incident_blocks_closing

        incident = open_incident_blocks_closing(case)
        if incident is not None:
            raise ActionError(
                "This case had a crisis message: complete its incident record (the protocol "
                "steps, who did them and when) before resolving or closing it.",
                code="crisis_incident_open",
                details={"incident": incident.pk},
            )
    now = timezone.now()
    case.status = status
    fields = ["status"]
    if status == Status.RESOLVED:
        case.resolved_at = now
        fields.append("resolved_at")
    elif status == Status.CLOSED:
        case.closed_at = now
        fields.append("closed_at")
        if case.resolved_at is None:
            case.resolved_at = now
            fields.append("resolved_at")
    elif old in (Status.RESOLVED, Status.CLOSED):  # reopened
        case.resolved_at = None
        case.closed_at = None
        fields += ["resolved_at", "closed_at"]
    _touch(case, fields)
    event = "escalation" if status == Status.ESCALATED else "status"
    if old in (Status.RESOLVED, Status.CLOSED) and status not in (Status.RESOLVED, Status.CLOSED):
        event = "reopen"
    system_event(case, actor, event, {"from": old, "to": status}, text=clean_text(reason))
    if status == Status.RESOLVED or (status == Status.CLOSED and old != Status.RESOLVED):
        from calmdesk.desk.actions.satisfaction import schedule_survey

        schedule_survey(case, now)
    elif old in (Status.RESOLVED, Status.CLOSED) and status not in (Status.RESOLVED, Status.CLOSED):
        from calmdesk.desk.actions.satisfaction import cancel_pending_surveys

        cancel_pending_surveys(case, now)
    write_audit(
        actor=actor,
        organization=case.organization_id,
        action="case.status",
        obj=case,
        data={"from": old, "to": status},
        meta=meta,
    )
    return case


@transaction.atomic
def do_assign_case(
    actor: User | None, case: Case, assignee: User | None, *, meta: RequestMeta | None = None
) -> Case:
    _check_assignee(case.team, assignee)
    old = case.assignee_id
    case.assignee = assignee
    _touch(case, ["assignee"])
    new = assignee.pk if assignee else None
    system_event(case, actor, "assignment", {"from": old, "to": new})
    write_audit(
        actor=actor,
        organization=case.organization_id,
        action="case.assign",
        obj=case,
        data={"from": old, "to": new},
        meta=meta,
    )
    return case


@transaction.atomic
def do_transfer_case(
    actor: User | None,
    case: Case,
    team: Team,
    note: str,
    *,
    tried: str = "",
    promised: str = "",
    confirm: bool = False,
    meta: RequestMeta | None = None,
) -> Case:
    """Hand the case to another team with a warm hand-off (why = ``note``, what was tried,
    what was promised) so the client need not repeat themselves.  The transfer guard
    (actions/transfers.py) counts transfers, warns from the second and flags ping-pong."""
    from calmdesk.desk.actions.transfers import flag_ping_pong, prepare_handoff

    if team.organization_id != case.organization_id:
        raise ActionError("The team belongs to another organization.", details={"field": "team"})
    if team.pk == case.team_id:
        raise ActionError("The case is already with that team.", details={"field": "team"})
    guard = prepare_handoff(case, team, note=note, tried=tried, promised=promised, confirm=confirm)
    note = guard["handoff"]["why"]
    old_team = case.team_id
    case.team = team
    case.transfer_count = guard["number"]
    fields = ["team", "transfer_count"]
    assignee_id = case.assignee_id
    if assignee_id is not None and not users_assignable_in(team).filter(pk=assignee_id).exists():
        case.assignee = None
        fields.append("assignee")
    _touch(case, fields)
    system_event(
        case,
        actor,
        "transfer",
        {
            "from": old_team,
            "to": team.pk,
            "number": guard["number"],
            "warned": guard["warned"],
            "ping_pong": guard["ping_pong"],
            "handoff": guard["handoff"],
        },
        text=note,
    )
    if guard["ping_pong"]:
        flag_ping_pong(case, actor, old_team, guard["number"])
    write_audit(
        actor=actor,
        organization=case.organization_id,
        action="case.transfer",
        obj=case,
        data={
            "from": old_team,
            "to": team.pk,
            "number": guard["number"],
            "ping_pong": guard["ping_pong"],
        },
        meta=meta,
    )
    return case


@transaction.atomic
def do_set_expectation(
    actor: User | None,
    case: Case,
    *,
    expected: str | None = None,
    received: str | None = None,
    agreed_possible: str | None = None,
    agreed_not_possible: str | None = None,
    meta: RequestMeta | None = None,
) -> Case:
    given = {
        "expected": expected,
        "received": received,
        "agreed_possible": agreed_possible,
        "agreed_not_possible": agreed_not_possible,
    }
    changed = {
        k: clean_text(v).strip()
        for k, v in given.items()
        if v is not None and clean_text(v).strip() != getattr(case, k)
    }
    for key, value in changed.items():
        setattr(case, key, value)
    _touch(case, list(changed))
    if changed:
        system_event(case, actor, "expectation", changed)
    write_audit(
        actor=actor,
        organization=case.organization_id,
        action="case.expectation",
        obj=case,
        data={"changed": sorted(changed)},
        meta=meta,
    )
    return case


def root_causes_for(organization_id: int) -> Any:
    return RootCause.objects.filter(
        Q(organization_id=organization_id) | Q(organization__isnull=True)
    ).order_by("code")


@transaction.atomic
def do_set_root_cause(
    actor: User | None, case: Case, code: str | None, *, meta: RequestMeta | None = None
) -> Case:
    root_cause = None
    if code:
        # An organization's own entry wins over the shipped default with the same code.
        root_cause = (
            root_causes_for(case.organization_id)
            .filter(code=code)
            .order_by("organization_id")
            .first()
        )
        if root_cause is None:
            raise ActionError(f"Unknown root cause {code!r}.", details={"field": "code"})
    old = case.root_cause.code if case.root_cause else None
    case.root_cause = root_cause
    _touch(case, ["root_cause"])
    system_event(case, actor, "root_cause", {"from": old, "to": code or None})
    write_audit(
        actor=actor,
        organization=case.organization_id,
        action="case.root_cause",
        obj=case,
        data={"from": old, "to": code or None},
        meta=meta,
    )
    return case


@transaction.atomic
def do_share_case_with_mentor(
    actor: User, case: Case, mentor: User, *, meta: RequestMeta | None = None
) -> CaseShare:
    if not teams_for(actor, LEAD_ROLES).filter(pk=case.team_id).exists():
        raise Forbidden("Only a supervisor or admin of the case's team can share it.")
    is_mentor = Membership.objects.filter(
        user=mentor, role=Role.MENTOR, team__organization_id=case.organization_id
    ).exists()
    if not is_mentor or not mentor.is_active or mentor.organization_id != case.organization_id:
        raise ActionError(
            "Cases can be shared only with an active mentor of this organization.",
            details={"field": "mentor"},
        )
    share, created = CaseShare.objects.get_or_create(
        case=case, mentor=mentor, defaults={"shared_by": actor}
    )
    if created:
        system_event(case, actor, "shared", {"mentor": mentor.pk})
    write_audit(
        actor=actor,
        organization=case.organization_id,
        action="case.share",
        obj=case,
        data={"mentor": mentor.pk, "created": created},
        meta=meta,
    )
    return share
