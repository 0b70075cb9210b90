"""The workflow on the web, through HTTP: promises, the crisis incident record, closing
refused while it is open, transfers with the warm hand-off, backup and approvals with the
supervisor queue, the summary email, the well-being check-in and the notifications list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from calmdesk.desk.actions.escalations import do_request_backup
from calmdesk.desk.actions.followups import do_add_followup
from calmdesk.desk.actions.interactions import do_receive_message
from calmdesk.desk.models import (
    CrisisIncident,
    EscalationRequest,
    FollowUp,
    Interaction,
    Notification,
    WellbeingCheckIn,
)

pytestmark = pytest.mark.django_db

CRISIS_TEXT = "I can't go on. I am going to kill myself tonight."


def case_url(world: Any, key: str) -> str:
    return reverse("desk:case", kwargs={"case_id": world.cases[key].id})


def page(world: Any, who: str, key: str) -> str:
    r = world.http(who).get(case_url(world, key))
    assert r.status_code == 200
    return str(r.content.decode())


def flashes(response: Any) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def test_case_page_shows_the_workflow_panels_to_the_agent(world: Any) -> None:
    html = page(world, "agent_a", "a2")
    for anchor in ('id="promises"', 'id="backup"', 'id="transfer"', 'id="summary-email"'):
        assert anchor in html
    assert 'id="promise-form"' in html and 'id="backup-form"' in html
    assert 'id="crisis-incident"' not in html  # no crisis in this case


def test_mentor_reads_the_panels_but_cannot_write(world: Any) -> None:
    do_add_followup(world.users["agent_a"], case=world.cases["a"], action="Send the form")
    html = page(world, "mentor", "a")
    assert "Send the form" in html and 'id="promises"' in html
    assert 'id="promise-form"' not in html and 'id="transfer-form"' not in html
    followup = FollowUp.objects.get(case=world.cases["a"])
    client = world.http("mentor")
    posts = [
        (reverse("desk:promise_add", args=[world.cases["a"].id]), {"action": "x"}),
        (reverse("desk:promise_close", args=[followup.id]), {"status": "kept"}),
        (reverse("desk:backup", args=[world.cases["a"].id]), {"kind": "advice", "reason": "r"}),
        (reverse("desk:status", args=[world.cases["a"].id]), {"status": "open"}),
        (reverse("desk:summary_send", args=[world.cases["a"].id]), {"subject": "s", "body": "b"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    followup.refresh_from_db()
    assert followup.status == "open"
    assert not EscalationRequest.objects.filter(case=world.cases["a"]).exists()


def test_add_a_promise_by_hand_in_the_users_time_zone(world: Any) -> None:
    agent = world.users["agent_a"]
    agent.timezone = "Europe/Warsaw"
    agent.save(update_fields=["timezone"])
    client = world.http("agent_a")
    url = reverse("desk:promise_add", args=[world.cases["a2"].id])
    r = client.post(url, {"action": "Call back", "due_date": "2031-03-04", "due_time": "09:00"})
    assert r.status_code == 302 and r["Location"].endswith("#promises")
    followup = FollowUp.objects.get(case=world.cases["a2"], action="Call back")
    assert followup.owner_id == agent.id
    assert followup.due_at == dt.datetime(2031, 3, 4, 8, 0, tzinfo=dt.UTC)
    html = page(world, "agent_a", "a2")
    assert 'datetime="2031-03-04T09:00:00+01:00"' in html  # shown in the user's zone
    # a time without a date is refused on the form, nothing is stored
    r = client.post(url, {"action": "Later", "due_time": "09:00"})
    assert r.status_code == 422 and "A time needs a date." in r.content.decode()
    assert not FollowUp.objects.filter(action="Later").exists()
    # another team's agent cannot add one
    assert world.http("agent_b").post(url, {"action": "x"}).status_code == 404


@pytest.mark.parametrize("status", ["kept", "missed", "cancelled"])
def test_mark_a_promise(world: Any, status: str) -> None:
    followup = do_add_followup(world.users["agent_a"], case=world.cases["a2"], action="Refund")
    url = reverse("desk:promise_close", args=[followup.id])
    assert world.http("agent_b").post(url, {"status": status}).status_code == 404
    r = world.http("agent_a").post(url, {"status": status})
    assert r.status_code == 302
    followup.refresh_from_db()
    assert followup.status == status and followup.closed_by_id == world.users["agent_a"].id
    assert 'id="promise-' in page(world, "agent_a", "a2")


def test_crisis_incident_checklist_and_closing_refused_until_complete(world: Any) -> None:
    case = world.cases["a2"]
    do_receive_message(None, case=case, text=CRISIS_TEXT, channel="email")
    incident = CrisisIncident.objects.get(case=case)
    html = page(world, "agent_a", "a2")
    assert 'id="crisis-incident"' in html and "Complete the incident record" in html
    client = world.http("agent_a")
    status_url = reverse("desk:status", args=[case.id])
    r = client.post(status_url, {"status": "closed"}, follow=True)
    assert any("complete its incident record" in m for m in flashes(r))
    assert "complete its incident record" in r.content.decode()
    case.refresh_from_db()
    assert case.status != "closed"
    # completing before every required step is refused with the reason
    complete_url = reverse("desk:crisis_complete", args=[incident.id])
    r = client.post(complete_url, {"summary": "Supervisor took over."})
    assert r.status_code == 422 and "Record every required step" in r.content.decode()
    assert world.http("agent_b").post(complete_url, {"summary": "x"}).status_code == 404
    step_url = reverse("desk:crisis_step", args=[incident.id])
    assert world.http("agent_b").post(step_url, {"step_id": "x"}).status_code == 404
    for step in incident.steps:
        r = client.post(step_url, {"step_id": step["id"], "note": "done <b>now</b>"})
        assert r.status_code == 302
    incident.refresh_from_db()
    assert all(s["done_by"] == world.users["agent_a"].id for s in incident.steps)
    html = page(world, "agent_a", "a2")
    assert "done &lt;b&gt;now&lt;/b&gt;" in html  # escaped
    assert client.post(complete_url, {"summary": "Help line given."}).status_code == 302
    incident.refresh_from_db()
    assert incident.status == "completed"
    r = client.post(status_url, {"status": "closed"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == "closed"


def test_transfer_needs_the_warm_handoff_and_the_receiver_sees_it_first(world: Any) -> None:
    case = world.cases["a2"]
    url = reverse("desk:transfer", args=[case.id])
    beta, alpha = world.teams["beta"], world.teams["alpha"]
    # the admin (supervisor in both teams) moves it twice: the second needs everything
    admin = world.http("admin")
    r = admin.post(url, {"team": beta.id, "note": "Billing <question>"})
    assert r.status_code == 302
    html = page(world, "agent_b", "a2")
    assert html.index('id="handoff"') < html.index('id="timeline-title"')
    assert "Billing &lt;question&gt;" in html
    back = {"team": alpha.id, "note": "Back to delivery"}
    r = admin.post(url, back)
    assert r.status_code == 422 and "all three parts" in r.content.decode()
    full = {**back, "tried": "Checked the invoice", "promised": "Answer by Friday"}
    r = admin.post(url, full)
    assert r.status_code == 422 and "confirm that another transfer" in r.content.decode()
    r = admin.post(url, {**full, "confirm": "on"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.team_id == alpha.id and case.transfer_count == 2
    html = page(world, "agent_a", "a2")
    assert "Answer by Friday" in html and "passed back to a team it already left" in html
    assert "already transferred 2 time(s)" in html
    assert world.http("agent_b").post(url, full).status_code == 404


def test_backup_request_queue_and_decision(world: Any) -> None:
    case = world.cases["a2"]
    do_receive_message(None, case=case, text="Any news?", channel="email")  # client waits
    r = world.http("agent_a").post(
        reverse("desk:backup", args=[case.id]),
        {"kind": "approval", "reason": "Refund above my limit", "decision_subject": "Refund"},
    )
    assert r.status_code == 302
    request = EscalationRequest.objects.get(case=case)
    html = page(world, "agent_a", "a2")
    assert "Refund above my limit" in html and "The client has been waiting for" in html
    other = do_request_backup(world.users["agent_b"], world.cases["b"], reason="Beta asks")
    queue = world.http("supervisor_a").get(reverse("desk:queue")).content.decode()
    assert "Refund above my limit" in queue and "Beta asks" not in queue
    admin_queue = world.http("admin").get(reverse("desk:queue")).content.decode()
    assert "Refund above my limit" in admin_queue and "Beta asks" in admin_queue
    assert (
        world.http("agent_a").get(reverse("desk:queue")).content.decode().count("decide-form") == 0
    )
    decide = reverse("desk:decide", args=[request.id])
    # another team's agent: 404; the requester cannot approve their own request
    assert world.http("agent_b").post(decide, {"decision": "approved"}).status_code == 404
    r = world.http("agent_a").post(decide, {"decision": "approved"}, follow=True)
    assert any("may not" in m for m in flashes(r))
    request.refresh_from_db()
    assert request.status == "open"
    r = world.http("supervisor_a").post(decide, {"decision": "approved", "note": "Go ahead"})
    assert r.status_code == 302
    request.refresh_from_db()
    assert request.status == "approved" and request.decision_note == "Go ahead"
    assert "Go ahead" in page(world, "agent_a", "a2")
    assert (
        world.http("supervisor_a")
        .post(reverse("desk:decide", args=[other.id]), {"decision": "answered"})
        .status_code
        == 404
    )


def test_queue_link_only_for_leads(world: Any) -> None:
    url = reverse("desk:case_list")
    assert 'id="nav-queue"' in world.http("supervisor_a").get(url).content.decode()
    assert 'id="nav-queue"' in world.http("admin").get(url).content.decode()
    assert 'id="nav-queue"' not in world.http("agent_a").get(url).content.decode()


def test_summary_email_draft_edit_and_send(world: Any) -> None:
    case = world.cases["a2"]
    url = reverse("desk:summary", args=[case.id])
    html = world.http("agent_a").get(url).content.decode()
    assert 'id="summary-form"' in html and "Late delivery a2" in html
    assert world.http("agent_b").get(url).status_code == 404
    send = reverse("desk:summary_send", args=[case.id])
    r = world.http("agent_a").post(send, {"subject": "Your case", "body": "We <fixed> it."})
    assert r.status_code == 302
    sent = Interaction.objects.filter(case=case, kind="outbound").order_by("-seq").first()
    assert sent is not None and "We <fixed> it." in sent.text
    assert world.http("agent_b").post(send, {"subject": "s", "body": "b"}).status_code == 404


def test_wellbeing_checkin_after_a_crisis_is_private(world: Any) -> None:
    case = world.cases["a2"]
    r = world.http("agent_a").post(reverse("desk:take_break", args=[case.id]))
    assert r.status_code == 302
    checkin = WellbeingCheckIn.objects.get(user=world.users["agent_a"], case=case)
    html = page(world, "agent_a", "a2")
    assert 'id="wellbeing"' in html
    assert 'id="wellbeing"' not in page(world, "supervisor_a", "a2")
    url = reverse("desk:checkin", args=[checkin.id])
    answers = {"break_minutes": "10", "feeling": "3", "went_well": "Stayed calm"}
    assert world.http("supervisor_a").post(url, answers).status_code == 404
    assert world.http("agent_a").post(url, answers).status_code == 302
    checkin.refresh_from_db()
    assert checkin.completed_at is not None and checkin.went_well == "Stayed calm"
    assert 'id="wellbeing"' not in page(world, "agent_a", "a2")


def test_notifications_crisis_first_with_unread_count(world: Any) -> None:
    case = world.cases["a2"]
    do_request_backup(world.users["agent_a"], case, reason="Need help")
    do_receive_message(None, case=case, text=CRISIS_TEXT, channel="email")
    client = world.http("supervisor_a")
    rows = Notification.objects.filter(user=world.users["supervisor_a"])
    assert rows.filter(kind="crisis").exists() and rows.exclude(kind="crisis").exists()
    html = client.get(reverse("desk:notifications")).content.decode()
    first_crisis = html.index("notification-crisis")
    others = [html.index(f"notification-{n.kind}") for n in rows.exclude(kind="crisis")]
    assert first_crisis < min(others)
    unread = rows.filter(read_at__isnull=True).count()
    assert f'id="unread-count">{unread}<' in html
    one = rows.first()
    assert one is not None
    read = reverse("desk:notification_read")
    assert world.http("agent_b").post(read, {"id": one.id}).status_code == 404
    assert client.post(read, {"id": one.id}).status_code == 302
    one.refresh_from_db()
    assert one.read_at is not None
