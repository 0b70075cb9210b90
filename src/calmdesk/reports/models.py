"""Tables of the reports app.

``ReportSubscription`` is a manager's opt-in to the weekly report email.  The count tables and
their fill state live here too (see docs/reports.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReportSubscription(models.Model):
    """A user's opt-in to the weekly report email (never on by default)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_subscription",
        verbose_name=_("user"),
    )
    weekly = models.BooleanField(_("weekly report by email"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # ISO week ("2026-W47") of the last weekly report sent: a retried send never sends twice.
    last_sent_week = models.CharField(_("last week sent"), max_length=8, blank=True, default="")

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")

    def __str__(self) -> str:
        return f"{self.user_id} weekly={self.weekly}"
