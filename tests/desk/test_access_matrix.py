"""The authorisation matrix, through HTTP, for every API route and every desk page.

Routes are enumerated from the URL resolver and the API's OpenAPI document; each must have a
row in API_ROUTES or PAGES below, so a new route without an expectation fails here.  The
policy: an object another team or organization owns answers exactly like one that does not
exist (404, same body); mentors read only shared cases and never write; deactivated users
and revoked tokens get 401; anonymous requests get 401 (API) or the login page / 403 (pages);
a session write without a CSRF token gets 403.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from calmdesk.desk.api import api
from calmdesk.desk.models import ApiToken, AuditEntry

pytestmark = pytest.mark.django_db

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


@dataclass(frozen=True)
class Route:
    obj: str | None  # which object the path parameter names
    body: Callable[[Any], dict[str, Any]] | None = None  # a valid body (writes)
    # for collection writes: a body that points at another team's object (key "b"/"x")
    foreign_body: Callable[[Any, str], dict[str, Any]] | None = None
    query: dict[str, Any] = field(default_factory=dict)


def _const(value: dict[str, Any]) -> Callable[[Any], dict[str, Any]]:
    return lambda w: value


API_ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/api/v1/me"): Route(None),
    ("GET", "/api/v1/teams"): Route(None),
    ("GET", "/api/v1/root-causes"): Route(None),
    ("GET", "/api/v1/tokens"): Route(None),
    ("POST", "/api/v1/tokens"): Route(None, body=_const({"name": "matrix"})),
    ("DELETE", "/api/v1/tokens/{token_id}"): Route("token"),
    ("GET", "/api/v1/clients"): Route(None),
    ("POST", "/api/v1/clients"): Route(
        None,
        body=_const({"name": "Matrix client"}),
        foreign_body=lambda w, k: {"name": "M", "team_id": w.cases[k].team_id},
    ),
    ("GET", "/api/v1/clients/{client_id}"): Route("client"),
    ("PATCH", "/api/v1/clients/{client_id}"): Route("client", body=_const({"banner": "m"})),
    ("GET", "/api/v1/cases"): Route(None),
    ("POST", "/api/v1/cases"): Route(
        None,
        foreign_body=lambda w, k: {
            "client_id": w.clients[k[0]].id,
            "subject": "m",
            "channel": "email",
        },
    ),
    ("GET", "/api/v1/cases/{case_id}"): Route("case"),
    ("PATCH", "/api/v1/cases/{case_id}"): Route("case", body=_const({"priority": "high"})),
    ("POST", "/api/v1/cases/{case_id}/status"): Route("case", body=_const({"status": "open"})),
    ("POST", "/api/v1/cases/{case_id}/assign"): Route("case", body=_const({"assignee_id": None})),
    ("POST", "/api/v1/cases/{case_id}/transfer"): Route(
        "case", body=lambda w: {"team_id": w.teams["beta"].id, "note": "over to you"}
    ),
    ("POST", "/api/v1/cases/{case_id}/expectation"): Route("case", body=_const({"expected": "m"})),
    ("POST", "/api/v1/cases/{case_id}/root-cause"): Route("case", body=_const({"code": "delay"})),
    ("POST", "/api/v1/cases/{case_id}/share"): Route(
        "case", body=lambda w: {"mentor_id": w.users["mentor"].id}
    ),
    ("GET", "/api/v1/cases/{case_id}/interactions"): Route("case"),
    ("POST", "/api/v1/cases/{case_id}/messages"): Route(
        "case", body=_const({"text": "m", "channel": "email"})
    ),
    ("POST", "/api/v1/cases/{case_id}/replies"): Route(
        "case", body=_const({"text": "m", "channel": "email"})
    ),
    ("POST", "/api/v1/cases/{case_id}/notes"): Route(
        "case", body=_const({"kind": "internal_note", "text": "m"})
    ),
    ("GET", "/api/v1/interactions/{interaction_id}"): Route("interaction"),
    ("POST", "/api/v1/interactions/{interaction_id}/corrections"): Route(
        "interaction", body=_const({"text": "m", "reason": "m"})
    ),
    ("GET", "/api/v1/attachments/{attachment_id}"): Route("attachment"),
    ("GET", "/api/v1/search"): Route(None, query={"q": "parcel"}),
    # the workflow (api/workflow.py)
    ("GET", "/api/v1/cases/{case_id}/followups"): Route("case"),
    ("POST", "/api/v1/cases/{case_id}/followups"): Route(
        "case", body=_const({"action": "Call back", "due_at": "2031-03-04T09:00:00+01:00"})
    ),
    ("POST", "/api/v1/followups/{followup_id}/close"): Route(
        "followup", body=_const({"status": "kept"})
    ),
    ("GET", "/api/v1/followups/due"): Route(None),
    ("GET", "/api/v1/cases/{case_id}/escalations"): Route("case"),
    ("POST", "/api/v1/cases/{case_id}/escalations"): Route(
        "case", body=_const({"reason": "The client asks for a manager."})
    ),
    ("GET", "/api/v1/escalations/queue"): Route(None),
    ("POST", "/api/v1/escalations/{request_id}/decide"): Route(
        "escalation", body=_const({"decision": "approved", "note": "ok"})
    ),
    ("GET", "/api/v1/cases/{case_id}/transfers"): Route("case"),
    ("POST", "/api/v1/cases/{case_id}/transfers"): Route(
        "case",
        body=lambda w: {
            "team_id": w.teams["beta"].id,
            "note": "billing question",
            "tried": "checked the invoice",
            "promised": "an answer by Friday",
            "confirm": True,
        },
    ),
    ("GET", "/api/v1/cases/{case_id}/crisis"): Route("case"),
    ("GET", "/api/v1/crisis-incidents/{incident_id}"): Route("incident"),
    ("POST", "/api/v1/crisis-incidents/{incident_id}/steps"): Route(
        "incident", body=lambda w: {"step_id": w.crisis_step}
    ),
    ("POST", "/api/v1/crisis-incidents/{incident_id}/complete"): Route(
        "incident", body=_const({"summary": "Supervisor took over; help line given."})
    ),
    ("GET", "/api/v1/cases/{case_id}/summary"): Route("case"),
    ("POST", "/api/v1/cases/{case_id}/summary"): Route(
        "case", body=_const({"subject": "Your case", "body": "What we did."})
    ),
    ("GET", "/api/v1/wellbeing/checkins"): Route(None),
    ("POST", "/api/v1/wellbeing/checkins"): Route(
        None, foreign_body=lambda w, k: {"case_id": w.cases[k].id}
    ),
    ("POST", "/api/v1/wellbeing/checkins/{checkin_id}"): Route(
        "checkin", body=_const({"feeling": 3, "break_minutes": 10})
    ),
}

CRISIS_TEXT = "I can't go on. I am going to kill myself tonight."
OWNER = {"a": "agent_a", "a2": "agent_a", "b": "agent_b", "x": "outsider"}


@pytest.fixture
def world(world):
    """The shared world plus one workflow object of each kind per case (built before any
    test counts audit entries)."""
    from calmdesk.desk.actions.escalations import do_request_backup
    from calmdesk.desk.actions.followups import do_add_followup
    from calmdesk.desk.actions.interactions import do_receive_message
    from calmdesk.desk.actions.wellbeing import do_offer_checkin
    from calmdesk.desk.models import CrisisIncident

    world.workflow = {"followup": {}, "escalation": {}, "incident": {}, "checkin": {}}
    for key, case in world.cases.items():
        agent = world.users[OWNER[key]]
        f = do_add_followup(agent, case=case, action="Send the form", due_date=None)
        world.workflow["followup"][key] = f.id
        r = do_request_backup(agent, case, reason="Client wants a manager", kind="advice")
        world.workflow["escalation"][key] = r.id
        do_receive_message(None, case=case, text=CRISIS_TEXT, channel="email")
        incident = CrisisIncident.objects.get(case=case)
        world.workflow["incident"][key] = incident.id
        world.crisis_step = next(s["id"] for s in incident.steps if s["required"])
        world.workflow["checkin"][key] = do_offer_checkin(agent, reason="self").id
    return world


@dataclass(frozen=True)
class Page:
    obj: str | None
    public: bool = False  # reachable without signing in
    get: bool = True  # answers GET (else POST only)
    kwargs: tuple[tuple[str, str], ...] = ()  # fixed path arguments of a page of no object
    refused: tuple[int, ...] = (403, 405)  # the answer to a POST without CSRF token/credential


PAGES: dict[str, Page] = {
    "desk:login": Page(None, public=True),
    # what a load balancer polls: no sign-in, only pass/fail per check (test_health.py)
    "desk:healthz": Page(None, public=True),
    "desk:logout": Page(None, public=True, get=False),
    "desk:case_list": Page(None),
    "desk:case": Page("case"),
    "desk:timeline": Page("case"),
    "desk:view_save": Page(None, get=False),
    "desk:view_delete": Page(None, get=False),
    "desk:coach": Page("case", get=False),
    "desk:reply": Page("case", get=False),
    "desk:dismiss_finding": Page("case", get=False),
    "desk:note": Page("case", get=False),
    "desk:expectation": Page("case", get=False),
    "desk:client": Page("client"),
    # the workflow on the web (views/workflow.py)
    "desk:promise_add": Page("case", get=False),
    "desk:promise_close": Page("followup", get=False),
    "desk:status": Page("case", get=False),
    "desk:crisis_step": Page("incident", get=False),
    "desk:crisis_complete": Page("incident", get=False),
    "desk:transfer": Page("case", get=False),
    "desk:backup": Page("case", get=False),
    "desk:summary": Page("case"),
    "desk:summary_send": Page("case", get=False),
    "desk:take_break": Page("case", get=False),
    "desk:checkin": Page("checkin", get=False),
    "desk:queue": Page(None),
    "desk:decide": Page("escalation", get=False),
    "desk:notifications": Page(None),
    "desk:notification_read": Page(None, get=False),
    "desk:attachment": Page("attachment"),
    # the client's one-click rating link: no login, the signed token is the credential
    "desk:satisfaction": Page("rating", public=True),
    # the principle pages coach findings link to: public guidance, no sign-in
    "desk:principles": Page(None, public=True),
    "desk:principle": Page(
        None, public=True, kwargs=(("lang", "en"), ("slug", "04-set-expectations"))
    ),
    # training (calmdesk.training): sessions and drafts are not team objects of this world;
    # their own/mentee/other-organization visibility is tested in tests/training.
    "training:scenarios": Page(None),
    "training:start": Page(None, get=False),
    "training:practice": Page(None, kwargs=(("session_id", "1"),)),
    "training:turn": Page(None, get=False, kwargs=(("session_id", "1"),)),
    "training:end": Page(None, get=False, kwargs=(("session_id", "1"),)),
    "training:report": Page(None, kwargs=(("session_id", "1"),)),
    "training:comment": Page(None, get=False, kwargs=(("session_id", "1"),)),
    "training:override": Page(None, get=False, kwargs=(("session_id", "1"),)),
    "training:history": Page(None),
    "training:progress": Page(None),
    "training:mentor": Page(None),
    "training:assign": Page(None, get=False),
    "training:drafts": Page(None),
    "training:draft": Page(None, kwargs=(("draft_id", "1"),)),
    "training:publish": Page(None, get=False, kwargs=(("draft_id", "1"),)),
    "training:case_draft": Page("case", get=False),
}
# reports (calmdesk.reports): who sees which report is tested in tests/reports/test_access*.py;
# here: sign-in, CSRF and method rules.  "root-causes" is a team report of the registry.
PAGES["reports:index"] = Page(None)
PAGES["reports:report"] = Page(None, kwargs=(("slug", "root-causes"),))
PAGES["reports:csv"] = Page(None, kwargs=(("slug", "root-causes"),))
PAGES["reports:pdf"] = Page(None, kwargs=(("slug", "root-causes"),))
PAGES["reports:subscription"] = Page(None)
# channels: raw MIME from mail services; the URL token is the credential (403 without it)
PAGES["channels:inbound"] = Page(None, public=True, get=False, kwargs=(("token", "0.no-token"),))
# connectors: helpdesk webhooks; URL token + product signature are the credential (404 for an
# unknown token, 401 for a bad signature)
PAGES["connectors:receive"] = Page(
    None,
    public=True,
    get=False,
    kwargs=(("product", "zendesk"), ("token", "0.no-token")),
    refused=(404,),
)
EXCLUDED_PREFIXES = ("admin/", "api/v1/", "i18n/")  # admin: staff only; API: above


# ---- enumeration --------------------------------------------------------------------------


def api_operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


def _walk(patterns: list[Any], prefix: str, namespace: str) -> list[tuple[str, str, Any]]:
    found = []
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            found += _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            found.append((prefix + str(p.pattern), f"{namespace}{p.name}", p))
    return found


def resolver_routes() -> list[tuple[str, str, Any]]:
    return _walk(get_resolver().url_patterns, "", "")


def desk_pages() -> dict[str, str]:
    return {
        name: route
        for route, name, _ in resolver_routes()
        if not route.startswith(EXCLUDED_PREFIXES)
    }


def test_every_route_has_an_expectation():
    ops = api_operations()
    assert ops == set(API_ROUTES), (
        f"API routes without a row: {sorted(ops - set(API_ROUTES))}; "
        f"rows without a route: {sorted(set(API_ROUTES) - ops)}"
    )
    # every operation the resolver serves under api/v1/ is in the OpenAPI document
    api_patterns = [r for r in resolver_routes() if r[0].startswith("api/v1/")]
    documented = {op[1] for op in ops}
    for route, name, _ in api_patterns:
        if name in ("api:openapi-json", "api:openapi-view", "api:api-root"):
            continue
        template = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        assert template in documented, f"undocumented API route {route} ({name})"
    pages = desk_pages()
    assert set(pages) == set(PAGES), (
        f"pages without a row in PAGES: {sorted(set(pages) - set(PAGES))}; "
        f"rows without a page: {sorted(set(PAGES) - set(pages))}"
    )


# ---- helpers -------------------------------------------------------------------------------

MISSING = {
    "case": 10**9,
    "client": 10**9,
    "interaction": 10**9,
    "attachment": "0" * 32,
    "token": 10**9,
    "rating": "not-a-signed-token",
    "followup": 10**9,
    "escalation": 10**9,
    "incident": 10**9,
    "checkin": 10**9,
}


def object_id(w, obj: str, key: str) -> Any:
    if obj == "case":
        return w.cases[key].id
    if obj == "client":
        return w.clients[key[0]].id
    if obj == "interaction":
        return w.interactions[key].id
    if obj == "attachment":
        return w.attachments[key].id
    if obj in ("followup", "escalation", "incident"):
        return w.workflow[obj][key]
    if obj == "checkin":
        # check-ins are their owner's alone: "a2" names agent_a's other check-in
        return w.workflow[obj]["a" if key == "a2" else key]
    if obj == "rating":
        from calmdesk.desk.lib.signing import make_rating_token

        return make_rating_token(10**9, "0" * 32, 5)
    if obj == "token":
        owner = {"a": "agent_a", "a2": "agent_a", "b": "agent_b", "x": "outsider"}[key]
        return ApiToken.objects.filter(user=w.users[owner], name="tests").get().id
    raise AssertionError(obj)


def fill(path: str, obj: str | None, value: Any) -> str:
    return re.sub(r"\{\w+\}", str(value), path) if obj else path


def call(
    client,
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    query: dict[str, Any] | None = None,
    **extra,
):
    if method == "GET":
        return client.get(url, query or {}, **extra)
    return client.generic(method, url, json.dumps(body or {}), "application/json", **extra)


def strip_tokens(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


# ---- the API -------------------------------------------------------------------------------

CROSS = [
    ("agent_a", "b"),  # same organization, other team
    ("agent_a", "x"),  # other organization
    ("agent_b", "a"),
    ("outsider", "a"),
    ("supervisor_a", "b"),
    ("mentor", "a2"),  # same team, not shared with the mentor
    ("mentor", "b"),
]


@pytest.mark.parametrize("who,key", CROSS)
def test_api_foreign_objects_answer_like_missing_ones(world, who, key):
    client = world.api(who)
    audit_before = AuditEntry.objects.count()
    failures = []
    for (method, path), route in API_ROUTES.items():
        if route.obj is None:
            if route.foreign_body is None:
                continue
            r = call(client, method, path, route.foreign_body(world, key))
            if r.status_code != 404:
                failures.append((method, path, r.status_code))
            continue
        if who == "mentor" and route.obj == "client" and key == "a2":
            continue  # client "a" is visible to the mentor through the shared case "a"
        if route.obj == "token" and key == "a2":
            continue
        body = route.body(world) if route.body else None
        foreign = call(
            client,
            method,
            fill(path, route.obj, object_id(world, route.obj, key)),
            body,
            route.query,
        )
        missing = call(client, method, fill(path, route.obj, MISSING[route.obj]), body, route.query)
        if (foreign.status_code, foreign.content) != (
            404,
            missing.content,
        ) or missing.status_code != 404:
            failures.append((method, path, foreign.status_code, foreign.content[:120]))
    assert failures == []
    assert AuditEntry.objects.count() == audit_before  # nothing was written


def _ids(items):
    return {i["id"] for i in items}


@pytest.mark.parametrize("who", ["agent_a", "agent_b", "outsider", "mentor", "admin"])
def test_api_listings_and_search_show_only_what_the_user_may_see(world, who):
    visible_cases = {
        "agent_a": {"a", "a2"},
        "agent_b": {"b"},
        "outsider": {"x"},
        "mentor": {"a"},
        "admin": {"a", "a2", "b"},
    }[who]
    visible_clients = {
        "agent_a": {"a"},
        "agent_b": {"b"},
        "outsider": {"x"},
        "mentor": {"a"},
        "admin": {"a", "b"},
    }[who]
    client = world.api(who)
    cases = client.get("/api/v1/cases").json()["items"]
    assert _ids(cases) == {world.cases[k].id for k in visible_cases}
    clients = client.get("/api/v1/clients").json()["items"]
    assert _ids(clients) == {world.clients[k].id for k in visible_clients}
    found = client.get("/api/v1/search", {"q": "parcel"}).json()
    assert {i["case_id"] for i in found["interactions"]} == {
        world.cases[k].id for k in visible_cases
    }
    found = client.get("/api/v1/search", {"q": "Late delivery"}).json()
    assert _ids(found["cases"]) == {world.cases[k].id for k in visible_cases}
    for other in set(world.cases) - visible_cases:
        ref = world.cases[other].reference
        assert client.get("/api/v1/cases", {"q": ref}).json()["items"] == []
        filtered = client.get("/api/v1/cases", {"client_id": world.cases[other].client_id})
        assert all(c["id"] != world.cases[other].id for c in filtered.json()["items"])


def test_mentor_reads_the_shared_case_but_cannot_write_it(world):
    client = world.api("mentor")
    audit_before = AuditEntry.objects.count()
    for (method, path), route in API_ROUTES.items():
        if route.obj not in ("case", "interaction", "attachment", "client"):
            continue
        url = fill(path, route.obj, object_id(world, route.obj, "a"))
        body = route.body(world) if route.body else None
        r = call(client, method, url, body)
        if method == "GET":
            assert r.status_code == 200, (method, path, r.status_code)
        else:
            assert r.status_code == 404, (method, path, r.status_code)
    for path in ("/api/v1/cases", "/api/v1/clients"):
        body = {"client_id": world.clients["a"].id, "subject": "s", "channel": "email", "name": "n"}
        assert call(client, "POST", path, body).status_code in (403, 404)
    assert AuditEntry.objects.count() == audit_before


def _every_request(world):
    for (method, path), route in API_ROUTES.items():
        value = object_id(world, route.obj, "a") if route.obj else None
        body = (
            route.body(world)
            if route.body
            else (route.foreign_body(world, "a") if route.foreign_body else {})
        )
        yield method, fill(path, route.obj, value), body, route.query


@pytest.mark.parametrize(
    "credential",
    ["anonymous", "inactive-token", "inactive-session", "revoked-token", "garbage-token"],
)
def test_api_refuses_missing_revoked_and_deactivated_credentials(world, credential):
    if credential == "anonymous":
        client = world.http(None)
    elif credential == "inactive-session":
        client = world.http(None)
        client.force_login(world.users["agent_a"])
        # deactivated after signing in: the session must stop working at once
        from calmdesk.desk.actions.users import do_set_user_active

        do_set_user_active(None, world.users["agent_a"], False)
    else:
        token = {
            "inactive-token": world.tokens["inactive"],
            "revoked-token": world.tokens["revoked"],
            "garbage-token": "cd_" + "x" * 43,
        }[credential]
        client = world.http(None)
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    audit_before = AuditEntry.objects.count()
    failures = []
    for method, url, body, query in _every_request(world):
        r = call(client, method, url, body, query)
        if r.status_code != 401 or r.json()["error"]["code"] != "not_authenticated":
            failures.append((method, url, r.status_code))
    assert failures == []
    assert AuditEntry.objects.count() == audit_before


def test_api_session_writes_without_csrf_are_refused(world):
    client = world.http("agent_a", csrf=True)
    audit_before = AuditEntry.objects.count()
    failures = []
    for method, url, body, query in _every_request(world):
        r = call(client, method, url, body, query)
        expected = 200 if method == "GET" else 403
        if r.status_code != expected:
            failures.append((method, url, r.status_code))
    assert failures == []
    assert AuditEntry.objects.count() == audit_before


def test_api_allows_own_team_work(world):
    """The other side of the matrix: the same writes succeed on the agent's own case."""
    client = world.api("agent_a")
    ok = {}
    for (method, path), route in API_ROUTES.items():
        if method not in WRITE_METHODS or route.obj not in ("case", "interaction", "client"):
            continue
        if path.endswith(("/transfer", "/transfers", "/share")):
            continue  # transfers move the case away; sharing is for supervisors
        url = fill(path, route.obj, object_id(world, route.obj, "a2"))
        ok[(method, path)] = call(client, method, url, route.body(world)).status_code
    assert all(status in (200, 201) for status in ok.values()), ok
    r = call(
        world.api("agent_a"),
        "POST",
        f"/api/v1/cases/{world.cases['a2'].id}/share",
        {"mentor_id": world.users["mentor"].id},
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = call(
        world.api("supervisor_a"),
        "POST",
        f"/api/v1/cases/{world.cases['a2'].id}/share",
        {"mentor_id": world.users["mentor"].id},
    )
    assert r.status_code == 200


# ---- desk pages ----------------------------------------------------------------------------


def page_url(world, name: str, key: str | None) -> str:
    page = PAGES[name]
    if page.obj is None:
        return reverse(name, kwargs=dict(page.kwargs))
    pattern = next(p for _, n, p in resolver_routes() if n == name)
    param = (
        next(iter(pattern.pattern.converters), None)
        or re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern))[0]
    )
    value = MISSING[page.obj] if key is None else object_id(world, page.obj, key)
    return reverse(name, kwargs={param: value})


