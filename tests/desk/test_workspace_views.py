"""The agent workspace through Django's test client: inbox order and saved views, the case page
(analysis card, crisis banner, evidence), live coaching, dismissals, promises before sending,
notes with structured fields, the expectation record.  Plus the segment splitter."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from calmdesk.desk.actions.cases import do_create_case
from calmdesk.desk.actions.interactions import do_receive_message
from calmdesk.desk.models import AuditEntry, FindingDismissal, Interaction, Kind, SavedView
from calmdesk.desk.views._segments import split_segments

pytestmark = pytest.mark.django_db

PL_MESSAGE = "Paczka nie dotarła od dwóch tygodni! Jestem wściekły. Kiedy wreszcie ją dostanę?"
PL_DRAFT = "Dzień dobry, to nie nasza wina. Odezwiemy się wkrótce."
CRISIS = "You closed my account and I have nothing left. I want to end my life."


def html(response: Any) -> str:
    return response.content.decode()


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


# ---- segments ------------------------------------------------------------------------------


def test_segments_rebuild_the_text_and_carry_overlapping_marks() -> None:
    text = "abc <b>def</b> ghi"
    segments = split_segments(text, [(4, 14, "x"), (7, 10, "y"), (50, 60, "z"), (3, 3, "e")])
    assert "".join(s.text for s in segments) == text
    assert [(s.text, s.keys) for s in segments] == [
        ("abc ", ()),
        ("<b>", ("x",)),
        ("def", ("x", "y")),
        ("</b>", ("x",)),
        (" ghi", ()),
    ]
    assert split_segments("", [(0, 1, "x")]) == []


# ---- case page -----------------------------------------------------------------------------


def test_case_page_shows_analysis_card_chips_and_open_questions(world: Any) -> None:
    case = polish_case(world)
    page = html(world.http("agent_a").get(reverse("desk:case", args=[case.pk])))
    assert 'class="card analysis"' in page
    assert re.search(r'<meter aria-labelledby="esc-label esc-level"[^>]*value="0\.\d\d"', page)
    assert "Kiedy wreszcie ją dostanę?" in page  # the open question, as a checklist item
    assert 'class="chip emo-anger"' in page
    assert 'data-ev="' in page  # evidence words marked for the chips
    assert "od dwóch tygodni" in page  # "since when" from the expectation gap
    assert 'id="reply-text"' in page and 'hx-post="/cases/' in page
    assert 'class="crisis"' not in page


def test_crisis_banner_on_open_and_evidence_escaped(world: Any) -> None:
    case = world.cases["a"]
    do_receive_message(
        None, case=case, text=CRISIS + " <img src=x onerror=alert(1)>", channel="email"
    )
    page = html(world.http("agent_a").get(reverse("desk:case", args=[case.pk])))
    assert 'class="crisis" role="alert"' in page
    assert "possible self-harm" in page
    assert "ev-crisis" in page
    assert "<img src=x" not in page
    # Evidence marks may split the escaped text into spans; without them it reads whole.
    unmarked = re.sub(r"</?span[^>]*>", "", page)
    assert "&lt;img src=x onerror=alert(1)&gt;" in unmarked


def test_mentor_reads_the_case_without_composer(world: Any) -> None:
    page = html(world.http("mentor").get(reverse("desk:case", args=[world.cases["a"].pk])))
    assert 'id="reply-text"' not in page and 'class="card analysis"' in page
    r = world.http("mentor").post(reverse("desk:coach", args=[world.cases["a"].pk]), {"text": "x"})
    assert r.status_code == 404


# ---- coaching ------------------------------------------------------------------------------


def test_coach_partial_marks_findings_and_escapes_the_draft(world: Any) -> None:
    case = polish_case(world)
    draft = PL_DRAFT + " <script>alert(1)</script>"
    r = world.http("agent_a").post(reverse("desk:coach", args=[case.pk]), {"text": draft})
    page = html(r)
    assert r.status_code == 200
    assert re.search(r'<mark class="finding-mark level-warning"[^>]*>wkrótce</mark>', page)
    assert "to nie nasza wina" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'hx-swap-oob="innerHTML"' in page and "findings" in page
    assert 'data-text="do czwartku do 17:00"' in page
    assert "/docs/principles/en/04-" in page
    assert page.count("<meter") >= 3


def test_coach_messages_follow_the_ui_language(world: Any) -> None:
    case = polish_case(world)
    client = world.http("agent_a")
    client.cookies["django_language"] = "he"
    page = html(client.post(reverse("desk:coach", args=[case.pk]), {"text": PL_DRAFT}))
    assert "/docs/principles/he/" in page
    assert re.search(r'class="finding-msg">.*[\u0590-\u05FF]', page)


def test_htmx_posts_need_the_csrf_token(world: Any) -> None:
    case = polish_case(world)
    browser = world.http("agent_a", csrf=True)
    url = reverse("desk:coach", args=[case.pk])
    assert browser.post(url, {"text": PL_DRAFT}).status_code == 403
    page = html(browser.get(reverse("desk:case", args=[case.pk])))
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page)
    assert token
    r = browser.post(url, {"text": PL_DRAFT}, headers={"X-CSRFToken": token.group(1)})
    assert r.status_code == 200


def test_dismissing_a_finding_is_recorded_and_audited(world: Any) -> None:
    case = polish_case(world)
    before = AuditEntry.objects.filter(action="coach.dismiss").count()
    r = world.http("agent_a").post(
        reverse("desk:dismiss_finding", args=[case.pk]),
        {
            "rule_id": "pl.over-promising.niejasny-termin",
            "principle": "4",
            "level": "warning",
            "language": "pl",
            "span_text": "wkrótce",
            "reason": "The client asked for no dates.",
        },
    )
    assert r.status_code == 200 and "Finding dismissed" in html(r)
    d = FindingDismissal.objects.get()
    assert (d.rule_id, d.principle, d.span_text, d.user) == (
        "pl.over-promising.niejasny-termin",
        4,
        "wkrótce",
        world.users["agent_a"],
    )
    assert d.reason == "The client asked for no dates."
    assert AuditEntry.objects.filter(action="coach.dismiss").count() == before + 1
    bad = world.http("agent_a").post(reverse("desk:dismiss_finding", args=[case.pk]), {})
    assert bad.status_code == 422 and FindingDismissal.objects.count() == 1


# ---- sending -------------------------------------------------------------------------------


def test_promises_must_be_confirmed_before_sending(world: Any) -> None:
    case = polish_case(world)
    url = reverse("desk:reply", args=[case.pk])
    agent = world.http("agent_a")
    draft = "Przepraszam za kłopot. Odezwiemy się do czwartku do 17:00."
    outbound = Interaction.objects.filter(case=case, kind=Kind.OUTBOUND)
    step = agent.post(url, {"text": draft, "channel": "email"}, headers={"HX-Request": "true"})
    page = html(step)
    assert outbound.count() == 0
    assert 'id="confirm-promises"' in page and 'name="promise" value="1"' in page
    found = re.search(r'name="promises_token" value="([0-9a-f]+)"', page)
    assert found
    token = found.group(1)
    # a different draft with the old token is not sent
    agent.post(
        url, {"text": draft + " Dziś.", "channel": "email", "promises_token": token, "promise": "1"}
    )
    unchecked = agent.post(url, {"text": draft, "channel": "email", "promises_token": token})
    assert "Confirm every promise" in html(unchecked) and outbound.count() == 0
    sent = agent.post(
        url,
        {"text": draft, "channel": "email", "promises_token": token, "promise": "1"},
        headers={"HX-Request": "true"},
    )
    reply = outbound.get()
    assert reply.text == draft and reply.author == world.users["agent_a"]
    assert sent["HX-Redirect"].endswith(f"?sent={reply.seq}#entry-{reply.seq}")


def test_reply_without_promises_is_sent_at_once(world: Any) -> None:
    case = polish_case(world)
    r = world.http("agent_a").post(
        reverse("desk:reply", args=[case.pk]),
        {"text": "Bardzo mi przykro, sprawdzam to.", "channel": "email"},
    )
    assert r.status_code == 302
    assert Interaction.objects.filter(case=case, kind=Kind.OUTBOUND).count() == 1


# ---- notes and the expectation record ------------------------------------------------------


def test_call_note_with_structured_fields(world: Any) -> None:
    case = world.cases["a"]
    world.users["agent_a"].timezone = "Europe/Warsaw"
    world.users["agent_a"].save()
    r = world.http("agent_a").post(
        reverse("desk:note", args=[case.pk]),
        {
            "kind": "call_note",
            "occurred_at": "2026-03-02T10:30",
            "text": "Client called about the parcel.",
            "expected": "Delivery on Monday",
            "received": "Nothing yet",
            "agreed": "Courier checks today",
            "promised": "Call back tomorrow by 12:00",
        },
    )
    assert r.status_code == 302
    note = Interaction.objects.filter(case=case, kind=Kind.CALL_NOTE).get()
    assert note.channel == "phone"
    assert note.data == {
        "expected": "Delivery on Monday",
        "received": "Nothing yet",
        "agreed": "Courier checks today",
        "promised": "Call back tomorrow by 12:00",
    }
    assert note.occurred_at.isoformat() == "2026-03-02T09:30:00+00:00"  # Warsaw is UTC+1
    page = html(world.http("agent_a").get(reverse("desk:case", args=[case.pk])))
    assert "Call back tomorrow by 12:00" in page
    bad = world.http("agent_a").post(reverse("desk:note", args=[case.pk]), {"kind": "x"})
    assert bad.status_code == 422


def test_expectation_record_is_editable(world: Any) -> None:
    case = world.cases["a"]
    r = world.http("agent_a").post(
        reverse("desk:expectation", args=[case.pk]),
        {"expected": "Parcel on Monday", "received": "No parcel", "agreed_possible": "Resend"},
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert (case.expected, case.received, case.agreed_possible) == (
        "Parcel on Monday",
        "No parcel",
        "Resend",
    )
    assert world.http("mentor").post(reverse("desk:expectation", args=[case.pk])).status_code == 404


# ---- inbox ---------------------------------------------------------------------------------


def test_inbox_puts_a_crisis_first_and_shows_badges(world: Any) -> None:
    calm = world.cases["a2"]
    crisis = world.cases["a"]
    do_receive_message(None, case=calm, text="Thank you, all good now.", channel="email")
    do_receive_message(None, case=crisis, text=CRISIS, channel="email")
    page = html(world.http("agent_a").get(reverse("desk:case_list")))
    first = page.index(crisis.reference)
    assert first < page.index(calm.reference)
    assert "badge-crisis" in page or "level-critical" in page
    assert "Escalation:" in page


def test_saved_views(world: Any) -> None:
    agent = world.http("agent_a")
    r = agent.post(
        reverse("desk:view_save"), {"name": "Parcels only", "query": "scope=mine&evil=1"}
    )
    assert r.status_code == 302
    view = SavedView.objects.get(user=world.users["agent_a"])
    assert (view.name, view.query) == ("Parcels only", "scope=mine")
    assert "Parcels only" in html(agent.get(reverse("desk:case_list")))
    assert "Parcels only" not in html(world.http("agent_b").get(reverse("desk:case_list")))
    world.http("agent_b").post(reverse("desk:view_delete"), {"view": view.pk})
    assert SavedView.objects.count() == 1  # not theirs to delete
    agent.post(reverse("desk:view_delete"), {"view": view.pk})
    assert SavedView.objects.count() == 0
    assert AuditEntry.objects.filter(action__in=["view.save", "view.delete"]).count() == 2


def test_client_page_shows_history_across_cases(world: Any) -> None:
    page = html(world.http("agent_a").get(reverse("desk:client", args=[world.clients["a"].pk])))
    assert "History across cases" in page
    assert page.count("Where is my parcel? (a") == 2  # both cases of the client


def test_case_page_shows_the_latest_entries_and_loads_earlier_ones(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calmdesk.desk.views import cases as case_views

    monkeypatch.setattr(case_views, "TIMELINE_PAGE", 5)
    case = polish_case(world)
    for i in range(9):
        do_receive_message(None, case=case, text=f"{PL_MESSAGE} <b>{i}</b>", channel="email")
    seqs = list(case.interactions.order_by("seq").values_list("seq", flat=True))
    assert len(seqs) > 10
    agent = world.http("agent_a")
    page = html(agent.get(reverse("desk:case", args=[case.pk])))
    shown = [int(s) for s in re.findall(r'<li class="entry [^"]*" id="entry-(\d+)"', page)]
    assert shown == seqs[-5:]
    more = re.search(r'hx-get="([^"]+)" hx-target="closest li" hx-swap="outerHTML"', page)
    assert more is not None and more.group(1).endswith(f"?before={seqs[-5]}")
    assert "<script>" not in page and "&lt;b&gt;8&lt;/b&gt;" in page

    loaded: list[int] = []
    url: str | None = more.group(1).replace("&amp;", "&")
    while url:
        part = html(agent.get(url, HTTP_HX_REQUEST="true"))
        assert "<html" not in part  # a fragment for htmx, not a page
        got = [int(s) for s in re.findall(r'<li class="entry [^"]*" id="entry-(\d+)"', part)]
        assert 0 < len(got) <= 5 and got == sorted(got)
        # every client message shown gets its emotion chips and evidence marks
        inbound = set(
            case.interactions.filter(seq__in=got, kind=Kind.INBOUND).values_list("seq", flat=True)
        )
        assert part.count('class="chips"') == len(inbound)
        loaded = got + loaded
        nxt = re.search(r'hx-get="([^"]+)"', part)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
        if url:
            assert url.endswith(f"?before={got[0]}")
    assert loaded + shown == seqs  # every entry exactly once, in order

    timeline = reverse("desk:timeline", args=[case.pk])
    for bad in ("x", "-1", "0", "99999999999999999999"):
        assert agent.get(timeline, {"before": bad}).status_code == 404
    assert world.http("agent_b").get(timeline, {"before": seqs[-1]}).status_code == 404
