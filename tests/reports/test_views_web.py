"""The report pages through HTTP with report definitions built from the contract types
(tests/reports/_web.py): filters, htmx, charts data, tables, links, errors, languages."""

# ruff: noqa: F811  (pytest fixtures imported from tests/reports/_web.py)

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from tests.reports._web import (  # noqa: F401
    SEEN,
    _fast_and_isolated,
    synthetic_reports,
    world,
)

pytestmark = pytest.mark.django_db


def charts_of(html: str) -> list[dict]:
    match = re.search(r'<script id="report-charts" type="application/json">(.*?)</script>', html)
    assert match, "no chart data on the page"
    return json.loads(match.group(1))


def total_cases(html: str) -> float:
    return sum(charts_of(html)[0]["series"][0]["values"])


def test_report_page_shows_charts_tables_links_and_exports(world, synthetic_reports):
    r = world.http("supervisor_a").get(reverse("reports:report", args=["cases"]))
    assert r.status_code == 200
    html = r.content.decode()
    assert '<canvas data-key="cases-per-day"' in html and 'role="img"' in html
    charts = charts_of(html)
    assert [c["kind"] for c in charts] == ["line", "bar"]
    assert total_cases(html) == 2.0  # alpha's two cases, never beta's
    assert "Alpha desk" in html and "Beta desk" not in html
    # the example case of the row, a click away (the case page checks access itself)
    assert f'href="/cases/{world.cases["a"].id}/"' in html
    assert 'id="counted-until"' in html
    assert reverse("reports:csv", args=["cases"]) in html
    assert reverse("reports:pdf", args=["cases"]) in html
    # 100.0 percent, localized; 5400 s read as hours
    assert "100.0 %" in html and "1.5 h" in html
    # CSP: no inline code, scripts from our own static files, chart data as JSON
    assert "script-src 'self'" in r["Content-Security-Policy"]
    for tag in re.findall(r"<script[^>]*>", html):
        assert " src=" in tag or 'type="application/json"' in tag, tag
    assert "training/vendor/chart.umd.min.js" in html and "reports/reports.js" in html
    assert "cdn" not in html.lower()


def test_filters_narrow_the_figures(world, synthetic_reports):
    client = world.http("admin")
    url = reverse("reports:report", args=["cases"])
    alpha, beta = world.teams["alpha"].id, world.teams["beta"].id
    assert total_cases(client.get(url).content.decode()) == 3.0
    assert total_cases(client.get(url, {"team": alpha}).content.decode()) == 2.0
    assert total_cases(client.get(url, {"team": [alpha, beta]}).content.decode()) == 3.0
    assert total_cases(client.get(url, {"channel": "phone"}).content.decode()) == 0.0
    old = client.get(url, {"from": "2020-01-01", "to": "2020-01-31"}).content.decode()
    assert total_cases(old) == 0.0 and 'id="report-empty"' in old
    assert len(charts_of(old)[0]["labels"]) == 31
    assigned = client.get(url, {"agent": world.users["agent_a"].id}).content.decode()
    assert total_cases(assigned) == 0.0  # nobody assigned in the world
    week = client.get(url, {"period": "7d"}).content.decode()
    assert len(charts_of(week)[0]["labels"]) == 7
    filters, _scope = SEEN[-1]
    assert (filters.date_to - filters.date_from).days == 6
    client.get(url, {"language": "he", "tag": "vip"})
    filters, _scope = SEEN[-1]
    assert (filters.language, filters.tag) == ("he", "vip")


def test_filter_links_carry_into_the_exports(world, synthetic_reports):
    client = world.http("admin")
    alpha = world.teams["alpha"].id
    html = client.get(
        reverse("reports:report", args=["cases"]), {"team": alpha, "channel": "email"}
    ).content.decode()
    csv_url = re.search(r'id="csv-link"|href="([^"]+\.csv[^"]*)"', html)
    link = re.search(r'href="(/reports/cases\.csv\?[^"]+)"', html).group(1).replace("&amp;", "&")
    assert f"team={alpha}" in link and "channel=email" in link
    assert csv_url
    body = client.get(link).content.decode("utf-8-sig")
    assert "Alpha desk" in body and "Beta desk" not in body


def test_htmx_request_gets_only_the_report_body(world, synthetic_reports):
    r = world.http("supervisor_a").get(
        reverse("reports:report", args=["cases"]), {"period": "90d"}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "<html" not in html and 'id="report-filters"' not in html
    assert len(charts_of(html)[0]["labels"]) == 90


@pytest.mark.parametrize(
    "query",
    [
        {"from": "yesterday", "to": "2026-01-01"},
        {"from": "2026-02-01", "to": "2026-01-01"},
        {"from": "2020-01-01", "to": "2026-01-01"},  # longer than three years
        {"from": "2026-01-01"},  # one end only
        {"period": "forever"},
        {"channel": "pigeon"},
        {"team": "alpha"},
    ],
)
def test_bad_filters_get_a_clear_error(world, synthetic_reports, query):
    client = world.http("supervisor_a")
    before = len(SEEN)
    r = client.get(reverse("reports:report", args=["cases"]), query)
    assert r.status_code == 400
    assert 'id="filter-errors"' in r.content.decode()
    assert client.get(reverse("reports:csv", args=["cases"]), query).status_code == 400
    assert len(SEEN) == before  # nothing was built


def test_pages_speak_the_users_language(world, synthetic_reports):
    client = world.http("supervisor_a")
    for language, marker, direction in [
        ("he", "דוחות", "rtl"),
        ("sr", "Извештаји", "ltr"),
        ("sr-latn", "Izveštaji", "ltr"),
        ("pl", "Raporty", "ltr"),
    ]:
        client.cookies["django_language"] = language
        index = client.get(reverse("reports:index")).content.decode()
        assert f'dir="{direction}"' in index and marker in index, language
        page = client.get(reverse("reports:report", args=["cases"])).content.decode()
        assert f'dir="{direction}"' in page


def test_navigation_links_to_reports(world, synthetic_reports):
    html = world.http("agent_a").get(reverse("desk:case_list")).content.decode()
    assert f'href="{reverse("reports:index")}"' in html


def test_index_shows_a_note_when_no_reports(world):
    from calmdesk.reports import registry

    registry.OVERRIDE = {}
    try:
        html = world.http("agent_a").get(reverse("reports:index")).content.decode()
    finally:
        registry.OVERRIDE = None
    assert 'id="no-reports"' in html
