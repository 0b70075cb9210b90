"""What the agent workspace stores of its own: saved inbox views and dismissed coach findings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.models.cases import Case
from calmdesk.desk.models.organization import Organization


class SavedView(models.Model):
    """A named inbox filter of one user (the query string of the inbox, normalised)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_views",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("query"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="desk_savedview_user_name")
        ]

    def __str__(self) -> str:
        return self.name


class FindingDismissal(models.Model):
    """An agent dismissed a coach finding on a draft (for coaching reports and rule tuning).
    Keeps the rule, the marked words and the optional reason, never the whole draft."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="finding_dismissals", verbose_name=_("case")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="finding_dismissals",
        verbose_name=_("user"),
    )
    rule_id = models.CharField(_("rule"), max_length=200)
    principle = models.PositiveSmallIntegerField(_("principle"), default=0)
    level = models.CharField(_("level"), max_length=20, blank=True, default="")
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    span_text = models.CharField(_("marked words"), max_length=300, blank=True, default="")
    reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("dismissed finding")
        verbose_name_plural = _("dismissed findings")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "rule_id"])]

    def __str__(self) -> str:
        return f"{self.rule_id} ({self.case_id})"
