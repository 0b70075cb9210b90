"""Follow-up reminders across daylight-saving changes (THREATS row 12), and recovery of
emails a dead worker left behind (row 11).  Time is driven by passing ``now`` explicitly."""

from __future__ import annotations

import collections
import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest

from calmdesk.desk.actions.followups import do_add_followup
from calmdesk.desk.actions.interactions import do_send_reply
from calmdesk.desk.lib.business_time import local_to_utc
from calmdesk.desk.models import FollowUp, Notification, OutboundEmail, User
from calmdesk.desk.tasks import tick
from tests.desk._smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db

# (zone, the local date of a transition in 2026): spring forward and fall back.
TRANSITIONS = [
    ("Europe/Warsaw", dt.date(2026, 3, 29)),
    ("Europe/Warsaw", dt.date(2026, 10, 25)),
    ("Europe/Belgrade", dt.date(2026, 3, 29)),
    ("Europe/Belgrade", dt.date(2026, 10, 25)),
    ("Asia/Jerusalem", dt.date(2026, 3, 27)),
    ("Asia/Jerusalem", dt.date(2026, 10, 25)),
    ("America/New_York", dt.date(2026, 3, 8)),
    ("America/New_York", dt.date(2026, 11, 1)),
]


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_local_time_rule_for_missing_and_repeated_hours():
    # 02:30 does not exist on 2026-03-29 in Warsaw: it moves forward by the gap (03:30 CEST).
    gap = local_to_utc(dt.date(2026, 3, 29), dt.time(2, 30), "Europe/Warsaw")
    assert gap.astimezone(ZoneInfo("Europe/Warsaw")).time() == dt.time(3, 30)
    # 02:30 happens twice on 2026-10-25: the first occurrence (still CEST, UTC+2).
    twice = local_to_utc(dt.date(2026, 10, 25), dt.time(2, 30), "Europe/Warsaw")
    assert twice == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)
    # New York: 02:30 on 2026-03-08 does not exist -> 03:30 EDT; on 11-01 -> 02:30 EDT.
    ny = ZoneInfo("America/New_York")
    assert local_to_utc(dt.date(2026, 3, 8), dt.time(2, 30), str(ny)).astimezone(ny).time() == (
        dt.time(3, 30)
    )
    assert local_to_utc(dt.date(2026, 11, 1), dt.time(1, 30), str(ny)) == dt.datetime(
        2026, 11, 1, 5, 30, tzinfo=dt.UTC
    )


def test_reminders_fire_at_the_intended_local_time_across_dst(world, locmem):
    agent = world.users["agent_a"]
    case = world.cases["a2"]
    figures: collections.Counter[str] = collections.Counter()
    for zone_name, day in TRANSITIONS:
        zone = ZoneInfo(zone_name)
        User.objects.filter(pk=agent.pk).update(timezone=zone_name)
        agent.refresh_from_db()
        said = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12, 0), zone)
        reply = do_send_reply(
            agent,
            case=case,
            text="I will call you back tomorrow at 10:00.",
            channel="email",
            occurred_at=said,
        )
        extracted = FollowUp.objects.get(source_interaction=reply)
        manual = do_add_followup(
            agent,
            case=case,
            action="Check the meter",
            due_date=day,
            due_time=dt.time(16, 0),
            now=said,
        )
        # Step through 30 hours in 15-minute steps, as a per-minute cron would see them.
        start = said.astimezone(dt.UTC).replace(minute=0)
        for step in range(0, 30 * 4 + 1):
            tick(now=start + dt.timedelta(minutes=15 * step), inline=True)
        for followup, due_local in ((extracted, dt.time(10, 0)), (manual, dt.time(16, 0))):
            followup.refresh_from_db()
            assert followup.due_at.astimezone(zone).time() == due_local, (zone_name, day)
            assert followup.due_at.astimezone(zone).date() == day
            fired = collections.defaultdict(list)
            for n in Notification.objects.filter(data__followup=followup.pk):
                fired[n.data["phase"]].append(dt.datetime.fromisoformat(n.data["fired_at"]))
            reminders = sorted(set(fired["reminder"]))
            overdue = sorted(set(fired["overdue"]))
            assert len(reminders) == 1, (zone_name, day, reminders)  # not missed, not doubled
            expected = (dt.datetime.combine(day, due_local) - dt.timedelta(hours=1)).time()
            assert reminders[0].astimezone(zone).time() == expected, (zone_name, day)
            assert len(overdue) == 1
            assert overdue[0].astimezone(zone).time() == due_local, (zone_name, day)
            figures["reminders"] += 1
            figures["overdue"] += 1
        FollowUp.objects.filter(pk__in=[extracted.pk, manual.pk]).update(status="kept")
    sent = OutboundEmail.objects.filter(kind="reminder").count()
    print(
        f"\nDST: {len(TRANSITIONS)} zone-transitions, {dict(figures)} each fired once at the "
        f"intended local time; {sent} reminder emails"
    )
    assert figures["reminders"] == 2 * len(TRANSITIONS)


