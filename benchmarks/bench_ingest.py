"""Inbound email throughput: messages stored (phase 1) and analysed (phase 2) per second,
per task worker, on SQLite and on PostgreSQL (a throwaway cluster).

    .venv/bin/python benchmarks/bench_ingest.py --n 2000
    .venv/bin/python benchmarks/bench_ingest.py --n 500 --db sqlite --workers 1

For each database: a fresh data folder (and database), ``migrate``, a world with one mailbox,
then ``--n`` synthetic messages (calmdesk.testing.scale, ~1 % with a threat) go through the
real entry point ``ingest_bytes(..., defer=True)`` (phase 1 + one parse task each), and
``--workers`` real ``calmdesk worker --batch`` processes run the parse tasks.  The phase-2
rate is taken from the task rows (first start to last finish), so process start-up is not
counted.  Reference, measured in the same run: the bare ``analyze_message`` rate on the same
texts (no database), the floor under any per-message cost.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _reference(n: int) -> float:
    from calmdesk.analysis import analyze_message
    from calmdesk.channels.lib.parse import parse
    from calmdesk.testing.scale import corpus

    texts = [parse(raw).text for raw in corpus(min(n, 2000), tag="ref")]
    analyze_message(texts[0])  # load the packs
    start = time.perf_counter()
    for text in texts:
        analyze_message(text)
    return len(texts) / (time.perf_counter() - start)


def _child(n: int) -> None:
    """Runs with the database environment set: migrate, ingest, print the phase-1 figures."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calmdesk.project.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from calmdesk.channels.ingest import ingest_bytes
    from calmdesk.channels.models import Mailbox
    from calmdesk.testing.scale import build_world, corpus

    world = build_world("bench")
    mailbox = Mailbox.objects.get(pk=world.mailbox_id)
    messages = corpus(n, tag="bench")
    start = time.perf_counter()
    for raw in messages:
        ingest_bytes(raw, mailbox=mailbox, source="http", defer=True)
    elapsed = time.perf_counter() - start
    print(json.dumps({"stored": n, "store_seconds": elapsed}))


def _tasks_window(env: dict[str, str]) -> dict[str, float]:
    code = (
        "import django, json; django.setup()\n"
        "from django.db.models import Max, Min, Count\n"
        "from django_tasks_db.models import DBTaskResult\n"
        "q = DBTaskResult.objects.filter("
        "task_path='calmdesk.channels.tasks.process_raw_message')\n"
        "a = q.aggregate(s=Min('started_at'), f=Max('finished_at'), n=Count('id'))\n"
        "ok = q.filter(status='SUCCESSFUL').count()\n"
        "print(json.dumps({'seconds': (a['f'] - a['s']).total_seconds(), 'tasks': a['n'],"
        " 'successful': ok}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _run(db: str, n: int, workers: int) -> dict[str, float]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"calmdesk-bench-{db}-"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        CALMDESK_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="calmdesk.project.settings",
        CALMDESK_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        CALMDESK_LOG_LEVEL="ERROR",
    )
    cluster = None
    try:
        if db == "postgres":
            from calmdesk.testing.pgcluster import start_cluster

            cluster = start_cluster()
            cluster.psql("CREATE DATABASE bench")
            env["DATABASE_URL"] = cluster.database_url("bench")
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--n", str(n)],
            env=env,
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise SystemExit(f"{db}: ingest failed\n{out.stderr[-3000:]}")
        stored = json.loads(out.stdout.strip().splitlines()[-1])
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "calmdesk.cli", "worker", "--batch"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        for proc in procs:
            if proc.wait(timeout=3600) != 0:
                raise SystemExit(f"{db}: a worker failed (exit {proc.returncode})")
        window = _tasks_window(env)
    finally:
        if cluster is not None:
            cluster.stop()
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)
    if window["successful"] != n:
        raise SystemExit(f"{db}: {window['successful']} of {n} parse tasks succeeded")
    analysed = n / window["seconds"]
    return {
        "store_per_s": n / stored["store_seconds"],
        "analysed_per_s": analysed,
        "analysed_per_s_per_worker": analysed / workers,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="messages per database")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--workers", type=int, default=2, help="task worker processes")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.n)
        return 0
    sys.path.insert(0, str(ROOT / "src"))
    reference = _reference(args.n)
    print(f"reference: bare analyze_message {reference:,.0f} messages/s (one process, no database)")
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(
        f"{'database':<10} {'n':>6} {'workers':>7} {'stored/s':>9} {'analysed/s':>10} "
        f"{'per worker':>10} {'ref/per worker':>14}"
    )
    for db in dbs:
        figures = _run(db, args.n, args.workers)
        print(
            f"{db:<10} {args.n:>6} {args.workers:>7} {figures['store_per_s']:>9.0f} "
            f"{figures['analysed_per_s']:>10.0f} {figures['analysed_per_s_per_worker']:>10.0f} "
            f"{reference / figures['analysed_per_s_per_worker']:>13.0f}x",
            flush=True,
        )
    print(
        f"(cores: {os.cpu_count()}; store = phase 1 in one process: raw file fsynced, row and "
        "parse task committed; analysed = phase 2 by the task workers)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
