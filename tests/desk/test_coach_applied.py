"""Applied coach suggestions are recorded with the sent reply (issue #8: "suggestions accepted
vs dismissed").  desk.js lists the rule ids in the reply form's hidden ``applied`` field; the
send view keeps the coach's known rules only and passes them to ``do_send_reply``."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from calmdesk.desk.actions.cases import do_create_case
from calmdesk.desk.actions.interactions import do_receive_message, do_send_reply
from calmdesk.desk.models import AuditEntry, Interaction, Kind

pytestmark = pytest.mark.django_db

PL_MESSAGE = "Paczka nie dotarła od dwóch tygodni! Jestem wściekły. Kiedy wreszcie ją dostanę?"
REPLY = "Bardzo mi przykro, sprawdzam to."
VAGUE = "pl.over-promising.niejasny-termin"
BLAME = "pl.blame.nie-nasza-wina"


def polish_case(world: Any) -> Any:
    case = do_create_case(
        world.users["agent_a"],
        client=world.clients["a"],
        team=world.teams["alpha"],
        subject="Paczka",
        channel="email",
    )
    do_receive_message(None, case=case, text=PL_MESSAGE, channel="email")
    return case


def send(world: Any, case: Any, applied: str, **extra: Any) -> Any:
    return world.http("agent_a").post(
        reverse("desk:reply", args=[case.pk]),
        {"text": REPLY, "channel": "email", "applied": applied, **extra},
    )


def test_reply_form_has_the_applied_field_and_buttons_name_their_rule(world: Any) -> None:
    case = polish_case(world)
    agent = world.http("agent_a")
    page = agent.get(reverse("desk:case", args=[case.pk])).content.decode()
    assert '<input type="hidden" name="applied" id="reply-applied" value="">' in page
    draft = "Dzień dobry, to nie nasza wina. Odezwiemy się wkrótce."
    coach = agent.post(reverse("desk:coach", args=[case.pk]), {"text": draft}).content.decode()
    assert f'class="apply" data-apply data-rule="{VAGUE}"' in coach


def test_applied_rules_are_stored_with_the_reply_and_its_single_audit_entry(world: Any) -> None:
    case = polish_case(world)
    before = AuditEntry.objects.filter(action="interaction.reply").count()
    r = send(world, case, f"{VAGUE} {BLAME},{VAGUE}")
    assert r.status_code == 302
    reply = Interaction.objects.get(case=case, kind=Kind.OUTBOUND)
    assert reply.text == REPLY
    assert reply.data["coach_applied"] == [VAGUE, BLAME]  # in order, each once
    entries = AuditEntry.objects.filter(action="interaction.reply")
    assert entries.count() == before + 1
    assert entries.latest("pk").data["coach_applied"] == [VAGUE, BLAME]


def test_garbage_is_ignored_and_the_reply_is_sent(world: Any) -> None:
    case = polish_case(world)
    garbage = " ".join(
        [
            "not-a-rule",
            "pl.blame.does-not-exist",
            "<script>alert(1)</script>",
            "x" * 5000,
            BLAME,  # past the length bound of the field: not read
        ]
    )
    r = send(world, case, garbage)
    assert r.status_code == 302
    reply = Interaction.objects.get(case=case, kind=Kind.OUTBOUND)
    assert reply.text == REPLY and "coach_applied" not in reply.data
    mixed = send(world, case, f"nonsense {BLAME} ../../etc/passwd")
    assert mixed.status_code == 302
    second = Interaction.objects.filter(case=case, kind=Kind.OUTBOUND).latest("seq")
    assert second.data["coach_applied"] == [BLAME]


def test_no_applied_field_keeps_the_old_behaviour(world: Any) -> None:
    case = polish_case(world)
    r = world.http("agent_a").post(
        reverse("desk:reply", args=[case.pk]), {"text": REPLY, "channel": "email"}
    )
    assert r.status_code == 302
    reply = Interaction.objects.get(case=case, kind=Kind.OUTBOUND)
    assert "coach_applied" not in reply.data
    audit = AuditEntry.objects.filter(action="interaction.reply").latest("pk")
    assert "coach_applied" not in audit.data


def test_the_field_survives_the_promise_confirmation_step(world: Any) -> None:
    """Without htmx the confirmation step re-renders the page: the applied rules stay."""
    case = polish_case(world)
    draft = "Przepraszam za kłopot. Odezwiemy się do czwartku do 17:00."
    r = world.http("agent_a").post(
        reverse("desk:reply", args=[case.pk]),
        {"text": draft, "channel": "email", "applied": f"{VAGUE} junk"},
    )
    page = r.content.decode()
    assert 'id="confirm-promises"' in page
    assert f'name="applied" id="reply-applied" value="{VAGUE}"' in page
    assert not Interaction.objects.filter(case=case, kind=Kind.OUTBOUND).exists()


def test_action_bounds_what_it_keeps(world: Any) -> None:
    """Called directly (API, import), ``do_send_reply`` still keeps short ids only, each once."""
    case = polish_case(world)
    reply = do_send_reply(
        world.users["agent_a"],
        case=case,
        text=REPLY,
        channel="email",
        coach_applied=[BLAME, BLAME, "", "a b", "y" * 300, *(f"r{i}" for i in range(80))],
    )
    kept = reply.data["coach_applied"]
    assert kept[0] == BLAME and len(kept) == 50 and len(set(kept)) == 50
    assert "a b" not in kept and all(len(k) <= 100 for k in kept)


# ---- the same through the REST API (an integration sending replies on the agent's behalf) ----


def test_api_reply_records_applied_rules_in_its_one_audit_entry(world: Any) -> None:
    case = polish_case(world)
    before = AuditEntry.objects.filter(action="interaction.reply").count()
    r = world.api("agent_a").post(
        f"/api/v1/cases/{case.pk}/replies",
        data={"text": REPLY, "channel": "email", "coach_applied": [VAGUE, BLAME, VAGUE]},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    reply = Interaction.objects.get(pk=r.json()["id"])
    assert reply.data["coach_applied"] == [VAGUE, BLAME]
    entries = AuditEntry.objects.filter(action="interaction.reply")
    assert entries.count() == before + 1
    assert entries.latest("pk").data["coach_applied"] == [VAGUE, BLAME]


@pytest.mark.parametrize("bad", ["not-a-rule", "pl.blame.does-not-exist", "x" * 101, ""])
def test_api_reply_with_an_unknown_rule_is_refused_and_logs_nothing(world: Any, bad: str) -> None:
    case = polish_case(world)
    r = world.api("agent_a").post(
        f"/api/v1/cases/{case.pk}/replies",
        data={"text": REPLY, "channel": "email", "coach_applied": [BLAME, bad]},
        content_type="application/json",
    )
    assert r.status_code in (400, 422), r.content
    assert "coach_applied" in r.content.decode()
    assert not Interaction.objects.filter(case=case, kind=Kind.OUTBOUND).exists()
