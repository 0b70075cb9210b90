"""Two-phase ingestion of inbound email (THREATS.md rows 7, 9, 10, 13, 15).

Phase 1 ``store_raw``: the raw bytes go to a file under MEDIA_ROOT/raw/ (fsynced, mode 0640)
and a RawMessage row is committed in its own transaction; a message already stored (same
Message-ID, else same bytes) returns the existing row.  Only after phase 1 committed may a
source acknowledge the message (IMAP ``\\Seen``, HTTP 202).

Phase 2 ``process_raw``: one message, one transaction: parse, find or create the client by
the From address, thread onto a case, log the message through the desk's
``do_receive_message`` (which runs the crisis check before commit).  Any failure rolls that
transaction back and quarantines the row with the error (a separate transaction); the crisis
check then runs over the raw text, so a threat inside an unreadable mail still alerts the
supervisors.  A failure never stops the messages after it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from calmdesk.channels.lib.parse import (
    MAX_RAW_BYTES,
    ParsedMail,
    crisis_text,
    header_message_id,
    parse,
    parsed_date,
)
from calmdesk.channels.models import Mailbox, RawMessage, RawState
from calmdesk.desk.actions.cases import do_create_case
from calmdesk.desk.actions.clients import do_create_client
from calmdesk.desk.actions.interactions import do_receive_message
from calmdesk.desk.actions.log import write_audit
from calmdesk.desk.actions.notifications import notify, org_admins, queue_email
from calmdesk.desk.lib.analysis import InlineCheck, inline_check
from calmdesk.desk.lib.attachments import IncomingFile
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.models import (
    Case,
    Client,
    ContactPoint,
    CrisisIncident,
    Interaction,
    NotificationKind,
    Organization,
    OutboundEmail,
    Role,
    User,
)

logger = logging.getLogger(__name__)

CASE_TOKEN = re.compile(r"\bCD-[2-9A-HJKMNP-Z]{6}\b")
DONE_STATES = (RawState.PARSED, RawState.IGNORED)


def max_raw_bytes() -> int:
    return int(getattr(settings, "CALMDESK_MAX_INBOUND_EMAIL_BYTES", MAX_RAW_BYTES))


class TooLarge(ValueError):
    """Raised by phase 1 for a message over the size limit (the sender keeps it)."""


# ---- phase 1 ------------------------------------------------------------------------------


def raw_path(row: RawMessage) -> Path:
    return Path(settings.MEDIA_ROOT) / row.file


def read_raw(row: RawMessage) -> bytes:
    return raw_path(row).read_bytes()


def _write_file(data: bytes) -> str:
    now = timezone.now()
    relpath = f"raw/{now:%Y}/{now:%m}/{secrets.token_hex(16)}.eml"
    target = Path(settings.MEDIA_ROOT) / relpath
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return relpath


def _existing(organization_id: int, sha: str, key: str) -> RawMessage | None:
    return (
        RawMessage.objects.filter(organization_id=organization_id, dedupe_key=key).first()
        or RawMessage.objects.filter(organization_id=organization_id, sha256=sha).first()
    )


def store_raw(
    data: bytes,
    *,
    organization: Organization | int,
    mailbox: Mailbox | None,
    source: str,
    enforce_limit: bool = True,
) -> tuple[RawMessage, bool]:
    """Phase 1: (row, created).  The same bytes, or a message with the same Message-ID,
    stored earlier for this organization returns that row and writes nothing."""
    if enforce_limit and len(data) > max_raw_bytes():
        raise TooLarge(f"The message is larger than {max_raw_bytes()} bytes.")
    org_id = organization.pk if isinstance(organization, Organization) else int(organization)
    sha = hashlib.sha256(data).hexdigest()
    message_id = header_message_id(data)
    key = f"mid:{message_id}"[:260] if message_id else f"sha:{sha}"
    found = _existing(org_id, sha, key)
    if found is not None:
        return found, False
    relpath = _write_file(data)
    try:
        with transaction.atomic():
            row = RawMessage.objects.create(
                organization_id=org_id,
                mailbox=mailbox,
                source=source,
                sha256=sha,
                message_id=message_id[:250],
                dedupe_key=key,
                file=relpath,
                size=len(data),
            )
    except IntegrityError:
        # A concurrent delivery of the same message won the race: keep theirs.
        (Path(settings.MEDIA_ROOT) / relpath).unlink(missing_ok=True)
        found = _existing(org_id, sha, key)
        if found is None:  # pragma: no cover - the constraint fired, so the row exists
            raise
        return found, False
    return row, True


# ---- phase 2 ------------------------------------------------------------------------------


@dataclass
class Outcome:
    state: str
    case: Case | None = None
    interaction: Interaction | None = None
    error: str = ""
    spoof: bool = False
    warnings: tuple[str, ...] = ()


def _sender_client(org_id: int, address: str) -> Client | None:
    if not address:
        return None
    point = (
        ContactPoint.objects.filter(
            kind="email", value__iexact=address, client__organization_id=org_id
        )
        .select_related("client")
        .order_by("-is_primary", "id")
        .first()
    )
    return point.client if point else None


def _header_case(org_id: int, ids: Iterable[str]) -> Case | None:
    """The case a reply belongs to by its In-Reply-To/References: our outbound emails first,
    then earlier inbound mail (latest reference wins)."""
    ids = [i for i in ids if i]
    if not ids:
        return None
    for message_id in reversed(ids):
        out = (
            OutboundEmail.objects.filter(organization_id=org_id, message_id=message_id)
            .exclude(case=None)
            .select_related("case")
            .first()
        )
        if out is not None and out.case is not None:
            return out.case
        earlier = (
            RawMessage.objects.filter(organization_id=org_id, message_id=message_id)
            .exclude(case=None)
            .select_related("case")
            .first()
        )
        if earlier is not None and earlier.case is not None:
            return earlier.case
    return None


def _token_case(org_id: int, subject: str) -> Case | None:
    for token in CASE_TOKEN.findall(subject or ""):
        case = Case.objects.filter(organization_id=org_id, reference=token).first()
        if case is not None:
            return case
    return None


def _attachments(parsed: ParsedMail) -> tuple[list[IncomingFile], list[str]]:
    limit = int(getattr(settings, "CALMDESK_MAX_ATTACHMENT_BYTES", 25 * 2**20))
    files: list[IncomingFile] = []
    notes: list[str] = []
    for item in parsed.attachments:
        if len(item.content) > limit:
            notes.append(f"attachment {item.filename[:80]!r} over {limit} bytes kept only raw")
            continue
        files.append(IncomingFile(item.filename, item.content_type, item.content))
    return files, notes


def _apply(row: RawMessage, parsed: ParsedMail) -> Outcome:
    org_id = row.organization_id
    mailbox = row.mailbox
    if parsed.automatic:
        return Outcome(RawState.IGNORED, error=parsed.automatic, warnings=parsed.warnings)
    if mailbox is None:
        raise ValueError("the message has no mailbox, so no team to file it with")
    if not parsed.from_address:
        raise ValueError("no usable sender address: " + "; ".join(parsed.warnings))
    warnings = list(parsed.warnings)
    client = _sender_client(org_id, parsed.from_address)
    token_case = _token_case(org_id, parsed.subject)
    header_case = _header_case(org_id, [*parsed.references, *parsed.in_reply_to])
    spoof = False
    case: Case | None = None
    if token_case is not None:
        # The case token is the per-thread credential: it decides even for another sender.
        case = token_case
        if client is None or client.pk != token_case.client_id:
            warnings.append("sender is not the client of the case named by the token")
    elif header_case is not None:
        if client is not None and client.pk == header_case.client_id:
            case = header_case
        else:
            spoof = True
            warnings.append(
                f"References point at case {header_case.reference} of another client: "
                "not attached (possible spoofing)"
            )
    if client is None:
        client = do_create_client(
            None,
            organization=row.organization,
            team=mailbox.team,
            name=parsed.from_name or parsed.from_address,
            email=parsed.from_address,
        )
    if case is None:
        case = do_create_case(
            None,
            client=client,
            team=mailbox.team,
            subject=parsed.subject or parsed.from_address,
            channel="email",
        )
    files, notes = _attachments(parsed)
    warnings.extend(notes)
    text = parsed.text.strip() or parsed.subject or ("" if files else "-")
    when = parsed_date(parsed.date)
    now = timezone.now()
    occurred_at = when if isinstance(when, type(now)) and when <= now else None
    interaction = do_receive_message(
        None,
        case=case,
        text=text,
        channel="email",
        occurred_at=occurred_at,
        attachments=files,
        data={
            "message_id": parsed.message_id,
            "from": parsed.from_address,
            "subject": parsed.subject[:300],
            "raw_message": row.pk,
            "mailbox": mailbox.pk,
            "spoof_suspected": spoof,
            "warnings": warnings[:20],
        },
        idempotency_key=f"raw-message:{row.pk}",
    )
    return Outcome(RawState.PARSED, case, interaction, "", spoof, tuple(warnings))


def process_raw(raw_id: int) -> RawMessage:
    """Phase 2 for one stored message; never raises for the message's content."""
    row = RawMessage.objects.select_related("mailbox", "organization").get(pk=raw_id)
    if row.state in DONE_STATES:
        return row
    try:
        data = read_raw(row)
    except OSError as exc:
        return _quarantine(row, f"raw file unreadable: {exc}", b"")
    try:
        with transaction.atomic():
            locked = RawMessage.objects.select_for_update().get(pk=row.pk)
            if locked.state in DONE_STATES:
                return locked
            parsed = parse(data)
            outcome = _apply(row, parsed)
            locked.state = outcome.state
            locked.error = outcome.error
            locked.warnings = list(outcome.warnings)[:50]
            locked.case = outcome.case
            locked.interaction = outcome.interaction
            locked.spoof_flagged = outcome.spoof
            locked.attempts += 1
            locked.processed_at = timezone.now()
            if outcome.interaction is not None:
                locked.crisis_flagged = CrisisIncident.objects.filter(
                    interaction=outcome.interaction
                ).exists()
            elif outcome.state == RawState.IGNORED:
                check = raw_crisis_check(parsed.full_text[:50_000].encode("utf-8", "replace"))
                if check.crisis:
                    locked.crisis_flagged = True
                    _alert_raw(locked, check)
            locked.save()
            return locked
    except Exception as exc:
        logger.warning("inbound mail %s quarantined: %s", row.pk, exc)
        return _quarantine(row, f"{type(exc).__name__}: {exc}"[:2000], data)


