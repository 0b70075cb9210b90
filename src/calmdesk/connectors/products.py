"""What differs between Zendesk, Freshdesk, Zammad and Chatwoot: how a webhook is
authenticated, how its payload reads, and how an internal note is posted back.

Pure functions over bytes, headers and dicts (no database).  The payload shapes follow each
product's documentation (see docs/connectors.md for the sources):

- Zendesk: webhook subscribed to the ticket event ``zen:event-type:ticket.comment_added``;
  signed ``X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(secret, timestamp + body))``
  with ``X-Zendesk-Webhook-Signature-Timestamp``.  Note: ``PUT /api/v2/tickets/{id}.json``
  with ``{"ticket": {"comment": {"body": …, "public": false}}}``, basic auth
  ``{email}/token:{api_token}``.
- Freshdesk: automation rule → "Trigger webhook", JSON content in the ``freshdesk_webhook``
  shape (simple mode field names ``ticket_id``, ``ticket_latest_public_comment`` …); no
  signature, so a custom header ``X-Calmdesk-Secret`` carries the shared secret.  Note:
  ``POST /api/v2/tickets/{id}/notes`` with ``{"body": html, "private": true}``, basic auth
  ``{api_key}:X``.
- Zammad: trigger → webhook with the default payload ``{"ticket": …, "article": …}``;
  ``X-Hub-Signature = sha1=HEX(HMAC-SHA1(token, body))``.  Note:
  ``POST /api/v1/ticket_articles`` with ``type: note, internal: true``, header
  ``Authorization: Token token=…``.
- Chatwoot: account webhook, event ``message_created``; signed (when the webhook has a
  secret) ``X-Chatwoot-Signature = sha256=HEX(HMAC-SHA256(secret, "{timestamp}.{body}"))``
  with ``X-Chatwoot-Timestamp``.  Note: ``POST /api/v1/accounts/{account}/conversations/
  {id}/messages`` with ``{"content": …, "message_type": "outgoing", "private": true}``,
  header ``api_access_token``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from calmdesk.channels.lib.parse import html_to_text

SIGNATURE_MAX_AGE = 3600  # seconds a signed timestamp may be away from our clock (retries)


class PayloadError(ValueError):
    """The payload does not have the documented shape."""


@dataclass(frozen=True)
class Event:
    """One ticket message, normalised.  ``role``: client, agent or ignore."""

    role: str
    ticket_id: str = ""
    message_id: str = ""
    text: str = ""
    subject: str = ""
    user_id: str = ""
    email: str = ""
    name: str = ""
    channel: str = "other"
    reason: str = ""  # why it is ignored
    external_account: str = ""


@dataclass(frozen=True)
class NoteRequest:
    method: str
    url: str
    headers: dict[str, str]
    json_body: dict[str, Any]


# ---- helpers --------------------------------------------------------------------------------


def _str(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _id(value: Any, what: str) -> str:
    text = _str(value)
    if not text or len(text) > 100 or not text.replace("-", "").replace("_", "").isalnum():
        raise PayloadError(f"{what} is missing or not an id: {text[:40]!r}")
    return text


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _base(url: str) -> str:
    return url.rstrip("/")


def _fresh(timestamp: str, now: float | None) -> bool:
    try:
        when = float(timestamp)
    except ValueError:
        return False
    return abs((now if now is not None else time.time()) - when) <= SIGNATURE_MAX_AGE


def text_of(markup: str, *, is_html: bool) -> str:
    text = html_to_text(markup) if is_html else markup
    return text.strip()


def _channel(value: str) -> str:
    value = value.lower()
    if value in ("email", "mail"):
        return "email"
    if value in ("web", "web_form", "web_widget", "form"):
        return "web"
    if value in ("chat", "messaging", "native_messaging", "sms", "whatsapp"):
        return "chat"
    if value in ("voice", "phone", "call"):
        return "phone"
    return "other"


def header(headers: Mapping[str, str], name: str) -> str:
    lowered = {k.lower(): v for k, v in headers.items()}
    return str(lowered.get(name.lower(), ""))


# ---- signature checks (constant time) --------------------------------------------------------


def verify(
    product: str,
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
) -> bool:
    """Is this webhook authentic?  (The URL token was checked before.)"""
    if product == "zendesk":
        signature = header(headers, "X-Zendesk-Webhook-Signature")
        timestamp = header(headers, "X-Zendesk-Webhook-Signature-Timestamp")
        if not secret or not signature or not timestamp:
            return False
        mac = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
        expected = base64.b64encode(mac).decode("ascii")
        return hmac.compare_digest(expected, signature) and _fresh_iso(timestamp, now)
    if product == "freshdesk":
        given = header(headers, "X-Calmdesk-Secret")
        return bool(secret) and bool(given) and hmac.compare_digest(given, secret)
    if product == "zammad":
        signature = header(headers, "X-Hub-Signature")
        if not secret or not signature:
            return False
        digest = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
        return hmac.compare_digest("sha1=" + digest, signature)
    if product == "chatwoot":
        if not secret:
            return True  # no signing configured: the URL token is the secret
        signature = header(headers, "X-Chatwoot-Signature")
        timestamp = header(headers, "X-Chatwoot-Timestamp")
        if not signature or not timestamp:
            return False
        signed = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
        ok = hmac.compare_digest("sha256=" + signed.hexdigest(), signature)
        return ok and _fresh(timestamp, now)
    return False


def _fresh_iso(timestamp: str, now: float | None) -> bool:
    """Zendesk's timestamp is ISO 8601 (``2026-11-22T10:00:00Z``)."""
    import datetime as dt

    try:
        when = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return _fresh(timestamp, now)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return _fresh(str(when.timestamp()), now)


