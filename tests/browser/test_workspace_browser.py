"""The agent workspace in a real browser: coaching while typing, promises, RTL, crisis, keys."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import axe_violations, login, screenshot

pytestmark = pytest.mark.browser


def open_case(page: Any, subject: str) -> None:
    page.locator("a.row-link", has_text=subject).click()
    page.wait_for_selector("#reply-text")


def coach(page: Any, text: str, marked: str) -> None:
    """Type a draft and wait until the coach has marked ``marked`` in it."""
    page.fill("#reply-text", text)
    page.locator("#coach mark.finding-mark", has_text=marked).first.wait_for()


def apply_suggestion_for(page: Any, quoted: str) -> str:
    finding = page.locator("#coach .finding", has=page.locator("q", has_text=quoted)).first
    button = finding.locator("button.apply").first
    replacement = button.get_attribute("data-text") or ""
    button.click()
    page.wait_for_function(
        "([old, neu]) => { const v = document.getElementById('reply-text').value;"
        " return v.includes(neu) && !v.includes(old); }",
        arg=[quoted, replacement],
    )
    return replacement


def confirm_and_send(page: Any) -> None:
    page.click("#send-button")
    step = page.locator("#confirm-promises")
    step.wait_for()
    assert step.locator("input[name=promise]").count() >= 1
    for box in step.locator("input[name=promise]").all():
        box.check()
    with page.expect_navigation():
        page.click("#confirm-send")


def test_polish_reply_is_coached_confirmed_and_sent(live_server: Any, desk: Any, page_factory: Any):
    page = page_factory("en-GB")
    login(page, live_server.url, "agata")
    screenshot(page, "inbox-en")
    open_case(page, "Paczka nie dotarła")
    # the timeline shows the client's message with its emotion chips
    inbound = page.locator("li.entry-inbound").first
    assert "Paczka nie dotarła" in inbound.inner_text()
    assert inbound.locator(".chip").count() >= 1
    draft = "Dzień dobry, to nie nasza wina. Odezwiemy się wkrótce."
    coach(page, draft, "wkrótce")
    marks = page.locator("#coach mark.finding-mark").all_inner_texts()
    assert any("to nie nasza wina" in m for m in marks), marks
    assert any(m.strip() == "wkrótce" for m in marks), marks
    # each finding says why and links to its principle
    finding = page.locator("#coach .finding", has=page.locator("q", has_text="wkrótce")).first
    assert finding.locator(".finding-why").inner_text().strip()
    assert "/docs/principles/" in (finding.locator(".finding-link a").get_attribute("href") or "")
    assert page.locator("#coach meter").count() >= 3
    replacement = apply_suggestion_for(page, "wkrótce")
    page.locator("#coach mark.finding-mark", has_text="wkrótce").wait_for(state="detached")
    screenshot(page, "case-en")
    confirm_and_send(page)
    outbound = page.locator("li.entry-outbound").last
    outbound.wait_for()
    assert replacement in outbound.inner_text()
    assert "to nie nasza wina" in outbound.inner_text()


def test_hebrew_journey_is_right_to_left(live_server: Any, desk: Any, page_factory: Any):
    page = page_factory("he-IL")
    login(page, live_server.url, "noa")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "he"
    screenshot(page, "inbox-he")
    open_case(page, "החבילה לא הגיעה")
    # mirrored layout: the side column sits on the left of the timeline
    main = page.locator(".main-col").bounding_box()
    side = page.locator(".side-col").bounding_box()
    assert main and side and side["x"] < main["x"]
    coach(page, "שלום, זו לא אשמתנו. נחזור אליך בקרוב.", "בקרוב")
    # coaching messages follow the UI language (Hebrew), the rules the draft's language
    message = page.locator("#coach .finding-msg").first.inner_text()
    assert re.search(r"[\u0590-\u05FF]", message), message
    replacement = apply_suggestion_for(page, "בקרוב")
    screenshot(page, "case-he")
    confirm_and_send(page)
    outbound = page.locator("li.entry-outbound").last
    assert replacement in outbound.inner_text()
    assert outbound.locator(".entry-text").get_attribute("dir") == "auto"


def test_serbian_cyrillic_case(live_server: Any, desk: Any, page_factory: Any):
    page = page_factory("sr-RS")
    login(page, live_server.url, "milan")
    assert page.get_attribute("html", "lang") == "sr"
    open_case(page, "Пакет није стигао")
    assert "Пакет још није стигао" in page.locator("li.entry-inbound").first.inner_text()
    coach(page, "Поштовани, јавићемо вам се ускоро.", "ускоро")
    # the UI is Serbian Cyrillic, so are the coaching messages
    message = page.locator("#coach .finding-msg").first.inner_text()
    assert re.search(r"[\u0400-\u04FF]", message), message
    confirm_and_send(page)
    assert "ускоро" in page.locator("li.entry-outbound").last.inner_text()


def test_crisis_banner_on_open(live_server: Any, desk: Any, page_factory: Any):
    page = page_factory("en-GB")
    login(page, live_server.url, "agata")
    first = page.locator("tr[data-row]").first
    assert "Account closed" in first.inner_text()  # a crisis comes first in the inbox
    open_case(page, "Account closed")
    banner = page.locator(".crisis[role=alert]")
    assert banner.is_visible()
    assert "self-harm" in banner.inner_text()
    assert banner.locator("li").count() >= 3
    # the words that raised the signal are marked in the message (possibly in several pieces
    # when emotion evidence overlaps them)
    assert "end my life" in "".join(page.locator(".ev-crisis").all_inner_texts())


def test_inbox_keyboard_only(live_server: Any, desk: Any, page_factory: Any):
    page = page_factory("en-GB")
    login(page, live_server.url, "agata")
    links = page.locator("a.row-link")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.textContent") == links.nth(0).inner_text()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    second = links.nth(1).inner_text()
    assert page.evaluate("document.activeElement.textContent") == second
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == second
    page.go_back()
    page.wait_for_selector("#inbox-table")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "f-q"
    page.keyboard.type("Ruth")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("a.row-link").all_inner_texts() == ["Change of address"]


@pytest.mark.parametrize("username", ["agata", "noa"])
def test_axe_has_no_serious_violations(
    live_server: Any, desk: Any, page_factory: Any, username: str
):
    page = page_factory("en-GB")
    login(page, live_server.url, username)
    case = desk.cases["pl"]
    found = {}
    for name, url in [
        ("inbox", "/"),
        ("case", f"/cases/{case.pk}/"),
        ("client", f"/clients/{desk.clients['pl'].pk}/"),
    ]:
        page.goto(live_server.url + url)
        if name == "case":
            coach(page, "Dzień dobry, to nie nasza wina. Odezwiemy się wkrótce.", "wkrótce")
        found[name] = axe_violations(page)
    assert found == {"inbox": [], "case": [], "client": []}
