"""Writes of the agent workspace: dismissing a coach finding, saving and deleting inbox views."""

from __future__ import annotations

from django.db import transaction

from calmdesk.desk.actions.log import write_audit
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.lib.text import clean_text
from calmdesk.desk.models import Case, FindingDismissal, SavedView, User

MAX_SAVED_VIEWS = 50


def _short(value: str, limit: int) -> str:
    return " ".join(clean_text(str(value)).split())[:limit]


@transaction.atomic
def do_dismiss_finding(
    actor: User,
    *,
    case: Case,
    rule_id: str,
    principle: int = 0,
    level: str = "",
    language: str = "",
    span_text: str = "",
    reason: str = "",
    meta: RequestMeta | None = None,
) -> FindingDismissal:
    """Record that ``actor`` dismissed a coach finding on a draft for ``case`` (with an
    optional reason).  The draft itself is not stored: only the rule and the marked words."""
    rule_id = _short(rule_id, 200)
    if not rule_id:
        raise ActionError("A finding needs its rule.", details={"field": "rule_id"})
    if not 0 <= principle <= 12:
        raise ActionError("Unknown principle.", details={"field": "principle"})
    dismissal = FindingDismissal.objects.create(
        organization_id=case.organization_id,
        case=case,
        user=actor,
        rule_id=rule_id,
        principle=principle,
        level=_short(level, 20),
        language=_short(language, 10),
        span_text=_short(span_text, 300),
        reason=_short(reason, 500),
    )
    write_audit(
        actor=actor,
        organization=case.organization_id,
        action="coach.dismiss",
        obj=dismissal,
        data={"case": case.pk, "rule": rule_id, "with_reason": bool(dismissal.reason)},
        meta=meta,
    )
    return dismissal


@transaction.atomic
def do_save_view(
    actor: User, *, name: str, query: str, meta: RequestMeta | None = None
) -> SavedView:
    """Save (or overwrite by name) an inbox filter for ``actor``."""
    name = _short(name, 80)
    if not name:
        raise ActionError("Give the view a name.", details={"field": "name"})
    query = _short(query, 500)
    existing = SavedView.objects.filter(user=actor, name=name).first()
    if existing is None and SavedView.objects.filter(user=actor).count() >= MAX_SAVED_VIEWS:
        raise ActionError(
            f"At most {MAX_SAVED_VIEWS} saved views; delete one first.", details={"field": "name"}
        )
    if existing is None:
        view = SavedView.objects.create(user=actor, name=name, query=query)
    else:
        existing.query = query
        existing.save(update_fields=["query"])
        view = existing
    write_audit(
        actor=actor,
        organization=actor.organization_id,
        action="view.save",
        obj=view,
        data={"name": name},
        meta=meta,
    )
    return view


@transaction.atomic
def do_delete_saved_view(actor: User, view: SavedView, *, meta: RequestMeta | None = None) -> None:
    if view.user_id != actor.pk:
        raise ActionError("Not your view.", code="forbidden", status=403)
    view_id, name = view.pk, view.name
    view.delete()
    write_audit(
        actor=actor,
        organization=actor.organization_id,
        action="view.delete",
        object_type="savedview",
        object_id=str(view_id),
        data={"name": name},
        meta=meta,
    )
