"""``GET /healthz`` (docs/deploy.md, "Health checks"): what a load balancer or monitor reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from calmdesk.desk.views import health

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_migration_check() -> None:
    health._migrations_ok_until = 0.0


def task_row(*, enqueued_ago: dt.timedelta, run_after: dt.datetime | None = None) -> Any:
    row = DBTaskResult.objects.create(
        task_path="calmdesk.desk.tasks.deliver_email",
        args_kwargs={"args": [1], "kwargs": {}},
        backend_name="default",
        run_after=run_after or get_date_max(),
    )
    DBTaskResult.objects.filter(pk=row.pk).update(enqueued_at=timezone.now() - enqueued_ago)
    return row


def test_healthy_without_signing_in_and_never_cached(client: Any) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "tasks": "ok"},
        "oldest_task_seconds": 0,
    }
    assert "no-store" in r["Cache-Control"]
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_a_task_waiting_too_long_fails_the_check(client: Any, settings: Any) -> None:
    settings.CALMDESK_HEALTH_TASK_AGE = 600
    task_row(enqueued_ago=dt.timedelta(seconds=120))
    r = client.get("/healthz")
    assert r.status_code == 200 and 119 <= r.json()["oldest_task_seconds"] <= 125
    task_row(enqueued_ago=dt.timedelta(hours=1))
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["status"] == "fail" and r.json()["checks"]["tasks"] == "fail"
    assert r.json()["checks"]["database"] == "ok"


def test_a_task_due_later_is_not_a_backlog(client: Any) -> None:
    # A reminder enqueued a week ago for next week has not waited at all.
    task_row(enqueued_ago=dt.timedelta(days=7), run_after=timezone.now() + dt.timedelta(days=7))
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["oldest_task_seconds"] == 0
    # One that fell due two hours ago has waited two hours, not since it was enqueued.
    task_row(enqueued_ago=dt.timedelta(days=7), run_after=timezone.now() - dt.timedelta(hours=2))
    r = client.get("/healthz")
    assert r.status_code == 503 and 7190 <= r.json()["oldest_task_seconds"] <= 7210


def test_an_unapplied_migration_fails_the_check(client: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'desk' AND name = "
            "(SELECT max(name) FROM django_migrations WHERE app = 'desk')"
        )
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["checks"] == {"database": "ok", "migrations": "fail", "tasks": "ok"}


def test_a_failing_check_answers_503_not_an_error_page(client: Any) -> None:
    # The task table is gone (a half-restored database): the query fails for real.
    table = DBTaskResult._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO health_test_gone")
    r = client.get("/healthz")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "fail" and body["checks"]["tasks"] == "fail"
    assert body["checks"]["database"] == "ok" and "oldest_task_seconds" not in body
    assert table not in r.content.decode()  # no error detail for outsiders
