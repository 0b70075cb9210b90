"""Cases: one difficult situation of one client, worked by a team."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.lib.tokens import new_case_reference
from calmdesk.desk.models.clients import Client
from calmdesk.desk.models.organization import Organization, Team


class RootCause(models.Model):
    """One entry of the root-cause taxonomy.  ``organization`` empty = the shipped default."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="root_causes",
        verbose_name=_("organization"),
    )
    code = models.SlugField(_("code"), max_length=50)
    label = models.CharField(_("label"), max_length=200)

    class Meta:
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "code"], name="rootcause_unique_code_per_org"
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(organization__isnull=True),
                name="rootcause_unique_default_code",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Channel(models.TextChoices):
    EMAIL = "email", _("email")
    PHONE = "phone", _("phone")
    IN_PERSON = "in_person", _("in person")
    WEB = "web", _("web form")
    CHAT = "chat", _("chat")
    LETTER = "letter", _("letter")
    OTHER = "other", _("other")


class Status(models.TextChoices):
    NEW = "new", _("new")
    OPEN = "open", _("open")
    WAITING_ON_CLIENT = "waiting_on_client", _("waiting on client")
    WAITING_ON_US = "waiting_on_us", _("waiting on us")
    ESCALATED = "escalated", _("escalated")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")


_WORKING = {Status.OPEN, Status.WAITING_ON_CLIENT, Status.WAITING_ON_US}

# The lifecycle: which status may follow which.  Nothing returns to "new"; an escalation is
# resolved before the case is closed; resolved and closed cases are reopened to "open".
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(_WORKING | {Status.ESCALATED, Status.RESOLVED, Status.CLOSED}),
    Status.OPEN: frozenset(
        {
            Status.WAITING_ON_CLIENT,
            Status.WAITING_ON_US,
            Status.ESCALATED,
            Status.RESOLVED,
            Status.CLOSED,
        }
    ),
    Status.WAITING_ON_CLIENT: frozenset(
        {Status.OPEN, Status.WAITING_ON_US, Status.ESCALATED, Status.RESOLVED, Status.CLOSED}
    ),
    Status.WAITING_ON_US: frozenset(
        {Status.OPEN, Status.WAITING_ON_CLIENT, Status.ESCALATED, Status.RESOLVED, Status.CLOSED}
    ),
    Status.ESCALATED: frozenset(_WORKING | {Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.OPEN}),
    Status.CLOSED: frozenset({Status.OPEN}),
}


class Priority(models.TextChoices):
    LOW = "low", _("low")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    URGENT = "urgent", _("urgent")


class Case(models.Model):
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("organization"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="cases", verbose_name=_("team")
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="cases", verbose_name=_("client")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=300)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    expected = models.TextField(_("what the client expected"), blank=True, default="")
    received = models.TextField(_("what the client received"), blank=True, default="")
    agreed_possible = models.TextField(_("agreed as possible"), blank=True, default="")
    agreed_not_possible = models.TextField(_("agreed as not possible"), blank=True, default="")
    root_cause = models.ForeignKey(
        RootCause,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("root cause"),
    )
    reference = models.CharField(
        _("reference"), max_length=16, unique=True, default=new_case_reference
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Workflow (desk/actions/crisis.py, transfers.py, followups.py):
    crisis_level = models.CharField(
        _("crisis level"), max_length=10, blank=True, default="", db_index=True
    )
    crisis_at = models.DateTimeField(_("crisis detected at"), null=True, blank=True)
    transfer_count = models.PositiveIntegerField(_("transfers"), default=0)
    progress_update_days = models.PositiveSmallIntegerField(
        _("update the client every N working days"), null=True, blank=True
    )
    next_update_due_at = models.DateTimeField(_("next progress update due"), null=True, blank=True)
    last_client_update_at = models.DateTimeField(
        _("last update to the client"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["organization", "team", "status"], name="case_org_team_status"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"


class CaseShare(models.Model):
    """A supervisor shares one case with a mentor (read-only)."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="shares", verbose_name=_("case")
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="shared_cases",
        verbose_name=_("mentor"),
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("shared by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("case share")
        verbose_name_plural = _("case shares")
        constraints = [models.UniqueConstraint(fields=["case", "mentor"], name="caseshare_unique")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.mentor_id}"
