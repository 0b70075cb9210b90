"""Coaching report: suggestions accepted (applied in the composer, then sent) next to the
findings dismissed, per rule family, for the team and for one agent (issue #8)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from calmdesk.desk.actions.interactions import do_send_reply
from calmdesk.reports.definitions import REPORTS
from calmdesk.reports.fill import fill
from calmdesk.reports.models import DailyCount, ReplyFact
from calmdesk.reports.types import ReportFilters, ReportResult, ReportScope, Table
from tests.reports.conftest import RWorld, snapshot

pytestmark = pytest.mark.django_db

VAGUE_PL = "pl.over-promising.niejasny-termin"
BLAME_PL = "pl.blame.nie-nasza-wina"
BLAME_EN = "en.blame.not-our-fault"


def _period(**kw: Any) -> ReportFilters:
    today = timezone.now().date()
    return ReportFilters(date_from=today - dt.timedelta(days=6), date_to=today, **kw)


def _scope(w: RWorld, teams: tuple[str, ...] = ("alpha", "beta")) -> ReportScope:
    ids = tuple(w.teams[t].pk for t in teams)
    return ReportScope(
        organization_id=w.orgs["north"].pk,
        team_ids=ids,
        agent_ids=tuple(w.users[u].pk for u in ("agent_a", "agent_b")),
        text_team_ids=ids,
        wellbeing=True,
    )


def _table(result: ReportResult, key: str) -> Table:
    return next(t for t in result.tables if t.key == key)


def _families(result: ReportResult) -> dict[str, tuple[int, int]]:
    """family → (dismissed, accepted), families with either"""
    table = _table(result, "families")
    columns = [c.key for c in table.columns]
    at_d, at_a = columns.index("dismissed"), columns.index("accepted")
    found = {str(r[0]): (int(r[at_d] or 0), int(r[at_a] or 0)) for r in table.rows}
    return {k: v for k, v in found.items() if v != (0, 0)}


def _summary(result: ReportResult) -> dict[str, Any]:
    return {str(r[0]): r[1] for r in _table(result, "coaching").rows}


@pytest.fixture
def accepted(rworld: RWorld) -> RWorld:
    """agent_a applied two suggestions in a Polish reply (one rule twice: counted once) and
    one in another; agent_b one in English.  agent_a also dismissed a blame finding
    (conftest)."""
    a, b = rworld.users["agent_a"], rworld.users["agent_b"]
    bill, bounce = rworld.cases["bill"], rworld.cases["bounce"]
    do_send_reply(
        a,
        case=bill,
        text="Przepraszam za błąd w fakturze, poprawiam ją teraz.",
        channel="chat",
        coach_applied=[VAGUE_PL, BLAME_PL, BLAME_PL],
    )
    do_send_reply(
        a,
        case=bill,
        text="Poprawiona faktura jest już w Pana skrzynce.",
        channel="chat",
        coach_applied=[BLAME_PL],
    )
    do_send_reply(
        b,
        case=bounce,
        text="I am sorry for the trouble, I am checking your contract now.",
        channel="phone",
        coach_applied=[BLAME_EN],
    )
    fill(full=True)
    return rworld


def test_reply_facts_keep_the_applied_rules(accepted: RWorld) -> None:
    applied = sorted(
        tuple(f.applied) for f in ReplyFact.objects.filter(author_id=accepted.users["agent_a"].pk)
    )
    assert applied == [(), (BLAME_PL,), (BLAME_PL, VAGUE_PL)]  # the conftest reply: none
    rows = DailyCount.objects.filter(stat="coach.accepted", tag="")
    by_family = {k: sum(r.n for r in rows if r.key == k) for k in {r.key for r in rows}}
    assert by_family == {"blame": 3, "over-promising": 1}


def test_team_report_shows_accepted_next_to_dismissed(accepted: RWorld) -> None:
    report = REPORTS["coaching"].build(_period(), _scope(accepted))
    families = _families(report)
    assert families["blame"] == (1, 3)  # dismissed once (agent_a), accepted 3 times
    assert families["over-promising"] == (0, 1)
    summary = _summary(report)
    assert summary["Suggestions accepted"] == 4 and summary["Findings dismissed"] == 1
    chart = next(c for c in report.charts if c.key == "findings-per-family")
    assert "Suggestion accepted" in [s.label for s in chart.series]
    assert not any("not recorded" in n for n in report.notes)
    # filtered (detailed rows) gives the same figures as the roll-up
    chat = _families(REPORTS["coaching"].build(_period(channel="chat"), _scope(accepted)))
    assert chat["blame"] == (1, 2) and chat["over-promising"] == (0, 1)
    # a team outside the scope is not counted: alpha only drops agent_b's English reply
    alpha = _families(REPORTS["coaching"].build(_period(), _scope(accepted, ("alpha",))))
    assert alpha["blame"] == (1, 2)


def test_agent_report_counts_only_that_agent(accepted: RWorld) -> None:
    a, b = accepted.users["agent_a"].pk, accepted.users["agent_b"].pk
    mine = _families(REPORTS["coaching"].build(_period(agent_id=a), _scope(accepted)))
    assert mine == {"blame": (1, 2), "over-promising": (0, 1)}
    theirs = _families(REPORTS["coaching"].build(_period(agent_id=b), _scope(accepted)))
    assert theirs == {"blame": (0, 1)}


def test_agent_sees_own_accepted_and_dismissed_over_http(accepted: RWorld) -> None:
    """An agent leads no team: the page opens on their own figures, per rule family."""
    client = HttpClient()
    client.force_login(accepted.users["agent_a"])
    page = client.get(reverse("reports:report", args=["coaching"])).content.decode()
    table = re.search(r'<table[^>]*id="table-families".*?</table>', page, re.S)
    assert table is not None
    head = re.findall(r"<th[^>]*>(.*?)</th>", table.group(0), re.S)
    assert any("Suggestions accepted by the agent" in h for h in head), head
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)[1:]:
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        rows[cells[0]] = cells
    assert rows["blame"][2:] == ["1", "2"], rows
    assert rows["over-promising"][2:] == ["0", "1"], rows


def test_refill_is_idempotent_with_accepted(accepted: RWorld) -> None:
    before = snapshot()
    fill(full=True)
    assert snapshot() == before
    fill()
    assert snapshot() == before
