"""Every report of the real registry (calmdesk.reports.definitions) through HTTP: pages, CSV
and PDF for the roles that may see them, 404 for the others, filters that narrow the figures.
Uses R1's report world (tests/reports/conftest.py) with the count tables filled."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from PIL import Image

from calmdesk.desk.actions.users import do_add_membership, do_create_user
from calmdesk.reports.definitions import REPORTS
from calmdesk.reports.fill import fill

pytestmark = pytest.mark.django_db

PAGE_PNG = Path("/tmp/calmdesk-report-page.png")
TEAM_SLUGS = [s for s, d in REPORTS.items() if d.audience == "team"]
AGENT_SLUGS = [s for s, d in REPORTS.items() if d.audience == "agent"]
WELLBEING_SLUGS = [s for s, d in REPORTS.items() if d.audience == "wellbeing"]


@pytest.fixture
def filled(rworld: Any) -> Any:
    north, alpha, beta = rworld.orgs["north"], rworld.teams["alpha"], rworld.teams["beta"]
    for name, team, role in (("mentor", alpha, "mentor"), ("admin", alpha, "admin")):
        rworld.users[name] = do_create_user(
            None, username=name, password=None, organization=north, team=team, role=role
        )
    do_add_membership(None, rworld.users["admin"], beta, "supervisor")
    fill(full=True)
    return rworld


def http(w: Any, who: str, language: str = "") -> HttpClient:
    client = HttpClient()
    client.force_login(w.users[who])
    if language:
        client.cookies["django_language"] = language
    return client


def test_registry_is_wired():
    assert TEAM_SLUGS and AGENT_SLUGS and WELLBEING_SLUGS
    for slug in REPORTS:
        assert reverse("reports:report", args=[slug]) == f"/reports/{slug}/"


@pytest.mark.parametrize("slug", list(REPORTS))
def test_each_report_page_csv_and_pdf(filled, slug, tmp_path):
    client = http(filled, "admin")
    page = client.get(reverse("reports:report", args=[slug]))
    assert page.status_code == 200, slug
    html = page.content.decode()
    data = re.search(r'<script id="report-charts" type="application/json">(.*?)</script>', html)
    assert data is not None
    charts = json.loads(data.group(1))
    for chart in charts:
        assert f'data-key="{chart["key"]}"' in html
    got = client.get(reverse("reports:csv", args=[slug]))
    assert got.status_code == 200 and got.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0] == [str(REPORTS[slug].title)]
    pdf = client.get(reverse("reports:pdf", args=[slug]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    if shutil.which("pdftoppm"):
        source = tmp_path / "r.pdf"
        source.write_bytes(pdf.content)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "50",
                "-f",
                "1",
                "-l",
                "1",
                str(source),
                str(tmp_path / "p"),
            ],
            check=True,
            timeout=60,
        )
        png = next(tmp_path.glob("p*.png"))
        image = Image.open(png).convert("L")
        pixels = image.tobytes()
        dark = sum(1 for p in pixels if p < 200) / len(pixels)
        assert dark > 0.005, (slug, dark)
        if slug == "root-causes":  # what was looked at: the real report, page 1, English
            shutil.copy(png, PAGE_PNG)


@pytest.mark.parametrize(
    "who,visible",
    [
        ("admin", set(REPORTS)),
        ("supervisor_a", set(REPORTS)),
        ("agent_a", set(AGENT_SLUGS)),
        ("mentor", set(AGENT_SLUGS)),
        ("outsider", set(AGENT_SLUGS)),
    ],
)
def test_who_sees_which_real_report(filled, who, visible):
    client = http(filled, who)
    index = client.get(reverse("reports:index")).content.decode()
    for slug in REPORTS:
        assert (f'data-report="{slug}"' in index) == (slug in visible), (who, slug)
        status = client.get(reverse("reports:report", args=[slug])).status_code
        assert status == (200 if slug in visible else 404), (who, slug, status)
        csv_status = client.get(reverse("reports:csv", args=[slug])).status_code
        assert csv_status == status


def test_agent_figures_of_coaching(filled):
    slug = AGENT_SLUGS[0]
    url = reverse("reports:report", args=[slug])
    a, b = filled.users["agent_a"].id, filled.users["agent_b"].id
    assert http(filled, "agent_a").get(url, {"agent": a}).status_code == 200
    assert http(filled, "agent_a").get(url, {"agent": b}).status_code == 404
    assert http(filled, "mentor").get(url, {"agent": a}).status_code == 200
    assert http(filled, "mentor").get(url, {"agent": b}).status_code == 404  # beta: not mentored
    assert http(filled, "supervisor_a").get(url, {"agent": a}).status_code == 200
    assert http(filled, "supervisor_a").get(url, {"agent": b}).status_code == 404
    assert http(filled, "admin").get(url, {"agent": b}).status_code == 200
    assert http(filled, "outsider").get(url, {"agent": a}).status_code == 404


def opened(html: str) -> int:
    """Sum of the "cases opened" column of the root-cause table."""
    table = re.search(r'<table[^>]*id="table-root-causes".*?</table>', html, re.S)
    assert table is not None
    total = 0
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)[1:]:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        if len(cells) >= 3:
            total += int(re.sub(r"\D", "", cells[2]) or 0)
    return total


def test_filters_narrow_real_figures(filled):
    client = http(filled, "admin")
    url = reverse("reports:report", args=["root-causes"])
    everything = opened(client.get(url).content.decode())
    alpha = opened(client.get(url, {"team": filled.teams["alpha"].id}).content.decode())
    beta = opened(client.get(url, {"team": filled.teams["beta"].id}).content.decode())
    chat = opened(client.get(url, {"channel": "chat"}).content.decode())
    old = opened(client.get(url, {"from": "2020-01-01", "to": "2020-01-31"}).content.decode())
    assert everything == alpha + beta and alpha > 0 and beta > 0
    assert 0 < chat < everything
    assert old == 0


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils")
@pytest.mark.parametrize("language", ["he", "sr", "sr-latn"])
def test_real_pdf_in_other_languages(filled, language, tmp_path):
    pdf = http(filled, "admin", language).get(reverse("reports:pdf", args=["root-causes"]))
    assert pdf.status_code == 200
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    expected = {"he": "[\u0590-\u05ff]", "sr": "[\u0400-\u04ff]", "sr-latn": "[čćšžđ]"}[language]
    assert re.search(expected, text), (language, text[:300])
    if language == "sr-latn":
        assert not re.search("[\u0400-\u04ff]", text)
