"""Practice sessions with the simulator, mentor review, assignments and scenario drafts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.models import Case, Organization, Team


class ScenarioDraft(models.Model):
    """A scenario made from a resolved case: YAML a supervisor reviews, then publishes."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="scenario_drafts")
    source_case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lang = models.CharField(max_length=10)
    scenario_id = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    yaml_text = models.TextField()
    warnings = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"


class Assignment(models.Model):
    """A mentor asks a mentee to practise a scenario (built-in, or a published draft)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    scenario_id = models.CharField(max_length=64)
    lang = models.CharField(max_length=10)
    draft = models.ForeignKey(
        ScenarioDraft, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    due = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due", "-created_at"]

    def __str__(self) -> str:
        return f"{self.scenario_id}/{self.lang} -> {self.trainee_id}"


class PracticeSession(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("in progress")
        FINISHED = "finished", _("finished")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_sessions"
    )
    scenario_id = models.CharField(max_length=64)
    lang = models.CharField(max_length=10)
    title = models.CharField(max_length=300, blank=True, default="")
    draft = models.ForeignKey(
        ScenarioDraft, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # the draft's YAML as it was when the session started: the session replays identically
    scenario_yaml = models.TextField(blank=True, default="")
    assignment = models.ForeignKey(
        Assignment, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    seed = models.IntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    outcome = models.CharField(max_length=20, blank=True, default="")
    overall = models.IntegerField(null=True, blank=True)
    principle_scores = models.JSONField(default=dict, blank=True)  # {"3": 80, ...}
    report = models.JSONField(default=dict, blank=True)  # Report.to_dict()
    opening = models.TextField(blank=True, default="")
    state = models.JSONField(default=list, blank=True)  # [anger, trust, patience]
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.scenario_id}/{self.lang} #{self.pk}"


class PracticeTurn(models.Model):
    session = models.ForeignKey(PracticeSession, on_delete=models.CASCADE, related_name="turns")
    n = models.PositiveIntegerField()
    trainee_text = models.TextField()
    persona_reply = models.TextField()
    findings = models.JSONField(default=dict, blank=True)  # TurnRecord.to_dict()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "n"]
        constraints = [models.UniqueConstraint(fields=["session", "n"], name="uniq_turn_n")]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.n}"


class MentorComment(models.Model):
    session = models.ForeignKey(PracticeSession, on_delete=models.CASCADE, related_name="comments")
    turn_n = models.PositiveIntegerField()
    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["turn_n", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.turn_n}: {self.text[:40]}"


class ScoreOverride(models.Model):
    session = models.ForeignKey(PracticeSession, on_delete=models.CASCADE, related_name="overrides")
    principle = models.PositiveSmallIntegerField()
    old_score = models.IntegerField(null=True, blank=True)
    new_score = models.IntegerField()
    reason = models.TextField()
    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.session_id} p{self.principle}: {self.old_score} -> {self.new_score}"