@pytest.mark.parametrize("who,key", CROSS)
def test_pages_foreign_objects_answer_like_missing_ones(world, who, key):
    client = world.http(who)
    failures = []
    for name, page in PAGES.items():
        if page.obj is None or not page.get or page.public:
            continue  # a public page (the rating link) belongs to no team
        if who == "mentor" and page.obj == "client" and key == "a2":
            continue
        foreign = client.get(page_url(world, name, key))
        missing = client.get(page_url(world, name, None))
        if (
            foreign.status_code != 404
            or missing.status_code != 404
            or strip_tokens(foreign.content) != strip_tokens(missing.content)
        ):
            failures.append((name, foreign.status_code, missing.status_code))
    assert failures == []


@pytest.mark.parametrize("who", ["agent_a", "agent_b", "mentor", "outsider"])
def test_case_list_page_shows_only_visible_cases(world, who):
    visible = {"agent_a": {"a", "a2"}, "agent_b": {"b"}, "mentor": {"a"}, "outsider": {"x"}}[who]
    html = world.http(who).get(reverse("desk:case_list")).content.decode()
    for key, case in world.cases.items():
        assert (case.reference in html) == (key in visible), (who, key)
    for name, page in PAGES.items():
        if page.obj in ("case", "client", "attachment") and page.get:
            for key in visible:
                r = world.http(who).get(page_url(world, name, key))
                assert r.status_code == 200, (who, name, key, r.status_code)


