"""Small template filters for the desk pages."""

from __future__ import annotations

from django import template

from calmdesk.desk.views._common import LANGUAGE_BADGES

register = template.Library()


@register.filter
def language_badge(code: str) -> str:
    """A short, script-aware badge for a language code: ``sr`` → "SR Ћ", ``sr-latn`` → "SR Lat"."""
    return LANGUAGE_BADGES.get(str(code or ""), str(code or "").upper())
