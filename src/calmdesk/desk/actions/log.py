"""Appending to the two hash-chained logs.  Used only by the ``do_*`` actions."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from calmdesk.desk.lib.hashchain import (
    GENESIS,
    audit_payload,
    chain_hash,
    interaction_payload,
    lock_chain,
)
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.lib.text import clean_text
from calmdesk.desk.models import AuditEntry, Case, Interaction, Organization, User


def jsonable(data: Any) -> Any:
    """The value exactly as it will read back from a JSON column (keys become strings)."""
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))


def write_audit(
    *,
    actor: User | None,
    organization: Organization | int | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    data: dict[str, Any] | None = None,
    meta: RequestMeta | None = None,
) -> AuditEntry:
    org_id = organization.pk if isinstance(organization, Organization) else organization
    lock_chain(f"audit:{org_id or 'platform'}")
    chain = Q(organization__isnull=True) if org_id is None else Q(organization_id=org_id)
    last = AuditEntry.objects.filter(chain).order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    if obj is not None:
        object_type = object_type or obj._meta.model_name or ""
        object_id = object_id or str(obj.pk)
    meta = meta or RequestMeta()
    entry = AuditEntry(
        organization_id=org_id,
        seq=seq,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=jsonable(data or {}),
        ip=meta.ip,
        user_agent=meta.user_agent,
        created_at=timezone.now(),
        prev_hash=prev_hash,
    )
    entry.hash = chain_hash(prev_hash, audit_payload(entry))
    entry.save(force_insert=True)
    return entry


def append_interaction(
    *,
    case: Case,
    kind: str,
    author: User | None,
    channel: str,
    text: str = "",
    occurred_at: dt.datetime | None = None,
    language: str = "",
    event_type: str = "",
    data: dict[str, Any] | None = None,
    corrects: Interaction | None = None,
    idempotency_key: str = "",
    chain_locked: bool = False,
) -> Interaction:
    """``chain_locked``: this transaction holds the case's chain lock already (find_replay
    took it), so the lock is not asked for again (one round trip less per message)."""
    if not chain_locked:
        lock_chain(f"case:{case.pk}")
    last = (
        Interaction.objects.filter(case_id=case.pk)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    now = timezone.now()
    if occurred_at is not None and timezone.is_naive(occurred_at):
        raise ValueError("occurred_at must be timezone-aware")
    row = Interaction(
        organization_id=case.organization_id,
        case=case,
        seq=seq,
        kind=kind,
        author=author,
        channel=channel,
        occurred_at=(occurred_at or now).astimezone(dt.UTC),
        recorded_at=now,
        text=clean_text(text),
        language=language,
        event_type=event_type,
        data=jsonable(data or {}),
        corrects=corrects,
        idempotency_key=idempotency_key,
        prev_hash=prev_hash,
    )
    row.hash = chain_hash(prev_hash, interaction_payload(row))
    row.save(force_insert=True)
    return row


def find_replay(case: Case, idempotency_key: str) -> Interaction | None:
    """The entry an earlier request with this key made on this case, if any.  Call inside the
    action's transaction: the chain lock makes check-then-insert safe under concurrency."""
    if not idempotency_key:
        return None
    lock_chain(f"case:{case.pk}")
    return Interaction.objects.filter(case_id=case.pk, idempotency_key=idempotency_key).first()


def system_event(
    case: Case, actor: User | None, event_type: str, data: dict[str, Any], text: str = ""
) -> Interaction:
    return append_interaction(
        case=case,
        kind="system_event",
        author=actor,
        channel=case.channel,
        text=text,
        event_type=event_type,
        data=data,
    )
