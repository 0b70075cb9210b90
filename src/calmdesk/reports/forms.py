"""The report filters: a GET form read from the query string (from, to, period, team, channel,
language, tag, agent) into a :class:`~calmdesk.reports.types.ReportFilters`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calmdesk.desk.models import Channel, Team, User
from calmdesk.reports.types import ReportFilters

# Longest period one report covers (the count tables hold days; a page stays fast).
MAX_DAYS = 3 * 366
DEFAULT_PERIOD = "30d"
PERIODS: dict[str, int] = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
PERIOD_CHOICES = [
    ("7d", _("Last 7 days")),
    ("30d", _("Last 30 days")),
    ("90d", _("Last 90 days")),
    ("365d", _("Last 12 months")),
    ("last-week", _("Last week")),
    ("last-month", _("Last month")),
    ("custom", _("Dates below")),
]
REPORT_LANGUAGES = [
    ("", _("Any language")),
    ("en", _("English")),
    ("pl", _("Polish")),
    ("sr", _("Serbian")),
    ("he", _("Hebrew")),
]


def org_today(organization_tz: str, now: dt.datetime | None = None) -> dt.date:
    try:
        zone = ZoneInfo(organization_tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return (now or timezone.now()).astimezone(zone).date()


def period_dates(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """Both ends included; presets end yesterday-or-today as a person reads them."""
    if period in PERIODS:
        return today - dt.timedelta(days=PERIODS[period] - 1), today
    if period == "last-week":
        monday = today - dt.timedelta(days=today.weekday())
        return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)
    if period == "last-month":
        first = today.replace(day=1)
        last = first - dt.timedelta(days=1)
        return last.replace(day=1), last
    raise ValueError(period)


class _IdsField(forms.TypedMultipleChoiceField):
    """Team ids: any number passes here; access.check_filters answers 404 for one the viewer
    may not see (like a missing one), never a form error that would tell them apart."""

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit() and len(str(value)) < 19


class _IdField(forms.TypedChoiceField):
    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit() and len(str(value)) < 19


class FilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    # "from" is a Python keyword: the field is added under that name in __init__
    to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    team = _IdsField(label=_("Team"), coerce=int, required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=REPORT_LANGUAGES, required=False)
    tag = forms.CharField(label=_("Client tag"), max_length=100, required=False)
    agent = _IdField(label=_("Agent"), coerce=int, required=False, empty_value=None)

    def __init__(
        self,
        data: Any,
        *,
        teams: Sequence[Team],
        agents: Sequence[User],
        today: dt.date,
        show_agents: bool,
    ) -> None:
        if data is not None and not any(data.get(k) for k in ("period", "from", "to")):
            data = data.copy()
            data["period"] = DEFAULT_PERIOD  # shown selected in the form
        super().__init__(data)
        self.today = today
        self.fields["from"] = forms.DateField(
            label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
        # keep "from" before "to" on the page
        order = ["period", "from", "to", "team", "channel", "language", "tag", "agent"]
        self.order_fields(order)
        self.fields["team"].choices = [(t.id, t.name) for t in teams]  # type: ignore[attr-defined]
        self.fields["channel"].choices = [  # type: ignore[attr-defined]
            ("", _("Any channel")),
            *Channel.choices,
        ]
        self.fields["agent"].choices = [  # type: ignore[attr-defined]
            ("", _("Everyone I may see")),
            *[(a.id, a.get_full_name() or a.username) for a in agents],
        ]
        # shown on the page only when there is a choice to make
        self.show_teams = len(teams) > 1
        self.show_agents = show_agents and len(agents) > 1

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        period = data.get("period") or ""
        if start or end:
            period = "custom"
        if period == "custom":
            if not (start and end):
                raise forms.ValidationError(_("Give both dates, or pick a period."))
        else:
            start, end = period_dates(period or DEFAULT_PERIOD, self.today)
            period = period or DEFAULT_PERIOD
        if end < start:
            raise forms.ValidationError(_("The end date is before the start date."))
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(_("Pick a period of at most three years."))
        data["from"], data["to"], data["period"] = start, end, period
        return data

    def filters(self) -> ReportFilters:
        data = self.cleaned_data
        return ReportFilters(
            date_from=data["from"],
            date_to=data["to"],
            team_ids=tuple(sorted(set(data.get("team") or ()))),
            channel=data.get("channel") or "",
            language=data.get("language") or "",
            tag=(data.get("tag") or "").strip(),
            agent_id=data.get("agent"),
        )
