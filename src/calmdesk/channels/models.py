"""Inbound email: mailboxes and the raw-message ledger (two-phase ingestion, issue 9).

A RawMessage row is written (with its bytes on disk) before anything is parsed: that is the
durable record of every mail we accepted.  Parsing then moves it to ``parsed`` (an inbound
interaction was logged), ``ignored`` (an auto-reply or bounce, kept) or ``quarantined`` (could
not be read; the error is stored and staff can reprocess it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.models import Case, Interaction, Organization, Team


def new_inbound_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Mailbox(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="+", verbose_name=_("team")
    )
    name = models.CharField(_("name"), max_length=200)
    imap_host = models.CharField(_("IMAP host"), max_length=253, blank=True, default="")
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_user = models.CharField(_("IMAP user"), max_length=254, blank=True, default="")
    # Stored as given; a secret store is future work (docs/channels.md).
    imap_password = models.CharField(_("IMAP password"), max_length=500, blank=True, default="")
    imap_folder = models.CharField(_("IMAP folder"), max_length=200, default="INBOX")
    imap_ssl = models.BooleanField(_("IMAP over TLS"), default=True)
    addresses = models.JSONField(
        _("addresses"),
        default=list,
        blank=True,
        help_text=_("Addresses this mailbox receives for."),
    )
    # The HTTP endpoint's secret, kept only as its SHA-256 (shown once when set).
    inbound_secret_hash = models.CharField(
        _("inbound secret (SHA-256)"), max_length=64, blank=True, default=""
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    last_poll_at = models.DateTimeField(_("last poll"), null=True, blank=True)
    last_poll_error = models.TextField(_("last poll error"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["organization_id", "name"]

    def __str__(self) -> str:
        return self.name

    def set_inbound_secret(self) -> str:
        """A fresh HTTP token ``<id>.<secret>`` (returned once; only the hash is kept)."""
        secret = new_inbound_secret()
        self.inbound_secret_hash = hash_secret(secret)
        self.save(update_fields=["inbound_secret_hash"])
        return f"{self.pk}.{secret}"

    def secret_matches(self, secret: str) -> bool:
        if not self.inbound_secret_hash:
            return False
        return hmac.compare_digest(hash_secret(secret), self.inbound_secret_hash)


class Source(models.TextChoices):
    IMAP = "imap", _("IMAP")
    UPLOAD = "upload", _("upload")
    HTTP = "http", _("HTTP")


class RawState(models.TextChoices):
    STORED = "stored", _("stored")
    PARSED = "parsed", _("parsed")
    QUARANTINED = "quarantined", _("quarantined")
    IGNORED = "ignored", _("ignored")


class RawMessage(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    mailbox = models.ForeignKey(
        Mailbox,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="raw_messages",
        verbose_name=_("mailbox"),
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    message_id = models.CharField(_("Message-ID"), max_length=250, blank=True, default="")
    # The dedupe key: "mid:<Message-ID>" when there is one, else "sha:<content hash>".
    dedupe_key = models.CharField(_("dedupe key"), max_length=260)
    file = models.CharField(_("file"), max_length=300)  # relative to MEDIA_ROOT
    size = models.PositiveIntegerField(_("size"))
    state = models.CharField(
        _("state"), max_length=12, choices=RawState.choices, default=RawState.STORED
    )
    error = models.TextField(_("error"), blank=True, default="")
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    interaction = models.ForeignKey(
        Interaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("interaction"),
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )
    crisis_flagged = models.BooleanField(_("crisis flagged"), default=False)
    spoof_flagged = models.BooleanField(_("spoofing flagged"), default=False)
    attempts = models.PositiveIntegerField(_("parse attempts"), default=0)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("raw message")
        verbose_name_plural = _("raw messages")
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "sha256"], name="rawmessage_unique_sha256"
            ),
            models.UniqueConstraint(
                fields=["organization", "dedupe_key"], name="rawmessage_unique_dedupe"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "received_at"], name="rawmessage_state"),
            models.Index(fields=["organization", "message_id"], name="rawmessage_msgid"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.pk} {self.state}"
