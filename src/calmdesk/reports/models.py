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


# --- count tables and their sources (helper R1; see docs/reports.md) -------------------------


class MessageFact(models.Model):
    """What the engine read in one client message (one row per analysed interaction).

    Scores only, never the text: the text stays in the interaction log."""

    interaction = models.OneToOneField(
        "desk.Interaction", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    organization = models.ForeignKey(
        "desk.Organization", on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey("desk.Case", on_delete=models.CASCADE, related_name="+")
    team_id = models.IntegerField()
    engine_version = models.CharField(max_length=20)
    occurred_at = models.DateTimeField()
    channel = models.CharField(max_length=20)
    language = models.CharField(max_length=10, blank=True, default="")
    sentiment = models.FloatField(default=0.0)  # -1 .. 1
    negative = models.BooleanField(default=False)
    anger = models.FloatField(default=0.0)
    frustration = models.FloatField(default=0.0)
    intensity = models.FloatField(default=0.0)
    escalation = models.PositiveSmallIntegerField(default=0)  # 0 low, 1 medium, 2 high, 3 critical
    hostility = models.BooleanField(default=False)
    complaint = models.BooleanField(default=False)
    crisis = models.BooleanField(default=False)
    root_cause = models.CharField(max_length=50, blank=True, default="")  # engine's best guess
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "occurred_at"], name="rep_fact_org_time"),
            models.Index(fields=["case", "occurred_at"], name="rep_fact_case_time"),
            models.Index(fields=["created_at"], name="rep_fact_created"),
        ]

    def __str__(self) -> str:
        return f"fact {self.interaction_id}"


class ReplyFact(models.Model):
    """The coach's findings still present in one sent reply, and the findings whose suggestion
    the agent applied before sending (rule ids only, no text)."""

    interaction = models.OneToOneField(
        "desk.Interaction", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    organization = models.ForeignKey(
        "desk.Organization", on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey("desk.Case", on_delete=models.CASCADE, related_name="+")
    team_id = models.IntegerField()
    author_id = models.IntegerField(default=0)
    engine_version = models.CharField(max_length=20)
    occurred_at = models.DateTimeField()
    channel = models.CharField(max_length=20)
    language = models.CharField(max_length=10, blank=True, default="")
    rules = models.JSONField(default=list, blank=True)  # ["en.blame.not-our-fault", ...]
    # rule ids whose suggestion the agent applied in the composer (Interaction.data)
    applied = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "occurred_at"], name="rep_reply_org_time"),
            models.Index(fields=["created_at"], name="rep_reply_created"),
        ]

    def __str__(self) -> str:
        return f"reply fact {self.interaction_id}"


class DailyCount(models.Model):
    """One count of one stat for one local day and one combination of dimensions.

    ``team_id``/``agent_id`` 0 = none; ``tag`` "" = the row over all tags (rows with a tag
    repeat the figures of the cases carrying that tag); ``key`` is the stat's own dimension
    (root cause, rule family, outcome, ...).  ``n`` counts, ``value`` sums (e.g. seconds), and
    ``example`` is one case id of the group (the newest)."""

    organization = models.ForeignKey(
        "desk.Organization", on_delete=models.CASCADE, related_name="+"
    )
    stat = models.CharField(max_length=40)
    day = models.DateField()
    team_id = models.IntegerField(default=0)
    agent_id = models.IntegerField(default=0)
    channel = models.CharField(max_length=20, blank=True, default="")
    language = models.CharField(max_length=10, blank=True, default="")
    tag = models.CharField(max_length=50, blank=True, default="")
    key = models.CharField(max_length=64, blank=True, default="")
    n = models.BigIntegerField(default=0)
    value = models.FloatField(default=0.0)
    example = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "stat", "tag", "day"], name="rep_count_lookup"),
            models.Index(fields=["organization", "day"], name="rep_count_org_day"),
        ]

    def __str__(self) -> str:
        return f"{self.stat} {self.day} {self.key}={self.n}"


class FillState(models.Model):
    """How far one group of count tables is filled for one organization.

    ``done_until``: the last local day fully counted by a full refill; ``watermark``: the time
    up to which changes are counted (the incremental fill looks for changes after it);
    ``last_interaction_id``: the newest log row seen.  ``state`` is "started" while a fill
    runs: a crash leaves it so, and the next fill redoes the period it was in."""

    organization = models.ForeignKey(
        "desk.Organization", on_delete=models.CASCADE, related_name="+"
    )
    table = models.CharField(max_length=40)
    state = models.CharField(max_length=10, default="done")
    done_until = models.DateField(null=True, blank=True)
    watermark = models.DateTimeField(null=True, blank=True)
    last_interaction_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "table"], name="rep_fillstate_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.table} {self.state} {self.done_until}"


class EmergingCluster(models.Model):
    """One cluster of similar client complaints found by the daily clustering run."""

    organization = models.ForeignKey(
        "desk.Organization", on_delete=models.CASCADE, related_name="+"
    )
    computed_at = models.DateTimeField(default=timezone.now)
    date_from = models.DateField()  # the current window (the previous one is as long, before)
    date_to = models.DateField()
    language = models.CharField(max_length=10)
    terms = models.JSONField(default=list)  # top terms
    size = models.IntegerField(default=0)  # messages in the current window
    previous = models.IntegerField(default=0)  # messages in the previous window
    new = models.BooleanField(default=False)
    growing = models.BooleanField(default=False)
    team_counts = models.JSONField(default=dict)  # {"team id": [current, previous]}
    examples = models.JSONField(default=list)  # [[interaction id, team id], ...] nearest first

    class Meta:
        indexes = [models.Index(fields=["organization", "computed_at"], name="rep_emerging_org")]

    def __str__(self) -> str:
        return f"{self.language} {' '.join(self.terms[:3])} {self.size}"
