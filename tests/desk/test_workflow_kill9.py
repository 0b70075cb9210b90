"""Reminders survive a worker killed with SIGKILL in the middle of a batch (THREATS row 11).

200 follow-ups are due; a real worker process (``python -m calmdesk.cli worker --batch``,
django-tasks database backend on a file SQLite database in a temporary data folder) sends
their reminders to a real SMTP server on loopback and is killed with SIGKILL three times
while it sends; each time it is restarted.  Finally ``tick()`` re-enqueues what the dead
workers left behind and one more worker drains it.  Every reminder must reach the sink
exactly once.
"""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.desk._smtp_sink import SmtpSink

N = 200

SETUP = textwrap.dedent(
    """
    import datetime as dt, json, django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", interactive=False, verbosity=0)
    from django.utils import timezone
    from calmdesk.desk.actions.organizations import do_create_organization, do_create_team
    from calmdesk.desk.actions.users import do_create_user
    from calmdesk.desk.actions.clients import do_create_client
    from calmdesk.desk.actions.cases import do_create_case
    from calmdesk.desk.actions.followups import do_add_followup
    from calmdesk.desk.models import FollowUp
    from calmdesk.desk import tasks
    org = do_create_organization("Kill Nine", slug="k9")
    team = do_create_team(None, org, "Desk", slug="desk")
    agent = do_create_user(None, username="agent", password=None, organization=org,
                           team=team, role="agent", email="agent@example.test")
    client = do_create_client(None, organization=org, team=team, name="C", email="c@example.test")
    case = do_create_case(agent, client=client, team=team, subject="Many promises",
                          channel="email", assignee=agent)
    due = timezone.now() + dt.timedelta(minutes=30)
    ids = [do_add_followup(agent, case=case, action=f"Promise {i}", due_at=due).pk
           for i in range(N)]
    remind_at = timezone.now() - dt.timedelta(seconds=1)
    FollowUp.objects.filter(pk__in=ids).update(remind_at=remind_at)
    for pk in ids:
        tasks.followup_reminder.enqueue(pk, "reminder")
    print(json.dumps({"remind_at": remind_at.timestamp(), "ids": ids}))
    """
).replace("range(N)", f"range({N})")

TICK = textwrap.dedent(
    """
    import datetime as dt, django
    django.setup()
    from django.utils import timezone
    from calmdesk.desk.tasks import tick
    print(tick(now=timezone.now() + dt.timedelta(minutes=15)))
    """
)

LEDGER = textwrap.dedent(
    """
    import json, django
    django.setup()
    from django.db.models import Count
    from calmdesk.desk.models import OutboundEmail, Notification
    print(json.dumps({
        "states": dict(OutboundEmail.objects.values_list("state").annotate(n=Count("id"))),
        "notifications": Notification.objects.filter(kind="reminder").count(),
    }))
    """
)


def _env(data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        CALMDESK_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="calmdesk.project.settings",
        CALMDESK_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        CALMDESK_SMTP_HOST="127.0.0.1",
        CALMDESK_SMTP_PORT=str(port),
        CALMDESK_LOG_LEVEL="ERROR",
    )
    return env


def _py(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "calmdesk.cli", "worker", "--batch"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_reminders_are_delivered_exactly_once_across_kill_9(tmp_path):
    import json

    rng = random.Random(9)
    with SmtpSink() as sink:
        env = _env(tmp_path, sink.port)
        t0 = time.time()
        setup = json.loads(_py(SETUP, env))
        t_setup = time.time() - t0
        remind_at = setup["remind_at"]
        kills = []
        restarted_at = None
        for target in sorted(rng.sample(range(20, N - 20), 3)):
            proc = _worker(env)
            deadline = time.time() + 60
            while sink.count() < target and proc.poll() is None and time.time() < deadline:
                time.sleep(0.002)
            # A random extra delay, so the kill lands anywhere in a task: before the ledger
            # commit, in the SMTP dialogue, or between tasks.
            time.sleep(rng.random() * 0.08)
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                kills.append(sink.count())
            restarted_at = time.time()
        proc = _worker(env)
        assert proc.wait(timeout=120) == 0
        tick_report = _py(TICK, env)
        proc = _worker(env)
        assert proc.wait(timeout=120) == 0
        ledger = json.loads(_py(LEDGER, env))
        messages = list(sink.messages)

    keys = collections.Counter(m.message["X-Calmdesk-Key"] for m in messages)
    ids = collections.Counter(m.message["Message-ID"] for m in messages)
    duplicates = sum(n - 1 for n in keys.values() if n > 1)
    lateness = max(m.at for m in messages) - remind_at
    after_restart = max(m.at for m in messages) - (restarted_at or remind_at)
    print(
        f"\nkill-9: scheduled {N}, delivered {len(keys)} distinct / {len(messages)} messages, "
        f"duplicates {duplicates}, kills at sink counts {kills}, "
        f"max lateness {lateness:.2f} s after due ({after_restart:.2f} s after the last "
        f"restart); setup {t_setup:.1f} s; {tick_report}; ledger {ledger}"
    )
    assert len(kills) == 3, "the worker finished before it could be killed"
    assert duplicates == 0 and len(ids) == len(messages)
    assert len(keys) == N
    assert ledger["states"] == {"sent": N}
    assert ledger["notifications"] == N
