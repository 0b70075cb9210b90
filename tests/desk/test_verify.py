"""verify_logs() finds nothing on intact data and names the first broken link of a chain
edited out of band (triggers dropped first, as only a database owner could)."""

from __future__ import annotations

import pytest
from django.db import connection

from calmdesk.desk.lib.append_only import drop_triggers
from calmdesk.desk.lib.verify import verify_logs
from calmdesk.desk.models import AuditEntry, Interaction

pytestmark = pytest.mark.django_db


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_intact_logs_verify_clean(world):
    assert verify_logs(check_files=True) == []


def test_changed_interaction_is_named(world):
    target = Interaction.objects.get(case=world.cases["b"], kind="outbound")
    drop_triggers(connection)
    sql("UPDATE desk_interaction SET text = %s WHERE id = %s", ["We refuse.", target.id])
    breaks = verify_logs()
    assert len(breaks) == 1
    b = breaks[0]
    assert (b.table, b.chain, b.seq, b.row_id) == (
        "desk_interaction",
        f"case {world.cases['b'].id}",
        target.seq,
        str(target.id),
    )
    assert "changed" in b.problem
    assert str(target.id) in str(b) and f"case {world.cases['b'].id}" in str(b)


def test_rehashing_the_changed_row_breaks_the_next_link(world):
    """An editor who recomputes the row's own hash still breaks the following back-link."""
    from calmdesk.desk.lib.hashchain import chain_hash, interaction_payload

    target = Interaction.objects.get(case=world.cases["a"], kind="outbound")
    drop_triggers(connection)
    target.text = "We refuse."
    new_hash = chain_hash(target.prev_hash, interaction_payload(target))
    sql(
        "UPDATE desk_interaction SET text = %s, hash = %s WHERE id = %s",
        [target.text, new_hash, target.id],
    )
    breaks = verify_logs()
    assert [(b.chain, b.seq) for b in breaks] == [(f"case {world.cases['a'].id}", target.seq + 1)]
    assert "back-link" in breaks[0].problem


def test_deleted_middle_row_is_a_gap(world):
    target = Interaction.objects.get(case=world.cases["a"], kind="outbound")
    drop_triggers(connection)
    sql("DELETE FROM desk_interaction WHERE id = %s", [target.id])
    breaks = verify_logs()
    assert [(b.table, b.chain, b.seq) for b in breaks] == [
        ("desk_interaction", f"case {world.cases['a'].id}", target.seq + 1)
    ]
    assert "gap" in breaks[0].problem


def test_deleted_last_row_is_caught_through_the_audit_log(world):
    last = Interaction.objects.filter(case=world.cases["b"]).order_by("-seq").first()
    assert last.kind == "internal_note"
    drop_triggers(connection)
    sql("DELETE FROM desk_interaction WHERE id = %s", [last.id])
    breaks = verify_logs()
    assert len(breaks) == 1
    assert breaks[0].chain == f"case {world.cases['b'].id}" and breaks[0].seq == last.seq
    assert "missing" in breaks[0].problem


def test_reordered_rows_are_detected(world):
    rows = list(Interaction.objects.filter(case=world.cases["x"]).order_by("seq"))
    first, second = rows[1], rows[2]
    drop_triggers(connection)
    sql("UPDATE desk_interaction SET seq = 1000 WHERE id = %s", [first.id])
    sql("UPDATE desk_interaction SET seq = %s WHERE id = %s", [first.seq, second.id])
    sql("UPDATE desk_interaction SET seq = %s WHERE id = %s", [second.seq, first.id])
    breaks = verify_logs()
    assert [(b.chain, b.seq, b.row_id) for b in breaks] == [
        (f"case {world.cases['x'].id}", first.seq, str(second.id))
    ]


def test_changed_audit_entry_is_named(world):
    entry = AuditEntry.objects.filter(
        action="case.create", organization=world.teams["gamma"].organization
    ).get()
    drop_triggers(connection)
    sql("UPDATE desk_auditentry SET actor_id = NULL WHERE id = %s", [entry.id])
    breaks = verify_logs()
    assert [(b.table, b.chain, b.seq, b.row_id) for b in breaks] == [
        ("desk_auditentry", f"organization {entry.organization_id}", entry.seq, str(entry.id))
    ]


def test_swapped_attachment_is_detected(world):
    drop_triggers(connection)
    sql(
        "UPDATE desk_attachment SET sha256 = %s WHERE id = %s",
        ["0" * 64, world.attachments["a"].id],
    )
    breaks = verify_logs()
    assert [b.table for b in breaks] == ["desk_attachment"]
    assert breaks[0].chain == f"case {world.cases['a'].id}"


def test_changed_file_on_disk_is_detected_when_asked(world, settings):
    from pathlib import Path

    path = Path(settings.MEDIA_ROOT) / world.attachments["b"].file.name
    path.write_bytes(b"not the photo")
    assert verify_logs() == []
    breaks = verify_logs(check_files=True)
    assert [(b.table, b.row_id) for b in breaks] == [("desk_attachment", world.attachments["b"].id)]
