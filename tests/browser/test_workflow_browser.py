"""The workflow in a real browser: a supervisor approves a pending request from the queue;
an agent marks a promise kept; the case page with its workflow panels in en and he."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import PASSWORD, login, screenshot

pytestmark = pytest.mark.browser


def test_supervisor_approves_and_agent_keeps_a_promise(
    live_server: Any, desk: Any, page_factory: Any
) -> None:
    from calmdesk.desk.actions.escalations import do_request_backup
    from calmdesk.desk.actions.followups import do_add_followup
    from calmdesk.desk.actions.users import do_create_user
    from calmdesk.desk.models import EscalationRequest

    agent = desk.users["agata"]
    case = desk.cases["calm"]
    do_create_user(
        None,
        username="sara",
        password=PASSWORD,
        organization=case.organization,
        team=case.team,
        role="supervisor",
        preferred_language="en",
        first_name="Sara",
    )
    request = do_request_backup(
        agent,
        case,
        reason="Waive the late fee of 40 EUR",
        kind="approval",
        decision_subject="Fee waiver",
    )
    promise = do_add_followup(agent, case=case, action="Send the new bill by Friday")

    # the supervisor: queue → approve
    page = page_factory()
    login(page, live_server.url, "sara")
    page.click("#nav-queue")
    item = page.locator(f"#request-{request.id}")
    item.wait_for()
    assert "Waive the late fee of 40 EUR" in item.inner_text()
    item.locator("textarea[name=note]").fill("Approved once, as a goodwill gesture.")
    with page.expect_navigation():
        item.locator("button.approve").click()
    assert page.locator(f"#request-{request.id}").count() == 0
    assert "decision was recorded" in page.locator(".flash").inner_text()
    request.refresh_from_db()
    assert request.status == "approved"

    # the agent: the decision on the case page, then the promise kept
    page = page_factory()
    login(page, live_server.url, "agata")
    page.goto(f"{live_server.url}/cases/{case.id}/")
    assert "Approved once, as a goodwill gesture." in page.locator("#backup").inner_text()
    row = page.locator(f"#promise-{promise.id}")
    with page.expect_navigation():
        row.locator("button.keep").click()
    row = page.locator(f"#promise-{promise.id}")
    assert "promise-kept" in (row.get_attribute("class") or "")
    promise.refresh_from_db()
    assert promise.status == "kept"
    assert EscalationRequest.objects.filter(status="open").count() == 0


@pytest.mark.parametrize("user,locale,direction", [("agata", "en", "ltr"), ("noa", "he", "rtl")])
def test_case_page_workflow_panels_screenshot(
    live_server: Any, desk: Any, page_factory: Any, user: str, locale: str, direction: str
) -> None:
    from calmdesk.desk.actions.escalations import do_request_backup
    from calmdesk.desk.actions.followups import do_add_followup

    agent = desk.users["agata"]
    case = desk.cases["crisis"]
    do_add_followup(agent, case=case, action="Call Sam back at 15:00")
    do_request_backup(agent, case, reason="Crisis message: I need a supervisor now.")
    page = page_factory("he-IL" if locale == "he" else "en-GB")
    login(page, live_server.url, user)
    page.goto(f"{live_server.url}/cases/{case.id}/")
    page.locator("#crisis-incident").wait_for()
    assert page.locator("html").get_attribute("dir") == direction
    for panel in ("#promises", "#backup", "#transfer", "#summary-email", "#status"):
        assert page.locator(panel).is_visible(), panel
    assert page.locator("#crisis-incident form").count() >= 1
    # nothing in the panels spills over the side column
    overflow = page.evaluate(
        "() => [...document.querySelectorAll('.side-col .card')]"
        ".filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.id)"
    )
    assert overflow == []
    screenshot(page, f"case-workflow-{locale}")
