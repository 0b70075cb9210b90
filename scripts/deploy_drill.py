"""Follow docs/deploy.md once, from scratch, on this machine (tests/scale/test_deploy_drill.py).

    .venv/bin/python scripts/deploy_drill.py

Every step below is a step of docs/deploy.md, done with the commands it shows:

 1. a fresh PostgreSQL cluster (throwaway, loopback, free port); ``createuser`` and ``createdb``
    make the application's role and database; the role gets a statement timeout;
 2. one environment for every process: ``DATABASE_URL``, the same ``CALMDESK_SECRET_KEY``,
    the shared ``CALMDESK_MEDIA_DIR``, ``CALMDESK_INBOUND_DEFER=1``; each "host" (web, worker
    A, worker B, admin shell) has its own ``CALMDESK_DATA_DIR``;
 3. ``calmdesk migrate`` and ``calmdesk manage migrate --check``;
 4. the first organization, team and mailbox (``calmdesk manage shell``), a supervisor with
    ``calmdesk createuser``, an API token and the mailbox's inbound token;
 5. ``calmdesk manage collectstatic``; gunicorn with 2 web processes on a free loopback port;
    health check ``GET /login/`` and a static file;
 6. 2 task workers (``calmdesk worker``), separate processes with separate data folders;
 7. two emails posted as raw MIME to ``/channels/inbound/<token>/`` (one with a threat): the
    web answers 202 "stored", a worker files them; the API shows the case, the message and
    the crisis incident;
 8. ``calmdesk tick`` (the sweeper) runs once;
 9. backup: ``pg_dump -Fc`` and a tar of the media folder; restore drill: ``createdb`` +
    ``pg_restore`` into a new database, ``calmdesk verify-log`` on it passes and it holds the
    same messages;
10. everything is stopped with SIGTERM and must exit cleanly; the cluster is removed.

Exit status 0 when every check passed; on failure the last lines of each process's log.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from calmdesk.testing.pgcluster import Cluster, find_pg_bin, free_port, start_cluster  # noqa: E402

CALMDESK = [sys.executable, "-m", "calmdesk.cli"]
ROLE, DB, PASSWORD = "calmdesk_app", "calmdesk", "drill-" + secrets.token_hex(8)


class DrillError(RuntimeError):
    pass


def step(text: str) -> None:
    print(f"drill: {text}", flush=True)


def check(condition: bool, what: str) -> None:
    if not condition:
        raise DrillError(what)


def pg(cluster: Cluster, tool: str, *args: str) -> str:
    argv = [find_pg_bin(tool), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", cluster.user]
    done = subprocess.run([*argv, *args], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise DrillError(f"{tool} {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def run(argv: list[str], env: dict[str, str], *, data_dir: Path | None = None) -> str:
    if data_dir is not None:
        env = {**env, "CALMDESK_DATA_DIR": str(data_dir)}
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise DrillError(
            f"{' '.join(argv[2:])} failed ({done.returncode}): "
            f"{(done.stderr or done.stdout).strip()[-2000:]}"
        )
    return done.stdout


def last_json(out: str) -> Any:
    """The JSON line a ``manage shell -c`` snippet printed (Django may print a line before)."""
    return json.loads(out.strip().splitlines()[-1])


def http(
    method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_for(what: str, test: Any, timeout: float = 180) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = test()
        except (OSError, urllib.error.URLError):
            value = None
        if value:
            return value
        time.sleep(0.3)
    raise DrillError(f"timed out waiting for {what}")


SHELL_SETUP = """
import json
from calmdesk.channels.models import Mailbox
from calmdesk.desk.actions.organizations import do_create_organization, do_create_team
org = do_create_organization("Drill Utilities", slug="drill")
team = do_create_team(None, org, "Front desk", slug="front")
mailbox = Mailbox.objects.create(organization=org, team=team, name="Help",
                                 addresses=["help@drill.example"])
print(json.dumps({"inbound_token": mailbox.set_inbound_secret()}))
"""

SHELL_TOKEN = """
import json
from calmdesk.desk.actions.tokens import do_issue_token
from calmdesk.desk.models import User
_, raw = do_issue_token(None, User.objects.get(username="sup"), "deploy drill")
print(json.dumps({"api_token": raw}))
"""

SHELL_COUNT = """
import json
from django.db import connection
from calmdesk.desk.models import CrisisIncident, Interaction
with connection.cursor() as cur:
    cur.execute("SHOW statement_timeout")
    timeout = cur.fetchone()[0]
print(json.dumps({"inbound": Interaction.objects.filter(kind="inbound").count(),
                  "incidents": CrisisIncident.objects.count(),
                  "statement_timeout": timeout}))
