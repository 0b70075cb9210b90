"""Writes made through the Django admin (organization set-up), audited like every other."""

from __future__ import annotations

from django.db import models, transaction

from calmdesk.desk.actions.log import write_audit
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.models import Organization, User


def _organization_id(obj: models.Model) -> int | None:
    if isinstance(obj, Organization):
        return obj.pk
    for path in ("organization_id", "team.organization_id", "client.organization_id"):
        value: object = obj
        for part in path.split("."):
            value = getattr(value, part, None)
            if value is None:
                break
        if isinstance(value, int):
            return value
    return None


@transaction.atomic
def do_admin_save(
    actor: User,
    obj: models.Model,
    *,
    change: bool,
    changed_fields: list[str] | None = None,
    meta: RequestMeta | None = None,
) -> None:
    obj.save()
    label = obj._meta.model_name
    write_audit(
        actor=actor,
        organization=_organization_id(obj),
        action=f"admin.{label}.{'change' if change else 'add'}",
        obj=obj,
        data={"fields": sorted(changed_fields or [])},
        meta=meta,
    )


@transaction.atomic
def do_admin_delete(actor: User, obj: models.Model, *, meta: RequestMeta | None = None) -> None:
    org_id = _organization_id(obj)
    label = obj._meta.model_name or ""
    object_id = str(obj.pk)
    obj.delete()
    write_audit(
        actor=actor,
        organization=org_id,
        action=f"admin.{label}.delete",
        object_type=label,
        object_id=object_id,
        meta=meta,
    )
