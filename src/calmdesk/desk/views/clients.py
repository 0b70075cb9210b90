"""The client page: banner, preferences, contact points, the client's cases and their history
across cases (every interaction of the cases the user may see, newest first)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from calmdesk.desk.lib.access import access_client_by_id, cases_visible_to
from calmdesk.desk.models import Interaction, Kind
from calmdesk.desk.views._common import LANGUAGE_BADGES, LANGUAGE_NAMES, render_page

HISTORY_SIZE = 40


@require_safe
@login_required
def client_detail(request: HttpRequest, client_id: int) -> HttpResponse:
    client = access_client_by_id(request.user, client_id)
    cases = (
        cases_visible_to(request.user)
        .filter(client=client)
        .select_related("team", "assignee")
        .order_by("-updated_at", "-id")
    )
    history = list(
        Interaction.objects.filter(case__in=cases.values("id"))
        .exclude(kind=Kind.SYSTEM_EVENT)
        .select_related("case", "author")
        .order_by("-occurred_at", "-id")[:HISTORY_SIZE]
    )
    labels = dict(Kind.choices)
    return render_page(
        request,
        "desk/client_detail.html",
        {
            "client": client,
            "contacts": client.contact_points.all(),
            "cases": cases,
            "history": [
                (
                    item,
                    str(labels.get(item.kind, item.kind)),
                    LANGUAGE_BADGES.get(item.language, ""),
                )
                for item in history
            ],
            "client_language": LANGUAGE_NAMES.get(client.preferred_language, ""),
        },
    )
