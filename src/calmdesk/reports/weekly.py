"""The weekly report email: last week's team summary, with the full report as a PDF attached,
to each team lead who opted in (``ReportSubscription.weekly``).

When: from Monday 07:00 in the organization's time zone, the first sweeper tick
(``calmdesk.desk.tasks.tick``) sends the report of the ISO week that just ended.  Once per
week: ``ReportSubscription.last_sent_week`` is claimed (row lock, compare and set) before the
message is sent and put back if sending fails, so a retried or parallel tick never sends a
week twice (a worker killed between the claim and the send loses that week's email rather
than risk a second copy, like the outbound mail ledger).

What: the team and well-being reports the person may see (calmdesk.reports.access), built
for Monday–Sunday of that week, in the person's language.  No individual's figures and no
client text go by email (agent-level reports are left out; the scope has no text teams).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from calmdesk.desk.actions.notifications import email_language
from calmdesk.desk.lib.mail import (
    MailError,
    address_safe,
    build_message,
    header_safe,
    new_message_id,
)
from calmdesk.desk.models import Organization, User
from calmdesk.reports.access import check_filters, lead_teams, scope_for
from calmdesk.reports.export import display_cell, iso_week, to_pdf
from calmdesk.reports.models import ReportSubscription
from calmdesk.reports.registry import reports
from calmdesk.reports.types import ReportFilters, ReportResult

logger = logging.getLogger(__name__)

SEND_HOUR = 7  # local time on Monday
SUMMARY_ROWS = 5


@dataclass
class WeeklyRun:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    outcomes: dict[int, str] = field(default_factory=dict)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def week_due(now: dt.datetime, tz_name: str) -> tuple[str, dt.date, dt.date] | None:
    """The ISO week whose report is due at ``now`` (the week before the local one), with its
    Monday and Sunday; None on Monday before SEND_HOUR (last week's report waits)."""
    local = now.astimezone(_zone(tz_name))
    if local.weekday() == 0 and local.hour < SEND_HOUR:
        return None
    monday = local.date() - dt.timedelta(days=local.weekday() + 7)
    sunday = monday + dt.timedelta(days=6)
    return iso_week(monday), monday, sunday


def weekly_results(user: User, monday: dt.date, sunday: dt.date) -> list[ReportResult]:
    """The team and well-being reports ``user`` may see, for that week."""
    results: list[ReportResult] = []
    for definition in reports().values():
        if definition.audience == "agent" or scope_for(user, definition) is None:
            continue
        filters, scope = check_filters(user, definition, ReportFilters(monday, sunday))
        # no client text leaves the desk by email
        results.append(definition.build(filters, replace(scope, text_team_ids=())))
    return results


def summary_text(
    user: User, week: str, monday: dt.date, sunday: dt.date, results: list[ReportResult]
) -> tuple[str, str]:
    """(subject, body) in the active language."""
    subject = _("Weekly report %(week)s") % {"week": week}
    lines = [
        _("Hello %(name)s,") % {"name": user.get_full_name() or user.username},
        "",
        _("Here is the summary of the week %(week)s (%(start)s to %(end)s) for the teams you lead.")
        % {"week": week, "start": monday.isoformat(), "end": sunday.isoformat()},
        "",
    ]
    for result in results:
        lines.append(f"* {result.title}")
        if result.empty:
            lines.append("  " + _("No figures for this week."))
        for table in result.tables[:1]:
            for row in table.rows[:SUMMARY_ROWS]:
                cells = [
                    f"{col.title}: {display_cell(value, col)}"
                    for col, value in zip(table.columns, row, strict=False)
                    if col.kind != "link"
                ]
                lines.append("  - " + "; ".join(cells))
            if len(table.rows) > SUMMARY_ROWS:
                lines.append(
                    "  "
                    + _("… and %(n)s more rows in the PDF.") % {"n": len(table.rows) - SUMMARY_ROWS}
                )
        lines.append("")
    lines.append(_("The full report is attached as a PDF."))
    base = str(getattr(settings, "CALMDESK_BASE_URL", "") or "").rstrip("/")
    if base:
        lines.append(_("All reports: %(url)s") % {"url": f"{base}/reports/"})
    lines.append(_("To stop these emails: %(url)s") % {"url": f"{base}/reports/subscription/"})
    return subject, "\n".join(lines) + "\n"


def _claim(sub_id: int, week: str) -> str | None:
    """Mark ``week`` as sent for the subscription; the previous value, or None when another
    run has it already."""
    with transaction.atomic():
        sub = ReportSubscription.objects.select_for_update().filter(pk=sub_id).first()
        if sub is None or not sub.weekly or sub.last_sent_week >= week:
            return None
        previous = sub.last_sent_week
        sub.last_sent_week = week
        sub.save(update_fields=["last_sent_week"])
    return previous


def _unclaim(sub_id: int, week: str, previous: str) -> None:
    ReportSubscription.objects.filter(pk=sub_id, last_sent_week=week).update(
        last_sent_week=previous
    )


def _permanent(exc: Exception) -> bool:
    """A 5xx answer (to the message or to every recipient): retrying will not help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return bool(codes) and all(500 <= c < 600 for c in codes)
    code = getattr(exc, "smtp_code", 0)
    return 500 <= int(code) < 600


def send_one(sub: ReportSubscription, now: dt.datetime) -> str:
    user = sub.user
    if not user.is_active or user.organization_id is None:
        return "inactive"
    if not user.email:
        return "no-address"
    try:
        address_safe(user.email)
    except MailError:
        return "bad-address"  # checked before anything is built: no PDF every minute
    if not lead_teams(user).exists():
        return "not-a-lead"
    org = Organization.objects.get(pk=user.organization_id)
    due = week_due(now, org.timezone)
    if due is None:
        return "not-yet"
    week, monday, sunday = due
    if sub.last_sent_week >= week:
        return "already-sent"
    previous = _claim(sub.pk, week)
    if previous is None:
        return "already-sent"
    try:
        language = email_language(user.preferred_language)
        with translation.override(language):
            results = weekly_results(user, monday, sunday)
            subject, body = summary_text(user, week, monday, sunday, results)
            pdf = to_pdf(results, title=subject)
        message = build_message(
            to=[user.email],
            subject=subject,
            body=body,
            message_id=new_message_id(f"weekly-{week}"),
            extra_headers={"X-Calmdesk-Key": header_safe(f"reports-weekly:{user.pk}:{week}")},
        )
        message.attach(f"calmdesk-weekly-{week}.pdf", pdf, "application/pdf")
        get_connection(fail_silently=False).send_messages([message])
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:
        if _permanent(exc):
            # refused for good: keep the week claimed (no retry every minute), log it
            logger.error("weekly report %s for user %s refused: %s", week, user.pk, exc)
            return "refused"
        _unclaim(sub.pk, week, previous)
        raise
    except Exception:
        _unclaim(sub.pk, week, previous)  # the next tick tries again
        raise
    return "sent"


def send_weekly(now: dt.datetime | None = None) -> WeeklyRun:
    """Send every due weekly report; one person's failure does not stop the others."""
    now = now or timezone.now()
    run = WeeklyRun()
    subs = (
        ReportSubscription.objects.filter(weekly=True, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    for sub in subs:
        try:
            outcome = send_one(sub, now)
        except Exception:
            logger.exception("weekly report for user %s failed", sub.user_id)
            run.failed += 1
            run.outcomes[sub.user_id] = "failed"
            continue
        run.outcomes[sub.user_id] = outcome
        if outcome == "sent":
            run.sent += 1
        else:
            run.skipped += 1
    return run


def any_due(now: dt.datetime) -> bool:
    """Cheap check for the sweeper: is a weekly report waiting for anyone?"""
    zones: dict[int, str] = {}
    for sub in ReportSubscription.objects.filter(weekly=True, user__is_active=True).select_related(
        "user"
    ):
        org_id = sub.user.organization_id
        if org_id is None:
            continue
        if org_id not in zones:
            org = Organization.objects.filter(pk=org_id).only("timezone").first()
            zones[org_id] = org.timezone if org else "UTC"
        due = week_due(now, zones[org_id])
        if due is not None and sub.last_sent_week < due[0]:
            return True
    return False


@task()
def send_weekly_reports(now_iso: str = "") -> int:
    """The worker's job; ``now_iso``: the tick's clock (tests drive time through it)."""
    now = dt.datetime.fromisoformat(now_iso) if now_iso else None
    return send_weekly(now).sent


def tick_weekly(now: dt.datetime, *, inline: bool = False) -> int:
    """The sweeper's step: send (inline) or enqueue the weekly reports when one is due."""
    if inline:
        return send_weekly(now).sent
    if any_due(now):
        send_weekly_reports.enqueue(now.isoformat())
        return 1
    return 0


def describe(run: WeeklyRun) -> dict[str, Any]:
    return {"sent": run.sent, "skipped": run.skipped, "failed": run.failed}
