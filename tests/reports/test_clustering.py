"""Emerging problems: a complaint that suddenly grows is found, with its own examples."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from calmdesk.desk.actions.cases import do_create_case
from calmdesk.desk.actions.clients import do_create_client
from calmdesk.desk.actions.interactions import do_receive_message
from calmdesk.desk.actions.organizations import do_create_organization, do_create_team
from calmdesk.desk.actions.users import do_create_user
from calmdesk.desk.models import Interaction
from calmdesk.reports.clustering import compute, refresh_if_stale
from calmdesk.reports.definitions import REPORTS
from calmdesk.reports.models import EmergingCluster
from calmdesk.reports.signals import analyze_pending
from calmdesk.reports.types import ReportFilters, ReportScope

# Old, steady complaints (both windows) — written by us.
STEADY = [
    "My invoice is wrong again, you charged me twice for {m}. I am very annoyed.",
    "The parcel with {m} is late again and nobody tells me anything. This is awful.",
    "Your hotline kept me waiting for an hour about {m}. Terrible service.",
    "I was promised a refund for {m} and it never came. I am angry.",
]
# The planted new problem: only in the last days.
PLANTED = (
    "The mobile app crashes every time I try to upload the photo of my meter {m}. "
    "This is so frustrating!"
)
THINGS = ["the router", "the modem", "my phone", "the tablet", "the speaker", "the charger"]


def _world() -> tuple[Any, Any, list[int]]:
    org = do_create_organization("Cluster Gas", slug="cluster-gas")
    team = do_create_team(None, org, "Meters", slug="meters")
    other = do_create_team(None, org, "Billing", slug="billing")
    agent = do_create_user(
        None, username="meter_agent", password=None, organization=org, team=team, role="agent"
    )
    client = do_create_client(None, organization=org, team=team, name="Many Voices")
    now = timezone.now()
    planted: list[int] = []

    def message(text: str, days_ago: float, where: Any) -> int:
        case = do_create_case(agent, client=client, team=where, subject="Meter", channel="web")
        row = do_receive_message(
            None,
            case=case,
            text=text,
            channel="web",
            language="en",
            occurred_at=now - dt.timedelta(days=days_ago),
        )
        return int(row.pk)

    for i in range(24):
        template = STEADY[i % len(STEADY)]
        message(template.format(m=THINGS[i % len(THINGS)]), 1 + (i * 26) / 24, other)
    for i in range(10):
        planted.append(message(PLANTED.format(m=f"number {100 + i}"), 0.2 + i * 0.5, team))
    analyze_pending(org.pk)
    return org, team, planted


def test_a_planted_growing_complaint_is_a_new_cluster(db: Any) -> None:
    org, team, planted = _world()
    clusters = compute(org)
    assert clusters == list(EmergingCluster.objects.filter(organization_id=org.pk).order_by("pk"))
    top = clusters[0]
    assert top.new and top.size >= 8 and top.previous == 0
    assert {"app", "crashes", "upload", "meter", "photo"} & set(top.terms)
    assert {int(e[0]) for e in top.examples} <= set(planted)
    assert top.team_counts[str(team.pk)][0] == top.size
    # the steady complaints are not new
    assert all(not c.new for c in clusters[1:] if c.previous)

    today = timezone.now().date()
    period = ReportFilters(date_from=today - dt.timedelta(days=13), date_to=today)
    readable = ReportScope(organization_id=org.pk, team_ids=(team.pk,), text_team_ids=(team.pk,))
    result = REPORTS["emerging-problems"].build(period, readable)
    row = result.tables[0].rows[0]
    assert row[4] == "new" and row[2] == top.size
    shown = str(row[5])
    assert shown.startswith("The mobile app crashes")
    assert Interaction.objects.filter(pk__in=planted, text__startswith=shown[:40]).exists()
    assert result.tables[0].row_links[0] is not None
    # without the right to read the team's text: the figures, never the message
    blind = ReportScope(organization_id=org.pk, team_ids=(team.pk,))
    hidden = REPORTS["emerging-problems"].build(period, blind)
    assert hidden.tables[0].rows[0][5] is None and hidden.tables[0].row_links[0] is None


def test_clustering_runs_once_a_day(db: Any) -> None:
    org, _team, _planted = _world()
    assert refresh_if_stale(org) is not None
    assert refresh_if_stale(org) is None
    tomorrow = timezone.now() + dt.timedelta(days=1)
    assert refresh_if_stale(org, now=tomorrow) is not None


def test_too_few_messages_make_no_cluster(db: Any) -> None:
    org = do_create_organization("Quiet", slug="quiet")
    assert compute(org) == []
