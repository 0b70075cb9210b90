"""The history import: items from a reader (formats.py) go into the desk through its ``do_*``
actions, in batches of one transaction each (docs/import.md).

Idempotent: every client, case and message gets a stable key ``<source>:<kind>:<external id>``
in ``ImportedRecord``; a record whose key exists is skipped as a duplicate (and messages also
carry the key as their idempotency key, so the log itself refuses a second copy).
Resumable: ``ImportRun.position`` (items committed) is saved in each batch's transaction, so
after a crash or a kill the same file (same SHA-256) continues after the last committed batch.
A bad record rolls back only its own savepoint and is written down (line, reason); an
unexpected error (the database gone, a bug) aborts the run: that batch rolls back whole and
the next run repeats it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from calmdesk.desk.actions.cases import do_create_case
from calmdesk.desk.actions.clients import do_create_client
from calmdesk.desk.actions.interactions import do_add_note, do_receive_message, do_send_reply
from calmdesk.desk.lib.errors import ActionError
from calmdesk.desk.models import (
    Case,
    Channel,
    Client,
    ContactPoint,
    CrisisIncident,
    Organization,
    Priority,
    Status,
    Team,
    User,
)
from calmdesk.imports.formats import Item, Record, RecordError, file_sha256, open_source, zone
from calmdesk.imports.models import ImportedRecord, ImportFailure, ImportRun, RunState

DEFAULT_BATCH = 200
DEFAULT_ALERT_DAYS = 14
MAX_FAILURES_KEPT = 10_000

Progress = Callable[[int, int], None]


class ImportAborted(Exception):
    """The run stopped on an unexpected error; the same command continues it."""

    def __init__(self, message: str, run: ImportRun | None) -> None:
        super().__init__(message)
        self.run = run


class _Rollback(Exception):
    """Raised at the end of a dry run to undo everything it did."""


@dataclass
class Failure:
    line: int
    key: str
    reason: str


@dataclass
class Result:
    run_id: int | None
    file_format: str
    source: str
    total: int
    resumed_at: int
    imported: dict[str, int] = field(default_factory=lambda: {"client": 0, "case": 0, "message": 0})
    duplicates: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    failed: int = 0
    crisis_alerted: int = 0
    crisis_history: int = 0
    dry_run: bool = False

    @property
    def imported_total(self) -> int:
        return sum(self.imported.values())

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def counts(self) -> dict[str, Any]:
        return {
            **self.imported,
            "duplicates": self.duplicates,
            "skipped": dict(self.skipped),
            "failed": self.failed,
            "crisis_alerted": self.crisis_alerted,
            "crisis_history": self.crisis_history,
        }

    def load_counts(self, counts: dict[str, Any]) -> None:
        for kind in self.imported:
            self.imported[kind] = int(counts.get(kind, 0))
        self.duplicates = int(counts.get("duplicates", 0))
        self.skipped = {str(k): int(v) for k, v in dict(counts.get("skipped", {})).items()}
        self.failed = int(counts.get("failed", 0))
        self.crisis_alerted = int(counts.get("crisis_alerted", 0))
        self.crisis_history = int(counts.get("crisis_history", 0))


@dataclass
class Options:
    organization: Organization
    team: Team
    source: str
    alert_days: int = DEFAULT_ALERT_DAYS
    author: User | None = None
    now: dt.datetime = field(default_factory=timezone.now)


class _Importer:
    def __init__(self, options: Options, result: Result, run: ImportRun | None) -> None:
        self.o = options
        self.result = result
        self.run = run
        self.org_id = options.organization.pk
        # external id -> object, for this run (the database is the truth across runs)
        self.clients: dict[str, Client | None] = {}
        self.cases: dict[str, Case | None] = {}
        self.users: dict[str, User | None] = {}
        self.seen: set[str] = set()  # client and case keys handled in this run

    # -- keys -----------------------------------------------------------------------------

    def key(self, kind: str, external_id: str) -> str:
        return f"{self.o.source}:{kind}:{external_id}"[:300]

    def _known(self, key: str) -> ImportedRecord | None:
        return ImportedRecord.objects.filter(organization_id=self.org_id, key=key).first()

    def _remember(self, key: str, kind: str, pk: int, crisis: str = "") -> None:
        ImportedRecord.objects.create(
            organization_id=self.org_id,
            key=key,
            kind=kind,
            object_id=pk,
            run=self.run,
            crisis=crisis,
        )

    # -- one item -------------------------------------------------------------------------

    def item(self, item: Item) -> None:
        if item.error:
            self.fail(item.line, "", item.error)
            return
        for record in item.records:
            key = self.key(record.kind, record.external_id)
            if "error" in record.fields:
                self.fail(item.line, key, str(record.fields["error"]))
                continue
            try:
                with transaction.atomic():
                    self.record(record, key)
            except (RecordError, ActionError, ValidationError) as exc:
                self.fail(item.line, key, _reason(exc))

    def fail(self, line: int, key: str, reason: str) -> None:
        self.result.failed += 1
        reason = " ".join(reason.split())[:1000]
        if len(self.result.failures) < MAX_FAILURES_KEPT:
            self.result.failures.append(Failure(line, key, reason))
            if self.run is not None:
                ImportFailure.objects.create(run=self.run, line=line, key=key, reason=reason)

    def skip(self, reason: str) -> None:
        self.result.skipped[reason] = self.result.skipped.get(reason, 0) + 1

    def record(self, record: Record, key: str) -> None:
        if key in self.seen:  # a client or case named again by a later row of this run
            return
        known = self._known(key)
        # A client or case named again by a later row of the same run is a reference, not
        # a duplicate; one imported by an earlier run is a duplicate.
        again = known is not None and self.run is not None and known.run_id == self.run.pk
        if record.kind == "client":
            if known is not None:
                self.clients[record.external_id] = Client.objects.filter(
                    pk=known.object_id, organization_id=self.org_id
                ).first()
                self.result.duplicates += 0 if again else 1
                self.seen.add(key)
                return
            client = self._create_client(record.fields)
            self.clients[record.external_id] = client
            self._remember(key, "client", client.pk)
            self.seen.add(key)
        elif record.kind == "case":
            if known is not None:
                self.cases[record.external_id] = Case.objects.filter(
                    pk=known.object_id, organization_id=self.org_id
                ).first()
                self.result.duplicates += 0 if again else 1
                self.seen.add(key)
                return
            case = self._create_case(record.fields)
            self.cases[record.external_id] = case
            self._remember(key, "case", case.pk)
            self.seen.add(key)
        else:
            if known is not None:
                self.result.duplicates += 1
                return
            self._message(record.fields, key)
            return
        self.result.imported[record.kind] += 1

    # -- clients and cases ----------------------------------------------------------------

    def _create_client(self, f: dict[str, Any]) -> Client:
        email = f["email"]
        if email:
            # A client the desk already knows by this address gets the history (no twin).
            point = (
                ContactPoint.objects.filter(
                    kind="email", value__iexact=email, client__organization_id=self.org_id
                )
                .select_related("client")
                .order_by("-is_primary", "id")
                .first()
            )
            if point is not None:
                return point.client
        name = f["name"] or email or f["phone"]
        if not name:
            raise RecordError("the client has no name, email or phone")
        return do_create_client(
            None,
            organization=self.o.organization,
            team=self.o.team,
            name=name,
            email=email,
            phone=f["phone"],
            preferred_language=client_language(f["language"]),
            tags=f["tags"],
        )

    def _client_for(self, external_id: str) -> Client:
        if external_id not in self.clients:
            known = self._known(self.key("client", external_id))
            self.clients[external_id] = (
                Client.objects.filter(pk=known.object_id, organization_id=self.org_id).first()
                if known
                else None
            )
        client = self.clients[external_id]
        if client is None:
            raise RecordError(f"client {external_id!r} was not imported (see its own error)")
        return client

    def _create_case(self, f: dict[str, Any]) -> Case:
        client = self._client_for(f["client"])
        channel = f["channel"] if f["channel"] in Channel.values else "other"
        priority = f["priority"] if f["priority"] in Priority.values else Priority.NORMAL
        status = f["status"]
        if status and status not in Status.values:
            raise RecordError(f"status {status!r} is not one of {', '.join(Status.values)}")
        case = do_create_case(
            None,
            client=client,
            team=self.o.team,
            subject=f["subject"] or "(no subject)",
            channel=channel,
            priority=priority,
            tags=f["tags"],
        )
        # The case keeps its original dates and status.  Set here, not through
        # do_change_status: closing a years-old case must not send a satisfaction survey.
        changes: dict[str, Any] = {}
        created = f["created_at"]
        if created is not None:
            changes["created_at"] = min(created, self.o.now)
        if status and status != Status.NEW:
            changes["status"] = status
            if status in (Status.RESOLVED, Status.CLOSED):
                changes["resolved_at"] = changes.get("created_at", self.o.now)
            if status == Status.CLOSED:
                changes["closed_at"] = changes.get("created_at", self.o.now)
        if changes:
            Case.objects.filter(pk=case.pk).update(**changes)
            for name, value in changes.items():
                setattr(case, name, value)
        return case

    def _case_for(self, external_id: str) -> Case:
        if external_id not in self.cases:
            known = self._known(self.key("case", external_id))
            self.cases[external_id] = (
                Case.objects.filter(pk=known.object_id, organization_id=self.org_id).first()
                if known
                else None
            )
        case = self.cases[external_id]
        if case is None:
            raise RecordError(f"case {external_id!r} was not imported (see its own error)")
        return case

    def _user(self, name: str) -> User | None:
        if not name:
            return self.o.author
        if name not in self.users:
            self.users[name] = (
                User.objects.filter(organization_id=self.org_id, username=name).first()
                or User.objects.filter(organization_id=self.org_id, email__iexact=name)
                .order_by("id")
                .first()
            )
        return self.users[name] or self.o.author

    # -- messages -------------------------------------------------------------------------

    def _message(self, f: dict[str, Any], key: str) -> None:
        case = self._case_for(f["case"])
        when: dt.datetime = f["occurred_at"]
        idem = f"import:{key}"[:200]
        data = {"import": key}
        if f["direction"] == "inbound":
            historical = when < self.o.now - dt.timedelta(days=self.o.alert_days)
            interaction = do_receive_message(
                None,
                case=case,
                text=f["text"],
                channel=case.channel,
                occurred_at=when,
                language=message_language(f["language"]),
                data=data,
                idempotency_key=idem,
                historical=historical,
            )
            crisis = ""
            if historical and interaction.data.get("crisis_in_history"):
                crisis = "history"
                self.result.crisis_history += 1
            elif not historical and CrisisIncident.objects.filter(interaction=interaction).exists():
                crisis = "alerted"
                self.result.crisis_alerted += 1
            self._remember(key, "message", interaction.pk, crisis)
        elif f["direction"] == "outbound":
            interaction = do_send_reply(
                self._user(f["author"]),
                case=case,
                text=f["text"],
                channel=case.channel,
                occurred_at=when,
                idempotency_key=idem,
                historical=True,
            )
            self._remember(key, "message", interaction.pk)
        else:
            author = self._user(f["author"])
            if author is None:
                self.skip("internal note without a known author (pass --author USERNAME)")
                return
            interaction = do_add_note(
                author,
                case=case,
                kind="internal_note",
                text=f["text"],
                occurred_at=when,
                idempotency_key=idem,
            )
            self._remember(key, "message", interaction.pk)
        self.result.imported["message"] += 1


CLIENT_LANGUAGES = {"en": "en", "pl": "pl", "sr": "sr", "he": "he", "iw": "he"}
for _code in ("sr-latn", "sr_latn", "sr-latn-rs", "hr", "bs"):
    CLIENT_LANGUAGES[_code] = "sr-latn"  # one pack serves Serbian Latin, Croatian, Bosnian
MESSAGE_LANGUAGES = ("en", "pl", "sr", "sr-latn", "hr", "bs", "he")


def client_language(code: str) -> str:
    """The client's preferred language as the desk knows it; "" when it has no pack for it
    (the language of each message is then detected)."""
    return CLIENT_LANGUAGES.get(code.strip().lower(), "")


def message_language(code: str) -> str | None:
    code = code.strip().lower().replace("_", "-")
    return code if code in MESSAGE_LANGUAGES else None


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc) or type(exc).__name__


def _batches(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    batch: list[Item] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _resumable_run(org: Organization, sha: str) -> ImportRun | None:
    return (
        ImportRun.objects.filter(
            organization=org, file_sha256=sha, state__in=[RunState.RUNNING, RunState.ABORTED]
        )
        .order_by("-id")
        .first()
    )


def run_import(
    path: Path,
    *,
    organization: Organization,
    team: Team,
    file_format: str,
    source: str = "",
    dry_run: bool = False,
    batch: int = DEFAULT_BATCH,
    alert_days: int = DEFAULT_ALERT_DAYS,
    author: User | None = None,
    time_zone: str = "UTC",
    progress: Progress | None = None,
) -> Result:
    """Import one file; see the module docstring.  Raises ``RecordError`` for a file that
    cannot be read at all and ``ImportAborted`` when the run stopped midway."""
    if team.organization_id != organization.pk:
        raise RecordError("the team belongs to another organization")
    tz = zone(time_zone)
    source = source or file_format
    sha = file_sha256(path)
    opened = open_source(path, file_format, tz)
    options = Options(organization, team, source, alert_days=alert_days, author=author)
    run = None if dry_run else _resumable_run(organization, sha)
    if run is None and not dry_run:
        run = ImportRun.objects.create(
            organization=organization,
            source=source,
            file_format=file_format,
            file_name=path.name[:500],
            file_sha256=sha,
            total=opened.total,
        )
    start = run.position if run is not None else 0
    result = Result(
        run.pk if run else None, file_format, source, opened.total, start, dry_run=dry_run
    )
    importer = _Importer(options, result, run)
    if run is not None and start:
        # the totals of the earlier attempt carry over into this run's summary
        result.load_counts(run.counts)
        result.failures = [
            Failure(f.line, f.key, f.reason) for f in run.failures.all()[:MAX_FAILURES_KEPT]
        ]
    items = opened.items
    done = 0
    for _ in range(start):  # skip what an earlier attempt committed
        if next(items, None) is None:
            break
        done += 1
    if progress:
        progress(done, opened.total)
    try:
        if dry_run:
            with transaction.atomic():
                for chunk in _batches(items, batch):
                    for item in chunk:
                        importer.item(item)
                        done += 1
                        if progress:
                            progress(done, opened.total)
                raise _Rollback
        assert run is not None
        for chunk in _batches(items, batch):
            with transaction.atomic():
                for item in chunk:
                    importer.item(item)
                done += len(chunk)
                _save_counts(run, result, done)
            if progress:
                progress(done, opened.total)
    except _Rollback:
        pass
    except Exception as exc:
        if run is not None:
            ImportRun.objects.filter(pk=run.pk).update(
                state=RunState.ABORTED,
                error=f"{type(exc).__name__}: {exc}"[:2000],
                updated_at=timezone.now(),
            )
            run.refresh_from_db()
        raise ImportAborted(f"{type(exc).__name__}: {exc}", run) from exc
    if run is not None:
        ImportRun.objects.filter(pk=run.pk).update(
            state=RunState.DONE, finished_at=timezone.now(), updated_at=timezone.now()
        )
        run.refresh_from_db()
    return result


def _save_counts(run: ImportRun, result: Result, position: int) -> None:
    run.position = position
    run.counts = result.counts()
    run.state = RunState.RUNNING
    run.updated_at = timezone.now()
    run.save(update_fields=["position", "counts", "state", "updated_at"])
