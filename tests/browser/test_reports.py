"""The report pages in a real browser: Chart.js draws on the canvas under the desk's CSP,
the filters swap the report body through htmx and the chart is drawn again, the Hebrew page
is laid out right to left, and axe finds no serious or critical problem."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import PASSWORD, axe_violations, login, screenshot

pytestmark = pytest.mark.browser

PAINTED = """canvas => {
  const ctx = canvas.getContext('2d');
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted;
}"""


def _supervisor(desk: Any, name: str, language: str) -> None:
    from calmdesk.desk.actions.users import do_create_user
    from calmdesk.desk.models import Team
    from calmdesk.reports.fill import fill

    team = Team.objects.get(slug="care")
    desk.users[name] = do_create_user(
        None,
        username=name,
        password=PASSWORD,
        organization=team.organization,
        team=team,
        role="supervisor",
        preferred_language=language,
        first_name=name.title(),
    )
    fill(full=True)


def _watch(page: Any) -> list[str]:
    errors: list[str] = []
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
    return errors


def test_chart_draws_and_filters_redraw(live_server: Any, desk: Any, page_factory: Any) -> None:
    _supervisor(desk, "sara", "en")
    page = page_factory("en-GB")
    errors = _watch(page)
    login(page, live_server.url, "sara")
    page.click("#nav-reports")
    page.wait_for_selector("#report-list-team")
    with page.expect_navigation():
        page.click("li[data-report=root-causes] a")
    canvas = page.locator("canvas[data-chart]").first
    page.wait_for_selector("canvas[data-chart][data-ready=true]")
    assert canvas.evaluate(PAINTED) > 500
    assert page.locator("#table-root-causes tbody tr").count() >= 1
    assert axe_violations(page) == []
    screenshot(page, "reports-root-causes-en")
    # htmx: a new period replaces the report body, and the chart is drawn again
    page.select_option("#id_period", "7d")
    with page.expect_response(lambda r: "/reports/root-causes/" in r.url):
        page.click("#apply-filters")
    page.wait_for_function(
        "() => { const c = document.querySelector('canvas[data-chart]');"
        " return c && c.chart && c.chart.data.labels.length === 7; }"
    )
    assert "period=7d" in page.url
    assert page.locator("canvas[data-chart]").first.evaluate(PAINTED) > 500
    assert page.locator("#csv-link").get_attribute("href").endswith("period=7d")
    # a bad period: the message replaces the report body (a 400 answer is swapped in)
    page.fill("#id_from", "2026-02-01")
    page.fill("#id_to", "2026-01-01")
    page.click("#apply-filters")
    page.wait_for_selector("#filter-errors")
    assert page.locator("canvas[data-chart]").count() == 0
    errors[:] = [e for e in errors if not e.startswith("400 ")]  # the expected answer
    assert errors == []


def test_hebrew_report_page_is_rtl(live_server: Any, desk: Any, page_factory: Any) -> None:
    _supervisor(desk, "tamar", "he")
    page = page_factory("he-IL")
    errors = _watch(page)
    login(page, live_server.url, "tamar")
    page.goto(f"{live_server.url}/reports/root-causes/")
    page.wait_for_selector("canvas[data-chart][data-ready=true]")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "he"
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
    # the chart's x axis runs from the right, as the page does
    reverse = page.locator("canvas[data-chart]").first.evaluate(
        "c => c.chart.options.scales.x.reverse"
    )
    assert reverse is True
    title = page.locator("h1").inner_text()
    assert any("\u0590" <= ch <= "\u05ff" for ch in title)
    assert axe_violations(page) == []
    screenshot(page, "reports-root-causes-he")
    assert errors == []
