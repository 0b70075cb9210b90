"""The demo loader: figures, languages and scripts, idempotence, intact hash chains."""

from __future__ import annotations

import datetime as dt

import pytest

from calmdesk.desk.demo import demo_logins, load_demo
from calmdesk.desk.demo._loader import DemoDataError, parse_when, script_of
from calmdesk.desk.models import (
    AuditEntry,
    Case,
    CaseShare,
    Client,
    Interaction,
    Kind,
    Organization,
    User,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def _demo_loaded(django_db_setup, django_db_blocker):
    """Load the demo once per module inside a transaction that is rolled back at the end;
    every test still runs in its own savepoint (pytest-django's ``db``)."""
    from django.db import transaction
    from django.test.utils import override_settings

    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast:
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield load_demo()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def summary(_demo_loaded, db):
    return _demo_loaded


def test_demo_figures(summary):
    assert summary.created
    assert f"{summary.clients} clients, {summary.cases} cases" in str(summary)
    assert summary.clients == Client.objects.count() >= 30
    assert summary.cases == Case.objects.count() >= 60
    assert summary.interactions == Interaction.objects.count()
    assert Interaction.objects.count() >= 4 * summary.cases
    assert set(summary.by_language) == {"en", "pl", "sr", "sr-latn", "he"}
    for figures in summary.by_language.values():
        assert figures.clients >= 4
        assert figures.cases >= 7


def test_every_case_has_several_interactions(summary):
    for case in Case.objects.all():
        non_system = case.interactions.exclude(kind=Kind.SYSTEM_EVENT).count()
        assert non_system >= 2, case.subject


def test_messages_in_every_language_and_script(summary):
    inbound = Interaction.objects.filter(kind=Kind.INBOUND)
    for language in ("en", "pl", "sr", "sr-latn", "he"):
        assert inbound.filter(language=language).count() >= 5, language
    cyrillic = {script_of(i.text) for i in inbound.filter(language="sr")}
    latin = {script_of(i.text) for i in inbound.filter(language="sr-latn")}
    assert cyrillic == {"cyrl"}
    assert latin == {"latn"}
    assert all(
        "\u0590" <= ch <= "\u05ff" for i in inbound.filter(language="he") for ch in i.text[:1]
    )


def test_demo_covers_the_difficult_situations(summary):
    kinds = set(Interaction.objects.values_list("kind", flat=True))
    assert kinds == {k.value for k in Kind}
    events = set(Interaction.objects.values_list("event_type", flat=True))
    assert {"transfer", "assignment", "status", "escalation"} <= events
    # self-harm and violence: one of each per language at least (en has one of each)
    assert Interaction.objects.filter(event_type="escalation").count() >= 7
    # a case passed around at least three times
    transfers = [c.interactions.filter(event_type="transfer").count() for c in Case.objects.all()]
    assert max(transfers) >= 3
    assert Case.objects.exclude(root_cause=None).count() >= 40
    assert Case.objects.exclude(expected="").count() >= 15
    assert Client.objects.exclude(banner="").count() >= 20
    assert CaseShare.objects.count() >= 3
    call_notes = Interaction.objects.filter(kind=Kind.CALL_NOTE)
    assert all(n.data.get("expected") for n in call_notes)


def test_times_are_in_the_past_and_ordered(summary):
    now = dt.datetime.now(dt.UTC)
    for case in Case.objects.all():
        times = list(case.interactions.order_by("seq").values_list("occurred_at", flat=True))
        assert times == sorted(times), case.subject
        assert times[-1] <= now + dt.timedelta(minutes=1)
        assert case.created_at <= times[0]
    assert Case.objects.filter(created_at__lt=now - dt.timedelta(days=7)).exists()
    audit_times = list(AuditEntry.objects.order_by("seq").values_list("created_at", flat=True))
    assert audit_times == sorted(audit_times)


def test_clock_is_restored_after_loading(summary):
    from django.utils import timezone

    from calmdesk.desk.actions.cases import do_create_case
    from calmdesk.desk.models import Team

    real = dt.datetime.now(dt.UTC)
    assert abs(timezone.now() - real) < dt.timedelta(seconds=5)
    team = Team.objects.get(slug="support-en")
    case = do_create_case(
        None, client=Client.objects.first(), team=team, subject="After the demo", channel="email"
    )
    assert abs(case.created_at - real) < dt.timedelta(seconds=5)
    assert abs(case.interactions.get().recorded_at - real) < dt.timedelta(seconds=5)


def test_loader_is_idempotent(summary):
    counts = (Organization.objects.count(), Case.objects.count(), Interaction.objects.count())
    again = load_demo()
    assert not again.created
    assert "not loaded" in str(again)
    assert counts == (
        Organization.objects.count(),
        Case.objects.count(),
        Interaction.objects.count(),
    )


def test_hash_chains_verify_after_loading(summary):
    from calmdesk.desk.lib.verify import verify_logs

    assert verify_logs() == []


def test_demo_logins_can_log_in(summary, client):
    logins = demo_logins()
    roles = {login.role for login in logins}
    assert {"agent", "supervisor", "mentor", "admin"} <= roles
    assert {login.language for login in logins} >= {"en", "pl", "sr", "sr-latn", "he"}
    assert User.objects.filter(organization__isnull=False).count() == len(logins)
    for login in logins:
        assert client.login(username=login.username, password=login.password), login.username
        client.logout()


def test_parse_when():
    from zoneinfo import ZoneInfo

    now = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
    warsaw = ZoneInfo("Europe/Warsaw")
    assert parse_when("-2d 09:30", now=now, tz=warsaw, where="t") == dt.datetime(
        2026, 3, 8, 8, 30, tzinfo=dt.UTC
    )
    assert parse_when("-3h", now=now, tz=warsaw, where="t") == now - dt.timedelta(hours=3)
    assert parse_when("-45m", now=now, tz=warsaw, where="t") == now - dt.timedelta(minutes=45)
    for bad in ("yesterday", "-2d 25:00", "+1d 10:00", ""):
        with pytest.raises(DemoDataError):
            parse_when(bad, now=now, tz=warsaw, where="t")


def test_every_demo_user_can_browse_the_demo(summary, client):
    """Each demo login sees its cases in its own language; every visible case page renders."""
    from django.urls import reverse

    from calmdesk.desk.lib.access import cases_visible_to

    expected_dir = {"he": "rtl"}
    for login in demo_logins():
        user = User.objects.get(username=login.username)
        client.force_login(user)
        page = client.get(reverse("desk:case_list"))
        assert page.status_code == 200
        html = page.content.decode()
        direction = expected_dir.get(login.language, "ltr")
        assert f'<html lang="{login.language}" dir="{direction}">' in html
        visible = cases_visible_to(user)
        assert visible.exists(), login.username
        # the admin opens every case and client page; the others a few of theirs
        for case in visible if login.role == "admin" else visible[:2]:
            response = client.get(reverse("desk:case", args=[case.pk]))
            assert response.status_code == 200, (login.username, case.subject)
            response = client.get(reverse("desk:client", args=[case.client_id]))
            assert response.status_code == 200, (login.username, case.client.name)
        client.logout()


def test_demo_shows_the_workflow_at_work(summary):
    """The issue's acceptance: an overdue promise, a pending supervisor approval, a case
    transferred twice with full hand-off notes, and a crisis case with its incident open."""
    from django.utils import timezone

    from calmdesk.desk.actions.transfers import latest_handoff
    from calmdesk.desk.models import CrisisIncident, EscalationRequest, FollowUp

    now = timezone.now()
    overdue = FollowUp.objects.filter(status="open", due_at__lt=now)
    assert overdue.exclude(case__status__in=["resolved", "closed"]).exists()
    pending = EscalationRequest.objects.filter(kind="approval", status="open")
    assert pending.exists()
    assert all(r.decision_subject and r.reason for r in pending)
    twice = [c for c in Case.objects.filter(transfer_count__gte=2)]
    assert twice
    for case in twice:
        for event in case.interactions.filter(event_type="transfer"):
            handoff = event.data["handoff"]
            assert handoff["why"] and handoff["tried"] and handoff["promised"], case.subject
            assert "see the hand-over note" not in handoff["tried"] + handoff["promised"]
        assert latest_handoff(case)["number"] == case.transfer_count
    open_crisis = CrisisIncident.objects.filter(status="open")
    assert open_crisis.exists()
    assert all(i.case.status not in ("resolved", "closed") for i in open_crisis)
