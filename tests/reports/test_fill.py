"""The fill job: idempotent, resumable, and late changes reach the counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from calmdesk.desk.actions import followups as fu
from calmdesk.desk.actions.cases import do_create_case, do_set_root_cause
from calmdesk.desk.actions.interactions import do_receive_message
from calmdesk.desk.models import Case, FollowUp
from calmdesk.reports import fill as fill_mod
from calmdesk.reports.fill import counted_until, fill
from calmdesk.reports.models import DailyCount, FillState
from tests.reports.conftest import UPSET_PL, RWorld, snapshot


def _sum(org_id: int, stat: str, **dims: Any) -> int:
    rows = DailyCount.objects.filter(organization_id=org_id, stat=stat, tag="", **dims)
    return sum(rows.values_list("n", flat=True))


def test_full_fill_twice_and_incremental_give_identical_tables(rworld: RWorld) -> None:
    fill(full=True)
    first = snapshot()
    assert first, "the small world has figures"
    fill(full=True)
    assert snapshot() == first
    fill()  # nothing changed: the incremental fill rewrites nothing differently
    assert snapshot() == first
    north = rworld.orgs["north"].pk
    assert _sum(north, "cases.opened") == 3
    assert _sum(rworld.orgs["south"].pk, "cases.opened") == 1
    assert counted_until(north) is not None


def _spread_over_days(w: RWorld) -> list[dt.date]:
    """Move the north cases to three different days (two and one day ago, today)."""
    now = timezone.now()
    days = []
    for back, key in ((2, "late"), (1, "bill"), (0, "bounce")):
        when = now - dt.timedelta(days=back)
        Case.objects.filter(pk=w.cases[key].pk).update(created_at=when)
        days.append(when.date())
    return days


def test_a_crash_inside_a_day_leaves_earlier_days_and_the_day_is_redone(
    rworld: RWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = _spread_over_days(rworld)
    north = rworld.orgs["north"].pk
    fill(full=True)
    expected = snapshot()
    # Make the stored counts of the middle day wrong, as if a crash had hit it earlier.
    middle = DailyCount.objects.filter(
        organization_id=north, day=days[1], stat="cases.opened", tag=""
    )
    middle.update(n=99)

    real = fill_mod._insert
    monkeypatch.setattr(fill_mod, "PERIOD_DAYS", 1)  # one transaction per day

    def crash_on_middle_day(rows: list[tuple[Any, ...]]) -> None:
        real(rows)  # the day's rows are deleted and inserted ... then the power goes
        if any(r[1] == "cases.opened" and r[2] == days[1] for r in rows):
            raise RuntimeError("power cut")

    monkeypatch.setattr(fill_mod, "_insert", crash_on_middle_day)
    with pytest.raises(RuntimeError, match="power cut"):
        fill(full=True, analyse=False)
    state = FillState.objects.get(organization_id=north, table="cases")
    assert state.state == "started"
    assert state.done_until == days[0], "the days before the crash are done"
    # the crashed day's transaction rolled back as a whole: its old rows are still there
    assert list(middle.values_list("n", flat=True)) == [99]

    monkeypatch.setattr(fill_mod, "_insert", real)
    resumed = fill()  # the next (ordinary) fill resumes the interrupted refill ...
    assert resumed.days["cases"] == 2, "... from the crashed day (two days left to today)"
    assert snapshot() == expected
    state.refresh_from_db()
    assert state.state == "done"


def test_incremental_fill_picks_up_late_changes(rworld: RWorld) -> None:
    north = rworld.orgs["north"].pk
    a = rworld.users["agent_a"]
    fill(full=True)
    assert _sum(north, "cases.conflict", key="billing") == 1
    open_promise = FollowUp.objects.get(case=rworld.cases["late"], status="open")
    assert _sum(north, "promises", key="kept") == 1

    # Later: the case is re-categorised, a promise is kept, a new angry case arrives.
    do_set_root_cause(a, rworld.cases["bill"], "policy")
    fu.do_close_followup(a, open_promise)
    new = do_create_case(
        a,
        client=rworld.cases["bill"].client,
        team=rworld.teams["alpha"],
        subject="Another invoice",
        channel="web",
    )
    do_receive_message(None, case=new, text=UPSET_PL, channel="web", language="pl")
    report = fill()
    assert report.analysed == 1
    assert _sum(north, "cases.conflict", key="billing") == 0
    assert _sum(north, "cases.conflict", key="policy") == 1
    assert _sum(north, "promises", key="kept") == 2
    assert _sum(north, "cases.opened") == 4
    assert _sum(north, "msgs.client", channel="web") == 1
    # the incremental result equals a full recount
    incremental = snapshot()
    fill(full=True)
    assert snapshot() == incremental


def test_incremental_fill_counts_a_promise_falling_due(rworld: RWorld) -> None:
    north = rworld.orgs["north"].pk
    fill(full=True)
    assert _sum(north, "promises", key="overdue") == 0
    later = timezone.now() + dt.timedelta(hours=30)  # the auto-extracted "today" promise is due
    fill(now=later, analyse=False, cluster=False)
    assert _sum(north, "promises", key="overdue") == 1


def test_incremental_fill_writes_only_touched_days(rworld: RWorld) -> None:
    _spread_over_days(rworld)
    fill(full=True)
    report = fill()
    assert report.days.get("cases", 0) == 0
    do_set_root_cause(rworld.users["agent_a"], rworld.cases["late"], "policy")
    report = fill()
    assert report.days["cases"] == 1


def test_tick_runs_the_fill_once_an_hour(rworld: RWorld) -> None:
    from calmdesk.desk.tasks import tick

    first = tick(inline=True)
    assert first.results.get("reports-fill", 0) > 0
    assert FillState.objects.filter(table="cases").count() == 2
    second = tick(inline=True)
    assert "reports-fill" not in second.results
    later = tick(timezone.now() + dt.timedelta(hours=2), inline=True)
    assert "reports-fill" in later.results


def test_cli_reports_fill(rworld: RWorld, capsys: pytest.CaptureFixture[str]) -> None:
    from calmdesk.cli import main

    assert main(["reports-fill", "--full", "--org", "north"]) == 0
    assert "reports-fill:" in capsys.readouterr().out
    assert DailyCount.objects.filter(organization_id=rworld.orgs["north"].pk).exists()
    assert not DailyCount.objects.filter(organization_id=rworld.orgs["south"].pk).exists()
    assert main(["reports-fill", "--org", "nowhere"]) == 1
    assert "nowhere" in capsys.readouterr().err
