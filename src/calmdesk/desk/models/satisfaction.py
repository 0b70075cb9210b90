"""The satisfaction check sent some hours after a case is resolved."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.models.cases import Case
from calmdesk.desk.models.organization import Organization

UNHAPPY_AT_OR_BELOW = 2


class SatisfactionSurvey(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="surveys", verbose_name=_("case")
    )
    # One survey per resolution: a reopened and re-resolved case gets a new one.
    round = models.PositiveIntegerField(_("round"), default=1)
    nonce = models.CharField(_("nonce"), max_length=32, unique=True)
    send_after = models.DateTimeField(_("send after"))
    expires_at = models.DateTimeField(_("expires at"))
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    rating = models.PositiveSmallIntegerField(_("rating (1-5)"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, default="")
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.UniqueConstraint(fields=["case", "round"], name="survey_unique_round")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.round} {self.rating}"
