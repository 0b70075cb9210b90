"""The ``calmdesk`` command.

Every sub-command has ``--help``.  Errors that a user can fix (port in use, database not
reachable, unknown team) print one clear line and exit with a non-zero code; they never dump a
traceback.  Sub-commands that need Django set it up lazily, so ``calmdesk analyze`` and
``calmdesk coach`` start fast and work without a database.
"""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class CliError(Exception):
    """An error the user can act on; printed as one line, exit code ``code``."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------- helpers


def _apply_data_dir(data_dir: str | None) -> None:
    if data_dir:
        os.environ["CALMDESK_DATA_DIR"] = str(Path(data_dir).expanduser().resolve())


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calmdesk.project.settings")
    import django

    from calmdesk.project.config import ConfigError

    try:
        django.setup()
    except ConfigError as exc:
        raise CliError(f"configuration error: {exc}") from exc


def _check_database() -> None:
    """Fail with one clear line when the database cannot be reached."""
    from django.db import connection
    from django.db.utils import OperationalError

    try:
        connection.ensure_connection()
    except OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        vendor = connection.vendor
        where = (
            connection.settings_dict.get("HOST") or "local socket"
            if vendor == "postgresql"
            else connection.settings_dict.get("NAME")
        )
        raise CliError(f"database not reachable ({vendor} at {where}): {first}") from exc


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    _check_database()
    call_command("migrate", interactive=False, verbosity=verbosity)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _require_free_port(host: str, port: int) -> None:
    if not 0 < port < 65536:
        raise CliError(f"port {port} is out of range (1-65535)", EXIT_USAGE)
    if not _port_free(host, port):
        raise CliError(
            f"port {port} on {host} is already in use: stop the other program or pass --port N",
        )


def _wait_for_http(
    host: str, port: int, timeout: float, proc: subprocess.Popen[bytes], stop: _StopSignals
) -> bool:
    """Wait until the server answers a real HTTP request (gunicorn's master opens the port
    before its workers have loaded the application, so an open port is not enough). False when
    the server exits, the time runs out or a stop is requested."""
    import urllib.error
    import urllib.request

    url = f"http://{host}:{port}/login/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.requested:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return True
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return True
        except (OSError, TimeoutError):
            pass
        time.sleep(0.3)
    return False


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "calmdesk.project.settings")
    return env


def _gunicorn_argv(host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "calmdesk.project.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--graceful-timeout",
        "10",
        "--access-logfile",
        "-",
        "--log-level",
        "warning",
    ]


def _worker_argv(extra: Sequence[str] = ()) -> list[str]:
    return [sys.executable, "-m", "calmdesk.cli", "manage", "db_worker", *extra]


class _StopSignals:
    """Turns Ctrl-C and SIGTERM into a flag for as long as it is entered.

    Enter it before the first child process starts: a Ctrl-C that arrives while the banner is
    printed, or before the web server answers, then stops every child cleanly instead of raising
    KeyboardInterrupt past them (exit 130, children left to the process group's signal)."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, object] = {}

    def _stop(self, _signum: int, _frame: object) -> None:
        self.requested = True

    def __enter__(self) -> _StopSignals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._stop)
        return self

    def __exit__(self, *_exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]


def _run_together(procs: list[subprocess.Popen[bytes]], stop: _StopSignals) -> int:
    """Wait until one process ends or a stop is requested, then stop all of them cleanly."""
    try:
        while not stop.requested and all(p.poll() is None for p in procs):
            time.sleep(0.2)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    if stop.requested:
        return EXIT_OK
    failed = [p for p in procs if p.returncode not in (0, None, -signal.SIGTERM)]
    return EXIT_FAILURE if failed else EXIT_OK


# --------------------------------------------------------------------------- commands


