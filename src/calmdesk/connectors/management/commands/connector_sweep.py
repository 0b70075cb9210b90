"""``calmdesk manage connector_sweep``: process connector deliveries left behind (a crash
between the steps) and note retries that are due.  Run it every minute from cron or a
systemd timer, or schedule the task ``calmdesk.connectors.tasks.process_pending_deliveries``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from calmdesk.connectors.ingest import process_pending


class Command(BaseCommand):
    help = "Process stored webhook deliveries and due note retries of the helpdesk connectors."

    def handle(self, *args: Any, **options: Any) -> None:
        counts: dict[str, int] = {}
        for row in process_pending():
            counts[row.state] = counts.get(row.state, 0) + 1
        summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "nothing due"
        self.stdout.write(f"connector deliveries: {summary}")
