"""Committed data and the triggers: a transactional test can still be cleaned up, and the
protection is back afterwards (post_migrate reinstalls it)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from calmdesk.desk.lib.verify import verify_logs
from calmdesk.desk.models import Interaction
from tests.desk.conftest import build_world


def test_committed_log_rows_are_protected(flushable_logs):
    world = build_world()
    row = world.interactions["a"]
    with pytest.raises(DatabaseError), transaction.atomic():
        Interaction.objects.filter(pk=row.pk).update(text="changed")
    assert verify_logs() == []


@pytest.mark.django_db
def test_post_migrate_puts_dropped_triggers_back(world):
    from django.core.management.sql import emit_post_migrate_signal

    from calmdesk.desk.lib.append_only import drop_triggers

    drop_triggers(connection)
    Interaction.objects.filter(pk=world.interactions["b"].pk).update(language="pl")  # unprotected
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    with pytest.raises(DatabaseError), transaction.atomic():
        Interaction.objects.filter(pk=world.interactions["a"].pk).update(language="pl")
