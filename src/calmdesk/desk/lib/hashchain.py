"""Hash chains over the log tables.

``hash = sha256(prev_hash + canonical JSON of the row's content fields)``.  Interactions are
chained per case (in ``seq`` order), audit entries per organization (``organization`` empty:
the platform chain).  The first row of a chain has ``prev_hash = GENESIS``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zlib
from typing import Any

from django.db import connection

GENESIS = "0" * 64


def canonical_time(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime in a log row")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(payload)).encode("utf-8")).hexdigest()


def interaction_payload(row: Any) -> dict[str, Any]:
    """The content fields of an Interaction that its hash covers."""
    return {
        "organization": row.organization_id,
        "case": row.case_id,
        "seq": row.seq,
        "kind": row.kind,
        "author": row.author_id,
        "channel": row.channel,
        "occurred_at": canonical_time(row.occurred_at),
        "recorded_at": canonical_time(row.recorded_at),
        "text": row.text,
        "language": row.language,
        "event_type": row.event_type,
        "data": row.data,
        "corrects": row.corrects_id,
        "idempotency_key": row.idempotency_key,
    }


def audit_payload(row: Any) -> dict[str, Any]:
    """The content fields of an AuditEntry that its hash covers."""
    return {
        "organization": row.organization_id,
        "seq": row.seq,
        "actor": row.actor_id,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "data": row.data,
        "ip": row.ip,
        "user_agent": row.user_agent,
        "created_at": canonical_time(row.created_at),
    }


def lock_chain(name: str) -> None:
    """Serialise appends to one chain for the rest of the transaction.

    PostgreSQL: a transaction-level advisory lock keyed by the chain name.  SQLite: writers
    are already serialised (``transaction_mode=IMMEDIATE``), so nothing to do.
    """
    if connection.vendor == "postgresql":
        key = zlib.crc32(name.encode("utf-8"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7_000_001, key - 2**31])
