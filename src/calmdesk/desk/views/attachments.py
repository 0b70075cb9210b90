"""Attachment download for the browser (session login): access check, then a safe download."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase
from django.views.decorators.http import require_safe

from calmdesk.desk.lib.access import access_attachment_by_id
from calmdesk.desk.lib.attachments import attachment_response


@require_safe
def attachment_download(request: HttpRequest, attachment_id: str) -> HttpResponseBase:
    """404 for anyone who may not see the case (same as for an id that does not exist)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return attachment_response(access_attachment_by_id(request.user, attachment_id))
