"""Each product's documented example payload, posted to the receiver with a valid signature:
the client message lands in the desk, and the note posted back to the product's API (a
loopback server stands in for it) has the documented URL, method, auth header and body."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from calmdesk.connectors import ingest
from calmdesk.connectors.models import ContactLink, Delivery, DeliveryState, TicketLink
from calmdesk.desk.models import (
    AuditEntry,
    Case,
    Client,
    CrisisIncident,
    Interaction,
    Kind,
    Notification,
)
from tests.connectors.conftest import (
    PRODUCTS,
    SECRETS,
    TOKENS,
    World,
    fixture,
    fixture_json,
    sign,
)

pytestmark = pytest.mark.django_db

CLIENT_FIXTURE = {
    "zendesk": "zendesk_client.json",
    "freshdesk": "freshdesk_client.json",
    "zammad": "zammad_client.json",
    "chatwoot": "chatwoot_incoming.json",
}
AGENT_FIXTURE = {
    "zendesk": "zendesk_agent.json",
    "freshdesk": "freshdesk_agent.json",
    "zammad": "zammad_agent.json",
    "chatwoot": "chatwoot_outgoing.json",
}
TICKET = {"zendesk": "4821", "freshdesk": "318", "zammad": "57", "chatwoot": "1204"}
CRISIS = "If nobody fixes this today I will come to your office and hurt someone."


def post(world: World, product: str, body: bytes, headers: dict[str, str] | None = None):
    extra = sign(product, body) if headers is None else headers
    return HttpClient(enforce_csrf_checks=True).post(
        world.url(product), data=body, content_type="application/json", **extra
    )


def with_text(product: str, name: str, text: str, msg_id: int = 0) -> bytes:
    """The fixture with another message text (and message id, so it is a new message)."""
    data = fixture_json(name)
    if product == "zendesk":
        data["event"]["comment"]["body"] = text
        if msg_id:
            data["event"]["comment"]["id"] = str(msg_id)
    elif product == "freshdesk":
        data["freshdesk_webhook"]["ticket_latest_public_comment"] = f"X : <div>{text}</div>"
    elif product == "zammad":
        data["article"]["body"] = f"<p>{text}</p>"
        if msg_id:
            data["article"]["id"] = msg_id
    elif product == "chatwoot":
        data["content"] = text
        if msg_id:
            data["id"] = msg_id
    return json.dumps(data).encode()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def check_note_request(product: str, req: Any) -> str:
    """The documented call for an internal note; returns the note's text."""
    body = req.json()
    if product == "zendesk":
        assert (req.method, req.path) == ("PUT", "/api/v2/tickets/4821.json")
        assert req.headers["Authorization"] == basic("agent@harbor.test/token", TOKENS[product])
        assert body["ticket"]["comment"]["public"] is False
        return str(body["ticket"]["comment"]["body"])
    if product == "freshdesk":
        assert (req.method, req.path) == ("POST", "/api/v2/tickets/318/notes")
        assert req.headers["Authorization"] == basic(TOKENS[product], "X")
        assert body["private"] is True and body["body"].startswith("<p>")
        return str(body["body"])
    if product == "zammad":
        assert (req.method, req.path) == ("POST", "/api/v1/ticket_articles")
        assert req.headers["Authorization"] == f"Token token={TOKENS[product]}"
        assert body["ticket_id"] == 57 and body["type"] == "note" and body["internal"] is True
        assert body["content_type"] == "text/plain"
        return str(body["body"])
    if product == "chatwoot":
        assert (req.method, req.path) == ("POST", "/api/v1/accounts/7/conversations/1204/messages")
        assert req.headers["api_access_token"] == TOKENS[product]
        assert body["private"] is True and body["message_type"] == "outgoing"
        return str(body["content"])
    raise AssertionError(product)


