"""Report pages: the list of reports the viewer may see, one report with its filters (htmx
swaps the report body), its CSV and PDF exports, and the weekly email opt-in.

Access is decided in :mod:`calmdesk.reports.access`; a report, team or agent the viewer may not
see answers 404 like everything else in the desk.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from calmdesk.desk.lib.access import NOT_FOUND_MESSAGE
from calmdesk.desk.models import Organization, Team, User
from calmdesk.desk.views._common import render_page
from calmdesk.reports import export
from calmdesk.reports.access import check_filters, lead_teams, report_scope, scope_for
from calmdesk.reports.forms import FilterForm, org_today
from calmdesk.reports.models import ReportSubscription
from calmdesk.reports.registry import reports
from calmdesk.reports.types import ReportDefinition, ReportFilters, ReportResult, ReportScope

AUDIENCE_ORDER = ("team", "agent", "wellbeing")


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def visible_reports(user: Any) -> list[ReportDefinition]:
    return [d for d in reports().values() if scope_for(user, d) is not None]


def _definition(user: Any, slug: str) -> ReportDefinition:
    definition = reports().get(slug)
    if definition is None or scope_for(user, definition) is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return definition


def _org_tz(user: User) -> str:
    org = Organization.objects.filter(id=int(user.organization_id or 0)).only("timezone").first()
    return org.timezone if org is not None else "UTC"


def _form(request: HttpRequest, user: User, definition: ReportDefinition) -> FilterForm:
    scope = scope_for(user, definition)
    assert scope is not None
    teams = list(Team.objects.filter(id__in=scope.team_ids).order_by("name"))
    agents: list[User] = []
    if definition.audience != "wellbeing":
        agents = list(User.objects.filter(id__in=scope.agent_ids).order_by("username"))
    return FilterForm(
        request.GET,
        teams=teams,
        agents=agents,
        today=org_today(_org_tz(user)),
        show_agents=definition.audience != "wellbeing",
    )


def build_report(
    user: User, definition: ReportDefinition, filters: ReportFilters
) -> tuple[ReportResult, ReportScope]:
    filters, scope = check_filters(user, definition, filters)
    return definition.build(filters, scope), scope


def _export_query(request: HttpRequest) -> str:
    query = QueryDict(mutable=True)
    for key in ("period", "from", "to", "team", "channel", "language", "tag", "agent"):
        values = [v for v in request.GET.getlist(key) if v]
        if values:
            query.setlist(key, values)
    return query.urlencode()


def chart_data(result: ReportResult) -> list[dict[str, Any]]:
    return [
        {
            "key": c.key,
            "title": c.title,
            "kind": c.kind,
            "unit": c.unit,
            "labels": list(c.labels),
            "series": [{"label": s.label, "values": list(s.values)} for s in c.series],
        }
        for c in result.charts
    ]


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    listed = visible_reports(user)
    groups = [
        (audience, [d for d in listed if d.audience == audience]) for audience in AUDIENCE_ORDER
    ]
    return render_page(
        request,
        "reports/index.html",
        {
            "groups": [(a, ds) for a, ds in groups if ds],
            "can_subscribe": can_subscribe(user),
        },
    )


@login_required
@require_safe
def report(request: HttpRequest, slug: str) -> HttpResponse:
    user = _user(request)
    definition = _definition(user, slug)
    form = _form(request, user, definition)
    context: dict[str, Any] = {"definition": definition, "form": form, "slug": slug}
    status = 200
    if form.is_valid():
        result, _scope = build_report(user, definition, form.filters())
        query = _export_query(request)
        context.update(
            {
                "result": result,
                "empty": not export.has_figures(result),
                "charts": chart_data(result),
                "tables": [export.table_view(t) for t in result.tables],
                "csv_url": reverse("reports:csv", args=[slug]) + (f"?{query}" if query else ""),
                "pdf_url": reverse("reports:pdf", args=[slug]) + (f"?{query}" if query else ""),
            }
        )
    else:
        status = 400
    template = "reports/_body.html" if request.headers.get("HX-Request") else "reports/report.html"
    return render_page(request, template, context, status=status)


def _export_result(request: HttpRequest, slug: str) -> tuple[ReportDefinition, ReportResult]:
    user = _user(request)
    definition = _definition(user, slug)
    form = _form(request, user, definition)
    if not form.is_valid():
        raise _BadFilters(form)
    result, _scope = build_report(user, definition, form.filters())
    return definition, result


class _BadFilters(Exception):
    def __init__(self, form: FilterForm) -> None:
        super().__init__("bad filters")
        self.form = form


def _bad_filters(exc: _BadFilters) -> HttpResponse:
    lines = [str(m) for errors in exc.form.errors.values() for m in errors]
    return HttpResponse(
        "\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8"
    )


@login_required
@require_safe
def report_csv(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        _definition_obj, result = _export_result(request, slug)
    except _BadFilters as exc:
        return _bad_filters(exc)
    response = HttpResponse(export.to_csv(result), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{export.filename(slug, result, "csv")}"'
    )
    return response


@login_required
@require_safe
def report_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        _definition_obj, result = _export_result(request, slug)
    except _BadFilters as exc:
        return _bad_filters(exc)
    response = HttpResponse(export.to_pdf([result]), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{export.filename(slug, result, "pdf")}"'
    )
    return response


# ---- the weekly email opt-in ----------------------------------------------------------------


def can_subscribe(user: Any) -> bool:
    """The weekly team summary goes to team leads (supervisors and admins) with an address."""
    return report_scope(user) is not None and lead_teams(user).exists()


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def subscription(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    sub = ReportSubscription.objects.filter(user=user).first()
    allowed = can_subscribe(user)
    if request.method == "POST":
        if not allowed:
            raise Http404(NOT_FOUND_MESSAGE)
        weekly = request.POST.get("weekly") == "on"
        if sub is None:
            sub = ReportSubscription.objects.create(user=user, weekly=weekly)
        elif sub.weekly != weekly:
            sub.weekly = weekly
            sub.save(update_fields=["weekly"])
        messages.success(
            request,
            _("You will get the weekly report by email.")
            if weekly
            else _("You will not get the weekly report by email."),
        )
        return HttpResponseRedirect(reverse("reports:subscription"))
    return render_page(
        request,
        "reports/subscription.html",
        {
            "allowed": allowed,
            "weekly": bool(sub and sub.weekly),
            "has_email": bool(user.email),
            "last_sent_week": sub.last_sent_week if sub else "",
        },
    )
