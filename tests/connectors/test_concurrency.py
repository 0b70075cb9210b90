"""The same webhook delivered by several connections at once (a helpdesk retrying while the
first attempt is still running): one delivery, one client message, one note (THREATS.md
row 10).  PostgreSQL only: real concurrent transactions."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient

from calmdesk.connectors import ingest
from calmdesk.connectors.models import Delivery
from calmdesk.desk.models import Case, CrisisIncident, Interaction, Kind
from tests.connectors.conftest import fixture, sign
from tests.desk.conftest import flushable_logs  # noqa: F401  (re-exported fixture)

pytestmark = [pytest.mark.postgres]

CRISIS = b'"content": "If nobody fixes this today I will come to your office and hurt someone.",'


def test_ten_concurrent_deliveries_of_one_message(
    flushable_logs: Any,  # noqa: F811
    world: Any,
    api: Any,
) -> None:
    body = fixture("chatwoot_incoming.json")
    start = body.index(b'"content"')
    end = body.index(b"\n", start)
    body = body[:start] + CRISIS + body[end + 1 :]
    headers = sign("chatwoot", body)
    barrier = threading.Barrier(10)
    answers: list[int] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=30)
            r = HttpClient().post(
                world.url("chatwoot"), data=body, content_type="application/json", **headers
            )
            answers.append(r.status_code)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and answers == [202] * 10
    assert Delivery.objects.count() == 1
    assert Case.objects.count() == 1
    assert Interaction.objects.filter(kind=Kind.INBOUND).count() == 1
    assert CrisisIncident.objects.count() == 1
    row = Delivery.objects.get()
    for _ in range(3):
        ingest.process(row.pk)
    assert len(api.requests) == 1
