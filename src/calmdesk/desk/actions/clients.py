"""Clients and their contact points."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from calmdesk.desk.actions.log import write_audit
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.lib.text import clean_tags, clean_text
from calmdesk.desk.models import LANGUAGE_CHOICES, Client, ContactPoint, Organization, Team, User

_LANGUAGES = {code for code, _ in LANGUAGE_CHOICES}
UPDATABLE_CLIENT_FIELDS = (
    "name",
    "preferred_language",
    "communication_preferences",
    "banner",
    "tags",
)


def _check_email(email: str) -> str:
    email = clean_text(email).strip()
    if len(email) > 254:
        raise ActionError("The email address is too long.", details={"field": "email"})
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ActionError(
            f"{email!r} is not an email address.", details={"field": "email"}
        ) from exc
    return email


def _check_phone(phone: str) -> str:
    phone = " ".join(clean_text(phone).split())
    if len(phone) > 40 or sum(ch.isdigit() for ch in phone) < 3:
        raise ActionError(f"{phone!r} is not a phone number.", details={"field": "phone"})
    return phone


def _check_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key not in UPDATABLE_CLIENT_FIELDS:
            raise ActionError(f"The field {key!r} cannot be changed here.", details={"field": key})
        if key == "tags":
            out[key] = clean_tags(value)
        elif key == "preferred_language":
            if value not in _LANGUAGES:
                raise ActionError(f"Unknown language {value!r}.", details={"field": key})
            out[key] = value
        else:
            text = clean_text(str(value)).strip()
            if key == "name" and not text:
                raise ActionError("A client needs a name.", details={"field": "name"})
            out[key] = text[:200] if key == "name" else text
    return out


@transaction.atomic
def do_create_client(
    actor: User | None,
    *,
    organization: Organization,
    name: str,
    team: Team | None = None,
    email: str = "",
    phone: str = "",
    preferred_language: str = "",
    communication_preferences: str = "",
    banner: str = "",
    tags: Iterable[str] = (),
    meta: RequestMeta | None = None,
) -> Client:
    """A client of ``organization``; ``team`` owns the record (None: shared by all teams)."""
    if team is not None and team.organization_id != organization.id:
        raise ActionError("The team belongs to another organization.", details={"field": "team"})
    fields = _check_fields(
        {
            "name": name,
            "preferred_language": preferred_language,
            "communication_preferences": communication_preferences,
            "banner": banner,
            "tags": list(tags),
        }
    )
    contacts = []
    if email:
        contacts.append(("email", _check_email(email)))
    if phone:
        contacts.append(("phone", _check_phone(phone)))
    client = Client.objects.create(organization=organization, team=team, **fields)
    for kind, value in contacts:
        ContactPoint.objects.create(client=client, kind=kind, value=value, is_primary=True)
    write_audit(
        actor=actor,
        organization=organization,
        action="client.create",
        obj=client,
        data={"name": client.name, "team": team.pk if team else None},
        meta=meta,
    )
    return client


@transaction.atomic
def do_update_client(
    actor: User | None, client: Client, *, meta: RequestMeta | None = None, **fields: Any
) -> Client:
    changes = _check_fields(fields)
    changed = {k: v for k, v in changes.items() if getattr(client, k) != v}
    for key, value in changed.items():
        setattr(client, key, value)
    client.updated_at = timezone.now()
    client.save(update_fields=[*changed, "updated_at"])
    write_audit(
        actor=actor,
        organization=client.organization_id,
        action="client.update",
        obj=client,
        data={"changed": sorted(changed)},
        meta=meta,
    )
    return client


@transaction.atomic
def do_add_contact_point(
    actor: User | None,
    client: Client,
    *,
    kind: str,
    value: str,
    is_primary: bool = False,
    meta: RequestMeta | None = None,
) -> ContactPoint:
    if kind == "email":
        value = _check_email(value)
    elif kind == "phone":
        value = _check_phone(value)
    else:
        raise ActionError(f"Unknown contact kind {kind!r}.", details={"field": "kind"})
    if is_primary:
        client.contact_points.filter(kind=kind).update(is_primary=False)
    point = ContactPoint.objects.create(
        client=client, kind=kind, value=value, is_primary=is_primary
    )
    write_audit(
        actor=actor,
        organization=client.organization_id,
        action="client.add_contact",
        obj=point,
        data={"client": client.pk, "kind": kind},
        meta=meta,
    )
    return point
