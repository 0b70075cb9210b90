"""Webhook deliveries from helpdesks: store, mirror into the desk, post the note back.

Phase 1 ``store_delivery``: the raw body is committed in a Delivery row (its own
transaction) before it is read; the same message delivered again (same product message
id, else the same bytes) returns the existing row.  Only then does the receiver answer 202.

Phase 2 ``mirror``: one delivery, one transaction: parse the payload, find or create the
client (by the product's user id, else by email address) and the case (by the product's
ticket id), and log the client message with the desk's ``do_receive_message`` (idempotency
key per delivery), which runs the crisis check before commit and opens a crisis incident.
Any failure rolls back and marks the delivery ``failed`` with the error (a separate
transaction); the crisis check then runs over the raw body, so a threat inside an unreadable
payload still alerts the supervisors.  A failure never blocks the deliveries after it.

Phase 3 ``post_note``: the analysis (client message) or the coaching (agent reply) is
written once into ``note_text`` and posted through the product's API with the outbound HTTP
client.  A failure that may pass (connection error, timeout, 429, 5xx) is retried by the
task queue with exponential backoff; the message is in the desk already, so a threat is
never lost when the helpdesk is down.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import random
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from calmdesk.connectors import products
from calmdesk.connectors.models import (
    ConnectorAccount,
    ContactLink,
    Delivery,
    DeliveryState,
    TicketLink,
)
from calmdesk.connectors.notes import analysis_note, coaching_note
from calmdesk.desk.actions.cases import do_create_case
from calmdesk.desk.actions.clients import do_create_client
from calmdesk.desk.actions.crisis import alert_unfiled_crisis
from calmdesk.desk.actions.interactions import MAX_TEXT, do_receive_message
from calmdesk.desk.actions.log import write_audit
from calmdesk.desk.lib import analysis as bridge
from calmdesk.desk.lib import outbound_http
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.models import (
    Case,
    Client,
    ContactPoint,
    CrisisIncident,
    Interaction,
    Kind,
    User,
)

logger = logging.getLogger(__name__)

MAX_NOTE_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=5)
KEPT_HEADERS = (
    "content-type",
    "user-agent",
    "x-zendesk-webhook-id",
    "x-zendesk-webhook-invocation-id",
    "x-zammad-delivery",
    "x-zammad-trigger",
    "x-chatwoot-delivery",
)
PENDING_NOTE = (DeliveryState.MIRRORED, DeliveryState.RETRYING)


def max_body_bytes() -> int:
    return int(getattr(settings, "CALMDESK_MAX_WEBHOOK_BYTES", 2**20))


def http_policy() -> outbound_http.Policy:
    return outbound_http.Policy(
        connect_timeout=float(getattr(settings, "CALMDESK_CONNECTOR_CONNECT_TIMEOUT", 5)),
        read_timeout=float(getattr(settings, "CALMDESK_CONNECTOR_READ_TIMEOUT", 15)),
        retries=int(getattr(settings, "CALMDESK_CONNECTOR_HTTP_RETRIES", 2)),
        backoff=float(getattr(settings, "CALMDESK_CONNECTOR_HTTP_BACKOFF", 0.5)),
    )


def note_delay(attempt: int) -> dt.timedelta:
    """Wait before note attempt ``attempt + 1``: 1, 2, 4 … minutes (at most 6 hours), with
    jitter so that many deliveries do not all retry at once."""
    base = float(getattr(settings, "CALMDESK_CONNECTOR_RETRY_BASE_SECONDS", 60))
    seconds = min(6 * 3600.0, base * 2 ** max(0, attempt - 1))
    return dt.timedelta(seconds=seconds * (0.5 + random.random() / 2))


# ---- phase 1 ---------------------------------------------------------------------------------


def _payload(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def store_delivery(
    account: ConnectorAccount, body: bytes, headers: Mapping[str, str]
) -> tuple[Delivery, bool]:
    """Phase 1: (row, created).  Nothing is parsed beyond the ids needed to deduplicate."""
    sha = hashlib.sha256(body).hexdigest()
    payload = _payload(body)
    key = products.dedupe_key(account.product, payload, headers, sha)[:200]
    found = Delivery.objects.filter(account=account, dedupe_key=key).first()
    if found is not None:
        return found, False
    kept = {k: str(v)[:300] for k, v in headers.items() if k.lower() in KEPT_HEADERS}
    try:
        with transaction.atomic():
            row = Delivery.objects.create(
                account=account,
                dedupe_key=key,
                event_type=products.event_type(account.product, payload),
                body=body,
                sha256=sha,
                headers=kept,
            )
    except IntegrityError:
        found = Delivery.objects.filter(account=account, dedupe_key=key).first()
        if found is None:  # pragma: no cover - the constraint fired, so the row exists
            raise
        return found, False
    return row, True


# ---- phase 2 ---------------------------------------------------------------------------------


def _client_by_email(org_id: int, email: str) -> Client | None:
    if not email:
        return None
    point = (
        ContactPoint.objects.filter(
            kind="email", value__iexact=email, client__organization_id=org_id
        )
        .select_related("client")
        .order_by("-is_primary", "id")
        .first()
    )
    return point.client if point else None


def _client_for(account: ConnectorAccount, event: products.Event) -> Client:
    if event.user_id:
        link = ContactLink.objects.filter(account=account, external_id=event.user_id).first()
        if link is not None:
            return link.client
    client = _client_by_email(account.organization_id, event.email)
    if client is None:
        label = account.get_product_display()
        name = event.name or event.email or f"{label} user {event.user_id or '?'}"
        try:
            client = do_create_client(
                None,
                organization=account.organization,
                team=account.team,
                name=name,
                email=event.email,
            )
        except ActionError:
            # An address the desk does not accept: keep the client, without the address.
            client = do_create_client(
                None, organization=account.organization, team=account.team, name=name
            )
    if event.user_id:
        ContactLink.objects.create(account=account, external_id=event.user_id, client=client)
    return client


def _case_for(account: ConnectorAccount, event: products.Event) -> Case:
    link = (
        TicketLink.objects.filter(account=account, external_id=event.ticket_id)
        .select_related("case", "case__client")
        .first()
    )
    if link is not None:
        return link.case
    client = _client_for(account, event)
    subject = event.subject or f"{account.get_product_display()} #{event.ticket_id}"
    case = do_create_case(
        None, client=client, team=account.team, subject=subject, channel=event.channel
    )
    TicketLink.objects.create(account=account, external_id=event.ticket_id, case=case)
    return case


def linked_case(account: ConnectorAccount, ticket_id: str) -> Case | None:
    link = TicketLink.objects.filter(account=account, external_id=ticket_id).first()
    return link.case if link else None


def _apply(row: Delivery, account: ConnectorAccount) -> None:
    payload = _payload(bytes(row.body))
    if payload is None:
        raise products.PayloadError("the body is not UTF-8 JSON")
    event = products.parse_event(account.product, payload)
    if (
        account.product == "chatwoot"
        and account.external_account_id
        and event.external_account
        and event.external_account != account.external_account_id
    ):
        raise products.PayloadError(
            f"account {event.external_account[:20]!r} is not this connector's account"
        )
    row.role = event.role
    row.ticket_id = event.ticket_id
    if event.role == "ignore":
        row.state = DeliveryState.IGNORED
        row.error = event.reason
        return
    if event.role == "agent":
        row.case = linked_case(account, event.ticket_id)
        row.state = DeliveryState.MIRRORED
        return
    case = _case_for(account, event)
    text = event.text
    if len(text) > MAX_TEXT:  # the desk's limit per entry; the raw body keeps all of it
        text = text[:MAX_TEXT]
    interaction = do_receive_message(
        None,
        case=case,
        text=text,
        channel=event.channel,
        data={
            "connector": account.pk,
            "product": account.product,
            "delivery": row.pk,
            "ticket_id": event.ticket_id,
            "message_id": event.message_id,
            "truncated": len(event.text) > MAX_TEXT,
        },
        idempotency_key=f"connector:{account.pk}:{row.dedupe_key}"[:200],
    )
    row.case = case
    row.interaction = interaction
    row.crisis_flagged = CrisisIncident.objects.filter(interaction=interaction).exists()
    row.state = DeliveryState.MIRRORED


def mirror(delivery_id: int) -> Delivery:
    """Phase 2 for one stored delivery; never raises for the payload's content."""
    row = Delivery.objects.select_related("account").get(pk=delivery_id)
    if row.state != DeliveryState.RECEIVED:
        return row
    account = ConnectorAccount.objects.select_related("organization", "team").get(pk=row.account_id)
    error = ""
    for _attempt in range(2):  # a concurrent delivery may create the same link first
        try:
            with transaction.atomic():
                locked = Delivery.objects.select_for_update().get(pk=row.pk)
                if locked.state != DeliveryState.RECEIVED:
                    return locked
                _apply(locked, account)
                locked.processed_at = timezone.now()
                locked.save()
                return locked
        except IntegrityError as exc:
            error = f"IntegrityError: {exc}"
            continue
        except Exception as exc:
            logger.warning("connector delivery %s failed: %s", row.pk, exc)
            error = f"{type(exc).__name__}: {exc}"
            break
    return _fail(row, account, error[:2000])


