"""The well-being loop: after a crisis, abusive or very intense interaction the agent is
offered a break and a short self-debrief.  Answers are private to the agent (and the
mentor only if the agent asks for a debrief); team leads see opt-in aggregates only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.models.cases import Case
from calmdesk.desk.models.organization import Organization


class CheckInReason(models.TextChoices):
    CRISIS = "crisis", _("crisis message")
    ABUSE = "abuse", _("abusive message")
    INTENSE = "intense", _("very intense conversation")
    SELF = "self", _("asked for it")


class WellbeingCheckIn(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="wellbeing_checkins",
        verbose_name=_("user"),
    )
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=10, choices=CheckInReason.choices)
    offered_at = models.DateTimeField(_("offered at"), default=timezone.now)
    break_minutes = models.PositiveSmallIntegerField(_("break taken (min)"), null=True, blank=True)
    # The three-question self-debrief: how it felt (1-5), what went well, what to change.
    feeling = models.PositiveSmallIntegerField(_("how do you feel (1-5)"), null=True, blank=True)
    went_well = models.TextField(_("what went well"), blank=True, default="")
    next_time = models.TextField(_("what I would change"), blank=True, default="")
    wants_mentor_debrief = models.BooleanField(_("wants a debrief with the mentor"), default=False)
    share_in_aggregates = models.BooleanField(_("count me in team figures"), default=False)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("well-being check-in")
        verbose_name_plural = _("well-being check-ins")
        ordering = ["-offered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "case", "reason"], name="wellbeing_unique_offer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.reason}"
