"""Scale-out on PostgreSQL: 10,000 inbound messages, 2 task workers, one killed with SIGKILL.

Against the throwaway cluster of ``--db=postgres`` (a fresh database of its own): 10,000 raw
MIME messages (calmdesk.testing.scale: our own texts in four languages, ~1 % with a threat of
violence or self-harm, replies threading onto earlier messages) are stored through the real
entry point ``ingest_bytes(..., defer=True)`` — phase 1, one parse task each.  Then two real
``calmdesk worker --batch`` processes (django-tasks-db) run the parse tasks; when about half
of the messages are filed one worker is killed with SIGKILL (at a random moment, most often
inside a task) and started again.  ``calmdesk tick`` (the sweeper) runs once, one more worker
drains whatever it enqueued (crisis alert emails, anything left behind).

Checked: every message stored once and parsed (none lost, none quarantined), exactly one
inbound interaction per message (no duplicates, none missing), every crisis message opened
its incident and its alert email was sent once, every hash chain intact.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(3600)]

N = int(os.environ.get("CALMDESK_SCALE_N", "10000"))

SETUP = textwrap.dedent(
    """
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", interactive=False, verbosity=0)
    from calmdesk.testing.scale import build_world
    build_world("scale")
    """
)

INGEST = textwrap.dedent(
    """
    import json, sys, time, django
    django.setup()
    from calmdesk.channels.ingest import ingest_bytes
    from calmdesk.channels.models import Mailbox
    from calmdesk.testing.scale import build_world, corpus
    n = int(sys.argv[1])
    mailbox = Mailbox.objects.get(pk=build_world("scale").mailbox_id)
    t0 = time.monotonic()
    created = sum(ingest_bytes(raw, mailbox=mailbox, source="http", defer=True)[1]
                  for raw in corpus(n))
    print(json.dumps({"created": created, "seconds": time.monotonic() - t0}))
    """
)

CENSUS = textwrap.dedent(
    """
    import json, django
    django.setup()
    from calmdesk.testing.scale import build_world, census
    print(json.dumps(census(build_world("scale"))))
    """
)


def _database_url(name: str) -> str:
    base = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(base._replace(path=f"/{name}"))


def _sql(url: str, query: str, *params: object) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query, params)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


def _py(code: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def _worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "calmdesk.cli", "worker", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )


class _Watch:
    """One connection for the progress polls (a new connection per poll costs the server a
    process start)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)

    def count(self, query: str) -> int:
        row = self.conn.execute(query).fetchone()  # type: ignore[arg-type]
        return int(row[0]) if row else 0

    def done(self) -> int:
        return self.count("SELECT count(*) FROM channels_rawmessage WHERE state <> 'stored'")


def test_ten_thousand_messages_two_workers_one_killed(tmp_path):
    from calmdesk.testing.scale import crisis_ids

    rng = random.Random(10_000)
    name = f"scale_{uuid.uuid4().hex[:8]}"
    _sql(os.environ["DATABASE_URL"], f"CREATE DATABASE {name}")
    url = _database_url(name)
    env = {k: v for k, v in os.environ.items()}
    env.update(
        DATABASE_URL=url,
        # One host: the data folder (and so the raw files) is shared by all processes.
        CALMDESK_DATA_DIR=str(tmp_path / "data"),
        DJANGO_SETTINGS_MODULE="calmdesk.project.settings",
        CALMDESK_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        CALMDESK_LOG_LEVEL="ERROR",
    )
    log = tmp_path / "workers.log"
    _py(SETUP, env)
    # Mail keeps arriving while the two workers (on one host here) file it.
    t0 = time.monotonic()
    ingest = subprocess.Popen(
        [sys.executable, "-c", INGEST, str(N)], env=env, stdout=subprocess.PIPE, text=True
    )
    victim, other = _worker(env, log), _worker(env, log)
    watch = _Watch(url)
    target = N // 2 + rng.randrange(-N // 10, N // 10)
    deadline = time.monotonic() + 3300
    while watch.done() < target and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(rng.random() * 0.05)  # land anywhere in a task
    assert victim.poll() is None, log.read_text()[-3000:]
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    killed_at = watch.done()
    claim = f"{socket.gethostname()[:60]}:{victim.pid}"
    # What the dead worker held: django-tasks-db leaves it "RUNNING" for ever.
    orphans = _sql(
        url,
        "SELECT t.args_kwargs, r.state FROM django_tasks_database_dbtaskresult t "
        "LEFT JOIN channels_rawmessage r ON r.id = (t.args_kwargs->'args'->>0)::bigint "
        "WHERE t.status = 'RUNNING' AND t.worker_ids->>-1 = %s",
        claim,
    )
    restarted = _worker(env, log)  # its start-up takes up what the dead worker left
    out, _ = ingest.communicate(timeout=3300)
    assert ingest.returncode == 0
    stored = json.loads(out.strip().splitlines()[-1])
    assert stored["created"] == N
    while watch.done() < N and time.monotonic() < deadline:
        time.sleep(0.5)
    t_filed = time.monotonic() - t0
    # The sweeper, as cron runs it every minute (alert emails, anything left behind).
    tick = subprocess.run(
        [sys.executable, "-m", "calmdesk.cli", "tick"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tick.returncode == 0, tick.stderr[-3000:]
    waiting = "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'READY'"
    while watch.count(waiting) and time.monotonic() < deadline:
        time.sleep(0.5)
    watch.conn.close()
    for proc in (restarted, other):
        proc.send_signal(signal.SIGTERM)  # graceful: the running task is finished first
    for proc in (restarted, other):
        assert proc.wait(timeout=120) == 0, log.read_text()[-3000:]
    result = json.loads(_py(CENSUS, env))
    t_total = time.monotonic() - t0
    stuck = _sql(
        url,
        "SELECT status, count(*) FROM django_tasks_database_dbtaskresult "
        "WHERE status IN ('READY', 'RUNNING') GROUP BY status",
    )
    requeued = _sql(
        url,
        "SELECT count(*) FROM django_tasks_database_dbtaskresult "
        "WHERE exception_class_path LIKE '%%WorkerDied'",
    )

    print(
        f"\nscale-out: {N} messages; stored in {stored['seconds']:.1f} s "
        f"({N / stored['seconds']:.0f}/s) while 2 workers filed them, all filed after "
        f"{t_filed:.1f} s ({N / t_filed:.0f}/s), total {t_total:.1f} s; "
        f"killed at {killed_at} filed, the dead worker held {orphans}; "
        f"dead tasks marked {requeued[0][0]}; {tick.stdout.strip()}; "
        f"incidents {result['incidents']}, crisis emails {result['crisis_emails']}"
    )
    expected_crisis = crisis_ids(N)
    assert result["raw"] == N
    assert result["states"] == {"parsed": N}, result["states"]
    assert result["inbound"] == N
    assert result["raws_logged_twice"] == 0
    assert result["raws_never_logged"] == 0
    assert result["raws_linked"] == N
    assert result["incidents"] == len(expected_crisis)
    assert set(result["incident_message_ids"]) == expected_crisis
    assert result["crisis_emails"] == {"sent": len(expected_crisis)}
    assert result["chain_breaks"] == []
    assert stuck == [], f"tasks left waiting: {stuck}"
