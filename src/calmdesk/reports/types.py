"""The contract between report definitions and whoever shows them (pages, CSV, PDF, email).

A report definition (calmdesk.reports.definitions) turns filters and a scope into a
`ReportResult`: charts (labels + series) and tables (typed columns + rows).  It reads only the
count tables, never client text — except the emerging-problems report, whose example messages
come only from teams listed in `ReportScope.text_team_ids`.

Who may see what is decided before a definition runs (calmdesk.reports.access builds the
`ReportScope` for a user); a definition never widens it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

ChartKind = Literal["line", "bar", "stacked-bar", "doughnut"]
ColumnKind = Literal["text", "int", "float", "percent", "duration", "date", "link"]
Cell = str | int | float | None
Audience = Literal["team", "agent", "wellbeing"]


@dataclass(frozen=True)
class ReportFilters:
    """What the user asked for.  Dates are calendar days in the organization's time zone,
    both ends included."""

    date_from: dt.date
    date_to: dt.date
    team_ids: tuple[int, ...] = ()  # empty: every team in the scope
    channel: str = ""  # "" = any; else a desk Channel value
    language: str = ""  # "" = any; else "en", "pl", "sr", "he"
    tag: str = ""  # "" = any; else one client/case tag
    agent_id: int | None = None  # narrow to one agent (only if the scope allows it)

    def __post_init__(self) -> None:
        if self.date_to < self.date_from:
            raise ValueError("date_to is before date_from")


@dataclass(frozen=True)
class ReportScope:
    """What the viewer may see, already decided by the access rules."""

    organization_id: int
    team_ids: tuple[int, ...]  # teams whose aggregate figures the viewer may see
    agent_ids: tuple[int, ...] = ()  # agents whose individual figures the viewer may see
    text_team_ids: tuple[int, ...] = ()  # teams whose client text the viewer may read
    wellbeing: bool = False  # may see the opt-in well-being aggregates


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Chart:
    key: str  # stable id, e.g. "conflicts-by-root-cause"
    title: str
    kind: ChartKind
    labels: tuple[str, ...]  # x axis (days, weeks, categories)
    series: tuple[Series, ...]
    unit: str = ""  # shown on the y axis: "%", "h", "cases" ...


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    # Optional URL per row (e.g. the example case of a hot spot); the linked page applies
    # its own access check.  Empty tuple or one entry (str or None) per row.
    row_links: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class ReportResult:
    slug: str
    title: str
    filters: ReportFilters
    charts: tuple[Chart, ...] = ()
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = ()  # short remarks shown under the report (e.g. "opt-in only")
    generated_at: dt.datetime | None = None
    # Last hour fully counted; figures after it are not in the report yet.
    counted_until: dt.datetime | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(s.values for c in self.charts for s in c.series) and not any(
            t.rows for t in self.tables
        )


@dataclass(frozen=True)
class ReportDefinition:
    """One report.  The registry is ``calmdesk.reports.definitions.REPORTS`` (slug -> definition),
    in the order the report pages list them."""

    slug: str  # URL part, e.g. "root-causes"
    title: str  # translatable (gettext_lazy) — str() it when showing
    description: str  # one sentence, translatable
    audience: Audience  # "team": aggregates; "agent": per-agent figures; "wellbeing": opt-in
    build: Callable[[ReportFilters, ReportScope], ReportResult]
    principle: str = ""  # slug of the principle page it relates to ("" = none)