def test_pages_need_sign_in_and_refuse_deactivated_users(world):
    anonymous = world.http(None)
    stale = world.http("inactive")  # a session of a deactivated account
    for name, page in PAGES.items():
        if page.public or not page.get:
            continue
        url = page_url(world, name, "a")
        for client in (anonymous, stale):
            r = client.get(url)
            assert r.status_code == 302, (name, r.status_code)
            assert r["Location"].startswith(reverse("desk:login")), name


def test_pages_refuse_posts_without_csrf(world):
    audit_before = AuditEntry.objects.count()
    for who in (None, "agent_a"):
        client = world.http(who, csrf=True)
        for name in PAGES:
            key = "a" if PAGES[name].obj else None
            url = page_url(world, name, key)
            r = client.post(url, {"username": "agent_a", "password": "x"})
            # 403 from the CSRF check, or 405 for read-only pages (never a 2xx or a redirect)
            assert r.status_code in PAGES[name].refused, (who, name, r.status_code)
    assert AuditEntry.objects.count() == audit_before


def test_admin_needs_staff(world):
    assert world.http(None).get("/admin/").status_code == 302
    assert world.http("agent_a").get("/admin/").status_code == 302


def test_public_pages_answer_without_sign_in(world: Any) -> None:
    anonymous = world.http(None)
    for name, page in PAGES.items():
        if page.public and page.get and page.obj is None:
            r = anonymous.get(page_url(world, name, None))
            assert r.status_code == 200, (name, r.status_code)
