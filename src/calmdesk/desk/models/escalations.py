"""Requests for backup and approvals: an agent asks, a supervisor answers.

Level 1 is the case team's supervisors; an unanswered request climbs to level 2 (the
organization's admins) at ``climb_at``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.models.cases import Case
from calmdesk.desk.models.organization import Organization

TOP_LEVEL = 2


class RequestKind(models.TextChoices):
    ADVICE = "advice", _("advice / backup")
    APPROVAL = "approval", _("approval of a decision")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("open")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    ANSWERED = "answered", _("answered")
    WITHDRAWN = "withdrawn", _("withdrawn")


class EscalationRequest(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="escalation_requests", verbose_name=_("case")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=RequestKind.choices)
    reason = models.TextField(_("reason"))
    decision_subject = models.CharField(_("decision asked for"), max_length=300, blank=True)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    climb_at = models.DateTimeField(_("climbs at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("escalation request")
        verbose_name_plural = _("escalation requests")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "climb_at"], name="escreq_status_climb")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} L{self.level} {self.status}"
