"""``GET /healthz``: one answer a load balancer or monitor can act on (docs/deploy.md).

No sign-in (monitors have none) and nothing an outsider could use: only which checks pass and
the age of the oldest waiting task in whole seconds.  200 when every check passes, 503 when
one fails:

* ``database`` - a query answers;
* ``migrations`` - every migration of the code is applied (checked at most once a minute per
  process: it reads the migration graph);
* ``tasks`` - no task has waited longer than ``CALMDESK_HEALTH_TASK_AGE`` seconds (default
  900): the workers (or the embedded worker) are running and keep up.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

MIGRATIONS_TTL = 60.0  # seconds a passed migration check is trusted in one process
_migrations_ok_until = 0.0


def _database() -> bool:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        return bool(cursor.fetchone() == (1,))


def _migrations() -> bool:
    global _migrations_ok_until
    now = time.monotonic()
    if now < _migrations_ok_until:
        return True
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    ok = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    if ok:
        _migrations_ok_until = now + MIGRATIONS_TTL
    return ok


def _oldest_task_seconds() -> int:
    """How long the longest-waiting task that is due has waited (0: none waits).

    A task due later (a follow-up reminder for next week) is not waiting; one due now has
    waited since it became due, or since it was enqueued when it had no due time."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = timezone.now()
    due = DBTaskResult.objects.ready()
    unscheduled = (
        due.filter(run_after=get_date_max())
        .order_by("enqueued_at")
        .values_list("enqueued_at", flat=True)
        .first()
    )
    scheduled = (
        due.exclude(run_after=get_date_max())
        .order_by("run_after")
        .values_list("run_after", flat=True)
        .first()
    )
    since = [t for t in (unscheduled, scheduled) if t is not None]
    if not since:
        return 0
    return max(0, int((now - min(since)).total_seconds()))


def _run(check: Any) -> Any:
    try:
        return check()
    except Exception:  # a failing check is the answer, not an error page
        logger.exception("health check %s failed", getattr(check, "__name__", check))
        return None


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    limit = settings.CALMDESK_HEALTH_TASK_AGE
    database = _run(_database) is True
    migrations = database and _run(_migrations) is True
    age = _run(_oldest_task_seconds) if database else None
    tasks = age is not None and age <= limit
    checks = {
        "database": "ok" if database else "fail",
        "migrations": "ok" if migrations else "fail",
        "tasks": "ok" if tasks else "fail",
    }
    healthy = database and migrations and tasks
    body: dict[str, Any] = {"status": "ok" if healthy else "fail", "checks": checks}
    if age is not None:
        body["oldest_task_seconds"] = age
    return JsonResponse(body, status=200 if healthy else 503)