@pytest.mark.parametrize("product", PRODUCTS)
def test_client_message_is_mirrored_and_the_analysis_note_posted(world, api, product):
    r = post(world, product, fixture(CLIENT_FIXTURE[product]))
    assert r.status_code == 202, r.content
    data = r.json()
    assert data["duplicate"] is False and data["state"] == "mirrored"
    row = Delivery.objects.get(pk=data["id"])
    assert row.role == "client" and row.ticket_id == TICKET[product]
    # the desk has the client, the case (linked to the ticket) and the message
    link = TicketLink.objects.get(account=world.accounts[product], external_id=TICKET[product])
    assert row.case == link.case and link.case.team == world.team
    assert row.interaction.kind == Kind.INBOUND and row.interaction.case == link.case
    assert row.interaction.text.strip()
    assert "<div>" not in row.interaction.text and "<p>" not in row.interaction.text
    # a task was enqueued for the note; run its body here
    assert DBTaskResult.objects.filter(args_kwargs__args=[row.pk]).exists()
    assert api.requests == []
    row = ingest.process(row.pk)
    assert row.state == DeliveryState.DONE and row.note_posted and row.attempts == 1
    assert row.note_ref == ("" if product == "zendesk" else "777")
    assert len(api.requests) == 1
    note = check_note_request(product, api.requests[0])
    assert "calmdesk" in note and "Suggested next step" in note
    assert link.case.reference in note
    # a second run posts nothing more
    ingest.process(row.pk)
    assert len(api.requests) == 1


def test_clients_are_matched_by_email_and_by_product_user_id(world, api):
    from calmdesk.desk.actions.clients import do_create_client

    known = do_create_client(
        None, organization=world.org, team=world.team, name="D. P.", email="Dragan.P@example.test"
    )
    # the same address in another organization is never used
    do_create_client(
        None, organization=world.other_org, name="Stranger", email="yael.c@example.test"
    )
    post(world, "freshdesk", fixture("freshdesk_client.json"))
    post(world, "chatwoot", fixture("chatwoot_incoming.json"))
    fd = Delivery.objects.get(account=world.accounts["freshdesk"])
    assert fd.case.client == known
    cw = Delivery.objects.get(account=world.accounts["chatwoot"])
    assert cw.case.client.organization == world.org and cw.case.client.name == "Yael Cohen"
    assert ContactLink.objects.get(
        account=world.accounts["chatwoot"], external_id="311"
    ).client == (cw.case.client)
    # a new ticket of the same Chatwoot contact: the same client, a new case
    body = fixture_json("chatwoot_incoming.json")
    body["id"], body["conversation"]["id"] = 9999, 1300
    post(world, "chatwoot", json.dumps(body).encode())
    second = Delivery.objects.get(account=world.accounts["chatwoot"], ticket_id="1300")
    assert second.case.client == cw.case.client and second.case != cw.case
    # Zendesk sends no address: the client is created and linked by the requester's id
    post(world, "zendesk", fixture("zendesk_client.json"))
    zd = Delivery.objects.get(account=world.accounts["zendesk"])
    assert ContactLink.objects.get(external_id="9100200300").client == zd.case.client
    assert zd.case.client.name == "Marta Nowicka"


@pytest.mark.parametrize("product", PRODUCTS)
def test_agent_reply_gets_the_coaching_note(world, api, product):
    post(world, product, fixture(CLIENT_FIXTURE[product]))
    first = Delivery.objects.get(account=world.accounts[product])
    ingest.process(first.pk)
    r = post(world, product, fixture(AGENT_FIXTURE[product]))
    assert r.status_code == 202 and r.json()["state"] == "mirrored"
    row = Delivery.objects.get(pk=r.json()["id"])
    assert row.role == "agent" and row.interaction is None and row.case == first.case
    row = ingest.process(row.pk)
    assert row.state == DeliveryState.DONE
    note = check_note_request(product, api.requests[-1])
    assert "coaching" in note
    assert "Calm down" in note  # the coach names what it found ("Calm down" tells …)
    # the agent reply did not become a client message
    assert Interaction.objects.filter(case=first.case, kind=Kind.INBOUND).count() == 1


