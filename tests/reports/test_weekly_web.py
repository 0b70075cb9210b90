"""The weekly report email: opt-in page (POST with CSRF), delivery to a real SMTP server
(aiosmtpd on loopback) with the PDF attached, once per ISO week, through the sweeper's tick."""

# ruff: noqa: F811  (pytest fixtures imported from tests/reports/_web.py)

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from calmdesk.desk import tasks
from calmdesk.desk.models import User
from calmdesk.reports import weekly
from calmdesk.reports.models import ReportSubscription
from tests.desk._smtp_sink import SmtpSink
from tests.reports._web import (  # noqa: F401
    SEEN,
    _fast_and_isolated,
    synthetic_reports,
    world,
)

pytestmark = pytest.mark.django_db

# Monday 23 November 2026, 08:30 UTC: week 2026-W47 (16–22 November) has just ended
MONDAY = dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC)


@pytest.fixture
def smtp(settings):
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        yield sink


def opt_in(world, who: str, email: str, language: str = "") -> User:
    user = world.users[who]
    User.objects.filter(pk=user.pk).update(email=email, preferred_language=language)
    client = world.http(who, csrf=True)
    page = client.get(reverse("reports:subscription"))
    token = page.cookies["csrftoken"].value
    r = client.post(reverse("reports:subscription"), {"weekly": "on", "csrfmiddlewaretoken": token})
    assert r.status_code == 302
    assert ReportSubscription.objects.get(user=user).weekly
    return user


def test_opt_in_page_needs_csrf_and_a_lead(world, synthetic_reports):
    url = reverse("reports:subscription")
    client = world.http("supervisor_a", csrf=True)
    assert client.post(url, {"weekly": "on"}).status_code == 403  # no CSRF token
    assert not ReportSubscription.objects.exists()
    html = world.http("supervisor_a").get(url).content.decode()
    assert 'id="subscription-form"' in html and 'name="csrfmiddlewaretoken"' in html
    # agents and mentors are not offered the team summary, and cannot post it
    for who in ("agent_a", "mentor"):
        page = world.http(who).get(url)
        assert page.status_code == 200 and 'id="not-for-you"' in page.content.decode()
        assert world.http(who).post(url, {"weekly": "on"}).status_code == 404
    assert not ReportSubscription.objects.exists()
    # opting out again
    opt_in(world, "supervisor_a", "sup@example.test")
    world.http("supervisor_a").post(url, {})
    assert not ReportSubscription.objects.get(user=world.users["supervisor_a"]).weekly


