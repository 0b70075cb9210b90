"""The HTTP endpoint mail services post raw MIME to (no session: the URL token is the
credential)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from calmdesk.channels.ingest import TooLarge, max_raw_bytes, process_raw
from calmdesk.channels.ingest import store_raw as _store
from calmdesk.channels.models import Mailbox, RawState


def _forbidden() -> JsonResponse:
    # One answer for an unknown mailbox, a wrong secret and a disabled mailbox.
    return JsonResponse({"detail": "Invalid inbound token."}, status=403)


def _mailbox_for(token: str) -> Mailbox | None:
    mailbox_id, dot, secret = token.partition(".")
    if not dot or not mailbox_id.isdigit() or len(mailbox_id) > 12 or not secret:
        return None
    mailbox = Mailbox.objects.filter(pk=int(mailbox_id)).first()
    if mailbox is None or not mailbox.enabled or not mailbox.secret_matches(secret):
        return None
    return mailbox


@csrf_exempt
@require_POST
@transaction.non_atomic_requests
def inbound(request: HttpRequest, token: str) -> HttpResponse:
    """POST raw MIME → 202 {"id": <raw message id>, "duplicate": bool, "state": ...}."""
    mailbox = _mailbox_for(token)
    if mailbox is None:
        return _forbidden()
    limit = max_raw_bytes()
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > limit:
        return JsonResponse({"detail": f"The message is larger than {limit} bytes."}, status=413)
    data = request.read(limit + 1)
    if not data:
        return JsonResponse({"detail": "The body is empty: send the raw message."}, status=400)
    # CALMDESK_INBOUND_DEFER: answer after phase 1 and leave phase 2 to the task workers.
    defer = bool(getattr(settings, "CALMDESK_INBOUND_DEFER", False))
    try:
        row, created = _store(
            data, organization=mailbox.organization_id, mailbox=mailbox, source="http", defer=defer
        )
    except TooLarge as exc:
        return JsonResponse({"detail": str(exc)}, status=413)
    if row.state == RawState.STORED and not defer:
        row = process_raw(row.pk)
    return JsonResponse({"id": row.pk, "duplicate": not created, "state": row.state}, status=202)
