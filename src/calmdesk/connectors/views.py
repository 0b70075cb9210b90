"""The webhook receiver helpdesks post to (no session: the URL token and the product's
signature are the credentials)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from calmdesk.connectors import products
from calmdesk.connectors.ingest import max_body_bytes, mirror, store_delivery
from calmdesk.connectors.models import ConnectorAccount, DeliveryState, Product

logger = logging.getLogger(__name__)


def _account_for(product: str, token: str) -> ConnectorAccount | None:
    if product not in Product.values:
        return None
    account_id, dot, secret = token.partition(".")
    if not dot or not account_id.isdigit() or len(account_id) > 12 or not secret:
        return None
    account = (
        ConnectorAccount.objects.filter(pk=int(account_id), product=product)
        .select_related("organization", "team")
        .first()
    )
    if account is None or not account.enabled or not account.token_matches(secret):
        return None
    return account


@csrf_exempt
@require_POST
@transaction.non_atomic_requests
def receive(request: HttpRequest, product: str, token: str) -> HttpResponse:
    """POST a webhook → 202 {"id": <delivery id>, "duplicate": bool, "state": ...}.

    404 for an unknown product, account or token (one answer for all), 401 for a missing or
    wrong signature/secret, 413 over the size limit, 400 for an empty body.  A payload that
    cannot be read is still accepted (202, state "failed"): it is kept with its error and
    its crisis check ran, so the helpdesk does not retry it forever."""
    account = _account_for(product, token)
    if account is None:
        return JsonResponse({"detail": "Unknown connector."}, status=404)
    limit = max_body_bytes()
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > limit:
        return JsonResponse({"detail": f"The body is larger than {limit} bytes."}, status=413)
    body = request.read(limit + 1)
    if len(body) > limit:
        return JsonResponse({"detail": f"The body is larger than {limit} bytes."}, status=413)
    if not body:
        return JsonResponse({"detail": "The body is empty."}, status=400)
    if not products.verify(account.product, account.webhook_secret, request.headers, body):
        return JsonResponse({"detail": "Invalid signature."}, status=401)
    row, created = store_delivery(account, body, request.headers)
    if row.state == DeliveryState.RECEIVED:
        # The client message enters the desk now (crisis check inline, never behind a queue).
        row = mirror(row.pk)
    if row.state in (DeliveryState.RECEIVED, DeliveryState.MIRRORED):
        from calmdesk.connectors.tasks import process_delivery
        from calmdesk.desk.tasks import enqueue

        try:
            enqueue(process_delivery, row.pk)
        except Exception:  # the sweeper (process_pending) picks the row up
            logger.exception("could not enqueue connector delivery %s", row.pk)
    return JsonResponse({"id": row.pk, "duplicate": not created, "state": row.state}, status=202)
