"""Report exports: CSV for spreadsheets and PDF (WeasyPrint) with server-side SVG charts.

CSV: UTF-8 with a byte-order mark (spreadsheets then read Polish, Serbian and Hebrew text
right), one section per chart and per table (a title line, the translated header row, the
rows), numbers written as plain numbers (no thousands separators, "." as decimal point), and
every text cell that a spreadsheet could run as a formula (starting with = + - @, a tab or a
carriage return) prefixed with an apostrophe (OWASP "CSV injection").

PDF: the report rendered from ``templates/reports/pdf.html`` in the active language (Hebrew
right to left, Serbian in the script of the user's language), DejaVu Sans (every script we
serve), charts drawn by :mod:`calmdesk.reports.svg` inline.  WeasyPrint gets a URL fetcher
that refuses every URL except ``data:`` (nothing is inlined by URL today): a report never
makes the server fetch anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _

from calmdesk.reports.svg import render_chart
from calmdesk.reports.types import Cell, Column, ReportResult, Table

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Cell) -> str | int | float:
    """A cell as written to CSV: numbers as they are, text defused against formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def _period_line(result: ReportResult) -> list[str]:
    f = result.filters
    return [_("Period"), f.date_from.isoformat(), f.date_to.isoformat()]


def to_csv(result: ReportResult, *, base_url: str = "") -> bytes:
    """The report as CSV bytes (UTF-8 with BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_safe(result.title)])
    writer.writerow(_period_line(result))
    if result.counted_until is not None:
        writer.writerow([_("Counted until"), result.counted_until.isoformat()])
    for chart in result.charts:
        writer.writerow([])
        writer.writerow([csv_safe(chart.title)])
        writer.writerow([csv_safe(x) for x in ["", *[s.label for s in chart.series]]])
        for j, label in enumerate(chart.labels):
            row: list[Any] = [csv_safe(label)]
            for s in chart.series:
                row.append(csv_safe(s.values[j] if j < len(s.values) else None))
            writer.writerow(row)
    for table in result.tables:
        writer.writerow([])
        writer.writerow([csv_safe(table.title)])
        links = bool(table.row_links)
        header = [csv_safe(c.title) for c in table.columns]
        if links:
            header.append(_("Link"))
        writer.writerow(header)
        for i, cells in enumerate(table.rows):
            row = [csv_safe(c) for c in cells]
            if links:
                link = table.row_links[i] if i < len(table.row_links) else None
                row.append(csv_safe(base_url + link if link else ""))
            writer.writerow(row)
    for note in result.notes:
        writer.writerow([])
        writer.writerow([csv_safe(note)])
    return (BOM + out.getvalue()).encode("utf-8")


# ---- display of cells (pages and PDF) ------------------------------------------------------


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return _("%(n)s s") % {"n": formats.number_format(round(seconds))}
    if seconds < 3600:
        return _("%(n)s min") % {"n": formats.number_format(round(seconds / 60))}
    if seconds < 72 * 3600:
        return _("%(n)s h") % {"n": formats.number_format(seconds / 3600, 1)}
    return _("%(n)s d") % {"n": formats.number_format(seconds / 86400, 1)}


def display_cell(value: Cell, column: Column) -> str:
    """How a cell reads on the page and in the PDF (localized numbers)."""
    if value is None or value == "":
        return "–"
    kind = column.kind
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int | float):
        if kind == "percent":
            return formats.number_format(value, 1) + " %"
        if kind == "duration":
            return format_duration(float(value))
        if kind == "float" or isinstance(value, float):
            return formats.number_format(value, 2 if abs(value) < 10 else 1)
        return formats.number_format(value, force_grouping=True)
    return str(value)


def has_figures(result: ReportResult) -> bool:
    """Any non-zero value in a chart, or any table row."""
    return any(v for c in result.charts for s in c.series for v in s.values) or any(
        t.rows for t in result.tables
    )


def safe_link(link: str | None) -> str | None:
    """Only same-site paths are linked (never javascript: or another host)."""
    if not link or not link.startswith("/") or link.startswith("//") or "\\" in link:
        return None
    return link


def table_view(table: Table) -> dict[str, Any]:
    """A table ready for the templates: formatted cells, alignment, a safe link per row.

    The row's link (``row_links``, e.g. the example case) goes on the table's "link" column
    when it has one (its text, e.g. "#123", becomes the link), else in an extra column."""
    numeric = [c.kind in ("int", "float", "percent", "duration") for c in table.columns]
    has_link_column = any(c.kind == "link" for c in table.columns)
    rows = []
    for i, cells in enumerate(table.rows):
        link = safe_link(table.row_links[i]) if i < len(table.row_links) else None
        out = []
        for column, value, is_num in zip(table.columns, cells, numeric, strict=False):
            cell_link = None
            text = display_cell(value, column)
            if column.kind == "link":
                own = safe_link(str(value)) if value else None
                cell_link = own or link
                if own or (cell_link and text == "–"):
                    text = _("Open")
            out.append({"text": text, "numeric": is_num, "link": cell_link})
        rows.append({"cells": out, "link": link})
    return {
        "key": table.key,
        "title": table.title,
        "columns": [
            {"title": c.title, "numeric": n} for c, n in zip(table.columns, numeric, strict=True)
        ],
        "rows": rows,
        "has_links": not has_link_column and any(r["link"] for r in rows),
    }


# ---- PDF ------------------------------------------------------------------------------------


class RefusingFetcher:
    """Built lazily (WeasyPrint is imported only when a PDF is made)."""

    @staticmethod
    def make(refused: list[str] | None = None) -> Any:
        from weasyprint.urls import URLFetcher

        class _Fetcher(URLFetcher):  # type: ignore[misc]
            def fetch(self, url: str, headers: Any = None) -> Any:
                if url.startswith("data:"):
                    return super().fetch(url, headers)
                if refused is not None:
                    refused.append(url)
                raise ValueError(f"the PDF export fetches no URL ({url[:80]})")

        return _Fetcher(timeout=1, allow_redirects=False, allowed_protocols=["data"])


def pdf_context(results: Sequence[ReportResult], *, title: str) -> dict[str, Any]:
    rtl = bool(get_language_bidi())
    sections = []
    for result in results:
        sections.append(
            {
                "result": result,
                "empty": not has_figures(result),
                "charts": [
                    {"title": c.title, "svg": render_chart(c, rtl=rtl, width=680, height=300)}
                    for c in result.charts
                    if any(s.values for s in c.series)
                ],
                "tables": [table_view(t) for t in result.tables],
            }
        )
    return {
        "title": title,
        "sections": sections,
        "rtl": rtl,
        "language": get_language() or "en",
        "generated": timezone.now(),
    }


def to_pdf(
    results: Sequence[ReportResult],
    *,
    title: str = "",
    refused: list[str] | None = None,
) -> bytes:
    """One PDF of one or more reports, in the active language."""
    from weasyprint import HTML

    html = render_to_string(
        "reports/pdf.html",
        pdf_context(results, title=title or (results[0].title if results else "")),
    )
    document = HTML(string=html, base_url="about:blank", url_fetcher=RefusingFetcher.make(refused))
    pdf: bytes = document.write_pdf()
    return pdf


def filename(slug: str, result: ReportResult, ext: str) -> str:
    f = result.filters
    return f"calmdesk-{slug}-{f.date_from:%Y%m%d}-{f.date_to:%Y%m%d}.{ext}"


def iso_week(day: dt.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"
