"""Crisis incidents: a message with a possible threat of violence or self-harm.

The incident is opened inline, in the same transaction that stores the message.  Its
protocol steps are copied from the protocol file in force at that moment, so later edits
to the protocol do not rewrite history.  A case with a crisis cannot be resolved or closed
until its incident is completed (every required step done, by whom, when).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.models.cases import Case
from calmdesk.desk.models.interactions import Interaction
from calmdesk.desk.models.organization import Organization


class CrisisKind(models.TextChoices):
    SELF_HARM = "self_harm", _("self-harm")
    VIOLENCE = "violence", _("threat of violence")


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("open")
    COMPLETED = "completed", _("completed")


class CrisisIncident(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="crisis_incidents", verbose_name=_("case")
    )
    interaction = models.OneToOneField(
        Interaction,
        on_delete=models.PROTECT,
        related_name="crisis_incident",
        verbose_name=_("message"),
    )
    kinds = models.JSONField(_("kinds"), default=list)
    severity = models.CharField(_("severity"), max_length=10)
    signals = models.JSONField(_("signals"), default=list)
    engine_version = models.CharField(_("engine version"), max_length=100, blank=True)
    protocol = models.JSONField(_("protocol as applied"), default=dict)
    steps = models.JSONField(_("steps"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    alerted = models.JSONField(_("alerted users"), default=list)
    detected_at = models.DateTimeField(_("detected at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )
    summary = models.TextField(_("summary"), blank=True, default="")

    class Meta:
        verbose_name = _("crisis incident")
        verbose_name_plural = _("crisis incidents")
        ordering = ["-detected_at"]

    def __str__(self) -> str:
        return f"{self.case_id} {'/'.join(self.kinds)} {self.status}"
