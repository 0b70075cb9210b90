"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Outside CI a missing /usr/bin/chromium skips these tests with one line (under CI=true the
project's pytest plugin turns a skip into a failure, and .ci/run installs chromium).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.desk.conftest import flushable_logs  # noqa: F401  (re-exported fixture)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
PASSWORD = "calm-and-kind-2026"

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(
        reason=f"browser tests need Chromium at {CHROMIUM} (apt install chromium)"
    )
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any, tmp_path: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page_factory(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(locale: str = "en-GB") -> Any:
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@dataclass
class Desk:
    """A small organization with cases in Polish, Hebrew, Serbian (Cyrillic) and a crisis."""

    users: dict[str, Any] = field(default_factory=dict)
    cases: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, Any] = field(default_factory=dict)


def build_desk() -> Desk:
    from calmdesk.desk.actions.cases import do_create_case
    from calmdesk.desk.actions.clients import do_create_client
    from calmdesk.desk.actions.interactions import do_receive_message
    from calmdesk.desk.actions.organizations import do_create_organization, do_create_team
    from calmdesk.desk.actions.users import do_create_user

    d = Desk()
    org = do_create_organization("Harbor Energy", slug="harbor")
    team = do_create_team(None, org, "Care desk", slug="care")
    for name, lang, first in [
        ("agata", "en", "Agata"),
        ("noa", "he", "Noa"),
        ("milan", "sr", "Milan"),
    ]:
        d.users[name] = do_create_user(
            None,
            username=name,
            password=PASSWORD,
            organization=org,
            team=team,
            role="agent",
            preferred_language=lang,
            first_name=first,
        )
    stories = [
        (
            "pl",
            "Jan Nowak",
            "pl",
            "Paczka nie dotarła",
            "Paczka nie dotarła od dwóch tygodni! Jestem wściekły. Kiedy wreszcie ją dostanę?",
            "Regularny klient, woli kontakt mailowy.",
        ),
        (
            "he",
            "דנה לוי",
            "he",
            "החבילה לא הגיעה",
            "החבילה לא הגיעה כבר שבועיים! אני כועסת מאוד. מתי היא תגיע?",
            "",
        ),
        (
            "sr",
            "Марко Јовановић",
            "sr",
            "Пакет није стигао",
            "Пакет још није стигао, а обећали сте да ће бити ту у понедељак. Веома сам љут.",
            "",
        ),
        (
            "crisis",
            "Sam Green",
            "en",
            "Account closed",
            "You closed my account and I have nothing left. I want to end my life.",
            "",
        ),
        (
            "calm",
            "Ruth Adams",
            "en",
            "Change of address",
            "Hello, could you please update my billing address? Thank you.",
            "",
        ),
    ]
    for key, name, lang, subject, text, banner in stories:
        client = do_create_client(
            None,
            organization=org,
            team=team,
            name=name,
            email=f"{key}@example.test",
            preferred_language=lang,
            banner=banner,
        )
        case = do_create_case(
            d.users["agata"],
            client=client,
            team=team,
            subject=subject,
            channel="email",
            assignee=d.users["agata"],
        )
        do_receive_message(None, case=case, text=text, channel="email")
        d.clients[key], d.cases[key] = client, case
    return d


@pytest.fixture
def desk(flushable_logs: Any) -> Desk:  # noqa: F811
    return build_desk()


def login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("#inbox-table")


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page (axe evaluated over CDP, so the
    page's CSP stays as it is)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return list(result)
