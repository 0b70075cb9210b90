"""Promises made to a client (follow-ups) and the team's workflow settings.

``due_at`` and ``remind_at`` are stored in UTC.  A follow-up given as a local date and
time is converted in the owner's time zone with the rule in lib/business_time.py (a
non-existent local time moves forward by the gap; an ambiguous one means its first
occurrence).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.models.cases import Case
from calmdesk.desk.models.interactions import Interaction
from calmdesk.desk.models.organization import Organization, Team


class FollowUpSource(models.TextChoices):
    EXTRACTED = "extracted", _("found in a reply")
    MANUAL = "manual", _("added by hand")


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("open")
    KEPT = "kept", _("kept")
    MISSED = "missed", _("missed")
    CANCELLED = "cancelled", _("cancelled")


class FollowUp(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="followups", verbose_name=_("case")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="followups",
        verbose_name=_("owner"),
    )
    action = models.TextField(_("what was promised"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    due_text = models.CharField(_("due as said"), max_length=200, blank=True, default="")
    vague = models.BooleanField(_("vague"), default=False)
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=FollowUpSource.choices)
    source_interaction = models.ForeignKey(
        Interaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promises",
        verbose_name=_("made in"),
    )
    span_start = models.IntegerField(_("span start"), null=True, blank=True)
    span_end = models.IntegerField(_("span end"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    kept_by_interaction = models.ForeignKey(
        Interaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="kept_promises",
        verbose_name=_("kept by"),
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    enqueued_at = models.DateTimeField(_("re-enqueued by tick at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"], name="followup_status_due")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.action[:40]}"


class TeamWorkflow(models.Model):
    """Per-team knobs of the workflow (defaults apply when a team has no row)."""

    team = models.OneToOneField(
        Team, on_delete=models.CASCADE, related_name="workflow", verbose_name=_("team")
    )
    progress_update_days = models.PositiveSmallIntegerField(
        _("update the client every N working days"), default=3
    )
    update_hour = models.PositiveSmallIntegerField(_("local hour for update reminders"), default=9)
    remind_before_minutes = models.PositiveIntegerField(_("remind before due (min)"), default=60)
    overdue_grace_minutes = models.PositiveIntegerField(_("overdue after (min)"), default=0)
    escalation_climb_minutes = models.PositiveIntegerField(
        _("unanswered request climbs after (min)"), default=60
    )
    satisfaction_delay_hours = models.PositiveIntegerField(
        _("satisfaction check after (hours)"), default=4
    )
    satisfaction_valid_days = models.PositiveIntegerField(_("rating link valid (days)"), default=14)
    approval_limit = models.DecimalField(
        _("refunds above this need approval"), max_digits=12, decimal_places=2, default=100
    )

    class Meta:
        verbose_name = _("team workflow settings")
        verbose_name_plural = _("team workflow settings")

    def __str__(self) -> str:
        return f"workflow of {self.team_id}"
