"""Browsers asking for Croatian or Bosnian get Serbian Latin, not English (STACK.md pitfall 23)."""

from __future__ import annotations

import pytest
from django.test import Client

from calmdesk.desk.middleware import browser_language_alias


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("hr-HR,hr;q=0.9,en;q=0.8", "sr-latn"),
        ("bs-BA", "sr-latn"),
        ("sr-Latn-RS,sr;q=0.9", "sr-latn"),
        ("iw", "he"),
        ("en-US,hr;q=0.5", ""),
        ("pl-PL,pl;q=0.9", ""),
        ("", ""),
        ("garbage;q=x,,,", ""),
    ],
)
def test_browser_language_alias(header: str, expected: str) -> None:
    assert browser_language_alias(header) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "lang", "direction"),
    [("hr-HR,hr;q=0.9", "sr-latn", "ltr"), ("bs", "sr-latn", "ltr"), ("iw-IL", "he", "rtl")],
)
def test_login_page_follows_the_alias(header: str, lang: str, direction: str) -> None:
    response = Client().get("/login/", HTTP_ACCEPT_LANGUAGE=header, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'lang="{lang}"' in html
    assert f'dir="{direction}"' in html
