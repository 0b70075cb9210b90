"""The case list and the case page (timeline of every interaction)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from calmdesk.desk.lib.access import access_case_by_id, cases_visible_to, teams_for
from calmdesk.desk.models import Case, Interaction, Kind, Status, Team, User
from calmdesk.desk.views._common import (
    LANGUAGE_BADGES,
    LANGUAGE_NAMES,
    NOTE_FIELD_LABELS,
    display_name,
    render_page,
    root_cause_label,
)

PAGE_SIZE = 25
MAX_QUERY = 200


@dataclass(frozen=True)
class CaseFilters:
    status: str = ""
    team: int | None = None
    language: str = ""
    q: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest, teams: QuerySet[Team]) -> CaseFilters:
        status = request.GET.get("status", "")
        team_raw = request.GET.get("team", "")
        language = request.GET.get("language", "")
        team = int(team_raw) if team_raw.isdigit() else None
        return cls(
            status=status if status in Status.values else "",
            team=team if team is not None and teams.filter(id=team).exists() else None,
            language=language if language in LANGUAGE_NAMES else "",
            q=" ".join(request.GET.get("q", "").split())[:MAX_QUERY],
        )

    def apply(self, cases: QuerySet[Case]) -> QuerySet[Case]:
        if self.status:
            cases = cases.filter(status=self.status)
        if self.team is not None:
            cases = cases.filter(team_id=self.team)
        if self.language:
            cases = cases.filter(client__preferred_language=self.language)
        if self.q:
            cases = cases.filter(
                Q(subject__icontains=self.q)
                | Q(client__name__icontains=self.q)
                | Q(reference__iexact=self.q)
            )
        return cases

    def query_string(self) -> str:
        from urllib.parse import urlencode

        pairs = {
            "status": self.status,
            "team": "" if self.team is None else str(self.team),
            "language": self.language,
            "q": self.q,
        }
        return urlencode({k: v for k, v in pairs.items() if v})


@require_safe
@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    teams = teams_for(request.user)
    filters = CaseFilters.from_request(request, teams)
    cases = (
        filters.apply(cases_visible_to(request.user))
        .select_related("client", "team", "assignee")
        .order_by("-updated_at", "-id")
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(
        request,
        "desk/case_list.html",
        {
            "page": page,
            "filters": filters,
            "query_string": filters.query_string(),
            "teams": teams,
            "statuses": Status.choices,
            "languages": sorted(LANGUAGE_NAMES.items()),
        },
    )


@dataclass
class TimelineEntry:
    interaction: Interaction
    css: str
    label: str
    author: str
    description: str = ""
    badge: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)


_KIND_CSS = {
    Kind.INBOUND: "inbound",
    Kind.OUTBOUND: "outbound",
    Kind.CALL_NOTE: "note",
    Kind.MEETING_NOTE: "note",
    Kind.INTERNAL_NOTE: "internal",
    Kind.SYSTEM_EVENT: "event",
}


def _describe_event(item: Interaction, teams: dict[int, str], users: dict[int, str]) -> str:
    data: dict[str, Any] = item.data or {}
    statuses = dict(Status.choices)
    kind = item.event_type
    if kind == "created":
        return _("Case opened")
    if kind in ("status", "escalation", "reopen"):
        return _("Status: %(old)s → %(new)s") % {
            "old": statuses.get(data.get("from", ""), data.get("from", "")),
            "new": statuses.get(data.get("to", ""), data.get("to", "")),
        }
    if kind == "assignment":
        target = data.get("to")
        if target is None:
            return _("Unassigned")
        return _("Assigned to %(name)s") % {"name": users.get(target, "?")}
    if kind == "transfer":
        return _("Transferred from %(old)s to %(new)s") % {
            "old": teams.get(data.get("from", 0), "?"),
            "new": teams.get(data.get("to", 0), "?"),
        }
    if kind == "expectation":
        return _("Expectation record updated")
    if kind == "root_cause":
        return _("Root cause set")
    if kind == "shared":
        return _("Shared with mentor %(name)s") % {"name": users.get(data.get("mentor", 0), "?")}
    if kind == "correction":
        return _("Correction of entry #%(seq)s") % {"seq": data.get("corrected_seq", "?")}
    if kind == "update":
        return _("Case details changed")
    return kind


def build_timeline(case: Case) -> list[TimelineEntry]:
    interactions = list(
        case.interactions.select_related("author").prefetch_related("attachments").order_by("seq")
    )
    teams = dict(
        Team.objects.filter(organization_id=case.organization_id).values_list("id", "name")
    )
    users = {
        u.pk: display_name(u) for u in User.objects.filter(organization_id=case.organization_id)
    }
    labels = dict(Kind.choices)
    entries = []
    for item in interactions:
        if item.author is not None:
            author = display_name(item.author)
        elif item.kind == Kind.INBOUND:
            author = case.client.name
        else:
            author = _("System")
        entry = TimelineEntry(
            interaction=item,
            css=_KIND_CSS.get(Kind(item.kind), "event"),
            label=str(labels.get(item.kind, item.kind)),
            author=author,
            badge=LANGUAGE_BADGES.get(item.language, ""),
        )
        if item.kind == Kind.SYSTEM_EVENT:
            entry.description = _describe_event(item, teams, users)
        else:
            entry.fields = [
                (str(NOTE_FIELD_LABELS[key]), str(value))
                for key, value in (item.data or {}).items()
                if key in NOTE_FIELD_LABELS and value
            ]
        entries.append(entry)
    return entries


@require_safe
@login_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = access_case_by_id(request.user, case_id)
    return render_page(
        request,
        "desk/case_detail.html",
        {
            "case": case,
            "client": case.client,
            "timeline": build_timeline(case),
            "root_cause": root_cause_label(case.root_cause),
            "assignee": display_name(case.assignee),
            "client_language": LANGUAGE_NAMES.get(case.client.preferred_language, ""),
        },
    )
