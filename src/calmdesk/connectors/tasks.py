"""Background work of the connectors app (django-tasks)."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def process_delivery(delivery_id: int) -> str:
    """Mirror a stored delivery if not done yet, then post its note (or schedule a retry)."""
    from calmdesk.connectors.ingest import process

    return str(process(delivery_id).state)


@task()
def process_pending_deliveries() -> dict[str, Any]:
    """Deliveries left behind by a crash, and note retries that are due (run every minute)."""
    from calmdesk.connectors.ingest import process_pending

    rows = process_pending()
    counts: dict[str, Any] = {}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    return counts
