"""The summary email after resolution: a draft in the client's language (what was wrong,
what was done, next steps, open promises), edited by the agent, sent with threading
headers and logged as an outbound interaction."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from calmdesk.desk.actions.log import append_interaction, find_replay, write_audit
from calmdesk.desk.actions.notifications import email_language, queue_email, render_email
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.mail import header_safe, new_message_id
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.lib.text import clean_text
from calmdesk.desk.models import Case, FollowUpStatus, Interaction, Kind, User

_MSGID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")

HEADINGS = {
    "en": (
        "Hello {name},",
        "What was wrong",
        "What we did",
        "Next steps",
        "Still open",
        "Kind regards,",
    ),
    "pl": (
        "Dzień dobry {name},",
        "Na czym polegał problem",
        "Co zrobiliśmy",
        "Kolejne kroki",
        "Co jeszcze pozostaje otwarte",
        "Z pozdrowieniami,",
    ),
    "sr": (
        "Поштовани/а {name},",
        "У чему је био проблем",
        "Шта смо урадили",
        "Следећи кораци",
        "Шта је још отворено",
        "Срдачан поздрав,",
    ),
    "sr-latn": (
        "Poštovani/a {name},",
        "U čemu je bio problem",
        "Šta smo uradili",
        "Sledeći koraci",
        "Šta je još otvoreno",
        "Srdačan pozdrav,",
    ),
    "he": ("שלום {name},", "מה הייתה הבעיה", "מה עשינו", "הצעדים הבאים", "מה עדיין פתוח", "בברכה,"),
}


def thread_headers(case: Case) -> tuple[str, str]:
    """(In-Reply-To, References) from the Message-IDs logged on the case (inbound mail keeps
    its Message-ID in ``data["message_id"]`` or as the idempotency key; our own sent mail in
    ``data["message_id"]``)."""
    ids: list[str] = []
    for data, key in (
        Interaction.objects.filter(case_id=case.pk, kind__in=[Kind.INBOUND, Kind.OUTBOUND])
        .order_by("seq")
        .values_list("data", "idempotency_key")
    ):
        for candidate in ((data or {}).get("message_id", ""), key):
            candidate = header_safe(str(candidate or ""), limit=250)
            if _MSGID.match(candidate) and candidate not in ids:
                ids.append(candidate)
    if not ids:
        return "", ""
    refs = ids[:1] + ids[-9:] if len(ids) > 10 else ids
    return ids[-1], " ".join(dict.fromkeys(refs))


def draft_summary(case: Case, *, language: str | None = None) -> dict[str, Any]:
    lang = email_language(language or case.client.preferred_language)
    hello, wrong, done, nxt, still, bye = HEADINGS[lang]
    promises = list(case.followups.filter(status=FollowUpStatus.OPEN).order_by("due_at"))
    parts = [hello.format(name=case.client.name), ""]
    problem = case.expected and case.received and f"{case.expected} / {case.received}"
    parts += [f"{wrong}:", problem or case.subject, ""]
    parts += [f"{done}:", case.agreed_possible or "-", ""]
    if case.agreed_not_possible:
        parts += [case.agreed_not_possible, ""]
    parts += [f"{nxt}:"]
    parts += [f"- {p.action}" for p in promises] or ["-"]
    parts += ["", f"{still}:", str(len(promises)), "", bye]
    subject, _ = render_email(
        "summary", lang, {"case_ref": case.reference, "case_subject": case.subject, "body": ""}
    )
    return {"language": lang, "subject": subject, "body": "\n".join(parts)}


@transaction.atomic
def do_send_summary(
    actor: User,
    case: Case,
    *,
    subject: str,
    body: str,
    to: str = "",
    idempotency_key: str = "",
    meta: RequestMeta | None = None,
) -> Interaction:
    """Send the (edited) summary to the client and log it as an outbound interaction."""
    from calmdesk.desk.actions.satisfaction import _client_email

    if idempotency_key:
        replay = find_replay(case, idempotency_key)
        if replay is not None:
            return replay
    body = clean_text(body).strip()
    if not body:
        raise ActionError("The summary is empty.", details={"field": "body"})
    subject = header_safe(subject) or draft_summary(case)["subject"]
    recipient = to or _client_email(case)
    if not recipient:
        raise ActionError("The client has no email address.", code="no_email")
    in_reply_to, references = thread_headers(case)
    message_id = new_message_id(f"summary-{case.reference}")
    if in_reply_to:
        references = f"{references} " if references else ""
    interaction = append_interaction(
        case=case,
        kind=Kind.OUTBOUND,
        author=actor,
        channel="email",
        text=body,
        data={"summary": True, "subject": subject, "message_id": message_id, "to": recipient},
        idempotency_key=idempotency_key,
    )
    queue_email(
        organization_id=case.organization_id,
        key=f"summary:{interaction.pk}",
        kind="summary",
        case=case,
        to=[recipient],
        subject=subject,
        body=body + "\n",
        language=email_language(case.client.preferred_language),
        in_reply_to=in_reply_to,
        references=references.strip(),
        message_id=message_id,
    )
    case.last_client_update_at = timezone.now()
    case.save(update_fields=["last_client_update_at"])
    write_audit(
        actor=actor,
        organization=case.organization_id,
        action="case.summary",
        obj=interaction,
        data={"case": case.pk, "seq": interaction.seq},
        meta=meta,
    )
    return interaction
