"""Make desk_interaction, desk_attachment and desk_auditentry append-only (database triggers)."""

from django.db import migrations

from calmdesk.desk.lib.append_only import drop_sql, install_sql


def install(apps, schema_editor):
    for sql in install_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


def uninstall(apps, schema_editor):
    for sql in drop_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("desk", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
