"""A parse task claimed by a worker that died is taken up again (channels.ingest.requeue_stalled).

django-tasks-db never retries a task whose worker died: the row stays "running" and the stored
message would wait for ever.  These tests build that state directly (a task claimed by a
process that no longer exists) and check the recovery, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
from typing import Any

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from calmdesk.channels.ingest import (
    INLINE_GRACE,
    PARSE_LEASE,
    PARSE_TASK,
    enqueue_parse,
    requeue_stalled,
    store_raw,
)
from calmdesk.channels.models import Mailbox, RawMessage, RawState
from calmdesk.desk.models import CrisisIncident, Interaction
from calmdesk.desk.tasks import tick
from calmdesk.testing.scale import CRISIS_EVERY, build_world, message

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The worker closes "obsolete" connections between tasks; inside the test's transaction
    # that would be the test's own connection (PostgreSQL).
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def _drain() -> None:
    """One in-process django-tasks-db worker in batch mode (exits when nothing is ready)."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _stored(i: int) -> RawMessage:
    world = build_world("rq")
    mailbox = Mailbox.objects.get(pk=world.mailbox_id)
    row, created = store_raw(
        message(i, tag="rq"),
        organization=world.organization_id,
        mailbox=mailbox,
        source="http",
        defer=True,
    )
    assert created and row.state == RawState.STORED
    return row


def _claim(worker_id: str, started_at: dt.datetime | None = None) -> DBTaskResult:
    task = DBTaskResult.objects.get(task_path=PARSE_TASK, status=TaskResultStatus.READY)
    task.status = TaskResultStatus.RUNNING
    task.worker_ids = [worker_id]
    task.started_at = started_at or timezone.now()
    task.save()
    return task


def test_a_task_of_a_dead_worker_is_run_again_and_logs_once():
    # A crisis message: its incident must not be lost with the worker.
    row = _stored(CRISIS_EVERY - 1)
    dead = _claim(f"{socket.gethostname()[:60]}:{_dead_pid()}")
    _drain()  # the bug: nothing is ready, the message waits for ever
    row.refresh_from_db()
    assert row.state == RawState.STORED

    assert requeue_stalled() == 1
    dead.refresh_from_db()
    assert dead.status == TaskResultStatus.FAILED
    assert dead.exception_class_path.endswith("WorkerDied")
    _drain()
    row.refresh_from_db()
    assert row.state == RawState.PARSED
    logged = Interaction.objects.filter(data__raw_message=row.pk)
    assert logged.count() == 1
    assert CrisisIncident.objects.filter(interaction=logged.get()).count() == 1
    assert requeue_stalled() == 0  # nothing left


def test_a_live_claim_is_left_alone_until_its_lease_runs_out():
    row = _stored(1)
    started = timezone.now()
    # A worker on another host (its pid cannot be checked from here).
    _claim("other-host.example:4242", started)
    assert requeue_stalled() == 0
    assert requeue_stalled(started + PARSE_LEASE + dt.timedelta(seconds=1)) == 1
    _drain()
    row.refresh_from_db()
    assert row.state == RawState.PARSED
    assert Interaction.objects.filter(data__raw_message=row.pk).count() == 1


def test_a_parse_enqueued_twice_logs_once():
    row = _stored(2)
    enqueue_parse(row.pk)  # e.g. a sweeper on another host, while the first is still queued
    _drain()
    row.refresh_from_db()
    assert row.state == RawState.PARSED
    assert Interaction.objects.filter(data__raw_message=row.pk).count() == 1
    assert DBTaskResult.objects.filter(task_path=PARSE_TASK, status="SUCCESSFUL").count() == 2


def test_a_row_stored_for_inline_parsing_gets_its_grace_then_a_task():
    world = build_world("rq")
    mailbox = Mailbox.objects.get(pk=world.mailbox_id)
    row, _ = store_raw(
        message(3, tag="rq"), organization=world.organization_id, mailbox=mailbox, source="http"
    )
    assert not DBTaskResult.objects.filter(task_path=PARSE_TASK).exists()
    assert requeue_stalled() == 0  # the receiving process is parsing it right now
    assert requeue_stalled(timezone.now() + INLINE_GRACE + dt.timedelta(seconds=1)) == 1
    _drain()
    row.refresh_from_db()
    assert row.state == RawState.PARSED


def test_tick_takes_up_what_a_dead_worker_left():
    row = _stored(4)
    _claim(f"{socket.gethostname()[:60]}:{_dead_pid()}")
    report = tick()
    assert report.inbound == 1 and "1 inbound messages" in str(report)
    _drain()
    row.refresh_from_db()
    assert row.state == RawState.PARSED
