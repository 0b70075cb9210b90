"""In Chromium: applying a coach suggestion notes its rule in the reply form, and sending the
reply records it with the reply (the coaching report's "suggestions accepted")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import login
from tests.browser.test_workspace_browser import (
    apply_suggestion_for,
    coach,
    confirm_and_send,
    open_case,
)

pytestmark = pytest.mark.browser


def test_applied_suggestion_is_recorded_with_the_sent_reply(
    live_server: Any, desk: Any, page_factory: Any
) -> None:
    from calmdesk.desk.models import AuditEntry, Interaction, Kind

    page = page_factory("en-GB")
    login(page, live_server.url, "agata")
    open_case(page, "Paczka nie dotarła")
    assert page.input_value("#reply-applied") == ""
    coach(page, "Dzień dobry, to nie nasza wina. Odezwiemy się wkrótce.", "wkrótce")
    finding = page.locator("#coach .finding", has=page.locator("q", has_text="wkrótce")).first
    rule = finding.get_attribute("data-rule") or ""
    assert rule.startswith("pl.over-promising."), rule
    assert finding.locator("button.apply").first.get_attribute("data-rule") == rule
    # typing alone records nothing
    assert page.input_value("#reply-applied") == ""
    replacement = apply_suggestion_for(page, "wkrótce")
    assert page.input_value("#reply-applied") == rule
    # the coach runs again on the changed draft; the field is outside the swapped parts
    page.locator("#coach mark.finding-mark", has_text="wkrótce").wait_for(state="detached")
    assert page.input_value("#reply-applied") == rule
    confirm_and_send(page)
    page.locator("li.entry-outbound").last.wait_for()
    reply = Interaction.objects.filter(case=desk.cases["pl"], kind=Kind.OUTBOUND).get()
    assert replacement in reply.text
    assert reply.data["coach_applied"] == [rule]
    audit = AuditEntry.objects.filter(action="interaction.reply").latest("pk")
    assert audit.data["coach_applied"] == [rule]
    # the reloaded page starts with an empty field again
    assert page.input_value("#reply-applied") == ""


def test_a_reply_without_applied_suggestions_records_none(
    live_server: Any, desk: Any, page_factory: Any
) -> None:
    from calmdesk.desk.models import Interaction, Kind

    page = page_factory("en-GB")
    login(page, live_server.url, "agata")
    open_case(page, "Paczka nie dotarła")
    coach(page, "Dzień dobry, to nie nasza wina. Odezwiemy się wkrótce.", "wkrótce")
    page.fill("#reply-text", "Bardzo mi przykro, sprawdzam to teraz.")
    with page.expect_navigation():
        page.click("#send-button")
    page.locator("li.entry-outbound").last.wait_for()
    reply = Interaction.objects.filter(case=desk.cases["pl"], kind=Kind.OUTBOUND).get()
    assert "coach_applied" not in reply.data
