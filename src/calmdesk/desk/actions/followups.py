"""Promises to clients (follow-ups): created from sent replies or by hand, reminded before
they are due, escalated to the supervisor when overdue, and closed as kept or missed.

The reminder and overdue steps run in worker tasks (desk/tasks.py) and are idempotent: each
makes its notification and its email under a unique key, so a job run twice (a replay, a
worker killed and restarted, ``tick`` re-enqueueing) sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from calmdesk.desk.actions.log import system_event, write_audit
from calmdesk.desk.actions.notifications import (
    email_language,
    notify,
    queue_email,
    render_email,
    supervisors_on_duty,
)
from calmdesk.desk.lib.analysis import Promise
from calmdesk.desk.lib.business_time import add_working_days, local_to_utc, to_local
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.lib.text import clean_text
from calmdesk.desk.models import (
    Case,
    FollowUp,
    FollowUpSource,
    FollowUpStatus,
    Interaction,
    NotificationKind,
    Status,
    TeamWorkflow,
    User,
)

OPEN_CASE = (
    Status.NEW,
    Status.OPEN,
    Status.WAITING_ON_CLIENT,
    Status.WAITING_ON_US,
    Status.ESCALATED,
)


def workflow_for(case: Case) -> TeamWorkflow:
    """The team's workflow settings (unsaved defaults when the team has no row)."""
    row = TeamWorkflow.objects.filter(team_id=case.team_id).first()
    return row or TeamWorkflow(team_id=case.team_id)


def user_tz(user: User | None, case: Case) -> str:
    if user is not None and user.timezone and user.timezone != "UTC":
        return user.timezone
    return case.organization.timezone or "UTC"


def _schedule(followup: FollowUp) -> None:
    """Enqueue the reminder and the overdue check after commit (``tick`` re-enqueues what a
    lost worker never ran)."""
    from calmdesk.desk import tasks

    fid, remind_at, due_at = followup.pk, followup.remind_at, followup.due_at
    grace = dt.timedelta(minutes=workflow_for(followup.case).overdue_grace_minutes)

    def go() -> None:
        if remind_at is not None:
            tasks.enqueue(tasks.followup_reminder, fid, "reminder", run_after=remind_at)
        if due_at is not None:
            tasks.enqueue(tasks.followup_reminder, fid, "overdue", run_after=due_at + grace)

    transaction.on_commit(go)


