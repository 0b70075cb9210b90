"""Model → response dicts (kept explicit so nothing leaks by accident)."""

from __future__ import annotations

from typing import Any

from calmdesk.desk.models import Case, Client, Interaction


def team_out(team: Any) -> dict[str, Any]:
    return {"id": team.id, "name": team.name, "slug": team.slug}


def client_out(client: Client) -> dict[str, Any]:
    return {
        "id": client.id,
        "name": client.name,
        "team_id": client.team_id,
        "preferred_language": client.preferred_language,
        "communication_preferences": client.communication_preferences,
        "banner": client.banner,
        "tags": list(client.tags or []),
        "contact_points": [
            {"kind": p.kind, "value": p.value, "is_primary": p.is_primary}
            for p in client.contact_points.all()
        ],
        "created_at": client.created_at,
        "updated_at": client.updated_at,
    }


def case_out(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "reference": case.reference,
        "subject": case.subject,
        "status": case.status,
        "priority": case.priority,
        "channel": case.channel,
        "team": team_out(case.team),
        "client_id": case.client_id,
        "client_name": case.client.name,
        "client_banner": case.client.banner,
        "assignee_id": case.assignee_id,
        "tags": list(case.tags or []),
        "expected": case.expected,
        "received": case.received,
        "agreed_possible": case.agreed_possible,
        "agreed_not_possible": case.agreed_not_possible,
        "root_cause": case.root_cause.code if case.root_cause else None,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "first_response_at": case.first_response_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
    }


def ordered_attachments(row: Interaction) -> list[Any]:
    """Attachments in the order they were received (the order of the hashed list)."""
    order = {a.get("id"): n for n, a in enumerate((row.data or {}).get("attachments", []))}
    return sorted(row.attachments.all(), key=lambda a: order.get(a.id, len(order)))


def interaction_out(row: Interaction) -> dict[str, Any]:
    return {
        "id": row.id,
        "case_id": row.case_id,
        "seq": row.seq,
        "kind": row.kind,
        "author_id": row.author_id,
        "channel": row.channel,
        "occurred_at": row.occurred_at,
        "recorded_at": row.recorded_at,
        "text": row.text,
        "language": row.language,
        "event_type": row.event_type,
        "data": row.data,
        "corrects_id": row.corrects_id,
        "hash": row.hash,
        "attachments": [
            {
                "id": a.id,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "download_url": f"/api/v1/attachments/{a.id}",
            }
            for a in ordered_attachments(row)
        ],
    }
