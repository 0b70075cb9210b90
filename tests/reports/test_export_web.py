"""CSV and PDF exports: BOM, sections, formula-safe cells, translated headers; PDFs in English,
Hebrew (right to left) and Serbian Cyrillic rendered to PNG with pdftoppm and checked."""

# ruff: noqa: F811  (pytest fixtures imported from tests/reports/_web.py)

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from PIL import Image

from calmdesk.reports.export import RefusingFetcher, csv_safe, to_csv, to_pdf
from calmdesk.reports.svg import nice_ticks, render_chart, visual
from calmdesk.reports.types import Chart, Column, ReportFilters, ReportResult, Series, Table
from tests.reports._web import (  # noqa: F401
    _fast_and_isolated,
    synthetic_reports,
    world,
)

PAGE_PNG = Path("/tmp/calmdesk-report-page-sample.png")
FILTERS = ReportFilters(dt.date(2026, 11, 9), dt.date(2026, 11, 15))


def sample(title: str, causes: tuple[str, ...], team: str) -> ReportResult:
    days = tuple((FILTERS.date_from + dt.timedelta(days=i)).isoformat() for i in range(7))
    return ReportResult(
        slug="sample",
        title=title,
        filters=FILTERS,
        charts=(
            Chart(
                "per-day",
                title,
                "stacked-bar",
                days,
                tuple(
                    Series(c, tuple(float((i * 3 + k) % 5 + 1) for k in range(7)))
                    for i, c in enumerate(causes)
                ),
                unit="%",
            ),
            Chart(
                "trend",
                title + " 2",
                "line",
                days,
                (Series(team, (1.0, 3.0, None, 4.0, 6.0, 5.0, 7.0)),),
            ),
            Chart("share", title + " 3", "doughnut", causes, (Series(team, (5.0, 3.0, 2.0)),)),
            Chart("bars", title + " 4", "bar", causes, (Series(team, (2.0, 8.0, 4.0)),)),
        ),
        tables=(
            Table(
                "causes",
                title,
                (Column("cause", causes[0]), Column("n", team, "int"), Column("p", "%", "percent")),
                tuple((c, 10 * (i + 1), 12.5 * (i + 1)) for i, c in enumerate(causes)),
                row_links=("/cases/1/", None, "javascript:alert(1)"),
            ),
        ),
        notes=("=1+1 note",),
        counted_until=dt.datetime(2026, 11, 16, 10, tzinfo=dt.UTC),
    )


EN = sample("Conflicts by root cause", ("Delay", "Billing", "Policy"), "Care desk")
HE = sample("קונפליקטים לפי סיבת שורש", ("עיכוב", "חיוב", "מדיניות"), "צוות שירות")
SR = sample("Сукоби по узроку", ("Кашњење", "Наплата", "Правила"), "Служба подршке")


def test_csv_has_bom_sections_and_parses_back():
    data = to_csv(EN)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["Conflicts by root cause"]
    assert rows[1] == ["Period", "2026-11-09", "2026-11-15"]
    table_at = rows.index(["Delay", "Care desk", "%", "Link"])
    assert rows[table_at + 1] == ["Delay", "10", "12.5", "/cases/1/"]
    assert rows[table_at + 3][:3] == ["Policy", "30", "37.5"]
    # the chart sections: one row per label, one column per series
    chart_at = rows.index(["", "Delay", "Billing", "Policy"])
    assert rows[chart_at + 1][0] == "2026-11-09" and len(rows[chart_at + 1]) == 4
    assert ["'=1+1 note"] in rows  # a formula never reaches a spreadsheet as one


@pytest.mark.parametrize(
    "value,expected",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("plain", "plain"),
        (-5, -5),
        (2.5, 2.5),
        (None, ""),
    ],
)
def test_csv_cells_are_defused(value, expected):
    assert csv_safe(value) == expected


def test_csv_header_is_translated_and_keeps_hebrew(world, synthetic_reports):
    client = world.http("supervisor_a")
    client.cookies["django_language"] = "pl"
    r = client.get(reverse("reports:csv", args=["cases"]))
    assert r["Content-Type"] == "text/csv; charset=utf-8"
    assert r["Content-Disposition"].startswith('attachment; filename="calmdesk-cases-')
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[1][0] == "Okres"
    with translation.override("he"):
        rows = list(csv.reader(io.StringIO(to_csv(HE).decode("utf-8-sig"))))
    assert rows[0] == ["קונפליקטים לפי סיבת שורש"]


