"""The well-being loop after an abusive or very intense client message: the assignee is
offered a break and a self-debrief (once while it is open), a calm question offers nothing,
the case page shows the reason and a "Take a short break" button, and the answers stay the
agent's own.  All message texts are synthetic, written for these tests."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from calmdesk.desk.actions.cases import do_assign_case
from calmdesk.desk.actions.interactions import do_receive_message
from calmdesk.desk.models import AuditEntry, Notification, WellbeingCheckIn

pytestmark = pytest.mark.django_db

INSULTS = {
    "en": "Stupid morons, you are all pathetic clowns and I am sick of your lies.",
    "pl": "Jesteście bezużytecznymi idiotami, a cała wasza firma to banda kłamców.",
}
CALM = {
    "en": "Could you tell me when my parcel will arrive? Thank you.",
    "pl": "Czy możecie mi powiedzieć, kiedy przyjdzie moja paczka? Dziękuję.",
}


@pytest.fixture
def world(world: Any) -> Any:
    """The shared world, with agent_a the assignee of cases a and a2 (b stays unassigned)."""
    for key in ("a", "a2"):
        do_assign_case(None, world.cases[key], world.users["agent_a"])
        world.cases[key].refresh_from_db()
    return world


def receive(world: Any, key: str, text: str, lang: str) -> None:
    do_receive_message(None, case=world.cases[key], text=text, channel="email", language=lang)


def open_offers(world: Any, who: str, key: str) -> list[WellbeingCheckIn]:
    return list(
        WellbeingCheckIn.objects.filter(
            user=world.users[who], case=world.cases[key], completed_at__isnull=True
        )
    )


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_an_insulting_message_offers_the_assignee_a_checkin(world: Any, lang: str) -> None:
    receive(world, "a2", INSULTS[lang], lang)
    [offer] = open_offers(world, "agent_a", "a2")
    assert offer.reason == "abuse"
    assert Notification.objects.filter(user=world.users["agent_a"], kind="wellbeing").exists()
    entry = AuditEntry.objects.filter(action="interaction.receive").order_by("-id").first()
    assert entry is not None and entry.data["wellbeing"]["checkin"] == offer.pk
    assert not AuditEntry.objects.filter(action="wellbeing.offer").exists()  # one entry per do_*
    assert not WellbeingCheckIn.objects.exclude(user=world.users["agent_a"]).exists()


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_a_calm_question_offers_nothing(world: Any, lang: str) -> None:
    receive(world, "a2", CALM[lang], lang)
    assert not WellbeingCheckIn.objects.exists()


def test_an_unassigned_case_offers_nobody(world: Any) -> None:
    receive(world, "b", INSULTS["en"], "en")
    assert not WellbeingCheckIn.objects.exists()


def test_a_second_insult_does_not_open_a_second_offer(world: Any) -> None:
    receive(world, "a2", INSULTS["en"], "en")
    receive(world, "a2", INSULTS["pl"], "pl")
    assert len(open_offers(world, "agent_a", "a2")) == 1
    # another case of the same agent gets its own offer
    receive(world, "a", INSULTS["en"], "en")
    assert len(open_offers(world, "agent_a", "a")) == 1


def test_case_page_shows_the_reason_and_the_break_button(world: Any) -> None:
    receive(world, "a2", INSULTS["pl"], "pl")
    [offer] = open_offers(world, "agent_a", "a2")
    url = reverse("desk:case", kwargs={"case_id": world.cases["a2"].id})
    breakurl = reverse("desk:take_break", args=[world.cases["a2"].id])
    client = world.http("agent_a")
    html = client.get(url).content.decode()
    assert 'id="take-break-form"' in html and breakurl in html
    assert "Take a short break" in html and "Offered after: abusive message" in html
    with translation.override("pl"):
        html_pl = client.get(url, HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert 'id="take-break-form"' in html_pl
    assert 'id="wellbeing"' not in world.http("supervisor_a").get(url).content.decode()
    # taking the break is recorded against the open offer, not as a second one
    assert client.post(breakurl).status_code == 302
    assert open_offers(world, "agent_a", "a2") == [offer]
    entry = AuditEntry.objects.get(action="wellbeing.offer")
    assert entry.data == {"reason": "abuse", "break": True}


def test_only_the_owner_answers_their_checkin(world: Any) -> None:
    receive(world, "a2", INSULTS["en"], "en")
    [offer] = open_offers(world, "agent_a", "a2")
    url = reverse("desk:checkin", args=[offer.id])
    answers = {"break_minutes": "5", "feeling": "2", "went_well": "Kept my tone"}
    for other in ("agent_b", "supervisor_a", "mentor"):
        assert world.http(other).post(url, answers).status_code == 404, other
    offer.refresh_from_db()
    assert offer.completed_at is None and offer.went_well == ""
    assert world.http("agent_a").post(url, answers).status_code == 302
    offer.refresh_from_db()
    assert offer.completed_at is not None and offer.went_well == "Kept my tone"
    assert not open_offers(world, "agent_a", "a2")
