"""Two-phase ingestion: threading, spoofing, automatic mail, crisis, quarantine, replays and
the poison batch (THREATS.md rows 7, 9, 10, 13)."""

from __future__ import annotations

import os
import random
import stat
import time
from pathlib import Path

import pytest
from django.conf import settings

from calmdesk.channels.ingest import (
    do_reprocess_raw,
    do_upload_raw,
    ingest_bytes,
    process_pending,
    process_raw,
    raw_path,
    store_raw,
)
from calmdesk.channels.models import RawMessage, RawState
from calmdesk.desk.models import (
    Attachment,
    AuditEntry,
    Case,
    Client,
    CrisisIncident,
    Interaction,
    Notification,
)
from tests.channels.conftest import fixture_bytes

pytestmark = pytest.mark.django_db


def ingest(world, name_or_bytes, source="http"):
    data = fixture_bytes(name_or_bytes) if isinstance(name_or_bytes, str) else name_or_bytes
    row, _ = ingest_bytes(data, mailbox=world.mailbox, source=source)
    return row


def test_phase_one_stores_bytes_durably_and_privately(mail_world):
    data = fixture_bytes("01_plain.eml")
    row, created = store_raw(data, organization=mail_world.org, mailbox=None, source="upload")
    assert created and row.state == RawState.STORED
    path = raw_path(row)
    assert path.read_bytes() == data
    assert Path(settings.MEDIA_ROOT).resolve() in path.resolve().parents
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o007 == 0
    assert row.message_id == "<plain-01@client.test>"


def test_new_sender_opens_a_case_for_a_new_client(mail_world):
    row = ingest(mail_world, "01_plain.eml")
    assert row.state == RawState.PARSED, row.error
    interaction = row.interaction
    assert interaction.kind == "inbound" and interaction.channel == "email"
    assert "charges me twice" in interaction.text
    assert interaction.data["message_id"] == "<plain-01@client.test>"
    client = interaction.case.client
    assert client.name == "Marta Nowak"
    assert client.contact_points.get().value == "marta@client.test"
    assert interaction.case.subject == "My invoice is wrong"
    assert interaction.case.team == mail_world.team


def test_reply_threads_onto_our_outbound_message(mail_world):
    row = ingest(mail_world, "13_reply_in_reply_to.eml")
    assert row.state == RawState.PARSED
    assert row.case == mail_world.case_a and not row.spoof_flagged
    assert row.interaction.text == "Thank you, but it still has not arrived."
    # a later reply to that inbound message threads through the earlier raw message
    follow = (
        fixture_bytes("01_plain.eml")
        .replace(b"From: Marta Nowak <marta@client.test>", b"From: Ana <a@example.test>")
        .replace(
            b"<plain-01@client.test>",
            b"<plain-01b@example.test>\r\nIn-Reply-To: <reply-13@example.test>",
        )
    )
    assert ingest(mail_world, follow).case == mail_world.case_a


def test_case_token_in_subject_threads(mail_world):
    row = ingest(mail_world, "14_reply_case_token.eml")
    assert row.case == mail_world.case_a
    assert row.interaction.text == "Any news? I waited all day."


def test_spoofed_references_never_reach_a_foreign_case(mail_world):
    before = Interaction.objects.filter(case=mail_world.case_a).count()
    row = ingest(mail_world, "15_spoofed_references.eml")
    assert row.state == RawState.PARSED
    assert row.spoof_flagged
    assert row.case != mail_world.case_a
    assert row.case.client.contact_points.get().value == "mallory@evil.test"
    assert Interaction.objects.filter(case=mail_world.case_a).count() == before
    assert row.interaction.data["spoof_suspected"] is True
    # a known client of the same organization pointing at another client's thread: same
    known = (
        fixture_bytes("15_spoofed_references.eml")
        .replace(b"Mallory <mallory@evil.test>", b"Bojan <b@example.test>")
        .replace(b"spoof-15", b"spoof-15b")
    )
    row2 = ingest(mail_world, known)
    assert row2.spoof_flagged and row2.case.client == mail_world.client_b
    assert row2.case != mail_world.case_a