def test_notes_follow_the_account_language(world, api):
    account = world.accounts["chatwoot"]
    account.language = "pl"
    account.save()
    post(world, "chatwoot", fixture("chatwoot_incoming.json"))
    ingest.process(Delivery.objects.get(account=account).pk)
    note = api.requests[-1].json()["content"]
    assert "Sugerowany następny krok" in note and "Suggested next step" not in note
    post(world, "chatwoot", fixture("chatwoot_outgoing.json"))
    ingest.process(Delivery.objects.get(account=account, role="agent").pk)
    assert "coaching" not in api.requests[-1].json()["content"].split("\n")[0].lower()


@pytest.mark.parametrize("product", PRODUCTS)
def test_bad_signatures_and_tokens_are_refused(world, api, product):
    body = fixture(CLIENT_FIXTURE[product])
    wrong = sign(product, body, secret="not-the-secret")
    assert post(world, product, body, wrong).status_code == 401
    assert post(world, product, body, {}).status_code == 401
    tampered = body.replace(b"heater", b"heaters").replace(b"parcel", b"parcels")
    tampered = tampered.replace(b"wheelchair", b"chair").replace(b"charged", b"billed")
    if product != "freshdesk":  # a shared secret header, not a signature over the body
        assert post(world, product, tampered, sign(product, body)).status_code == 401
    # unknown product, another product's path, a wrong token, a disabled account: 404
    client = HttpClient()
    token = world.tokens[product]
    other = "zammad" if product != "zammad" else "zendesk"
    for url in (
        f"/connectors/nosuch/{token}/",
        f"/connectors/{other}/{token}/",
        f"/connectors/{product}/{token}x/",
        f"/connectors/{product}/{token.split('.')[1]}/",
    ):
        r = client.post(url, data=body, content_type="application/json", **sign(product, body))
        assert r.status_code == 404 and r.json() == {"detail": "Unknown connector."}
    account = world.accounts[product]
    account.enabled = False
    account.save()
    assert post(world, product, body).status_code == 404
    assert Delivery.objects.count() == 0 and Interaction.objects.count() == 0


def test_stale_signed_timestamps_are_refused(world):
    body = fixture("chatwoot_incoming.json")
    old = sign("chatwoot", body, when=timezone.now().timestamp() - 2 * 3600)
    assert post(world, "chatwoot", body, old).status_code == 401
    old = sign("zendesk", fixture("zendesk_client.json"), when=timezone.now().timestamp() - 7200)
    assert post(world, "zendesk", fixture("zendesk_client.json"), old).status_code == 401


def test_chatwoot_without_a_secret_relies_on_the_url_token(world, api):
    account = world.accounts["chatwoot"]
    account.webhook_secret = ""
    account.save()
    r = post(world, "chatwoot", fixture("chatwoot_incoming.json"), {})
    assert r.status_code == 202


@pytest.mark.parametrize("product", PRODUCTS)
def test_replays_are_deduplicated(world, api, product):
    body = fixture(CLIENT_FIXTURE[product])
    first = post(world, product, body)
    again = [post(world, product, body) for _ in range(3)]
    assert all(r.status_code == 202 and r.json()["duplicate"] for r in again)
    assert {r.json()["id"] for r in again} == {first.json()["id"]}
    assert Delivery.objects.count() == 1
    assert Interaction.objects.filter(kind=Kind.INBOUND).count() == 1
    for _ in range(2):
        ingest.process(first.json()["id"])
    assert len(api.requests) == 1


