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

Scale-out (docs/deploy.md): with ``defer=True`` phase 1 also enqueues one parse task
(``calmdesk.channels.tasks.process_raw_message``) in the same transaction as the row, so a
stored message always has its task; the task workers on any host run phase 2.  A worker
killed with SIGKILL leaves its task "running" for ever (django-tasks-db does not retry):
``requeue_stalled()`` — run by ``calmdesk tick`` and by every ``calmdesk worker`` at start —
enqueues the parse again for every stored row that no live task is waiting for.  Phase 2 is
idempotent (row lock, finished states, the ``raw-message:<id>`` key), so a second run logs
nothing twice.
"""

from __future__ import annotations

import datetime as dt
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
from django.db.models import Q, Value
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
from calmdesk.desk.lib.analysis import InlineCheck, inline_check
from calmdesk.desk.lib.attachments import IncomingFile
from calmdesk.desk.lib.request_meta import RequestMeta
from calmdesk.desk.models import (
    Case,
    Client,
    ContactPoint,
    CrisisIncident,
    Interaction,
    Organization,
    OutboundEmail,
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
    # One narrow query per stored message (a round trip and an ORM compile per message
    # count at scale); the full row is read only for a duplicate.  The key match wins.
    found = list(
        RawMessage.objects.filter(
            Q(dedupe_key=key) | Q(sha256=sha), organization_id=organization_id
        ).values_list("id", "dedupe_key")[:2]
    )
    if not found:
        return None
    found.sort()
    pk = next((pk for pk, dedupe_key in found if dedupe_key == key), found[0][0])
    return RawMessage.objects.get(pk=pk)


def store_raw(
    data: bytes,
    *,
    organization: Organization | int,
    mailbox: Mailbox | None,
    source: str,
    enforce_limit: bool = True,
    defer: bool = False,
) -> tuple[RawMessage, bool]:
    """Phase 1: (row, created).  The same bytes, or a message with the same Message-ID,
    stored earlier for this organization returns that row and writes nothing.  ``defer``:
    enqueue the parse task in the same transaction as the row (a task worker runs phase 2)."""
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
            if defer:
                enqueue_parse(row.pk)
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


def _sender_client_id(org_id: int, address: str) -> int | None:
    """The id of the client this address belongs to (the Client row is read only when a
    new case needs it: a reply threads by the case alone)."""
    if not address:
        return None
    found = list(
        ContactPoint.objects.filter(
            kind="email", value__iexact=address, client__organization_id=org_id
        )
        .order_by("-is_primary", "id")
        .values_list("client_id", flat=True)[:1]
    )
    return found[0] if found else None


def _header_case(org_id: int, ids: Iterable[str]) -> Case | None:
    """The case a reply belongs to by its In-Reply-To/References: our outbound emails first,
    then earlier inbound mail (latest reference wins).  One narrow query for all the
    references, then the one case (with its client, which the inline check reads)."""
    ids = [i for i in ids if i]
    if not ids:
        return None
    # One round trip: (0, …) rows are our outbound emails, (1, …) earlier inbound mail.
    outbound_rows = (
        OutboundEmail.objects.filter(organization_id=org_id, message_id__in=ids)
        .exclude(case=None)
        .order_by()
        .annotate(from_inbound=Value(0))
        .values_list("from_inbound", "id", "message_id", "case_id")
    )
    inbound_rows = (
        RawMessage.objects.filter(organization_id=org_id, message_id__in=ids)
        .exclude(case=None)
        .order_by()
        .annotate(from_inbound=Value(1))
        .values_list("from_inbound", "id", "message_id", "case_id")
    )
    outbound: dict[str, int] = {}
    inbound: dict[str, int] = {}
    for from_inbound, _pk, mid, case_id in sorted(outbound_rows.union(inbound_rows, all=True)):
        (inbound if from_inbound else outbound).setdefault(mid, case_id)
    for message_id in reversed(ids):
        found = outbound.get(message_id) or inbound.get(message_id)
        if found is not None:
            return Case.objects.select_related("client").get(pk=found)
    return None


def _token_case(org_id: int, subject: str) -> Case | None:
    for token in CASE_TOKEN.findall(subject or ""):
        case = (
            Case.objects.filter(organization_id=org_id, reference=token)
            .select_related("client")
            .first()
        )
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
    client_id = _sender_client_id(org_id, parsed.from_address)
    token_case = _token_case(org_id, parsed.subject)
    header_case = (
        None
        if token_case is not None
        else _header_case(org_id, [*parsed.references, *parsed.in_reply_to])
    )
    spoof = False
    case: Case | None = None
    if token_case is not None:
        # The case token is the per-thread credential: it decides even for another sender.
        case = token_case
        if client_id != token_case.client_id:
            warnings.append("sender is not the client of the case named by the token")
    elif header_case is not None:
        if client_id is not None and client_id == header_case.client_id:
            case = header_case
        else:
            spoof = True
            warnings.append(
                f"References point at case {header_case.reference} of another client: "
                "not attached (possible spoofing)"
            )
    client: Client | None = None
    if client_id is None:
        client = do_create_client(
            None,
            organization=row.organization,
            team=mailbox.team,
            name=parsed.from_name or parsed.from_address,
            email=parsed.from_address,
        )
    if case is None:
        if client is None:  # a known sender (an unknown one got a client above)
            assert client_id is not None
            client = Client.objects.get(pk=client_id)
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


RESULT_FIELDS = [
    "state",
    "error",
    "warnings",
    "case",
    "interaction",
    "spoof_flagged",
    "crisis_flagged",
    "attempts",
    "processed_at",
]


class _Unreadable(Exception):
    """The raw file of a stored row cannot be read (quarantined outside the transaction)."""


def process_raw(raw_id: int) -> RawMessage:
    """Phase 2 for one stored message; never raises for the message's content.

    One transaction: the row is read and locked by one query (PostgreSQL: ``FOR UPDATE OF``
    the row only; SQLite writers are serialised already), so a second worker given the same
    row waits and then finds it finished."""
    data = b""
    row: RawMessage | None = None
    try:
        with transaction.atomic():
            row = (
                RawMessage.objects.select_for_update(of=("self",))
                .select_related("mailbox")
                .get(pk=raw_id)
            )
            if row.state in DONE_STATES:
                return row
            try:
                data = read_raw(row)
            except OSError as exc:
                raise _Unreadable(f"raw file unreadable: {exc}") from exc
            parsed = parse(data)
            outcome = _apply(row, parsed)
            row.state = outcome.state
            row.error = outcome.error
            row.warnings = list(outcome.warnings)[:50]
            row.case = outcome.case
            row.interaction = outcome.interaction
            row.spoof_flagged = outcome.spoof
            row.attempts += 1
            row.processed_at = timezone.now()
            if outcome.interaction is not None:
                # The inline check do_receive_message ran (None: an earlier run logged it).
                check = getattr(outcome.interaction, "inline_check", None)
                row.crisis_flagged = (
                    bool(check.crisis)
                    if isinstance(check, InlineCheck)
                    else CrisisIncident.objects.filter(interaction=outcome.interaction).exists()
                )
            elif outcome.state == RawState.IGNORED:
                check = raw_crisis_check(parsed.full_text[:50_000].encode("utf-8", "replace"))
                if check.crisis:
                    row.crisis_flagged = True
                    _alert_raw(row, check)
            row.save(update_fields=RESULT_FIELDS)
            return row
    except RawMessage.DoesNotExist:
        raise
    except _Unreadable as exc:
        assert row is not None
        row.refresh_from_db()
        return _quarantine(row, str(exc), b"")
    except Exception as exc:
        if row is None:
            raise  # the row could not even be read: the database failed, not the message
        logger.warning("inbound mail %s quarantined: %s", row.pk, exc)
        row.refresh_from_db()
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


def _alert_raw(row: RawMessage, check: InlineCheck) -> None:
    """A crisis signal in mail that opened no case: alert the supervisors (in-app and email)
    and write it to the audit log."""
    from calmdesk.desk.actions.crisis import alert_unfiled_crisis

    kinds = ", ".join(check.kinds)
    alert_unfiled_crisis(
        organization_id=row.organization_id,
        team_id=row.mailbox.team_id if row.mailbox is not None else None,
        check=check,
        key=f"crisis-raw:{row.pk}",
        text=f"Email #{row.pk} ({row.state}) carries a crisis signal: {kinds}. "
        "Open it in the admin.",
        subject=f"Crisis signal in inbound email #{row.pk}",
        link=f"/admin/channels/rawmessage/{row.pk}/change/",
        obj=row,
        action="channels.crisis_alert",
        data={"raw_message": row.pk, "state": row.state},
    )


def enqueue_parse(raw_id: int) -> None:
    """Enqueue phase 2 of one stored message for the task workers."""
    from calmdesk.channels.tasks import process_raw_message

    process_raw_message.enqueue(raw_id)


PARSE_TASK = "calmdesk.channels.tasks.process_raw_message"
# A parse takes milliseconds; a task "running" longer than this lost its worker.
PARSE_LEASE = dt.timedelta(seconds=int(os.environ.get("CALMDESK_PARSE_LEASE_SECONDS", "600")))
# A row stored without a task (the web process or the poller parses it right away) is left
# to that process for this long.
INLINE_GRACE = dt.timedelta(minutes=2)


def requeue_stalled(now: dt.datetime | None = None, *, limit: int = 5000) -> int:
    """Enqueue the parse again for every stored row that no live task is waiting for: its
    task was claimed by a worker that died (SIGKILL, a lost host), or it was stored inline
    by a process that died before phase 2.  A "running" parse task counts as dead when its
    worker is a process of this host that no longer exists, or after ``PARSE_LEASE``;
    such a task row is marked failed ("worker died") so it is not counted again.
    Safe to run from several hosts at once: a parse run twice logs nothing twice."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from calmdesk.desk.lib.mail import claimant_is_dead

    now = now or timezone.now()
    waiting: set[int] = set()
    dead: list[Any] = []
    tasks = DBTaskResult.objects.filter(
        task_path=PARSE_TASK, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).values_list("id", "status", "args_kwargs", "worker_ids", "started_at")
    for task_id, status, args_kwargs, worker_ids, started_at in tasks.iterator():
        args = (args_kwargs or {}).get("args") or [None]
        if status == TaskResultStatus.RUNNING and (
            (worker_ids and claimant_is_dead(str(worker_ids[-1])))
            or (started_at is not None and started_at < now - PARSE_LEASE)
        ):
            dead.append(task_id)
            continue
        if isinstance(args[0], int):
            waiting.add(args[0])
    if dead:
        DBTaskResult.objects.filter(pk__in=dead, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path="calmdesk.channels.ingest.WorkerDied",
            traceback="The worker that claimed this task died; the parse was enqueued again.",
        )
    stalled = [
        (pk, received_at)
        for pk, received_at in RawMessage.objects.filter(state=RawState.STORED)
        .order_by("received_at", "id")
        .values_list("id", "received_at")[:limit]
        if pk not in waiting
    ]
    had_task = _ids_with_task([pk for pk, _ in stalled])
    requeued = 0
    for pk, received_at in stalled:
        if pk not in had_task and received_at > now - INLINE_GRACE:
            continue  # stored inline a moment ago: its own process is parsing it
        enqueue_parse(pk)
        requeued += 1
    if requeued or dead:
        logger.warning(
            "inbound mail: %s dead parse task(s), %s stored message(s) enqueued again",
            len(dead),
            requeued,
        )
    return requeued


def _ids_with_task(ids: list[int]) -> set[int]:
    """Which of these rows ever had a parse task (finished, failed or dead)."""
    from django_tasks_db.models import DBTaskResult

    if not ids:
        return set()
    wanted = set(ids)
    found: set[int] = set()
    for args_kwargs in (
        DBTaskResult.objects.filter(task_path=PARSE_TASK)
        .values_list("args_kwargs", flat=True)
        .iterator()
    ):
        args = (args_kwargs or {}).get("args") or [None]
        if args[0] in wanted:
            found.add(args[0])
    return found


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
    defer: bool = False,
) -> tuple[RawMessage, bool]:
    """Both phases for one message (phase 2 only when phase 1 stored a new row or the row is
    still waiting).  ``defer``: phase 1 here, phase 2 by a task worker."""
    row, created = store_raw(
        data,
        organization=mailbox.organization_id,
        mailbox=mailbox,
        source=source,
        enforce_limit=enforce_limit,
        defer=defer,
    )
    if row.state == RawState.STORED and not defer:
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