def test_threading_never_crosses_organizations(mail_world):
    from calmdesk.channels.models import Mailbox
    from calmdesk.desk.actions.organizations import do_create_team

    team = do_create_team(None, mail_world.other_org, "South desk", slug="sd")
    south_box = Mailbox.objects.create(organization=mail_world.other_org, team=team, name="S")
    row, _ = ingest_bytes(
        fixture_bytes("14_reply_case_token.eml"), mailbox=south_box, source="http"
    )
    assert row.state == RawState.PARSED
    assert row.case.organization == mail_world.other_org and row.case != mail_world.case_a


@pytest.mark.parametrize(
    "name", ["11_dsn_bounce.eml", "12_auto_reply.eml", "23_precedence_bulk.eml"]
)
def test_automatic_mail_is_kept_but_opens_nothing(mail_world, name):
    cases = Case.objects.count()
    from calmdesk.desk.models import OutboundEmail

    mails = OutboundEmail.objects.count()
    row = ingest(mail_world, name)
    assert row.state == RawState.IGNORED and row.error
    assert row.interaction is None and Case.objects.count() == cases
    assert OutboundEmail.objects.count() == mails
    assert raw_path(row).exists()


def test_attachments_go_through_the_desk_storage(mail_world):
    row = ingest(mail_world, "21_attachments.eml")
    files = Attachment.objects.filter(interaction=row.interaction).order_by("filename")
    assert [f.filename for f in files] == ["damage.png", "page.html"]
    for f in files:
        assert "/" not in f.filename and "\u202e" not in f.filename
        assert str(f.file.name).startswith("attachments/")


def test_self_harm_mail_opens_an_incident_and_alerts(mail_world):
    row = ingest(mail_world, "16_self_harm.eml")
    assert row.state == RawState.PARSED and row.crisis_flagged
    assert CrisisIncident.objects.filter(interaction=row.interaction).exists()
    assert Notification.objects.filter(user=mail_world.supervisor, kind="crisis").exists()


def test_poison_mail_with_a_threat_is_quarantined_and_still_alerts(mail_world):
    row = ingest(mail_world, "17_poison_violence.eml")
    assert row.state == RawState.QUARANTINED and "multipart" in row.error
    assert row.crisis_flagged
    note = Notification.objects.get(user=mail_world.supervisor, key=f"crisis-raw:{row.pk}")
    assert note.kind == "crisis" and "violence" in note.text
    assert AuditEntry.objects.filter(action="channels.crisis_alert", object_id=str(row.pk)).exists()


def test_quarantine_and_reprocess(mail_world, settings):
    row = ingest(mail_world, "24_two_from.eml")
    assert row.state == RawState.QUARANTINED and "sender" in row.error
    assert not row.crisis_flagged
    # reprocessing reruns phase 2: the raw bytes are kept as received, so this stays
    again = do_reprocess_raw(mail_world.supervisor, row)
    assert again.state == RawState.QUARANTINED and again.attempts == 2
    assert AuditEntry.objects.filter(action="channels.reprocess").count() == 1
    # a message quarantined by a transient failure parses on reprocess
    data = fixture_bytes("01_plain.eml")
    stored, _ = store_raw(data, organization=mail_world.org, mailbox=None, source="upload")
    failed = process_raw(stored.pk)
    assert failed.state == RawState.QUARANTINED and "no mailbox" in failed.error
    RawMessage.objects.filter(pk=stored.pk).update(mailbox=mail_world.mailbox)
    failed.refresh_from_db()
    fixed = do_reprocess_raw(mail_world.supervisor, failed)
    assert fixed.state == RawState.PARSED and fixed.interaction is not None


def test_upload_is_audited_and_idempotent(mail_world):
    data = fixture_bytes("03_subject_cyrillic.eml")
    row, created = do_upload_raw(mail_world.supervisor, mailbox=mail_world.mailbox, data=data)
    again, created2 = do_upload_raw(mail_world.supervisor, mailbox=mail_world.mailbox, data=data)
    assert created and not created2 and row.pk == again.pk
    assert row.source == "upload" and row.state == RawState.PARSED
    assert row.interaction.case.subject == "Прекид услуге од понедељка"
    assert AuditEntry.objects.filter(action="channels.upload").count() == 2


def test_every_fixture_is_ingested_or_quarantined(mail_world):
    from tests.channels.conftest import FIXTURES

    names = sorted(p.name for p in FIXTURES.glob("*.eml"))
    rows = [ingest(mail_world, n) for n in names]
    assert all(r.state in (RawState.PARSED, RawState.IGNORED, RawState.QUARANTINED) for r in rows)
    assert len({r.pk for r in rows}) == len(names)


