"""History import: each format, idempotent re-runs, resume after a crash, bad records,
crisis in history, dry run (docs/import.md)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.utils import timezone

from calmdesk.desk.lib.verify import verify_logs
from calmdesk.desk.models import (
    AuditEntry,
    Case,
    Client,
    CrisisIncident,
    FollowUp,
    Interaction,
    Notification,
)
from calmdesk.imports import importer as importer_module
from calmdesk.imports.formats import RecordError, detect_format
from calmdesk.imports.importer import ImportAborted, run_import
from calmdesk.imports.models import ImportedRecord, ImportFailure, ImportRun, RunState
from tests.imports.conftest import DATA

pytestmark = pytest.mark.django_db


def do_import(world, name_or_path, fmt=None, **kwargs):
    path = name_or_path if isinstance(name_or_path, Path) else DATA / name_or_path
    return run_import(
        path,
        organization=world.org,
        team=world.team,
        file_format=fmt or detect_format(path),
        **kwargs,
    )


def messages(world):
    return Interaction.objects.filter(organization=world.org).exclude(kind="system_event")


def by_key(world, key):
    return messages(world).get(idempotency_key=f"import:{key}")


def test_detect_format():
    assert detect_format(DATA / "history.csv") == "csv"
    assert detect_format(DATA / "history.jsonl") == "jsonl"
    assert detect_format(DATA / "zendesk_tickets.json") == "zendesk"
    assert detect_format(DATA / "zendesk_tickets.ndjson") == "zendesk"


def test_csv(world):
    result = do_import(world, "history.csv")
    assert result.imported == {"client": 4, "case": 4, "message": 7}
    assert (result.duplicates, result.failed, result.skipped) == (0, 0, {})
    marta = Client.objects.get(contact_points__value="marta@history.test")
    assert marta.preferred_language == "pl" and marta.team == world.team
    case = Case.objects.get(client=marta)
    assert case.subject == "Podwójna opłata" and case.status == "closed"
    assert case.priority == "high" and case.channel == "email"
    assert case.created_at == dt.datetime(2023, 3, 1, 8, tzinfo=dt.UTC)
    log = list(messages(world).filter(case=case).order_by("seq"))
    assert [m.kind for m in log] == ["inbound", "outbound", "inbound"]
    # original times, zones honoured, a time without a zone read as UTC
    assert log[0].occurred_at == dt.datetime(2023, 3, 1, 8, tzinfo=dt.UTC)
    assert log[1].occurred_at == dt.datetime(2023, 3, 1, 9, 30, tzinfo=dt.UTC)
    assert log[2].occurred_at == dt.datetime(2023, 3, 6, 12, tzinfo=dt.UTC)
    assert log[1].author == world.agent
    # an imported reply makes no follow-ups from its (years-old) promises
    assert not FollowUp.objects.filter(case=case).exists()
    # a multi-line CSV field stays one message
    john = Case.objects.get(client__contact_points__value="john@history.test")
    first = messages(world).filter(case=john, kind="inbound").get()
    assert "two weeks.\nI have restarted" in first.text
    assert messages(world).filter(case=john, kind="internal_note", author=world.agent).exists()
    assert verify_logs() == []


def test_jsonl(world):
    result = do_import(world, "history.jsonl")
    assert result.imported == {"client": 2, "case": 2, "message": 4}
    assert result.failed == 0
    ana = Client.objects.get(name="Ana Horvat")
    assert ana.preferred_language == "sr-latn" and ana.tags == ["vip"]
    c11 = Case.objects.get(subject="החשבון שלי שגוי")
    assert c11.status == "closed" and c11.channel == "chat"
    assert c11.created_at == dt.datetime(2023, 2, 14, 10, tzinfo=dt.UTC)
    unix = by_key(world, "jsonl:message:M-13")
    assert unix.occurred_at == dt.datetime.fromtimestamp(1676380000, dt.UTC)


def test_zendesk_json_export(world):
    result = do_import(world, "zendesk_tickets.json")
    assert result.file_format == "zendesk" and result.total == 2
    assert result.imported == {"client": 2, "case": 2, "message": 4}
    assert result.failed == 0
    lena = Client.objects.get(contact_points__value="lena@history.test")
    assert lena.name == "Lena Fischer" and lena.preferred_language == "en"
    case = Case.objects.get(client=lena)
    assert case.subject == "Meter reading is wrong"
    assert (
        case.status == "resolved" and case.priority == "high" and case.tags == ["billing", "meter"]
    )
    log = list(messages(world).filter(case=case).order_by("seq"))
    assert [m.kind for m in log] == ["inbound", "outbound", "internal_note"]
    # the agent's comments are credited to the desk user with the same email
    assert log[1].author == world.agent and log[2].author == world.agent
    assert log[1].text == "Thank you for the photo. We corrected the bill to 400 units."
    # a ticket without comments: its description is the requester's first message
    piotr = Case.objects.get(client__name="Piotr Zieliński")
    assert piotr.status == "open" and piotr.channel == "web"
    only = messages(world).get(case=piotr)
    assert only.kind == "inbound" and "losing my patience" in only.text
    assert only.data["import"] == "zendesk:message:35437-description"


def test_zendesk_ndjson_export_with_bad_records(world):
    result = do_import(world, "zendesk_tickets.ndjson")
    assert result.total == 4
    assert result.imported == {"client": 1, "case": 2, "message": 3}
    reasons = {(f.line, f.key): f.reason for f in result.failures}
    assert result.failed == 4 == len(reasons)
    assert "empty" in reasons[(4, "zendesk:message:90021")]
    assert "future" in reasons[(4, "zendesk:message:90022")]
    assert "requester_id is missing" in reasons[(5, "")]
    assert "not JSON" in reasons[(6, "")]
    # the failures are stored with the run, the good records of the same ticket went in
    run = ImportRun.objects.get(pk=result.run_id)
    assert run.failures.count() == 4 and run.state == RunState.DONE
    mila = Client.objects.get(name="Mila Jovanović")
    assert mila.preferred_language == "sr-latn"
    reply = by_key(world, "zendesk:message:90012")
    assert reply.text == "Kvar je otklonjen, izvinite na čekanju." and reply.author is None
    assert Case.objects.get(subject="Billing").status == "waiting_on_client"
    assert Case.objects.get(subject="Billing").channel == "phone"
    assert messages(world).filter(idempotency_key="import:zendesk:message:90023").exists()


@pytest.mark.parametrize(
    "name", ["history.csv", "history.jsonl", "zendesk_tickets.json", "zendesk_tickets.ndjson"]
)
def test_rerun_imports_nothing_twice(world, name):
    first = do_import(world, name)
    counts = (Client.objects.count(), Case.objects.count(), Interaction.objects.count())
    audits = AuditEntry.objects.count()
    second = do_import(world, name)
    assert second.imported_total == 0
    assert second.duplicates == first.imported_total
    assert (Client.objects.count(), Case.objects.count(), Interaction.objects.count()) == counts
    assert AuditEntry.objects.count() == audits
    assert second.failed == first.failed  # bad records are tried again, and fail again
    assert ImportRun.objects.count() == 2


def test_same_records_in_another_file_are_duplicates(world, tmp_path):
    do_import(world, "history.jsonl")
    lines = (DATA / "history.jsonl").read_text(encoding="utf-8").splitlines()
    extra = {
        "type": "message",
        "id": "M-99",
        "case": "C-10",
        "direction": "inbound",
        "occurred_at": "2022-11-04T09:00:00Z",
        "text": "One more thing about the parcel.",
    }
    other = tmp_path / "more.jsonl"
    other.write_text("\n".join([*reversed(lines), json.dumps(extra)]) + "\n", encoding="utf-8")
    result = do_import(world, other, source="jsonl")
    assert result.imported == {"client": 0, "case": 0, "message": 1}
    assert result.duplicates == 8


def test_existing_client_with_the_same_email_gets_the_history(world):
    from calmdesk.desk.actions.clients import do_create_client

    known = do_create_client(
        None, organization=world.org, team=world.team, name="M. Nowak", email="Marta@History.test"
    )
    do_import(world, "history.csv")
    assert Case.objects.filter(client=known).count() == 1
    assert Client.objects.filter(contact_points__value__iexact="marta@history.test").count() == 1


def _big_jsonl(path: Path, cases: int = 6, per_case: int = 5) -> int:
    rows = []
    for c in range(cases):
        rows.append(
            {"type": "client", "id": f"k{c}", "name": f"Client {c}", "email": f"k{c}@bulk.test"}
        )
        rows.append(
            {
                "type": "case",
                "id": f"c{c}",
                "client": f"k{c}",
                "subject": f"Case {c}",
                "channel": "email",
            }
        )
        for m in range(per_case):
            rows.append(
                {
                    "type": "message",
                    "id": f"m{c}-{m}",
                    "case": f"c{c}",
                    "direction": "inbound" if m % 2 == 0 else "outbound",
                    "occurred_at": f"2021-0{1 + c % 9}-1{m}T10:00:00Z",
                    "text": f"Message {m} of case {c}: the meter reading is wrong.",
                }
            )
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return len(rows)


def test_crash_midway_resumes_where_it_stopped(world, tmp_path, monkeypatch):
    path = tmp_path / "bulk.jsonl"
    total = _big_jsonl(path)
    original = importer_module._Importer.record
    calls = {"n": 0}
    crash_at = 17  # the 17th record: inside the 4th batch of 5

    def flaky(self, record, key):
        calls["n"] += 1
        if calls["n"] == crash_at:
            raise RuntimeError("disk unplugged")
        return original(self, record, key)

    monkeypatch.setattr(importer_module._Importer, "record", flaky)
    with pytest.raises(ImportAborted, match="disk unplugged") as info:
        do_import(world, path, batch=5)
    run = info.value.run
    assert run.state == RunState.ABORTED and "disk unplugged" in run.error
    assert run.position == 15  # three whole batches committed, the fourth rolled back
    assert ImportedRecord.objects.count() == 15
    monkeypatch.setattr(importer_module._Importer, "record", original)
    result = do_import(world, path, batch=5)
    assert result.run_id == run.pk and result.resumed_at == 15
    assert result.imported_total == total and result.duplicates == 0
    run.refresh_from_db()
    assert run.state == RunState.DONE and run.position == total
    assert ImportedRecord.objects.count() == total
    assert messages(world).count() == 30
    keys = list(messages(world).values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys)) == 30
    assert verify_logs() == []


def test_dry_run_changes_nothing(world):
    before = (Client.objects.count(), Interaction.objects.count(), AuditEntry.objects.count())
    result = do_import(world, "zendesk_tickets.ndjson", dry_run=True)
    assert result.dry_run and result.imported == {"client": 1, "case": 2, "message": 3}
    assert result.failed == 4
    after = (Client.objects.count(), Interaction.objects.count(), AuditEntry.objects.count())
    assert after == before
    assert not ImportRun.objects.exists() and not ImportFailure.objects.exists()


def test_old_crisis_is_flagged_in_history_without_an_alert(world):
    result = do_import(world, "history.csv")
    assert (result.crisis_alerted, result.crisis_history) == (0, 1)
    message = by_key(world, "csv:message:M-7")
    assert message.data["crisis_in_history"] == ["self_harm"]
    assert not CrisisIncident.objects.exists()
    assert not Notification.objects.filter(kind="crisis").exists()
    flagged = ImportedRecord.objects.get(key="csv:message:M-7")
    assert flagged.crisis == "history"
    entry = AuditEntry.objects.get(action="interaction.receive", object_id=str(message.pk))
    assert entry.data["crisis_in_history"] == ["self_harm"] and entry.data["historical"]
    # the violent threat in the JSONL history is flagged the same way
    assert do_import(world, "history.jsonl").crisis_history == 1


def test_recent_crisis_alerts_like_a_live_message(world, tmp_path):
    when = (timezone.now() - dt.timedelta(days=2)).isoformat()
    old = (timezone.now() - dt.timedelta(days=40)).isoformat()
    rows = [
        {"type": "client", "id": "r1", "name": "Recent", "email": "recent@history.test"},
        {"type": "case", "id": "rc1", "client": "r1", "subject": "Help", "channel": "email"},
        {
            "type": "message",
            "id": "rm1",
            "case": "rc1",
            "direction": "inbound",
            "occurred_at": when,
            "text": "I can't go on. I am going to kill myself tonight.",
        },
        {
            "type": "message",
            "id": "rm0",
            "case": "rc1",
            "direction": "inbound",
            "occurred_at": old,
            "text": "I can't go on. I am going to kill myself tonight.",
        },
    ]
    path = tmp_path / "recent.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    result = do_import(world, path)
    assert (result.crisis_alerted, result.crisis_history) == (1, 1)
    recent = by_key(world, "jsonl:message:rm1")
    assert CrisisIncident.objects.filter(interaction=recent).count() == 1
    assert CrisisIncident.objects.count() == 1
    assert Notification.objects.filter(user=world.supervisor, kind="crisis").exists()
    # --alert-days 60 would have alerted the 40-day-old one too
    path2 = tmp_path / "recent2.jsonl"
    path2.write_text(path.read_text(encoding="utf-8").replace('"r', '"s'), encoding="utf-8")
    assert do_import(world, path2, alert_days=60).crisis_alerted == 2


def test_unreadable_file_and_wrong_team(world, tmp_path):
    from calmdesk.desk.actions.organizations import do_create_organization, do_create_team

    bad = tmp_path / "x.csv"
    bad.write_text("name,email\nA,a@x.test\n", encoding="utf-8")
    result = do_import(world, bad)
    assert result.failed == 1 and "lacks the column" in result.failures[0].reason
    other = do_create_organization("South", slug="south")
    team = do_create_team(None, other, "S", slug="s")
    with pytest.raises(RecordError, match="another organization"):
        run_import(DATA / "history.csv", organization=world.org, team=team, file_format="csv")
