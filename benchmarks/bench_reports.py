"""Speed of the reports at scale (issue 8).

    .venv/bin/python benchmarks/bench_reports.py [--cases 100000] [--interactions 1000000]
        [--db sqlite|postgres|both] [--n 20]

For each database (a temporary SQLite file; a throwaway PostgreSQL cluster from
calmdesk.testing.pgcluster), in its own process:
1. generates the data (scripts/generate_report_data.py: cases, interactions with valid hash
   chains, promises, surveys, transfers, facts ...) over the last 365 days;
2. times a full refill of the count tables (target <= 5 min on one core) and the daily
   clustering of emerging problems;
3. adds an hour of new data (new cases and messages without facts, older cases resolved,
   promises kept) and times the incremental fill, analysis of the new messages included
   (target <= 10 s);
4. times every report page through Django's test client at /reports/<slug>/ as an admin of
   every team — default period and the last 365 days — p50/p95 (target p95 <= 500 ms), and a
   plain page as the reference.  If the pages do not answer 200, times
   ``REPORTS[slug].build`` instead and says so.
Wall times are printed with the process's CPU time: on a shared machine the two differ.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]


class Clock:
    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def __str__(self) -> str:
        wall = time.perf_counter() - self.wall
        cpu = time.process_time() - self.cpu
        return f"{wall:.1f} s (cpu {cpu:.1f} s)"


def one(db: str, cases: int, interactions: int, n: int) -> None:
    """Run the whole benchmark on the database set up by the parent (environment)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calmdesk.project.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"== {db} ({connection.vendor}) ==", flush=True)
    import generate_report_data as gen

    clock = Clock()
    world, bank, written = gen.generate(
        cases=cases, interactions=interactions, progress=lambda m: print("  " + m, flush=True)
    )
    print(f"generated {cases:,} cases / {written:,} interactions in {clock}", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    from calmdesk.desk.models import Organization
    from calmdesk.reports.clustering import compute
    from calmdesk.reports.fill import fill
    from calmdesk.reports.models import DailyCount

    org = Organization.objects.get(pk=world.org_id)
    clock = Clock()
    report = fill(world.org_id, full=True, analyse=False, cluster=False)
    rows = DailyCount.objects.filter(organization_id=world.org_id).count()
    print(f"FULL REFILL: {clock} -> {rows:,} count rows (target <= 300 s)", flush=True)
    print(f"  {report}", flush=True)
    clock = Clock()
    clusters = compute(org)
    print(f"clustering (daily): {clock}, {len(clusters)} clusters", flush=True)
    fill(world.org_id, analyse=False)  # records today's clustering run

    hour_cases = max(1, round(cases / 365 / 24))
    hour_rows = max(4, round(interactions / 365 / 24))
    clock = Clock()
    changed = _an_hour_of_work(gen, world, bank, hour_cases, hour_rows)
    print(f"an hour of new data: {hour_cases} cases, {hour_rows} interactions, {changed} "
          f"later changes ({clock})", flush=True)  # fmt: skip
    clock = Clock()
    report = fill(world.org_id)
    print(f"INCREMENTAL HOURLY FILL: {clock} (target <= 10 s)", flush=True)
    print(f"  {report}", flush=True)

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    _pages(world, n)
    print(f"load average: {os.getloadavg()[0]:.1f} (cores: {os.cpu_count()})", flush=True)


def _an_hour_of_work(gen: Any, world: Any, bank: Any, cases: int, rows: int) -> int:
    """New cases and messages of the last hour (no facts yet), plus older cases resolved and
    promises kept during that hour."""
    from django.utils import timezone

    from calmdesk.desk.models import Case, FollowUp

    now = timezone.now()
    gen.generate(
        cases=cases,
        interactions=rows,
        start=now - dt.timedelta(hours=1),
        end=now,
        world=world,
        bank=bank,
        with_facts=False,
        progress=lambda _m: None,
    )
    older = list(
        Case.objects.filter(organization_id=world.org_id, status="open").order_by("?")[:20]
    )
    for case in older:
        case.status, case.resolved_at, case.updated_at = "resolved", now, now
    Case.objects.bulk_update(older, ["status", "resolved_at", "updated_at"])
    kept = list(FollowUp.objects.filter(organization_id=world.org_id, status="open")[:20])
    for promise in kept:
        promise.status, promise.closed_at = "kept", now
    FollowUp.objects.bulk_update(kept, ["status", "closed_at"])
    return len(older) + len(kept)


def _pages(world: Any, n: int) -> None:
    from django.test import Client
    from django.utils import timezone

    from calmdesk.desk.actions.users import do_add_membership, do_create_user
    from calmdesk.desk.models import Organization, Team
    from calmdesk.reports.definitions import REPORTS
    from calmdesk.reports.types import ReportFilters, ReportScope

    org = Organization.objects.get(pk=world.org_id)
    teams = list(Team.objects.filter(organization=org).order_by("pk"))
    boss = do_create_user(
        None, username="bench-boss", password=None, organization=org, team=teams[0], role="admin"
    )
    for team in teams:
        do_add_membership(None, boss, team, "supervisor")
    browser = Client()
    browser.force_login(boss)
    today = timezone.now().date()
    year = f"?from={today - dt.timedelta(days=364)}&to={today}"
    reference = "/docs/principles/en/01-understand-the-source"
    if browser.get(reference).status_code != 200:
        reference = "/"
    ref = _time(lambda: browser.get(reference), n)
    print(f"reference page {reference}: p50 {ref[0]:.0f} ms, p95 {ref[1]:.0f} ms", flush=True)
    scope = ReportScope(
        organization_id=org.pk,
        team_ids=tuple(t.pk for t in teams),
        agent_ids=tuple(a for t in world.agents.values() for a in t),
        text_team_ids=tuple(t.pk for t in teams),
        wellbeing=True,
    )
    worst = 0.0
    for slug, definition in REPORTS.items():
        for label, query in (("default", ""), ("365 days", year)):
            url = f"/reports/{slug}/{query}"
            status = browser.get(url).status_code  # warm-up
            if status == 200:
                p50, p95_ms = _time(lambda u=url: browser.get(u), n)
                how = "page"
            else:
                filters = (
                    ReportFilters(date_from=today - dt.timedelta(days=364), date_to=today)
                    if query
                    else ReportFilters(date_from=today - dt.timedelta(days=29), date_to=today)
                )
                p50, p95_ms = _time(lambda f=filters, d=definition: d.build(f, scope), n)
                how = f"build() only: the page answered {status}"
            worst = max(worst, p95_ms)
            print(f"  {slug:20} {label:9} p50 {p50:6.0f} ms  p95 {p95_ms:6.0f} ms  ({how})")
    print(f"REPORT PAGES: worst p95 {worst:.0f} ms (target <= 500 ms)", flush=True)


def _time(call: Any, n: int) -> tuple[float, float]:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        call()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), p95(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--n", type=int, default=20, help="requests per report page")
    parser.add_argument("--one", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.one, args.cases, args.interactions, args.n)
        return
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    argv = [sys.executable, __file__, "--cases", str(args.cases)]
    argv += ["--interactions", str(args.interactions), "--n", str(args.n)]
    for db in dbs:
        env = {**os.environ, "CALMDESK_DATA_DIR": tempfile.mkdtemp(prefix="calmdesk-bench-")}
        env.pop("DATABASE_URL", None)
        if db == "sqlite":
            subprocess.run([*argv, "--one", db], env=env, check=True)
            continue
        from calmdesk.testing.pgcluster import PostgresUnavailable, throwaway_cluster

        try:
            with throwaway_cluster() as cluster:
                cluster.psql("CREATE DATABASE bench")
                env["DATABASE_URL"] = cluster.database_url("bench")
                subprocess.run([*argv, "--one", db], env=env, check=True)
        except PostgresUnavailable as exc:
            print(f"== postgres: skipped ({exc}) ==")


if __name__ == "__main__":
    main()
