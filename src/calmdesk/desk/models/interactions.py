"""The interaction log: every message, reply, note and system event of a case.

Append-only: database triggers refuse UPDATE and DELETE (see lib/append_only.py), and each
row carries a hash chained to the previous row of its case (see lib/hashchain.py).  A
correction is a new row whose ``corrects`` points at the row it corrects.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.models.cases import Case, Channel
from calmdesk.desk.models.organization import Organization


class Kind(models.TextChoices):
    INBOUND = "inbound", _("message from the client")
    OUTBOUND = "outbound", _("reply to the client")
    CALL_NOTE = "call_note", _("phone call note")
    MEETING_NOTE = "meeting_note", _("meeting note")
    INTERNAL_NOTE = "internal_note", _("internal note")
    SYSTEM_EVENT = "system_event", _("system event")


NOTE_KINDS = (Kind.CALL_NOTE, Kind.MEETING_NOTE, Kind.INTERNAL_NOTE)


class Interaction(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="interactions", verbose_name=_("case")
    )
    seq = models.PositiveIntegerField(_("sequence number"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    text = models.TextField(_("text"), blank=True, default="")
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    event_type = models.CharField(_("event type"), max_length=30, blank=True, default="")
    data = models.JSONField(_("data"), default=dict, blank=True)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    # Set by the sender of a write (API header Idempotency-Key, an email's Message-ID): a
    # replayed request finds the entry it already made instead of logging it twice.
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, blank=True, default="")
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["case_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="interaction_unique_seq"),
            models.UniqueConstraint(
                fields=["case", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="interaction_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.kind}"


class Attachment(models.Model):
    id = models.CharField(primary_key=True, max_length=32, editable=False)
    interaction = models.ForeignKey(
        Interaction,
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("interaction"),
    )
    file = models.FileField(_("file"), max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type (as received)"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename
