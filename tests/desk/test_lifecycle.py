"""The case status lifecycle, its timestamps and log entries; corrections."""

from __future__ import annotations

import pytest

from calmdesk.desk.actions.cases import do_change_status, do_create_case
from calmdesk.desk.actions.interactions import do_correct_interaction, do_send_reply
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.models import ALLOWED_TRANSITIONS, Interaction, Status

pytestmark = pytest.mark.django_db

# How to reach each status from "new" (every step itself allowed).
PATH = {
    "new": [],
    "open": ["open"],
    "waiting_on_client": ["waiting_on_client"],
    "waiting_on_us": ["waiting_on_us"],
    "escalated": ["escalated"],
    "resolved": ["resolved"],
    "closed": ["closed"],
}


def test_lifecycle_table_is_what_we_promise():
    assert set(ALLOWED_TRANSITIONS) == set(Status.values)
    assert all("new" not in targets for targets in ALLOWED_TRANSITIONS.values())
    assert ALLOWED_TRANSITIONS["resolved"] == {"open", "closed"}
    assert ALLOWED_TRANSITIONS["closed"] == {"open"}
    assert "closed" not in ALLOWED_TRANSITIONS["escalated"]


def test_every_transition_is_allowed_or_refused_per_the_table(world):
    agent, client, team = world.users["agent_a"], world.clients["a"], world.teams["alpha"]
    outcomes = {}
    for old in Status.values:
        for new in Status.values:
            case = do_create_case(agent, client=client, team=team, subject="t", channel="chat")
            for step in PATH[old]:
                do_change_status(agent, case, step)
            try:
                do_change_status(agent, case, new)
            except ActionError as exc:
                assert exc.code == "invalid_transition"
                outcomes[(old, new)] = False
            else:
                outcomes[(old, new)] = True
    expected = {(o, n): n in ALLOWED_TRANSITIONS[o] for o in Status.values for n in Status.values}
    assert outcomes == expected


def test_timestamps_and_events_through_resolve_close_reopen(world):
    agent = world.users["agent_a"]
    case = world.cases["a2"]
    assert case.first_response_at is not None  # the reply in the fixture set it
    do_change_status(agent, case, "escalated", "threatened to sue")
    do_change_status(agent, case, "resolved")
    assert case.resolved_at is not None and case.closed_at is None
    do_change_status(agent, case, "closed")
    assert case.closed_at is not None
    do_change_status(agent, case, "open", "client wrote again")
    case.refresh_from_db()
    assert case.status == "open" and case.resolved_at is None and case.closed_at is None
    events = list(
        case.interactions.filter(kind="system_event")
        .order_by("seq")
        .values_list("event_type", "data", "text")
    )[-4:]
    assert events == [
        ("escalation", {"from": "new", "to": "escalated"}, "threatened to sue"),
        ("status", {"from": "escalated", "to": "resolved"}, ""),
        ("status", {"from": "resolved", "to": "closed"}, ""),
        ("reopen", {"from": "closed", "to": "open"}, "client wrote again"),
    ]


def test_first_response_time_is_the_first_reply_only(world):
    case = do_create_case(
        world.users["agent_a"],
        client=world.clients["a"],
        team=world.teams["alpha"],
        subject="t",
        channel="chat",
    )
    first = do_send_reply(world.users["agent_a"], case=case, text="one", channel="chat")
    do_send_reply(world.users["agent_a"], case=case, text="two", channel="chat")
    case.refresh_from_db()
    assert case.first_response_at == first.occurred_at


def test_a_correction_is_a_new_entry_and_the_original_stays(world):
    original = world.interactions["a"]
    correction = do_correct_interaction(
        world.users["agent_a"],
        original=original,
        text="Where is my parcel? (order 42)",
        reason="typo",
    )
    assert correction.corrects == original and correction.seq > original.seq
    assert correction.data["corrected_seq"] == original.seq
    original.refresh_from_db()
    assert original.text.startswith("Where is my parcel? (a)")
    assert list(original.corrections.all()) == [correction]
    with pytest.raises(ActionError):
        do_correct_interaction(world.users["agent_a"], original=original, text="x", reason=" ")
    event = Interaction.objects.filter(case=original.case, kind="system_event").first()
    with pytest.raises(ActionError):
        do_correct_interaction(world.users["agent_a"], original=event, text="x", reason="r")