def _valid_mail(i: int, crisis: bool = False) -> bytes:
    text = (
        "I can't go on. I am going to kill myself tonight."
        if crisis
        else f"Message number {i}: the meter reading is wrong again."
    )
    return (
        f"From: Client {i} <client{i % 7}@batch.test>\r\nTo: help@north.test\r\n"
        f"Subject: Batch {i}\r\nMessage-ID: <batch-{i}@batch.test>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    ).encode()


def _poison(i: int, crisis: bool) -> bytes:
    tail = (
        "If this is not fixed I will come to your office and hurt the manager."
        if crisis
        else ("nothing to see")
    )
    return (
        f"From: P{i} <p{i}@batch.test>\r\nMessage-ID: <poison-{i}@batch.test>\r\n"
        "Content-Type: multipart/mixed; boundary=z\r\n\r\n"
        + "--z\r\nContent-Type: multipart/mixed; boundary=z\r\n" * 600
        + f"\r\n{tail}\r\n"
    ).encode()


def test_poison_batch_loses_nothing_and_alerts(mail_world):
    rng = random.Random(2025)
    n = 40
    k = rng.randrange(5, n - 5)
    poison_at = {0: False, k: True, n - 1: True}  # positions 1, k and n (True: with a threat)
    crisis_valid = set(rng.sample([i for i in range(n) if i not in poison_at], 4))
    mails = [
        _poison(i, poison_at[i]) if i in poison_at else _valid_mail(i, i in crisis_valid)
        for i in range(n)
    ]
    # phase 1 for all (as a poll would), then phase 2 in order
    stored = [
        store_raw(m, organization=mail_world.org, mailbox=mail_world.mailbox, source="imap")
        for m in mails
    ]
    assert all(created for _, created in stored)
    timings = []
    for row, _ in stored:
        start = time.perf_counter()
        process_raw(row.pk)
        timings.append(time.perf_counter() - start)
    rows = list(RawMessage.objects.filter(pk__in=[r.pk for r, _ in stored]).order_by("id"))
    parsed = [r for r in rows if r.state == RawState.PARSED]
    quarantined = [r for r in rows if r.state == RawState.QUARANTINED]
    assert len(parsed) + len(quarantined) == n
    assert len(quarantined) == 3 and len(parsed) == n - 3
    assert (
        Interaction.objects.filter(
            kind="inbound", data__raw_message__in=[r.pk for r in parsed]
        ).count()
        == n - 3
    )
    # every crisis mail alerted the supervisor, unparseable or not
    flagged = {rows.index(r) for r in rows if r.crisis_flagged}
    assert flagged == crisis_valid | {k, n - 1}
    notes = Notification.objects.filter(user=mail_world.supervisor, kind="crisis").count()
    assert notes == len(crisis_valid) + 2
    assert max(timings) < 5.0


def test_replays_make_exactly_one_interaction_per_message(mail_world):
    from tests.channels.conftest import FIXTURES

    rng = random.Random(7)
    names = sorted(p.name for p in FIXTURES.glob("*.eml"))
    ids: dict[str, set[int]] = {}
    for name in names:
        for _ in range(rng.randint(1, 3)):
            ids.setdefault(name, set()).add(ingest(mail_world, name).pk)
    assert all(len(v) == 1 for v in ids.values())
    rows = RawMessage.objects.filter(pk__in=[next(iter(v)) for v in ids.values()])
    for row in rows:
        count = Interaction.objects.filter(data__raw_message=row.pk, kind="inbound").count()
        assert count == (1 if row.state == RawState.PARSED else 0), row
    # a re-fetch with different transport headers but the same Message-ID is a duplicate
    refetched = b"Received: from mx2 by mx3\r\n" + fixture_bytes("01_plain.eml")
    row, created = store_raw(
        refetched, organization=mail_world.org, mailbox=mail_world.mailbox, source="imap"
    )
    assert not created
    # no Message-ID: the content hash decides
    a, c1 = store_raw(
        fixture_bytes("22_no_message_id.eml"),
        organization=mail_world.org,
        mailbox=None,
        source="http",
    )
    assert not c1 and a.dedupe_key.startswith("sha:")
    assert process_pending() == []
    assert Client.objects.filter(contact_points__value="marta@client.test").count() == 1