def raw_crisis_check(data: bytes) -> InlineCheck:
    """The crisis check over the text of bytes that may not parse.  Language detection over
    such text is unreliable, so when the detected language finds nothing, each supported
    language is tried in turn (a threat must not hide behind a wrong guess)."""
    if not data:
        return InlineCheck()
    text = crisis_text(data)
    check = inline_check(text)
    if check.crisis:
        return check
    for lang in ("en", "pl", "sr", "he"):
        if lang != check.language:
            other = inline_check(text, lang=lang)
            if other.crisis:
                return other
    return check


def _quarantine(row: RawMessage, error: str, data: bytes) -> RawMessage:
    check = raw_crisis_check(data)
    with transaction.atomic():
        locked = RawMessage.objects.select_for_update().get(pk=row.pk)
        if locked.state in DONE_STATES:  # pragma: no cover - another worker finished it
            return locked
        locked.state = RawState.QUARANTINED
        locked.error = error
        locked.attempts += 1
        locked.processed_at = timezone.now()
        if check.crisis:
            locked.crisis_flagged = True
            _alert_raw(locked, check)
        locked.save()
    return locked


def _alert_people(row: RawMessage) -> list[User]:
    if row.mailbox is not None:
        people = list(
            User.objects.filter(
                is_active=True,
                organization_id=row.organization_id,
                memberships__team_id=row.mailbox.team_id,
                memberships__role=Role.SUPERVISOR,
            )
            .distinct()
            .order_by("id")
        )
        if people:
            return people
    return org_admins(row.organization_id)


