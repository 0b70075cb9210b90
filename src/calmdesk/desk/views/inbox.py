"""The inbox: the agent's and the team's cases, what needs attention first.

Order: a crisis first, then the escalation level of the client's latest message, then overdue
promises, then the longest wait for our answer.  Filters, search and saved views (per user).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from calmdesk.desk.actions.workspace import do_delete_saved_view, do_save_view
from calmdesk.desk.lib import analysis as bridge
from calmdesk.desk.lib.access import cases_visible_to, teams_for
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.models import Case, Interaction, Kind, SavedView, Status, Team
from calmdesk.desk.views._common import LANGUAGE_BADGES, LANGUAGE_NAMES, render_page
from calmdesk.desk.views.insight import EMOTION_LABELS, LEVEL_LABELS

PAGE_SIZE = 25
MAX_QUERY = 200
# The inbox ranks at most this many cases (the most recently updated ones that match).
RANK_LIMIT = 500
OPEN_STATUSES = [s for s in Status.values if s not in (Status.RESOLVED, Status.CLOSED)]
LEVEL_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "": 0}
CRISIS_RANK = {"high": 2, "medium": 1}


@dataclass(frozen=True)
class InboxFilters:
    scope: str = ""  # "" = every case I can see, "mine" = assigned to me
    status: str = ""  # "" = open cases (all when searching), "all" = every status, else one
    team: int | None = None
    language: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, query: Any, teams: QuerySet[Team]) -> InboxFilters:
        status = str(query.get("status", ""))
        team_raw = str(query.get("team", ""))
        language = str(query.get("language", ""))
        team = int(team_raw) if team_raw.isdigit() else None
        return cls(
            scope="mine" if query.get("scope") == "mine" else "",
            status=status if status in Status.values or status == "all" else "",
            team=team if team is not None and teams.filter(id=team).exists() else None,
            language=language if language in LANGUAGE_NAMES else "",
            q=" ".join(str(query.get("q", "")).split())[:MAX_QUERY],
        )

    def apply(self, cases: QuerySet[Case], user: Any) -> QuerySet[Case]:
        if self.scope == "mine":
            cases = cases.filter(assignee=user)
        if self.status == "":
            if not self.q:  # a search looks at resolved and closed cases too
                cases = cases.filter(status__in=OPEN_STATUSES)
        elif self.status != "all":
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
        pairs = {
            "scope": self.scope,
            "status": self.status,
            "team": "" if self.team is None else str(self.team),
            "language": self.language,
            "q": self.q,
        }
        return urlencode({k: v for k, v in pairs.items() if v})


@dataclass
class InboxRow:
    case: Case
    crisis: str
    level: str
    level_label: str
    emotion: str
    emotion_label: str
    language_badge: str
    overdue: int
    due_today: int
    transfers: int
    waiting_since: dt.datetime | None

    def sort_key(self, now: dt.datetime) -> tuple[Any, ...]:
        waiting = self.waiting_since or now
        return (
            -CRISIS_RANK.get(self.crisis, 0),
            -LEVEL_RANK.get(self.level, 0),
            -self.overdue,
            waiting,
            -self.case.pk,
        )


def _annotated(cases: QuerySet[Case], now: dt.datetime, end_of_day: dt.datetime) -> Any:
    latest_inbound = (
        Interaction.objects.filter(case=OuterRef("pk"), kind=Kind.INBOUND)
        .exclude(text="")
        .order_by("-seq")
        .values("id")[:1]
    )
    return cases.annotate(
        last_in=Max("interactions__occurred_at", filter=Q(interactions__kind=Kind.INBOUND)),
        last_out=Max("interactions__occurred_at", filter=Q(interactions__kind=Kind.OUTBOUND)),
        latest_inbound_id=Subquery(latest_inbound),
    ).annotate(
        overdue=Count(
            "followups",
            filter=Q(followups__status="open", followups__due_at__lt=now),
            distinct=True,
        ),
        due_today=Count(
            "followups",
            filter=Q(
                followups__status="open",
                followups__due_at__gte=now,
                followups__due_at__lte=end_of_day,
            ),
            distinct=True,
        ),
    )


def inbox_rows(cases: QuerySet[Case], user_tz: str) -> list[InboxRow]:
    from zoneinfo import ZoneInfo

    now = timezone.now()
    local = now.astimezone(ZoneInfo(user_tz))
    end_of_day = local.replace(hour=23, minute=59, second=59, microsecond=0)
    ranked = list(
        _annotated(cases, now, end_of_day)
        .select_related("client", "team", "assignee")
        .order_by("-updated_at", "-id")[:RANK_LIMIT]
    )
    latest = Interaction.objects.in_bulk(
        [c.latest_inbound_id for c in ranked if c.latest_inbound_id]
    )
    rows = []
    for case in ranked:
        message = latest.get(case.latest_inbound_id)
        level = emotion = ""
        language = case.client.preferred_language
        if message is not None:
            result = bridge.analyze_interaction(message)
            level = result.escalation.level
            top = sorted(result.labels, key=lambda e: -result.emotions[e])
            emotion = next((e for e in top if e in EMOTION_LABELS), "")
            language = message.language or result.language or language
        last_in, last_out = case.last_in, case.last_out
        waiting = last_in if last_in and (last_out is None or last_in > last_out) else None
        rows.append(
            InboxRow(
                case=case,
                crisis=case.crisis_level,
                level=level,
                level_label=str(LEVEL_LABELS.get(level, "")),
                emotion=emotion,
                emotion_label=str(EMOTION_LABELS.get(emotion, "")),
                language_badge=LANGUAGE_BADGES.get(language, language.upper()),
                overdue=case.overdue,
                due_today=case.due_today,
                transfers=case.transfer_count,
                waiting_since=waiting,
            )
        )
    rows.sort(key=lambda r: r.sort_key(now))
    return rows


@require_safe
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    from calmdesk.desk.views._common import user_timezone

    teams = teams_for(request.user)
    filters = InboxFilters.from_query(request.GET, teams)
    cases = filters.apply(cases_visible_to(request.user), request.user)
    rows = inbox_rows(cases, user_timezone(request))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    statuses = [("", _("Open")), ("all", _("All")), *Status.choices]
    return render_page(
        request,
        "desk/inbox.html",
        {
            "page": page,
            "total": len(rows),
            "filters": filters,
            "query_string": filters.query_string(),
            "teams": teams,
            "statuses": statuses,
            "languages": sorted(LANGUAGE_NAMES.items()),
            "saved_views": SavedView.objects.filter(user_id=request.user.pk or 0),
        },
    )


def _inbox_url(query: str) -> str:
    url = reverse("desk:case_list")
    return f"{url}?{query}" if query else url


@require_POST
@login_required
def save_view(request: HttpRequest) -> HttpResponse:
    teams = teams_for(request.user)
    raw = str(request.POST.get("query", ""))[:1000]
    filters = InboxFilters.from_query(dict(parse_qsl(raw)), teams)
    try:
        do_save_view(
            request.user,  # type: ignore[arg-type]
            name=str(request.POST.get("name", "")),
            query=filters.query_string(),
            meta=RequestMeta.from_request(request),
        )
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The view was saved."))
    return HttpResponseRedirect(_inbox_url(filters.query_string()))


@require_POST
@login_required
def delete_view(request: HttpRequest) -> HttpResponse:
    raw = str(request.POST.get("view", ""))
    view = SavedView.objects.filter(
        user_id=request.user.pk or 0, pk=int(raw) if raw.isdigit() else 0
    ).first()
    if view is not None:
        do_delete_saved_view(request.user, view, meta=RequestMeta.from_request(request))  # type: ignore[arg-type]
        messages.success(request, _("The view was deleted."))
    return HttpResponseRedirect(reverse("desk:case_list"))