def _crisis_check(body: bytes) -> bridge.InlineCheck:
    """The crisis check over a payload that could not be read: every string in it (or the
    bytes as text), in the detected language and then in each supported one."""
    payload = _payload(body)
    strings: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    if payload is not None:
        walk(payload)
        text = "\n".join(strings)
    else:
        text = body.decode("utf-8", "replace")
    text = text[:50_000]
    check = bridge.inline_check(text)
    if check.crisis:
        return check
    for lang in ("en", "pl", "sr", "he"):
        if lang != check.language:
            other = bridge.inline_check(text, lang=lang)
            if other.crisis:
                return other
    return check


def _fail(row: Delivery, account: ConnectorAccount, error: str) -> Delivery:
    check = _crisis_check(bytes(row.body))
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().get(pk=row.pk)
        if locked.state != DeliveryState.RECEIVED:  # pragma: no cover - done by another worker
            return locked
        locked.state = DeliveryState.FAILED
        locked.error = error
        locked.processed_at = timezone.now()
        if check.crisis:
            locked.crisis_flagged = True
            _alert(locked, account, check)
        locked.save()
    return locked


def _alert(row: Delivery, account: ConnectorAccount, check: bridge.InlineCheck) -> None:
    """A crisis signal in a delivery that reached no case: alert the supervisors (in the app
    and by email) and write it to the audit log."""
    kinds = ", ".join(check.kinds)
    alert_unfiled_crisis(
        organization_id=account.organization_id,
        team_id=account.team_id,
        check=check,
        key=f"crisis-delivery:{row.pk}",
        text=f"A {account.get_product_display()} webhook (delivery #{row.pk}, ticket "
        f"{row.ticket_id or '?'}) could not be read and carries a crisis signal: {kinds}. "
        "Open it in the admin and in the helpdesk now.",
        subject=f"Crisis signal in helpdesk webhook #{row.pk}",
        link=f"/admin/connectors/delivery/{row.pk}/change/",
        obj=row,
        action="connectors.crisis_alert",
        data={"delivery": row.pk, "state": row.state},
    )