def _alert_raw(row: RawMessage, check: InlineCheck) -> None:
    """A crisis signal in mail that opened no case: alert the supervisors (in-app and email)
    and write it to the audit log."""
    kinds = ", ".join(check.kinds)
    text = f"Email #{row.pk} ({row.state}) carries a crisis signal: {kinds}. Open it in the admin."
    alerted = []
    for person in _alert_people(row):
        notify(
            person,
            kind=NotificationKind.CRISIS,
            key=f"crisis-raw:{row.pk}",
            text=text,
            data={"raw_message": row.pk, "severity": check.severity, "kinds": check.kinds},
        )
        alerted.append(person.pk)
        if person.email:
            queue_email(
                organization_id=row.organization_id,
                key=f"crisis-raw:{row.pk}:{person.pk}",
                kind="crisis",
                to=[person.email],
                subject=f"Crisis signal in inbound email #{row.pk}",
                body=text + "\n\n" + f"{settings.CALMDESK_BASE_URL}/admin/channels/rawmessage/"
                f"{row.pk}/change/",
            )
    write_audit(
        actor=None,
        organization=row.organization_id,
        action="channels.crisis_alert",
        obj=row,
        data={"state": row.state, "kinds": check.kinds, "alerted": alerted},
    )


def process_pending(limit: int = 500) -> list[RawMessage]:
    """Phase 2 for every stored row not yet processed (after a crash, or queued work)."""
    ids = list(
        RawMessage.objects.filter(state=RawState.STORED)
        .order_by("received_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    return [process_raw(i) for i in ids]


def ingest_bytes(
    data: bytes,
    *,
    mailbox: Mailbox,
    source: str,
    enforce_limit: bool = True,
) -> tuple[RawMessage, bool]:
    """Both phases for one message (phase 2 only when phase 1 stored a new row or the row is
    still waiting)."""
    row, created = store_raw(
        data,
        organization=mailbox.organization_id,
        mailbox=mailbox,
        source=source,
        enforce_limit=enforce_limit,
    )
    if row.state == RawState.STORED:
        row = process_raw(row.pk)
    return row, created


# ---- staff actions ------------------------------------------------------------------------


def do_reprocess_raw(
    actor: User | None, row: RawMessage, *, meta: RequestMeta | None = None
) -> RawMessage:
    """Run phase 2 again for a quarantined (or still stored) message."""
    if row.state in (RawState.QUARANTINED, RawState.STORED):
        with transaction.atomic():
            RawMessage.objects.filter(pk=row.pk, state=row.state).update(state=RawState.STORED)
            write_audit(
                actor=actor,
                organization=row.organization_id,
                action="channels.reprocess",
                obj=row,
                data={"previous_error": row.error[:500]},
                meta=meta,
            )
        return process_raw(row.pk)
    return row


def do_upload_raw(
    actor: User | None,
    *,
    mailbox: Mailbox,
    data: bytes,
    meta: RequestMeta | None = None,
) -> tuple[RawMessage, bool]:
    """A staff upload of one raw .eml file: stored, audited, then processed."""
    row, created = store_raw(
        data, organization=mailbox.organization_id, mailbox=mailbox, source="upload"
    )
    write_audit(
        actor=actor,
        organization=mailbox.organization_id,
        action="channels.upload",
        obj=row,
        data={"mailbox": mailbox.pk, "created": created, "size": len(data)},
        meta=meta,
    )
    if row.state == RawState.STORED:
        row = process_raw(row.pk)
    return row, created


def summary(rows: Iterable[RawMessage]) -> dict[str, Any]:
    counts: dict[str, Any] = {}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    return counts
