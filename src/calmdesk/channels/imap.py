"""IMAP polling per mailbox (imap-tools for the session, folder names and flags).

Per mailbox: log in, select the folder, list UNSEEN messages by UID, fetch each with
``BODY.PEEK[]`` (which does not set ``\\Seen``), store it (phase 1, committed), and only then
set ``\\Seen``.  A crash between the commit and the flag re-fetches the message on the next
poll, and phase 1's dedupe (Message-ID, else content hash) makes that a no-op.  Phase 2 runs
after the connection is closed, one message per transaction.  The raw bytes are fetched with
the underlying ``imaplib`` client: imap-tools' message objects re-serialise the mail, and phase 1
must keep exactly the bytes the server holds.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from imap_tools import AND, BaseMailBox, MailBox, MailBoxUnencrypted, MailMessageFlags
from imap_tools.errors import ImapToolsError

from calmdesk.channels.ingest import (
    process_pending,
    process_raw,
    requeue_stalled,
    store_raw,
)
from calmdesk.channels.models import Mailbox, RawState

logger = logging.getLogger(__name__)

TIMEOUT = 30  # seconds per socket operation
MAX_PER_POLL = 500  # messages fetched per mailbox per poll


@dataclass
class PollResult:
    mailbox: int
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    processed: dict[str, int] = field(default_factory=dict)
    error: str = ""


def _connect(mailbox: Mailbox) -> BaseMailBox:
    if mailbox.imap_ssl:
        return MailBox(mailbox.imap_host, mailbox.imap_port, timeout=TIMEOUT)
    return MailBoxUnencrypted(mailbox.imap_host, mailbox.imap_port, timeout=TIMEOUT)


def _fetch_body(conn: imaplib.IMAP4, uid: bytes) -> bytes | None:
    typ, data = conn.uid("FETCH", uid.decode("ascii"), "(BODY.PEEK[])")
    if typ != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def poll_mailbox(mailbox: Mailbox, *, limit: int = MAX_PER_POLL) -> PollResult:
    """Fetch the unseen mail of one mailbox; never raises (the error is recorded)."""
    result = PollResult(mailbox=mailbox.pk)
    new_ids: list[int] = []
    # CALMDESK_INBOUND_DEFER: phase 1 enqueues the parse task; the task workers run phase 2.
    defer = bool(getattr(settings, "CALMDESK_INBOUND_DEFER", False))
    try:
        box = _connect(mailbox)
        try:
            box.login(
                mailbox.imap_user,
                mailbox.imap_password,
                initial_folder=mailbox.imap_folder or "INBOX",
            )
            uids = box.uids(AND(seen=False))
            for uid in uids[:limit]:
                if not re.fullmatch(r"\d+", uid):
                    continue
                body = _fetch_body(box.client, uid.encode("ascii"))
                if body is None:
                    continue
                result.fetched += 1
                row, created = store_raw(
                    body,
                    organization=mailbox.organization_id,
                    mailbox=mailbox,
                    source="imap",
                    enforce_limit=False,  # the server holds it already: keep it, parse decides
                    defer=defer,
                )
                # Phase 1 has committed: now the server may forget it is new.
                box.flag(uid, MailMessageFlags.SEEN, True)
                if created:
                    result.stored += 1
                    if not defer:
                        new_ids.append(row.pk)
                else:
                    result.duplicates += 1
                    if row.state == RawState.STORED and not defer:
                        new_ids.append(row.pk)
        finally:
            with contextlib.suppress(ImapToolsError, imaplib.IMAP4.error, OSError):
                box.logout()
    except (TimeoutError, ImapToolsError, imaplib.IMAP4.error, OSError, ValueError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:1000]
        logger.warning("IMAP poll of mailbox %s failed: %s", mailbox.pk, result.error)
    for raw_id in new_ids:
        row = process_raw(raw_id)
        result.processed[row.state] = result.processed.get(row.state, 0) + 1
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_poll_at=timezone.now(), last_poll_error=result.error
    )
    return result


def poll_all() -> list[PollResult]:
    """Poll every enabled mailbox with an IMAP host, then process anything still waiting."""
    results = [
        poll_mailbox(m)
        for m in Mailbox.objects.filter(enabled=True).exclude(imap_host="").order_by("id")
    ]
    if getattr(settings, "CALMDESK_INBOUND_DEFER", False):
        requeue_stalled()
    else:
        process_pending()
    return results
