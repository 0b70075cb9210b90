"""The principle pages coach findings link to, through HTTP: every link a finding can produce
resolves, the Markdown subset is rendered with everything else escaped, Serbian follows the
reader's script, Hebrew is right to left, unknown pages are 404, no sign-in is needed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from calmdesk.analysis._coach_rules import LANGS, PRINCIPLES, load_pack
from calmdesk.analysis.coach import UI_LANGS, principle_link
from calmdesk.desk.views import principles

pytestmark = pytest.mark.django_db

CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def reader(language: str = "en") -> Client:
    client = Client()  # anonymous: the pages are public guidance
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def article(response: Any) -> str:
    page: str = response.content.decode()
    return page[page.index("<article") : page.index("</article>")]


def test_every_link_a_finding_can_produce_resolves() -> None:
    numbers = {r.principle for lang in LANGS for r in load_pack(lang).rules} | set(PRINCIPLES)
    assert len(numbers) == 12
    for ui in UI_LANGS:
        client = reader(ui)
        for number in numbers:
            response = client.get(principle_link(number, ui))
            assert response.status_code == 200, (ui, number)
            body = article(response)
            assert re.search(rf"<h1>{number}\. ", body), (ui, number)
            # the links on a page lead to pages that exist
            for href in re.findall(r'href="([^"]+)"', body):
                assert client.get(href).status_code == 200, (ui, number, href)


def test_index_follows_the_readers_language() -> None:
    for ui, lang in (("en", "en"), ("pl", "pl"), ("sr", "sr"), ("sr-latn", "sr"), ("he", "he")):
        body = article(reader(ui).get(reverse("desk:principles")))
        links = re.findall(r'href="(/docs/principles/[^"]+)"', body)
        assert f"/docs/principles/{lang}/04-set-expectations" in links, ui
        assert len([link for link in links if link.startswith(f"/docs/principles/{lang}/")]) == 12


def test_serbian_follows_the_readers_script_and_hebrew_is_rtl() -> None:
    url = principle_link(4, "sr")
    latin = article(reader("sr-latn").get(url))
    cyrillic = article(reader("sr").get(url))
    assert "Postavite očekivanja" in latin and not CYRILLIC.search(latin)
    assert "Поставите очекивања" in cyrillic and 'lang="sr-Cyrl"' in cyrillic
    hebrew = article(reader("he").get(principle_link(5, "he")))
    assert hebrew.startswith('<article class="principle" lang="he" dir="rtl">')
    assert "&lt;div" not in hebrew and "<div" not in hebrew  # the wrapper is not passed on
    english = reader("en").get(principle_link(5, "en")).content.decode()
    assert '<article class="principle" lang="en" dir="ltr">' in english


@pytest.mark.parametrize(
    "path",
    [
        "/docs/principles/xx/index",
        "/docs/principles/EN/index",
        "/docs/principles/en/99-no-such-page",
        "/docs/principles/en/04-set-expectations.md",
        "/docs/principles/en/..%2F..%2Fcoach",
        "/docs/principles/en/",
        "/docs/principles/sr-latn/index",
    ],
)
def test_unknown_pages_are_404(path: str) -> None:
    assert reader().get(path).status_code == 404


def test_pages_are_read_only() -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(principle_link(1, "en")).status_code in (403, 405)
    assert client.get(principle_link(1, "en")).status_code == 200


HOSTILE = """# 99. A <script>alert(1)</script> title

<div dir="rtl">
Text with <img src=x onerror=alert(2)> and <script>alert(3)</script> inside.
</div>

- **bold <b>html</b>** and *em <i>x</i>*, `code <u>`
- [a good link](04-set-expectations.md), [outside](https://evil.example/x),
  [script](javascript:alert(4)), [up](../../../etc/passwd.md), [other](../pl/index.md)
1. "quotes" & 'apostrophes'

<style>body{display:none}</style>
"""


def test_hostile_page_is_rendered_inert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for lang in ("en", "pl"):
        (tmp_path / lang).mkdir()
        (tmp_path / lang / "index.md").write_text("# Index\n", encoding="utf-8")
    (tmp_path / "en" / "04-set-expectations.md").write_text("# 4. X\n", encoding="utf-8")
    (tmp_path / "en" / "99-hostile-page.md").write_text(HOSTILE, encoding="utf-8")
    monkeypatch.setattr(principles, "ROOTS", [tmp_path])
    response = reader().get("/docs/principles/en/99-hostile-page")
    assert response.status_code == 200
    body = article(response)
    page = response.content.decode()
    for tag in ("<script", "<img", "<b>", "<i>", "<u>", "<style", "<div"):
        assert tag not in body, tag
    assert "<script>alert" not in page  # the page title too
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(2)&gt;" in body
    assert "<strong>bold &lt;b&gt;html&lt;/b&gt;</strong>" in body
    assert "<em>em &lt;i&gt;x&lt;/i&gt;</em>" in body
    assert "<code>code &lt;u&gt;</code>" in body
    assert "&quot;quotes&quot; &amp; &#x27;apostrophes&#x27;" in body
    hrefs = re.findall(r'href="([^"]*)"', body)
    assert hrefs == ["/docs/principles/en/04-set-expectations", "/docs/principles/pl/index"]
    for label in ("outside", "script", "up"):
        assert label in body  # shown as text, without a link
    assert "javascript:" not in hrefs and "evil.example" not in " ".join(hrefs)
    assert "<ul>" in body and "<ol>" in body and "<h1>" in body


def test_pages_come_from_the_package_folder_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packaged = tmp_path / "principles" / "en"
    packaged.mkdir(parents=True)
    (packaged / "index.md").write_text("# Packaged index\n", encoding="utf-8")
    repo = Path(__file__).resolve().parents[2] / "docs" / "principles"
    monkeypatch.setattr(principles, "ROOTS", [tmp_path / "principles", repo])
    assert "Packaged index" in article(reader().get("/docs/principles/en/index"))
    monkeypatch.setattr(principles, "ROOTS", [tmp_path / "missing", repo])
    assert "twelve principles" in article(reader().get("/docs/principles/en/index"))
