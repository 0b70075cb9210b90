"""Database triggers that make the log tables append-only, on SQLite and PostgreSQL.

The migration ``0002_append_only`` installs them.  ``drop_triggers`` exists for tests that
prove the hash chain catches edits made by someone who removed the triggers first.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

APPEND_ONLY_TABLES = ("desk_interaction", "desk_attachment", "desk_auditentry")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION desk_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'calmdesk: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def install_sql(vendor: str) -> list[str]:
    statements: list[str] = []
    if vendor == "sqlite":
        for table in APPEND_ONLY_TABLES:
            for op in ("UPDATE", "DELETE"):
                message = f"calmdesk: {table} is append-only ({op} refused)"
                statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{message}'); END;"
                )
    elif vendor == "postgresql":
        statements.append(_PG_FUNCTION)
        for table in APPEND_ONLY_TABLES:
            # Statement level: even an UPDATE or DELETE that matches no row is refused, and
            # TRUNCATE too.
            statements.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
            statements.append(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION desk_refuse_change();"
            )
    else:  # pragma: no cover - other back-ends are not supported
        raise NotImplementedError(f"append-only triggers are not written for {vendor!r}")
    return statements


def drop_sql(vendor: str) -> list[str]:
    statements: list[str] = []
    for table in APPEND_ONLY_TABLES:
        if vendor == "sqlite":
            statements += [
                f"DROP TRIGGER IF EXISTS {table}_no_update;",
                f"DROP TRIGGER IF EXISTS {table}_no_delete;",
            ]
        elif vendor == "postgresql":
            statements.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    return statements


def install_triggers(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for sql in install_sql(connection.vendor):
            cursor.execute(sql)


def drop_triggers(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for sql in drop_sql(connection.vendor):
            cursor.execute(sql)


def reinstall_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate handler: put the triggers back if someone removed them.

    Every ``migrate`` (and the ``flush`` that Django's transactional tests run, which sends
    post_migrate) restores the protection.  Tests that need to flush log tables drop the
    triggers first (see tests/desk/conftest.py, ``flushable_logs``).
    """
    if getattr(sender, "label", None) != "desk":
        return
    connection = connections[using]
    if connection.vendor not in ("sqlite", "postgresql"):
        return
    if not set(APPEND_ONLY_TABLES) <= set(connection.introspection.table_names()):
        return
    install_triggers(connection)
