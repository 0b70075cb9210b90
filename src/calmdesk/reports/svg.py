"""A small server-side SVG chart renderer for the PDF export (and anything without a browser).

It draws the four chart kinds of the report contract — line, grouped bar, stacked bar and
doughnut — from a :class:`~calmdesk.reports.types.Chart` into a self-contained ``<svg>``
string: no scripts, no external references, every text escaped.  Right-to-left reports
(Hebrew) run the x axis from right to left and put the y axis on the right, as Chart.js does
with ``reverse`` on the pages.
"""

from __future__ import annotations

import math
import re
from html import escape

from calmdesk.reports.types import Chart

PALETTE = (
    "#1f6f64",
    "#b5462f",
    "#3b5ba5",
    "#8a5a00",
    "#6b3fa0",
    "#2f7d32",
    "#a12b6b",
    "#00667a",
    "#7a4b2a",
    "#4b4b4b",
    "#9c2a2a",
    "#2a5d9c",
)
FONT = "DejaVu Sans, sans-serif"


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _fmt(value: float) -> str:
    if value == int(value):
        return f"{int(value)}"
    return f"{value:.1f}" if abs(value) >= 1 else f"{value:.2f}"


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top``."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(n + 1)]


_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_LTR_RUN = re.compile(
    r"[0-9A-Za-z\u00c0-\u024f\u0370-\u052f]"
    r"(?:[0-9A-Za-z\u00c0-\u024f\u0370-\u052f .,:/%+\-]*[0-9A-Za-z\u00c0-\u024f\u0370-\u052f%])?"
)
_MIRROR = str.maketrans("()[]{}<>«»", ")(][}{><»«")


def visual(text: str) -> str:
    """``text`` in visual (left-to-right drawing) order when it holds right-to-left letters.

    The PDF renderer draws SVG text in logical order without the bidi algorithm, so Hebrew
    would read backwards.  This applies the part of the algorithm labels need: in a
    right-to-left line, runs of Latin/Cyrillic letters and digits keep their order, everything
    else is reversed (brackets mirrored), and the runs are laid out from the right."""
    if not _RTL.search(text):
        return text
    parts: list[str] = []
    pos = 0
    for match in _LTR_RUN.finditer(text):
        if match.start() > pos:
            parts.append(text[pos : match.start()][::-1].translate(_MIRROR))
        parts.append(match.group(0))
        pos = match.end()
    if pos < len(text):
        parts.append(text[pos:][::-1].translate(_MIRROR))
    return "".join(reversed(parts))


def _text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "middle",
    size: float = 10,
    weight: str = "normal",
    fill: str = "#333",
    rtl: bool = False,
) -> str:
    # placed by the anchor; drawn in visual order (see ``visual``)
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'font-family="{FONT}" font-weight="{weight}" fill="{fill}">'
        f"{escape(visual(content))}</text>"
    )


def _short(label: str, limit: int = 14) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def render_chart(chart: Chart, *, rtl: bool = False, width: int = 640, height: int = 300) -> str:
    """The chart as one ``<svg>`` element (a string)."""
    if chart.kind == "doughnut":
        body = _doughnut(chart, rtl=rtl, width=width, height=height)
    else:
        body = _axes_chart(chart, rtl=rtl, width=width, height=height)
    title = escape(chart.title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{title}">'
        f"<title>{title}</title>"
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
        f"{body}</svg>"
    )


def _legend(chart: Chart, top: float, width: int, rtl: bool) -> tuple[list[str], float]:
    """Legend items in rows under the plot; returns the parts and the height used."""
    parts: list[str] = []
    x, y = 10.0, top
    row_height = 16.0
    names = [s.label for s in chart.series]
    for i, name in enumerate(names):
        label = _short(name, 28)
        item_width = 22 + 6.2 * len(label)
        if x + item_width > width - 10 and x > 10:
            x, y = 10.0, y + row_height
        left = width - x - item_width if rtl else x
        swatch_x = left + item_width - 12 if rtl else left
        parts.append(
            f'<rect x="{swatch_x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{color(i)}"/>'
        )
        text_x = swatch_x - 4 if rtl else swatch_x + 14
        parts.append(_text(text_x, y, label, anchor="end" if rtl else "start", rtl=rtl))
        x += item_width + 10
    return parts, (y - top) + row_height if names else 0.0