# ---- phase 3 ---------------------------------------------------------------------------------


def _conversation(case: Case | None) -> list[tuple[str, str]]:
    if case is None:
        return []
    rows = list(
        Interaction.objects.filter(case=case, kind__in=(Kind.INBOUND, Kind.OUTBOUND))
        .exclude(text="")
        .order_by("-seq")
        .values_list("kind", "text")[:12]
    )
    rows.reverse()
    return [("client" if kind == Kind.INBOUND else "agent", text) for kind, text in rows]


def compose_note(row: Delivery, account: ConnectorAccount) -> str:
    reference = row.case.reference if row.case is not None else ""
    if row.role == "client" and row.interaction is not None:
        return analysis_note(
            bridge.analyze_interaction(row.interaction),
            language=account.language,
            case_reference=reference,
            crisis_incident=row.crisis_flagged,
        )
    if row.role == "agent":
        event = products.parse_event(account.product, _payload(bytes(row.body)))
        return coaching_note(
            event.text,
            language=account.language,
            conversation=_conversation(row.case),
            case_reference=reference,
        )
    raise ValueError(f"nothing to post for a delivery in state {row.state}")


def _claim(row_id: int, now: dt.datetime, force: bool) -> bool:
    due = Delivery.objects.filter(pk=row_id, state__in=PENDING_NOTE)
    if not force:
        due = due.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    return bool(due.update(next_attempt_at=now + LEASE))


