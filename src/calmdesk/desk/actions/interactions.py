"""The interaction log: messages in, replies out, notes, corrections."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from calmdesk.desk.actions.log import append_interaction, find_replay, write_audit
from calmdesk.desk.lib.analysis import extract_promises, inline_check
from calmdesk.desk.lib.attachments import IncomingFile, StoredFile, discard_files, store_file
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.lib.text import clean_text
from calmdesk.desk.models import (
    NOTE_KINDS,
    Attachment,
    Case,
    Channel,
    CheckInReason,
    Interaction,
    Kind,
    User,
)

MAX_TEXT = 200_000
MAX_ATTACHMENTS = 20
LANGUAGE_CODES = ("", "en", "pl", "sr", "sr-latn", "hr", "bs", "he")


def _check_text(text: str, *, required: bool = True) -> str:
    text = clean_text(text)
    if required and not text.strip():
        raise ActionError("The text is empty.", details={"field": "text"})
    if len(text) > MAX_TEXT:
        raise ActionError(
            f"The text is longer than {MAX_TEXT} characters.", details={"field": "text"}
        )
    return text


def _check_channel(channel: str) -> str:
    if channel not in Channel.values:
        raise ActionError(
            f"{channel!r} is not a channel; choose one of {', '.join(Channel.values)}.",
            details={"field": "channel"},
        )
    return channel


def _check_key(key: str) -> str:
    if len(key) > 200 or not key.isprintable():
        raise ActionError(
            "The idempotency key must be at most 200 printable characters.",
            details={"field": "idempotency_key"},
        )
    return key


def _check_time(occurred_at: dt.datetime | None) -> dt.datetime | None:
    if occurred_at is None:
        return None
    if timezone.is_naive(occurred_at):
        raise ActionError(
            "occurred_at needs a time zone (for example 2025-03-01T10:00:00Z).",
            details={"field": "occurred_at"},
        )
    if occurred_at > timezone.now() + dt.timedelta(minutes=5):
        raise ActionError("occurred_at lies in the future.", details={"field": "occurred_at"})
    return occurred_at


def _store_all(files: Sequence[IncomingFile]) -> list[StoredFile]:
    if len(files) > MAX_ATTACHMENTS:
        raise ActionError(
            f"At most {MAX_ATTACHMENTS} attachments per entry.", details={"field": "attachments"}
        )
    stored: list[StoredFile] = []
    try:
        for incoming in files:
            stored.append(store_file(incoming))
    except BaseException:
        discard_files(stored)
        raise
    return stored


def _append_with_files(files: Sequence[IncomingFile], **kwargs: Any) -> Interaction:
    """Store the files first, then one log row whose hashed data lists them (id, name, size,
    SHA-256), then the Attachment rows.  Files are removed again if the transaction fails."""
    stored = _store_all(files)
    try:
        data = dict(kwargs.pop("data", None) or {})
        if stored:
            data["attachments"] = [s.as_data() for s in stored]
        interaction = append_interaction(data=data, **kwargs)
        for s in stored:
            Attachment.objects.create(
                id=s.id,
                interaction=interaction,
                file=s.relpath,
                filename=s.filename,
                content_type=s.content_type,
                size=s.size,
                sha256=s.sha256,
                created_at=interaction.recorded_at,
            )
    except BaseException:
        discard_files(stored)
        raise
    return interaction


@transaction.atomic
def do_receive_message(
    actor: User | None,
    *,
    case: Case,
    text: str,
    channel: str,
    occurred_at: dt.datetime | None = None,
    attachments: Sequence[IncomingFile] = (),
    language: str | None = None,
    data: dict[str, Any] | None = None,
    idempotency_key: str = "",
    historical: bool = False,
    meta: RequestMeta | None = None,
) -> Interaction:
    """Log a message from the client.  Never refuses a message for its content: an empty
    body with attachments is kept, and text is only cleaned (NUL, lone surrogates).
    A repeated ``idempotency_key`` returns the entry already made (no second entry).
    ``historical`` (history import of old messages, docs/import.md): the same checks run,
    but a crisis signal is recorded as ``data["crisis_in_history"]`` instead of opening an
    incident and alerting, and no well-being offer is made: the situation is long past."""
    replay = find_replay(case, _check_key(idempotency_key))
    if replay is not None:
        return replay
    text = _check_text(text, required=not attachments)
    _check_channel(channel)
    language = language or ""
    if language not in LANGUAGE_CODES:
        raise ActionError(f"Unknown language {language!r}.", details={"field": "language"})
    # Inline checks (language, crisis) before the message is committed: a crisis never waits
    # for a worker.  A failing engine never refuses the message.
    check = inline_check(text, lang=language or case.client.preferred_language or None)
    if not language and check.language in LANGUAGE_CODES:
        language = check.language
    if historical and check.crisis:
        data = {**(data or {}), "crisis_in_history": check.kinds}
    interaction = _append_with_files(
        attachments,
        case=case,
        kind=Kind.INBOUND,
        author=None,
        channel=channel,
        text=text,
        occurred_at=_check_time(occurred_at),
        language=language,
        data=data,
        idempotency_key=idempotency_key,
        chain_locked=bool(idempotency_key),  # find_replay locked the chain
    )
    audit: dict[str, Any] = {"case": case.pk, "seq": interaction.seq}
    if historical:
        audit["historical"] = True
        if check.crisis:
            audit["crisis_in_history"] = check.kinds
    elif check.crisis:
        from calmdesk.desk.actions.crisis import open_incident

        incident = open_incident(case, interaction, check)
        audit["crisis"] = {"incident": incident.pk, "kinds": incident.kinds}
    elif check.abusive or check.intense:
        # The well-being loop (a crisis already offers its own check-in).
        from calmdesk.desk.actions.wellbeing import offer_after_message

        reason = CheckInReason.ABUSE if check.abusive else CheckInReason.INTENSE
        offer = offer_after_message(case, reason)
        if offer is not None:
            audit["wellbeing"] = {"checkin": offer.pk, "reason": str(reason)}
    write_audit(
        actor=actor,
        organization=case.organization_id,
        action="interaction.receive",
        obj=interaction,
        data=audit,
        meta=meta,
    )
    # What the inline check found, for the caller (the inbound mail pipeline flags crisis
    # mail from it instead of reading the incidents back).  Not stored; a replay lacks it.
    interaction.inline_check = check  # type: ignore[attr-defined]
    return interaction


MAX_APPLIED = 50  # rule ids of applied coach suggestions kept per reply


def _check_applied(rule_ids: Sequence[str]) -> list[str]:
    """Applied coach rule ids: short, printable, each once, in order, at most MAX_APPLIED
    (the caller checks they are rules of the coach; anything else here is dropped)."""
    kept: list[str] = []
    for raw in rule_ids:
        rule = str(raw).strip()
        ok = rule and len(rule) <= 100 and rule.isprintable() and " " not in rule
        if ok and rule not in kept:
            kept.append(rule)
        if len(kept) >= MAX_APPLIED:
            break
    return kept


@transaction.atomic
def do_send_reply(
    actor: User | None,
    *,
    case: Case,
    text: str,
    channel: str,
    occurred_at: dt.datetime | None = None,
    attachments: Sequence[IncomingFile] = (),
    idempotency_key: str = "",
    fulfils: Sequence[int] = (),
    historical: bool = False,
    coach_applied: Sequence[str] = (),
    meta: RequestMeta | None = None,
) -> Interaction:
    """Log a reply to the client and note the first response time.  ``fulfils``: ids of the
    case's open promises this reply keeps (e.g. "I will send you the invoice").
    ``historical`` (history import, docs/import.md; the author may then be unknown, None):
    the reply is logged, but no promises are extracted and no follow-ups touched.
    ``coach_applied``: rule ids of the coach findings whose suggestion the agent applied in
    the composer (kept in ``data["coach_applied"]`` and the audit entry; reports count them)."""
    replay = find_replay(case, _check_key(idempotency_key))
    if replay is not None:
        return replay
    text = _check_text(text)
    _check_channel(channel)
    applied = _check_applied(coach_applied)
    interaction = _append_with_files(
        attachments,
        case=case,
        kind=Kind.OUTBOUND,
        author=actor,
        channel=channel,
        text=text,
        occurred_at=_check_time(occurred_at),
        idempotency_key=idempotency_key,
        data={"coach_applied": applied} if applied else None,
    )
    if case.first_response_at is None:
        case.first_response_at = interaction.occurred_at
        case.updated_at = timezone.now()
        case.save(update_fields=["first_response_at", "updated_at"])
    audit: dict[str, Any] = {"case": case.pk, "seq": interaction.seq}
    if historical or actor is None:
        audit["historical"] = True
    else:
        # Promises in the reply become follow-ups with an owner and a due time.
        from calmdesk.desk.actions.followups import (
            fulfil_followups,
            note_client_update,
            store_promises,
            user_tz,
        )

        kept = fulfil_followups(actor, case, interaction, fulfils)
        said_at = interaction.occurred_at
        promises = extract_promises(
            text, lang=case.client.preferred_language or None, now=said_at, tz=user_tz(actor, case)
        )
        followups = store_promises(actor, case, interaction, promises, said_at)
        note_client_update(case, said_at)
        audit["followups"] = [f.pk for f in followups]
        audit["fulfils"] = kept
    if applied:
        audit["coach_applied"] = applied
    write_audit(
        actor=actor,
        organization=case.organization_id,
        action="interaction.reply",
        obj=interaction,
        data=audit,
        meta=meta,
    )
    return interaction


NOTE_DATA_FIELDS = ("expected", "received", "agreed", "promised", "participants", "duration")


@transaction.atomic
def do_add_note(
    actor: User,
    *,
    case: Case,
    kind: str,
    text: str,
    data: dict[str, Any] | None = None,
    occurred_at: dt.datetime | None = None,
    channel: str | None = None,
    attachments: Sequence[IncomingFile] = (),
    idempotency_key: str = "",
    fulfils: Sequence[int] = (),
    meta: RequestMeta | None = None,
) -> Interaction:
    """A call note, meeting note or internal note.  ``data`` holds the structured fields
    (expected, received, agreed, promised, participants, duration) as short texts.
    ``fulfils``: ids of the case's open promises this entry keeps (e.g. the promised call)."""
    replay = find_replay(case, _check_key(idempotency_key))
    if replay is not None:
        return replay
    if kind not in NOTE_KINDS:
        raise ActionError(
            f"{kind!r} is not a note kind; choose one of {', '.join(NOTE_KINDS)}.",
            details={"field": "kind"},
        )
    text = _check_text(text)
    fields: dict[str, str] = {}
    for key, value in (data or {}).items():
        if key not in NOTE_DATA_FIELDS:
            raise ActionError(f"Unknown note field {key!r}.", details={"field": key})
        fields[key] = clean_text(str(value))[:5000]
    default_channel = {
        Kind.CALL_NOTE: Channel.PHONE,
        Kind.MEETING_NOTE: Channel.IN_PERSON,
    }.get(Kind(kind), case.channel)
    interaction = _append_with_files(
        attachments,
        case=case,
        kind=kind,
        author=actor,
        channel=_check_channel(channel or default_channel),
        text=text,
        occurred_at=_check_time(occurred_at),
        data=fields,
        idempotency_key=idempotency_key,
    )
    audit_data: dict[str, Any] = {"case": case.pk, "seq": interaction.seq, "kind": kind}
    if fulfils:
        from calmdesk.desk.actions.followups import fulfil_followups

        audit_data["fulfils"] = fulfil_followups(actor, case, interaction, fulfils)
    write_audit(
        actor=actor,
        organization=case.organization_id,
        action="interaction.note",
        obj=interaction,
        data=audit_data,
        meta=meta,
    )
    return interaction


@transaction.atomic
def do_correct_interaction(
    actor: User,
    *,
    original: Interaction,
    text: str,
    reason: str,
    meta: RequestMeta | None = None,
) -> Interaction:
    """A correction is a new entry that points at the one it corrects; the original stays."""
    if original.kind == Kind.SYSTEM_EVENT:
        raise ActionError("System events cannot be corrected.", code="not_correctable")
    text = _check_text(text)
    reason = clean_text(reason).strip()
    if not reason:
        raise ActionError("Say why the entry is corrected.", details={"field": "reason"})
    case = original.case
    correction = append_interaction(
        case=case,
        kind=Kind.SYSTEM_EVENT,
        author=actor,
        channel=original.channel,
        text=text,
        event_type="correction",
        data={"reason": reason, "corrected_seq": original.seq, "corrected_kind": original.kind},
        corrects=original,
    )
    write_audit(
        actor=actor,
        organization=case.organization_id,
        action="interaction.correct",
        obj=correction,
        data={"case": case.pk, "corrects": original.pk},
        meta=meta,
    )
    return correction