def _axes_chart(chart: Chart, *, rtl: bool, width: int, height: int) -> str:
    labels = list(chart.labels)
    series = list(chart.series)
    n = max([len(labels), *[len(s.values) for s in series]])
    legend_rows = 1 + sum(len(s.label) for s in series) * 6.5 // max(width - 40, 1)
    legend_h = 16.0 * legend_rows + 6
    top, bottom = 26.0, height - 34.0 - legend_h
    axis_w = 46.0
    left, right = (10.0, width - axis_w) if rtl else (axis_w, width - 10.0)
    plot_w = max(right - left, 1.0)
    plot_h = max(bottom - top, 1.0)

    def values(s_index: int) -> list[float | None]:
        vals = list(series[s_index].values)
        return vals + [None] * (n - len(vals))

    stacked = chart.kind == "stacked-bar"
    if stacked:
        totals = [
            sum(max(v or 0.0, 0.0) for v in (values(i)[j] for i in range(len(series))))
            for j in range(n)
        ]
        top_value = max(totals or [0.0])
    else:
        top_value = max(
            [v for i in range(len(series)) for v in values(i) if v is not None] or [0.0]
        )
    ticks = nice_ticks(top_value)
    y_max = ticks[-1] or 1.0

    def y_of(value: float) -> float:
        return bottom - (max(value, 0.0) / y_max) * plot_h

    def x_slot(j: int) -> float:
        """Left edge of category j (RTL: categories run from the right)."""
        slot = plot_w / max(n, 1)
        return right - (j + 1) * slot if rtl else left + j * slot

    parts: list[str] = []
    for tick in ticks:
        y = y_of(tick)
        parts.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" '
            f'stroke="#dddddd" stroke-width="1"/>'
        )
        tx, anchor = (right + 6, "start") if rtl else (left - 6, "end")
        parts.append(_text(tx, y + 3.5, _fmt(tick), anchor=anchor, size=9))
    if chart.unit:  # above the axis labels, from the outer edge, so a long unit is never cut
        ux, anchor = (width - 4, "end") if rtl else (4, "start")
        parts.append(_text(ux, 11, chart.unit, anchor=anchor, size=9, fill="#666"))
    parts.append(
        f'<line x1="{left:.1f}" y1="{bottom:.1f}" x2="{right:.1f}" y2="{bottom:.1f}" '
        f'stroke="#888888" stroke-width="1"/>'
    )
    slot = plot_w / max(n, 1)
    step = max(1, math.ceil(n / max(int(plot_w // 70), 1)))
    for j, label in enumerate(labels):
        if j % step:
            continue
        cx = x_slot(j) + slot / 2
        parts.append(_text(cx, bottom + 14, _short(label), size=9, rtl=rtl))

    if chart.kind == "line":
        for i in range(len(series)):
            points: list[str] = []
            segments: list[list[str]] = []
            for j, v in enumerate(values(i)):
                if v is None:
                    if points:
                        segments.append(points)
                        points = []
                    continue
                points.append(f"{x_slot(j) + slot / 2:.1f},{y_of(v):.1f}")
            if points:
                segments.append(points)
            for seg in segments:
                if len(seg) == 1:
                    px, py = seg[0].split(",")
                    parts.append(f'<circle cx="{px}" cy="{py}" r="2.5" fill="{color(i)}"/>')
                else:
                    parts.append(
                        f'<polyline points="{" ".join(seg)}" fill="none" '
                        f'stroke="{color(i)}" stroke-width="2"/>'
                    )
    else:
        groups = max(len(series), 1)
        inner = slot * 0.8
        for j in range(n):
            base = x_slot(j) + slot * 0.1
            stack = 0.0
            for i in range(len(series)):
                v = values(i)[j]
                if v is None or v <= 0:
                    continue
                if stacked:
                    y0, y1 = y_of(stack), y_of(stack + v)
                    bx, bw = base, inner
                    stack += v
                else:
                    y0, y1 = bottom, y_of(v)
                    bw = inner / groups
                    pos = groups - 1 - i if rtl else i
                    bx = base + pos * bw
                parts.append(
                    f'<rect x="{bx:.1f}" y="{y1:.1f}" width="{max(bw - 1, 0.5):.1f}" '
                    f'height="{max(y0 - y1, 0.0):.1f}" fill="{color(i)}"/>'
                )
    legend, _used = _legend(chart, bottom + 34, width, rtl)
    parts.extend(legend)
    return "".join(parts)


def _doughnut(chart: Chart, *, rtl: bool, width: int, height: int) -> str:
    values = [max(v or 0.0, 0.0) for v in (chart.series[0].values if chart.series else ())]
    total = sum(values)
    cy = height / 2
    r_out = min(height / 2 - 12, width / 4)
    cx = width - r_out - 20 if rtl else r_out + 20
    r_in = r_out * 0.55
    parts: list[str] = []
    if total <= 0:
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{(r_out + r_in) / 2:.1f}" fill="none" '
            f'stroke="#dddddd" stroke-width="{r_out - r_in:.1f}"/>'
        )
    angle = -math.pi / 2
    for i, v in enumerate(values):
        if v <= 0:
            continue
        sweep = 2 * math.pi * v / total
        if sweep >= 2 * math.pi - 1e-6:
            parts.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{(r_out + r_in) / 2:.1f}" '
                f'fill="none" stroke="{color(i)}" stroke-width="{r_out - r_in:.1f}"/>'
            )
            continue
        a0, a1 = angle, angle + sweep
        large = 1 if sweep > math.pi else 0
        p = [
            (cx + r_out * math.cos(a0), cy + r_out * math.sin(a0)),
            (cx + r_out * math.cos(a1), cy + r_out * math.sin(a1)),
            (cx + r_in * math.cos(a1), cy + r_in * math.sin(a1)),
            (cx + r_in * math.cos(a0), cy + r_in * math.sin(a0)),
        ]
        parts.append(
            f'<path d="M{p[0][0]:.1f},{p[0][1]:.1f} A{r_out:.1f},{r_out:.1f} 0 {large} 1 '
            f"{p[1][0]:.1f},{p[1][1]:.1f} L{p[2][0]:.1f},{p[2][1]:.1f} "
            f'A{r_in:.1f},{r_in:.1f} 0 {large} 0 {p[3][0]:.1f},{p[3][1]:.1f} Z" '
            f'fill="{color(i)}"/>'
        )
        angle = a1
    # legend: one row per category, beside the ring
    lx = 20.0 if rtl else 2 * r_out + 50
    for i, label in enumerate(chart.labels[: int((height - 20) // 16)]):
        y = 22 + 16 * i
        share = f" ({100 * values[i] / total:.0f}%)" if total and i < len(values) else ""
        if rtl:
            sx = width - 2 * r_out - 60
            parts.append(
                f'<rect x="{sx:.1f}" y="{y - 9}" width="10" height="10" fill="{color(i)}"/>'
            )
            parts.append(_text(sx - 4, y, _short(label, 30) + share, anchor="end", rtl=True))
        else:
            parts.append(
                f'<rect x="{lx:.1f}" y="{y - 9}" width="10" height="10" fill="{color(i)}"/>'
            )
            parts.append(_text(lx + 14, y, _short(label, 30) + share, anchor="start"))
    return "".join(parts)
