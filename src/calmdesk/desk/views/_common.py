"""Helpers shared by the desk pages: rendering with the user's time zone, readable labels."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.models import LANGUAGE_CHOICES, RootCause

# Labels of the default root-cause taxonomy, translated here (the table holds English labels;
# an organization's own causes are shown with their stored label).
ROOT_CAUSE_LABELS: dict[str, Promise] = {
    "delay": _("Delay"),
    "expectation_gap": _("Expectation gap"),
    "defect": _("Defect or quality problem"),
    "billing": _("Billing"),
    "communication": _("Communication or no response"),
    "staff_conduct": _("Staff conduct"),
    "policy": _("Policy or procedure"),
    "runaround": _("Runaround or transfers"),
    "unclear_information": _("Information unclear"),
    "external": _("External or personal"),
}

# Short badges for the language of a text (codes as stored on interactions and clients).
LANGUAGE_BADGES: dict[str, str] = {
    "en": "EN",
    "pl": "PL",
    "sr": "SR Ћ",
    "sr-latn": "SR Lat",
    "hr": "HR",
    "bs": "BS",
    "he": "HE",
}

LANGUAGE_NAMES: dict[str, Any] = {code: name for code, name in LANGUAGE_CHOICES if code}

# Translated names of the structured fields of call and meeting notes.
NOTE_FIELD_LABELS: dict[str, Promise] = {
    "expected": _("Expected"),
    "received": _("Received"),
    "agreed": _("Agreed"),
    "promised": _("Promised"),
    "participants": _("Participants"),
    "duration": _("Duration"),
}


def root_cause_label(cause: RootCause | None) -> str:
    if cause is None:
        return ""
    if cause.organization_id is None and cause.code in ROOT_CAUSE_LABELS:
        return str(ROOT_CAUSE_LABELS[cause.code])
    return cause.label


def user_timezone(request: HttpRequest) -> str:
    """The signed-in user's IANA time zone, or UTC when it is unset or unknown."""
    name = str(getattr(request.user, "timezone", "") or "UTC")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {**context, "user_timezone": user_timezone(request)}
    return render(request, template, context, status=status)


def display_name(user: Any) -> str:
    if user is None:
        return ""
    full = f"{user.first_name} {user.last_name}".strip()
    return full or str(user.username)


def short_text_area(label: Any, *, required: bool = True, max_length: int = 5000) -> Any:
    """A two-line text field whose direction follows what is typed (Hebrew and Latin alike)."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}),
    )