# ---- dedupe keys ----------------------------------------------------------------------------


def dedupe_key(product: str, payload: Any, headers: Mapping[str, str], sha: str) -> str:
    """The product's message id (the same message delivered twice has it), else the
    product's delivery/event id, else the body's hash."""
    data = _dict(payload)
    try:
        if product == "zendesk":
            comment = _dict(_dict(data.get("event")).get("comment"))
            if _str(comment.get("id")):
                return "comment:" + _id(comment.get("id"), "comment id")
            if _str(data.get("id")):
                return "event:" + _id(data.get("id"), "event id")
        elif product == "zammad":
            article = _dict(data.get("article"))
            if _str(article.get("id")):
                return "article:" + _id(article.get("id"), "article id")
            delivery = header(headers, "X-Zammad-Delivery")
            if delivery:
                return "delivery:" + _id(delivery, "delivery id")
        elif (
            product == "chatwoot"
            and _str(data.get("id"))
            and _str(data.get("event")).startswith("message")
        ):
            return f"{_str(data.get('event'))}:" + _id(data.get("id"), "message id")
    except PayloadError:
        pass
    return "sha:" + sha


def event_type(product: str, payload: Any) -> str:
    data = _dict(payload)
    if product == "zendesk":
        return _str(data.get("type"))[:100]
    if product == "chatwoot":
        return _str(data.get("event"))[:100]
    if product == "zammad":
        return "article" if data.get("article") else "ticket"
    if product == "freshdesk":
        hook = _dict(data.get("freshdesk_webhook"))
        return _str(hook.get("triggered_event") or hook.get("calmdesk_role"))[:100]
    return ""


# ---- payloads → events ------------------------------------------------------------------------


def parse_event(product: str, payload: Any) -> Event:
    if not isinstance(payload, dict):
        raise PayloadError("the body is not a JSON object")
    if product == "zendesk":
        return _zendesk(payload)
    if product == "freshdesk":
        return _freshdesk(payload)
    if product == "zammad":
        return _zammad(payload)
    if product == "chatwoot":
        return _chatwoot(payload)
    raise PayloadError(f"unknown product {product!r}")


