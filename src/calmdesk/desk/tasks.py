"""Background work of the workflow, on the django-tasks API (no retries, no periodic tasks).

Each task is idempotent: the work it does is keyed in the database (notifications and the
outbound email ledger have unique keys; an email is claimed before it is sent and marked
sent before the end of the SMTP transaction, see lib/mail.py).  A task run twice, or run
again after its worker was killed, sends nothing twice.

The django-tasks database backend never retries a task whose worker died (the row stays
"running"), so ``tick()`` — run every minute from cron or a systemd timer — finds every
piece of work that is due and not done and enqueues it again.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

REQUEUE_AFTER = dt.timedelta(minutes=10)


def enqueue(t: Any, *args: Any, run_after: dt.datetime | None = None) -> None:
    """Enqueue ``t`` (with ``run_after`` when in the future)."""
    if run_after is not None and run_after > timezone.now():
        t.using(run_after=run_after).enqueue(*args)
    else:
        t.enqueue(*args)


@task()
def deliver_email(row_id: int) -> bool:
    from calmdesk.desk.lib.mail import deliver

    return deliver(row_id)


@task()
def followup_reminder(followup_id: int, phase: str) -> str:
    from calmdesk.desk.actions.followups import run_followup_phase

    return run_followup_phase(followup_id, phase)


@task()
def progress_reminder(case_id: int) -> str:
    from calmdesk.desk.actions.followups import run_progress_reminder

    return run_progress_reminder(case_id)


@task()
def climb_escalation(request_id: int) -> str:
    from calmdesk.desk.actions.escalations import run_climb

    return run_climb(request_id)


@task()
def send_satisfaction(survey_id: int) -> str:
    from calmdesk.desk.actions.satisfaction import run_send_survey

    return run_send_survey(survey_id)


@dataclass
class TickReport:
    now: dt.datetime
    reminders: int = 0
    overdue: int = 0
    progress: int = 0
    escalations: int = 0
    surveys: int = 0
    emails: int = 0
    inbound: int = 0
    results: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return (
            self.reminders
            + self.overdue
            + self.progress
            + self.escalations
            + self.surveys
            + self.emails
            + self.inbound
        )

    def __str__(self) -> str:
        return (
            f"tick {self.now.isoformat()}: {self.reminders} reminders, {self.overdue} overdue, "
            f"{self.progress} progress updates, {self.escalations} escalations, "
            f"{self.surveys} satisfaction checks, {self.emails} emails, "
            f"{self.inbound} inbound messages (re)queued"
        )


def tick(now: dt.datetime | None = None, *, inline: bool = False) -> TickReport:
    """Find what is due and not done, and enqueue it (``inline``: run it here instead, for
    a deployment without a worker and for tests that drive time through ``now``)."""
    from calmdesk.desk.actions.followups import OPEN_CASE, run_followup_phase, run_progress_reminder
    from calmdesk.desk.lib.mail import claimant_is_dead, deliver
    from calmdesk.desk.models import (
        Case,
        EscalationRequest,
        FollowUp,
        FollowUpStatus,
        Notification,
        OutboundEmail,
        OutboxState,
        RequestStatus,
        SatisfactionSurvey,
    )

    now = now or timezone.now()
    report = TickReport(now=now)

    def run(kind: str, fn: Callable[[], str], t: Any, *args: Any) -> None:
        if inline:
            outcome = fn()
            report.results[outcome] = report.results.get(outcome, 0) + 1
        else:
            enqueue(t, *args)

    recent = now - REQUEUE_AFTER
    not_recently = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=recent)

    open_fu = FollowUp.objects.filter(status=FollowUpStatus.OPEN, case__status__in=OPEN_CASE)
    # Matched on the key ("followup:<id>:<phase>:<due>"): text on every database (a JSON
    # key compared with an integer column is an error on PostgreSQL).
    fired = Notification.objects.filter(
        key__startswith=Concat(
            Value("followup:"), Cast(OuterRef("pk"), output_field=CharField()), Value(":")
        )
    )
    # Reminders due and never made, and overdue checks due and never made.
    for fu in (
        open_fu.filter(remind_at__lte=now)
        .annotate(done=Exists(fired.filter(data__phase="reminder")))
        .filter(done=False)
        .filter(not_recently if not inline else Q())
        .select_related("case")
    ):
        if not inline:
            FollowUp.objects.filter(pk=fu.pk).update(enqueued_at=now)
        run(
            "reminder",
            functools.partial(run_followup_phase, fu.pk, "reminder", now),
            followup_reminder,
            fu.pk,
            "reminder",
        )
        report.reminders += 1
    for fu in list(  # type: ignore[assignment]
        open_fu.filter(due_at__lte=now, escalated_at__isnull=True).select_related("case")
    ):
        from calmdesk.desk.actions.followups import workflow_for

        grace = dt.timedelta(minutes=workflow_for(fu.case).overdue_grace_minutes)
        if fu.due_at is None or fu.due_at + grace > now:
            continue
        if not inline:
            if fu.enqueued_at is not None and fu.enqueued_at >= recent:
                continue
            FollowUp.objects.filter(pk=fu.pk).update(enqueued_at=now)
        run(
            "overdue",
            functools.partial(run_followup_phase, fu.pk, "overdue", now),
            followup_reminder,
            fu.pk,
            "overdue",
        )
        report.overdue += 1
    for case in (
        Case.objects.filter(status__in=OPEN_CASE, next_update_due_at__lte=now)
        .annotate(
            done=Exists(
                Notification.objects.filter(
                    case_id=OuterRef("pk"),
                    kind="progress",
                    created_at__gte=OuterRef("next_update_due_at"),
                )
            )
        )
        .filter(done=False)
    ):
        run(
            "progress",
            functools.partial(run_progress_reminder, case.pk, now),
            progress_reminder,
            case.pk,
        )
        report.progress += 1
    from calmdesk.desk.actions.escalations import run_climb
    from calmdesk.desk.actions.satisfaction import run_send_survey

    for req in list(EscalationRequest.objects.filter(status=RequestStatus.OPEN, climb_at__lte=now)):
        run("climb", functools.partial(run_climb, req.pk, now), climb_escalation, req.pk)
        report.escalations += 1
    for survey in list(
        SatisfactionSurvey.objects.filter(
            send_after__lte=now, answered_at__isnull=True, cancelled_at__isnull=True
        ).exclude(Exists(OutboundEmail.objects.filter(key=_survey_key_expr())))
    ):
        run(
            "survey",
            functools.partial(run_send_survey, survey.pk, now),
            send_satisfaction,
            survey.pk,
        )
        report.surveys += 1
    # Emails not sent: pending and due, or claimed by a worker that died / whose lease ran out.
    stuck = OutboundEmail.objects.filter(
        Q(state=OutboxState.PENDING, send_after__lte=now)
        | Q(state=OutboxState.SENDING, lease_until__lt=now)
        | Q(state=OutboxState.SENDING)
    ).filter(
        Q(enqueued_at__isnull=True)
        | Q(enqueued_at__lt=now - REQUEUE_AFTER)
        | Q(state=OutboxState.SENDING)
    )
    for row in list(stuck):
        if row.state == OutboxState.SENDING and not (
            (row.lease_until and row.lease_until < timezone.now())
            or claimant_is_dead(row.claimed_by)
        ):
            continue  # a live worker is sending it
        if inline:
            deliver(row.pk)
        else:
            OutboundEmail.objects.filter(pk=row.pk).update(enqueued_at=now)
            enqueue(deliver_email, row.pk)
        report.emails += 1
    from django.apps import apps

    if not inline and apps.is_installed("calmdesk.channels"):
        try:  # inbound mail whose parse task died with its worker (channels/ingest.py)
            from calmdesk.channels.ingest import requeue_stalled

            report.inbound = requeue_stalled()  # wall-clock time: it judges live processes
        except Exception:
            logger.exception("inbound mail step of the tick failed")
    try:  # connector deliveries left behind by a crash, and note retries that are due
        from calmdesk.connectors.ingest import pending_count
        from calmdesk.connectors.tasks import process_pending_deliveries

        if inline:
            report.results["connector-deliveries"] = sum(process_pending_deliveries.call().values())
        elif pending_count():
            enqueue(process_pending_deliveries)
            report.results["connector-deliveries"] = 1
    except Exception:
        logger.exception("connector step of the tick failed")
    try:  # the weekly report emails (calmdesk.reports.weekly); a failure stops no other step
        from calmdesk.reports.weekly import tick_weekly

        report.results["weekly-reports"] = tick_weekly(now, inline=inline)
    except Exception:
        logger.exception("weekly report step of the tick failed")
    try:  # the report count tables: an incremental fill once an hour (calmdesk.reports.fill)
        from calmdesk.reports.fill import hourly_fill_isolated

        filled = hourly_fill_isolated(now)
        if filled is not None:
            report.results["reports-fill"] = sum(filled.days.values())
    except Exception:
        logger.exception("reports fill step of the tick failed")
    logger.info("%s", report)
    return report


def _survey_key_expr() -> Any:
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat

    return Concat(Value("survey:"), Cast(OuterRef("pk"), CharField()))
