"""Helpdesk connectors: accounts, the delivery ledger, and the links between the product's
tickets/users and the desk's cases/clients (issue 9).

A Delivery row holds the raw webhook body and is committed before anything is parsed: it
is the durable record of every webhook we accepted.  It then moves to ``mirrored`` (the
client message is in the desk, the note is not posted yet), ``done`` (the note was posted),
``ignored`` (an event calmdesk does not act on: our own notes, private notes, other
events), ``retrying`` (posting the note failed; another attempt is queued), ``post_failed``
(posting gave up after the last attempt; the message stays in the desk) or ``failed`` (the
payload could not be read; the error is kept and staff can reprocess it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.models import Case, Client, Interaction, Organization, Team


class Product(models.TextChoices):
    ZENDESK = "zendesk", "Zendesk"
    FRESHDESK = "freshdesk", "Freshdesk"
    ZAMMAD = "zammad", "Zammad"
    CHATWOOT = "chatwoot", "Chatwoot"


NOTE_LANGUAGES = [
    ("en", "English"),
    ("pl", "Polski"),
    ("sr", "Српски"),
    ("sr-latn", "Srpski"),
    ("he", "עברית"),
]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class ConnectorAccount(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="+", verbose_name=_("team")
    )
    product = models.CharField(_("product"), max_length=12, choices=Product.choices)
    name = models.CharField(_("name"), max_length=200)
    base_url = models.URLField(
        _("base URL"),
        max_length=300,
        help_text=_("The helpdesk's address, e.g. https://example.zendesk.com"),
    )
    # Stored as given; a secret store is future work (docs/connectors.md).
    api_user = models.CharField(
        _("API user"),
        max_length=254,
        blank=True,
        default="",
        help_text=_("Zendesk only: the agent email address the API token belongs to."),
    )
    api_token = models.CharField(_("API token"), max_length=500, blank=True, default="")
    webhook_secret = models.CharField(
        _("webhook secret"),
        max_length=500,
        blank=True,
        default="",
        help_text=_(
            "The signing secret or shared secret the helpdesk sends with each webhook "
            "(Chatwoot without signing: leave empty, the URL token is then the only secret)."
        ),
    )
    external_account_id = models.CharField(
        _("product account id"),
        max_length=50,
        blank=True,
        default="",
        help_text=_("Chatwoot only: the account id in the API path."),
    )
    language = models.CharField(
        _("language of the notes"), max_length=8, choices=NOTE_LANGUAGES, default="en"
    )
    allow_private_network = models.BooleanField(
        _("allow private network"),
        default=False,
        help_text=_(
            "Allow the base URL to resolve to a private or loopback address (a helpdesk "
            "on your own network). Link-local and metadata addresses stay refused."
        ),
    )
    receiver_secret_hash = models.CharField(
        _("receiver token (SHA-256)"), max_length=64, blank=True, default=""
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("connector account")
        verbose_name_plural = _("connector accounts")
        ordering = ["organization_id", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_product_display()})"

    def set_receiver_token(self) -> str:
        """A fresh URL token ``<id>.<secret>`` (returned once; only its hash is kept)."""
        secret = secrets.token_urlsafe(32)
        self.receiver_secret_hash = _hash(secret)
        self.save(update_fields=["receiver_secret_hash"])
        return f"{self.pk}.{secret}"

    def token_matches(self, secret: str) -> bool:
        if not self.receiver_secret_hash or not secret:
            return False
        return hmac.compare_digest(_hash(secret), self.receiver_secret_hash)


class DeliveryState(models.TextChoices):
    RECEIVED = "received", _("received")
    MIRRORED = "mirrored", _("mirrored, note pending")
    RETRYING = "retrying", _("note retrying")
    DONE = "done", _("done")
    IGNORED = "ignored", _("ignored")
    POST_FAILED = "post_failed", _("note failed")
    FAILED = "failed", _("failed")


class Delivery(models.Model):
    account = models.ForeignKey(
        ConnectorAccount,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("connector account"),
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    # "<kind>:<the product's event/message id>", else "sha:<SHA-256 of the body>".
    dedupe_key = models.CharField(_("dedupe key"), max_length=200)
    event_type = models.CharField(_("event type"), max_length=100, blank=True, default="")
    body = models.BinaryField(_("raw body"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=DeliveryState.choices, default=DeliveryState.RECEIVED
    )
    role = models.CharField(_("author role"), max_length=10, blank=True, default="")
    ticket_id = models.CharField(_("product ticket id"), max_length=100, blank=True, default="")
    error = models.TextField(_("error"), blank=True, default="")
    attempts = models.PositiveIntegerField(_("note attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
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
    note_text = models.TextField(_("note"), blank=True, default="")
    note_posted = models.BooleanField(_("note posted"), default=False)
    note_posted_at = models.DateTimeField(_("note posted at"), null=True, blank=True)
    note_ref = models.CharField(_("note id in the product"), max_length=100, blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "dedupe_key"], name="delivery_unique_key"),
        ]
        indexes = [models.Index(fields=["state", "received_at"], name="delivery_state")]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.pk} {self.state}"


class TicketLink(models.Model):
    """A product ticket/conversation and the desk case that mirrors it."""

    account = models.ForeignKey(ConnectorAccount, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=100)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "external_id"], name="ticketlink_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.external_id} → case {self.case_id}"


class ContactLink(models.Model):
    """A product user/contact and the desk client that stands for them."""

    account = models.ForeignKey(ConnectorAccount, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=100)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "external_id"], name="contactlink_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.external_id} → client {self.client_id}"