def _zendesk(data: dict[str, Any]) -> Event:
    kind = _str(data.get("type"))
    if kind != "zen:event-type:ticket.comment_added":
        return Event("ignore", reason=f"event {kind[:80]!r} is not a comment")
    detail = _dict(data.get("detail"))
    comment = _dict(_dict(data.get("event")).get("comment"))
    if not comment:
        raise PayloadError("event.comment is missing")
    ticket_id = _id(detail.get("id") or _str(data.get("subject")).rpartition(":")[2], "ticket id")
    author = _dict(comment.get("author"))
    if not _truthy(comment.get("is_public", True)):
        return Event("ignore", ticket_id, reason="private comment (internal note)")
    text = _str(comment.get("body"))
    if not text:
        raise PayloadError("event.comment.body is empty")
    staff = _truthy(author.get("is_staff"))
    return Event(
        "agent" if staff else "client",
        ticket_id=ticket_id,
        message_id=_id(comment.get("id"), "comment id"),
        text=text,
        subject=_str(detail.get("subject")),
        user_id=_str(author.get("id")) if not staff else "",
        name=_str(author.get("name")),
        channel=_channel(_str(_dict(detail.get("via")).get("channel"))),
    )


def _freshdesk(data: dict[str, Any]) -> Event:
    hook = _dict(data.get("freshdesk_webhook"))
    if not hook:
        raise PayloadError("freshdesk_webhook is missing")
    ticket_id = _id(hook.get("ticket_id"), "ticket_id")
    role = _str(hook.get("calmdesk_role")).lower() or "client"
    if role not in ("client", "agent"):
        raise PayloadError(f"calmdesk_role must be client or agent, not {role[:20]!r}")
    comment = _str(hook.get("ticket_latest_public_comment"))
    name = _str(hook.get("ticket_contact_name"))
    # Freshdesk prefixes the latest comment with "<author name> : ".
    head, sep, rest = comment.partition(" : ")
    if sep and len(head) <= 200 and "<" not in head:
        comment = rest
    text = text_of(comment, is_html=True) if comment else ""
    if not text:
        text = text_of(_str(hook.get("ticket_description")), is_html=True)
    if not text:
        raise PayloadError("neither ticket_latest_public_comment nor ticket_description")
    return Event(
        role,
        ticket_id=ticket_id,
        message_id="",
        text=text,
        subject=_str(hook.get("ticket_subject")),
        user_id=_str(hook.get("ticket_contact_id")) if role == "client" else "",
        email=_str(hook.get("ticket_contact_email")) if role == "client" else "",
        name=name if role == "client" else "",
        channel=_channel(_str(hook.get("ticket_source"))),
    )


_ZAMMAD_SENDERS = {"1": "agent", "2": "client", "3": "system"}


def _zammad(data: dict[str, Any]) -> Event:
    ticket = _dict(data.get("ticket"))
    article = _dict(data.get("article"))
    if not ticket:
        raise PayloadError("ticket is missing")
    ticket_id = _id(ticket.get("id"), "ticket.id")
    if not article:
        return Event("ignore", ticket_id, reason="no article (a ticket change)")
    if _truthy(article.get("internal")):
        return Event("ignore", ticket_id, reason="internal article (note)")
    sender = _str(article.get("sender")).lower()
    role = {"customer": "client", "agent": "agent", "system": "system"}.get(sender, "")
    role = role or _ZAMMAD_SENDERS.get(_str(article.get("sender_id")), "")
    if role == "system" or not role:
        return Event("ignore", ticket_id, reason=f"article sender {sender[:20]!r}")
    is_html = "html" in _str(article.get("content_type")).lower()
    text = text_of(_str(article.get("body")), is_html=is_html)
    if not text:
        raise PayloadError("article.body is empty")
    customer = _dict(ticket.get("customer"))
    created_by = _dict(article.get("created_by"))
    person = customer or created_by
    name = " ".join(p for p in (_str(person.get("firstname")), _str(person.get("lastname"))) if p)
    return Event(
        role,
        ticket_id=ticket_id,
        message_id=_id(article.get("id"), "article.id"),
        text=text,
        subject=_str(ticket.get("title")),
        user_id=_str(ticket.get("customer_id") or customer.get("id")) if role == "client" else "",
        email=_str(customer.get("email")) if role == "client" else "",
        name=name if role == "client" else "",
        channel=_channel(_str(article.get("type"))),
    )


