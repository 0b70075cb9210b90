"""In-app notifications and the outbound email ledger (outbox).

Every email the workflow sends is first written here with a unique ``key`` (the logical
event: "followup:12:reminder"), so a replayed job finds the row it already made.  Delivery
claims the row in a committed transaction (``state=sending``) before talking to the mail
server and marks it ``sent`` just before the end of the SMTP DATA command (see lib/mail.py),
so a worker killed at any point either left the message unsent (and it is sent again) or
sent (and never again).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.models.cases import Case
from calmdesk.desk.models.organization import Organization


class NotificationKind(models.TextChoices):
    CRISIS = "crisis", _("crisis signal")
    REMINDER = "reminder", _("promise due soon")
    OVERDUE = "overdue", _("promise overdue")
    PROGRESS = "progress", _("progress update due")
    ESCALATION = "escalation", _("backup requested")
    DECISION = "decision", _("decision on your request")
    TRANSFER = "transfer", _("transfer warning")
    PING_PONG = "ping_pong", _("case passed back and forth")
    UNHAPPY = "unhappy", _("client not satisfied")
    WELLBEING = "wellbeing", _("take a break")


class Notification(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("case"),
    )
    text = models.TextField(_("text"))
    data = models.JSONField(_("data"), default=dict, blank=True)
    key = models.CharField(_("key"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"


class OutboxState(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


class OutboundEmail(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    key = models.CharField(_("key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=30)
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbound_emails",
        verbose_name=_("case"),
    )
    to = models.JSONField(_("recipients"), default=list)
    subject = models.CharField(_("subject"), max_length=400)
    body = models.TextField(_("body"))
    message_id = models.CharField(_("Message-ID"), max_length=250, unique=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=250, blank=True, default="")
    references = models.TextField(_("References"), blank=True, default="")
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    state = models.CharField(
        _("state"), max_length=12, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    send_after = models.DateTimeField(_("send after"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    claimed_by = models.CharField(_("claimed by"), max_length=100, blank=True, default="")
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    enqueued_at = models.DateTimeField(_("enqueued at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        ordering = ["send_after", "id"]
        indexes = [models.Index(fields=["state", "send_after"], name="outbox_state_due")]

    def __str__(self) -> str:
        return self.key
