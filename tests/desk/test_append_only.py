"""The log tables refuse UPDATE and DELETE however they are issued: through the ORM, raw SQL
on Django's connection, and the database's own command-line client on a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction

from calmdesk.desk.models import Attachment, AuditEntry, Interaction

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]


def refused(fn) -> bool:
    try:
        with transaction.atomic():
            fn()
    except DatabaseError as exc:
        assert "append-only" in str(exc)
        return True
    return False


def test_orm_writes_are_refused(world):
    message = world.interactions["a"]
    reply = Interaction.objects.get(case=world.cases["a"], kind="outbound")
    attachment = world.attachments["a"]
    entry = AuditEntry.objects.order_by("id").first()

    def save_changed_message():
        message.text = "edited"
        message.save()

    def save_changed_attachment():
        attachment.filename = "other.png"
        attachment.save()

    def save_changed_audit():
        entry.action = "nothing.happened"
        entry.save()

    attempts = {
        "interaction.save": save_changed_message,
        "interaction.update": lambda: Interaction.objects.filter(pk=message.pk).update(text="x"),
        "interaction.delete": lambda: reply.delete(),
        "interaction.qs.delete": lambda: Interaction.objects.filter(pk=reply.pk).delete(),
        "attachment.save": save_changed_attachment,
        "attachment.update": lambda: Attachment.objects.update(size=1),
        "attachment.delete": lambda: Attachment.objects.filter(pk=attachment.pk).delete(),
        "audit.save": save_changed_audit,
        "audit.update": lambda: AuditEntry.objects.update(action="x"),
        "audit.delete": lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
    }
    results = {name: refused(fn) for name, fn in attempts.items()}
    assert results == dict.fromkeys(attempts, True)
    message.refresh_from_db()
    assert message.text.startswith("Where is my parcel?")


@pytest.mark.parametrize("table", ["desk_interaction", "desk_attachment", "desk_auditentry"])
def test_raw_sql_on_django_connection_is_refused(world, table):
    column = {
        "desk_interaction": "text",
        "desk_attachment": "filename",
        "desk_auditentry": "action",
    }[table]
    before = _dump(table)

    def run(sql):
        def go():
            with connection.cursor() as cursor:
                cursor.execute(sql)

        return go

    assert refused(run(f"UPDATE {table} SET {column} = 'tampered'"))
    assert refused(run(f"DELETE FROM {table}"))
    assert _dump(table) == before


def _dump(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} ORDER BY 1")
        return cursor.fetchall()


@pytest.mark.postgres  # only collected by the --db=postgres run
def test_psql_on_the_test_database_is_refused(world):
    s = connection.settings_dict
    for sql in [
        "UPDATE desk_interaction SET text = 'x'",
        "DELETE FROM desk_interaction",
        "UPDATE desk_auditentry SET action = 'x'",
        "DELETE FROM desk_attachment",
    ]:
        out = subprocess.run(
            [
                "psql",
                "-h",
                s["HOST"],
                "-p",
                str(s["PORT"]),
                "-U",
                s["USER"],
                "-d",
                s["NAME"],
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.returncode != 0, sql
        assert "append-only" in out.stderr, out.stderr


# --- a real database, committed data, the vendor's own client -------------------------------

SEED = textwrap.dedent(
    """
    import json, django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from calmdesk.desk.actions.organizations import do_create_organization, do_create_team
    from calmdesk.desk.actions.users import do_create_user
    from calmdesk.desk.actions.clients import do_create_client
    from calmdesk.desk.actions.cases import do_create_case
    from calmdesk.desk.actions.interactions import do_receive_message
    from calmdesk.desk.lib.attachments import IncomingFile
    org = do_create_organization("Cli Org", slug="cli")
    team = do_create_team(None, org, "Desk", slug="desk")
    agent = do_create_user(None, username="cli_agent", password=None, organization=org,
                           team=team, role="agent")
    client = do_create_client(agent, organization=org, team=team, name="Client")
    case = do_create_case(agent, client=client, team=team, subject="Parcel", channel="email")
    msg = do_receive_message(None, case=case, text="Where is it?", channel="email",
                             attachments=[IncomingFile("a.txt", "text/plain", b"hello")])
    print(json.dumps({"interaction": msg.id, "case": case.id, "seq": msg.seq}))
    """
)

VERIFY = textwrap.dedent(
    """
    import json, django
    django.setup()
    from calmdesk.desk.lib.verify import verify_logs
    print(json.dumps([b.__dict__ for b in verify_logs()]))
    """
)


def _run_python(code, env):
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture
def real_database(tmp_path):
    """A freshly migrated database of the vendor under test, outside the test transaction:
    (env for subprocesses, function running one SQL statement with the vendor's CLI)."""
    env = {
        **os.environ,
        "CALMDESK_DATA_DIR": str(tmp_path / "data"),
        "DJANGO_SETTINGS_MODULE": "calmdesk.project.settings",
    }
    if connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
        db_file = tmp_path / "data" / "calmdesk.sqlite3"

        def cli(sql):
            return subprocess.run(
                ["sqlite3", str(db_file), sql], capture_output=True, text=True, timeout=30
            )

        yield env, cli
        return
    s = connection.settings_dict
    name = f"cd_cli_{uuid.uuid4().hex[:10]}"
    base = ["psql", "-h", s["HOST"], "-p", str(s["PORT"]), "-U", s["USER"], "-v", "ON_ERROR_STOP=1"]
    subprocess.run(
        [*base, "-d", "postgres", "-c", f"CREATE DATABASE {name}"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    env["DATABASE_URL"] = f"postgresql://{s['USER']}@{s['HOST']}:{s['PORT']}/{name}"

    def cli(sql):
        return subprocess.run(
            [*base, "-d", name, "-c", sql], capture_output=True, text=True, timeout=30
        )

    yield env, cli
    subprocess.run(
        [*base, "-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {name}"],
        capture_output=True,
        timeout=30,
    )


def test_vendor_cli_cannot_change_the_log_and_verify_names_an_out_of_band_edit(real_database):
    env, cli = real_database
    seeded = _run_python(SEED, env)
    iid = seeded["interaction"]
    attempts = [
        f"UPDATE desk_interaction SET text = 'tampered' WHERE id = {iid}",
        f"DELETE FROM desk_interaction WHERE id = {iid}",
        "UPDATE desk_attachment SET filename = 'evil.html'",
        "DELETE FROM desk_attachment",
        "UPDATE desk_auditentry SET action = 'nothing'",
        "DELETE FROM desk_auditentry",
    ]
    if connection.vendor == "postgresql":
        attempts.append("TRUNCATE desk_auditentry CASCADE")
    for sql in attempts:
        out = cli(sql)
        assert out.returncode != 0, sql
        assert "append-only" in out.stderr, (sql, out.stderr)

    # Someone with full database rights drops the triggers and edits a row: the chain says so.
    if connection.vendor == "sqlite":
        drop = "; ".join(
            f"DROP TRIGGER {t}_no_{op}" for t in ("desk_interaction",) for op in ("update",)
        )
    else:
        drop = "DROP TRIGGER desk_interaction_append_only ON desk_interaction"
    assert cli(drop).returncode == 0
    out = cli(f"UPDATE desk_interaction SET text = 'I never complained' WHERE id = {iid}")
    assert out.returncode == 0, out.stderr
    breaks = _run_python(VERIFY, env)
    # exactly one break: the refused statements above changed nothing
    assert len(breaks) == 1
    assert breaks[0]["table"] == "desk_interaction"
    assert breaks[0]["chain"] == f"case {seeded['case']}"
    assert breaks[0]["seq"] == seeded["seq"] and breaks[0]["row_id"] == str(iid)
