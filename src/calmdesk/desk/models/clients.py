"""Clients (the people and companies we serve) and how to reach them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.models.organization import Organization, Team
from calmdesk.desk.models.users import LANGUAGE_CHOICES


class Client(models.Model):
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="clients",
        verbose_name=_("organization"),
    )
    # The team that owns the client record.  Empty: shared by every team of the organization.
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clients",
        verbose_name=_("owning team"),
    )
    name = models.CharField(_("name"), max_length=200)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, blank=True, default="", choices=LANGUAGE_CHOICES
    )
    communication_preferences = models.TextField(
        _("communication preferences"), blank=True, default=""
    )
    banner = models.TextField(
        _("banner"),
        blank=True,
        default="",
        help_text=_("Context every colleague must see on every case of this client."),
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ContactKind(models.TextChoices):
    EMAIL = "email", _("email")
    PHONE = "phone", _("phone")


class ContactPoint(models.Model):
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="contact_points", verbose_name=_("client")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    value = models.CharField(_("value"), max_length=254)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"