def _chatwoot(data: dict[str, Any]) -> Event:
    kind = _str(data.get("event"))
    if kind != "message_created":
        return Event("ignore", reason=f"event {kind[:60]!r} is not message_created")
    conversation = _dict(data.get("conversation"))
    ticket_id = _id(conversation.get("id") or data.get("conversation_id"), "conversation.id")
    account = _str(_dict(data.get("account")).get("id"))
    if _truthy(data.get("private")):
        return Event("ignore", ticket_id, reason="private note", external_account=account)
    message_type = _str(data.get("message_type")).lower()
    if message_type in ("0", "incoming"):
        role = "client"
    elif message_type in ("1", "outgoing"):
        role = "agent"
    else:
        return Event("ignore", ticket_id, reason=f"message type {message_type[:20]!r}")
    text = _str(data.get("content"))
    if not text:
        return Event("ignore", ticket_id, reason="no text (an attachment only)")
    sender = _dict(data.get("sender"))
    if role == "client" and not sender:
        sender = _dict(_dict(conversation.get("meta")).get("sender"))
    return Event(
        role,
        ticket_id=ticket_id,
        message_id=_id(data.get("id"), "message id"),
        text=text,
        subject="",
        user_id=_str(sender.get("id")) if role == "client" else "",
        email=_str(sender.get("email")) if role == "client" else "",
        name=_str(sender.get("name")) if role == "client" else "",
        channel="email" if _str(conversation.get("channel")) == "Channel::Email" else "chat",
        external_account=account,
    )


# ---- notes back --------------------------------------------------------------------------


def _html(text: str) -> str:
    return "<p>" + "<br>".join(html.escape(line) for line in text.splitlines()) + "</p>"


def note_request(
    product: str,
    *,
    base_url: str,
    api_user: str,
    api_token: str,
    external_account: str,
    ticket_id: str,
    text: str,
    subject: str = "calmdesk",
) -> NoteRequest:
    """The API call that adds ``text`` as an internal (private) note to the ticket."""
    base = _base(base_url)
    tid = quote(ticket_id, safe="")
    if product == "zendesk":
        return NoteRequest(
            "PUT",
            f"{base}/api/v2/tickets/{tid}.json",
            {"Authorization": _basic(f"{api_user}/token", api_token)},
            {"ticket": {"comment": {"body": text, "public": False}}},
        )
    if product == "freshdesk":
        return NoteRequest(
            "POST",
            f"{base}/api/v2/tickets/{tid}/notes",
            {"Authorization": _basic(api_token, "X")},
            {"body": _html(text), "private": True},
        )
    if product == "zammad":
        return NoteRequest(
            "POST",
            f"{base}/api/v1/ticket_articles",
            {"Authorization": f"Token token={api_token}"},
            {
                "ticket_id": int(ticket_id) if ticket_id.isdigit() else ticket_id,
                "subject": subject,
                "body": text,
                "content_type": "text/plain",
                "type": "note",
                "internal": True,
            },
        )
    if product == "chatwoot":
        if not external_account:
            raise PayloadError("the Chatwoot account id is unknown")
        acc = quote(external_account, safe="")
        return NoteRequest(
            "POST",
            f"{base}/api/v1/accounts/{acc}/conversations/{tid}/messages",
            {"api_access_token": api_token},
            {"content": text, "message_type": "outgoing", "private": True},
        )
    raise PayloadError(f"unknown product {product!r}")


def note_ref(product: str, response: Any) -> str:
    """The id of the posted note in the product's answer ("" when not found)."""
    data = _dict(response)
    if product == "zendesk":
        audit = _dict(data.get("audit"))
        return _str(audit.get("id"))[:100]
    return _str(data.get("id"))[:100]