def test_weekly_email_is_delivered_once_per_week_with_the_pdf(world, synthetic_reports, smtp):
    sup = opt_in(world, "supervisor_a", "sup@example.test", "he")
    opt_in(world, "admin", "admin@example.test", "sr")
    # Monday before 07:00: not yet
    early = MONDAY.replace(hour=5)
    assert weekly.send_weekly(early).sent == 0 and smtp.count() == 0
    report = tasks.tick(MONDAY, inline=True)
    assert report.results["weekly-reports"] == 2
    assert smtp.count() == 2
    by_rcpt = {m.rcpt[0]: m for m in smtp.messages}
    he = by_rcpt["sup@example.test"].message
    assert he["Subject"] == "דוח שבועי 2026-W47"
    body = he.get_body(preferencelist=("plain",)).get_content()
    assert "2026-11-16" in body and "2026-11-22" in body
    assert "/reports/subscription/" in body
    pdfs = [p for p in he.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and pdfs[0].get_filename() == "calmdesk-weekly-2026-W47.pdf"
    assert pdfs[0].get_content().startswith(b"%PDF-")
    sr = by_rcpt["admin@example.test"].message
    assert sr["Subject"] == "Недељни извештај 2026-W47"
    # the week built was Monday to Sunday, for team reports only, without client text
    weeks = {(f.date_from, f.date_to) for f, _s in SEEN}
    assert weeks == {(dt.date(2026, 11, 16), dt.date(2026, 11, 22))}
    assert all(s.text_team_ids == () for _f, s in SEEN)
    assert ReportSubscription.objects.get(user=sup).last_sent_week == "2026-W47"
    # later ticks of the same week send nothing again
    tasks.tick(MONDAY + dt.timedelta(hours=1), inline=True)
    weekly.send_weekly(MONDAY + dt.timedelta(days=3))
    assert smtp.count() == 2
    # the next week is sent once more
    weekly.send_weekly(MONDAY + dt.timedelta(days=7))
    assert smtp.count() == 4
    assert ReportSubscription.objects.get(user=sup).last_sent_week == "2026-W48"


def test_a_failed_send_is_retried_and_others_still_go(world, synthetic_reports, smtp, settings):
    opt_in(world, "supervisor_a", "sup@example.test")
    opt_in(world, "admin", "admin@example.test")
    User.objects.filter(pk=world.users["admin"].pk).update(email="not an address")
    run = weekly.send_weekly(MONDAY)
    assert (run.sent, run.failed) == (1, 0)
    assert run.outcomes[world.users["admin"].id] == "bad-address"
    admin_sub = ReportSubscription.objects.get(user=world.users["admin"])
    assert admin_sub.last_sent_week == ""  # not claimed: sent once the address is fixed
    User.objects.filter(pk=world.users["admin"].pk).update(email="admin@example.test")
    settings.EMAIL_PORT = 9  # the mail server is down
    assert weekly.send_weekly(MONDAY).failed == 1
    assert ReportSubscription.objects.get(pk=admin_sub.pk).last_sent_week == ""
    settings.EMAIL_PORT = smtp.port
    assert weekly.send_weekly(MONDAY).sent == 1
    assert smtp.count() == 2


def test_the_tick_step_is_isolated(world, synthetic_reports, monkeypatch):
    def broken(now, *, inline=False):
        raise RuntimeError("boom")

    monkeypatch.setattr(weekly, "tick_weekly", broken)
    report = tasks.tick(MONDAY, inline=True)  # the other steps still ran, nothing raised
    assert "weekly-reports" not in report.results


def test_with_a_worker_the_tick_enqueues_the_job(world, synthetic_reports, smtp):
    from django_tasks_db.models import DBTaskResult

    path = "calmdesk.reports.weekly.send_weekly_reports"
    opt_in(world, "supervisor_a", "sup@example.test")
    assert weekly.tick_weekly(MONDAY.replace(hour=6)) == 0  # Monday before 07:00: not yet
    assert weekly.tick_weekly(MONDAY) == 1
    row = DBTaskResult.objects.get(task_path=path)
    # the worker runs it (here in-process, with the arguments it was given): one email
    assert weekly.send_weekly_reports.func(*row.args_kwargs["args"]) == 1 and smtp.count() == 1
    assert weekly.tick_weekly(MONDAY + dt.timedelta(hours=1)) == 0
    assert DBTaskResult.objects.filter(task_path=path).count() == 1


def test_agents_and_people_without_address_get_nothing(world, synthetic_reports, smtp):
    ReportSubscription.objects.create(user=world.users["agent_a"], weekly=True)
    User.objects.filter(pk=world.users["agent_a"].pk).update(email="a@example.test")
    ReportSubscription.objects.create(user=world.users["supervisor_a"], weekly=True)
    run = weekly.send_weekly(MONDAY)
    assert run.sent == 0
    assert run.outcomes == {
        world.users["agent_a"].id: "not-a-lead",
        world.users["supervisor_a"].id: "no-address",
    }
    assert smtp.count() == 0


class _Refusing:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 no such mailbox"


def test_a_permanent_refusal_is_not_retried_every_minute(world, synthetic_reports, settings):
    from aiosmtpd.controller import Controller

    from tests.desk._smtp_sink import free_port

    opt_in(world, "supervisor_a", "gone@example.test")
    port = free_port()
    controller = Controller(_Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        run = weekly.send_weekly(MONDAY)
    finally:
        controller.stop()
    assert run.outcomes[world.users["supervisor_a"].id] == "refused"
    sub = ReportSubscription.objects.get(user=world.users["supervisor_a"])
    assert sub.last_sent_week == "2026-W47"  # kept: the next tick does not try again
    assert not weekly.any_due(MONDAY + dt.timedelta(minutes=1))
