"""Outbound email: one builder with threading headers, one header-safe sender.

Every header value goes through :func:`header_safe`, which removes every character that a
mail header parser might treat as a line break (CR, LF, VT, FF, FS/GS/RS, NEL, U+2028,
U+2029) and other control characters, so no customer-controlled text (a subject, a name)
can add a header or a recipient (THREATS.md row 8; CPython's own checks were incomplete
before 3.11.15).

:func:`deliver` sends one :class:`~calmdesk.desk.models.OutboundEmail` at most once.  With
Django's SMTP backend it talks SMTP itself so that the ledger row is marked ``sent`` after
the whole message has been transmitted and just before the final ``.`` of DATA: a worker
killed before that point left nothing delivered (the server drops a DATA without its end),
and one killed after it has its row already marked sent.  With any other backend (locmem,
console, file) the row is marked sent after the backend returns.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

_BREAKS = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]+")


class MailError(Exception):
    pass


def header_safe(value: str, *, limit: int = 300) -> str:
    """One line: every control and line-separator character becomes a space."""
    return " ".join(_BREAKS.sub(" ", value or "").split())[:limit]


def address_safe(value: str) -> str:
    value = header_safe(value, limit=254)
    if not re.fullmatch(r"[^\s@<>,;\"()\[\]\\]+@[^\s@<>,;\"()\[\]\\]+", value):
        raise MailError(f"not a plain email address: {value!r}")
    return value


def new_message_id(key: str = "") -> str:
    domain = header_safe(getattr(settings, "CALMDESK_MAIL_DOMAIN", "") or "calmdesk.local")
    # Short enough that the header is never folded (a folded Message-ID reads back with
    # leading white space in some parsers).
    return make_msgid(idstring=re.sub(r"[^A-Za-z0-9.-]", "-", key)[:12] or None, domain=domain)


def build_message(
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    message_id: str,
    in_reply_to: str = "",
    references: str = "",
    from_email: str | None = None,
    extra_headers: dict[str, str] | None = None,
) -> EmailMessage:
    headers = {"Message-ID": header_safe(message_id, limit=250)}
    if in_reply_to:
        headers["In-Reply-To"] = header_safe(in_reply_to, limit=250)
    if references:
        headers["References"] = header_safe(references, limit=2000)
    headers["Auto-Submitted"] = "auto-generated"
    for name, value in (extra_headers or {}).items():
        headers[header_safe(name, limit=60)] = header_safe(value)
    return EmailMessage(
        subject=header_safe(subject),
        body=body,
        from_email=header_safe(from_email or settings.DEFAULT_FROM_EMAIL),
        to=[address_safe(a) for a in to],
        headers=headers,
    )


def worker_identity() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


def claimant_is_dead(claimed_by: str) -> bool:
    """True when the claim was made by a process on this host that no longer runs."""
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname()[:60] or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


LEASE = dt.timedelta(seconds=int(os.environ.get("CALMDESK_SEND_LEASE_SECONDS", "300")))


def _claim(row_id: int) -> Any:
    from calmdesk.desk.models import OutboundEmail, OutboxState

    now = timezone.now()
    with transaction.atomic():
        row = OutboundEmail.objects.select_for_update().filter(pk=row_id).first()
        if row is None or row.state in (OutboxState.SENT, OutboxState.CANCELLED):
            return None
        if row.state == OutboxState.FAILED:
            return None
        if row.state == OutboxState.SENDING:
            stale = (row.lease_until is not None and row.lease_until < now) or claimant_is_dead(
                row.claimed_by
            )
            if not stale:
                return None
        row.state = OutboxState.SENDING
        row.claimed_by = worker_identity()
        row.lease_until = now + LEASE
        row.attempts += 1
        row.save(update_fields=["state", "claimed_by", "lease_until", "attempts"])
    return row


def _mark_sent(row_id: int) -> None:
    from calmdesk.desk.models import OutboundEmail, OutboxState

    with transaction.atomic():
        OutboundEmail.objects.filter(pk=row_id).update(
            state=OutboxState.SENT, sent_at=timezone.now(), last_error=""
        )


def _mark_error(row_id: int, error: str, *, permanent: bool) -> None:
    from calmdesk.desk.models import OutboundEmail, OutboxState

    state = OutboxState.FAILED if permanent else OutboxState.PENDING
    OutboundEmail.objects.filter(pk=row_id, state=OutboxState.SENDING).update(
        state=state,
        last_error=error[:2000],
        lease_until=None,
        send_after=timezone.now() + dt.timedelta(minutes=5),
    )


def _is_django_smtp() -> bool:
    return bool(settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend")


def _smtp_two_phase(msg: EmailMessage, before_end: Callable[[], None]) -> None:
    """Send over SMTP; call ``before_end`` after the body and before the final dot."""
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or 30
    cls = smtplib.SMTP_SSL if getattr(settings, "EMAIL_USE_SSL", False) else smtplib.SMTP
    from django.core.mail.utils import DNS_NAME  # cached: getfqdn() once per process

    with cls(
        settings.EMAIL_HOST,
        settings.EMAIL_PORT,
        local_hostname=DNS_NAME.get_fqdn(),
        timeout=timeout,
    ) as smtp:
        if smtp.sock is not None:  # the body and the final dot are separate small writes
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        smtp.ehlo()
        if getattr(settings, "EMAIL_USE_TLS", False):
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.EMAIL_HOST_USER:
            smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
        raw = msg.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
        sender = msg.from_email
        code, resp = smtp.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, resp, sender)
        for rcpt in msg.recipients():
            code, resp = smtp.rcpt(rcpt)
            if code not in (250, 251):
                raise smtplib.SMTPRecipientsRefused({rcpt: (code, resp)})
        code, resp = smtp.docmd("data")
        if code != 354:
            raise smtplib.SMTPDataError(code, resp)
        body = smtplib._quote_periods(raw)  # type: ignore[attr-defined]
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        smtp.send(body)
        before_end()
        smtp.send(b".\r\n")
        code, resp = smtp.getreply()
        if code != 250:
            raise smtplib.SMTPDataError(code, resp)


def deliver(row_id: int) -> bool:
    """Send one outbox row unless it was sent already.  True when this call sent it."""
    row = _claim(row_id)
    if row is None:
        return False
    try:
        msg = build_message(
            to=row.to,
            subject=row.subject,
            body=row.body,
            message_id=row.message_id,
            in_reply_to=row.in_reply_to,
            references=row.references,
            extra_headers={"X-Calmdesk-Key": row.key},
        )
    except MailError as exc:
        _mark_error(row.pk, str(exc), permanent=True)
        return False
    marked = False

    def commit_sent() -> None:
        nonlocal marked
        _mark_sent(row.pk)
        marked = True

    try:
        if _is_django_smtp():
            _smtp_two_phase(msg, commit_sent)
        else:
            get_connection(fail_silently=False).send_messages([msg])
            commit_sent()
    except (smtplib.SMTPException, OSError) as exc:
        from calmdesk.desk.models import OutboundEmail, OutboxState

        error = f"{type(exc).__name__}: {exc}"
        explicit = isinstance(exc, smtplib.SMTPResponseException)
        if marked and not explicit:
            # The reply to the final dot was lost: the server may hold the message.  Never
            # risk a second copy; keep it as sent and record what happened.
            OutboundEmail.objects.filter(pk=row.pk).update(last_error=f"reply lost: {error}")
            return True
        if marked:
            # The server refused the finished message: it was not delivered.
            OutboundEmail.objects.filter(pk=row.pk).update(state=OutboxState.SENDING, sent_at=None)
        permanent = explicit and 500 <= exc.smtp_code < 600  # type: ignore[attr-defined]
        _mark_error(row.pk, error, permanent=permanent)
        return False
    return True