def post_note(delivery_id: int, *, now: dt.datetime | None = None, force: bool = False) -> Delivery:
    """Phase 3: post the note once; on a failure that may pass, schedule the next attempt
    (the task is enqueued with ``run_after``).  ``force``: do not wait for the due time."""
    now = now or timezone.now()
    if not _claim(delivery_id, now, force):
        return Delivery.objects.get(pk=delivery_id)
    row = Delivery.objects.select_related("case", "interaction").get(pk=delivery_id)
    account = row.account
    retryable = True
    try:
        if not row.note_text:
            row.note_text = compose_note(row, account)
            Delivery.objects.filter(pk=row.pk).update(note_text=row.note_text)
        event_account = ""
        if account.product == "chatwoot":
            parsed = products.parse_event("chatwoot", _payload(bytes(row.body)))
            event_account = account.external_account_id or parsed.external_account
        req = products.note_request(
            account.product,
            base_url=account.base_url,
            api_user=account.api_user,
            api_token=account.api_token,
            external_account=event_account,
            ticket_id=row.ticket_id,
            text=row.note_text,
        )
        response = outbound_http.request(
            req.method,
            req.url,
            headers=req.headers,
            json_body=req.json_body,
            allow_private=account.allow_private_network,
            policy=http_policy(),
        )
    except outbound_http.OutboundError as exc:
        error = f"{type(exc).__name__}: {exc}"
        retryable = exc.retryable
    except Exception as exc:  # composing the note or a bad stored payload
        logger.exception("connector note for delivery %s failed", delivery_id)
        error = f"{type(exc).__name__}: {exc}"
        retryable = False
    else:
        try:
            ref = products.note_ref(account.product, response.json())
        except ValueError:
            ref = ""
        Delivery.objects.filter(pk=row.pk).update(
            state=DeliveryState.DONE,
            note_posted=True,
            note_posted_at=timezone.now(),
            note_ref=ref,
            attempts=row.attempts + 1,
            error="",
            next_attempt_at=None,
        )
        row.refresh_from_db()
        return row
    attempts = row.attempts + 1
    if retryable and attempts < MAX_NOTE_ATTEMPTS:
        when = now + note_delay(attempts)
        Delivery.objects.filter(pk=row.pk).update(
            state=DeliveryState.RETRYING,
            attempts=attempts,
            error=error[:2000],
            next_attempt_at=when,
        )
        from calmdesk.connectors.tasks import process_delivery
        from calmdesk.desk.tasks import enqueue

        enqueue(process_delivery, row.pk, run_after=when)
    else:
        Delivery.objects.filter(pk=row.pk).update(
            state=DeliveryState.POST_FAILED,
            attempts=attempts,
            error=error[:2000],
            next_attempt_at=None,
        )
    row.refresh_from_db()
    return row


def process(delivery_id: int) -> Delivery:
    """Everything not done yet for one delivery (the task's body)."""
    row = mirror(delivery_id)
    if row.state in PENDING_NOTE:
        row = post_note(delivery_id)
    return row


def pending_count(*, now: dt.datetime | None = None) -> int:
    """How many deliveries ``process_pending`` would pick up now (the sweeper asks first)."""
    now = now or timezone.now()
    due = Q(state=DeliveryState.RECEIVED) | Q(state__in=PENDING_NOTE) & (
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True)
    )
    return Delivery.objects.filter(due).count()


def process_pending(limit: int = 500, *, now: dt.datetime | None = None) -> list[Delivery]:
    """Deliveries left behind (a crash between the steps, or a retry that is due)."""
    now = now or timezone.now()
    ids = list(
        Delivery.objects.filter(state=DeliveryState.RECEIVED).values_list("id", flat=True)[:limit]
    )
    ids += list(
        Delivery.objects.filter(state__in=PENDING_NOTE, next_attempt_at__lte=now).values_list(
            "id", flat=True
        )[:limit]
    )
    ids += list(
        Delivery.objects.filter(state__in=PENDING_NOTE, next_attempt_at__isnull=True).values_list(
            "id", flat=True
        )[:limit]
    )
    return [process(i) for i in dict.fromkeys(ids)]


# ---- staff actions ----------------------------------------------------------------------------


def do_reprocess_delivery(
    actor: User | None, row: Delivery, *, meta: RequestMeta | None = None
) -> Delivery:
    """Read a failed delivery again (after a fix), or post a note that gave up again."""
    account = row.account
    with transaction.atomic():
        if row.state == DeliveryState.FAILED:
            Delivery.objects.filter(pk=row.pk, state=row.state).update(state=DeliveryState.RECEIVED)
        elif row.state in (DeliveryState.POST_FAILED, DeliveryState.RETRYING):
            Delivery.objects.filter(pk=row.pk, state=row.state).update(
                state=DeliveryState.RETRYING, attempts=0, next_attempt_at=None
            )
        else:
            return row
        write_audit(
            actor=actor,
            organization=account.organization_id,
            action="connectors.reprocess",
            obj=row,
            data={"previous_state": row.state, "previous_error": row.error[:500]},
            meta=meta,
        )
    row = mirror(row.pk)
    if row.state in PENDING_NOTE:
        row = post_note(row.pk, force=True)
    return row
