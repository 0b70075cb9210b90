"""The training simulator in a real browser: one practice session, turn by turn, to the report."""

from __future__ import annotations

from typing import Any

import pytest

from calmdesk.simulation import load_scenario
from tests.browser.conftest import axe_violations, login, screenshot
from tests.simulation.conftest import skilled_script

pytestmark = pytest.mark.browser


def test_practice_session_runs_to_the_report(live_server: Any, desk: Any, page_factory: Any):
    page = page_factory("en-GB")
    errors: list[str] = []
    # console errors (a CSP refusal shows here) and failed responses other than the favicon
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    login(page, live_server.url, "agata")
    page.click("nav.mainnav >> text=Training")
    page.wait_for_selector("#scenario-list")
    with page.expect_navigation():
        page.locator("li[data-scenario=late-delivery] button[type=submit]").click()
    page.wait_for_selector("#turn-form")
    assert page.locator("#transcript li").count() == 1  # the persona's opening line
    script = skilled_script(load_scenario("late-delivery", "en"))
    for n, text in enumerate(script, start=1):
        page.fill("#turn-text", text)
        page.click("#send-turn")
        # htmx appends the trainee's line and the persona's answer, then clears the box
        page.wait_for_function(
            "n => document.querySelectorAll('#transcript li').length === 1 + 2 * n", arg=n
        )
        page.wait_for_function(
            "() => document.getElementById('turn-text') === null"
            " || document.getElementById('turn-text').value === ''"
        )
        if page.locator("#report-link").count():
            break
    page.locator("#report-link").wait_for()
    assert page.locator("#meters meter").count() == 3
    screenshot(page, "training-practice-en")
    with page.expect_navigation():
        page.click("#report-link")
    assert page.locator("#outcome").inner_text() == "resolved"
    assert int(page.locator("#overall").inner_text()) >= 70
    assert page.locator("#model-reply").count() == 1
    screenshot(page, "training-report-en")
    assert axe_violations(page) == []
    page.click("nav.training-nav >> text=Progress")
    page.wait_for_selector("#progress-chart[data-ready=true]")
    assert errors == []