@pytest.mark.parametrize("product", PRODUCTS)
def test_crisis_opens_an_incident_even_when_the_product_api_is_down(world, api, product):
    api.default.status = 500
    api.default.body = b'{"error": "maintenance"}'
    r = post(world, product, with_text(product, CLIENT_FIXTURE[product], CRISIS, 424242))
    assert r.status_code == 202
    row = Delivery.objects.get(pk=r.json()["id"])
    # the incident is there before any note was attempted
    incident = CrisisIncident.objects.get(interaction=row.interaction)
    assert "violence" in incident.kinds and row.crisis_flagged
    assert Notification.objects.filter(user=world.supervisor, kind="crisis").exists()
    row = ingest.process(row.pk)
    assert row.state == DeliveryState.RETRYING and row.attempts == 1 and not row.note_posted
    assert "HTTP 500" in row.error and row.next_attempt_at > timezone.now()
    assert len(api.requests) == 2  # the client's own retry, then the task's turn is over
    queued = DBTaskResult.objects.filter(args_kwargs__args=[row.pk]).order_by("-enqueued_at")
    assert queued.first().run_after is not None
    # not due yet: nothing is sent
    assert ingest.post_note(row.pk).state == DeliveryState.RETRYING
    assert len(api.requests) == 2
    # the helpdesk is back; the retry is due
    api.default.status, api.default.body = 201, b'{"id": 31}'
    later = timezone.now() + dt.timedelta(days=1)
    row = ingest.post_note(row.pk, now=later)
    assert row.state == DeliveryState.DONE and row.note_posted and row.attempts == 2
    note = check_note_request(product, api.requests[-1])
    assert "CRISIS" in note