def _remind_at(case: Case, due_at: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    if due_at is None:
        return None
    before = dt.timedelta(minutes=workflow_for(case).remind_before_minutes)
    at = due_at - before
    return at if at > now else None


def _create(
    *,
    case: Case,
    owner: User,
    action: str,
    due_at: dt.datetime | None,
    due_text: str,
    vague: bool,
    source: str,
    created_by: User | None,
    now: dt.datetime,
    interaction: Interaction | None = None,
    span: tuple[int, int] | None = None,
) -> FollowUp:
    due_utc = due_at.astimezone(dt.UTC) if due_at is not None else None
    followup = FollowUp.objects.create(
        organization_id=case.organization_id,
        case=case,
        owner=owner,
        action=action[:2000],
        due_at=due_utc,
        due_text=due_text[:200],
        vague=vague,
        remind_at=_remind_at(case, due_utc, now),
        source=source,
        source_interaction=interaction,
        span_start=span[0] if span else None,
        span_end=span[1] if span else None,
        created_by=created_by,
        created_at=now,
    )
    _schedule(followup)
    return followup


def store_promises(
    actor: User, case: Case, reply: Interaction, promises: list[Promise], now: dt.datetime
) -> list[FollowUp]:
    """Called by do_send_reply inside its transaction (its audit entry covers this)."""
    made = []
    for p in promises:
        made.append(
            _create(
                case=case,
                owner=actor,
                action=reply.text[p.start : p.end].strip() or p.action,
                due_at=p.due_at,
                due_text=p.due_text,
                vague=p.vague,
                source=FollowUpSource.EXTRACTED,
                created_by=actor,
                now=now,
                interaction=reply,
                span=(p.start, p.end),
            )
        )
    return made


@transaction.atomic
def do_add_followup(
    actor: User,
    *,
    case: Case,
    action: str,
    due_at: dt.datetime | None = None,
    due_date: dt.date | None = None,
    due_time: dt.time | None = None,
    owner: User | None = None,
    now: dt.datetime | None = None,
    meta: RequestMeta | None = None,
) -> FollowUp:
    """A promise added by hand.  Give ``due_at`` (aware) or a local ``due_date`` and
    ``due_time`` in the owner's zone (DST rule: lib/business_time.py).  ``now``: when the
    promise was made (default: now; imports of past work pass the original time)."""
    action = clean_text(action).strip()
    if not action:
        raise ActionError("Say what was promised.", details={"field": "action"})
    owner = owner or actor
    if owner.organization_id != case.organization_id or not owner.is_active:
        raise ActionError("The owner must be an active member.", details={"field": "owner"})
    if due_at is not None and timezone.is_naive(due_at):
        raise ActionError("due_at needs a time zone.", details={"field": "due_at"})
    tz = user_tz(owner, case)
    if due_at is None and due_date is not None:
        due_at = local_to_utc(due_date, due_time or dt.time(17, 0), tz)
    now = now or timezone.now()
    followup = _create(
        case=case,
        owner=owner,
        action=action,
        due_at=due_at,
        due_text="",
        vague=due_at is None,
        source=FollowUpSource.MANUAL,
        created_by=actor,
        now=now,
    )
    system_event(
        case,
        actor,
        "followup",
        {"followup": followup.pk, "due_at": followup.due_at, "owner": owner.pk},
        text=action,
    )
    write_audit(
        actor=actor,
        organization=case.organization_id,
        action="followup.add",
        obj=followup,
        data={"case": case.pk, "due_at": followup.due_at},
        meta=meta,
    )
    return followup


MAX_FULFILS = 50


def fulfil_followups(
    actor: User, case: Case, interaction: Interaction, followup_ids: Sequence[int]
) -> list[int]:
    """Close the named open promises of ``case`` as kept by ``interaction`` (the call, meeting
    or reply that did what was promised).  Runs inside the caller's action and transaction and
    writes no audit entry of its own; the caller's entry lists the ids."""
    ids = sorted({int(i) for i in followup_ids})
    if not ids:
        return []
    if len(ids) > MAX_FULFILS:
        raise ActionError(
            f"At most {MAX_FULFILS} promises per entry.", details={"field": "fulfils"}
        )
    rows = list(
        FollowUp.objects.select_for_update()
        .filter(case=case, pk__in=ids, status=FollowUpStatus.OPEN)
        .order_by("pk")
    )
    missing = sorted(set(ids) - {row.pk for row in rows})
    if missing:
        raise ActionError(
            "Not an open promise of this case: " + ", ".join(str(i) for i in missing) + ".",
            details={"field": "fulfils"},
        )
    now = timezone.now()
    for row in rows:
        row.status = FollowUpStatus.KEPT
        row.closed_at = now
        row.closed_by = actor
        row.kept_by_interaction = interaction
        row.save(update_fields=["status", "closed_at", "closed_by", "kept_by_interaction"])
        system_event(
            case,
            actor,
            "followup_closed",
            {"followup": row.pk, "status": FollowUpStatus.KEPT, "by_seq": interaction.seq},
        )
    return [row.pk for row in rows]


@transaction.atomic
def do_close_followup(
    actor: User,
    followup: FollowUp,
    *,
    status: str = FollowUpStatus.KEPT,
    interaction: Interaction | None = None,
    meta: RequestMeta | None = None,
) -> FollowUp:
    """Mark a promise kept (optionally by the interaction that fulfilled it), missed or
    cancelled.  Kept/missed count in the reports."""
    followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
    if status not in (FollowUpStatus.KEPT, FollowUpStatus.MISSED, FollowUpStatus.CANCELLED):
        raise ActionError("status is kept, missed or cancelled.", details={"field": "status"})
    if followup.status != FollowUpStatus.OPEN:
        raise ActionError("This promise is already closed.", code="already_closed")
    if interaction is not None and interaction.case_id != followup.case_id:
        raise ActionError("That entry belongs to another case.", details={"field": "interaction"})
    followup.status = status
    followup.closed_at = timezone.now()
    followup.closed_by = actor
    followup.kept_by_interaction = interaction
    followup.save(update_fields=["status", "closed_at", "closed_by", "kept_by_interaction"])
    system_event(
        followup.case,
        actor,
        "followup_closed",
        {
            "followup": followup.pk,
            "status": status,
            "by_seq": interaction.seq if interaction else None,
        },
    )
    write_audit(
        actor=actor,
        organization=followup.organization_id,
        action="followup.close",
        obj=followup,
        data={"status": status},
        meta=meta,
    )
    return followup


def _local_label(moment: dt.datetime | None, tz: str) -> str:
    if moment is None:
        return ""
    return to_local(moment, tz).strftime("%Y-%m-%d %H:%M (%Z)")


def run_followup_phase(followup_id: int, phase: str, now: dt.datetime | None = None) -> str:
    """The reminder (``phase="reminder"``) or the overdue escalation (``"overdue"``) of one
    follow-up, at most once.  Returns what happened ("sent", "done-before", "not-due",
    "closed").  Email delivery happens after commit, in this process (see tasks.py)."""
    from calmdesk.desk.lib.mail import deliver

    now = now or timezone.now()
    email_ids: list[int] = []
    with transaction.atomic():
        followup = (
            FollowUp.objects.select_for_update(of=("self",))
            .select_related("case", "owner", "case__organization")
            .filter(pk=followup_id)
            .first()
        )
        if followup is None or followup.status != FollowUpStatus.OPEN:
            return "closed"
        case = followup.case
        if case.status not in OPEN_CASE:
            return "closed"
        wf = workflow_for(case)
        if phase == "reminder":
            at = followup.remind_at
        else:
            at = (
                followup.due_at + dt.timedelta(minutes=wf.overdue_grace_minutes)
                if followup.due_at
                else None
            )
        if at is None or now < at:
            return "not-due"
        due_iso = followup.due_at.isoformat() if followup.due_at else ""
        key = f"followup:{followup.pk}:{phase}:{due_iso}"
        owner = followup.owner
        tz = user_tz(owner, case)
        recipients = [owner] if phase == "reminder" else [owner, *supervisors_on_duty(case)]
        from calmdesk.desk.actions.crisis import case_url

        created_any = False
        for person in dict.fromkeys(recipients):
            _, created = notify(
                person,
                kind=NotificationKind.REMINDER if phase == "reminder" else NotificationKind.OVERDUE,
                key=key,
                text=f"{case.reference}: {followup.action[:200]}",
                case=case,
                data={"followup": followup.pk, "fired_at": now.isoformat(), "phase": phase},
                now=now,
            )
            created_any = created_any or created
            if not person.email:
                continue
            lang = email_language(person.preferred_language)
            subject, body = render_email(
                phase,
                lang,
                {
                    "owner_name": owner.get_full_name() or owner.username,
                    "recipient_name": person.get_full_name() or person.username,
                    "case_ref": case.reference,
                    "case_subject": case.subject,
                    "action": followup.action,
                    "due_local": _local_label(followup.due_at, user_tz(person, case)),
                    "url": case_url(case),
                },
            )
            row, _ = queue_email(
                organization_id=case.organization_id,
                key=f"{key}:{person.pk}",
                kind=phase,
                case=case,
                to=[person.email],
                subject=subject,
                body=body,
                language=lang,
                send_after=now,
                enqueue=False,
            )
            if row.state in ("pending", "sending"):
                email_ids.append(row.pk)
        if phase == "overdue" and followup.escalated_at is None:
            followup.escalated_at = now
            followup.save(update_fields=["escalated_at"])
            system_event(case, None, "followup_overdue", {"followup": followup.pk})
            write_audit(
                actor=None,
                organization=case.organization_id,
                action="followup.overdue",
                obj=followup,
                data={"case": case.pk, "due_at": followup.due_at},
            )
        del tz
    for row_id in email_ids:
        deliver(row_id)
    return "sent" if created_any else "done-before"


# ---- progress updates ---------------------------------------------------------------------

SUGGESTED_UPDATE = {
    "en": "Hello {name}, a short update on {ref}: we are still working on it. Next step: {next}. "
    "We will write again by {when}.",
    "pl": "Dzień dobry {name}, krótka informacja w sprawie {ref}: nadal nad nią pracujemy. "
    "Następny krok: {next}. Odezwiemy się ponownie do {when}.",
    "sr": "Поштовани/а {name}, кратко обавештење о предмету {ref}: и даље радимо на њему. "
    "Следећи корак: {next}. Јавићемо се поново до {when}.",
    "sr-latn": "Poštovani/a {name}, kratko obaveštenje o predmetu {ref}: i dalje radimo na "
    "njemu. Sledeći korak: {next}. Javićemo se ponovo do {when}.",
    "he": "שלום {name}, עדכון קצר לגבי {ref}: אנחנו ממשיכים לטפל בפנייה. השלב הבא: {next}. "
    "נחזור אליך עד {when}.",
}


def next_update_due(case: Case, since: dt.datetime) -> dt.datetime:
    wf = workflow_for(case)
    days = case.progress_update_days or wf.progress_update_days
    tz = user_tz(case.assignee, case)
    return add_working_days(since, days, tz, at_hour=wf.update_hour)


def note_client_update(case: Case, at: dt.datetime) -> None:
    """Called when the client hears from us (a reply): the next update is due N working
    days later, at the team's update hour in the assignee's zone."""
    case.last_client_update_at = at
    case.next_update_due_at = next_update_due(case, at)
    case.save(update_fields=["last_client_update_at", "next_update_due_at"])


def suggested_update(case: Case) -> str:
    lang = email_language(case.client.preferred_language)
    open_promises = case.followups.filter(status=FollowUpStatus.OPEN).order_by("due_at").first()
    nxt = open_promises.action if open_promises else "-"
    when = next_update_due(case, timezone.now())
    return SUGGESTED_UPDATE[lang].format(
        name=case.client.name,
        ref=case.reference,
        next=nxt,
        when=_local_label(when, user_tz(case.assignee, case)).split(" (")[0],
    )


def run_progress_reminder(case_id: int, now: dt.datetime | None = None) -> str:
    """Remind the assignee (or the team's supervisors) that the client is due an update."""
    now = now or timezone.now()
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("client", "assignee")
            .filter(pk=case_id)
            .first()
        )
        if case is None or case.status not in OPEN_CASE or case.next_update_due_at is None:
            return "closed"
        if now < case.next_update_due_at:
            return "not-due"
        people = (
            [case.assignee]
            if case.assignee and case.assignee.is_active
            else supervisors_on_duty(case)
        )
        key = f"progress:{case.pk}:{case.next_update_due_at.isoformat()}"
        suggestion = suggested_update(case)
        created_any = False
        for person in people:
            _, created = notify(
                person,
                kind=NotificationKind.PROGRESS,
                key=key,
                text=f"{case.reference}: {suggestion[:300]}",
                case=case,
                data={"suggestion": suggestion, "fired_at": now.isoformat()},
                now=now,
            )
            created_any = created_any or created
    return "sent" if created_any else "done-before"


def followup_counts(user: User, now: dt.datetime | None = None) -> dict[str, Any]:
    """Promises due today / overdue for one user's inbox (in the user's zone)."""
    now = now or timezone.now()
    tz = user.timezone or "UTC"
    local = to_local(now, tz)
    end_of_day = local_to_utc(local.date() + dt.timedelta(days=1), dt.time(0, 0), tz)
    mine = FollowUp.objects.filter(owner=user, status=FollowUpStatus.OPEN)
    return {
        "overdue": mine.filter(due_at__lt=now).count(),
        "due_today": mine.filter(due_at__gte=now, due_at__lt=end_of_day).count(),
        "open": mine.count(),
    }
