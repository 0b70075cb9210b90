"""The client page: details, banner, contact points and the client's cases."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from calmdesk.desk.lib.access import access_client_by_id, cases_visible_to
from calmdesk.desk.views._common import LANGUAGE_NAMES, render_page


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
    return render_page(
        request,
        "desk/client_detail.html",
        {
            "client": client,
            "contacts": client.contact_points.all(),
            "cases": cases,
            "client_language": LANGUAGE_NAMES.get(client.preferred_language, ""),
        },
    )