def test_note_retries_stop_after_the_last_attempt(world, api, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_NOTE_ATTEMPTS", 3)
    api.default.status = 503
    r = post(world, "zammad", fixture("zammad_client.json"))
    pk = r.json()["id"]
    states = []
    for day in range(1, 5):
        states.append(ingest.post_note(pk, now=timezone.now() + dt.timedelta(days=day)).state)
    assert states[:3] == ["retrying", "retrying", "post_failed"]
    row = Delivery.objects.get(pk=pk)
    assert row.attempts == 3 and "HTTP 503" in row.error
    assert row.interaction is not None  # the message stays in the desk


def test_poison_payloads_fail_alone_and_threats_in_them_still_alert(world, api):
    bad = [
        b"{not json",
        b'{"event": "message_created", "content": "' + CRISIS.encode() + b'"}',  # no conversation
        json.dumps({"freshdesk_webhook": {"ticket_id": "../../x"}}).encode(),
        b"\xff\xfe\x00garbage",
    ]
    products = ["zammad", "chatwoot", "freshdesk", "zendesk"]
    ids = []
    for product, body in zip(products, bad, strict=True):
        r = post(world, product, body)
        assert r.status_code == 202, r.content
        assert r.json()["state"] == "failed"
        ids.append(r.json()["id"])
    rows = {r.pk: r for r in Delivery.objects.filter(pk__in=ids)}
    assert all(rows[i].error for i in ids)
    crisis_row = rows[ids[1]]
    assert crisis_row.crisis_flagged and "conversation" in crisis_row.error
    assert Notification.objects.filter(key=f"crisis-delivery:{crisis_row.pk}").exists()
    assert AuditEntry.objects.filter(action="connectors.crisis_alert").count() == 1
    assert not rows[ids[0]].crisis_flagged
    # a valid delivery after them is not held up
    good = post(world, "zammad", fixture("zammad_client.json"))
    assert good.json()["state"] == "mirrored"
    assert ingest.process(good.json()["id"]).state == DeliveryState.DONE


@pytest.mark.parametrize(
    "product,name,change",
    [
        ("zendesk", "zendesk_client.json", lambda d: d["event"]["comment"].update(is_public=False)),
        ("zammad", "zammad_client.json", lambda d: d["article"].update(internal=True)),
        ("chatwoot", "chatwoot_outgoing.json", lambda d: d.update(private=True)),
        ("chatwoot", "chatwoot_incoming.json", lambda d: d.update(event="conversation_created")),
        (
            "zendesk",
            "zendesk_client.json",
            lambda d: d.update(type="zen:event-type:ticket.status_changed"),
        ),
    ],
)
def test_private_notes_and_other_events_are_ignored(world, api, product, name, change):
    """Our own notes come back as webhooks: they must not loop."""
    data = fixture_json(name)
    change(data)
    r = post(world, product, json.dumps(data).encode())
    assert r.json()["state"] == "ignored"
    assert ingest.process(r.json()["id"]).state == DeliveryState.IGNORED
    assert Interaction.objects.filter(kind=Kind.INBOUND).count() == 0 and api.requests == []


def test_chatwoot_payload_of_another_account_is_refused(world, api):
    data = fixture_json("chatwoot_incoming.json")
    data["account"]["id"] = 8
    r = post(world, "chatwoot", json.dumps(data).encode())
    assert r.json()["state"] == "failed"
    assert "not this connector's account" in Delivery.objects.get().error
    assert Interaction.objects.count() == 0


@pytest.mark.parametrize(
    "base_url,allow",
    [
        ("http://127.0.0.1:{port}", False),
        ("http://localhost:{port}", False),
        ("http://169.254.169.254", False),
        ("http://169.254.169.254", True),
        ("http://10.0.0.5:8080", False),
        ("http://[::ffff:127.0.0.1]:{port}", False),
    ],
)
def test_ssrf_base_urls_are_refused_unless_allowed(world, api, base_url, allow):
    account = world.accounts["zammad"]
    account.base_url = base_url.format(port=api.port)
    account.allow_private_network = allow
    account.save()
    r = post(world, "zammad", fixture("zammad_client.json"))
    row = ingest.process(r.json()["id"])
    assert row.state == DeliveryState.POST_FAILED and "DestinationRefused" in row.error
    assert api.requests == []
    assert row.interaction is not None  # the message itself is in the desk


def test_size_limit_empty_body_and_get(world, settings):
    settings.CALMDESK_MAX_WEBHOOK_BYTES = 500
    body = fixture("zammad_client.json")
    assert len(body) > 500
    assert post(world, "zammad", body).status_code == 413
    assert post(world, "zammad", b"").status_code == 400
    assert HttpClient().get(world.url("zammad")).status_code == 405
    assert Delivery.objects.count() == 0


def test_the_receiver_token_is_stored_only_as_a_hash(world):
    account = world.accounts["zendesk"]
    secret = world.tokens["zendesk"].split(".", 1)[1]
    account.refresh_from_db()
    assert secret not in account.receiver_secret_hash and len(account.receiver_secret_hash) == 64
    new = account.set_receiver_token()
    assert post(world, "zendesk", fixture("zendesk_client.json")).status_code == 404
    world.tokens["zendesk"] = new
    assert post(world, "zendesk", fixture("zendesk_client.json")).status_code == 202


def test_reprocess_after_a_fix_and_admin_pages(world, api, admin_client):
    data = fixture_json("chatwoot_incoming.json")
    data["account"]["id"] = 8
    r = post(world, "chatwoot", json.dumps(data).encode())
    row = Delivery.objects.get(pk=r.json()["id"])
    assert row.state == DeliveryState.FAILED
    account = world.accounts["chatwoot"]
    account.external_account_id = "8"
    account.save()
    resp = admin_client.post(
        "/admin/connectors/delivery/",
        {"action": "reprocess", "_selected_action": [row.pk]},
        follow=True,
    )
    assert resp.status_code == 200
    row.refresh_from_db()
    assert row.state == DeliveryState.DONE and row.note_posted
    assert "/api/v1/accounts/8/" in api.requests[-1].path
    assert AuditEntry.objects.filter(action="connectors.reprocess").count() == 1
    for url in (
        "/admin/connectors/delivery/",
        f"/admin/connectors/delivery/{row.pk}/change/",
        "/admin/connectors/connectoraccount/",
        f"/admin/connectors/connectoraccount/{account.pk}/change/",
    ):
        page = admin_client.get(url)
        assert page.status_code == 200, url
        # secrets are not shown
        assert TOKENS["chatwoot"].encode() not in page.content
        assert SECRETS["chatwoot"].encode() not in page.content
    resp = admin_client.post(
        "/admin/connectors/connectoraccount/",
        {"action": "issue_webhook_url", "_selected_action": [account.pk]},
        follow=True,
    )
    assert b"/connectors/chatwoot/" in resp.content


def test_case_and_client_live_in_the_accounts_team(world, api):
    post(world, "zendesk", fixture("zendesk_client.json"))
    case = Case.objects.get()
    assert case.team == world.team and case.organization == world.org
    assert Client.objects.get().team == world.team
    assert not Case.objects.filter(organization=world.other_org).exists()


def test_the_sweeper_finishes_what_a_crash_left_behind(world, api):
    from io import StringIO

    from django.core.management import call_command

    from calmdesk.connectors.ingest import store_delivery

    # phase 1 committed, then the process died: nothing mirrored, nothing posted
    row, created = store_delivery(
        world.accounts["zammad"], fixture("zammad_client.json"), {"Content-Type": "x"}
    )
    assert created and row.state == DeliveryState.RECEIVED
    out = StringIO()
    call_command("connector_sweep", stdout=out)
    assert "1 done" in out.getvalue()
    row.refresh_from_db()
    assert row.state == DeliveryState.DONE and row.interaction is not None
    assert len(api.requests) == 1
    call_command("connector_sweep", stdout=out)
    assert "nothing due" in out.getvalue() and len(api.requests) == 1


def test_the_desk_tick_sweeps_connector_deliveries(world, api):
    from calmdesk.connectors.ingest import pending_count, store_delivery
    from calmdesk.desk.tasks import tick

    row, _ = store_delivery(
        world.accounts["zammad"], fixture("zammad_client.json"), {"Content-Type": "x"}
    )
    assert pending_count() == 1
    report = tick(inline=True)
    assert report.results["connector-deliveries"] == 1
    row.refresh_from_db()
    assert row.state == DeliveryState.DONE and len(api.requests) == 1
    assert pending_count() == 0
    assert tick(inline=True).results["connector-deliveries"] == 0


def test_a_very_long_message_is_cut_to_the_desk_limit_not_refused(world, api, settings):
    settings.CALMDESK_MAX_WEBHOOK_BYTES = 2**20
    text = "Nobody answers me. " * 12_000  # 228,000 characters
    r = post(world, "chatwoot", with_text("chatwoot", "chatwoot_incoming.json", text))
    assert r.json()["state"] == "mirrored"
    row = Delivery.objects.get(pk=r.json()["id"])
    assert len(row.interaction.text) == 200_000 and row.interaction.data["truncated"] is True
    assert len(bytes(row.body)) > 228_000  # the raw body keeps all of it


def test_hebrew_message_and_hebrew_note(world, api):
    account = world.accounts["chatwoot"]
    account.language = "he"
    account.save()
    text = (
        "זו הפעם השלישית שאני כותבת ואף אחד לא עונה. "
        "ההזמנה שלי לא הגיעה כבר שבועיים. מתי תחזירו לי את הכסף?"
    )
    r = post(world, "chatwoot", with_text("chatwoot", "chatwoot_incoming.json", text))
    row = Delivery.objects.get(pk=r.json()["id"])
    assert row.interaction.text == text and row.interaction.language == "he"
    ingest.process(row.pk)
    note = api.requests[-1].json()["content"]
    assert note.splitlines()[0] == "calmdesk: ניתוח הודעת הלקוח"
    assert "הצעד הבא המוצע" in note