def test_tick_recovers_what_a_dead_worker_left_and_never_sends_twice(world, settings):
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        agent = world.users["agent_a"]
        User.objects.filter(pk=agent.pk).update(email="agent@example.test")
        agent.refresh_from_db()
        now = dt.datetime.now(dt.UTC)
        made = [
            do_add_followup(
                agent, case=world.cases["a2"], action=f"P{i}", due_at=now + dt.timedelta(hours=3)
            )
            for i in range(3)
        ]
        FollowUp.objects.filter(pk__in=[f.pk for f in made]).update(
            remind_at=now - dt.timedelta(minutes=1)
        )
        from calmdesk.desk.actions import followups as fu

        # 1: the job committed its ledger row, then the worker died before sending.
        real = fu.__dict__.get("deliver")
        import calmdesk.desk.lib.mail as mail

        original = mail.deliver
        mail.deliver = lambda row_id: False  # the process "dies" before delivery
        try:
            fu.run_followup_phase(made[0].pk, "reminder", now)
        finally:
            mail.deliver = original
        del real
        # 2: a worker claimed the row and died in the middle of the SMTP dialogue.
        fu.run_followup_phase(made[1].pk, "reminder", now)  # sent normally
        row = OutboundEmail.objects.filter(key__startswith=f"followup:{made[2].pk}:").first()
        assert row is None
        mail.deliver = lambda row_id: False
        try:
            fu.run_followup_phase(made[2].pk, "reminder", now)
        finally:
            mail.deliver = original
        dead_pid = _dead_pid()
        import socket

        OutboundEmail.objects.filter(key__startswith=f"followup:{made[2].pk}:").update(
            state="sending",
            claimed_by=f"{socket.gethostname()[:60]}:{dead_pid}",
            lease_until=now + dt.timedelta(hours=1),
        )
        assert sink.count() == 1
        first = tick(now=now, inline=True)
        second = tick(now=now + dt.timedelta(minutes=1), inline=True)
        keys = collections.Counter(m.message["X-Calmdesk-Key"] for m in sink.messages)
    assert first.emails == 2 and second.emails == 0
    assert sorted(keys.values()) == [1, 1, 1]
    assert set(OutboundEmail.objects.filter(kind="reminder").values_list("state", flat=True)) == {
        "sent"
    }


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    try:
        os.kill(proc.pid, 0)
    except ProcessLookupError:
        return proc.pid
    pytest.skip("could not find a dead pid")  # pragma: no cover
    return 0


def test_one_tick_fires_every_due_reminder_once(world, locmem):
    agent = world.users["agent_a"]
    now = dt.datetime.now(dt.UTC)
    made = [
        do_add_followup(
            agent, case=world.cases["a2"], action=f"P{i}", due_at=now + dt.timedelta(hours=2)
        )
        for i in range(30)
    ]
    later = now + dt.timedelta(hours=1, minutes=1)
    assert tick(now=later, inline=True).reminders == 30
    assert tick(now=later, inline=True).reminders == 0
    for f in made:
        assert Notification.objects.filter(data__followup=f.pk, data__phase="reminder").count() == 1


@pytest.mark.parametrize(
    ("zone_name", "day"),
    [("Europe/Warsaw", dt.date(2026, 10, 25)), ("Asia/Jerusalem", dt.date(2026, 3, 27))],
)
def test_the_clock_itself_travels_across_dst(world, locmem, zone_name, day):
    """The same rule with the wall clock moved by time-machine (no ``now=`` anywhere): the
    reply, the promise and every sweep read the real clock."""
    import time_machine

    zone = ZoneInfo(zone_name)
    agent = world.users["agent_a"]
    User.objects.filter(pk=agent.pk).update(timezone=zone_name)
    agent.refresh_from_db()
    said = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12, 0), zone)
    with time_machine.travel(said, tick=False):
        reply = do_send_reply(
            agent,
            case=world.cases["a2"],
            text="I will call you back tomorrow at 10:00.",
            channel="email",
        )
    followup = FollowUp.objects.get(source_interaction=reply)
    assert followup.due_at.astimezone(zone).time() == dt.time(10, 0)
    start = said.astimezone(dt.UTC)
    for step in range(0, 26 * 4 + 1):
        with time_machine.travel(start + dt.timedelta(minutes=15 * step), tick=False):
            tick(inline=True)
    phases = collections.defaultdict(list)
    for n in Notification.objects.filter(data__followup=followup.pk):
        phases[n.data["phase"]].append(dt.datetime.fromisoformat(n.data["fired_at"]))
    reminders = sorted(set(phases["reminder"]))
    overdue = sorted(set(phases["overdue"]))
    assert [r.astimezone(zone).time() for r in reminders] == [dt.time(9, 0)]
    assert [o.astimezone(zone).time() for o in overdue] == [dt.time(10, 0)]
    assert reminders[0].astimezone(zone).date() == day
