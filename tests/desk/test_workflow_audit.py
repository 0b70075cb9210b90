"""The workflow actions: each do_* writes exactly one audit entry; chains stay valid."""

from __future__ import annotations

import pytest

from calmdesk.desk.lib.verify import verify_logs
from calmdesk.desk.models import AuditEntry
from tests.desk._workflow_rows import workflow_calls

pytestmark = pytest.mark.django_db


def test_each_workflow_action_writes_one_audit_entry(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    table = workflow_calls(world)
    counts = {}
    for name, call in table.items():
        before = AuditEntry.objects.count()
        call()
        counts[name] = AuditEntry.objects.count() - before
    assert counts == dict.fromkeys(table, 1)
    assert verify_logs() == []