def pdf_page_png(pdf: bytes, tmp_path: Path, name: str) -> Image.Image:
    assert pdf.startswith(b"%PDF-")
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(source), str(tmp_path / name)],
        check=True,
        timeout=60,
    )
    png = next(tmp_path.glob(f"{name}*.png"))
    return Image.open(png).convert("L")


def ink(image: Image.Image) -> tuple[float, float]:
    """(share of non-white pixels, pixel variance)."""
    pixels = image.tobytes()
    dark = sum(1 for p in pixels if p < 200) / len(pixels)
    mean = sum(pixels) / len(pixels)
    variance = sum((p - mean) ** 2 for p in pixels) / len(pixels)
    return dark, variance


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils")
@pytest.mark.parametrize(
    "language,result,name",
    [("en", EN, "en"), ("he", HE, "he"), ("sr", SR, "sr")],
)
def test_pdf_renders_a_page_that_is_not_blank(tmp_path, language, result, name):
    refused: list[str] = []
    with translation.override(language):
        pdf = to_pdf([result], refused=refused)
    assert refused == []  # nothing was even asked for
    image = pdf_page_png(pdf, tmp_path, name)
    dark, variance = ink(image)
    assert 0.02 < dark < 0.6, (name, dark)
    assert variance > 500, (name, variance)
    # keep what was looked at
    target = PAGE_PNG.with_name(f"calmdesk-report-page-sample-{name}.png")
    Image.open(next(tmp_path.glob(f"{name}*.png"))).save(target)
    if language == "he":
        # right to left: the title sits at the right edge, so the right third has more ink
        # in the title band than the left third
        width, height = image.size
        band = image.crop((0, 0, width, int(height * 0.08)))
        left = ink(band.crop((0, 0, width // 3, band.size[1])))[0]
        right = ink(band.crop((2 * width // 3, 0, width, band.size[1])))[0]
        assert right > left, (left, right)


def test_pdf_text_is_in_the_users_script():
    with translation.override("sr"):
        pdf = to_pdf([SR])
    out = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    assert "Сукоби по узроку" in out and "Наплата" in out
    assert "Од" in out or "Период" in out or "2026-11-09" in out
    with translation.override("sr-latn"):
        pdf = to_pdf([SR])
    latin = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    assert "Izrađeno" in latin or "Od " in latin


def test_pdf_never_fetches_a_url():
    from weasyprint import HTML

    refused: list[str] = []
    html = (
        '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
        '<img src="file:///etc/passwd"><img src="https://example.invalid/a.png">'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
    )
    HTML(string=html, base_url="about:blank", url_fetcher=RefusingFetcher.make(refused)).write_pdf()
    assert "http://127.0.0.1:9/x.css" in refused
    assert "file:///etc/passwd" in refused and "https://example.invalid/a.png" in refused
    assert not any(u.startswith("data:") for u in refused)


def test_pdf_through_http(world, synthetic_reports, tmp_path):
    r = world.http("supervisor_a").get(reverse("reports:pdf", args=["cases"]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    dark, _variance = ink(pdf_page_png(r.content, tmp_path, "http"))
    assert dark > 0.01


def test_svg_charts_are_self_contained_and_mirror_for_rtl():
    for chart in EN.charts:
        svg = render_chart(chart)
        assert svg.startswith("<svg") and "<script" not in svg and "href" not in svg
        assert "<title>" in svg
    hostile = Chart("x", "<b>&", "bar", ("<i>",), (Series("</svg>", (1.0,)),))
    svg = render_chart(hostile)
    assert "<b>" not in svg and "&lt;b&gt;&amp;" in svg and "&lt;/svg&gt;" in svg
    ltr, rtl = render_chart(EN.charts[0]), render_chart(EN.charts[0], rtl=True)
    assert ltr != rtl
    # Hebrew goes into the SVG in visual order (the PDF renderer draws SVG text as given)
    assert visual("עיכוב") == "בוכיע"
    assert visual("עיכוב · vip 12 (א)") == "(א) vip 12 · בוכיע"
    assert visual("Кашњење 5") == "Кашњење 5"
    assert "בוכיע" in render_chart(HE.charts[0], rtl=True)
    assert nice_ticks(7.3) == [0, 2, 4, 6, 8]
    assert nice_ticks(0) == [0.0, 1.0]
