"""Rows of the agent workspace's actions for test_audit's one-audit-entry-per-action table."""

from __future__ import annotations

from typing import Any

from calmdesk.desk.actions import workspace as ws
from calmdesk.desk.models import SavedView


def workspace_calls(w: Any) -> dict[str, Any]:
    a = w.users["agent_a"]
    case = w.cases["a"]
    return {
        "do_dismiss_finding": lambda: ws.do_dismiss_finding(
            a, case=case, rule_id="en.missing.no-empathy", principle=3, reason="fits here"
        ),
        "do_save_view": lambda: ws.do_save_view(a, name="Mine", query="scope=mine"),
        "do_delete_saved_view": lambda: ws.do_delete_saved_view(
            a, SavedView.objects.get(user=a, name="Mine")
        ),
    }
