"""In-app notifications and queued emails: the helpers every workflow action uses, and the
one user-facing write (marking a notification read).

``notify`` and ``queue_email`` are idempotent on their key: a replayed job finds the row it
already made.  Emails are delivered after the surrounding transaction commits (a worker task
is enqueued; crisis alerts are also delivered at once, in-process, see actions/crisis.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from django.db import transaction
from django.template import Context, Engine
from django.utils import timezone

from calmdesk.desk.actions.log import write_audit
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.mail import header_safe, new_message_id
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.models import (
    LEAD_ROLES,
    Case,
    Membership,
    Notification,
    OutboundEmail,
    Role,
    User,
)

EMAIL_LANGUAGES = ("en", "pl", "sr", "sr-latn", "he")
_TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "desk" / "email"
_ENGINE = Engine(dirs=[str(_TEMPLATE_DIR)], autoescape=False)


def email_language(*candidates: str | None) -> str:
    for code in candidates:
        code = (code or "").lower()
        if code in EMAIL_LANGUAGES:
            return code
        if code in ("hr", "bs"):
            return "sr-latn"
    return "en"


def render_email(kind: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) from ``templates/desk/email/<language>/<kind>.txt``.  The template's
    first line is ``Subject: …``; the body follows a blank line.  Plain text, no escaping:
    the text is never rendered as HTML."""
    lang = email_language(language)
    if not (_TEMPLATE_DIR / lang / f"{kind}.txt").is_file():
        lang = "en"  # staff-only messages exist in English for now
    template = _ENGINE.get_template(f"{lang}/{kind}.txt")
    rendered = template.render(Context(context, autoescape=False))
    head, _, body = rendered.lstrip().partition("\n")
    if not head.startswith("Subject:"):
        raise RuntimeError(f"email template {lang}/{kind}.txt has no Subject line")
    return header_safe(head[len("Subject:") :]), body.strip() + "\n"


def supervisors_on_duty(case: Case) -> list[User]:
    """Who is alerted for a case: the active supervisors of its team; when the team has none,
    the organization's admins.  (There is no shift roster yet: every supervisor of the team
    counts as on duty.)"""
    sup = User.objects.filter(
        is_active=True,
        organization_id=case.organization_id,
        memberships__team_id=case.team_id,
        memberships__role=Role.SUPERVISOR,
    ).distinct()
    people = list(sup.order_by("id"))
    if not people:
        people = list(
            User.objects.filter(
                is_active=True,
                organization_id=case.organization_id,
                memberships__role=Role.ADMIN,
                memberships__team__organization_id=case.organization_id,
            )
            .distinct()
            .order_by("id")
        )
    return people


def org_admins(organization_id: int) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            organization_id=organization_id,
            memberships__role=Role.ADMIN,
        )
        .distinct()
        .order_by("id")
    )


def is_lead_of(user: User, case: Case) -> bool:
    return (
        Membership.objects.filter(
            user=user, team__organization_id=case.organization_id, role=Role.ADMIN
        ).exists()
        or Membership.objects.filter(
            user=user, team_id=case.team_id, role__in=list(LEAD_ROLES)
        ).exists()
    )


def notify(
    user: User,
    *,
    kind: str,
    key: str,
    text: str,
    case: Case | None = None,
    data: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> tuple[Notification, bool]:
    org_id = user.organization_id or (case.organization_id if case else None)
    assert org_id is not None, "notifications belong to an organization"
    return Notification.objects.get_or_create(
        user=user,
        key=key[:200],
        defaults={
            "organization_id": org_id,
            "kind": kind,
            "case": case,
            "text": text[:5000],
            "data": data or {},
            "created_at": now or timezone.now(),
        },
    )


def queue_email(
    *,
    organization_id: int,
    key: str,
    kind: str,
    to: Sequence[str],
    subject: str,
    body: str,
    case: Case | None = None,
    language: str = "",
    send_after: dt.datetime | None = None,
    in_reply_to: str = "",
    references: str = "",
    message_id: str = "",
    enqueue: bool = True,
) -> tuple[OutboundEmail, bool]:
    """Queue an email once per ``key``; a worker task is enqueued after commit."""
    recipients = [a for a in to if a]
    row, created = OutboundEmail.objects.get_or_create(
        key=key[:200],
        defaults={
            "organization_id": organization_id,
            "kind": kind,
            "case": case,
            "to": recipients,
            "subject": header_safe(subject),
            "body": body,
            "language": language,
            "send_after": send_after or timezone.now(),
            "in_reply_to": header_safe(in_reply_to, limit=250),
            "references": header_safe(references, limit=2000),
            "message_id": message_id or new_message_id(key),
        },
    )
    if created and enqueue and recipients:
        row_id, when = row.pk, row.send_after
        transaction.on_commit(lambda: enqueue_delivery(row_id, when))
    return row, created


def enqueue_delivery(row_id: int, when: dt.datetime | None = None) -> None:
    from calmdesk.desk import tasks

    tasks.enqueue(tasks.deliver_email, row_id, run_after=when)


def user_emails(users: Iterable[User]) -> list[str]:
    return [u.email for u in users if u.email]


@transaction.atomic
def do_mark_notification_read(
    actor: User, notification: Notification, *, meta: RequestMeta | None = None
) -> Notification:
    if notification.user_id != actor.pk:
        raise ActionError("Not your notification.", code="forbidden", status=403)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    write_audit(
        actor=actor,
        organization=notification.organization_id,
        action="notification.read",
        obj=notification,
        data={"kind": notification.kind},
        meta=meta,
    )
    return notification