def cmd_demo(args: argparse.Namespace) -> int:
    host = args.host
    _require_free_port(host, args.port)
    _apply_data_dir(args.data_dir)
    os.environ.setdefault("CALMDESK_ALLOWED_HOSTS", f"{host},localhost,127.0.0.1")
    os.environ.setdefault("CALMDESK_BASE_URL", f"http://{host}:{args.port}")
    os.environ.setdefault(
        "CALMDESK_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
    )
    _setup_django()
    from django.conf import settings

    print(f"calmdesk demo: data folder {settings.DATA_DIR}", flush=True)
    _migrate()
    from calmdesk.desk.demo import demo_logins, load_demo

    summary = load_demo()
    print(f"calmdesk demo: {summary}", flush=True)
    from calmdesk.reports.fill import fill

    # the report pages read count tables: fill them now rather than at the sweeper's first tick
    print(f"calmdesk demo: {fill()}", flush=True)
    print(f"calmdesk demo: outgoing emails are written to {settings.EMAIL_FILE_PATH}", flush=True)

    env = _child_env()
    env["CALMDESK_DATA_DIR"] = str(settings.DATA_DIR)
    with _StopSignals() as stop:
        web = subprocess.Popen(_gunicorn_argv(host, args.port, 2, 4), env=env)
        worker = subprocess.Popen(_worker_argv(), env=env)
        sweeper = subprocess.Popen(
            [sys.executable, "-m", "calmdesk.cli", "tick", "--every", "60"],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        procs = [web, worker, sweeper]
        if not _wait_for_http(host, args.port, 120, web, stop):
            code = _run_together(procs, stop)
            if stop.requested:
                return code
            raise CliError("the web server did not start; see the messages above")
        url = f"http://{host}:{args.port}/"
        print("", flush=True)
        print(f"  calmdesk is running at {url}", flush=True)
        print("  demo logins (demo passwords, for this demo only):", flush=True)
        for login in demo_logins():
            print(
                f"    {login.username:<14} {login.password:<16} {login.role:<10} "
                f"{login.team:<28} {login.language}",
                flush=True,
            )
        print("  press Ctrl-C to stop the server and the task worker", flush=True)
        if args.open_browser:
            import webbrowser

            webbrowser.open(url)
        return _run_together(procs, stop)


def cmd_serve(args: argparse.Namespace) -> int:
    _require_free_port(args.host, args.port)
    _apply_data_dir(args.data_dir)
    _setup_django()
    _check_database()
    from django.core.management import call_command

    if args.migrate:
        _migrate()
    call_command("collectstatic", interactive=False, verbosity=0)
    with _StopSignals() as stop:
        procs = [
            subprocess.Popen(
                _gunicorn_argv(args.host, args.port, args.workers, args.threads), env=_child_env()
            )
        ]
        if args.with_worker:
            procs.append(subprocess.Popen(_worker_argv(), env=_child_env()))
        print(f"calmdesk serving on http://{args.host}:{args.port}/", flush=True)
        return _run_together(procs, stop)


def cmd_worker(args: argparse.Namespace) -> int:
    _apply_data_dir(args.data_dir)
    _setup_django()
    _check_database()
    from django.core.management import call_command

    extra: list[str] = []
    if args.batch:
        extra.append("--batch")
    if args.max_tasks:
        extra += ["--max-tasks", str(args.max_tasks)]
    if args.queue:
        extra += ["--queue-name", args.queue]
    from calmdesk.desk.lib.mail import worker_identity

    # "host:pid" lets the sweeper tell a task whose worker died (SIGKILL) from a running one.
    identity = worker_identity()
    if len(identity) <= 64:
        extra += ["--worker-id", identity]
    from calmdesk.channels.ingest import requeue_stalled

    # Work left behind by a worker that died on this host is taken up again at once.
    requeue_stalled()
    call_command("db_worker", *extra)
    return EXIT_OK


def cmd_tick(args: argparse.Namespace) -> int:
    """Enqueue (or with --inline run) whatever is due and not done: reminders, escalations,
    emails whose sender died.  Safe to run from several hosts at once."""
    _apply_data_dir(args.data_dir)
    _setup_django()
    _check_database()
    from calmdesk.desk.tasks import tick

    while True:
        report = tick(inline=args.inline)
        verb = "handled" if args.inline else "enqueued"
        print(f"calmdesk tick: {report.total} due item(s) {verb}", flush=True)
        if not args.every:
            return EXIT_OK
        time.sleep(args.every)


def cmd_poll_mail(args: argparse.Namespace) -> int:
    """Fetch new mail from every enabled IMAP mailbox and file it on cases."""
    _apply_data_dir(args.data_dir)
    _setup_django()
    _check_database()
    from calmdesk.channels.imap import poll_all

    while True:
        results = poll_all()
        if not results:
            print("calmdesk poll-mail: no enabled IMAP mailboxes", flush=True)
        for result in results:
            print(f"calmdesk poll-mail: {result}", flush=True)
        if not args.every:
            return EXIT_FAILURE if any(getattr(r, "error", "") for r in results) else EXIT_OK
        time.sleep(args.every)


def cmd_import(args: argparse.Namespace) -> int:
    """Import history (clients, cases, messages) from CSV, JSONL or a Zendesk export."""
    _apply_data_dir(args.data_dir)
    _setup_django()
    _check_database()
    from calmdesk.imports.command import run

    return run(args)


def cmd_migrate(args: argparse.Namespace) -> int:
    _apply_data_dir(args.data_dir)
    _setup_django()
    _migrate(verbosity=1)
    return EXIT_OK


def cmd_createuser(args: argparse.Namespace) -> int:
    _apply_data_dir(args.data_dir)
    _setup_django()
    _check_database()
    from calmdesk.desk.actions.users import do_create_user
    from calmdesk.desk.models import Organization, Team

    org = Organization.objects.filter(slug=args.organization).first()
    if org is None:
        known = ", ".join(Organization.objects.values_list("slug", flat=True)) or "none yet"
        raise CliError(f"no organization {args.organization!r} (known: {known})")
    team = None
    if args.team:
        team = Team.objects.filter(organization=org, slug=args.team).first()
        if team is None:
            known = ", ".join(Team.objects.filter(organization=org).values_list("slug", flat=True))
            raise CliError(f"no team {args.team!r} in {org.slug} (known: {known or 'none'})")
    if args.role and team is None and args.role != "admin":
        raise CliError("--role needs --team (a role is held in a team)", EXIT_USAGE)
    password = args.password or os.environ.get("CALMDESK_NEW_USER_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            raise CliError("no password: pass --password or set CALMDESK_NEW_USER_PASSWORD")
        password = getpass.getpass(f"password for {args.username}: ")
    from django.core.exceptions import ValidationError

    from calmdesk.desk.lib.errors import ActionError

    try:
        user = do_create_user(
            None,
            username=args.username,
            password=password,
            organization=org,
            email=args.email or "",
            team=team,
            role=args.role,
            preferred_language=args.language or "",
        )
    except ValidationError as exc:
        raise CliError("; ".join(exc.messages)) from exc
    except ActionError as exc:
        raise CliError(str(exc)) from exc
    where = f" as {args.role} in {team.slug}" if team and args.role else ""
    print(f"created user {user.username}{where}")
    return EXIT_OK


def cmd_verify_log(args: argparse.Namespace) -> int:
    _apply_data_dir(args.data_dir)
    _setup_django()
    _check_database()
    from calmdesk.desk.lib.verify import verify_logs

    breaks = verify_logs()
    if not breaks:
        print("verify-log: every chain is intact")
        return EXIT_OK
    for item in breaks:
        print(f"verify-log: BROKEN {item}")
    return EXIT_FAILURE


def cmd_reports_fill(args: argparse.Namespace) -> int:
    _apply_data_dir(args.data_dir)
    _setup_django()
    _check_database()
    from calmdesk.desk.models import Organization
    from calmdesk.reports.fill import fill

    org_id = None
    if args.org:
        org = Organization.objects.filter(slug=args.org).first()
        if org is None:
            known = ", ".join(Organization.objects.values_list("slug", flat=True)) or "none yet"
            raise CliError(f"no organization {args.org!r} (known: {known})")
        org_id = org.pk
    print(fill(org_id, full=args.full))
    return EXIT_OK


def cmd_manage(rest: list[str]) -> int:
    """``calmdesk manage [--data-dir DIR] COMMAND ...``: Django's own command line."""
    if len(rest) >= 2 and rest[0] == "--data-dir":
        _apply_data_dir(rest[1])
        rest = rest[2:]
    elif rest and rest[0].startswith("--data-dir="):
        _apply_data_dir(rest[0].split("=", 1)[1])
        rest = rest[1:]
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["calmdesk manage", *(rest or ["help"])])
    return EXIT_OK


# Sub-commands whose own parser lives with the code they run (they need no Django).
DELEGATED: dict[str, tuple[str, str, str]] = {
    "analyze": (
        "calmdesk.analysis._cli",
        "analyze_main",
        "analyse a client message (emotions, escalation, crisis, root cause)",
    ),
    "analyze-batch": (
        "calmdesk.analysis._cli",
        "analyze_batch_main",
        "analyse a CSV or JSONL file of messages",
    ),
    "coach": (
        "calmdesk.analysis._coach_cli",
        "coach_main",
        "review a reply draft against the twelve principles",
    ),
    "train": (
        "calmdesk.simulation.terminal",
        "train_main",
        "practise a difficult conversation with a simulated client in the terminal",
    ),
}


def _run_delegated(name: str, rest: list[str]) -> int:
    import importlib

    module, func, _help = DELEGATED[name]
    target: Callable[[list[str]], int] = getattr(importlib.import_module(module), func)
    return int(target(rest))


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="calmdesk",
        description="calmdesk: a case desk that helps people handle difficult clients well.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def data_dir_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data-dir",
            metavar="DIR",
            help="data folder (SQLite file, uploads, secret key); default: $CALMDESK_DATA_DIR "
            "or the per-user data folder",
        )

    p = sub.add_parser(
        "demo",
        help="migrate, load the demo data if empty, run web server + task worker",
        description="Set up and run a demo: migrate, load the multilingual demo data when the "
        "database is empty, start the web server and the task worker, print the demo logins. "
        "Ctrl-C stops both.",
    )
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--open", dest="open_browser", action="store_true", help="open a browser")
    p.add_argument(
        "--no-browser",
        dest="open_browser",
        action="store_false",
        help="do not open a browser (default)",
    )
    data_dir_arg(p)
    p.set_defaults(func=cmd_demo, open_browser=False)

    p = sub.add_parser(
        "serve",
        help="production web server (gunicorn)",
        description="Serve calmdesk with gunicorn in production mode.",
    )
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    p.add_argument("--threads", type=int, default=4, help="threads per worker")
    p.add_argument("--migrate", action="store_true", help="apply migrations first")
    p.add_argument("--with-worker", action="store_true", help="also run one task worker")
    data_dir_arg(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "worker",
        help="run a background task worker",
        description="Run a task worker (django-tasks-db). Start as many as you "
        "like, on as many hosts as share the PostgreSQL database.",
    )
    p.add_argument("--batch", action="store_true", help="exit when the queue is empty")
    p.add_argument("--max-tasks", type=int, default=0, help="exit after N tasks")
    p.add_argument("--queue", default="", help="queue name (default: the default queue)")
    data_dir_arg(p)
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser(
        "tick",
        help="enqueue what is due: reminders, escalations, unsent emails",
        description="Sweep for due reminders, overdue promises, unanswered escalation requests "
        "and emails whose sender died, and enqueue them for the workers. Run it every minute "
        "(cron, a systemd timer, or --every 60).",
    )
    p.add_argument("--every", type=int, default=0, metavar="SECONDS", help="repeat forever")
    p.add_argument("--inline", action="store_true", help="do the work here, without a worker")
    data_dir_arg(p)
    p.set_defaults(func=cmd_tick)

    p = sub.add_parser(
        "poll-mail",
        help="fetch new mail from the IMAP mailboxes",
        description="Fetch unseen mail from every enabled IMAP mailbox: store it durably, "
        "then file each message on its case (unparseable mail goes to quarantine).",
    )
    p.add_argument("--every", type=int, default=0, metavar="SECONDS", help="repeat forever")
    data_dir_arg(p)
    p.set_defaults(func=cmd_poll_mail)

    p = sub.add_parser(
        "import",
        help="import history: clients, cases and messages (CSV, JSONL, Zendesk export)",
        description="Import a file of historical clients, cases and messages, resumable and "
        "idempotent (a second run imports nothing twice), then analyse it for the reports. "
        "Exit 0: done; 3: done, but some records failed (listed); 1: stopped (run again to "
        "continue). See docs/import.md.",
    )
    from calmdesk.imports.command import add_arguments as import_arguments

    import_arguments(p)
    data_dir_arg(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "migrate",
        help="create or update the database schema",
        description="Apply all database migrations.",
    )
    data_dir_arg(p)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser(
        "createuser",
        help="create a user with a role in a team",
        description="Create a user; with --team and --role they get that role.",
    )
    p.add_argument("username")
    p.add_argument("--organization", required=True, metavar="SLUG")
    p.add_argument("--team", metavar="SLUG")
    p.add_argument("--role", choices=["agent", "supervisor", "mentor", "admin"])
    p.add_argument("--email")
    p.add_argument("--language", choices=["en", "pl", "sr", "sr-latn", "he"])
    p.add_argument("--password", help="password (else $CALMDESK_NEW_USER_PASSWORD or a prompt)")
    data_dir_arg(p)
    p.set_defaults(func=cmd_createuser)

    p = sub.add_parser(
        "verify-log",
        help="check the hash chains of the interaction and audit logs",
        description="Check every hash chain; exit 1 and name the first broken link "
        "of each chain that is broken.",
    )
    data_dir_arg(p)
    p.set_defaults(func=cmd_verify_log)

    p = sub.add_parser(
        "reports-fill",
        help="fill the report count tables (analyse new messages first)",
        description="Analyse the client messages not analysed yet, then fill the report count "
        "tables: only the days changed since the last fill, or every day with --full. Safe to "
        "interrupt and to run again. The sweeper (tick) runs the incremental fill every hour.",
    )
    p.add_argument("--full", action="store_true", help="recount every day from the first data")
    p.add_argument("--org", metavar="SLUG", help="only this organization")
    data_dir_arg(p)
    p.set_defaults(func=cmd_reports_fill)

    p = sub.add_parser(
        "manage",
        help="run a Django management command",
        description="Run a Django management command, e.g. "
        "`calmdesk manage [--data-dir DIR] createsuperuser`.",
        add_help=False,
    )
    p.add_argument("rest", nargs=argparse.REMAINDER, help="the command and its arguments")

    for name, (_module, _func, help_text) in DELEGATED.items():
        p = sub.add_parser(name, help=help_text, add_help=False)
        p.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(argv) if argv is not None else sys.argv[1:]
    try:
        if raw and raw[0] in DELEGATED:
            return _run_delegated(raw[0], raw[1:])
        if raw and raw[0] == "manage":
            return cmd_manage(raw[1:])
        args = build_parser().parse_args(raw)
        return int(args.func(args))
    except CliError as exc:
        print(f"calmdesk: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
