"""The workflow API through HTTP: promises, the escalation ladder, transfers with a warm
hand-off, crisis incidents, the summary email and the private well-being check-in."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from calmdesk.desk.actions.interactions import do_receive_message
from calmdesk.desk.models import AuditEntry, Case, Interaction, OutboundEmail

pytestmark = pytest.mark.django_db

CRISIS_TEXT = "I can't go on. I am going to kill myself tonight."


def post(client, url, body):
    return client.post(url, json.dumps(body), "application/json")


def test_promises_are_added_listed_due_and_kept(world):
    agent = world.api("agent_a")
    case = world.cases["a2"]
    past = (timezone.now() - dt.timedelta(hours=2)).isoformat()
    r = post(agent, f"/api/v1/cases/{case.id}/followups", {"action": "Call back", "due_at": past})
    assert r.status_code == 201, r.content
    late = r.json()
    assert late["overdue"] and late["source"] == "manual" and late["owner_id"]
    local_day = timezone.now().date() + dt.timedelta(days=3)
    r = post(
        agent,
        f"/api/v1/cases/{case.id}/followups",
        {"action": "Send the form", "due_date": local_day.isoformat(), "due_time": "10:00"},
    )
    assert r.status_code == 201 and not r.json()["overdue"]
    listed = agent.get(f"/api/v1/cases/{case.id}/followups").json()
    assert [f["action"] for f in listed] == ["Call back", "Send the form"]
    due = agent.get("/api/v1/followups/due").json()
    assert [f["id"] for f in due["overdue"]] == [late["id"]]
    assert due["counts"]["overdue"] == 1
    reply = Interaction.objects.filter(case=case, kind="outbound").first()
    r = post(
        agent,
        f"/api/v1/followups/{late['id']}/close",
        {"status": "kept", "interaction_id": reply.id},
    )
    assert r.status_code == 200 and r.json()["status"] == "kept"
    assert r.json()["kept_by_interaction_id"] == reply.id
    again = post(agent, f"/api/v1/followups/{late['id']}/close", {"status": "missed"})
    assert again.status_code == 422 and again.json()["error"]["code"] == "already_closed"
    assert agent.get("/api/v1/followups/due").json()["overdue"] == []
    # a promise given without a time zone is refused, not guessed
    naive = post(
        agent, f"/api/v1/cases/{case.id}/followups", {"action": "x", "due_at": "2031-01-01T10:00"}
    )
    assert naive.status_code == 422


def test_escalation_queue_and_decisions_are_for_supervisors(world):
    agent, supervisor = world.api("agent_a"), world.api("supervisor_a")
    case = world.cases["a2"]
    assert (
        post(agent, f"/api/v1/cases/{case.id}/escalations", {"reason": "x"}).json()[
            "client_waiting_since"
        ]
        is None
    )  # the client's last message was answered
    waiting = do_receive_message(None, case=case, text="Still nothing?", channel="email")
    r = post(
        agent,
        f"/api/v1/cases/{case.id}/escalations",
        {"kind": "approval", "reason": "Refund above my limit", "decision_subject": "refund 250"},
    )
    assert r.status_code == 201, r.content
    req = r.json()
    assert req["status"] == "open" and req["level"] == 1
    since = dt.datetime.fromisoformat(req["client_waiting_since"])
    assert abs(since - waiting.occurred_at) < dt.timedelta(milliseconds=1)
    assert agent.get("/api/v1/escalations/queue").json() == []
    queue = supervisor.get("/api/v1/escalations/queue").json()
    assert [q["id"] for q in queue][-1] == req["id"] and len(queue) == 2
    assert world.api("agent_b").get("/api/v1/escalations/queue").json() == []
    refused = post(agent, f"/api/v1/escalations/{req['id']}/decide", {"decision": "approved"})
    assert refused.status_code == 403
    wrong = post(supervisor, f"/api/v1/escalations/{req['id']}/decide", {"decision": "answered"})
    assert wrong.status_code == 422
    ok = post(
        supervisor,
        f"/api/v1/escalations/{req['id']}/decide",
        {"decision": "approved", "note": "Go ahead."},
    )
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    assert req["id"] not in [q["id"] for q in supervisor.get("/api/v1/escalations/queue").json()]
    assert Interaction.objects.filter(case=case, event_type="approval").exists()


def test_transfers_need_a_full_handoff_from_the_second_one(world):
    admin = world.api("admin")  # works in alpha and beta, so sees both sides
    case = world.cases["a2"]
    first = post(
        admin,
        f"/api/v1/cases/{case.id}/transfers",
        {"team_id": world.teams["beta"].id, "note": "billing question"},
    )
    assert first.status_code == 200, first.content
    assert first.json()["transfer_count"] == 1
    status = admin.get(f"/api/v1/cases/{case.id}/transfers").json()
    assert status["check"]["warning"] is True
    assert status["latest_handoff"]["why"] == "billing question"
    bare = post(
        admin,
        f"/api/v1/cases/{case.id}/transfers",
        {"team_id": world.teams["alpha"].id, "note": "back to you"},
    )
    assert bare.status_code == 422
    full = post(
        admin,
        f"/api/v1/cases/{case.id}/transfers",
        {
            "team_id": world.teams["alpha"].id,
            "note": "needs the contract team",
            "tried": "re-sent the invoice",
            "promised": "a call by Friday",
            "confirm": True,
        },
    )
    assert full.status_code == 200, full.content
    handoff = full.json()["handoff"]
    assert (handoff["why"], handoff["tried"], handoff["promised"]) == (
        "needs the contract team",
        "re-sent the invoice",
        "a call by Friday",
    )
    assert Case.objects.get(pk=case.pk).transfer_count == 2
    # an agent who sends the case away gets 202: it left their teams
    moved = post(
        world.api("agent_a"),
        f"/api/v1/cases/{case.id}/transfers",
        {
            "team_id": world.teams["beta"].id,
            "note": "beta owns this",
            "tried": "all of the above",
            "promised": "nothing new",
            "confirm": True,
        },
    )
    assert moved.status_code == 202 and moved.json()["transfer_count"] == 3


def test_crisis_incident_is_recorded_step_by_step_before_closing(world):
    agent, supervisor = world.api("agent_a"), world.api("supervisor_a")
    case = world.cases["a2"]
    do_receive_message(None, case=case, text=CRISIS_TEXT, channel="email")
    crisis = agent.get(f"/api/v1/cases/{case.id}/crisis").json()
    incident = crisis["open"]
    assert incident and "self_harm" in incident["kinds"] and incident["missing_steps"]
    early = post(
        supervisor, f"/api/v1/crisis-incidents/{incident['id']}/complete", {"summary": "x"}
    )
    assert early.status_code == 422 and early.json()["error"]["code"] == "steps_missing"
    closing = post(agent, f"/api/v1/cases/{case.id}/status", {"status": "resolved"})
    assert closing.status_code in (409, 422)
    for step in incident["missing_steps"]:
        r = post(supervisor, f"/api/v1/crisis-incidents/{incident['id']}/steps", {"step_id": step})
        assert r.status_code == 200, r.content
    unknown = post(agent, f"/api/v1/crisis-incidents/{incident['id']}/steps", {"step_id": "nope"})
    assert unknown.status_code == 422
    done = post(
        supervisor,
        f"/api/v1/crisis-incidents/{incident['id']}/complete",
        {"summary": "Supervisor called the client; help line given."},
    )
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert agent.get(f"/api/v1/crisis-incidents/{incident['id']}").json()["completed_by_id"]
    assert agent.get(f"/api/v1/cases/{case.id}/crisis").json()["open"] is None
    closing = post(agent, f"/api/v1/cases/{case.id}/status", {"status": "resolved"})
    assert closing.status_code == 200


def test_summary_is_drafted_in_the_clients_language_and_sent_once(world):
    agent = world.api("agent_a")
    case = world.cases["a2"]
    draft = agent.get(f"/api/v1/cases/{case.id}/summary").json()
    assert draft["language"] == "en" and draft["body"] and case.reference in draft["subject"]
    body = {
        "subject": draft["subject"],
        "body": draft["body"] + "\nEdited.",
        "idempotency_key": "k1",
    }
    first = post(agent, f"/api/v1/cases/{case.id}/summary", body)
    assert first.status_code == 201, first.content
    assert first.json()["to"] == "a@example.test"
    again = post(agent, f"/api/v1/cases/{case.id}/summary", body)
    assert again.json()["interaction_id"] == first.json()["interaction_id"]
    mail = OutboundEmail.objects.get(kind="summary", case=case)
    assert mail.body.rstrip().endswith("Edited.") and mail.in_reply_to == ""
    empty = post(agent, f"/api/v1/cases/{case.id}/summary", {"body": "   "})
    assert empty.status_code == 422


def test_wellbeing_answers_are_the_agents_own(world):
    agent = world.api("agent_a")
    r = post(agent, "/api/v1/wellbeing/checkins", {"case_id": world.cases["a"].id})
    assert r.status_code == 201
    checkin = r.json()
    audit_before = AuditEntry.objects.count()
    answers = {"feeling": 2, "went_well": "stayed calm", "wants_mentor_debrief": True}
    for other in ("supervisor_a", "admin", "mentor", "agent_b"):
        r = post(world.api(other), f"/api/v1/wellbeing/checkins/{checkin['id']}", answers)
        assert r.status_code == 404, other
        assert world.api(other).get("/api/v1/wellbeing/checkins").json() == []
    assert AuditEntry.objects.count() == audit_before
    r = post(agent, f"/api/v1/wellbeing/checkins/{checkin['id']}", answers)
    assert r.status_code == 200 and r.json()["went_well"] == "stayed calm"
    assert [c["feeling"] for c in agent.get("/api/v1/wellbeing/checkins").json()] == [2]
    entry = AuditEntry.objects.filter(action="wellbeing.complete").get()
    assert "stayed calm" not in json.dumps(entry.data)
    bad = post(agent, f"/api/v1/wellbeing/checkins/{checkin['id']}", {"feeling": 9})
    assert bad.status_code == 422
