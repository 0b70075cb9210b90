"""Background work of the channels app (django-tasks)."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def poll_mail() -> dict[str, Any]:
    """Poll every enabled IMAP mailbox once and process waiting messages."""
    from calmdesk.channels.imap import poll_all

    results = poll_all()
    return {
        "mailboxes": len(results),
        "stored": sum(r.stored for r in results),
        "duplicates": sum(r.duplicates for r in results),
        "errors": [r.error for r in results if r.error],
    }


@task()
def process_raw_message(raw_id: int) -> str:
    """Phase 2 for one stored inbound message (enqueued by phase 1 with ``defer``, and again
    by ``requeue_stalled`` when the worker that had it died).  Idempotent."""
    from calmdesk.channels.ingest import process_raw

    return str(process_raw(raw_id).state)
