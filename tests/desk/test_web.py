"""Desk pages through HTTP: sign-in, the case list, the case and client pages, escaping,
right-to-left rendering and the language switch.  Uses the ``world`` of conftest.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from calmdesk.desk.actions.cases import (
    do_change_status,
    do_create_case,
    do_set_expectation,
    do_set_root_cause,
    do_transfer_case,
)
from calmdesk.desk.actions.clients import do_create_client
from calmdesk.desk.actions.interactions import do_add_note, do_receive_message
from calmdesk.desk.actions.users import do_create_user

pytestmark = pytest.mark.django_db

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
IMG_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
SCRIPT_ESCAPED = "&lt;script&gt;alert(2)&lt;/script&gt;"


def html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def assert_escaped(page: str) -> None:
    assert IMG not in page
    assert SCRIPT not in page
    assert "onerror=alert" not in page.replace(IMG_ESCAPED, "")
    assert IMG_ESCAPED in page
    assert SCRIPT_ESCAPED in page


@pytest.fixture
def hostile(world: Any) -> Any:
    """A client and case in team alpha whose every text field carries markup."""
    agent = world.users["agent_a"]
    org = world.teams["alpha"].organization
    client = do_create_client(
        None,
        organization=org,
        team=world.teams["alpha"],
        name=f"Mallory {IMG}{SCRIPT}",
        banner=f"VIP {IMG} {SCRIPT}",
        communication_preferences=f"email {SCRIPT}",
        tags=[IMG],
    )
    case = do_create_case(
        agent,
        client=client,
        team=world.teams["alpha"],
        subject=f"Refund {IMG} {SCRIPT}",
        channel="web",
    )
    do_receive_message(None, case=case, text=f"Hello {IMG}\n{SCRIPT}", channel="web")
    do_add_note(
        agent,
        case=case,
        kind="call_note",
        text=f"Call {SCRIPT}",
        data={"expected": IMG, "promised": SCRIPT},
    )
    do_set_expectation(agent, case, expected=IMG, received=SCRIPT)
    return case


# --------------------------------------------------------------------------- sign-in


def test_anonymous_is_sent_to_login(world: Any) -> None:
    for url in (
        reverse("desk:case_list"),
        reverse("desk:case", args=[world.cases["a"].pk]),
        reverse("desk:client", args=[world.clients["a"].pk]),
    ):
        response = HttpClient().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("desk:login"))


def test_login_flow(world: Any) -> None:
    do_create_user(
        None,
        username="lena",
        password="calm-and-collected-42",
        organization=world.teams["alpha"].organization,
        team=world.teams["alpha"],
        role="agent",
    )
    browser = HttpClient(enforce_csrf_checks=True)
    page = html(browser.get(reverse("desk:login")))
    assert 'name="csrfmiddlewaretoken"' in page
    token = browser.cookies["csrftoken"].value

    wrong = browser.post(
        reverse("desk:login"),
        {"username": "lena", "password": "nope", "csrfmiddlewaretoken": token},
    )
    assert wrong.status_code == 200
    assert 'role="alert"' in wrong.content.decode()

    right = browser.post(
        reverse("desk:login"),
        {"username": "lena", "password": "calm-and-collected-42", "csrfmiddlewaretoken": token},
    )
    assert right.status_code == 302
    assert right["Location"] == reverse("desk:case_list")
    assert "Late delivery a" in html(browser.get(reverse("desk:case_list")))

    # logout is POST only, with CSRF
    assert browser.get(reverse("desk:logout")).status_code == 405
    token = browser.cookies["csrftoken"].value
    out = browser.post(reverse("desk:logout"), {"csrfmiddlewaretoken": token})
    assert out.status_code == 302
    assert browser.get(reverse("desk:case_list")).status_code == 302


def test_login_page_redirects_signed_in_users(world: Any) -> None:
    response = world.http("agent_a").get(reverse("desk:login"))
    assert response.status_code == 302


# --------------------------------------------------------------------------- case list


def test_case_list_shows_only_visible_cases(world: Any) -> None:
    page = html(world.http("agent_a").get(reverse("desk:case_list")))
    assert "Late delivery a" in page and "Late delivery a2" in page
    assert "Late delivery b" not in page
    assert "Late delivery x" not in page
    assert "Bojan" not in page

    page_b = html(world.http("agent_b").get(reverse("desk:case_list")))
    assert "Late delivery b" in page_b and "Late delivery a" not in page_b

    mentor = html(world.http("mentor").get(reverse("desk:case_list")))
    assert "Late delivery a<" in mentor.replace("</bdi>", "<")
    assert "Late delivery a2" not in mentor

    admin = html(world.http("admin").get(reverse("desk:case_list")))
    assert "Late delivery a" in admin and "Late delivery b" in admin
    assert "Late delivery x" not in admin


def test_case_list_filters_and_search(world: Any) -> None:
    admin = world.http("admin")
    url = reverse("desk:case_list")
    by_team = html(admin.get(url, {"team": world.teams["beta"].pk}))
    assert "Late delivery b" in by_team and "Late delivery a" not in by_team
    # a team the user has no role in is ignored, not used to peek
    outsider_team = html(world.http("agent_a").get(url, {"team": world.teams["beta"].pk}))
    assert "Late delivery b" not in outsider_team

    do_change_status(world.users["agent_a"], world.cases["a2"], "resolved")
    resolved = html(admin.get(url, {"status": "resolved"}))
    assert "Late delivery a2" in resolved and "Late delivery b" not in resolved

    search = html(admin.get(url, {"q": "bojan"}))
    assert "Late delivery b" in search and "Late delivery a" not in search
    by_subject = html(admin.get(url, {"q": "delivery a2"}))
    assert "Late delivery a2" in by_subject and "Late delivery b" not in by_subject
    by_reference = html(admin.get(url, {"q": world.cases["b"].reference}))
    assert "Late delivery b" in by_reference and "Late delivery a" not in by_reference

    assert html(admin.get(url, {"status": "bogus", "team": "x", "page": "999"}))


def test_case_list_language_filter_and_pagination(world: Any) -> None:
    agent = world.users["agent_a"]
    org = world.teams["alpha"].organization
    client = do_create_client(
        None, organization=org, team=world.teams["alpha"], name="Ewa", preferred_language="pl"
    )
    for n in range(27):
        do_create_case(
            agent, client=client, team=world.teams["alpha"], subject=f"Sprawa {n}", channel="email"
        )
    browser = world.http("agent_a")
    url = reverse("desk:case_list")
    first = html(browser.get(url, {"language": "pl"}))
    assert "Late delivery" not in first
    assert len(re.findall(r"Sprawa \d+", first)) == 25
    assert "language=pl&amp;page=2" in first
    second = html(browser.get(url, {"language": "pl", "page": 2}))
    assert len(re.findall(r"Sprawa \d+", second)) == 2


# --------------------------------------------------------------------------- case and client


def test_case_page_shows_banner_fields_and_timeline(world: Any) -> None:
    case = world.cases["a"]
    agent = world.users["agent_a"]
    agent.timezone = "Asia/Jerusalem"
    agent.save(update_fields=["timezone"])
    do_set_root_cause(agent, case, "delay")
    do_transfer_case(agent, case, world.teams["beta"], "Beta handles parcels.")
    page = html(world.http("admin").get(reverse("desk:case", args=[case.pk])))
    assert "banner a" in page
    assert 'class="banner"' in page
    assert "Where is my parcel? (a)" in page
    assert "We are checking it today." in page
    assert "Carrier contacted." in page
    assert "Delay" in page  # root cause label
    assert "Transferred from Alpha desk to Beta desk" in page
    assert reverse("desk:attachment", args=[world.attachments["a"].pk]) in page
    assert 'dir="auto"' in page
    assert case.reference in page


def test_times_are_shown_in_the_users_time_zone(world: Any) -> None:
    admin = world.users["admin"]
    admin.timezone = "Asia/Jerusalem"
    admin.save(update_fields=["timezone"])
    page = html(world.http("admin").get(reverse("desk:case", args=[world.cases["a"].pk])))
    assert "+02:00" in page or "+03:00" in page  # ISO datetime attribute in Israel time
    assert "Asia/Jerusalem" in page


def test_forbidden_and_absent_pages_are_404(world: Any) -> None:
    agent = world.http("agent_a")
    assert agent.get(reverse("desk:case", args=[world.cases["b"].pk])).status_code == 404
    assert agent.get(reverse("desk:case", args=[world.cases["x"].pk])).status_code == 404
    assert agent.get(reverse("desk:case", args=[999_999])).status_code == 404
    assert agent.get(reverse("desk:client", args=[world.clients["b"].pk])).status_code == 404
    assert agent.get(reverse("desk:client", args=[999_999])).status_code == 404
    mentor = world.http("mentor")
    assert mentor.get(reverse("desk:case", args=[world.cases["a2"].pk])).status_code == 404
    assert mentor.get(reverse("desk:case", args=[world.cases["a"].pk])).status_code == 200
    inactive = world.http("inactive")
    assert inactive.get(reverse("desk:case", args=[world.cases["a"].pk])).status_code in (302, 404)


def test_client_page_lists_only_visible_cases(world: Any) -> None:
    page = html(world.http("agent_a").get(reverse("desk:client", args=[world.clients["a"].pk])))
    assert "Ana Kowalska" in page
    assert "a@example.test" in page
    assert "Late delivery a" in page and "Late delivery a2" in page
    mentor = html(world.http("mentor").get(reverse("desk:client", args=[world.clients["a"].pk])))
    assert "Late delivery a2" not in mentor


def test_pages_do_not_accept_post(world: Any) -> None:
    agent = world.http("agent_a")
    assert agent.post(reverse("desk:case_list")).status_code == 405
    assert agent.post(reverse("desk:case", args=[world.cases["a"].pk])).status_code == 405


# --------------------------------------------------------------------------- stored XSS


def test_client_text_is_escaped_everywhere(world: Any, hostile: Any) -> None:
    agent = world.http("agent_a")
    for url in (
        reverse("desk:case", args=[hostile.pk]),
        reverse("desk:case_list"),
        reverse("desk:client", args=[hostile.client_id]),
    ):
        response = agent.get(url)
        page = html(response)
        assert_escaped(page)
        # no script but our own two static files (htmx and desk.js), nothing inline
        assert page.count("<script") == 2
        assert page.count('<script src="/static/desk/') == 2
        assert " style=" not in page  # no inline styles (CSP has no 'unsafe-inline')
        csp = response["Content-Security-Policy"]
        assert "'unsafe-inline'" not in csp and "script-src 'self'" in csp
    search = html(agent.get(reverse("desk:case_list"), {"q": IMG}))
    assert IMG not in search


# --------------------------------------------------------------------------- languages


def test_hebrew_is_right_to_left(world: Any) -> None:
    browser = world.http("agent_a")
    browser.cookies["django_language"] = "he"
    page = html(browser.get(reverse("desk:case_list")))
    assert '<html lang="he" dir="rtl">' in page
    assert "פניות" in page  # "Cases"


def test_serbian_scripts_are_left_to_right(world: Any) -> None:
    browser = world.http("agent_a")
    browser.cookies["django_language"] = "sr-latn"
    page = html(browser.get(reverse("desk:case_list")))
    assert '<html lang="sr-latn" dir="ltr">' in page
    assert "Predmeti" in page
    browser.cookies["django_language"] = "sr"
    page = html(browser.get(reverse("desk:case_list")))
    assert '<html lang="sr" dir="ltr">' in page
    assert "Предмети" in page


def test_users_preferred_language_is_used(world: Any) -> None:
    agent = world.users["agent_a"]
    agent.preferred_language = "pl"
    agent.save(update_fields=["preferred_language"])
    page = html(world.http("agent_a").get(reverse("desk:case_list")))
    assert '<html lang="pl" dir="ltr">' in page
    assert "Sprawy" in page


def test_language_switch(world: Any) -> None:
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(world.users["agent_a"])
    page = html(browser.get(reverse("desk:case_list")))
    assert 'action="/i18n/setlang/"' in page
    for code in ("en", "pl", "sr", "sr-latn", "he"):
        assert f'name="language" value="{code}"' in page
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        reverse("set_language"),
        {"language": "he", "next": reverse("desk:case_list"), "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:case_list")
    assert browser.cookies["django_language"].value == "he"
    assert 'dir="rtl"' in html(browser.get(reverse("desk:case_list")))
    # without the CSRF token the switch is refused
    refused = browser.post(reverse("set_language"), {"language": "pl"})
    assert refused.status_code == 403


def test_case_page_query_count_does_not_grow_with_the_log(world: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = world.cases["a"]
    browser = world.http("agent_a")
    url = reverse("desk:case", args=[case.pk])
    browser.get(url)
    with CaptureQueriesContext(connection) as before:
        html(browser.get(url))
    for n in range(10):
        do_add_note(world.users["agent_a"], case=case, kind="internal_note", text=f"Note {n}")
        do_receive_message(None, case=case, text=f"Message {n}", channel="email")
    with CaptureQueriesContext(connection) as after:
        html(browser.get(url))
    assert len(after) == len(before)
    # the workflow panels (promises, incident, requests, hand-off, check-in, queue link,
    # unread count, owner/team choices) add a fixed handful of queries
    assert len(before) <= 32
