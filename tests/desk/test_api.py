"""The REST API through HTTP: a token user's round trip, OpenAPI, errors, protected fields."""

from __future__ import annotations

import json

import pytest

from calmdesk.desk.models import ApiToken, AuditEntry, Case, Client, Interaction

pytestmark = pytest.mark.django_db


def post(client, url, body, **kw):
    return client.post(url, data=json.dumps(body), content_type="application/json", **kw)


def patch(client, url, body):
    return client.patch(url, data=json.dumps(body), content_type="application/json")


def test_openapi_is_3_1_and_lists_the_resources(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1.")
    paths = schema["paths"]
    for path, method in [
        ("/api/v1/clients", "post"),
        ("/api/v1/clients/{client_id}", "get"),
        ("/api/v1/cases", "post"),
        ("/api/v1/cases/{case_id}", "get"),
        ("/api/v1/cases/{case_id}/interactions", "get"),
        ("/api/v1/cases/{case_id}/messages", "post"),
        ("/api/v1/cases/{case_id}/replies", "post"),
        ("/api/v1/cases/{case_id}/notes", "post"),
    ]:
        assert method in paths[path], path
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} >= {"http", "apiKey"}


def test_docs_page_served_without_cdn(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"cdn." not in response.content
    assert b"swagger-ui-bundle.js" in response.content


def test_token_user_creates_client_case_message_and_reads_them_back(world):
    api = world.api("agent_a")
    r = post(
        api,
        "/api/v1/clients",
        {
            "name": "Zofia Nowak",
            "email": "zofia@example.test",
            "preferred_language": "pl",
            "tags": ["vip", " vip "],
        },
    )
    assert r.status_code == 201, r.content
    client_id = r.json()["id"]
    assert r.json()["team_id"] == world.teams["alpha"].id  # the only team agent_a works in
    assert r.json()["tags"] == ["vip"]
    r = post(
        api,
        "/api/v1/cases",
        {
            "client_id": client_id,
            "subject": "Faktura dwa razy",
            "channel": "email",
            "priority": "high",
        },
    )
    assert r.status_code == 201, r.content
    case = r.json()
    assert case["status"] == "new" and case["reference"].startswith("CD-")
    r = post(
        api,
        f"/api/v1/cases/{case['id']}/messages",
        {
            "text": "Zapłaciłam dwa razy i nikt nie odpowiada!",
            "channel": "email",
            "occurred_at": "2025-03-01T09:30:00+01:00",
            "language": "pl",
        },
    )
    assert r.status_code == 201, r.content
    message = r.json()
    assert message["kind"] == "inbound" and message["author_id"] is None
    assert message["occurred_at"].startswith("2025-03-01T08:30:00")  # stored in UTC
    assert len(message["hash"]) == 64

    assert api.get(f"/api/v1/clients/{client_id}").json()["name"] == "Zofia Nowak"
    got = api.get(f"/api/v1/cases/{case['id']}").json()
    assert got["subject"] == "Faktura dwa razy" and got["priority"] == "high"
    timeline = api.get(f"/api/v1/cases/{case['id']}/interactions").json()
    assert [i["kind"] for i in timeline["items"]] == ["system_event", "inbound"]
    assert timeline["items"][1]["text"] == "Zapłaciłam dwa razy i nikt nie odpowiada!"
    assert api.get(f"/api/v1/interactions/{message['id']}").json()["seq"] == 2
    # the token's last use is recorded
    assert ApiToken.objects.filter(user=world.users["agent_a"], name="tests").get().last_used_at


def test_reply_note_and_correction(world):
    api = world.api("agent_a")
    case_id = world.cases["a2"].id
    r = post(api, f"/api/v1/cases/{case_id}/replies", {"text": "Sprawdzam.", "channel": "email"})
    assert r.status_code == 201 and r.json()["author_id"] == world.users["agent_a"].id
    r = post(
        api,
        f"/api/v1/cases/{case_id}/notes",
        {
            "kind": "call_note",
            "text": "Klientka zadzwoniła.",
            "data": {"expected": "zwrot", "promised": "oddzwonię jutro"},
        },
    )
    assert r.status_code == 201, r.content
    note = r.json()
    assert note["channel"] == "phone" and note["data"]["promised"] == "oddzwonię jutro"
    r = post(
        api,
        f"/api/v1/interactions/{note['id']}/corrections",
        {"text": "Klientka zadzwoniła o 10:00.", "reason": "godzina"},
    )
    assert r.status_code == 201, r.content
    assert r.json()["corrects_id"] == note["id"] and r.json()["event_type"] == "correction"
    # the original is unchanged
    assert Interaction.objects.get(pk=note["id"]).text == "Klientka zadzwoniła."


def test_status_assign_transfer_expectation_root_cause(world):
    api = world.api("supervisor_a")
    case_id = world.cases["a2"].id
    r = post(api, f"/api/v1/cases/{case_id}/status", {"status": "open"})
    assert r.status_code == 200 and r.json()["status"] == "open"
    r = post(api, f"/api/v1/cases/{case_id}/status", {"status": "new"})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_transition"
    r = post(api, f"/api/v1/cases/{case_id}/assign", {"assignee_id": world.users["agent_a"].id})
    assert r.json()["assignee_id"] == world.users["agent_a"].id
    r = post(api, f"/api/v1/cases/{case_id}/assign", {"assignee_id": world.users["agent_b"].id})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_assignee"
    r = post(
        api,
        f"/api/v1/cases/{case_id}/expectation",
        {"expected": "refund in 3 days", "agreed_not_possible": "refund today"},
    )
    assert r.json()["expected"] == "refund in 3 days"
    r = post(api, f"/api/v1/cases/{case_id}/root-cause", {"code": "billing"})
    assert r.json()["root_cause"] == "billing"
    r = post(api, f"/api/v1/cases/{case_id}/root-cause", {"code": "no-such"})
    assert r.status_code == 422
    r = post(
        api, f"/api/v1/cases/{case_id}/transfer", {"team_id": world.teams["beta"].id, "note": ""}
    )
    assert r.status_code == 422
    r = post(
        api,
        f"/api/v1/cases/{case_id}/transfer",
        {"team_id": world.teams["beta"].id, "note": "Billing question, over to beta."},
    )
    assert r.status_code == 202  # no longer visible to the sender
    assert api.get(f"/api/v1/cases/{case_id}").status_code == 404
    assert world.api("agent_b").get(f"/api/v1/cases/{case_id}").status_code == 200
    case = Case.objects.get(pk=case_id)
    assert case.team == world.teams["beta"] and case.assignee is None
    events = list(
        case.interactions.filter(kind="system_event").values_list("event_type", flat=True)
    )
    assert events[-5:] == ["status", "assignment", "expectation", "root_cause", "transfer"]


def test_errors_have_one_shape_and_never_500(world):
    api = world.api("agent_a")
    case_id = world.cases["a"].id
    cases = [
        (post(api, "/api/v1/cases", {"client_id": 10**9, "subject": "x", "channel": "email"}), 404),
        (post(api, "/api/v1/cases", {"client_id": 2**70, "subject": "x", "channel": "email"}), 422),
        (
            post(
                api,
                "/api/v1/cases",
                {"client_id": world.clients["a"].id, "subject": "", "channel": "email"},
            ),
            422,
        ),
        (
            post(
                api,
                "/api/v1/cases",
                {"client_id": world.clients["a"].id, "subject": "s", "channel": "pigeon"},
            ),
            422,
        ),
        (
            post(
                api,
                f"/api/v1/cases/{case_id}/messages",
                {"text": "hi", "channel": "email", "occurred_at": "2025-01-01T10:00:00"},
            ),
            422,
        ),
        (
            post(
                api,
                f"/api/v1/cases/{case_id}/messages",
                {"text": "hi", "channel": "email", "occurred_at": "2999-01-01T10:00:00Z"},
            ),
            422,
        ),
        (post(api, f"/api/v1/cases/{case_id}/messages", {"text": "", "channel": "email"}), 422),
        (api.get("/api/v1/cases/99999999999999999999999"), 422),
        (api.get("/api/v1/cases/abc"), 422),
        (api.get("/api/v1/cases?cursor=not-a-cursor"), 422),
        (api.get("/api/v1/cases?limit=100000"), 422),
        (api.post("/api/v1/cases", data="{not json", content_type="application/json"), 400),
        (
            post(
                api,
                f"/api/v1/cases/{case_id}/messages",
                {
                    "text": "x",
                    "channel": "email",
                    "attachments": [{"filename": "a.txt", "content_base64": "***"}],
                },
            ),
            422,
        ),
    ]
    for response, status in cases:
        assert response.status_code == status, response.content
        body = response.json()
        assert set(body) == {"error"}
        assert set(body["error"]) == {"code", "message", "details"}
        assert body["error"]["message"]


def test_hostile_text_is_kept_not_500(world):
    api = world.api("agent_a")
    case_id = world.cases["a"].id
    text = "NUL\x00 lone surrogate \ud800 RLO \u202e end"
    r = api.post(
        f"/api/v1/cases/{case_id}/messages",
        data=json.dumps({"text": text, "channel": "email"}),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    stored = r.json()["text"]
    assert stored.startswith("NUL\ufffd lone surrogate \ufffd RLO \u202e end")


def test_protected_fields_in_bodies_are_ignored(world):
    api = world.api("agent_a")
    hostile = {
        "role": "admin",
        "is_superuser": True,
        "is_staff": True,
        "organization": 999,
        "organization_id": world.teams["gamma"].organization_id,
        "team": world.teams["beta"].id,
        "hash": "0" * 64,
        "prev_hash": "f" * 64,
        "seq": 1,
        "author_id": world.users["admin"].id,
        "id": 1,
        "status": "closed",
        "reference": "CD-HACKED",
        "created_at": "2000-01-01T00:00:00Z",
        "kind": "outbound",
        "corrects_id": world.interactions["b"].id,
    }
    r = post(api, "/api/v1/clients", {"name": "Safe", **hostile})
    assert r.status_code == 201
    client = Client.objects.get(pk=r.json()["id"])
    assert client.organization_id == world.teams["alpha"].organization_id
    assert client.team_id == world.teams["alpha"].id
    r = post(
        api,
        "/api/v1/cases",
        {
            "client_id": client.id,
            "subject": "s",
            "channel": "chat",
            **{k: v for k, v in hostile.items() if k != "status"},
        },
    )
    assert r.status_code == 201
    case = Case.objects.get(pk=r.json()["id"])
    assert case.reference != "CD-HACKED" and case.status == "new"
    assert case.team_id == world.teams["alpha"].id
    assert case.created_at.year > 2000
    r = post(api, f"/api/v1/cases/{case.id}/messages", {"text": "t", "channel": "chat", **hostile})
    assert r.status_code == 201
    row = Interaction.objects.get(pk=r.json()["id"])
    assert row.kind == "inbound" and row.author_id is None and row.corrects_id is None
    assert row.seq == 2 and row.hash != "0" * 64
    user = world.users["agent_a"]
    user.refresh_from_db()
    assert not user.is_superuser and not user.is_staff
    assert set(user.memberships.values_list("role", flat=True)) == {"agent"}
    # identity headers are not trusted either
    anon = world.http(None)
    r = anon.get(
        "/api/v1/me",
        headers={"remote-user": "admin", "x-forwarded-user": "admin"},
        REMOTE_USER="admin",
    )
    assert r.status_code == 401


def test_cursor_pagination_walks_every_case_once(world):
    api = world.api("admin")
    seen = []
    url = "/api/v1/cases?limit=1"
    while url:
        body = api.get(url).json()
        seen += [c["id"] for c in body["items"]]
        url = f"/api/v1/cases?limit=1&cursor={body['next_cursor']}" if body["next_cursor"] else ""
    expected = sorted((c.id for k, c in world.cases.items() if k != "x"), reverse=True)
    assert seen == expected


def test_filters_and_search(world):
    api = world.api("admin")
    ids = {
        c["id"] for c in api.get(f"/api/v1/cases?team_id={world.teams['beta'].id}").json()["items"]
    }
    assert ids == {world.cases["b"].id}
    r = api.get("/api/v1/cases", {"q": world.cases["a"].reference})
    assert [c["id"] for c in r.json()["items"]] == [world.cases["a"].id]
    r = api.get("/api/v1/cases", {"status": ["new", "open"], "assignee": "none"})
    assert r.status_code == 200 and len(r.json()["items"]) == 3
    r = api.get("/api/v1/search", {"q": "parcel? (b)"})
    assert [i["case_id"] for i in r.json()["interactions"]] == [world.cases["b"].id]
    r = api.get("/api/v1/clients", {"q": "Petrović"})
    assert [c["id"] for c in r.json()["items"]] == [world.clients["b"].id]


def test_tokens_issue_list_revoke(world):
    api = world.api("agent_b")
    r = post(api, "/api/v1/tokens", {"name": "mail bridge"})
    assert r.status_code == 201
    raw = r.json()["token"]
    assert raw.startswith("cd_") and len(raw) > 40
    assert not ApiToken.objects.filter(key_hash=raw).exists()  # stored hashed only
    token_id = r.json()["id"]
    listed = api.get("/api/v1/tokens").json()
    assert all("token" not in t and "key_hash" not in t for t in listed)
    new = world.http(None)
    assert new.get("/api/v1/me", headers={"authorization": f"Bearer {raw}"}).status_code == 200
    # nobody else can revoke it
    assert world.api("agent_a").delete(f"/api/v1/tokens/{token_id}").status_code == 404
    assert api.delete(f"/api/v1/tokens/{token_id}").status_code == 204
    r = new.get("/api/v1/me", headers={"authorization": f"Bearer {raw}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"


def test_session_auth_needs_csrf_for_writes(world):
    browser = world.http("agent_a", csrf=True)
    case_id = world.cases["a"].id
    assert browser.get(f"/api/v1/cases/{case_id}").status_code == 200
    r = post(browser, f"/api/v1/cases/{case_id}/replies", {"text": "x", "channel": "email"})
    assert r.status_code == 403
    before = AuditEntry.objects.count()
    # with the token from the cookie it works
    browser.get("/api/v1/docs")  # any page that sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    r = post(
        browser,
        f"/api/v1/cases/{case_id}/replies",
        {"text": "x", "channel": "email"},
        headers={"x-csrftoken": token},
    )
    assert r.status_code == 201, r.content
    assert AuditEntry.objects.count() == before + 1


def test_responses_are_not_cached_and_carry_csp(world):
    r = world.api("agent_a").get("/api/v1/cases")
    assert r["Cache-Control"] == "private, no-store"
    assert "script-src 'self'" in r["Content-Security-Policy"]
    assert "unsafe-inline" not in r["Content-Security-Policy"]


def test_idempotency_key_makes_retries_safe(world):
    api = world.api("agent_a")
    case_id = world.cases["a"].id
    url = f"/api/v1/cases/{case_id}/messages"
    body = {"text": "Third time I write!", "channel": "email"}
    before = (Interaction.objects.count(), AuditEntry.objects.count())
    first = post(api, url, body, headers={"idempotency-key": "msg-1@example.test"})
    assert first.status_code == 201
    for _ in range(3):
        again = post(api, url, body, headers={"idempotency-key": "msg-1@example.test"})
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert (Interaction.objects.count(), AuditEntry.objects.count()) == (
        before[0] + 1,
        before[1] + 1,
    )
    other = post(api, url, body, headers={"idempotency-key": "msg-2@example.test"})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    # the same key on another case is another entry
    r = post(
        api,
        f"/api/v1/cases/{world.cases['a2'].id}/replies",
        {"text": "ok", "channel": "email"},
        headers={"idempotency-key": "msg-1@example.test"},
    )
    assert r.status_code == 201
    bad = post(api, url, body, headers={"idempotency-key": "x" * 201})
    assert bad.status_code == 422


def test_list_endpoints_have_a_fixed_query_budget(world, django_assert_max_num_queries):
    api = world.api("admin")
    for path in (
        "/api/v1/cases",
        "/api/v1/clients",
        f"/api/v1/cases/{world.cases['a'].id}/interactions",
    ):
        api.get(path)  # warm-up (token last-used bookkeeping)
        with django_assert_max_num_queries(8):
            assert api.get(path).status_code == 200
