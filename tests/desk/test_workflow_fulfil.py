"""A promise is kept when the agent logs the interaction that fulfils it (a call, a reply)."""

from __future__ import annotations

import json

import pytest

from calmdesk.desk.actions.interactions import do_send_reply
from calmdesk.desk.models import AuditEntry, FollowUp, FollowUpStatus, Interaction

pytestmark = pytest.mark.django_db


def _promise(world, case_key: str = "a") -> FollowUp:
    reply = do_send_reply(
        world.users["agent_a"],
        case=world.cases[case_key],
        text="I will call you back tomorrow to confirm the new delivery date.",
        channel="email",
    )
    followup = FollowUp.objects.get(source_interaction=reply)
    assert followup.status == FollowUpStatus.OPEN
    return followup


def test_a_logged_call_keeps_the_promised_call_through_the_api(world) -> None:
    followup = _promise(world)
    case = world.cases["a"]
    audits_before = AuditEntry.objects.count()
    response = world.api("agent_a").post(
        f"/api/v1/cases/{case.pk}/notes",
        data=json.dumps(
            {"kind": "call_note", "text": "Called back as promised.", "fulfils": [followup.pk]}
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    followup.refresh_from_db()
    assert followup.status == FollowUpStatus.KEPT
    note = Interaction.objects.get(pk=response.json()["id"])
    assert followup.kept_by_interaction == note
    assert followup.closed_by == world.users["agent_a"]
    # one audit entry for the note, naming the promise it kept; a system event on the log
    assert AuditEntry.objects.count() == audits_before + 1
    assert AuditEntry.objects.latest("id").data["fulfils"] == [followup.pk]
    assert Interaction.objects.filter(
        case=case, event_type="followup_closed", data__followup=followup.pk
    ).exists()


def test_another_cases_promise_is_refused_and_nothing_is_logged(world) -> None:
    foreign = _promise(world, "a2")
    case = world.cases["a"]
    entries_before = Interaction.objects.filter(case=case).count()
    response = world.api("agent_a").post(
        f"/api/v1/cases/{case.pk}/notes",
        data=json.dumps({"kind": "call_note", "text": "Called.", "fulfils": [foreign.pk]}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "Not an open promise of this case" in response.json()["error"]["message"]
    assert Interaction.objects.filter(case=case).count() == entries_before
    foreign.refresh_from_db()
    assert foreign.status == FollowUpStatus.OPEN


def test_a_reply_can_keep_a_promise_too(world) -> None:
    followup = _promise(world)
    reply = do_send_reply(
        world.users["agent_a"],
        case=world.cases["a"],
        text="As promised: the parcel leaves our warehouse today.",
        channel="email",
        fulfils=[followup.pk],
    )
    followup.refresh_from_db()
    assert followup.status == FollowUpStatus.KEPT
    assert followup.kept_by_interaction == reply


def test_the_note_form_offers_the_open_promises(world) -> None:
    followup = _promise(world)
    case = world.cases["a"]
    client = world.http("agent_a")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'name="fulfils" value="{followup.pk}"' in page
    response = client.post(
        f"/cases/{case.pk}/notes/",
        {"kind": "call_note", "text": "Called back.", "fulfils": [str(followup.pk)]},
    )
    assert response.status_code in (302, 303), response.content[:500]
    followup.refresh_from_db()
    assert followup.status == FollowUpStatus.KEPT