"""

MAILS = [
    (
        "drill-1",
        "Meter reading twice on my bill",
        "Hello, my March bill counts the same meter reading twice. Please send a corrected bill.",
    ),
    (
        "drill-2",
        "Still no answer",
        "Nobody answers my letters. If this is not fixed tomorrow I will come to your office "
        "and hurt the manager.",
    ),
]


def raw_mail(tag: str, subject: str, text: str) -> bytes:
    return (
        "From: Nadia Client <nadia@clients.example>\r\n"
        "To: help@drill.example\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <{tag}@clients.example>\r\n"
        "Date: Mon, 02 Mar 2026 09:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{text}\r\n"
    ).encode()


def drill(work: Path) -> dict[str, Any]:
    procs: dict[str, subprocess.Popen[bytes]] = {}
    logs: dict[str, Path] = {}
    cluster: Cluster | None = None
    figures: dict[str, Any] = {}

    def start(name: str, argv: list[str], env: dict[str, str]) -> None:
        logs[name] = work / f"{name}.log"
        with logs[name].open("wb") as out:
            procs[name] = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)

    try:
        step("1. PostgreSQL: a fresh cluster; createuser and createdb; a statement timeout")
        cluster = start_cluster()
        pg(cluster, "createuser", "--no-superuser", "--no-createrole", ROLE)
        pg(cluster, "psql", "-d", "postgres", "-c", f"ALTER ROLE {ROLE} PASSWORD '{PASSWORD}'")
        pg(
            cluster,
            "psql",
            "-d",
            "postgres",
            "-c",
            f"ALTER ROLE {ROLE} SET statement_timeout = '30s'",
        )
        pg(cluster, "createdb", "--owner", ROLE, DB)
        url = f"postgresql://{ROLE}:{PASSWORD}@127.0.0.1:{cluster.port}/{DB}"

        step("2. environment: one DATABASE_URL, one secret key, shared media, own data dirs")
        media = work / "shared-media"
        media.mkdir()
        base = {
            k: v
            for k, v in os.environ.items()
            if not (k.startswith("CALMDESK_") or k in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"})
        }
        base.update(
            DATABASE_URL=url,
            CALMDESK_SECRET_KEY=secrets.token_urlsafe(50),
            CALMDESK_MEDIA_DIR=str(media),
            CALMDESK_INBOUND_DEFER="1",
            CALMDESK_ALLOWED_HOSTS="127.0.0.1,localhost",
            CALMDESK_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            CALMDESK_EMAIL_FILE_PATH=str(work / "outbox"),
            CALMDESK_LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT / "src"),
        )
        hosts = {name: work / f"host-{name}" for name in ("admin", "web", "worker-a", "worker-b")}
        for folder in hosts.values():
            folder.mkdir()

        def env_of(host: str) -> dict[str, str]:
            return {**base, "CALMDESK_DATA_DIR": str(hosts[host])}

        step("3. calmdesk migrate; calmdesk manage migrate --check")
        run([*CALMDESK, "migrate"], env_of("admin"))
        run([*CALMDESK, "manage", "migrate", "--check"], env_of("admin"))

        step("4. organization, team, mailbox; calmdesk createuser; API and inbound tokens")
        setup = last_json(run([*CALMDESK, "manage", "shell", "-c", SHELL_SETUP], env_of("admin")))
        run(
            [
                *CALMDESK,
                "createuser",
                "sup",
                "--organization",
                "drill",
                "--team",
                "front",
                "--role",
                "supervisor",
                "--email",
                "sup@drill.example",
                "--password",
                "drill-" + secrets.token_hex(12),
            ],
            env_of("admin"),
        )
        token = last_json(run([*CALMDESK, "manage", "shell", "-c", SHELL_TOKEN], env_of("admin")))
        auth = {"Authorization": f"Bearer {token['api_token']}"}

        step("5. collectstatic; gunicorn with 2 web processes; health check")
        run([*CALMDESK, "manage", "collectstatic", "--noinput"], env_of("web"))
        port = free_port()
        site = f"http://127.0.0.1:{port}"
        start(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "calmdesk.project.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--graceful-timeout",
                "20",
                "--access-logfile",
                "-",
            ],
            {**env_of("web"), "DJANGO_SETTINGS_MODULE": "calmdesk.project.settings"},
        )
        wait_for("GET /login/ = 200", lambda: http("GET", f"{site}/login/")[0] == 200)
        check(http("GET", f"{site}/static/desk/desk.css")[0] == 200, "static file not served")
        master = procs["web"].pid
        children = subprocess.run(
            ["ps", "--ppid", str(master), "-o", "pid="], capture_output=True, text=True
        ).stdout.split()
        check(len(children) == 2, f"gunicorn runs {len(children)} web processes, not 2")
        figures["web_processes"] = len(children)

        step("6. two task workers, each with its own data folder (standing in for hosts)")
        start("worker-a", [*CALMDESK, "worker"], env_of("worker-a"))
        start("worker-b", [*CALMDESK, "worker"], env_of("worker-b"))

        step("7. raw MIME to the inbound endpoint; a worker files it; the API shows it")
        inbound = f"{site}/channels/inbound/{setup['inbound_token']}/"
        for tag, subject, text in MAILS:
            status, body = http(
                "POST",
                inbound,
                body=raw_mail(tag, subject, text),
                headers={"Content-Type": "message/rfc822"},
            )
            check(status == 202, f"inbound endpoint answered {status}: {body[:300]!r}")
            check(json.loads(body)["state"] == "stored", f"not deferred to a worker: {body!r}")

        def cases() -> list[dict[str, Any]]:
            status, body = http("GET", f"{site}/api/v1/cases?limit=50", headers=auth)
            check(status == 200, f"GET /api/v1/cases answered {status}: {body[:300]!r}")
            items: list[dict[str, Any]] = json.loads(body)["items"]
            return items

        found = wait_for(
            "both emails filed on cases",
            lambda: (lambda c: c if {m[1] for m in MAILS} <= {x["subject"] for x in c} else None)(
                cases()
            ),
        )
        texts = []
        for case in found:
            status, body = http(
                "GET", f"{site}/api/v1/cases/{case['id']}/interactions", headers=auth
            )
            check(status == 200, f"interactions answered {status}")
            texts += [i.get("text", "") for i in json.loads(body)["items"]]
        for _tag, _subject, text in MAILS:
            check(any(text.split(".")[0] in t for t in texts), f"message not in the API: {text}")
        counts = last_json(run([*CALMDESK, "manage", "shell", "-c", SHELL_COUNT], env_of("admin")))
        check(counts["inbound"] == 2, f"{counts['inbound']} inbound messages logged, not 2")
        check(counts["incidents"] == 1, f"{counts['incidents']} crisis incidents, not 1")
        check(counts["statement_timeout"] == "30s", f"statement_timeout {counts}")
        ran_by = pg(
            cluster,
            "psql",
            "-d",
            DB,
            "-At",
            "-c",
            "SELECT DISTINCT worker_ids->>-1 FROM django_tasks_database_dbtaskresult "
            "WHERE task_path = 'calmdesk.channels.tasks.process_raw_message'",
        ).split()
        check(bool(ran_by), "no parse task ran")
        figures["parsed_by"] = ran_by

        step("8. calmdesk tick (the sweeper, every minute from cron or a timer)")
        figures["tick"] = run([*CALMDESK, "tick"], env_of("admin")).strip()

        step("9. backup (pg_dump -Fc, tar of the media) and the restore drill")
        dump = work / "calmdesk.dump"
        pg(cluster, "pg_dump", "-Fc", "-d", DB, "-f", str(dump))
        with tarfile.open(work / "media.tar.gz", "w:gz") as tar:
            tar.add(media, arcname="media")
        pg(cluster, "createdb", "--owner", ROLE, "calmdesk_restored")
        pg(
            cluster,
            "pg_restore",
            "--no-owner",
            "--role",
            ROLE,
            "-d",
            "calmdesk_restored",
            str(dump),
        )
        restored = {**env_of("admin"), "DATABASE_URL": url.rsplit("/", 1)[0] + "/calmdesk_restored"}
        verify = run([*CALMDESK, "verify-log"], restored).strip()
        check("intact" in verify, f"verify-log on the restored database: {verify}")
        again = last_json(run([*CALMDESK, "manage", "shell", "-c", SHELL_COUNT], restored))
        check(
            again["inbound"] == counts["inbound"] and again["incidents"] == counts["incidents"],
            f"restored database differs: {again} vs {counts}",
        )
        figures["verify_log_restored"] = verify
        figures["dump_bytes"] = dump.stat().st_size

        step("10. stop everything with SIGTERM")
        for name in ("web", "worker-a", "worker-b"):
            procs[name].send_signal(signal.SIGTERM)
        for name in ("web", "worker-a", "worker-b"):
            code = procs[name].wait(timeout=60)
            check(code == 0, f"{name} exited with {code}")
        step("done: every step passed")
        return figures
    except BaseException:
        for name, log in logs.items():
            tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
            print(f"--- {name} log (tail) ---\n{tail}", file=sys.stderr)
        raise
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if cluster is not None:
            cluster.stop()


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="calmdesk-drill-"))
    try:
        figures = drill(work)
    except DrillError as exc:
        print(f"drill: FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("drill: " + json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
