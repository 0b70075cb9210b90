"""People who use the desk, their roles per team, and their personal API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.models.organization import Organization, Team

LANGUAGE_CHOICES = [
    ("", _("(not set)")),
    ("en", "English"),
    ("pl", "Polski"),
    ("sr", "Српски"),
    ("sr-latn", "Srpski (latinica)"),
    ("he", "עברית"),
]


class Role(models.TextChoices):
    AGENT = "agent", _("agent")
    SUPERVISOR = "supervisor", _("supervisor")
    MENTOR = "mentor", _("mentor")
    ADMIN = "admin", _("admin")


# Roles that work cases of their team (read and write).  Mentors only read what is shared.
WORKING_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
LEAD_ROLES = (Role.SUPERVISOR, Role.ADMIN)


class User(AbstractUser):
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("organization"),
        help_text=_("Empty only for platform superusers."),
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, blank=True, default="", choices=LANGUAGE_CHOICES
    )
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class Membership(models.Model):
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("team")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), default=dj_timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "team", "role"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} @ {self.team_id}"


class ApiToken(models.Model):
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=8)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=dj_timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
