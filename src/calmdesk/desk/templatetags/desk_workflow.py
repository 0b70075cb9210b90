"""Template tags of the workflow: the unread-notification count and the supervisor link."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def unread_notifications(user: Any) -> int:
    from calmdesk.desk.views.workflow import unread_count

    return unread_count(user)


@register.simple_tag
def leads_a_team(user: Any) -> bool:
    from calmdesk.desk.views.workflow import leads_any_team

    return bool(getattr(user, "is_authenticated", False)) and leads_any_team(user)
